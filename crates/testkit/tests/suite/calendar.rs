//! SVC-7: the business calendar behind every SLA clock, editable by the admin.

use medcrm_testkit::spawn_app;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn svc_7_due_endpoint_skips_national_day() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let r = t
        .get(
            "/api/v1/calendar/due?from=2025-09-30T17:55:00%2B08:00&hours=1",
            &agent,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["due"], "2025-10-09T09:55:00+08:00");
    assert_eq!(r.body["working_minutes"], 60);
}

#[tokio::test]
async fn svc_7_due_endpoint_validates_its_input() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let r = t
        .get("/api/v1/calendar/due?from=tomorrow&hours=-1", &agent)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.field("from").is_some() && r.field("hours").is_some(),
        "{:?}",
        r.body
    );
}

#[tokio::test]
async fn svc_7_official_2026_schedule_is_loaded() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let r = t.get("/api/v1/calendar/years/2026", &rep).await;
    assert_eq!(r.status, StatusCode::OK);
    let days = r.body["days"].as_array().unwrap();
    let kind_of = |d: &str| {
        days.iter()
            .find(|x| x["day"] == d)
            .map(|x| x["kind"].as_str().unwrap().to_owned())
    };
    assert_eq!(kind_of("2026-10-01").as_deref(), Some("holiday"));
    assert_eq!(kind_of("2026-10-10").as_deref(), Some("makeup"));
    // 2026: 261 weekdays − 19 weekday holidays + 6 make-up days.
    assert_eq!(r.body["working_days"], 248);
    assert_eq!(r.body["work_start"], "09:00");
}

#[tokio::test]
async fn svc_7_admin_edits_change_the_clock_and_others_may_not() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let r = t
        .put(
            "/api/v1/calendar/days/2026-12-01",
            &rep,
            json!({"kind": "holiday", "name": "公司日"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let admin = t.login("admin").await;
    let r = t
        .put(
            "/api/v1/calendar/days/2026-12-01",
            &admin,
            json!({"kind": "holiday", "name": "公司日"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    // Monday 30 Nov 17:00 + 2 h: 1 h that day, Tuesday is now a holiday, so Wednesday 10:00.
    let due = t
        .get(
            "/api/v1/calendar/due?from=2026-11-30T17:00:00%2B08:00&hours=2",
            &rep,
        )
        .await;
    assert_eq!(due.body["due"], "2026-12-02T10:00:00+08:00");

    let r = t
        .put(
            "/api/v1/calendar/working-hours",
            &admin,
            json!({"start": "08:30", "end": "17:30"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    // Monday 16:00 + 2 h now: 1.5 h that day, then 08:30 + 0.5 h on Wednesday.
    let due = t
        .get(
            "/api/v1/calendar/due?from=2026-11-30T16:00:00%2B08:00&hours=2",
            &rep,
        )
        .await;
    assert_eq!(due.body["due"], "2026-12-02T09:00:00+08:00");

    assert_eq!(
        t.delete("/api/v1/calendar/days/2026-12-01", &admin)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let due = t
        .get(
            "/api/v1/calendar/due?from=2026-11-30T16:00:00%2B08:00&hours=2",
            &rep,
        )
        .await;
    assert_eq!(due.body["due"], "2026-12-01T09:00:00+08:00");
}

#[tokio::test]
async fn svc_7_calendar_edits_are_validated() {
    let t = spawn_app().await;
    let admin = t.login("admin").await;
    let r = t
        .put(
            "/api/v1/calendar/days/2026-02-30",
            &admin,
            json!({"kind": "party", "name": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["day", "kind", "name"] {
        assert!(r.field(f).is_some(), "{f}: {:?}", r.body);
    }
    let r = t
        .put(
            "/api/v1/calendar/working-hours",
            &admin,
            json!({"start": "18:00", "end": "09:00"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        t.delete("/api/v1/calendar/days/2026-11-30", &admin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
