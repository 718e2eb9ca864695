//! PRC: price lists under approval, discounts routed by depth, quotes and their versions.

use medcrm_testkit::{Reply, TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::products::{days_from_today, institution_id, product_id};

/// A draft quote of `quantity` × `product` at `unit_price` (list when `None`).
async fn quote(
    t: &TestApp,
    token: &str,
    institution: i64,
    product: i64,
    unit_price: Option<&str>,
) -> Value {
    let r = t
        .post(
            "/api/v1/quotes",
            token,
            json!({"institution_id": institution, "valid_until": days_from_today(30),
                   "lines": [{"product_id": product, "quantity": 1, "unit_price": unit_price}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

async fn act(t: &TestApp, token: &str, quote: &Value, action: &str) -> Reply {
    t.post(
        &format!("/api/v1/quotes/{}/{action}", quote["id"]),
        token,
        json!({}),
    )
    .await
}

/// The pending approval of a quote.
async fn pending(t: &TestApp, token: &str, quote: &Value) -> Value {
    let full = t
        .get(&format!("/api/v1/quotes/{}", quote["id"]), token)
        .await;
    full.body["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["status"] == "pending")
        .cloned()
        .unwrap()
}

async fn decide(t: &TestApp, token: &str, approval: &Value, approve: bool) -> Reply {
    t.post(
        &format!("/api/v1/approvals/{}/decision", approval["id"]),
        token,
        json!({"approve": approve, "comment": "审批意见"}),
    )
    .await
}

#[tokio::test]
async fn prc_1_a_price_change_applies_only_after_management_approval() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let finance = t.login("finance").await;
    let director = t.login("director").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let change = json!({"product_id": us, "price": "1450000", "effective_from": days_from_today(0),
                        "reason": "新一代探头，成本上升"});
    assert_eq!(
        t.post("/api/v1/prices", &rep, change.clone()).await.status,
        StatusCode::FORBIDDEN,
        "reps do not edit prices"
    );
    let mut past = change.clone();
    past["effective_from"] = json!(days_from_today(-1));
    assert!(
        t.post("/api/v1/prices", &finance, past)
            .await
            .field("effective_from")
            .is_some()
    );
    let proposed = t.post("/api/v1/prices", &finance, change).await;
    assert_eq!(proposed.body["status"], "pending");
    let told = t.get("/api/v1/notifications", &director).await;
    assert_eq!(told.body["items"][0]["kind"], "approval_requested", "SYS-2");
    let before = quote(&t, &rep, zhongshan, us, None).await;
    assert_eq!(
        before["total"], "1,380,000.00",
        "pending prices do not apply"
    );
    let approval = &proposed.body["approval"];
    assert_eq!(approval["level"], "director");
    assert_eq!(
        decide(&t, &finance, approval, true).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        decide(&t, &director, approval, true).await.body["status"],
        "approved"
    );
    let after = quote(&t, &rep, zhongshan, us, None).await;
    assert_eq!(after["total"], "1,450,000.00");
    let history = t.get(&format!("/api/v1/products/{us}/prices"), &rep).await;
    assert_eq!(
        history.body.as_array().unwrap().len(),
        2,
        "both versions kept"
    );
    // A director's own proposal needs someone else.
    let own = t
        .post(
            "/api/v1/prices",
            &director,
            json!({"product_id": us, "price": "1400000", "effective_from": days_from_today(10), "reason": "季度调价"}),
        )
        .await;
    let r = decide(&t, &director, &own.body["approval"], true).await;
    assert_eq!(r.code(), "own_request");
}

#[tokio::test]
async fn prc_2_a_12_percent_discount_is_beyond_a_manager_and_waits_for_the_director() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let manager = t.login("manager.east").await;
    let director = t.login("director").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let ruijin = institution_id(&t, &rep, "shjtdxyxyfsrjyy").await;
    // 1,380,000 − 12 % = 1,214,400.
    let q = quote(&t, &rep, ruijin, us, Some("1214400")).await;
    let r = act(&t, &rep, &q, "submit").await;
    assert_eq!(r.body["status"], "pending_approval");
    let approval = pending(&t, &rep, &q).await;
    assert_eq!(
        (approval["level"].as_str(), approval["discount_bp"].as_i64()),
        (Some("director"), Some(1200))
    );
    let inbox = t.get("/api/v1/approvals", &manager).await;
    assert!(
        inbox.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["id"] != approval["id"]),
        "not in the manager's inbox"
    );
    let r = decide(&t, &manager, &approval, true).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "approval_level")
    );
    assert_eq!(
        decide(&t, &rep, &approval, true).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        decide(&t, &director, &approval, true).await.body["status"],
        "approved"
    );
    assert_eq!(act(&t, &rep, &q, "send").await.body["status"], "sent");
}

#[tokio::test]
async fn prc_2_two_approvers_acting_at_once_produce_one_decision() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let manager = t.login("manager.east").await;
    let director = t.login("director").await;
    let tni = product_id(&t, &rep, "LJ-TNI-100").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    // 3,600 − 3 % = 3,492: a manager's level, which the director may also decide.
    let q = quote(&t, &rep, zhongshan, tni, Some("3492")).await;
    act(&t, &rep, &q, "submit").await;
    let approval = pending(&t, &rep, &q).await;
    let (a, b) = tokio::join!(
        decide(&t, &manager, &approval, true),
        decide(&t, &director, &approval, false)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let winner = if a.status == StatusCode::OK { &a } else { &b };
    let full = t.get(&format!("/api/v1/quotes/{}", q["id"]), &rep).await;
    let expected = if winner.body["status"] == "approved" {
        "approved"
    } else {
        "rejected"
    };
    assert_eq!(full.body["quote"]["status"], expected);
}

#[tokio::test]
async fn prc_3_no_sending_while_pending_or_after_rejection_and_revisions_keep_versions() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let director = t.login("director").await;
    let manager = t.login("manager.east").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let q = quote(&t, &rep, zhongshan, us, Some("1242000")).await;
    act(&t, &rep, &q, "submit").await;
    let r = act(&t, &rep, &q, "send").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.field("status").unwrap().contains("waiting for approval"));
    assert_eq!(
        act(&t, &rep, &q, "accept").await.status,
        StatusCode::CONFLICT
    );
    let approval = pending(&t, &rep, &q).await;
    decide(&t, &director, &approval, false).await;
    let r = act(&t, &rep, &q, "send").await;
    assert!(r.field("status").unwrap().contains("rejected"));
    // Revise: version 2 in draft, version 1 kept; priced above list now, which a manager
    // must approve too (PRC-2).
    let r = act(&t, &rep, &q, "revise").await;
    assert_eq!(
        (r.body["version"].as_i64(), r.body["status"].as_str()),
        (Some(2), Some("draft"))
    );
    let edit = json!({"institution_id": zhongshan, "valid_until": days_from_today(20),
                      "lines": [{"product_id": us, "quantity": 2, "unit_price": "1400000"}]});
    let r = t
        .put(&format!("/api/v1/quotes/{}", q["id"]), &rep, edit)
        .await;
    assert_eq!(r.body["total"], "2,800,000.00", "{:?}", r.body);
    let full = t.get(&format!("/api/v1/quotes/{}", q["id"]), &rep).await;
    assert_eq!(full.body["history"][0]["version"], 1);
    assert_eq!(
        full.body["history"][0]["lines"][0]["unit_price_fen"],
        124_200_000
    );
    assert_eq!(full.body["lines"][0]["discount_bp"], -145);
    assert_eq!(full.body["needs_approval"], "manager");
    act(&t, &rep, &q, "submit").await;
    decide(&t, &manager, &pending(&t, &rep, &q).await, true).await;
    assert_eq!(act(&t, &rep, &q, "send").await.body["status"], "sent");
    assert_eq!(act(&t, &rep, &q, "accept").await.body["status"], "accepted");
    let r = act(&t, &rep, &q, "revise").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "an accepted quote is final");
}

#[tokio::test]
async fn prc_3_accepting_a_quote_moves_its_opportunity_forward() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let tni = product_id(&t, &rep, "LJ-TNI-100").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let lead = t
        .post(
            "/api/v1/opportunities",
            &rep,
            json!({"institution_id": zhongshan, "title": "检验科肌钙蛋白试剂", "product_line": "ivd",
                   "amount": "36000", "expected_close": days_from_today(60)}),
        )
        .await;
    let opp = lead.body["id"].as_i64().unwrap();
    for stage in ["qualified", "needs_analysis", "proposal"] {
        t.post(
            &format!("/api/v1/opportunities/{opp}/stage"),
            &rep,
            json!({"stage": stage}),
        )
        .await;
    }
    let r = t
        .post(
            "/api/v1/quotes",
            &rep,
            json!({"institution_id": zhongshan, "opportunity_id": opp, "valid_until": days_from_today(30),
                   "lines": [{"product_id": tni, "quantity": 10}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    for (action, status) in [
        ("submit", "approved"),
        ("send", "sent"),
        ("accept", "accepted"),
    ] {
        assert_eq!(act(&t, &rep, &r.body, action).await.body["status"], status);
    }
    let o = t.get(&format!("/api/v1/opportunities/{opp}"), &rep).await;
    assert_eq!(o.body["opportunity"]["stage"], "negotiation");
}

#[tokio::test]
async fn prc_3_quotes_stay_in_scope_and_the_gate_is_checked_again_when_sending() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let north = t.login("rep.north").await;
    let manager = t.login("manager.east").await;
    let director = t.login("director").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let q = quote(&t, &rep, zhongshan, us, None).await;
    assert_eq!(
        t.get(&format!("/api/v1/quotes/{}", q["id"]), &north)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let theirs = t.get("/api/v1/quotes", &north).await;
    assert!(
        theirs.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["id"] != q["id"])
    );
    let r = t
        .post(
            "/api/v1/quotes",
            &north,
            json!({"institution_id": zhongshan, "valid_until": days_from_today(30),
                   "lines": [{"product_id": us, "quantity": 1}]}),
        )
        .await;
    assert!(r.field("institution_id").is_some());
    assert_eq!(
        act(&t, &north, &q, "submit").await.status,
        StatusCode::NOT_FOUND
    );
    // A north quote at 3 % off waits for someone with the north in scope: not manager.east.
    let xiehe = institution_id(&t, &north, "bjxhyy").await;
    let nq = quote(&t, &north, xiehe, us, Some("1338600")).await;
    act(&t, &north, &nq, "submit").await;
    let approval = pending(&t, &north, &nq).await;
    assert_eq!(
        decide(&t, &manager, &approval, true).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        decide(&t, &director, &approval, true).await.status,
        StatusCode::OK
    );
    // The certificate expires between drafting and sending: the send is refused.
    act(&t, &rep, &q, "submit").await;
    t.raw_sql(&format!(
        "UPDATE documents SET valid_to = '{}' WHERE product_id = {us}",
        days_from_today(-1)
    ))
    .await
    .unwrap();
    let r = act(&t, &rep, &q, "send").await;
    assert_eq!(r.code(), "not_sellable");
    assert!(
        r.field("lines")
            .unwrap()
            .contains(&format!("expired on {}", days_from_today(-1)))
    );
}

#[tokio::test]
async fn prc_3_the_quote_sheet_exports_lines_and_total_within_scope() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let north = t.login("rep.north").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let q = quote(&t, &rep, zhongshan, us, Some("1311000")).await;
    let path = format!("/api/v1/quotes/{}/sheet.xlsx", q["id"]);
    let (status, content_type, bytes) = t.fetch(&path, &rep).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.contains("spreadsheetml"));
    let table = medcrm_app::imports::parse_table(&bytes, None).unwrap();
    assert_eq!(table.headers[2], "产品名称");
    assert_eq!(table.rows[0].cells[7], "1,311,000.00");
    assert_eq!(table.rows[1].cells[1], "合计");
    assert_eq!(table.rows[1].cells[8], "1,311,000.00");
    assert_eq!(t.fetch(&path, &north).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn prc_2_routing_by_depth_is_configurable_by_the_director() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let manager = t.login("manager.east").await;
    let director = t.login("director").await;
    let path = "/api/v1/settings/approval-levels";
    assert_eq!(
        t.get(path, &rep).await.body,
        json!({"manager_max_bp": 500, "director_max_bp": 1500})
    );
    let wider = json!({"manager_max_bp": 1500, "director_max_bp": 2500});
    assert_eq!(
        t.put(path, &rep, wider.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let r = t
        .put(
            path,
            &director,
            json!({"manager_max_bp": 900, "director_max_bp": 800}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.put(path, &director, wider).await.status, StatusCode::OK);
    // 12 % is now within a manager's reach.
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let ruijin = institution_id(&t, &rep, "shjtdxyxyfsrjyy").await;
    let q = quote(&t, &rep, ruijin, us, Some("1214400")).await;
    act(&t, &rep, &q, "submit").await;
    let approval = pending(&t, &rep, &q).await;
    assert_eq!(approval["level"], "manager");
    assert_eq!(
        decide(&t, &manager, &approval, true).await.body["status"],
        "approved"
    );
}

#[tokio::test]
async fn prc_1_a_region_and_grade_price_beats_the_company_list() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let north = t.login("rep.north").await;
    let finance = t.login("finance").await;
    let director = t.login("director").await;
    let admin = t.login("admin").await;
    let tni = product_id(&t, &rep, "LJ-TNI-100").await;
    let east = t.region_id(&admin, "EAST").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let grade = t
        .get(&format!("/api/v1/institutions/{zhongshan}"), &rep)
        .await
        .body["institution"]["grade"]
        .as_str()
        .unwrap()
        .to_owned();
    let proposed = t
        .post(
            "/api/v1/prices",
            &finance,
            json!({"product_id": tni, "region_id": east, "grade": grade, "price": "3300",
                   "effective_from": days_from_today(0), "reason": "华东集采中标价"}),
        )
        .await;
    assert_eq!(proposed.status, StatusCode::CREATED, "{:?}", proposed.body);
    decide(&t, &director, &proposed.body["approval"], true).await;
    // Shanghai is under East: the East price; Beijing keeps the company list price.
    assert_eq!(
        quote(&t, &rep, zhongshan, tni, None).await["total"],
        "3,300.00"
    );
    let xiehe = institution_id(&t, &north, "bjxhyy").await;
    assert_eq!(
        quote(&t, &north, xiehe, tni, None).await["total"],
        "3,600.00"
    );
}

fn kinds(notifications: &Value) -> Vec<String> {
    notifications["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn sys_2_prc_2_approvers_are_told_of_requests_and_requesters_of_decisions() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let north = t.login("rep.north").await;
    let manager = t.login("manager.east").await;
    let director = t.login("director").await;
    let tni = product_id(&t, &rep, "LJ-TNI-100").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let xiehe = institution_id(&t, &north, "bjxhyy").await;
    let before_manager = kinds(
        &t.get("/api/v1/notifications?limit=200", &manager)
            .await
            .body,
    );
    let before_director = kinds(
        &t.get("/api/v1/notifications?limit=200", &director)
            .await
            .body,
    );
    let count = |k: &[String], kind: &str| k.iter().filter(|x| *x == kind).count();
    // East: the region's manager is told; the north has no manager, so the director is.
    let q = quote(&t, &rep, zhongshan, tni, Some("3492")).await;
    act(&t, &rep, &q, "submit").await;
    let nq = quote(&t, &north, xiehe, tni, Some("3492")).await;
    act(&t, &north, &nq, "submit").await;
    let m = kinds(
        &t.get("/api/v1/notifications?limit=200", &manager)
            .await
            .body,
    );
    assert_eq!(
        count(&m, "approval_requested"),
        count(&before_manager, "approval_requested") + 1
    );
    let d = kinds(
        &t.get("/api/v1/notifications?limit=200", &director)
            .await
            .body,
    );
    assert_eq!(
        count(&d, "approval_requested"),
        count(&before_director, "approval_requested") + 1
    );
    let decided = decide(&t, &manager, &pending(&t, &rep, &q).await, true).await;
    assert_eq!(decided.status, StatusCode::OK, "{:?}", decided.body);
    let r = kinds(&t.get("/api/v1/notifications?limit=200", &rep).await.body);
    assert!(r.contains(&"approval_decided".to_owned()));
}
