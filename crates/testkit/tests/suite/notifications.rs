//! SYS-2 reminders: overdue visits (CUS-4) and overdue pipeline stages (OPP-1) reach their
//! owner once per due date, and only their owner.

use medcrm_testkit::spawn_app;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn subjects(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["subject"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn sys_2_cus_4_overdue_visit_reminds_the_owner_once() {
    let t = spawn_app().await;
    let added = t.app.send_reminders().await.unwrap();
    assert!(added > 0);
    assert_eq!(
        t.app.send_reminders().await.unwrap(),
        0,
        "a reminder is made once"
    );
    let rep = t.login("rep.east").await;
    let mine = t.get("/api/v1/notifications", &rep).await;
    assert!(subjects(&mine.body).contains(&"上海交通大学医学院附属瑞金医院".to_owned()));
    let north = t.login("rep.north").await;
    let theirs = subjects(&t.get("/api/v1/notifications", &north).await.body);
    assert!(!theirs.iter().any(|s| s.contains("上海")), "{theirs:?}");
    // Someone else's notification cannot be marked read; one's own can.
    let id = mine.body["items"][0]["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/notifications/{id}/read"),
            &north,
            json!({}),
        )
        .await;
    assert_eq!(r.body["marked"], 0);
    let r = t
        .post(&format!("/api/v1/notifications/{id}/read"), &rep, json!({}))
        .await;
    assert_eq!(r.body["marked"], 1);
    let unread = t.get("/api/v1/notifications?unread_only=true", &rep).await;
    assert!(
        unread.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["id"] != id)
    );
    t.post("/api/v1/notifications/read-all", &rep, json!({}))
        .await;
    let unread = t.get("/api/v1/notifications?unread_only=true", &rep).await;
    assert!(unread.body["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn sys_2_opp_1_overdue_stage_reminds_the_stage_owner() {
    let t = spawn_app().await;
    // Demo stage due dates lie ahead; move one into the past as a late deal would be.
    t.raw_sql("UPDATE opportunities SET stage_due = '2026-01-05' WHERE title = '骨科手术动力系统'")
        .await
        .unwrap();
    t.app.send_reminders().await.unwrap();
    let rep = t.login("rep.east").await;
    let mine = t.get("/api/v1/notifications", &rep).await;
    let item = mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "stage_overdue")
        .cloned()
        .unwrap();
    assert_eq!(item["subject"], "骨科手术动力系统");
    assert_eq!(item["detail"], "qualified|2026-01-05");
    let mut b = t.browser();
    b.sign_in("rep.east").await;
    let page = b.get("/notifications").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("阶段已逾期"));
    assert!(
        b.get("/notifications/badge")
            .await
            .body
            .trim()
            .parse::<i64>()
            .unwrap()
            > 0
    );
}
