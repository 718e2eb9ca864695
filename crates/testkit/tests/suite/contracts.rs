//! CON: contracts with their terms, legal review, credit and the ledger states.

use medcrm_testkit::{Reply, TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::products::{days_from_today, institution_id, product_id};

/// A contract body with every CON-1 term stated.
pub fn complete_contract(institution: i64, product: i64, quantity: i64, unit_price: &str) -> Value {
    json!({
        "institution_id": institution,
        "title": "设备采购合同",
        "delivery_date": days_from_today(30),
        "delivery_place": "上海市徐汇区枫林路180号 设备科库房",
        "quality_standard": "符合国家标准及产品注册技术要求",
        "payment_terms": "验收合格后 60 天内付清",
        "payment_days": 60,
        "after_sales_terms": "整机保修 24 个月，4 小时响应",
        "warranty_months": 24,
        "lines": [{"product_id": product, "quantity": quantity, "unit_price": unit_price}]
    })
}

/// Approves every pending review of `contract` as the role that decides it.
pub async fn approve_reviews(t: &TestApp, contract: &Value) -> Value {
    let mut last = contract.clone();
    for review in contract["reviews"].as_array().unwrap() {
        if review["status"] != "pending" {
            continue;
        }
        let who = if review["kind"] == "legal" {
            "legal"
        } else {
            "finance"
        };
        let token = t.login(who).await;
        let r = decide(t, &token, review["id"].as_i64().unwrap(), true, "").await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        last = r.body;
    }
    last
}

async fn decide(t: &TestApp, token: &str, review: i64, approve: bool, comment: &str) -> Reply {
    t.post(
        &format!("/api/v1/contract-reviews/{review}/decision"),
        token,
        json!({"approve": approve, "comment": comment}),
    )
    .await
}

async fn act(t: &TestApp, token: &str, contract: &Value, action: &str, body: Value) -> Reply {
    t.post(
        &format!("/api/v1/contracts/{}/{action}", contract["id"]),
        token,
        body,
    )
    .await
}

/// A signed contract of `quantity` × `product` for `institution`: created and submitted by
/// the rep, approved by legal (and finance when credit asks), signed today.
pub async fn signed_contract(
    t: &TestApp,
    rep_token: &str,
    institution: i64,
    product: i64,
    quantity: i64,
    unit_price: &str,
) -> Value {
    let body = complete_contract(institution, product, quantity, unit_price);
    let created = t.post("/api/v1/contracts", rep_token, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let submitted = act(t, rep_token, &created.body, "submit", json!({})).await;
    assert_eq!(submitted.status, StatusCode::OK, "{:?}", submitted.body);
    approve_reviews(t, &submitted.body).await;
    let signed = act(
        t,
        rep_token,
        &created.body,
        "sign",
        json!({"signed_on": days_from_today(0)}),
    )
    .await;
    assert_eq!(signed.status, StatusCode::OK, "{:?}", signed.body);
    assert_eq!(signed.body["status"], "signed");
    signed.body
}

#[tokio::test]
async fn con_1_a_contract_without_delivery_place_cannot_go_to_review() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let mut body = complete_contract(zhongshan, us, 1, "1380000");
    body["delivery_place"] = json!("");
    let draft = t.post("/api/v1/contracts", &rep, body.clone()).await;
    assert_eq!(
        draft.status,
        StatusCode::CREATED,
        "a draft may be incomplete"
    );
    assert!(draft.body["number"].as_str().unwrap().starts_with("HT-"));
    let r = act(&t, &rep, &draft.body, "submit", json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "terms_missing");
    assert!(r.field("delivery_place").is_some(), "{:?}", r.body);
    let still = t
        .get(&format!("/api/v1/contracts/{}", draft.body["id"]), &rep)
        .await;
    assert_eq!(still.body["status"], "draft");
    assert!(still.body["reviews"].as_array().unwrap().is_empty());
    // Stated, it goes.
    body["delivery_place"] = json!("上海市徐汇区枫林路180号");
    let put = t
        .put(
            &format!("/api/v1/contracts/{}", draft.body["id"]),
            &rep,
            body,
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(put.body["total"], "1,380,000.00");
    let r = act(&t, &rep, &draft.body, "submit", json!({})).await;
    assert_eq!(r.body["status"], "in_review", "{:?}", r.body);
    let editing = t
        .put(
            &format!("/api/v1/contracts/{}", draft.body["id"]),
            &rep,
            complete_contract(zhongshan, us, 2, "1380000"),
        )
        .await;
    assert_eq!(editing.status, StatusCode::CONFLICT, "no edits in review");
}

#[tokio::test]
async fn con_2_legal_review_comes_before_signing_and_a_rep_cannot_sign_it_off() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let legal = t.login("legal").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let created = t
        .post(
            "/api/v1/contracts",
            &rep,
            complete_contract(zhongshan, us, 1, "1380000"),
        )
        .await;
    let submitted = act(&t, &rep, &created.body, "submit", json!({})).await;
    let review = submitted.body["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "legal")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        decide(&t, &rep, review, true, "").await.status,
        StatusCode::FORBIDDEN,
        "a rep cannot sign off legal review"
    );
    let early = act(
        &t,
        &rep,
        &created.body,
        "sign",
        json!({"signed_on": days_from_today(0)}),
    )
    .await;
    assert_eq!(early.code(), "review_pending");
    let queue = t.get("/api/v1/contract-reviews", &legal).await;
    assert!(
        queue
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["review"]["id"] == review)
    );
    assert_eq!(
        t.get("/api/v1/contract-reviews", &rep).await.status,
        StatusCode::FORBIDDEN
    );
    let no_comment = decide(&t, &legal, review, false, "").await;
    assert!(
        no_comment.field("comment").is_some(),
        "returning needs comments"
    );
    let returned = decide(&t, &legal, review, false, "第七条违约责任需明确").await;
    assert_eq!(returned.body["status"], "draft");
    assert_eq!(
        returned.body["reviews"][0]["comment"],
        "第七条违约责任需明确"
    );
    assert_eq!(
        decide(&t, &legal, review, true, "").await.status,
        StatusCode::CONFLICT,
        "decided once"
    );
    let told = t.get("/api/v1/notifications", &rep).await;
    assert_eq!(
        told.body["items"][0]["kind"], "contract_review_decided",
        "SYS-2"
    );
    // Resubmitted and approved, it can be signed; the future is not a signing date.
    let again = act(&t, &rep, &created.body, "submit", json!({})).await;
    approve_reviews(&t, &again.body).await;
    let future = act(
        &t,
        &rep,
        &created.body,
        "sign",
        json!({"signed_on": days_from_today(1)}),
    )
    .await;
    assert!(future.field("signed_on").is_some());
    let signed = act(
        &t,
        &rep,
        &created.body,
        "sign",
        json!({"signed_on": days_from_today(0)}),
    )
    .await;
    assert_eq!(signed.status, StatusCode::OK, "{:?}", signed.body);
    assert_eq!(signed.body["status"], "signed");
    assert_eq!(signed.body["effective_version"], 1);
}

#[tokio::test]
async fn con_2_two_lawyers_deciding_at_once_make_one_decision() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let legal = t.login("legal").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let created = t
        .post(
            "/api/v1/contracts",
            &rep,
            complete_contract(zhongshan, us, 1, "1380000"),
        )
        .await;
    let submitted = act(&t, &rep, &created.body, "submit", json!({})).await;
    let review = submitted.body["reviews"][0]["id"].as_i64().unwrap();
    let (a, b) = tokio::join!(
        decide(&t, &legal, review, true, ""),
        decide(&t, &legal, review, false, "退回修改")
    );
    let mut codes = [a.status, b.status];
    codes.sort();
    assert_eq!(codes, [StatusCode::OK, StatusCode::CONFLICT]);
}

#[tokio::test]
async fn con_6_an_over_limit_contract_waits_for_finance() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let finance = t.login("finance").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let credit = format!("/api/v1/customers/{zhongshan}/credit");
    let limit = json!({"rating": "A", "limit": "2000000", "note": "年度评估"});
    assert_eq!(
        t.put(&credit, &rep, limit.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let bad = t
        .put(&credit, &finance, json!({"rating": "Z", "limit": "-1"}))
        .await;
    assert!(bad.field("rating").is_some() && bad.field("limit").is_some());
    assert_eq!(t.put(&credit, &finance, limit).await.status, StatusCode::OK);
    assert_eq!(t.get(&credit, &rep).await.body["limit"], "2,000,000.00");
    // Within the limit: legal only.
    let small = t
        .post(
            "/api/v1/contracts",
            &rep,
            complete_contract(zhongshan, us, 1, "1380000"),
        )
        .await;
    let small = act(&t, &rep, &small.body, "submit", json!({})).await;
    let kinds: Vec<&Value> = small.body["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["kind"])
        .collect();
    assert_eq!(kinds, [&json!("legal")]);
    // The second pushes exposure to 2,760,000 > 2,000,000: finance must approve.
    let big = t
        .post(
            "/api/v1/contracts",
            &rep,
            complete_contract(zhongshan, us, 1, "1380000"),
        )
        .await;
    let big = act(&t, &rep, &big.body, "submit", json!({})).await;
    let credit_review = big.body["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "credit")
        .expect("a credit review")
        .clone();
    assert_eq!(credit_review["exposure_fen"], 276_000_000);
    assert_eq!(credit_review["limit_fen"], 200_000_000);
    let legal = t.login("legal").await;
    let legal_review = big.body["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "legal")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    decide(&t, &legal, legal_review, true, "").await;
    let waiting = act(
        &t,
        &rep,
        &big.body,
        "sign",
        json!({"signed_on": days_from_today(0)}),
    )
    .await;
    assert_eq!(waiting.code(), "review_pending", "waits for finance");
    assert_eq!(
        decide(&t, &legal, credit_review["id"].as_i64().unwrap(), true, "")
            .await
            .status,
        StatusCode::FORBIDDEN,
        "credit is finance's"
    );
    decide(
        &t,
        &finance,
        credit_review["id"].as_i64().unwrap(),
        true,
        "回款记录良好",
    )
    .await;
    let signed = act(
        &t,
        &rep,
        &big.body,
        "sign",
        json!({"signed_on": days_from_today(0)}),
    )
    .await;
    assert_eq!(signed.body["status"], "signed");
}

#[tokio::test]
async fn con_3_contracts_stay_in_the_reps_scope() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let north = t.login("rep.north").await;
    let legal = t.login("legal").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let k = signed_contract(&t, &rep, zhongshan, us, 1, "1380000").await;
    let path = format!("/api/v1/contracts/{}", k["id"]);
    assert_eq!(t.get(&path, &north).await.status, StatusCode::NOT_FOUND);
    let theirs = t.get("/api/v1/contracts", &north).await;
    assert!(
        theirs.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != k["id"])
    );
    let mine = t
        .get(
            &format!("/api/v1/contracts?q={}", k["number"].as_str().unwrap()),
            &rep,
        )
        .await;
    assert_eq!(mine.body["items"][0]["id"], k["id"]);
    assert_eq!(
        t.get(&path, &legal).await.status,
        StatusCode::OK,
        "legal reads all"
    );
    let mut other = complete_contract(zhongshan, us, 1, "1");
    other["title"] = json!("越权合同");
    let r = t.post("/api/v1/contracts", &north, other).await;
    assert!(
        r.field("institution_id").is_some(),
        "not a customer of rep.north"
    );
    assert_eq!(
        t.post(
            "/api/v1/contracts",
            &legal,
            complete_contract(zhongshan, us, 1, "1")
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let bogus = t.get("/api/v1/contracts?status=bogus", &rep).await;
    assert!(bogus.field("status").is_some());
}

#[tokio::test]
async fn con_1_an_accepted_quote_becomes_a_draft_contract_with_its_lines() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let quotes = t.get("/api/v1/quotes?status=accepted", &rep).await;
    let accepted = &quotes.body["items"][0];
    let quote = t
        .get(&format!("/api/v1/quotes/{}", accepted["id"]), &rep)
        .await;
    let r = t
        .post(
            &format!("/api/v1/quotes/{}/contract", accepted["id"]),
            &rep,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["quote_id"], accepted["id"]);
    assert_eq!(r.body["total_fen"], accepted["total_fen"]);
    assert_eq!(
        r.body["lines"].as_array().unwrap().len(),
        quote.body["lines"].as_array().unwrap().len()
    );
    // The deal moves with it: drafted → contract stage, signed → won (CON-2).
    let opp = format!("/api/v1/opportunities/{}", r.body["opportunity_id"]);
    assert_eq!(
        t.get(&opp, &rep).await.body["opportunity"]["stage"],
        "contract"
    );
    let mut body = complete_contract(0, 0, 0, "0");
    body["institution_id"] = r.body["institution_id"].clone();
    body["quote_id"] = r.body["quote_id"].clone();
    body["opportunity_id"] = r.body["opportunity_id"].clone();
    body["lines"] = json!(r.body["lines"].as_array().unwrap().iter().map(|l| json!({
        "product_id": l["product_id"], "quantity": l["quantity"], "unit_price": l["unit_price"].as_str().unwrap().replace(',', "")
    })).collect::<Vec<_>>());
    let path = format!("/api/v1/contracts/{}", r.body["id"]);
    assert_eq!(t.put(&path, &rep, body).await.status, StatusCode::OK);
    let submitted = act(&t, &rep, &r.body, "submit", json!({})).await;
    approve_reviews(&t, &submitted.body).await;
    act(
        &t,
        &rep,
        &r.body,
        "sign",
        json!({"signed_on": days_from_today(0)}),
    )
    .await;
    assert_eq!(t.get(&opp, &rep).await.body["opportunity"]["stage"], "won");
    let drafts = t.get("/api/v1/quotes?status=draft", &rep).await;
    let draft = &drafts.body["items"][0]["id"];
    let not_yet = t
        .post(&format!("/api/v1/quotes/{draft}/contract"), &rep, json!({}))
        .await;
    assert_eq!(not_yet.status, StatusCode::CONFLICT);
}
