//! CUS-6: development plans — targets in scope, progress reports, manager reviews.

use medcrm_testkit::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn institution(t: &TestApp, token: &str, initials: &str) -> i64 {
    let r = t
        .get(&format!("/api/v1/institutions?q={initials}"), token)
        .await;
    r.body["items"][0]["id"].as_i64().unwrap()
}

fn plan(targets: &[i64]) -> Value {
    json!({"goal": "拿下心内科彩超更新项目", "strategy": "先约设备科，再请 KOL 做临床评估",
           "channel": "visit", "deadline": "2099-06-30", "institution_ids": targets})
}

#[tokio::test]
async fn cus_6_rep_plans_reports_and_the_manager_reviews() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let target = institution(&t, &rep, "fddxfszsyy").await;
    let r = t
        .post("/api/v1/development-plans", &rep, plan(&[target]))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["status"], "active");
    let id = r.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/development-plans/{id}");
    let report = t
        .post(
            &format!("{path}/reports"),
            &rep,
            json!({"progress": 40, "text": "已与设备科长见面"}),
        )
        .await;
    assert_eq!(report.body["progress"], 40);
    // A rep does not review; the manager does.
    let review = json!({"verdict": "needs_work", "text": "请补充竞品报价信息"});
    let denied = t
        .post(&format!("{path}/reviews"), &rep, review.clone())
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let manager = t.login("manager.east").await;
    let r = t.post(&format!("{path}/reviews"), &manager, review).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // The manager cannot report on someone else's plan.
    let r = t
        .post(
            &format!("{path}/reports"),
            &manager,
            json!({"progress": 90, "text": "代报"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let done = t
        .post(
            &format!("{path}/reports"),
            &rep,
            json!({"progress": 100, "text": "中标"}),
        )
        .await;
    assert_eq!(done.body["status"], "completed");
    let again = t
        .post(
            &format!("{path}/reports"),
            &rep,
            json!({"progress": 100, "text": "再报"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let full = t.get(&path, &manager).await;
    let kinds: Vec<&str> = full.body["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["report", "review", "report"]);
    assert_eq!(full.body["targets"][0]["institution_id"], target);
}

#[tokio::test]
async fn cus_6_bad_input_scope_and_own_review_are_refused() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let north = t.login("rep.north").await;
    let theirs = institution(&t, &north, "bjxhyy").await;
    let r = t
        .post("/api/v1/development-plans", &rep, plan(&[theirs]))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("institution_ids").is_some());
    let mut bad = plan(&[]);
    bad["channel"] = json!("carrier pigeon");
    bad["deadline"] = json!("2020-01-01");
    let r = t.post("/api/v1/development-plans", &rep, bad).await;
    for field in ["channel", "deadline", "institution_ids"] {
        assert!(r.field(field).is_some(), "{field}");
    }
    let mine = institution(&t, &rep, "fddxfszsyy").await;
    let id = t
        .post("/api/v1/development-plans", &rep, plan(&[mine]))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/development-plans/{id}");
    assert_eq!(t.get(&path, &north).await.status, StatusCode::NOT_FOUND);
    let listed = t.get("/api/v1/development-plans", &north).await;
    assert!(listed.body["items"].as_array().unwrap().is_empty());
    // A manager's own plan needs someone else's review.
    let manager = t.login("manager.east").await;
    let jz = institution(&t, &manager, "njglyy").await;
    let own = t
        .post("/api/v1/development-plans", &manager, plan(&[jz]))
        .await;
    let own_id = own.body["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/development-plans/{own_id}/reviews"),
            &manager,
            json!({"verdict": "on_track", "text": "自评"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn cus_6_plan_pages_for_the_rep_and_the_manager() {
    let t = spawn_app().await;
    let mut rep = t.browser();
    rep.sign_in("rep.east").await;
    let list = rep.get("/plans").await;
    assert!(list.body.contains("拿下瑞金"), "the demo plan is listed");
    let id = list
        .body
        .split("href=\"/plans/")
        .filter_map(|s| s.split('"').next())
        .find(|s| s.chars().all(|c| c.is_ascii_digit()))
        .unwrap()
        .to_owned();
    let page = rep.get(&format!("/plans/{id}")).await;
    assert!(page.body.contains("汇报进展"), "the owner reports");
    assert!(!page.body.contains("/reviews"), "but does not review");
    let mut manager = t.browser();
    manager.sign_in("manager.east").await;
    let page = manager.get(&format!("/plans/{id}")).await;
    assert!(page.body.contains("/reviews"));
    let r = manager
        .post(
            &format!("/plans/{id}/reviews"),
            &[("verdict", "on_track"), ("text", "进展正常，继续")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        manager
            .get(&format!("/plans/{id}"))
            .await
            .body
            .contains("进展正常，继续")
    );
    let mut north = t.browser();
    north.sign_in("rep.north").await;
    assert_eq!(
        north.get(&format!("/plans/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
}
