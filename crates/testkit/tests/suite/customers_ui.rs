//! Customer pages: what a rep and a manager see and do in the browser (CUS-1, 4, 5; scope).

use medcrm_testkit::spawn_app;
use reqwest::StatusCode;

/// The id in a `/customers/{id}` link on `html` for the customer called `name`.
fn link_to(html: &str, name: &str) -> Option<String> {
    let end = html.find(&format!("\">{name}</a>"))?;
    let start = html[..end].rfind("/customers/")? + "/customers/".len();
    Some(html[start..end].to_owned())
}

#[tokio::test]
async fn cus_1_rep_lists_searches_and_files_a_customer_in_chinese() {
    let t = spawn_app().await;
    let mut b = t.browser();
    b.sign_in("rep.east").await;
    let home = b.get("/").await;
    assert!(
        home.body.contains("待拜访客户"),
        "the rep's home shows visits due"
    );
    let list = b.get("/customers").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("复旦大学附属中山医院"));
    assert!(
        !list.body.contains("北京协和医院"),
        "another rep's customer never shows"
    );
    let found = b.get("/customers?q=fddx").await;
    assert!(found.body.contains("复旦大学附属中山医院"));
    assert!(!found.body.contains("上海市第六人民医院"));
    b.get("/customers/new").await;
    let refused = b
        .post(
            "/customers",
            &[
                ("name", "上海市胸科医院"),
                ("kind", "hospital"),
                ("level", "3A"),
                ("province", "上海"),
                ("city", "上海市"),
                ("beds", "many"),
                ("scale_score", "4"),
                ("demand_score", "4"),
                ("willingness_score", "3"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("fielderror"));
    assert!(
        refused.body.contains("上海市胸科医院"),
        "the form keeps what was typed"
    );
    let created = b
        .post(
            "/customers",
            &[
                ("name", "上海市胸科医院"),
                ("kind", "hospital"),
                ("level", "3A"),
                ("province", "上海"),
                ("city", "上海市"),
                ("beds", "600"),
                ("scale_score", "4"),
                ("demand_score", "4"),
                ("willingness_score", "3"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let page = b.get(created.location.as_deref().unwrap()).await;
    assert!(page.body.contains("上海市胸科医院"));
    assert!(page.body.contains("信息完整度"));
}

#[tokio::test]
async fn cus_5_rep_logs_a_visit_and_the_future_is_refused() {
    // CUS-5: a visit is logged with its contacts, purpose, outcome and next step.
    let t = spawn_app().await;
    let mut b = t.browser();
    b.sign_in("rep.east").await;
    let list = b.get("/customers").await;
    let id = link_to(&list.body, "上海交通大学医学院附属瑞金医院").unwrap();
    let page = b.get(&format!("/customers/{id}")).await;
    assert!(
        page.body.contains("检验科化学发光试剂"),
        "the customer's deals are listed"
    );
    let future = b
        .post(
            &format!("/customers/{id}/visits"),
            &[
                ("kind", "done"),
                ("date", "2099-01-01"),
                ("purpose", "回访"),
            ],
        )
        .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(future.body.contains("future"));
    let today = medcrm_app::customers::today().to_string();
    let logged = b
        .post(
            &format!("/customers/{id}/visits"),
            &[
                ("kind", "done"),
                ("date", &today),
                ("purpose", "季度回访"),
                ("outcome", "确认预算"),
                ("effective", "on"),
            ],
        )
        .await;
    assert_eq!(logged.status, StatusCode::SEE_OTHER);
    let page = b.get(&format!("/customers/{id}")).await;
    assert!(page.body.contains("季度回访"));
    assert!(page.body.contains(&format!("上次拜访 {today}")));
}

#[tokio::test]
async fn cus_scope_pages_of_another_reps_customer_are_not_found() {
    let t = spawn_app().await;
    let mut east = t.browser();
    east.sign_in("rep.east").await;
    let list = east.get("/customers").await;
    let id = link_to(&list.body, "复旦大学附属中山医院").unwrap();
    let mut north = t.browser();
    north.sign_in("rep.north").await;
    assert_eq!(
        north.get(&format!("/customers/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    north.get("/customers").await;
    let post = north
        .post(
            &format!("/customers/{id}/departments"),
            &[("name", "心内科")],
        )
        .await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);
    // A warehouse clerk has no customers menu and no customers page.
    let mut wh = t.browser();
    wh.sign_in("warehouse").await;
    assert!(!wh.get("/").await.body.contains("href=\"/customers\""));
    assert_eq!(wh.get("/customers").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn cus_3_manager_overrides_a_grade_from_the_page() {
    let t = spawn_app().await;
    let mut b = t.browser();
    b.sign_in("manager.east").await;
    let list = b.get("/customers").await;
    let id = link_to(&list.body, "上海市第六人民医院").unwrap();
    let page = b.get(&format!("/customers/{id}")).await;
    assert!(page.body.contains("调整分级"));
    let r = b
        .post(
            &format!("/customers/{id}/classification"),
            &[
                ("grade", "A"),
                ("category", "key"),
                ("reason", "新院区开业，采购量大"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = b.get(&format!("/customers/{id}")).await;
    assert!(page.body.contains("新院区开业，采购量大"));
    assert!(page.body.contains("人工调整"));
}

#[tokio::test]
async fn cus_3_director_changes_the_grading_rule_on_its_page() {
    let t = spawn_app().await;
    let mut rep = t.browser();
    rep.sign_in("rep.east").await;
    assert_eq!(
        rep.get("/customers/rules").await.status,
        StatusCode::FORBIDDEN
    );
    let mut b = t.browser();
    b.sign_in("director").await;
    let page = b.get("/customers/rules").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("客户分级规则"));
    let bad = b
        .post(
            "/customers/rules",
            &[
                ("scale_weight", "4294967295"),
                ("demand_weight", "4294967295"),
                ("willingness_weight", "20"),
                ("a_from", "400"),
                ("b_from", "280"),
                ("a_months", "1"),
                ("b_months", "2"),
                ("c_months", "3"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("100"));
    // Everything A needs a perfect 5.0: the demo's A customers drop to B.
    let saved = b
        .post(
            "/customers/rules",
            &[
                ("scale_weight", "40"),
                ("demand_weight", "40"),
                ("willingness_weight", "20"),
                ("a_from", "500"),
                ("b_from", "280"),
                ("a_months", "1"),
                ("b_months", "2"),
                ("c_months", "3"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let location = saved.location.unwrap();
    let regraded: u64 = location.rsplit('=').next().unwrap().parse().unwrap();
    assert!(regraded > 0, "{location}");
    let director = t.login("director").await;
    let r = t.get("/api/v1/customer-rules", &director).await;
    assert_eq!(r.body["a_from"], 500);
}
