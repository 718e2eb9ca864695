//! SVC pages: the ticket list, hotline quick entry and new-ticket form, the ticket page with
//! the engineer's record, signature and completion, the warehouse queue, the follow-up and
//! improvement actions, and the printable service report; zh-CN and English, CSRF checked.

use medcrm_testkit::{Browser, TestApp, spawn_app};
use reqwest::StatusCode;

use crate::service::east_device;
use crate::service_work::{SIGNATURE, completed, on_site};

async fn browser(t: &TestApp, username: &str) -> Browser {
    let mut b = t.browser();
    b.sign_in(username).await;
    b
}

#[tokio::test]
async fn svc_1_ui_the_hotline_finds_a_device_and_opens_a_ticket_in_zh_and_en() {
    let t = spawn_app().await;
    let (device, institution) = east_device(&t).await;
    let mut b = browser(&t, "agent").await;
    let home = b.get("/").await;
    assert!(home.body.contains("href=\"/service/tickets\""), "nav entry");
    let found = b.get("/service/hotline?q=%E7%91%9E%E9%87%91").await;
    assert_eq!(found.status, StatusCode::OK);
    // The service tabs offer the hotline to an agent, not the engineer's or manager's pages.
    assert!(
        found
            .body
            .contains("href=\"/service/hotline\" class=\"active\"")
    );
    assert!(!found.body.contains("href=\"/service/board\""));
    let prefill =
        format!("/service/tickets/new?institution_id={institution}&amp;device_id={device}");
    assert!(found.body.contains(&prefill), "a device's 报修 button");
    let form = b
        .get(&format!(
            "/service/tickets/new?institution_id={institution}&device_id={device}"
        ))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    // The customer's devices and contacts to pick from, the scanned device chosen.
    assert!(form.body.contains("id=\"device-picker\""));
    assert!(
        form.body
            .contains(&format!("<option value=\"{device}\" selected>"))
    );
    assert!(form.body.contains("id=\"contact-picker\""));
    assert!(form.body.contains("瑞金医院"), "the customer is named");

    let bad = b
        .post(
            "/service/tickets",
            &[
                ("institution_id", &institution.to_string()),
                ("device_id", &device.to_string()),
                ("channel", "hotline"),
                ("kind", "repair"),
                ("priority", "urgent"),
                ("caller_name", "王工"),
                ("fault", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("value=\"王工\""),
        "the form keeps what was typed"
    );
    let ok = b
        .post(
            "/service/tickets",
            &[
                ("institution_id", &institution.to_string()),
                ("device_id", &device.to_string()),
                ("channel", "hotline"),
                ("kind", "repair"),
                ("priority", "urgent"),
                ("caller_name", "王工"),
                ("fault", "屏幕黑屏，无法开机"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let page = b.get(ok.location.as_deref().unwrap()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("屏幕黑屏") && page.body.contains("首次联系"));
    let list = b.get("/service/tickets?open=1&priority=urgent").await;
    assert!(list.body.contains("屏幕黑屏") || list.body.contains("瑞金"));
    assert!(
        list.body.contains("class=\"tag ok due\"") || list.body.contains("class=\"tag warn due\"")
    );

    b.post("/lang", &[("lang", "en"), ("next", "/service/tickets")])
        .await;
    let en = b.get("/service/tickets?open=1").await;
    assert!(en.body.contains("Service tickets") && en.body.contains("Urgent"));
    let en_ticket = b.get(ok.location.as_deref().unwrap()).await;
    assert!(en_ticket.body.contains("First contact (1 h)"));
}

#[tokio::test]
async fn svc_4_ui_the_engineer_records_gets_a_signature_and_completes() {
    let t = spawn_app().await;
    let ticket = on_site(&t).await;
    let id = ticket["id"].as_i64().unwrap();
    let page = format!("/service/tickets/{id}");
    let mut b = browser(&t, "engineer.east").await;
    let shown = b.get(&page).await;
    assert!(shown.body.contains("id=\"record-form\"") && shown.body.contains("sigpad"));
    assert!(
        b.get("/service/my")
            .await
            .body
            .contains(ticket["number"].as_str().unwrap())
    );

    let record = |minutes: &'static str| {
        vec![
            ("phenomenon", "开机无图像"),
            ("diagnosis", "探头线缆断裂"),
            ("repair_method", "更换探头线缆"),
            ("parts_replaced", "探头线缆"),
            ("minutes_spent", minutes),
        ]
    };
    let bad = b
        .post(&format!("{page}/actions/record"), &record("many"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("探头线缆断裂"), "kept what was typed");
    let ok = b
        .post(&format!("{page}/actions/record"), &record("80"))
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);

    let refused = b
        .post(&format!("{page}/actions/complete"), &[("note", "")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = b
        .post(
            &format!("{page}/actions/confirm"),
            &[
                ("name", "设备科 王工"),
                ("signature", SIGNATURE),
                ("code", ""),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let ok = b
        .post(&format!("{page}/actions/complete"), &[("note", "")])
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);

    let report = b.get(&format!("{page}/report")).await;
    assert_eq!(report.status, StatusCode::OK);
    assert!(report.body.contains("服务报告") && report.body.contains("探头线缆断裂"));
    assert!(
        report
            .body
            .contains(&format!("/service/tickets/{id}/signature.png"))
    );
    assert!(report.body.contains("@media print"));
    let img = b.get(&format!("{page}/signature.png")).await;
    assert_eq!(img.status, StatusCode::OK);

    // A form without the CSRF token is refused.
    let forged = b
        .post(
            &format!("{page}/actions/record"),
            &[("_csrf", "forged"), ("phenomenon", "x")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn svc_5_ui_the_warehouse_fulfils_from_its_queue() {
    let t = spawn_app().await;
    let ticket = on_site(&t).await;
    let id = ticket["id"].as_i64().unwrap();
    let mut engineer = browser(&t, "engineer.east").await;
    let ok = engineer
        .post(
            &format!("/service/tickets/{id}/actions/parts"),
            &[
                ("part_code", "PWR-12"),
                ("part_name", "电源板"),
                ("quantity", "1"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let bad = engineer
        .post(
            &format!("/service/tickets/{id}/actions/parts"),
            &[
                ("part_code", ""),
                ("part_name", ""),
                ("quantity", "x"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let mut warehouse = browser(&t, "warehouse").await;
    let home = warehouse.get("/").await;
    assert!(home.body.contains("href=\"/service/tickets\""));
    let queue = warehouse.get("/service/part-requests").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(
        queue
            .body
            .contains("href=\"/service/part-requests\" class=\"active\"")
    );
    assert!(queue.body.contains("电源板") && queue.body.contains("PWR-12"));
    let engineer_token = t.login("engineer.east").await;
    let parts = t
        .get(
            &format!("/api/v1/tickets/{id}/part-requests"),
            &engineer_token,
        )
        .await
        .body;
    let part = parts[0]["id"].as_i64().unwrap();
    let done = warehouse
        .post(
            &format!("/service/part-requests/{part}/fulfil"),
            &[("note", "顺丰"), ("next", "/service/part-requests")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let again = warehouse
        .post(
            &format!("/service/part-requests/{part}/fulfil"),
            &[("note", ""), ("next", "/service/part-requests")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // The engineer has no queue.
    assert_eq!(
        engineer.get("/service/part-requests").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn svc_6_ui_an_unsatisfied_follow_up_lands_on_the_improvements_page() {
    let t = spawn_app().await;
    let ticket = completed(&t).await;
    let id = ticket["id"].as_i64().unwrap();
    let mut agent = browser(&t, "agent").await;
    let page = agent.get(&format!("/service/tickets/{id}")).await;
    assert!(page.body.contains("id=\"survey-form\""));
    let ok = agent
        .post(
            &format!("/service/tickets/{id}/actions/follow-up"),
            &[
                ("respondent", "设备科 王工"),
                ("attitude", "2"),
                ("quality", "3"),
                ("speed", "3"),
                ("comment", "工程师迟到且态度生硬"),
                ("improvement", ""),
                ("due_on", ""),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);

    let mut manager = browser(&t, "service.manager").await;
    let list = manager.get("/service/improvements").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("工程师迟到且态度生硬"));
    let token = t.login("service.manager").await;
    let actions = t.get("/api/v1/improvement-actions", &token).await.body;
    let action = actions["items"][0]["id"].as_i64().unwrap();
    let bad = manager
        .post(
            &format!("/service/improvements/{action}/close"),
            &[("resolution", "")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = manager
        .post(
            &format!("/service/improvements/{action}/close"),
            &[("resolution", "约谈工程师并安排服务礼仪培训")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let done = manager.get("/service/improvements?status=done").await;
    assert!(done.body.contains("约谈工程师"));
    // The agent does not manage improvements.
    assert_eq!(
        agent.get("/service/improvements").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn svc_7_ui_the_service_manager_corrects_an_event_time_and_the_clock_follows() {
    let t = spawn_app().await;
    let ticket = on_site(&t).await;
    let id = ticket["id"].as_i64().unwrap();
    let api = t.login("service.manager").await;
    let before = t.get(&format!("/api/v1/tickets/{id}"), &api).await;
    let event = |kind: &str| {
        before.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == kind)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let arrived = event("arrived");
    let requested = event("requested");
    let page = format!("/service/tickets/{id}");
    let post = format!("/service/tickets/{id}/actions/correct");
    // The engineer sees no correction form and may not post one.
    let mut engineer = browser(&t, "engineer.east").await;
    assert!(!engineer.get(&page).await.body.contains(&post));
    let denied = engineer
        .post(
            &post,
            &[
                ("event_id", &arrived.to_string()),
                ("at", "2026-01-01T08:00"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    let mut manager = browser(&t, "service.manager").await;
    assert!(manager.get(&page).await.body.contains(&post));
    // Before the request: refused with the reason above the log.
    let bad = manager
        .post(
            &post,
            &[
                ("event_id", &arrived.to_string()),
                ("at", "2000-01-01T08:00"),
                ("reason", "补录"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"correct-error\""), "{}", bad.body);
    assert!(bad.body.contains("cannot be before the request"));
    // The request logged 30 hours late: moved back, the arrival now is past the on-site
    // target (24 h), and the clock is recomputed as breached.
    let earlier = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_hours(30))
        .unwrap()
        .in_tz("Asia/Shanghai")
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    let api = t.login("service.manager").await;
    let before = t.get(&format!("/api/v1/tickets/{id}"), &api).await;
    assert_eq!(
        crate::service::clock(&before.body, "on_site")["state"],
        "met"
    );
    let done = manager
        .post(
            &post,
            &[
                ("event_id", &requested.to_string()),
                ("at", &earlier),
                ("reason", "电话记录补录"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after = t.get(&format!("/api/v1/tickets/{id}"), &api).await;
    assert_eq!(
        crate::service::clock(&after.body, "on_site")["state"],
        "breached"
    );
    let log = manager.get(&page).await;
    assert!(
        log.body.contains(&earlier.replace('T', " ")),
        "the log shows the new time"
    );
}
