//! SVC-1/2/3/7/8: tickets from the hotline to the engineer on site, their SLA clocks derived
//! from the event log, dispatch and scope.

use medcrm_testkit::{Reply, TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::products::institution_id;

/// A device of the installed base in the East (Shanghai) region: (device id, institution id).
pub async fn east_device(t: &TestApp) -> (i64, i64) {
    let manager = t.login("service.manager").await;
    let r = t.get("/api/v1/devices?limit=50", &manager).await;
    let d = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["institution_name"].as_str().unwrap().contains("瑞金"))
        .expect("a device at Ruijin in the demo")
        .clone();
    (
        d["id"].as_i64().unwrap(),
        d["institution_id"].as_i64().unwrap(),
    )
}

/// A new repair ticket for `institution` (and `device`), as `token`; `extra` overrides.
pub async fn open(
    t: &TestApp,
    token: &str,
    institution: i64,
    device: Option<i64>,
    extra: Value,
) -> Reply {
    let mut body = json!({"channel": "hotline", "kind": "repair", "priority": "high",
        "institution_id": institution, "device_id": device, "caller_name": "设备科 王工",
        "caller_phone": "13800130001", "fault": "开机后探头无图像，报错 E203"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    t.post("/api/v1/tickets", token, body).await
}

pub async fn opened(
    t: &TestApp,
    token: &str,
    institution: i64,
    device: Option<i64>,
    extra: Value,
) -> Value {
    let r = open(t, token, institution, device, extra).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

pub fn clock<'a>(ticket: &'a Value, milestone: &str) -> &'a Value {
    ticket["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["milestone"] == milestone)
        .unwrap_or_else(|| panic!("no {milestone} clock in {ticket}"))
}

pub fn instant(s: &Value) -> jiff::Timestamp {
    s.as_str().unwrap().parse().unwrap()
}

/// An RFC 3339 instant `minutes` before now.
pub fn minutes_ago(minutes: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes)).to_string()
}

/// Sends engineer.east to the ticket as the service manager.
pub async fn dispatched(t: &TestApp, ticket: &Value) -> Value {
    let manager = t.login("service.manager").await;
    let admin = t.login("admin").await;
    let engineer = t.user_id(&admin, "engineer.east").await;
    let r = t
        .post(
            &format!("/api/v1/tickets/{}/dispatch", ticket["id"]),
            &manager,
            json!({"engineer_id": engineer, "note": "携带备用探头"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

#[tokio::test]
async fn svc_1_a_hotline_ticket_gets_a_number_and_a_one_hour_first_contact_clock() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let (device, institution) = east_device(&t).await;
    let created = opened(&t, &agent, institution, Some(device), json!({})).await;
    let number = created["number"].as_str().unwrap();
    assert!(
        number.starts_with("SR-") && number.len() == "SR-20261125-000001".len(),
        "{number}"
    );
    assert_eq!(created["status"], "new");
    assert!(
        created["contract_id"].is_i64(),
        "the device's contract sets the SLA"
    );

    let ticket = t
        .get(&format!("/api/v1/tickets/{}", created["id"]), &agent)
        .await
        .body;
    let first = clock(&ticket, "first_contact");
    assert_eq!(first["state"], "running");
    let due = instant(&first["due_at"]) - instant(&ticket["requested_at"]);
    assert_eq!(due.as_mins(), 60);
    assert_eq!(ticket["events"][0]["kind"], "requested");
    assert_eq!(
        ticket["clocks"].as_array().unwrap().len(),
        1,
        "no on-site clock before dispatch"
    );
}

#[tokio::test]
async fn svc_1_bad_tickets_are_refused_with_the_field_at_fault() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let (device, institution) = east_device(&t).await;
    let other = institution_id(&t, &agent, "bjxhyy").await;
    assert_ne!(other, institution);
    // The demo holds tickets of its own.
    let count = |b: &Value| b["items"].as_array().unwrap().len();
    let before = count(&t.get("/api/v1/tickets", &agent).await.body);
    let cases = [
        (json!({"kind": "teleport"}), "kind"),
        (json!({"priority": "whenever"}), "priority"),
        (json!({"fault": ""}), "fault"),
        (json!({"channel": "plan"}), "channel"),
        (json!({"requested_at": "tomorrow"}), "requested_at"),
        (json!({"requested_at": "2099-01-01T10:00"}), "requested_at"),
        (
            json!({"requested_at": minutes_ago(60 * 24 * 40)}),
            "requested_at",
        ),
    ];
    for (extra, field) in cases {
        let r = open(&t, &agent, institution, Some(device), extra.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{extra}: {:?}",
            r.body
        );
        assert!(r.field(field).is_some(), "{extra}: {:?}", r.body);
    }
    // The device belongs to another customer.
    let r = open(&t, &agent, other, Some(device), json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("device_id").is_some(), "{:?}", r.body);
    let list = t.get("/api/v1/tickets", &agent).await;
    assert_eq!(count(&list.body), before, "nothing half-written");
}

#[tokio::test]
async fn svc_1_two_agents_claiming_one_ticket_at_once_one_wins_the_other_gets_409() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let manager = t.login("service.manager").await;
    let (device, institution) = east_device(&t).await;
    let ticket = opened(&t, &agent, institution, Some(device), json!({})).await;
    let path = format!("/api/v1/tickets/{}/claim", ticket["id"]);
    let (a, b) = tokio::join!(
        t.post(&path, &agent, json!({})),
        t.post(&path, &manager, json!({}))
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{:?} {:?}",
        a.body,
        b.body
    );
    let loser = if a.status == StatusCode::CONFLICT {
        &a
    } else {
        &b
    };
    assert_eq!(loser.code(), "conflict");
    let after = t
        .get(&format!("/api/v1/tickets/{}", ticket["id"]), &agent)
        .await
        .body;
    let claims = after["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "claimed")
        .count();
    assert_eq!(claims, 1);
    assert!(after["handler_id"].is_i64());
}

#[tokio::test]
async fn svc_2_a_simple_problem_is_closed_by_phone_with_the_guidance_given() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let (device, institution) = east_device(&t).await;
    let ticket = opened(
        &t,
        &agent,
        institution,
        Some(device),
        json!({"kind": "consultation"}),
    )
    .await;
    let path = format!("/api/v1/tickets/{}/resolve-by-phone", ticket["id"]);
    let empty = t.post(&path, &agent, json!({"guidance": ""})).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.field("guidance").is_some());
    let r = t
        .post(
            &path,
            &agent,
            json!({"guidance": "指导客户重新插拔探头并校准后恢复正常"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "closed");
    assert_eq!(r.body["resolution"], "指导客户重新插拔探头并校准后恢复正常");
    let after = t
        .get(&format!("/api/v1/tickets/{}", ticket["id"]), &agent)
        .await
        .body;
    assert_eq!(clock(&after, "first_contact")["state"], "met");
    // A closed ticket cannot be dispatched.
    let admin = t.login("admin").await;
    let engineer = t.user_id(&admin, "engineer.east").await;
    let manager = t.login("service.manager").await;
    let r = t
        .post(
            &format!("/api/v1/tickets/{}/dispatch", ticket["id"]),
            &manager,
            json!({"engineer_id": engineer}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "wrong_status");
}

#[tokio::test]
async fn svc_3_dispatch_starts_the_on_site_clock_from_the_request_and_arrival_stops_it() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let engineer = t.login("engineer.east").await;
    let (device, institution) = east_device(&t).await;
    let ticket = opened(&t, &agent, institution, Some(device), json!({})).await;
    let id = &ticket["id"];

    // Only a service manager dispatches, and only to a service engineer.
    let admin = t.login("admin").await;
    let rep = t.user_id(&admin, "rep.east").await;
    let manager = t.login("service.manager").await;
    let r = t
        .post(
            &format!("/api/v1/tickets/{id}/dispatch"),
            &agent,
            json!({"engineer_id": rep}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .post(
            &format!("/api/v1/tickets/{id}/dispatch"),
            &manager,
            json!({"engineer_id": rep}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("engineer_id").is_some());

    let sent = dispatched(&t, &ticket).await;
    assert_eq!(sent["status"], "dispatched");
    let view = t
        .get(&format!("/api/v1/tickets/{id}"), &engineer)
        .await
        .body;
    let on_site = clock(&view, "on_site");
    assert_eq!(on_site["state"], "running");
    let hours = instant(&on_site["due_at"]) - instant(&view["requested_at"]);
    assert_eq!(hours.as_hours(), 24);
    assert_eq!(view["assignments"][0]["note"], "携带备用探头");

    // The engineer's own list shows it; a notification told them.
    let mine = t.get("/api/v1/me/tickets", &engineer).await;
    assert!(mine.body.as_array().unwrap().iter().any(|x| x["id"] == *id));
    let inbox = t.get("/api/v1/notifications", &engineer).await;
    assert!(
        inbox
            .body
            .to_string()
            .contains(ticket["number"].as_str().unwrap())
    );

    let r = t
        .post(
            &format!("/api/v1/tickets/{id}/arrive"),
            &engineer,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "on_site");
    let view = t
        .get(&format!("/api/v1/tickets/{id}"), &engineer)
        .await
        .body;
    assert_eq!(clock(&view, "on_site")["state"], "met");
    assert_eq!(
        clock(&view, "first_contact")["state"],
        "met",
        "arrival is a contact"
    );
}

#[tokio::test]
async fn svc_8_only_the_assigned_engineer_works_a_ticket() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let (device, institution) = east_device(&t).await;
    let ticket = opened(&t, &agent, institution, Some(device), json!({})).await;
    // Not yet assigned: the East engineer sees it but may not arrive on it.
    let engineer = t.login("engineer.east").await;
    let r = t
        .post(
            &format!("/api/v1/tickets/{}/arrive", ticket["id"]),
            &engineer,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "not_assigned");
    // An agent has no engineer's work to do.
    let r = t
        .post(
            &format!("/api/v1/tickets/{}/arrive", ticket["id"]),
            &agent,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn svc_8_an_engineer_cannot_see_another_regions_tickets() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let beijing = institution_id(&t, &agent, "bjxhyy").await;
    let north = opened(&t, &agent, beijing, None, json!({})).await;
    let (device, shanghai) = east_device(&t).await;
    let east = opened(&t, &agent, shanghai, Some(device), json!({})).await;

    let engineer = t.login("engineer.east").await;
    let r = t
        .get(&format!("/api/v1/tickets/{}", north["id"]), &engineer)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let list = t.get("/api/v1/tickets", &engineer).await.body;
    let ids: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| &x["id"])
        .collect();
    assert!(ids.contains(&&east["id"]) && !ids.contains(&&north["id"]));
    let r = open(&t, &engineer, beijing, None, json!({"channel": "engineer"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("institution_id").is_some());

    let north_engineer = t.login("engineer.north").await;
    let r = t
        .get(&format!("/api/v1/tickets/{}", north["id"]), &north_engineer)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Sales reps have no business in the service queue.
    let rep = t.login("rep.east").await;
    assert_eq!(
        t.get("/api/v1/tickets", &rep).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn svc_7_a_request_logged_late_is_already_breached_and_a_corrected_time_moves_the_deadline() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let manager = t.login("service.manager").await;
    let (device, institution) = east_device(&t).await;
    let ticket = opened(
        &t,
        &agent,
        institution,
        Some(device),
        json!({"channel": "email", "requested_at": minutes_ago(90)}),
    )
    .await;
    let id = &ticket["id"];
    let view = t.get(&format!("/api/v1/tickets/{id}"), &agent).await.body;
    assert_eq!(clock(&view, "first_contact")["state"], "breached");

    // The e-mail was really sent 30 minutes ago: the manager corrects the request time.
    let event = view["events"][0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/tickets/{id}/events/{event}/time");
    let denied = t
        .post(
            &path,
            &agent,
            json!({"at": minutes_ago(30), "reason": "邮件时间核对"}),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let bad = t
        .post(
            &path,
            &manager,
            json!({"at": minutes_ago(30), "reason": ""}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field("reason").is_some());
    let r = t
        .post(
            &path,
            &manager,
            json!({"at": minutes_ago(30), "reason": "邮件时间核对"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let first = clock(&r.body, "first_contact");
    assert_eq!(first["state"], "running");
    let due = instant(&first["due_at"]) - instant(&r.body["requested_at"]);
    assert_eq!(due.as_mins(), 60);

    // The contact happened 40 minutes after the corrected request: met; moved later, breached.
    let r = t
        .post(&format!("/api/v1/tickets/{id}/contact"), &agent, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let view = t.get(&format!("/api/v1/tickets/{id}"), &agent).await.body;
    assert_eq!(clock(&view, "first_contact")["state"], "met");
    let contact = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "contacted")
        .unwrap();
    let later = (instant(&view["requested_at"]) + jiff::SignedDuration::from_mins(61)).to_string();
    let r = t
        .post(
            &format!("/api/v1/tickets/{id}/events/{}/time", contact["id"]),
            &manager,
            json!({"at": later, "reason": "回拨记录显示实际联系时间"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "cannot be in the future: {:?}",
        r.body
    );
    let earlier =
        (instant(&view["requested_at"]) + jiff::SignedDuration::from_mins(20)).to_string();
    let r = t
        .post(
            &format!("/api/v1/tickets/{id}/events/{}/time", contact["id"]),
            &manager,
            json!({"at": earlier, "reason": "回拨记录显示实际联系时间"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(clock(&r.body, "first_contact")["state"], "met");
    let audit = t
        .get("/api/v1/audit?entity=ticket_event", &t.login("admin").await)
        .await;
    assert!(
        audit.body.to_string().contains("回拨记录显示实际联系时间"),
        "{:?}",
        audit.body
    );
}

#[tokio::test]
async fn svc_7_a_postponed_visit_pauses_the_on_site_clock_until_resumed() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let manager = t.login("service.manager").await;
    let (device, institution) = east_device(&t).await;
    let ticket = opened(&t, &agent, institution, Some(device), json!({})).await;
    dispatched(&t, &ticket).await;
    let id = &ticket["id"];
    let r = t
        .post(
            &format!("/api/v1/tickets/{id}/pause"),
            &manager,
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t
        .post(
            &format!("/api/v1/tickets/{id}/pause"),
            &manager,
            json!({"reason": "科室手术排满，客户要求周四上门"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let view = t.get(&format!("/api/v1/tickets/{id}"), &manager).await.body;
    assert_eq!(clock(&view, "on_site")["state"], "paused");
    assert_eq!(
        clock(&view, "first_contact")["state"],
        "running",
        "only the visit waits"
    );
    let r = t
        .post(&format!("/api/v1/tickets/{id}/resume"), &manager, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let view = t.get(&format!("/api/v1/tickets/{id}"), &manager).await.body;
    assert_eq!(clock(&view, "on_site")["state"], "running");
}

#[tokio::test]
async fn svc_1_cancel_needs_a_reason_and_stops_every_clock() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let (device, institution) = east_device(&t).await;
    let ticket = opened(&t, &agent, institution, Some(device), json!({})).await;
    let path = format!("/api/v1/tickets/{}/cancel", ticket["id"]);
    assert_eq!(
        t.post(&path, &agent, json!({"reason": " "})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = t
        .post(&path, &agent, json!({"reason": "客户重复报修"}))
        .await;
    assert_eq!(r.body["status"], "cancelled");
    let view = t
        .get(&format!("/api/v1/tickets/{}", ticket["id"]), &agent)
        .await
        .body;
    assert_eq!(clock(&view, "first_contact")["state"], "cancelled");
    let again = t.post(&path, &agent, json!({"reason": "再次取消"})).await;
    assert_eq!(again.code(), "wrong_status");
}

#[tokio::test]
async fn svc_1_the_hotline_finds_customers_by_phone_pinyin_or_serial() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let (device, institution) = east_device(&t).await;
    let serial = t
        .get(&format!("/api/v1/devices/{device}"), &agent)
        .await
        .body["serial"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_serial = t
        .get(&format!("/api/v1/hotline/lookup?q={serial}"), &agent)
        .await;
    assert_eq!(by_serial.status, StatusCode::OK, "{:?}", by_serial.body);
    assert_eq!(by_serial.body[0]["institution_id"], institution);
    assert!(by_serial.body[0]["devices"].to_string().contains(&serial));

    let phone = by_serial.body[0]["phone"].as_str().unwrap().to_owned();
    let tail = &phone[phone.len() - 6..];
    let by_phone = t
        .get(&format!("/api/v1/hotline/lookup?q={tail}"), &agent)
        .await;
    assert!(
        by_phone
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["institution_id"] == institution)
    );

    let by_pinyin = t.get("/api/v1/hotline/lookup?q=bjxh", &agent).await;
    assert!(
        by_pinyin.body[0]["institution_name"]
            .as_str()
            .unwrap()
            .contains("协和")
    );
    let empty = t.get("/api/v1/hotline/lookup?q=", &agent).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let rep = t.login("rep.east").await;
    assert_eq!(
        t.get("/api/v1/hotline/lookup?q=bjxh", &rep).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn svc_1_a_devices_tickets_show_on_its_page_and_in_the_recall_trace() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let (device, institution) = east_device(&t).await;
    let ticket = opened(&t, &agent, institution, Some(device), json!({})).await;
    let number = ticket["number"].as_str().unwrap();

    // ORD-4: quality's recall trace names the open ticket on the affected device.
    let quality = t.login("quality").await;
    let d = t
        .get(&format!("/api/v1/devices/{device}"), &agent)
        .await
        .body;
    let path = format!(
        "/api/v1/trace?product_id={}&lot={}",
        d["product_id"],
        d["lot"].as_str().unwrap()
    );
    let trace = t.get(&path, &quality).await.body;
    let hit = trace["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["device_id"] == device)
        .unwrap();
    let open = hit["open_tickets"].as_array().unwrap();
    assert!(open.contains(&json!(number)), "{hit}");

    // The device page lists its service history for the service team.
    let mut browser = t.browser();
    browser.sign_in("service.manager").await;
    let page = browser.get(&format!("/devices/{device}")).await;
    assert!(page.body.contains(number), "{}", page.body);

    // Once cancelled, the ticket is no longer open on the trace.
    let r = t
        .post(
            &format!("/api/v1/tickets/{}/cancel", ticket["id"]),
            &agent,
            json!({"reason": "重复报修"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let trace = t.get(&path, &quality).await.body;
    let hit = trace["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["device_id"] == device)
        .unwrap();
    let open = hit["open_tickets"].as_array().unwrap();
    assert!(!open.contains(&json!(number)), "{hit}");
}

#[tokio::test]
async fn svc_8_an_engineers_home_page_lists_their_open_tickets() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let (device, institution) = east_device(&t).await;
    let ticket = opened(&t, &agent, institution, Some(device), json!({})).await;
    let mut engineer = t.browser();
    engineer.sign_in("engineer.east").await;
    let before = engineer.get("/").await;
    assert!(before.body.contains("我的服务工单"), "{}", before.body);
    assert!(!before.body.contains(ticket["number"].as_str().unwrap()));
    dispatched(&t, &ticket).await;
    let after = engineer.get("/").await;
    assert!(after.body.contains(ticket["number"].as_str().unwrap()));
    let mut rep = t.browser();
    rep.sign_in("rep.east").await;
    assert!(!rep.get("/").await.body.contains("我的服务工单"));
}

#[tokio::test]
async fn sys_2_a_dispatch_notice_reads_as_one_on_the_notifications_page() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let (device, institution) = east_device(&t).await;
    let ticket = opened(&t, &agent, institution, Some(device), json!({})).await;
    dispatched(&t, &ticket).await;
    let mut engineer = t.browser();
    engineer.sign_in("engineer.east").await;
    let page = engineer.get("/notifications").await;
    let number = ticket["number"].as_str().unwrap();
    let line = page
        .body
        .lines()
        .find(|l| l.contains(number))
        .unwrap_or_default()
        .to_owned();
    assert!(line.contains("服务派工"), "{line}");
    assert!(!line.contains("拜访"), "not a visit reminder: {line}");
}
