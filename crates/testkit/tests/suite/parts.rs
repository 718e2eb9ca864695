//! PRT-1…3: the parts catalog, warehouses and stock, the immutable ledger (every balance the
//! sum of its rows, never negative under concurrent issues), transfers, and issues and returns
//! only against part requests.

use medcrm_testkit::{Reply, TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::service_work::on_site;

/// A part of our own (the demo has its own codes).
pub(crate) async fn part(t: &TestApp, wh: &str, code: &str, tracking: &str) -> i64 {
    let r = t
        .post(
            "/api/v1/parts",
            wh,
            json!({"code": code, "name": format!("测试配件 {code}"), "spec": "24V", "unit": "个",
                   "unit_cost_fen": 12_500, "tracking": tracking}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["part"]["id"].as_i64().unwrap()
}

async fn warehouse(t: &TestApp, wh: &str, body: Value) -> i64 {
    let r = t.post("/api/v1/warehouses", wh, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_i64().unwrap()
}

pub(crate) async fn central(t: &TestApp, wh: &str, code: &str) -> i64 {
    warehouse(
        t,
        wh,
        json!({"code": code, "name": format!("测试总库 {code}"), "kind": "central"}),
    )
    .await
}

/// The engineer's own stock: the one the demo gave them, or a new one.
async fn own_stock(t: &TestApp, username: &str, region: &str) -> i64 {
    let me = t.login(username).await;
    let mine = t.get("/api/v1/warehouses", &me).await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.body);
    if let Some(id) = mine.body.as_array().unwrap().first() {
        return id["id"].as_i64().unwrap();
    }
    let admin = t.login("admin").await;
    let owner = t.user_id(&admin, username).await;
    let region = t.region_id(&admin, region).await;
    let wh = t.login("warehouse").await;
    warehouse(
        t,
        &wh,
        json!({"code": format!("T-{username}"), "name": format!("{username} 随车库"),
               "kind": "engineer", "region_id": region, "owner_id": owner}),
    )
    .await
}

pub(crate) async fn receive(t: &TestApp, wh: &str, part: i64, at: i64, quantity: i64) -> Reply {
    t.post(
        "/api/v1/stock/receipts",
        wh,
        json!({"part_id": part, "warehouse_id": at, "quantity": quantity, "reason": "期初入库"}),
    )
    .await
}

pub(crate) async fn stock(t: &TestApp, token: &str, part: i64, at: i64) -> Value {
    let r = t
        .get(
            &format!("/api/v1/stock?part_id={part}&warehouse_id={at}"),
            token,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["items"][0].clone()
}

/// A request for `part` on `ticket` by engineer.east.
async fn request(t: &TestApp, ticket: &Value, part: i64, quantity: i64) -> i64 {
    let engineer = t.login("engineer.east").await;
    let r = t
        .post(
            &format!("/api/v1/tickets/{}/part-requests", ticket["id"]),
            &engineer,
            json!({"part_id": part, "quantity": quantity}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["part_id"], part);
    r.body["id"].as_i64().unwrap()
}

async fn issue(t: &TestApp, token: &str, request: i64, body: Value) -> Reply {
    t.post(
        &format!("/api/v1/part-requests/{request}/issue"),
        token,
        body,
    )
    .await
}

/// Every balance equals the sum of its ledger.
pub(crate) async fn ledger_balances(t: &TestApp, wh: &str) {
    let r = t.get("/api/v1/stock/check", wh).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["mismatches"], json!([]));
}

/// The signed quantities of every ledger row of a part at a location.
pub(crate) async fn ledger(t: &TestApp, wh: &str, part: i64, at: i64) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = t
            .get(
                &format!(
                    "/api/v1/stock/movements?part_id={part}&warehouse_id={at}&limit=200&cursor={cursor}"
                ),
                wh,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        rows.extend(r.body["items"].as_array().unwrap().iter().cloned());
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => return rows,
        }
    }
}

pub(crate) fn sum(rows: &[Value]) -> i64 {
    rows.iter().map(|m| m["quantity"].as_i64().unwrap()).sum()
}

async fn prt_2_concurrent_issues_exactly_the_stock() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let p = part(&t, &wh, "T-PSU-24", "none").await;
    let store = central(&t, &wh, "T-CEN").await;
    assert_eq!(
        receive(&t, &wh, p, store, 10).await.status,
        StatusCode::CREATED
    );
    let ticket = on_site(&t).await;
    let mut requests = Vec::new();
    for _ in 0..64 {
        requests.push(request(&t, &ticket, p, 1).await);
    }
    // All at once, each on its own task and connection.
    let client = reqwest::Client::new();
    let mut tasks = tokio::task::JoinSet::new();
    for r in &requests {
        let call = client
            .post(t.url(&format!("/api/v1/part-requests/{r}/issue")))
            .bearer_auth(&wh)
            .json(&json!({"warehouse_id": store}));
        tasks.spawn(async move {
            let res = call.send().await.unwrap();
            let status = res.status();
            let headers = res.headers().clone();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            Reply {
                status,
                body,
                headers,
            }
        });
    }
    let replies: Vec<Reply> = tasks.join_all().await;
    let ok = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    let short: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .collect();
    assert_eq!(
        ok,
        10,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(short.len(), 54);
    for r in &short {
        assert_eq!(r.code(), "insufficient_stock", "{:?}", r.body);
        let message = r.body["error"]["message"].as_str().unwrap();
        assert!(message.contains("T-PSU-24"), "{message}");
        assert!(message.contains("T-CEN"), "{message}");
        assert!(message.contains("0 on hand"), "{message}");
    }
    assert_eq!(stock(&t, &wh, p, store).await["on_hand"], 0);
    let rows = ledger(&t, &wh, p, store).await;
    assert_eq!(rows.len(), 11, "one receipt and ten issues");
    assert_eq!(sum(&rows), 0);
    assert_eq!(rows.iter().filter(|m| m["kind"] == "issue").count(), 10);
    ledger_balances(&t, &wh).await;
    // Exactly the ten issued requests are fulfilled, each linked to its ledger row; the
    // others are still waiting in the queue with their clocks running.
    let list = t
        .get(
            &format!("/api/v1/tickets/{}/part-requests", ticket["id"]),
            &wh,
        )
        .await
        .body;
    let fulfilled: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fulfilled")
        .collect();
    assert_eq!(fulfilled.len(), 10);
    assert!(
        fulfilled
            .iter()
            .all(|r| r["issue_movement_id"].is_i64() && r["clock_state"] == "met")
    );
}

#[tokio::test]
async fn prt_2_64_concurrent_issues_of_10_in_stock_exactly_10_succeed() {
    prt_2_concurrent_issues_exactly_the_stock().await;
}

#[tokio::test]
async fn prt_2_transfer_in_transit_until_received_and_never_to_itself() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let admin = t.login("admin").await;
    let p = part(&t, &wh, "T-FAN-1", "none").await;
    let from = central(&t, &wh, "T-CEN").await;
    let east = t.region_id(&admin, "EAST").await;
    let to = warehouse(
        &t,
        &wh,
        json!({"code": "T-EAST", "name": "测试华东库", "kind": "regional", "region_id": east}),
    )
    .await;
    assert_eq!(
        receive(&t, &wh, p, from, 5).await.status,
        StatusCode::CREATED
    );
    let send = |to: i64, quantity: i64| {
        json!({"part_id": p, "from_warehouse_id": from, "to_warehouse_id": to,
               "quantity": quantity, "reason": "调拨华东"})
    };
    let r = t.post("/api/v1/stock/transfers", &wh, send(from, 1)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.field("to_warehouse_id").is_some(), "{:?}", r.body);
    let r = t.post("/api/v1/stock/transfers", &wh, send(to, 6)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.code(), "insufficient_stock");
    let r = t.post("/api/v1/stock/transfers", &wh, send(to, 3)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["status"], "in_transit");
    let transfer = r.body["id"].as_i64().unwrap();
    assert_eq!(stock(&t, &wh, p, from).await["on_hand"], 2);
    let arriving = stock(&t, &wh, p, to).await;
    assert!(arriving.is_null() || arriving["on_hand"] == 0, "{arriving}");
    let receive_path = format!("/api/v1/stock/transfers/{transfer}/receive");
    let r = t.post(&receive_path, &wh, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "received");
    let arrived = stock(&t, &wh, p, to).await;
    assert_eq!(
        (arrived["on_hand"].as_i64(), arrived["in_transit"].as_i64()),
        (Some(3), Some(0))
    );
    assert_eq!(
        t.post(&receive_path, &wh, json!({})).await.status,
        StatusCode::CONFLICT
    );
    let kinds: Vec<String> = ledger(&t, &wh, p, to)
        .await
        .iter()
        .chain(ledger(&t, &wh, p, from).await.iter())
        .map(|m| format!("{}:{}", m["kind"].as_str().unwrap(), m["transfer_id"]))
        .collect();
    assert!(
        kinds.contains(&format!("transfer_in:{transfer}")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&format!("transfer_out:{transfer}")),
        "{kinds:?}"
    );
    ledger_balances(&t, &wh).await;
}

#[tokio::test]
async fn prt_3_an_engineer_issues_only_from_their_own_stock() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let engineer = t.login("engineer.east").await;
    let p = part(&t, &wh, "T-CBL-2", "none").await;
    let mine = own_stock(&t, "engineer.east", "EAST").await;
    let theirs = own_stock(&t, "engineer.north", "NORTH").await;
    assert_eq!(
        receive(&t, &wh, p, mine, 2).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        receive(&t, &wh, p, theirs, 2).await.status,
        StatusCode::CREATED
    );
    let ticket = on_site(&t).await;
    let req = request(&t, &ticket, p, 1).await;
    // Another engineer's stock does not exist for them.
    let r = issue(&t, &engineer, req, json!({"warehouse_id": theirs})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    // Nor does the warehouse issue from an engineer's own stock.
    let r = issue(&t, &wh, req, json!({"warehouse_id": mine})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.code(), "engineer_stock");
    assert_eq!(stock(&t, &wh, p, theirs).await["on_hand"], 2);
    // From their own stock (the default) it fulfils the request and stops its clock.
    let r = issue(&t, &engineer, req, json!({"note": "随车备件"})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["request"]["status"], "fulfilled");
    assert_eq!(r.body["request"]["clock_state"], "met");
    assert_eq!(r.body["movement"]["kind"], "issue");
    assert_eq!(r.body["movement"]["quantity"], -1);
    assert_eq!(r.body["movement"]["ticket_id"], ticket["id"]);
    assert_eq!(stock(&t, &engineer, p, mine).await["on_hand"], 1);
    // An engineer sees only their own stock.
    let seen = t.get("/api/v1/stock?limit=200", &engineer).await.body;
    assert!(
        seen["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["warehouse_id"] == mine)
    );
    // Issued once: a second issue of the same request is a conflict.
    let r = issue(&t, &engineer, req, json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(stock(&t, &engineer, p, mine).await["on_hand"], 1);
    ledger_balances(&t, &wh).await;
}

#[tokio::test]
async fn prt_3_catalog_requests_are_fulfilled_only_by_an_issue() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let p = part(&t, &wh, "T-BRD-3", "serial").await;
    let store = central(&t, &wh, "T-CEN").await;
    assert_eq!(
        receive(&t, &wh, p, store, 1).await.status,
        StatusCode::CREATED
    );
    let ticket = on_site(&t).await;
    let req = request(&t, &ticket, p, 1).await;
    let r = t
        .post(
            &format!("/api/v1/part-requests/{req}/fulfil"),
            &wh,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.code(), "issue_required");
    // A serial-tracked part needs its serial.
    let r = issue(&t, &wh, req, json!({"warehouse_id": store})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.field("trace").is_some());
    let r = issue(
        &t,
        &wh,
        req,
        json!({"warehouse_id": store, "trace": "SN-001"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(
        r.body["movement"]["reason"]
            .as_str()
            .unwrap()
            .contains("SN-001")
    );
}

#[tokio::test]
async fn prt_3_returns_unused_and_faulty_never_more_than_issued() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let p = part(&t, &wh, "T-VLV-4", "none").await;
    let store = central(&t, &wh, "T-CEN").await;
    assert_eq!(
        receive(&t, &wh, p, store, 5).await.status,
        StatusCode::CREATED
    );
    let ticket = on_site(&t).await;
    let req = request(&t, &ticket, p, 3).await;
    let returns = format!("/api/v1/part-requests/{req}/returns");
    let back = |quantity: i64, faulty: bool| json!({"quantity": quantity, "faulty": faulty, "reason": "现场未用完"});
    // Nothing was issued yet.
    let r = t.post(&returns, &wh, back(1, false)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.code(), "not_issued");
    let r = issue(&t, &wh, req, json!({"warehouse_id": store})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(stock(&t, &wh, p, store).await["on_hand"], 2);
    let r = t.post(&returns, &wh, back(1, true)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["movement"]["condition"], "faulty");
    let r = t.post(&returns, &wh, back(1, false)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["request"]["returned_qty"], 2);
    let r = t.post(&returns, &wh, back(2, false)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    let r = t
        .post(&returns, &wh, json!({"quantity": 1, "reason": ""}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("reason").is_some());
    // The faulty one is kept apart: never issued again.
    let s = stock(&t, &wh, p, store).await;
    assert_eq!(
        (s["on_hand"].as_i64(), s["faulty"].as_i64()),
        (Some(3), Some(1))
    );
    // It leaves by an adjustment of the faulty balance (scrapped).
    let r = t
        .post(
            "/api/v1/stock/adjustments",
            &wh,
            json!({"part_id": p, "warehouse_id": store, "quantity": -1, "condition": "faulty",
                   "reason": "报废"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(stock(&t, &wh, p, store).await["faulty"], 0);
    ledger_balances(&t, &wh).await;
}

#[tokio::test]
async fn prt_2_adjustments_need_a_reason_and_never_go_below_zero() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let p = part(&t, &wh, "T-FLT-5", "none").await;
    let store = central(&t, &wh, "T-CEN").await;
    assert_eq!(
        receive(&t, &wh, p, store, 2).await.status,
        StatusCode::CREATED
    );
    let adjust = |quantity: i64, reason: &str| json!({"part_id": p, "warehouse_id": store, "quantity": quantity, "reason": reason});
    let r = t
        .post("/api/v1/stock/adjustments", &wh, adjust(-1, ""))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("reason").is_some());
    let r = t
        .post("/api/v1/stock/adjustments", &wh, adjust(0, "盘点"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("quantity").is_some());
    let r = t
        .post("/api/v1/stock/adjustments", &wh, adjust(-3, "盘亏"))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.code(), "insufficient_stock");
    let r = t
        .post("/api/v1/stock/adjustments", &wh, adjust(-2, "盘亏"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["balance_after"], 0);
    let r = receive(&t, &wh, p, store, 0).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    ledger_balances(&t, &wh).await;
}

#[tokio::test]
async fn prt_2_ledger_rows_cannot_be_changed_or_deleted() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let p = part(&t, &wh, "T-KEY-6", "none").await;
    let store = central(&t, &wh, "T-CEN").await;
    let r = receive(&t, &wh, p, store, 4).await;
    let id = r.body["id"].as_i64().unwrap();
    let e = t
        .raw_sql(&format!(
            "UPDATE stock_movements SET quantity = 40 WHERE id = {id}"
        ))
        .await
        .unwrap_err();
    assert!(e.contains("never"), "{e}");
    let e = t
        .raw_sql(&format!("DELETE FROM stock_movements WHERE id = {id}"))
        .await
        .unwrap_err();
    assert!(e.contains("never"), "{e}");
    assert!(t.raw_sql("DELETE FROM stock_movements").await.is_err());
    // Nor does the balance go negative, whoever writes.
    assert!(
        t.raw_sql(&format!(
            "UPDATE stock SET on_hand = -1 WHERE part_id = {p}"
        ))
        .await
        .is_err()
    );
    assert_eq!(ledger(&t, &wh, p, store).await[0]["quantity"], 4);
}

#[tokio::test]
async fn prt_1_low_stock_alerts_once_per_crossing_and_the_reorder_list() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let p = part(&t, &wh, "T-LMP-7", "none").await;
    let store = central(&t, &wh, "T-CEN").await;
    assert_eq!(
        receive(&t, &wh, p, store, 3).await.status,
        StatusCode::CREATED
    );
    let alerts = || async {
        let r = t.get("/api/v1/notifications?limit=200", &wh).await;
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| {
                n["kind"] == "low_stock" && n["subject"].as_str().unwrap().contains("T-LMP-7")
            })
            .count()
    };
    let levels = json!({"part_id": p, "warehouse_id": store, "min_qty": 5, "max_qty": 12});
    let r = t.put("/api/v1/stock/levels", &wh, levels).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["low"], true);
    assert_eq!(alerts().await, 1);
    // Still low: no second alert.
    let adjust = json!({"part_id": p, "warehouse_id": store, "quantity": -1, "reason": "破损"});
    assert_eq!(
        t.post("/api/v1/stock/adjustments", &wh, adjust.clone())
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(alerts().await, 1);
    let reorder = t.get("/api/v1/stock/reorder", &wh).await;
    let line = reorder
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["stock"]["part_id"] == p)
        .cloned()
        .unwrap();
    assert_eq!(line["reorder_qty"], 10, "back up to the max of 12 from 2");
    // Back above the minimum, then below again: a new crossing, a new alert.
    assert_eq!(
        receive(&t, &wh, p, store, 10).await.status,
        StatusCode::CREATED
    );
    assert_eq!(alerts().await, 1);
    let adjust = json!({"part_id": p, "warehouse_id": store, "quantity": -9, "reason": "破损"});
    assert_eq!(
        t.post("/api/v1/stock/adjustments", &wh, adjust)
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(alerts().await, 2);
    let bad = json!({"part_id": p, "warehouse_id": store, "min_qty": 5, "max_qty": 3});
    let r = t.put("/api/v1/stock/levels", &wh, bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("max_qty").is_some());
}

#[tokio::test]
async fn prt_1_levels_suggested_from_the_last_90_days_of_issues() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let p = part(&t, &wh, "T-SNS-8", "none").await;
    let store = central(&t, &wh, "T-CEN").await;
    assert_eq!(
        receive(&t, &wh, p, store, 20).await.status,
        StatusCode::CREATED
    );
    let ticket = on_site(&t).await;
    let req = request(&t, &ticket, p, 9).await;
    assert_eq!(
        issue(&t, &wh, req, json!({"warehouse_id": store}))
            .await
            .status,
        StatusCode::OK
    );
    let r = t
        .get(
            &format!("/api/v1/stock/suggestion?part_id={p}&warehouse_id={store}"),
            &wh,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (
            r.body["issued"].as_i64(),
            r.body["min_qty"].as_i64(),
            r.body["max_qty"].as_i64()
        ),
        (Some(9), Some(3), Some(6))
    );
}

#[tokio::test]
async fn prt_1_catalog_search_compatible_products_and_denials() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let rep = t.login("rep.east").await;
    let engineer = t.login("engineer.east").await;
    let products = t.get("/api/v1/products?limit=2", &wh).await;
    let product = products.body["items"][0]["id"].as_i64().unwrap();
    let r = t
        .post(
            "/api/v1/parts",
            &wh,
            json!({"code": "T-PRB-9", "name": "凸阵探头", "unit": "个", "unit_cost_fen": 880_000,
                   "product_ids": [product]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["compatible"][0]["product_id"], product);
    let id = r.body["part"]["id"].as_i64().unwrap();
    let again = json!({"code": "T-PRB-9", "name": "重复", "unit": "个", "unit_cost_fen": 1});
    assert_eq!(
        t.post("/api/v1/parts", &wh, again).await.status,
        StatusCode::CONFLICT
    );
    let bad = json!({"code": "", "name": "x", "unit": "个", "unit_cost_fen": -1, "tracking": "rfid",
                     "product_ids": [999_999]});
    let r = t.post("/api/v1/parts", &wh, bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["code", "unit_cost_fen", "tracking"] {
        assert!(r.field(field).is_some(), "{field}: {:?}", r.body);
    }
    let found = t.get("/api/v1/parts?q=t-prb", &engineer).await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(
        found.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id)
    );
    let fits = t
        .get(&format!("/api/v1/parts?product_id={product}"), &engineer)
        .await;
    assert!(
        fits.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id)
    );
    // Sales reads no parts; engineers read but do not edit the catalog or the stock.
    assert_eq!(
        t.get("/api/v1/parts", &rep).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.get("/api/v1/stock", &rep).await.status,
        StatusCode::FORBIDDEN
    );
    let edit = json!({"code": "T-PRB-9", "name": "改名", "unit": "个", "unit_cost_fen": 1});
    assert_eq!(
        t.put(&format!("/api/v1/parts/{id}"), &engineer, edit)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let store = central(&t, &wh, "T-CEN").await;
    assert_eq!(
        receive(&t, &engineer, id, store, 1).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.get("/api/v1/stock/check", &engineer).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.get("/api/v1/parts/999999", &wh).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.get("/api/v1/parts?limit=500", &wh).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn prt_1_stock_and_movements_export_as_xlsx() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let p = part(&t, &wh, "T-XLS-1", "none").await;
    let store = central(&t, &wh, "T-CEN").await;
    assert_eq!(
        receive(&t, &wh, p, store, 2).await.status,
        StatusCode::CREATED
    );
    for path in [
        "/api/v1/stock.xlsx",
        "/api/v1/stock/movements.xlsx?from=2020-01-01&lang=en",
    ] {
        let (status, kind, bytes) = t.fetch(path, &wh).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(kind.contains("spreadsheetml"), "{kind}");
        assert!(bytes.starts_with(b"PK"), "{path}");
    }
    let (status, _, _) = t
        .fetch("/api/v1/stock/movements.xlsx?from=yesterday", &wh)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
