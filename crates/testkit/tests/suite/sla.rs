//! SVC-7 operations: the scan that warns and escalates (exactly once), the recompute after a
//! calendar change, configured targets and the SLA board with its scope.

use medcrm_testkit::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::service::{clock, dispatched, east_device, instant, minutes_ago, opened};

async fn ticket(t: &TestApp, id: &Value) -> Value {
    let manager = t.login("service.manager").await;
    let r = t.get(&format!("/api/v1/tickets/{id}"), &manager).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

/// The notifications of `kind` about ticket `id` in `username`'s inbox.
async fn told(t: &TestApp, username: &str, kind: &str, id: &Value) -> usize {
    let token = t.login(username).await;
    let inbox = t.get("/api/v1/notifications?limit=200", &token).await;
    let link = format!("/service/tickets/{id}");
    inbox.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == kind && n["link"] == link.as_str())
        .count()
}

/// A ticket at Ruijin requested `minutes` ago.
async fn requested_ago(t: &TestApp, minutes: i64, extra: Value) -> Value {
    let agent = t.login("agent").await;
    let (device, institution) = east_device(t).await;
    let mut body = json!({"requested_at": minutes_ago(minutes)});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    opened(t, &agent, institution, Some(device), body).await
}

#[tokio::test]
async fn svc_7_a_breach_is_detected_and_escalated_exactly_once() {
    let t = spawn_app().await;
    // Requested 25 h ago and dispatched: both the first-contact and the on-site clock are late.
    let created = requested_ago(&t, 25 * 60, json!({})).await;
    dispatched(&t, &created).await;
    let now = jiff::Timestamp::now();
    let (a, b) = tokio::join!(t.app.scan_sla(now), t.app.scan_sla(now));
    let first = a.unwrap().escalated + b.unwrap().escalated;
    assert!(first >= 2, "both late clocks escalated: {first}");
    let again = t.app.scan_sla(jiff::Timestamp::now()).await.unwrap();
    assert_eq!(again.escalated, 0, "an escalation is sent once");

    let after = ticket(&t, &created["id"]).await;
    for m in ["first_contact", "on_site"] {
        let c = clock(&after, m);
        assert_eq!(c["state"], "breached", "{c}");
        assert!(c["escalated_at"].is_string(), "{c}");
    }
    assert_eq!(
        told(&t, "service.manager", "sla_breach", &created["id"]).await,
        2
    );
    assert_eq!(
        told(&t, "engineer.east", "sla_breach", &created["id"]).await,
        2,
        "the assigned engineer is told too"
    );
    assert_eq!(
        told(&t, "engineer.north", "sla_breach", &created["id"]).await,
        0
    );
}

#[tokio::test]
async fn svc_7_warning_before_breach() {
    let t = spawn_app().await;
    // 50 of the 60 minutes used: past the 75 % warning, not yet due.
    let created = requested_ago(&t, 50, json!({})).await;
    let out = t.app.scan_sla(jiff::Timestamp::now()).await.unwrap();
    assert!(out.warned >= 1, "{out:?}");
    let after = ticket(&t, &created["id"]).await;
    let c = clock(&after, "first_contact");
    assert_eq!(c["state"], "running");
    assert!(c["warned_at"].is_string(), "{c}");
    assert!(c["escalated_at"].is_null(), "{c}");
    let again = t.app.scan_sla(jiff::Timestamp::now()).await.unwrap();
    assert_eq!(again.warned, 0, "a warning is sent once");
    assert_eq!(
        told(&t, "service.manager", "sla_warning", &created["id"]).await,
        1
    );
    assert_eq!(
        told(&t, "service.manager", "sla_breach", &created["id"]).await,
        0
    );
    // A fresh ticket is neither warned nor escalated.
    let fresh = requested_ago(&t, 5, json!({})).await;
    t.app.scan_sla(jiff::Timestamp::now()).await.unwrap();
    let c = clock(&ticket(&t, &fresh["id"]).await, "first_contact").clone();
    assert!(
        c["warned_at"].is_null() && c["escalated_at"].is_null(),
        "{c}"
    );
}

#[tokio::test]
async fn svc_7_a_new_holiday_moves_an_open_follow_up_deadline() {
    let t = spawn_app().await;
    let created = requested_ago(&t, 120, json!({})).await;
    let id = created["id"].as_i64().unwrap();
    // The work is done (SVC-4 records it; here the event is written directly).
    let done = jiff::Timestamp::now().as_millisecond() - 60_000;
    t.raw_sql(&format!(
        "INSERT INTO ticket_events (ticket_id, kind, at_ms, note, by_user, recorded_at_ms)
         SELECT {id}, 'completed', {done}, '', created_by, {done} FROM service_tickets WHERE id = {id}"
    ))
    .await
    .unwrap();
    t.raw_sql(&format!(
        "UPDATE service_tickets SET status = 'completed' WHERE id = {id}"
    ))
    .await
    .unwrap();
    // A correction of the request time (to the same time) recomputes the clocks.
    let manager = t.login("service.manager").await;
    let before = ticket(&t, &created["id"]).await;
    let request = &before["events"][0];
    let r = t
        .post(
            &format!("/api/v1/tickets/{id}/events/{}/time", request["id"]),
            &manager,
            json!({"at": request["at"], "reason": "核对来电时间"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let follow = clock(&r.body, "follow_up").clone();
    assert_eq!(follow["state"], "running");
    let due = instant(&follow["due_at"]);
    let due_day = due.in_tz("Asia/Shanghai").unwrap().date();

    // The admin declares the due day a holiday: the deadline moves a working day later.
    let admin = t.login("admin").await;
    let r = t
        .put(
            &format!("/api/v1/calendar/days/{due_day}"),
            &admin,
            json!({"kind": "holiday", "name": "临时调休"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let after = ticket(&t, &created["id"]).await;
    let moved = instant(&clock(&after, "follow_up")["due_at"]);
    assert!(moved > due, "{due} → {moved}");
    assert_ne!(moved.in_tz("Asia/Shanghai").unwrap().date(), due_day);

    // Clearing the holiday moves it back.
    let r = t
        .delete(&format!("/api/v1/calendar/days/{due_day}"), &admin)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let back = ticket(&t, &created["id"]).await;
    assert_eq!(instant(&clock(&back, "follow_up")["due_at"]), due);
}

/// A dispatched ticket of `priority`, and the minutes its on-site clock allows.
async fn on_site_minutes(t: &TestApp, priority: &str) -> (Value, i64) {
    let created = requested_ago(t, 10, json!({ "priority": priority })).await;
    let d = dispatched(t, &created).await;
    let after = ticket(t, &d["id"]).await;
    let allowed = instant(&clock(&after, "on_site")["due_at"]) - instant(&after["requested_at"]);
    (created, allowed.as_mins())
}

#[tokio::test]
async fn svc_7_targets_per_type_priority_and_contract() {
    let t = spawn_app().await;
    let manager = t.login("service.manager").await;
    let r = t
        .put(
            "/api/v1/sla/targets",
            &manager,
            json!({"milestone": "on_site", "priority": "urgent", "amount": 240, "mode": "wall_minutes"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let urgent_id = r.body["id"].clone();
    assert_eq!(r.body["kind"], "");
    assert_eq!(r.body["contract_id"], 0);

    let (urgent, minutes) = on_site_minutes(&t, "urgent").await;
    assert_eq!(minutes, 240, "urgent: on site within 4 h");
    // A normal ticket keeps the policy's 24 h.
    assert_eq!(on_site_minutes(&t, "normal").await.1, 24 * 60);

    // The customer's contract promises 2 h: it wins over the priority rule.
    let contract = urgent["contract_id"]
        .as_i64()
        .expect("the device's contract");
    let r = t
        .put(
            "/api/v1/sla/targets",
            &manager,
            json!({"milestone": "on_site", "contract_id": contract, "amount": 120, "mode": "wall_minutes"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(on_site_minutes(&t, "urgent").await.1, 120);

    let list = t.get("/api/v1/sla/targets", &manager).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 2);
    // Setting the same combination again replaces it.
    let r = t
        .put(
            "/api/v1/sla/targets",
            &manager,
            json!({"milestone": "on_site", "priority": "urgent", "amount": 180, "mode": "wall_minutes"}),
        )
        .await;
    assert_eq!(r.body["id"], urgent_id);
    assert_eq!(r.body["amount"], 180);
    let r = t
        .delete(&format!("/api/v1/sla/targets/{urgent_id}"), &manager)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = t
        .delete(&format!("/api/v1/sla/targets/{urgent_id}"), &manager)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let list = t.get("/api/v1/sla/targets", &manager).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);

    // The hotline agent and the engineer do not configure the SLA.
    for who in ["agent", "engineer.east"] {
        let token = t.login(who).await;
        let r = t
            .put(
                "/api/v1/sla/targets",
                &token,
                json!({"milestone": "on_site", "amount": 60, "mode": "wall_minutes"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(
            t.get("/api/v1/sla/targets", &token).await.status,
            StatusCode::FORBIDDEN
        );
    }
}

#[tokio::test]
async fn svc_7_bad_targets_are_refused_with_the_field() {
    let t = spawn_app().await;
    let manager = t.login("service.manager").await;
    let cases = [
        (
            json!({"milestone": "lunch", "amount": 60, "mode": "wall_minutes"}),
            "milestone",
        ),
        (
            json!({"milestone": "on_site", "amount": 0, "mode": "wall_minutes"}),
            "amount",
        ),
        (
            json!({"milestone": "on_site", "amount": 100_001, "mode": "wall_minutes"}),
            "amount",
        ),
        (
            json!({"milestone": "on_site", "amount": 60, "mode": "hours"}),
            "mode",
        ),
        (
            json!({"milestone": "on_site", "kind": "party", "amount": 60, "mode": "wall_minutes"}),
            "kind",
        ),
        (
            json!({"milestone": "on_site", "priority": "asap", "amount": 60, "mode": "wall_minutes"}),
            "priority",
        ),
        (
            json!({"milestone": "on_site", "contract_id": 999_999, "amount": 60, "mode": "wall_minutes"}),
            "contract_id",
        ),
    ];
    for (body, field) in cases {
        let r = t.put("/api/v1/sla/targets", &manager, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(r.field(field).is_some(), "{body} → {:?}", r.body);
    }
    let list = t.get("/api/v1/sla/targets", &manager).await;
    assert!(list.body.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn svc_7_the_board_shows_urgency_and_compliance_in_scope() {
    let t = spawn_app().await;
    // One ticket contacted in time (met), one left past its hour (breached), one fresh.
    let met = requested_ago(&t, 120, json!({})).await;
    let agent = t.login("agent").await;
    let r = t
        .post(
            &format!("/api/v1/tickets/{}/contact", met["id"]),
            &agent,
            json!({"at": minutes_ago(100), "note": "已回电"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let late = requested_ago(&t, 90, json!({})).await;
    requested_ago(&t, 5, json!({})).await;
    t.app.scan_sla(jiff::Timestamp::now()).await.unwrap();
    totals_agree(&t).await;

    let manager = t.login("service.manager").await;
    let r = t.get("/api/v1/sla/board", &manager).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let b = &r.body;
    assert!(b["buckets"]["breached"].as_i64().unwrap() >= 1, "{b}");
    assert!(b["buckets"]["within_1h"].as_i64().unwrap() >= 1, "{b}");
    // The most urgent first: every breach (the demo has some too) before anything still due.
    let urgent = b["urgent"].as_array().unwrap();
    let late_at = urgent
        .iter()
        .position(|c| c["ticket_id"] == late["id"])
        .expect("the late ticket is on the board");
    assert_eq!(urgent[late_at]["state"], "breached");
    assert!(
        urgent[..late_at].iter().all(|c| c["state"] == "breached"),
        "{b}"
    );
    let first = b["by_milestone"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "first_contact")
        .expect("first-contact compliance");
    assert!(first["met"].as_i64().unwrap() >= 1, "{first}");
    assert!(first["breached"].as_i64().unwrap() >= 1, "{first}");
    assert!(b["breaches"].as_i64().unwrap() >= 1);
    assert!(!b["by_region"].as_array().unwrap().is_empty());

    // The director sees the company; a manager of the North does not see the East's clocks.
    let director = t.login("director").await;
    let r = t.get("/api/v1/sla/board", &director).await;
    assert_eq!(r.status, StatusCode::OK);
    let on_board = |body: &Value, id: &Value| {
        body["urgent"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["ticket_id"] == *id)
    };
    assert!(on_board(&r.body, &late["id"]));
    let admin = t.login("admin").await;
    let north = t.region_id(&admin, "NORTH").await;
    let body = json!({"username": "svc.north", "display_name": "北区服务经理", "password": "Str0ng-pass!",
        "roles": ["service_manager"], "region_ids": [north]});
    let r = t.post("/api/v1/users", &admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let north_manager = t.login_with("svc.north", "Str0ng-pass!").await;
    let r = t.get("/api/v1/sla/board", &north_manager).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!on_board(&r.body, &late["id"]), "{}", r.body);
    let east_breaches = b["buckets"]["breached"].as_i64().unwrap();
    assert!(r.body["buckets"]["breached"].as_i64().unwrap() < east_breaches);

    // Engineers and the hotline do not read the board.
    for who in ["engineer.east", "agent"] {
        let token = t.login(who).await;
        let r = t.get("/api/v1/sla/board", &token).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
    }
    // A period that ends before it starts.
    let r = t
        .get("/api/v1/sla/board?from=2026-02-01&to=2026-01-01", &manager)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("from").is_some(), "{:?}", r.body);
    let r = t.get("/api/v1/sla/board?from=yesterday", &manager).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("from").is_some(), "{:?}", r.body);
}

#[tokio::test]
async fn svc_7_board_and_target_pages_in_the_browser() {
    let t = spawn_app().await;
    requested_ago(&t, 90, json!({})).await;
    t.app.scan_sla(jiff::Timestamp::now()).await.unwrap();
    let mut b = t.browser();
    b.sign_in("service.manager").await;
    let home = b.get("/").await;
    assert!(home.body.contains("href=\"/service/tickets\""), "nav entry");
    let board = b.get("/service/board").await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(
        board
            .body
            .contains("href=\"/service/board\" class=\"active\""),
        "its tab"
    );
    assert!(board.body.contains("SLA 看板"), "{}", board.body);
    assert!(board.body.contains("SR-"), "the breached ticket is listed");
    assert!(board.body.contains("echarts.min.js"));
    let bad = b.get("/service/board?from=2026-02-01&to=2026-01-01").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let page = b.get("/service/sla-settings").await;
    assert_eq!(page.status, StatusCode::OK);
    let bad = b
        .post(
            "/service/sla-settings",
            &[
                ("milestone", "on_site"),
                ("kind", ""),
                ("priority", "urgent"),
                ("contract_id", ""),
                ("amount", "0"),
                ("mode", "wall_minutes"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("fielderror"), "{}", bad.body);
    let ok = b
        .post(
            "/service/sla-settings",
            &[
                ("milestone", "on_site"),
                ("kind", ""),
                ("priority", "urgent"),
                ("contract_id", ""),
                ("amount", "240"),
                ("mode", "wall_minutes"),
            ],
        )
        .await;
    assert_eq!(ok.location.as_deref(), Some("/service/sla-settings"));
    let page = b.get("/service/sla-settings").await;
    assert!(page.body.contains("紧急") && page.body.contains("240"));
    let manager = t.login("service.manager").await;
    let id = t.get("/api/v1/sla/targets", &manager).await.body[0]["id"]
        .as_i64()
        .unwrap();
    let gone = b
        .post(&format!("/service/sla-settings/{id}/delete"), &[])
        .await;
    assert_eq!(gone.location.as_deref(), Some("/service/sla-settings"));
    assert!(
        t.get("/api/v1/sla/targets", &manager)
            .await
            .body
            .as_array()
            .unwrap()
            .is_empty()
    );

    let mut e = t.browser();
    e.sign_in("engineer.east").await;
    assert!(!e.get("/").await.body.contains("/service/board"));
    assert_eq!(e.get("/service/board").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        e.get("/service/sla-settings").await.status,
        StatusCode::FORBIDDEN
    );
}

/// The board's totals (migration 0014) equal what the clocks themselves add up to: the
/// database refuses a row into a table that only takes zero mismatches.
async fn totals_agree(t: &TestApp) {
    let daily = "SELECT (due_at_ms + 28800000) / 86400000 AS d, milestone, region_id,
            COALESCE(engineer_id, 0) AS e,
            CAST(SUM(CASE WHEN state = 'met' THEN 1 ELSE 0 END) AS BIGINT) AS met,
            CAST(SUM(CASE WHEN state = 'breached' THEN 1 ELSE 0 END) AS BIGINT) AS breached
        FROM sla_clocks WHERE state IN ('met', 'breached')
        GROUP BY (due_at_ms + 28800000) / 86400000, milestone, region_id, COALESCE(engineer_id, 0)";
    let kept = "SELECT day_no, milestone, region_id, engineer_id, met, breached FROM sla_daily
        WHERE met <> 0 OR breached <> 0";
    let open = "SELECT state, due_at_ms / 600000 AS slot, region_id, COUNT(*) AS n FROM sla_clocks
        WHERE state IN ('running', 'paused', 'breached') AND stopped_at_ms IS NULL
        GROUP BY state, due_at_ms / 600000, region_id";
    let open_kept = "SELECT state, slot, region_id, n FROM sla_open WHERE n <> 0";
    let sql = format!(
        "CREATE TEMP TABLE totals_check (mismatches BIGINT CHECK (mismatches = 0));
         INSERT INTO totals_check SELECT
            (SELECT COUNT(*) FROM ({daily} EXCEPT {kept}) a) + (SELECT COUNT(*) FROM ({kept} EXCEPT {daily}) b)
            + (SELECT COUNT(*) FROM ({open} EXCEPT {open_kept}) c) + (SELECT COUNT(*) FROM ({open_kept} EXCEPT {open}) d);"
    );
    t.raw_sql(&sql)
        .await
        .expect("the SLA totals agree with the clocks");
}

/// First-contact compliance on the service manager's board: (met, breached).
async fn first_contact_compliance(t: &TestApp) -> (i64, i64) {
    let manager = t.login("service.manager").await;
    let r = t.get("/api/v1/sla/board", &manager).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["by_milestone"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "first_contact")
        .map_or((0, 0), |c| {
            (c["met"].as_i64().unwrap(), c["breached"].as_i64().unwrap())
        })
}

#[tokio::test]
async fn svc_7_board_compliance_follows_every_change_of_a_clock() {
    // The board counts from daily totals kept by triggers: a clock that is met, then found
    // breached by a corrected event time, then met again moves the totals each time, and a
    // breach is counted once however often the scan escalates.
    let t = spawn_app().await;
    let manager = t.login("service.manager").await;
    let agent = t.login("agent").await;
    let (met0, breached0) = first_contact_compliance(&t).await;
    let within_1h = |b: &Value| b["buckets"]["within_1h"].as_i64().unwrap();
    let before = t.get("/api/v1/sla/board", &manager).await.body;

    // Requested 30 minutes ago: its first contact falls due within the hour.
    let opened = requested_ago(&t, 30, json!({})).await;
    let id = &opened["id"];
    let after = t.get("/api/v1/sla/board", &manager).await.body;
    assert_eq!(within_1h(&after), within_1h(&before) + 1, "{after}");
    let r = t
        .post(&format!("/api/v1/tickets/{id}/contact"), &agent, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(first_contact_compliance(&t).await, (met0 + 1, breached0));

    // The request really came 90 minutes ago: contacted an hour late.
    let view = ticket(&t, id).await;
    let event = view["events"][0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/tickets/{id}/events/{event}/time");
    let r = t
        .post(
            &path,
            &manager,
            json!({"at": minutes_ago(90), "reason": "通话记录核对"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(clock(&r.body, "first_contact")["state"], "breached");
    assert_eq!(first_contact_compliance(&t).await, (met0, breached0 + 1));
    // Back to 30 minutes: met again, and no count left behind.
    let r = t
        .post(
            &path,
            &manager,
            json!({"at": minutes_ago(30), "reason": "核对有误，恢复"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(first_contact_compliance(&t).await, (met0 + 1, breached0));

    // A request logged an hour and a half late is breached from the start; the scan's
    // escalations (stamping it) do not count it again.
    requested_ago(&t, 90, json!({})).await;
    t.app.scan_sla(jiff::Timestamp::now()).await.unwrap();
    let after_scan = first_contact_compliance(&t).await;
    assert_eq!(after_scan, (met0 + 1, breached0 + 1));
    t.app.scan_sla(jiff::Timestamp::now()).await.unwrap();
    assert_eq!(first_contact_compliance(&t).await, after_scan);
    totals_agree(&t).await;
}
