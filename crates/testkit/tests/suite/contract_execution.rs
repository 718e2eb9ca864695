//! CON-3/4/5 after signing: amendments with their history and diff, completion and
//! termination, execution problems and their escalation, the fulfilment rate and the ledger.

use medcrm_app::imports::{Format, parse_table};
use medcrm_testkit::{Reply, TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::contracts::{approve_reviews, complete_contract, signed_contract};
use crate::products::{days_from_today, institution_id, product_id};

async fn act(t: &TestApp, token: &str, id: &Value, action: &str, body: Value) -> Reply {
    t.post(&format!("/api/v1/contracts/{id}/{action}"), token, body)
        .await
}

/// An order of `quantity` of line 1 against the contract, as the orders module writes it.
async fn order(t: &TestApp, contract: &Value, product: i64, quantity: i64) {
    let id = &contract["id"];
    t.raw_sql(&format!(
        "INSERT INTO orders (number, contract_id, institution_id, owner_id, region_id,
            requested_date, status, created_by, created_at_ms)
         SELECT 'DD-T-{id}', id, institution_id, owner_id, region_id, '2026-01-01', 'open',
            owner_id, 0 FROM contracts WHERE id = {id};
         INSERT INTO order_lines (order_id, contract_id, line_no, product_id, quantity,
            unit_price_fen)
         SELECT id, contract_id, 1, {product}, {quantity}, 100 FROM orders
         WHERE number = 'DD-T-{id}';"
    ))
    .await
    .unwrap();
}

/// Everything of the contract shipped on `ship_date`, as the deliveries module records it.
async fn ship_all(t: &TestApp, contract: &Value, product: i64, ship_date: &str) {
    let id = &contract["id"];
    order(t, contract, product, 1).await;
    t.raw_sql(&format!(
        "INSERT INTO deliveries (number, order_id, contract_id, institution_id, owner_id,
            region_id, address, ship_date, manual_provided, label_provided,
            certificate_provided, status, created_by, created_at_ms)
         SELECT 'FH-T-{id}', o.id, o.contract_id, o.institution_id, o.owner_id, o.region_id,
            '库房', '{ship_date}', TRUE, TRUE, TRUE, 'shipped', o.owner_id, 0
         FROM orders o WHERE o.number = 'DD-T-{id}';
         UPDATE contracts SET delivered_fen = total_fen, status = 'in_execution' WHERE id = {id};"
    ))
    .await
    .unwrap();
}

#[tokio::test]
async fn con_3_an_amendment_keeps_a_version_history_with_a_diff_and_takes_force_when_signed() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let k = signed_contract(&t, &rep, zhongshan, us, 2, "1000").await;
    let id = &k["id"];
    let no_reason = act(&t, &rep, id, "amend", json!({"reason": " "})).await;
    assert!(no_reason.field("reason").is_some(), "{:?}", no_reason.body);
    let amended = act(&t, &rep, id, "amend", json!({"reason": "客户追加一台"})).await;
    assert_eq!(amended.status, StatusCode::OK, "{:?}", amended.body);
    assert_eq!(amended.body["status"], "changed");
    assert_eq!(amended.body["version"], 2);
    assert_eq!(amended.body["effective_version"], 1);
    assert_eq!(amended.body["terms"]["change_reason"], "客户追加一台");
    assert_eq!(amended.body["lines"][0]["quantity"], 2, "copied");
    let again = act(&t, &rep, id, "amend", json!({"reason": "再改"})).await;
    assert_eq!(
        again.status,
        StatusCode::CONFLICT,
        "one amendment at a time"
    );
    let mut body = complete_contract(zhongshan, us, 3, "900");
    body["delivery_place"] = json!("上海市徐汇区 新院区库房");
    body["lines"][0]["line_no"] = json!(1);
    let put = t.put(&format!("/api/v1/contracts/{id}"), &rep, body).await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(
        put.body["total_fen"], 200_000,
        "the version in force still counts"
    );
    assert_eq!(put.body["terms"]["change_reason"], "客户追加一台");
    let versions = t
        .get(&format!("/api/v1/contracts/{id}/versions"), &rep)
        .await;
    let versions = versions.body.as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["lines"][0]["quantity"], 2);
    assert_eq!(versions[1]["lines"][0]["quantity"], 3);
    assert_eq!(versions[1]["terms"]["change_reason"], "客户追加一台");
    let diff = t
        .get(&format!("/api/v1/contracts/{id}/diff?from=1&to=2"), &rep)
        .await;
    assert_eq!(diff.status, StatusCode::OK, "{:?}", diff.body);
    let fields: Vec<&str> = diff.body["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["delivery_place"]);
    assert_eq!(diff.body["terms"][0]["new"], "上海市徐汇区 新院区库房");
    let line = &diff.body["lines"][0];
    assert_eq!(line["change"], "changed");
    assert_eq!(
        (&line["old_quantity"], &line["new_quantity"]),
        (&json!(2), &json!(3))
    );
    assert_eq!(line["new_unit_price_fen"], 90_000);
    let unknown = t
        .get(&format!("/api/v1/contracts/{id}/diff?from=1&to=9"), &rep)
        .await;
    assert!(unknown.field("to").is_some());
    let north = t.login("rep.north").await;
    assert_eq!(
        t.get(&format!("/api/v1/contracts/{id}/versions"), &north)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Reviewed and signed, version 2 takes force.
    let submitted = act(&t, &rep, id, "submit", json!({})).await;
    assert_eq!(
        submitted.body["status"], "in_review",
        "{:?}",
        submitted.body
    );
    approve_reviews(&t, &submitted.body).await;
    let signed = act(
        &t,
        &rep,
        id,
        "sign",
        json!({"signed_on": days_from_today(0)}),
    )
    .await;
    assert_eq!(signed.status, StatusCode::OK, "{:?}", signed.body);
    assert_eq!(signed.body["status"], "signed");
    assert_eq!(signed.body["effective_version"], 2);
    assert_eq!(signed.body["total_fen"], 270_000);
}

#[tokio::test]
async fn con_3_an_amendment_cannot_go_below_what_was_ordered() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let probe = product_id(&t, &rep, "RK-DES-30").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let k = signed_contract(&t, &rep, zhongshan, us, 5, "1000").await;
    let id = &k["id"];
    order(&t, &k, us, 3).await;
    act(&t, &rep, id, "amend", json!({"reason": "减少数量"})).await;
    let path = format!("/api/v1/contracts/{id}");
    let mut body = complete_contract(zhongshan, us, 2, "1000");
    body["lines"][0]["line_no"] = json!(1);
    let r = t.put(&path, &rep, body.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.code(), "below_ordered");
    assert!(r.field("lines").is_some());
    let dropped = t
        .put(&path, &rep, complete_contract(zhongshan, probe, 9, "10"))
        .await;
    assert_eq!(dropped.code(), "below_ordered", "an ordered line stays");
    let kept = t.get(&path, &rep).await;
    assert_eq!(kept.body["lines"][0]["quantity"], 5, "nothing written");
    body["lines"][0]["quantity"] = json!(3);
    body["lines"]
        .as_array_mut()
        .unwrap()
        .push(json!({"product_id": probe, "quantity": 1, "unit_price": "10"}));
    let ok = t.put(&path, &rep, body).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    let numbers: Vec<&Value> = ok.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["line_no"])
        .collect();
    assert_eq!(numbers, [&json!(1), &json!(2)]);
}

#[tokio::test]
async fn con_3_terminating_needs_a_manager_and_a_reason() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let manager = t.login("manager.east").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let created = t
        .post(
            "/api/v1/contracts",
            &rep,
            complete_contract(zhongshan, us, 1, "1000"),
        )
        .await;
    let id = &created.body["id"];
    act(&t, &rep, id, "submit", json!({})).await;
    let reason = json!({"reason": "客户预算取消"});
    let by_rep = act(&t, &rep, id, "terminate", reason.clone()).await;
    assert_eq!(by_rep.status, StatusCode::FORBIDDEN);
    let bare = act(&t, &manager, id, "terminate", json!({"reason": ""})).await;
    assert!(bare.field("reason").is_some(), "{:?}", bare.body);
    let done = act(&t, &manager, id, "terminate", reason.clone()).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["status"], "terminated");
    assert_eq!(done.body["closed_reason"], "客户预算取消");
    assert!(
        done.body["reviews"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "withdrawn"),
        "the open reviews close"
    );
    let twice = act(&t, &manager, id, "terminate", reason).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let north_manager = t.login("rep.north").await;
    assert_eq!(
        act(&t, &north_manager, id, "amend", json!({"reason": "越权"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn con_3_completion_is_refused_until_everything_is_delivered() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let manager = t.login("manager.east").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let k = signed_contract(&t, &rep, zhongshan, us, 1, "1000").await;
    let id = &k["id"];
    assert_eq!(
        act(&t, &rep, id, "complete", json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    let early = act(&t, &manager, id, "complete", json!({})).await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert!(
        early.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not fully delivered")),
        "{:?}",
        early.body
    );
    ship_all(&t, &k, us, &days_from_today(0)).await;
    let done = act(&t, &manager, id, "complete", json!({})).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["status"], "completed");
}

#[tokio::test]
async fn con_4_an_open_problem_escalates_once_and_a_resolved_one_never() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let manager = t.login("manager.east").await;
    let director = t.login("director").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let draft = t
        .post(
            "/api/v1/contracts",
            &rep,
            complete_contract(zhongshan, us, 1, "1000"),
        )
        .await;
    let problem = json!({"description": "到货延迟，客户催促"});
    let on_draft = act(&t, &rep, &draft.body["id"], "problems", problem.clone()).await;
    assert_eq!(on_draft.status, StatusCode::CONFLICT);
    let k = signed_contract(&t, &rep, zhongshan, us, 1, "1000").await;
    let id = &k["id"];
    let open = act(&t, &rep, id, "problems", problem).await;
    assert_eq!(open.status, StatusCode::CREATED, "{:?}", open.body);
    let fixed = act(
        &t,
        &rep,
        id,
        "problems",
        json!({"description": "发票抬头错误"}),
    )
    .await;
    let resolve = format!("problems/{}/resolve", fixed.body["id"]);
    let bare = act(&t, &rep, id, &resolve, json!({"resolution": ""})).await;
    assert!(bare.field("resolution").is_some());
    let resolved = act(&t, &rep, id, &resolve, json!({"resolution": "已重开发票"})).await;
    assert_eq!(resolved.body["status"], "resolved", "{:?}", resolved.body);
    assert_eq!(
        act(&t, &rep, id, &resolve, json!({"resolution": "再次"}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    // Fresh problems wait the default three days.
    let settings = t.get("/api/v1/settings/contract-problems", &rep).await;
    assert_eq!(settings.body["problem_escalation_days"], 3);
    t.app.escalate_contract_problems().await.unwrap();
    let now = json!({"problem_escalation_days": 0});
    assert_eq!(
        t.put("/api/v1/settings/contract-problems", &rep, now.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let bad = json!({"problem_escalation_days": 365});
    let r = t
        .put("/api/v1/settings/contract-problems", &director, bad)
        .await;
    assert!(r.field("problem_escalation_days").is_some());
    let r = t
        .put("/api/v1/settings/contract-problems", &director, now)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(t.app.escalate_contract_problems().await.unwrap() >= 1);
    t.app.escalate_contract_problems().await.unwrap();
    let problems = t
        .get(&format!("/api/v1/contracts/{id}/problems"), &rep)
        .await;
    let by_id = |pid: &Value| {
        problems
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == *pid)
            .unwrap()
            .clone()
    };
    assert!(by_id(&open.body["id"])["escalated_at"].is_string());
    assert!(by_id(&fixed.body["id"])["escalated_at"].is_null());
    for token in [&manager, &director] {
        let inbox = t.get("/api/v1/notifications?limit=200", token).await;
        let about: Vec<&Value> = inbox.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| {
                n["kind"] == "contract_problem_escalated"
                    && n["link"] == format!("/contracts/{id}#problems")
            })
            .collect();
        assert_eq!(about.len(), 1, "told once: {:?}", inbox.body);
        assert_eq!(about[0]["detail"], "到货延迟，客户催促");
    }
    let north = t.login("rep.north").await;
    assert_eq!(
        t.get(&format!("/api/v1/contracts/{id}/problems"), &north)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// A signed contract due `days` from today.
async fn due_in(t: &TestApp, rep: &str, inst: i64, product: i64, days: i64) -> Value {
    let k = signed_contract(t, rep, inst, product, 1, "1000").await;
    t.raw_sql(&format!(
        "UPDATE contract_versions SET delivery_date = '{}' WHERE contract_id = {}",
        days_from_today(days),
        k["id"]
    ))
    .await
    .unwrap();
    k
}

#[tokio::test]
async fn con_5_fulfilment_rate_per_rep_and_company() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let north = t.login("rep.north").await;
    let manager = t.login("manager.east").await;
    let director = t.login("director").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let xiehe = institution_id(&t, &north, "bjxhyy").await;
    // Due in a period far ahead, which no demo contract touches.
    let on_time = due_in(&t, &rep, zhongshan, us, 500).await;
    ship_all(&t, &on_time, us, &days_from_today(499)).await;
    let late = due_in(&t, &rep, zhongshan, us, 500).await;
    ship_all(&t, &late, us, &days_from_today(505)).await;
    due_in(&t, &rep, zhongshan, us, 501).await;
    let ended = due_in(&t, &rep, zhongshan, us, 502).await;
    let reason = json!({"reason": "双方协商解除"});
    act(&t, &manager, &ended["id"], "terminate", reason).await;
    due_in(&t, &rep, zhongshan, us, 530).await;
    let theirs = due_in(&t, &north, xiehe, us, 500).await;
    ship_all(&t, &theirs, us, &days_from_today(500)).await;
    let path = format!(
        "/api/v1/reports/contract-fulfilment?from={}&to={}",
        days_from_today(490),
        days_from_today(510)
    );
    let all = t.get(&path, &director).await;
    assert_eq!(all.status, StatusCode::OK, "{:?}", all.body);
    let c = &all.body["company"];
    assert_eq!(
        (&c["due"], &c["fulfilled"], &c["on_time"]),
        (&json!(4), &json!(3), &json!(2))
    );
    assert_eq!(
        (&c["rate_bp"], &c["on_time_rate_bp"]),
        (&json!(7500), &json!(5000))
    );
    assert_eq!(all.body["reps"].as_array().unwrap().len(), 2);
    let east = t.get(&path, &rep).await;
    let reps = east.body["reps"].as_array().unwrap();
    assert_eq!(reps.len(), 1, "a rep sees their own");
    assert_eq!(reps[0]["owner_name"], east.body["reps"][0]["owner_name"]);
    assert_eq!(
        (&reps[0]["due"], &reps[0]["fulfilled"], &reps[0]["on_time"]),
        (&json!(3), &json!(2), &json!(1))
    );
    assert_eq!(reps[0]["rate_bp"], 6666);
    assert_eq!(t.get(&path, &manager).await.body["company"]["due"], 3);
    assert_eq!(
        t.get(&path, &north).await.body["company"]["rate_bp"],
        10_000
    );
    let reversed = t
        .get(
            &format!(
                "/api/v1/reports/contract-fulfilment?from={}&to={}",
                days_from_today(10),
                days_from_today(0)
            ),
            &director,
        )
        .await;
    assert!(reversed.field("to").is_some());
}

#[tokio::test]
async fn con_3_the_ledger_and_its_export_keep_to_the_scope() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let north = t.login("rep.north").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let xiehe = institution_id(&t, &north, "bjxhyy").await;
    let east_k = t
        .post(
            "/api/v1/contracts",
            &rep,
            complete_contract(zhongshan, us, 1, "1000"),
        )
        .await;
    let north_k = t
        .post(
            "/api/v1/contracts",
            &north,
            complete_contract(xiehe, us, 1, "1000"),
        )
        .await;
    let (status, _, bytes) = t.fetch("/api/v1/exports/contracts.xlsx", &north).await;
    assert_eq!(status, StatusCode::OK);
    let table = parse_table(&bytes, Some(Format::Xlsx)).unwrap();
    assert_eq!(table.headers[0], "合同编号");
    let numbers: Vec<&str> = table.rows.iter().map(|r| r.cell(0)).collect();
    assert!(numbers.contains(&north_k.body["number"].as_str().unwrap()));
    assert!(!numbers.contains(&east_k.body["number"].as_str().unwrap()));
    let row = table
        .rows
        .iter()
        .find(|r| r.cell(0) == north_k.body["number"])
        .unwrap();
    assert_eq!(row.cell(4), "草稿");
    assert_eq!(row.cell(7), "1,000.00");
    // The same filters as the list.
    let path = "/api/v1/exports/contracts.xlsx?status=signed&lang=en";
    let (_, _, bytes) = t.fetch(path, &north).await;
    let signed = parse_table(&bytes, Some(Format::Xlsx)).unwrap();
    assert_eq!(signed.headers[0], "number");
    assert!(signed.rows.iter().all(|r| r.cell(4) == "signed"));
    let director = t.login("director").await;
    let north_id = t.user_id(&t.login("admin").await, "rep.north").await;
    let theirs = t
        .get(&format!("/api/v1/contracts?owner_id={north_id}"), &director)
        .await;
    let items = theirs.body["items"].as_array().unwrap();
    assert!(!items.is_empty() && items.iter().all(|k| k["owner_id"] == north_id));
    let bad = t
        .fetch("/api/v1/exports/contracts.xlsx?lang=fr", &north)
        .await;
    assert_eq!(bad.0, StatusCode::UNPROCESSABLE_ENTITY);
}
