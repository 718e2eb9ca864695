//! SVC-8/9/10 pages: dispatching from the ranked engineers, the maintenance page (plans, due
//! list with the overdue badge, "generate now"), the engineer evaluation with its export and
//! the review of service records.

use medcrm_testkit::{Browser, TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

use crate::service::{east_device, opened};
use crate::service_ops::evaluated_work;

async fn browser(t: &TestApp, username: &str) -> Browser {
    let mut b = t.browser();
    b.sign_in(username).await;
    b
}

#[tokio::test]
async fn svc_8_a_manager_assigns_an_engineer_from_the_suggestions_page() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let admin = t.login("admin").await;
    let east = t.user_id(&admin, "engineer.east").await.to_string();
    let (device, institution) = east_device(&t).await;
    let ticket = opened(&t, &agent, institution, Some(device), json!({})).await;
    let url = format!("/service/tickets/{}/dispatch", ticket["id"]);

    let mut b = browser(&t, "service.manager").await;
    let page = b.get(&url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"suggestions\""));
    assert!(page.body.contains(&format!("value=\"{east}\"")));
    let bad = b.post(&url, &[("engineer_id", "")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = b
        .post(&url, &[("engineer_id", &east), ("note", "带备用探头")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = b.get(&url).await;
    assert!(page.body.contains("带备用探头"), "the assignment history");

    let mut engineer = browser(&t, "engineer.east").await;
    assert_eq!(engineer.get(&url).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn svc_9_the_maintenance_page_shows_overdue_visits_adds_plans_and_generates() {
    let t = spawn_app().await;
    let mut b = browser(&t, "service.manager").await;
    let page = b.get("/service/maintenance").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("href=\"/service/maintenance\" class=\"active\"")
    );
    assert!(
        page.body.contains("tag err"),
        "the demo's overdue visit is badged"
    );
    let (device, _) = east_device(&t).await;
    let target = format!("device:{device}");
    let bad = b
        .post(
            "/service/maintenance/plans",
            &[
                ("target", &target),
                ("interval_days", "0"),
                ("lead_days", "7"),
                ("checklist", "校准图像"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("校准图像"),
        "the form keeps the checklist"
    );
    let ok = b
        .post(
            "/service/maintenance/plans",
            &[
                ("target", &target),
                ("interval_days", "5"),
                ("lead_days", "7"),
                ("checklist", "校准图像"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let raised = b.post("/service/maintenance/generate", &[]).await;
    assert_eq!(raised.status, StatusCode::SEE_OTHER);
    let shown = b.get(raised.location.as_deref().unwrap()).await;
    assert!(shown.body.contains("alert ok"));
    assert!(shown.body.contains("SR-"), "the raised tickets are listed");

    let mut engineer = browser(&t, "engineer.east").await;
    let page = engineer.get("/service/maintenance").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("id=\"new-plan\""),
        "engineers only read"
    );
}

#[tokio::test]
async fn svc_10_the_evaluation_and_review_pages() {
    let t = spawn_app().await;
    let (_, tickets) = evaluated_work(&t).await;
    let mut b = browser(&t, "service.manager").await;
    let page = b.get("/service/engineers").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("engineer.eval") && page.body.contains("4.50"));
    let sheet = b.get("/service/engineers.xlsx").await;
    assert_eq!(sheet.status, StatusCode::OK);
    assert!(sheet.body.starts_with("PK"));

    let page = b.get("/service/reviews").await;
    let number = tickets[0]["number"].as_str().unwrap();
    assert!(page.body.contains(number));
    let start = page.body.find("action=\"/service/reviews/").unwrap() + 8;
    let action: String = page.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let done = b.post(&action, &[("score", "5"), ("note", "好")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let again = b.post(&action, &[("score", "3")]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    let mut rep = browser(&t, "rep.east").await;
    assert_eq!(
        rep.get("/service/reviews").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn svc_8_certifications_are_managed_on_the_engineers_page() {
    let t = spawn_app().await;
    let admin = t.login("admin").await;
    let north = t.user_id(&admin, "engineer.north").await.to_string();
    let rep = t.user_id(&admin, "rep.east").await.to_string();
    let mut b = browser(&t, "service.manager").await;
    let page = b.get("/service/engineers").await;
    assert!(page.body.contains("id=\"certifications\""));
    for (user, expected) in [
        (&rep, StatusCode::UNPROCESSABLE_ENTITY),
        (&north, StatusCode::SEE_OTHER),
    ] {
        let form = [
            ("user_id", user.as_str()),
            ("product_line", "consumables"),
            ("valid_until", "2030-06-30"),
        ];
        let r = b.post("/service/certifications", &form).await;
        assert_eq!(r.status, expected, "{}", r.body);
    }
    let page = b.get("/service/engineers").await;
    assert!(page.body.contains("2030-06-30"));
    let remove = format!("/service/certifications/{north}/consumables/remove");
    assert!(page.body.contains(&remove));
    assert_eq!(b.post(&remove, &[]).await.status, StatusCode::SEE_OTHER);
    assert!(
        !b.get("/service/engineers")
            .await
            .body
            .contains("2030-06-30")
    );

    // A director evaluates but does not configure certifications.
    let mut director = browser(&t, "director").await;
    let page = director.get("/service/engineers").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("id=\"certifications\""));
}
