//! SVC-8/9/10: dispatch suggestions and certifications, preventive maintenance plans and the
//! tickets they raise, engineer evaluation and the review of service records.

use medcrm_testkit::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::service::{dispatched, east_device, opened};

/// A new user with one role in one region (by code): (id, token).
async fn user(t: &TestApp, username: &str, role: &str, region: &str) -> (i64, String) {
    let admin = t.login("admin").await;
    let region = t.region_id(&admin, region).await;
    let r = t
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": username, "display_name": username, "password": "Str0ng-pass!",
                "roles": [role], "region_ids": [region]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    (
        r.body["id"].as_i64().unwrap(),
        t.login_with(username, "Str0ng-pass!").await,
    )
}

/// The product line of the demo device at Ruijin.
async fn device_line(t: &TestApp, device: i64) -> String {
    let manager = t.login("service.manager").await;
    let director = t.login("director").await;
    let d = t.get(&format!("/api/v1/devices/{device}"), &manager).await;
    let p = t
        .get(
            &format!("/api/v1/products/{}", d.body["product_id"]),
            &director,
        )
        .await;
    p.body["product"]["product_line"]
        .as_str()
        .unwrap_or_else(|| panic!("{:?} {:?}", d.body, p.body))
        .to_owned()
}

async fn certify(t: &TestApp, token: &str, user: i64, line: &str) -> Value {
    let r = t
        .put(
            "/api/v1/service/certifications",
            token,
            json!({"user_id": user, "product_line": line, "valid_until": "2099-12-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

fn ranked(body: &Value) -> Vec<i64> {
    body["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["user_id"].as_i64().unwrap())
        .collect()
}

fn position(list: &[i64], id: i64) -> usize {
    list.iter().position(|x| *x == id).unwrap()
}

#[tokio::test]
async fn svc_8_suggestions_rank_certified_in_region_least_loaded_first() {
    let t = spawn_app().await;
    let manager = t.login("service.manager").await;
    let admin = t.login("admin").await;
    let agent = t.login("agent").await;
    let (device, institution) = east_device(&t).await;
    let line = device_line(&t, device).await;
    let east = t.user_id(&admin, "engineer.east").await;
    let north = t.user_id(&admin, "engineer.north").await;
    let (east2, _) = user(&t, "engineer.east2", "service_engineer", "EAST-SH").await;
    let ticket = opened(&t, &agent, institution, Some(device), json!({})).await;
    let url = format!("/api/v1/tickets/{}/dispatch-suggestions", ticket["id"]);

    // Only engineer.north holds the device's certification: certified beats in region.
    let r = t
        .delete(
            &format!("/api/v1/service/certifications/{east}/{line}"),
            &manager,
        )
        .await;
    assert!(
        r.status == StatusCode::NO_CONTENT || r.status == StatusCode::NOT_FOUND,
        "{:?}",
        r.body
    );
    certify(&t, &manager, north, &line).await;
    let r = t.get(&url, &manager).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let s = &r.body["suggestions"];
    let of = |id: i64| {
        s.as_array()
            .unwrap()
            .iter()
            .find(|x| x["user_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(of(north)["certified"], true);
    assert_eq!(of(north)["in_region"], false);
    assert_eq!(of(east)["in_region"], true);
    assert_eq!(of(east2)["in_region"], true);
    assert_eq!(of(east)["certified"], false);
    let order = ranked(&r.body);
    assert_eq!(order[0], north, "{order:?}");
    // Neither East engineer is certified: the lighter load (the demo gives engineer.east
    // tickets), then the lower id, comes first.
    let load = |id: i64| (of(id)["open_tickets"].as_i64().unwrap(), id);
    let (first, second) = if load(east) < load(east2) {
        (east, east2)
    } else {
        (east2, east)
    };
    assert!(
        position(&order, first) < position(&order, second),
        "{order:?}"
    );

    // Both East engineers certified; the one with an open ticket comes after the idle one.
    certify(&t, &manager, east, &line).await;
    certify(&t, &manager, east2, &line).await;
    let other = opened(&t, &agent, institution, Some(device), json!({})).await;
    dispatched(&t, &other).await;
    let r = t.get(&url, &manager).await;
    let order = ranked(&r.body);
    assert_eq!(&order[..3], &[east2, east, north], "{:?}", r.body);
    assert!(r.body["suggestions"][1]["open_tickets"].as_i64().unwrap() >= 1);
    assert_eq!(r.body["suggestions"][0]["open_tickets"], 0);

    // Assigning from the suggestion uses the existing dispatch; the history shows it.
    let r = t
        .post(
            &format!("/api/v1/tickets/{}/dispatch", ticket["id"]),
            &manager,
            json!({"engineer_id": east2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = t.get(&url, &manager).await;
    assert_eq!(r.body["assignments"][0]["engineer_id"], east2);
    assert_eq!(r.body["ticket"]["engineer_id"], east2);
}

#[tokio::test]
async fn svc_8_certification_needs_a_service_engineer() {
    let t = spawn_app().await;
    let manager = t.login("service.manager").await;
    let admin = t.login("admin").await;
    let rep = t.user_id(&admin, "rep.east").await;
    let engineer = t.user_id(&admin, "engineer.east").await;
    let put = |body: Value| {
        let (t, manager) = (&t, &manager);
        async move { t.put("/api/v1/service/certifications", manager, body).await }
    };
    let r = put(json!({"user_id": rep, "product_line": "ivd", "valid_until": "2099-01-01"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("user_id").is_some(), "{:?}", r.body);
    let r =
        put(json!({"user_id": engineer, "product_line": "rockets", "valid_until": "2099-01-01"}))
            .await;
    assert!(r.field("product_line").is_some(), "{:?}", r.body);
    let r =
        put(json!({"user_id": engineer, "product_line": "ivd", "valid_until": "someday"})).await;
    assert!(r.field("valid_until").is_some(), "{:?}", r.body);

    // Set, renew (one row), list, remove.
    put(json!({"user_id": engineer, "product_line": "ivd", "valid_until": "2027-01-01"})).await;
    let r =
        put(json!({"user_id": engineer, "product_line": "ivd", "valid_until": "2028-06-30"})).await;
    assert_eq!(r.body["valid_until"], "2028-06-30");
    let list = t.get("/api/v1/service/certifications", &manager).await.body;
    let ivd: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["user_id"] == engineer && c["product_line"] == "ivd")
        .collect();
    assert_eq!(ivd.len(), 1);
    let url = format!("/api/v1/service/certifications/{engineer}/ivd");
    assert_eq!(
        t.delete(&url, &manager).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(t.delete(&url, &manager).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn svc_8_only_service_managers_configure() {
    let t = spawn_app().await;
    let admin = t.login("admin").await;
    let engineer = t.login("engineer.east").await;
    let agent = t.login("agent").await;
    let id = t.user_id(&admin, "engineer.east").await;
    let body = json!({"user_id": id, "product_line": "ivd", "valid_until": "2099-01-01"});
    let r = t
        .put("/api/v1/service/certifications", &engineer, body.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t.get("/api/v1/service/certifications", &agent).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t.put("/api/v1/service/certifications", &admin, body).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // Suggestions are for dispatchers, and only for tickets in their regions.
    let (device, institution) = east_device(&t).await;
    let ticket = opened(&t, &agent, institution, Some(device), json!({})).await;
    let url = format!("/api/v1/tickets/{}/dispatch-suggestions", ticket["id"]);
    assert_eq!(t.get(&url, &engineer).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get(&url, &agent).await.status, StatusCode::FORBIDDEN);
    let (_, north_manager) = user(&t, "svc.north", "service_manager", "NORTH").await;
    assert_eq!(
        t.get(&url, &north_manager).await.status,
        StatusCode::NOT_FOUND
    );
}

/// A maintenance plan for `device` as the service manager.
async fn plan(t: &TestApp, device: i64, interval: i64, lead: i64) -> Value {
    let manager = t.login("service.manager").await;
    let r = t
        .post(
            "/api/v1/maintenance/plans",
            &manager,
            json!({"device_id": device, "interval_days": interval, "lead_days": lead,
                "checklist": "清洁探头\n\n  校准图像  \n检查电源"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

async fn due_of(t: &TestApp, token: &str, plan: &Value, device: i64) -> Value {
    let r = t.get("/api/v1/maintenance/due", token).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["plan_id"] == plan["id"] && d["device_id"] == device)
        .unwrap_or_else(|| panic!("plan {} not due on {device}: {}", plan["id"], r.body))
        .clone()
}

fn days_from_today(days: i64) -> String {
    crate::products::days_from_today(days)
}

#[tokio::test]
async fn svc_9_due_plan_generates_one_ticket_even_when_run_twice() {
    let t = spawn_app().await;
    let manager = t.login("service.manager").await;
    let (device, _) = east_device(&t).await;
    let p = plan(&t, device, 7, 14).await;
    assert_eq!(p["checklist"], "清洁探头\n校准图像\n检查电源");
    assert_eq!(p["per_product"], false);
    let d = due_of(&t, &manager, &p, device).await;
    assert_eq!(d["status"], "due");
    assert!(d["ticket_id"].is_null());

    let first = t
        .post("/api/v1/maintenance/generate", &manager, json!({}))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    let second = t
        .post("/api/v1/maintenance/generate", &manager, json!({}))
        .await;
    assert_eq!(
        second.body["ticket_ids"],
        json!([]),
        "nothing left to raise"
    );
    let d = due_of(&t, &manager, &p, device).await;
    assert_eq!(d["status"], "ticketed");
    let ticket_id = d["ticket_id"].as_i64().unwrap();
    assert!(
        first.body["ticket_ids"]
            .as_array()
            .unwrap()
            .contains(&json!(ticket_id))
    );
    let list = t
        .get(
            &format!("/api/v1/tickets?device_id={device}&kind=maintenance"),
            &manager,
        )
        .await
        .body;
    let of_plan: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["pm_plan_id"] == p["id"])
        .collect();
    assert_eq!(of_plan.len(), 1, "one ticket per due visit");
    let ticket = t
        .get(&format!("/api/v1/tickets/{ticket_id}"), &manager)
        .await
        .body;
    assert_eq!(ticket["channel"], "plan");
    assert_eq!(ticket["priority"], "normal");
    assert_eq!(ticket["fault"], p["checklist"]);
    assert_eq!(ticket["events"][0]["kind"], "requested");

    // A deactivated plan drops out of the due list.
    let r = t
        .patch(
            &format!("/api/v1/maintenance/plans/{}", p["id"]),
            &manager,
            json!({"active": false}),
        )
        .await;
    assert_eq!(r.body["active"], false, "{:?}", r.body);
    let due = t.get("/api/v1/maintenance/due", &manager).await.body;
    assert!(
        !due.as_array()
            .unwrap()
            .iter()
            .any(|x| x["plan_id"] == p["id"])
    );
}

#[tokio::test]
async fn svc_9_overdue_visit_is_shown_overdue() {
    let t = spawn_app().await;
    let manager = t.login("service.manager").await;
    let engineer = t.login("engineer.east").await;
    let (device, _) = east_device(&t).await;
    let p = plan(&t, device, 30, 7).await;
    let visits = format!("/api/v1/maintenance/plans/{}/visits", p["id"]);
    // The last visit, done before the system, was 60 days ago: the next was due 30 days ago.
    let r = t
        .post(
            &visits,
            &manager,
            json!({"device_id": device, "done_on": days_from_today(-60)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["status"], "overdue");
    assert_eq!(r.body["due_on"], days_from_today(-30));
    let r = t
        .post(
            &visits,
            &manager,
            json!({"device_id": device, "done_on": days_from_today(-60)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = t
        .post(
            &visits,
            &manager,
            json!({"device_id": device, "done_on": days_from_today(3)}),
        )
        .await;
    assert!(r.field("done_on").is_some(), "{:?}", r.body);

    // The engineer of the region reads it; raising the ticket keeps it overdue until done.
    assert_eq!(due_of(&t, &engineer, &p, device).await["status"], "overdue");
    t.post("/api/v1/maintenance/generate", &manager, json!({}))
        .await;
    let d = due_of(&t, &manager, &p, device).await;
    assert_eq!(d["status"], "overdue");
    assert!(d["ticket_number"].is_string(), "{d}");
}

#[tokio::test]
async fn svc_9_plans_are_managed_in_scope_by_service_managers() {
    let t = spawn_app().await;
    let engineer = t.login("engineer.east").await;
    let manager = t.login("service.manager").await;
    let (device, _) = east_device(&t).await;
    let body = json!({"device_id": device, "interval_days": 90, "checklist": "检查"});
    let r = t
        .post("/api/v1/maintenance/plans", &engineer, body.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.post("/api/v1/maintenance/generate", &engineer, json!({}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let bad = json!({"device_id": device, "product_id": 1, "interval_days": 0, "checklist": ""});
    let r = t.post("/api/v1/maintenance/plans", &manager, bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["device_id", "interval_days", "checklist"] {
        assert!(r.field(f).is_some(), "{f}: {:?}", r.body);
    }

    let p = plan(&t, device, 90, 14).await;
    let (_, north) = user(&t, "svc.north", "service_manager", "NORTH").await;
    let r = t.post("/api/v1/maintenance/plans", &north, body).await;
    assert!(r.field("device_id").is_some(), "{:?}", r.body);
    let r = t
        .patch(
            &format!("/api/v1/maintenance/plans/{}", p["id"]),
            &north,
            json!({"interval_days": 30}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let plans = t.get("/api/v1/maintenance/plans", &north).await.body;
    assert!(!plans.as_array().unwrap().iter().any(|x| x["id"] == p["id"]));
    let due = t.get("/api/v1/maintenance/due", &north).await.body;
    assert!(
        !due.as_array()
            .unwrap()
            .iter()
            .any(|x| x["device_id"] == device)
    );
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// A survey, a service record and a completion on `ticket` for `engineer`, written straight
/// into the tables: the record, completion and follow-up use cases (SVC-4/6) are another
/// helper's slice and not on main yet.
async fn survey_and_record(
    t: &TestApp,
    ticket: &Value,
    engineer: i64,
    scores: [i64; 3],
    minutes: i64,
) {
    let now = now_ms();
    let satisfied = if scores.iter().all(|s| *s >= 3) {
        "TRUE"
    } else {
        "FALSE"
    };
    let [a, q, s] = scores;
    let (id, region) = (&ticket["id"], &ticket["region_id"]);
    let sql = format!(
        "INSERT INTO service_surveys (ticket_id, engineer_id, region_id, respondent, attitude, quality, speed,
            satisfied, comment, by_user, at_ms)
         VALUES ({id}, {engineer}, {region}, '设备科', {a}, {q}, {s}, {satisfied}, '', {engineer}, {now});
         INSERT INTO service_records (ticket_id, engineer_id, phenomenon, diagnosis, repair_method,
            parts_replaced, minutes_spent, created_at_ms, updated_at_ms)
         VALUES ({id}, {engineer}, '无图像', '探头损坏', '更换探头', '', {minutes}, {now}, {now});
         INSERT INTO ticket_events (ticket_id, kind, at_ms, note, by_user, recorded_at_ms)
         VALUES ({id}, 'completed', {now}, '', {engineer}, {now});"
    );
    t.raw_sql(&sql).await.unwrap();
}

fn minutes_ago(m: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(m)).to_string()
}

/// Two tickets sent to a new East engineer: the first contacted late (breached), the second
/// in time (met); a survey and a record on each. Returns (engineer id, tickets).
pub async fn evaluated_work(t: &TestApp) -> (i64, Vec<Value>) {
    let agent = t.login("agent").await;
    let manager = t.login("service.manager").await;
    let (engineer, _) = user(t, "engineer.eval", "service_engineer", "EAST-SH").await;
    let (device, institution) = east_device(t).await;
    let mut tickets = Vec::new();
    for requested in [minutes_ago(120), minutes_ago(1)] {
        let ticket = opened(
            t,
            &agent,
            institution,
            Some(device),
            json!({"requested_at": requested}),
        )
        .await;
        let url = format!("/api/v1/tickets/{}", ticket["id"]);
        let r = t.post(&format!("{url}/contact"), &agent, json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        let r = t
            .post(
                &format!("{url}/dispatch"),
                &manager,
                json!({"engineer_id": engineer}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        tickets.push(r.body);
    }
    survey_and_record(t, &tickets[0], engineer, [5, 4, 3], 90).await;
    survey_and_record(t, &tickets[1], engineer, [4, 2, 5], 45).await;
    (engineer, tickets)
}

fn row_of(body: &Value, engineer: i64) -> Value {
    body["engineers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["user_id"] == engineer)
        .unwrap_or_else(|| panic!("engineer {engineer} not in {body}"))
        .clone()
}

#[tokio::test]
async fn svc_10_evaluation_from_surveys_and_sla() {
    let t = spawn_app().await;
    let manager = t.login("service.manager").await;
    let (engineer, _) = evaluated_work(&t).await;
    let r = t
        .get("/api/v1/service/engineers/evaluation", &manager)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let e = row_of(&r.body, engineer);
    assert_eq!(e["surveys"], 2);
    assert_eq!(e["attitude"], 450);
    assert_eq!(e["quality"], 300);
    assert_eq!(e["speed"], 400);
    assert_eq!(e["unsatisfied_bp"], 5000);
    let first = e["sla"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["milestone"] == "first_contact")
        .unwrap()
        .clone();
    assert_eq!(
        (first["met"].as_i64(), first["breached"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(first["ratio_bp"], 5000);
    assert_eq!(e["completed"], 2);
    assert_eq!(e["records"], 2);
    assert_eq!(e["average_minutes"], 68);
    assert_eq!(e["reviewed"], 0);
    assert!(e["review_score"].is_null());

    // Outside the period: nothing. The director reads the company; engineers do not.
    let r = t
        .get(
            "/api/v1/service/engineers/evaluation?from=2020-01-01&to=2020-03-31",
            &manager,
        )
        .await;
    assert_eq!(row_of(&r.body, engineer)["surveys"], 0);
    let r = t
        .get(
            "/api/v1/service/engineers/evaluation?from=2026-13-01",
            &manager,
        )
        .await;
    assert!(r.field("from").is_some(), "{:?}", r.body);
    let director = t.login("director").await;
    let r = t
        .get("/api/v1/service/engineers/evaluation", &director)
        .await;
    assert_eq!(row_of(&r.body, engineer)["surveys"], 2);
    let own = t.login("engineer.east").await;
    let r = t.get("/api/v1/service/engineers/evaluation", &own).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let (status, _, bytes) = t
        .fetch("/api/v1/service/engineers/evaluation.xlsx", &manager)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&bytes[..2], b"PK", "an .xlsx is a zip archive");
}

#[tokio::test]
async fn svc_10_a_record_is_reviewed_once() {
    let t = spawn_app().await;
    let manager = t.login("service.manager").await;
    let (engineer, tickets) = evaluated_work(&t).await;
    let r = t.get("/api/v1/service/records/unreviewed", &manager).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let mine: Vec<Value> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["engineer_id"] == engineer)
        .cloned()
        .collect();
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0]["ticket_id"], tickets[0]["id"], "oldest first");
    let url = format!("/api/v1/service/records/{}/review", mine[0]["id"]);

    let r = t.post(&url, &manager, json!({"score": 6})).await;
    assert!(r.field("score").is_some(), "{:?}", r.body);
    let engineer_token = t.login("engineer.east").await;
    let r = t.post(&url, &engineer_token, json!({"score": 4})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let (_, north) = user(&t, "svc.north", "service_manager", "NORTH").await;
    let r = t.post(&url, &north, json!({"score": 4})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = t
        .post(&url, &manager, json!({"score": 4, "note": "记录完整"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["review_score"], 4);
    let r = t.post(&url, &manager, json!({"score": 2})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);

    let left = t
        .get("/api/v1/service/records/unreviewed", &manager)
        .await
        .body;
    assert!(
        !left
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == mine[0]["id"])
    );
    let e = t
        .get("/api/v1/service/engineers/evaluation", &manager)
        .await
        .body;
    let row = row_of(&e, engineer);
    assert_eq!(
        (row["reviewed"].as_i64(), row["review_score"].as_i64()),
        (Some(1), Some(400))
    );
}
