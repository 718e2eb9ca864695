//! SVC-4/5/6: the service record and the customer's confirmation before completion, part
//! requests each with its own 24 h clock, and the follow-up with improvement actions.

use medcrm_testkit::{Reply, TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::products::{days_from_today, institution_id};
use crate::service::{dispatched, east_device, opened};

/// A 1×1 PNG, as a canvas would send it.
pub const SIGNATURE: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/// A ticket at Ruijin with engineer.east on site.
pub async fn on_site(t: &TestApp) -> Value {
    let agent = t.login("agent").await;
    let engineer = t.login("engineer.east").await;
    let (device, institution) = east_device(t).await;
    let ticket = opened(t, &agent, institution, Some(device), json!({})).await;
    dispatched(t, &ticket).await;
    let r = t
        .post(
            &format!("/api/v1/tickets/{}/arrive", ticket["id"]),
            &engineer,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

fn record() -> Value {
    json!({"phenomenon": "开机无图像，报错 E203", "diagnosis": "探头连接器针脚氧化",
        "repair_method": "清洁连接器并更换探头线缆", "parts_replaced": "探头线缆 ×1",
        "minutes_spent": 95})
}

/// A ticket completed by engineer.east with a record and a confirmation code.
pub async fn completed(t: &TestApp) -> Value {
    let ticket = on_site(t).await;
    complete(t, &ticket).await
}

/// engineer.east writes the record, takes the confirmation code and completes `ticket`.
async fn complete(t: &TestApp, ticket: &Value) -> Value {
    let id = &ticket["id"];
    let engineer = t.login("engineer.east").await;
    let r = t
        .put(&format!("/api/v1/tickets/{id}/record"), &engineer, record())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = t
        .put(
            &format!("/api/v1/tickets/{id}/confirmation"),
            &engineer,
            json!({"name": "设备科 王工", "code": "RJ-4821"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = t
        .post(
            &format!("/api/v1/tickets/{id}/complete"),
            &engineer,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

/// A 422 with the stable `code` of a refused action.
fn refused(r: &Reply, code: &str) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.code(), code);
}

fn clocks<'a>(ticket: &'a Value, milestone: &str) -> Vec<&'a Value> {
    ticket["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["milestone"] == milestone)
        .collect()
}

fn instant(s: &Value) -> jiff::Timestamp {
    s.as_str().unwrap().parse().unwrap()
}

async fn device_status(t: &TestApp, ticket: &Value) -> Value {
    let manager = t.login("service.manager").await;
    let r = t
        .get(
            &format!("/api/v1/devices/{}", ticket["device_id"]),
            &manager,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["status"].clone()
}

#[tokio::test]
async fn svc_4_a_repaired_device_is_under_repair_until_the_ticket_is_completed() {
    let t = spawn_app().await;
    let ticket = on_site(&t).await;
    assert_eq!(device_status(&t, &ticket).await, "under_repair");
    let done = complete(&t, &ticket).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(device_status(&t, &ticket).await, "installed");
    // Both changes are in the device's history, newest first.
    let admin = t.login("admin").await;
    let log = t
        .get(
            &format!(
                "/api/v1/audit?entity=device&entity_id={}&action=status&limit=2",
                ticket["device_id"]
            ),
            &admin,
        )
        .await;
    assert_eq!(log.status, StatusCode::OK, "{:?}", log.body);
    let changes: Vec<(String, String)> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let status = |side: &str| {
                let device: Value = serde_json::from_str(e[side].as_str().unwrap()).unwrap();
                device["status"].as_str().unwrap().to_owned()
            };
            (status("before"), status("after"))
        })
        .collect();
    let change = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(
        changes,
        vec![
            change("under_repair", "installed"),
            change("installed", "under_repair")
        ]
    );
}

#[tokio::test]
async fn svc_4_completion_without_record_or_customer_confirmation_is_refused() {
    let t = spawn_app().await;
    let engineer = t.login("engineer.east").await;
    let ticket = on_site(&t).await;
    let id = &ticket["id"];
    let complete = format!("/api/v1/tickets/{id}/complete");

    let r = t.post(&complete, &engineer, json!({})).await;
    refused(&r, "record_missing");
    let r = t
        .put(&format!("/api/v1/tickets/{id}/record"), &engineer, record())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["minutes_spent"], 95);

    // Closing a ticket without customer confirmation is refused.
    let r = t.post(&complete, &engineer, json!({})).await;
    refused(&r, "confirmation_missing");
    assert!(r.field("confirmation").is_some());

    let r = t
        .put(
            &format!("/api/v1/tickets/{id}/confirmation"),
            &engineer,
            json!({"name": "设备科 王工", "code": "RJ-4821"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["method"], "code");
    let r = t.post(&complete, &engineer, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "completed");

    // The follow-up clock now runs (3 working days), and the record is frozen.
    let view = t
        .get(&format!("/api/v1/tickets/{id}"), &engineer)
        .await
        .body;
    let follow = clocks(&view, "follow_up");
    assert_eq!(follow.len(), 1);
    assert_eq!(follow[0]["state"], "running");
    assert!(instant(&follow[0]["due_at"]) > instant(&follow[0]["started_at"]));
    let r = t
        .put(&format!("/api/v1/tickets/{id}/record"), &engineer, record())
        .await;
    refused(&r, "wrong_status");
    let r = t.post(&complete, &engineer, json!({})).await;
    refused(&r, "wrong_status");
}

#[tokio::test]
async fn svc_4_a_record_is_validated_and_written_only_on_site() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let engineer = t.login("engineer.east").await;
    let (device, institution) = east_device(&t).await;
    let ticket = opened(&t, &agent, institution, Some(device), json!({})).await;
    dispatched(&t, &ticket).await;
    let path = format!("/api/v1/tickets/{}/record", ticket["id"]);
    let r = t.put(&path, &engineer, record()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "wrong_status", "not on site yet");

    let ticket = on_site(&t).await;
    let path = format!("/api/v1/tickets/{}/record", ticket["id"]);
    for (patch, field) in [
        (json!({"phenomenon": ""}), "phenomenon"),
        (json!({"diagnosis": "x"}), "diagnosis"),
        (json!({"repair_method": ""}), "repair_method"),
        (json!({"minutes_spent": -5}), "minutes_spent"),
        (json!({"minutes_spent": 100_001}), "minutes_spent"),
    ] {
        let mut body = record();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = t.put(&path, &engineer, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(r.field(field).is_some(), "{field}: {:?}", r.body);
    }
    // An agent records nothing; the other region's engineer does not even see the ticket.
    assert_eq!(
        t.put(&path, &agent, record()).await.status,
        StatusCode::FORBIDDEN
    );
    let north = t.login("engineer.north").await;
    assert_eq!(
        t.put(&path, &north, record()).await.status,
        StatusCode::NOT_FOUND
    );
    // The service manager may write it for the engineer; it stays the engineer's record.
    let manager = t.login("service.manager").await;
    let r = t.put(&path, &manager, record()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["engineer_name"],
        t.get(&format!("/api/v1/tickets/{}", ticket["id"]), &manager)
            .await
            .body["engineer_name"]
    );
    let got = t.get(&path, &agent).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["diagnosis"], "探头连接器针脚氧化");
}

#[tokio::test]
async fn svc_4_signature_must_be_a_png() {
    let t = spawn_app().await;
    let engineer = t.login("engineer.east").await;
    let ticket = on_site(&t).await;
    let id = &ticket["id"];
    let path = format!("/api/v1/tickets/{id}/confirmation");
    assert_eq!(
        t.get(&path, &engineer).await.status,
        StatusCode::NOT_FOUND,
        "no confirmation yet"
    );
    let big = format!(
        "data:image/png;base64,iVBORw0KGgo{}",
        "A".repeat(700 * 1024)
    );
    for (body, field) in [
        (
            json!({"name": "王工", "signature": "data:image/jpeg;base64,/9j/4AAQSkZJRg=="}),
            "signature",
        ),
        (
            json!({"name": "王工", "signature": "data:image/png;base64,R0lGODlhAQABAAAAACw="}),
            "signature",
        ),
        (
            json!({"name": "王工", "signature": "not base64 at all!"}),
            "signature",
        ),
        (json!({"name": "王工", "signature": big}), "signature"),
        (json!({"name": "王工"}), "signature"),
        (
            json!({"name": "王工", "signature": SIGNATURE, "code": "1234"}),
            "signature",
        ),
        (json!({"name": "", "code": "1234"}), "name"),
        (json!({"name": "王工", "code": "12"}), "code"),
        (
            json!({"name": "王工", "code": "1234", "confirmed_at": "2099-01-01T10:00"}),
            "confirmed_at",
        ),
    ] {
        let r = t.put(&path, &engineer, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {:?}",
            r.body
        );
        assert!(r.field(field).is_some(), "{field}: {:?}", r.body);
    }

    let r = t
        .put(
            &path,
            &engineer,
            json!({"name": "设备科 王工", "signature": SIGNATURE}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["method"], "signature");
    let url = r.body["signature_url"].as_str().unwrap().to_owned();
    let (status, content_type, bytes) = t.fetch(&url, &engineer).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "image/png");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let north = t.login("engineer.north").await;
    assert_eq!(t.fetch(&url, &north).await.0, StatusCode::NOT_FOUND);
}

pub async fn request_part(t: &TestApp, token: &str, ticket: &Value, name: &str) -> Value {
    let r = t
        .post(
            &format!("/api/v1/tickets/{}/part-requests", ticket["id"]),
            token,
            json!({"part_code": "PRB-C5", "part_name": name, "quantity": 1, "note": "急需"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

#[tokio::test]
async fn svc_5_each_part_request_runs_its_own_24h_clock() {
    let t = spawn_app().await;
    let engineer = t.login("engineer.east").await;
    let warehouse = t.login("warehouse").await;
    let ticket = on_site(&t).await;
    let probe = request_part(&t, &engineer, &ticket, "凸阵探头 C5-2").await;
    let cable = request_part(&t, &engineer, &ticket, "探头线缆").await;
    assert_eq!(probe["status"], "requested");
    let due = instant(&probe["due_at"]) - instant(&probe["requested_at"]);
    assert_eq!(due.as_hours(), 24);

    let view = t
        .get(&format!("/api/v1/tickets/{}", ticket["id"]), &engineer)
        .await
        .body;
    let parts = clocks(&view, "parts");
    assert_eq!(parts.len(), 2);
    assert!(parts.iter().all(|c| c["state"] == "running"));

    // The warehouse queue: open requests, oldest first, each with its due time.
    let queue = t.get("/api/v1/part-requests", &warehouse).await;
    assert_eq!(queue.status, StatusCode::OK);
    let ids: Vec<&Value> = queue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| &x["id"])
        .collect();
    let at = |id: &Value| ids.iter().position(|x| *x == id).unwrap();
    assert!(at(&probe["id"]) < at(&cable["id"]));

    let r = t
        .post(
            &format!("/api/v1/part-requests/{}/fulfil", probe["id"]),
            &warehouse,
            json!({"note": "顺丰 SF1234"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "fulfilled");
    assert_eq!(r.body["clock_state"], "met");
    let r = t
        .post(
            &format!("/api/v1/part-requests/{}/cancel", cable["id"]),
            &engineer,
            json!({"reason": "现场修复，无需更换"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["clock_state"], "cancelled");
    let list = t
        .get(
            &format!("/api/v1/tickets/{}/part-requests", ticket["id"]),
            &engineer,
        )
        .await
        .body;
    let states: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["fulfilled", "cancelled"]);
    let queue = t.get("/api/v1/part-requests", &warehouse).await.body;
    assert!(
        !queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["ticket_id"] == ticket["id"])
    );
}

#[tokio::test]
async fn svc_5_two_fulfilments_one_409() {
    let t = spawn_app().await;
    let engineer = t.login("engineer.east").await;
    let warehouse = t.login("warehouse").await;
    let ticket = on_site(&t).await;
    let part = request_part(&t, &engineer, &ticket, "电源板").await;
    let path = format!("/api/v1/part-requests/{}/fulfil", part["id"]);
    let (a, b) = tokio::join!(
        t.post(&path, &warehouse, json!({})),
        t.post(&path, &warehouse, json!({}))
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
    let r = t
        .post(
            &format!("/api/v1/part-requests/{}/cancel", part["id"]),
            &engineer,
            json!({"reason": "不需要了"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn svc_5_only_warehouse_fulfils() {
    let t = spawn_app().await;
    let engineer = t.login("engineer.east").await;
    let agent = t.login("agent").await;
    let warehouse = t.login("warehouse").await;
    let ticket = on_site(&t).await;
    let part = request_part(&t, &engineer, &ticket, "电源板").await;
    let fulfil = format!("/api/v1/part-requests/{}/fulfil", part["id"]);
    assert_eq!(
        t.post(&fulfil, &engineer, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.post(&fulfil, &agent, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.get("/api/v1/part-requests", &engineer).await.status,
        StatusCode::FORBIDDEN
    );
    // The warehouse does not cancel an engineer's request, nor request parts.
    let cancel = format!("/api/v1/part-requests/{}/cancel", part["id"]);
    assert_eq!(
        t.post(&cancel, &warehouse, json!({"reason": "缺货"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = t.post(&cancel, &engineer, json!({"reason": ""})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("reason").is_some());
    let r = t
        .post(
            &format!("/api/v1/tickets/{}/part-requests", ticket["id"]),
            &engineer,
            json!({"part_name": "", "quantity": 0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("part_name").is_some() && r.field("quantity").is_some());
    // The other region's engineer cannot reach the ticket at all.
    let north = t.login("engineer.north").await;
    let r = t
        .post(
            &format!("/api/v1/tickets/{}/part-requests", ticket["id"]),
            &north,
            json!({"part_name": "电源板", "quantity": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        t.post(&cancel, &north, json!({"reason": "x"})).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.post(&fulfil, &warehouse, json!({})).await.status,
        StatusCode::OK
    );
    // A new ticket has nobody on the way yet: no parts to request.
    let (device, institution) = east_device(&t).await;
    let fresh = opened(&t, &agent, institution, Some(device), json!({})).await;
    let manager = t.login("service.manager").await;
    let r = t
        .post(
            &format!("/api/v1/tickets/{}/part-requests", fresh["id"]),
            &manager,
            json!({"part_name": "电源板", "quantity": 1}),
        )
        .await;
    refused(&r, "wrong_status");
}

#[tokio::test]
async fn svc_6_unsatisfied_follow_up_opens_an_improvement_action() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let manager = t.login("service.manager").await;
    let admin = t.login("admin").await;
    let ticket = completed(&t).await;
    let id = &ticket["id"];
    let r = t
        .post(
            &format!("/api/v1/tickets/{id}/follow-up"),
            &agent,
            json!({"respondent": "设备科 王工", "attitude": 4, "quality": 2, "speed": 3,
                "comment": "修好两天后又出现同样报错"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["satisfied"], false);
    let action = &r.body["improvement"];
    assert_eq!(action["status"], "open");
    assert_eq!(action["description"], "修好两天后又出现同样报错");
    let owner = t.user_id(&admin, "service.manager").await;
    assert_eq!(action["owner_id"], owner);
    // 5 working days: at least 5 calendar days out, at most a Golden Week further.
    let due = action["due_on"].as_str().unwrap();
    assert!(
        due >= days_from_today(5).as_str() && due <= days_from_today(20).as_str(),
        "{due}"
    );

    let view = t.get(&format!("/api/v1/tickets/{id}"), &agent).await.body;
    assert_eq!(view["status"], "closed");
    assert_eq!(clocks(&view, "follow_up")[0]["state"], "met");

    // The service manager works the actions; a resolution is required; closing twice is 409.
    let list = t
        .get("/api/v1/improvement-actions?status=open", &manager)
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == action["id"])
    );
    assert_eq!(
        t.get("/api/v1/improvement-actions", &agent).await.status,
        StatusCode::FORBIDDEN
    );
    let close = format!("/api/v1/improvement-actions/{}/close", action["id"]);
    let r = t.post(&close, &manager, json!({"resolution": ""})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("resolution").is_some());
    let r = t
        .post(
            &close,
            &manager,
            json!({"resolution": "回访工程师培训，复检探头并更换连接器"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "done");
    let r = t
        .post(&close, &manager, json!({"resolution": "再次关闭"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let inbox = t.get("/api/v1/notifications", &manager).await;
    assert!(
        inbox
            .body
            .to_string()
            .contains(ticket["number"].as_str().unwrap())
    );
}

#[tokio::test]
async fn svc_6_follow_up_only_after_completion() {
    let t = spawn_app().await;
    let agent = t.login("agent").await;
    let engineer = t.login("engineer.east").await;
    let survey = json!({"respondent": "王工", "attitude": 5, "quality": 5, "speed": 4});
    let ticket = on_site(&t).await;
    let r = t
        .post(
            &format!("/api/v1/tickets/{}/follow-up", ticket["id"]),
            &agent,
            survey.clone(),
        )
        .await;
    refused(&r, "wrong_status");

    let ticket = completed(&t).await;
    let path = format!("/api/v1/tickets/{}/follow-up", ticket["id"]);
    assert_eq!(
        t.post(&path, &engineer, survey.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let r = t
        .post(
            &path,
            &agent,
            json!({"respondent": "", "attitude": 0, "quality": 6, "speed": 3}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["respondent", "attitude", "quality"] {
        assert!(r.field(f).is_some(), "{f}");
    }
    let r = t.post(&path, &agent, survey.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["satisfied"], true);
    assert!(r.body["improvement"].is_null());
    let r = t.post(&path, &agent, survey).await;
    refused(&r, "wrong_status");
    let got = t.get(&path, &engineer).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["attitude"], 5);

    // A Beijing ticket is out of the East engineer's reach entirely.
    let beijing = institution_id(&t, &agent, "bjxhyy").await;
    let north = opened(&t, &agent, beijing, None, json!({})).await;
    let r = t
        .get(
            &format!("/api/v1/tickets/{}/follow-up", north["id"]),
            &engineer,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
