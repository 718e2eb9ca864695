//! Contract pages (CON-1…6): the ledger, the new-contract form that keeps bad input, the
//! contract page with the actions its state allows, and the legal review queue.

use medcrm_testkit::{TestApp, spawn_app};
use reqwest::StatusCode;

use crate::contracts::signed_contract;
use crate::products::{days_from_today, institution_id, product_id};

async fn ids(t: &TestApp) -> (i64, i64) {
    let rep = t.login("rep.east").await;
    let us = product_id(t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(t, &rep, "fddxfszsyy").await;
    (zhongshan, us)
}

#[tokio::test]
async fn con_1_the_new_contract_form_keeps_bad_input_and_submits_to_legal_review() {
    let t = spawn_app().await;
    let (zhongshan, us) = ids(&t).await;
    let (customer, product) = (zhongshan.to_string(), us.to_string());
    let mut b = t.browser();
    b.sign_in("rep.east").await;
    let form = b.get("/contracts/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"delivery_place\""));
    let date = days_from_today(30);
    let mut fields = vec![
        ("institution_id", customer.as_str()),
        ("title", "超声设备采购合同"),
        ("delivery_date", date.as_str()),
        ("delivery_place", "上海市徐汇区枫林路180号"),
        ("quality_standard", "符合国家标准"),
        ("payment_terms", "验收后60天付清"),
        ("payment_days", "sixty"),
        ("after_sales_terms", "保修24个月"),
        ("warranty_months", "24"),
        ("line_no", ""),
        ("product_id", product.as_str()),
        ("spec_model", ""),
        ("quantity", "1"),
        ("unit_price", "1380000"),
    ];
    let refused = b.post("/contracts", &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("超声设备采购合同"), "kept as typed");
    assert!(refused.body.contains("fielderror"));
    fields[6] = ("payment_days", "60");
    let created = b.post("/contracts", &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let path = created.location.unwrap();
    let page = b.get(&path).await;
    assert!(page.body.contains("超声设备采购合同"));
    assert!(page.body.contains("id=\"action-submit\""));
    assert!(
        !page.body.contains("id=\"action-terminate\""),
        "not a rep's"
    );
    let submitted = b.post(&format!("{path}/submit"), &[]).await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER);
    let in_review = b.get(&path).await;
    assert!(in_review.body.contains("id=\"action-sign\""));
    assert!(!in_review.body.contains("id=\"action-submit\""));
    let early = b
        .post(
            &format!("{path}/sign"),
            &[("signed_on", days_from_today(0).as_str())],
        )
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early.body.contains("action-error"));
    // The ledger lists it with its amounts, and offers the export with the same filters.
    let ledger = b.get("/contracts?q=fddxfszsyy").await;
    assert!(ledger.body.contains("超声设备采购合同"));
    assert!(
        ledger
            .body
            .contains("/api/v1/exports/contracts.xlsx?q=fddxfszsyy")
    );
}

#[tokio::test]
async fn con_2_legal_returns_a_contract_from_the_queue_with_a_comment() {
    let t = spawn_app().await;
    let (zhongshan, us) = ids(&t).await;
    let rep = t.login("rep.east").await;
    let body = crate::contracts::complete_contract(zhongshan, us, 1, "1380000");
    let created = t.post("/api/v1/contracts", &rep, body).await;
    let id = created.body["id"].as_i64().unwrap();
    let submitted = t
        .post(
            &format!("/api/v1/contracts/{id}/submit"),
            &rep,
            serde_json::json!({}),
        )
        .await;
    let review = submitted.body["reviews"][0]["id"].as_i64().unwrap();
    let mut rep_b = t.browser();
    rep_b.sign_in("rep.east").await;
    assert_eq!(
        rep_b.get("/contract-reviews").await.status,
        StatusCode::FORBIDDEN
    );
    let home = rep_b.get("/").await;
    assert!(home.body.contains("href=\"/contracts\""));
    assert!(!home.body.contains("href=\"/contract-reviews\""));
    let mut b = t.browser();
    b.sign_in("legal").await;
    let queue = b.get("/contract-reviews").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(
        queue
            .body
            .contains(&format!("/contract-reviews/{review}/decide"))
    );
    let decide = format!("/contract-reviews/{review}/decide");
    let bare = b
        .post(&decide, &[("decision", "return"), ("comment", "")])
        .await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bare.body.contains("id=\"refused\""));
    let returned = b
        .post(
            &decide,
            &[("decision", "return"), ("comment", "第七条违约责任需明确")],
        )
        .await;
    assert_eq!(
        returned.location.as_deref(),
        Some("/contract-reviews?decided=1")
    );
    let page = rep_b.get(&format!("/contracts/{id}")).await;
    assert!(
        page.body.contains("第七条违约责任需明确"),
        "the comment shows"
    );
    assert!(page.body.contains("id=\"action-submit\""), "back to draft");
}

#[tokio::test]
async fn con_3_the_contract_page_offers_what_the_state_and_role_allow() {
    let t = spawn_app().await;
    let (zhongshan, us) = ids(&t).await;
    let rep = t.login("rep.east").await;
    let k = signed_contract(&t, &rep, zhongshan, us, 2, "1000").await;
    let path = format!("/contracts/{}", k["id"]);
    let mut b = t.browser();
    b.sign_in("rep.east").await;
    let page = b.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"action-amend\""));
    assert!(
        page.body
            .contains(&format!("/orders/new?contract_id={}", k["id"]))
    );
    assert!(!page.body.contains("id=\"action-complete\""));
    let no_reason = b.post(&format!("{path}/amend"), &[("reason", "")]).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let amended = b
        .post(&format!("{path}/amend"), &[("reason", "客户追加一台")])
        .await;
    assert_eq!(amended.location, Some(format!("{path}/edit")));
    let edit = b.get(&format!("{path}/edit")).await;
    assert!(edit.body.contains("name=\"line_no\" value=\"1\""));
    let changed = b.get(&path).await;
    assert!(changed.body.contains("客户追加一台"));
    assert!(
        changed.body.contains("v1 → v2"),
        "versions with a diff link"
    );
    let problem = b
        .post(&format!("{path}/problems"), &[("description", "到货延迟")])
        .await;
    assert_eq!(problem.status, StatusCode::SEE_OTHER);
    assert!(b.get(&path).await.body.contains("到货延迟"));
    let print = b.get(&format!("{path}/print")).await;
    assert!(print.body.contains("购销合同") && print.body.contains("瑞康医疗器械有限公司"));
    let mut m = t.browser();
    m.sign_in("manager.east").await;
    let theirs = m.get(&path).await;
    assert!(theirs.body.contains("id=\"action-terminate\""));
    let ended = m
        .post(&format!("{path}/terminate"), &[("reason", "客户取消采购")])
        .await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    let closed = m.get(&path).await;
    assert!(closed.body.contains("客户取消采购"));
    assert!(!closed.body.contains("id=\"action-terminate\""));
    let mut north = t.browser();
    north.sign_in("rep.north").await;
    assert_eq!(north.get(&path).await.status, StatusCode::NOT_FOUND);
    let report = m.get("/contracts/fulfilment").await;
    assert_eq!(report.status, StatusCode::OK);
    assert!(report.body.contains("id=\"fulfilment\""));
}

#[tokio::test]
async fn con_6_finance_sets_credit_on_the_customer_page() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let ruijin = institution_id(&t, &rep, "shjtdxyxyfsrjyy").await;
    let page = format!("/customers/{ruijin}");
    let mut r = t.browser();
    r.sign_in("rep.east").await;
    let seen = r.get(&page).await;
    assert!(
        seen.body.contains("id=\"credit-rating\""),
        "the rep reads it"
    );
    assert!(
        !seen.body.contains("id=\"action-credit\""),
        "but cannot set it"
    );
    let mut b = t.browser();
    b.sign_in("finance").await;
    let shown = b.get(&page).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("id=\"action-credit\""));
    let post = format!("/customers/{ruijin}/credit");
    let bad = b
        .post(&post, &[("rating", "A"), ("limit", "-5"), ("note", "")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("fielderror"));
    let ok = b
        .post(
            &post,
            &[("rating", "A"), ("limit", "3000000"), ("note", "年度复评")],
        )
        .await;
    assert_eq!(ok.location, Some(format!("/customers/{ruijin}#credit")));
    assert!(b.get(&page).await.body.contains("3,000,000.00"));
}
