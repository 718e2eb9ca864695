//! PRT-5: purchase orders only to suppliers approved in first-time review (PRD-3), stating
//! spec, quantity, price, quality standard and delivery date; partial receipts with their
//! acceptance records (lot/serial where tracked), never over the order nor on a closed one,
//! entering stock through the ledger linked to the order.

use medcrm_testkit::{Reply, TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::parts::{central, ledger, ledger_balances, part, stock, sum};

/// A new supplier; `decision` is its first-time review (none: never submitted).
pub async fn supplier(t: &TestApp, name: &str, decision: Option<bool>) -> i64 {
    let quality = t.login("quality").await;
    let r = t
        .post(
            "/api/v1/suppliers",
            &quality,
            json!({"name": name, "kind": "distributor"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let Some(approve) = decision else {
        return id;
    };
    let director = t.login("director").await;
    let review = t
        .post(
            &format!("/api/v1/suppliers/{id}/reviews"),
            &director,
            json!({}),
        )
        .await;
    assert_eq!(review.status, StatusCode::CREATED, "{:?}", review.body);
    let r = t
        .post(
            &format!("/api/v1/reviews/{}/decision", review.body["id"]),
            &quality,
            json!({"approve": approve, "comment": "资质审核"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    id
}

/// A delivery date two days ahead (UTC, so after today in Asia/Shanghai too).
pub fn delivery_date() -> String {
    let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48);
    later.to_string()[..10].to_owned()
}

async fn order(t: &TestApp, token: &str, supplier: i64, at: i64, lines: Value) -> Reply {
    t.post(
        "/api/v1/purchase-orders",
        token,
        json!({"supplier_id": supplier, "warehouse_id": at, "delivery_date": delivery_date(),
               "note": "季度备件采购", "lines": lines}),
    )
    .await
}

async fn receive(t: &TestApp, token: &str, po: i64, body: Value) -> Reply {
    t.post(
        &format!("/api/v1/purchase-orders/{po}/receipts"),
        token,
        body,
    )
    .await
}

fn line(quantity: i64, part: i64) -> Value {
    json!({"part_id": part, "quantity": quantity, "unit_price_fen": 12_000,
           "quality_standard": "GB 9706.1-2020"})
}

#[tokio::test]
async fn prt_5_a_po_to_an_unqualified_supplier_is_refused() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let at = central(&t, &wh, "T-PO-A").await;
    let p = part(&t, &wh, "T-PA-1", "none").await;
    let never = supplier(&t, "未送审供应商", None).await;
    let rejected = supplier(&t, "首营未通过供应商", Some(false)).await;
    let approved = supplier(&t, "合格供应商", Some(true)).await;
    for s in [never, rejected] {
        let r = order(&t, &wh, s, at, json!([line(5, p)])).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert_eq!(r.code(), "supplier_not_qualified");
        assert!(
            r.body["error"]["fields"]["supplier_id"].is_string(),
            "{:?}",
            r.body
        );
    }
    // Submitted, not yet decided: not qualified either.
    let pending = supplier(&t, "待审供应商", None).await;
    let director = t.login("director").await;
    t.post(
        &format!("/api/v1/suppliers/{pending}/reviews"),
        &director,
        json!({}),
    )
    .await;
    let r = order(&t, &wh, pending, at, json!([line(5, p)])).await;
    assert_eq!(r.code(), "supplier_not_qualified", "{:?}", r.body);

    let r = order(&t, &wh, approved, at, json!([line(5, p)])).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(
        r.body["order"]["number"]
            .as_str()
            .unwrap()
            .starts_with("PO-")
    );
    assert_eq!(r.body["order"]["status"], "open");
    assert_eq!(r.body["order"]["total_fen"], 60_000);
    assert_eq!(r.body["order"]["delivery_date"], delivery_date());
    let l = &r.body["lines"][0];
    assert_eq!(
        (&l["spec"], &l["quality_standard"]),
        (&json!("24V"), &json!("GB 9706.1-2020"))
    );
    assert_eq!(l["outstanding_qty"], 5);

    // Bad input names its field; only the warehouse (and admin) orders.
    let past = t
        .post(
            "/api/v1/purchase-orders",
            &wh,
            json!({"supplier_id": approved, "warehouse_id": at, "delivery_date": "2020-01-01",
                   "lines": [line(5, p)]}),
        )
        .await;
    assert!(past.field("delivery_date").is_some(), "{:?}", past.body);
    let bad = order(
        &t,
        &wh,
        approved,
        at,
        json!([line(0, p), {"part_id": p, "quantity": 1,
        "unit_price_fen": -1, "quality_standard": ""}]),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let why = bad.field("lines").unwrap();
    assert!(why.contains("line 1: quantity"), "{why}");
    let finance = t.login("finance").await;
    assert_eq!(
        order(&t, &finance, approved, at, json!([line(5, p)]))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.get("/api/v1/purchase-orders", &finance).await.status,
        StatusCode::OK
    );
    let engineer = t.login("engineer.east").await;
    assert_eq!(
        t.get("/api/v1/purchase-orders", &engineer).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn prt_5_partial_receipts_with_acceptance_never_over_the_order_nor_on_a_closed_po() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let at = central(&t, &wh, "T-PO-B").await;
    let lot = part(&t, &wh, "T-PB-LOT", "lot").await;
    let serial = part(&t, &wh, "T-PB-SN", "serial").await;
    let s = supplier(&t, "合格供应商 B", Some(true)).await;
    let r = order(&t, &wh, s, at, json!([line(10, lot), line(2, serial)])).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let po = r.body["order"]["id"].as_i64().unwrap();

    // A partial delivery: 6 filters arrive, one damaged; one of the two serialised units.
    let first = json!({"note": "第一批", "lines": [
        {"line_no": 1, "received_qty": 6, "accepted_qty": 5, "trace": "L2026-12",
         "reject_reason": "外包装破损"},
        {"line_no": 2, "received_qty": 1, "accepted_qty": 1, "trace": "SN-001"}]});
    let r = receive(&t, &wh, po, first).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["order"]["status"], "open");
    let record = &r.body["receipts"][0];
    assert_eq!(record["inspector_name"], "仓库主管 吴刚");
    assert_eq!(record["lines"][0]["received_qty"], 6);
    assert_eq!(record["lines"][0]["accepted_qty"], 5);
    assert_eq!(record["lines"][0]["trace"], "L2026-12");
    assert_eq!(
        r.body["lines"][0]["outstanding_qty"], 5,
        "rejected units stay outstanding"
    );
    assert_eq!(stock(&t, &wh, lot, at).await["on_hand"], 5);
    let rows = ledger(&t, &wh, lot, at).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (&rows[0]["kind"], &rows[0]["purchase_order_id"]),
        (&json!("receipt"), &json!(po))
    );
    assert_eq!(record["lines"][0]["movement_id"], rows[0]["id"]);

    // Over the order, untraced, unexplained rejections, a non-inspector: refused, nothing moves.
    let over = receive(
        &t,
        &wh,
        po,
        json!({"lines": [
        {"line_no": 1, "received_qty": 6, "accepted_qty": 6, "trace": "L2"}]}),
    )
    .await;
    assert_eq!(
        over.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        over.body
    );
    assert_eq!(over.code(), "over_ordered");
    let finance = t.login("finance").await;
    let admin = t.login("admin").await;
    let finance_id = t.user_id(&admin, "finance").await;
    for (body, field) in [
        (
            json!({"lines": [{"line_no": 1, "received_qty": 1, "accepted_qty": 1}]}),
            "lines",
        ),
        (
            json!({"lines": [{"line_no": 2, "received_qty": 1, "accepted_qty": 1, "trace": "A B"}]}),
            "lines",
        ),
        (
            json!({"lines": [{"line_no": 1, "received_qty": 2, "accepted_qty": 1, "trace": "L2"}]}),
            "lines",
        ),
        (
            json!({"lines": [{"line_no": 3, "received_qty": 1, "accepted_qty": 1}]}),
            "lines",
        ),
        (
            json!({"inspector_id": finance_id, "lines": [
            {"line_no": 1, "received_qty": 1, "accepted_qty": 1, "trace": "L2"}]}),
            "inspector_id",
        ),
    ] {
        let r = receive(&t, &wh, po, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert!(r.field(field).is_some(), "{:?}", r.body);
    }
    assert_eq!(
        receive(&t, &finance, po, json!({"lines": []})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(stock(&t, &wh, lot, at).await["on_hand"], 5);

    // The rest, inspected by quality: every line accepted in full closes the order.
    let quality_id = t.user_id(&admin, "quality").await;
    let rest = json!({"inspector_id": quality_id, "lines": [
        {"line_no": 1, "received_qty": 5, "accepted_qty": 5, "trace": "L2027-01"},
        {"line_no": 2, "received_qty": 1, "accepted_qty": 1, "trace": "SN-002"}]});
    let r = receive(&t, &wh, po, rest).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["order"]["status"], "closed");
    assert_eq!(r.body["receipts"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["receipts"][1]["inspector_id"], quality_id);
    let late = receive(
        &t,
        &wh,
        po,
        json!({"lines": [
        {"line_no": 1, "received_qty": 1, "accepted_qty": 1, "trace": "L3"}]}),
    )
    .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{:?}", late.body);
    assert!(late.field("status").is_some(), "{:?}", late.body);
    for (p, qty) in [(lot, 10), (serial, 2)] {
        assert_eq!(stock(&t, &wh, p, at).await["on_hand"], qty);
        assert_eq!(
            sum(&ledger(&t, &wh, p, at).await),
            qty,
            "the ledger sums exactly"
        );
    }
    ledger_balances(&t, &wh).await;
}

#[tokio::test]
async fn prt_5_an_order_closed_short_takes_no_receipt() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let at = central(&t, &wh, "T-PO-C").await;
    let p = part(&t, &wh, "T-PC-1", "none").await;
    let s = supplier(&t, "合格供应商 C", Some(true)).await;
    let r = order(&t, &wh, s, at, json!([line(4, p)])).await;
    let po = r.body["order"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/purchase-orders/{po}/close");
    let r = t.post(&path, &wh, json!({"reason": ""})).await;
    assert!(r.field("reason").is_some(), "{:?}", r.body);
    let r = t.post(&path, &wh, json!({"reason": "供应商停产"})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["order"]["status"], "closed");
    assert_eq!(
        t.post(&path, &wh, json!({"reason": "again"})).await.status,
        StatusCode::CONFLICT
    );
    let late = receive(
        &t,
        &wh,
        po,
        json!({"lines": [
        {"line_no": 1, "received_qty": 1, "accepted_qty": 1}]}),
    )
    .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{:?}", late.body);
    assert!(ledger(&t, &wh, p, at).await.is_empty());
    let list = t
        .get(
            &format!("/api/v1/purchase-orders?status=closed&supplier_id={s}"),
            &wh,
        )
        .await;
    assert_eq!(list.body["items"][0]["id"], po, "{:?}", list.body);
    let reading = t
        .get(
            &format!("/api/v1/purchase-orders/{po}"),
            &t.login("quality").await,
        )
        .await;
    assert_eq!(reading.status, StatusCode::OK);
}

#[tokio::test]
async fn prt_5_demo_has_a_po_partly_received_with_its_acceptance_record_and_one_open() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let r = t.get("/api/v1/purchase-orders?status=open", &wh).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let orders = r.body["items"].as_array().unwrap();
    assert_eq!(orders.len(), 2, "{:?}", r.body);
    let mut partly = 0;
    for o in orders {
        let detail = t
            .get(&format!("/api/v1/purchase-orders/{}", o["id"]), &wh)
            .await;
        let receipts = detail.body["receipts"].as_array().unwrap();
        if let Some(record) = receipts.first() {
            partly += 1;
            assert_eq!(record["inspector_name"], "质量合规 何静");
            let rejected = &record["lines"][0];
            assert_eq!(
                (&rejected["received_qty"], &rejected["accepted_qty"]),
                (&json!(4), &json!(3))
            );
            assert_ne!(rejected["reject_reason"], "");
            assert_eq!(detail.body["lines"][0]["outstanding_qty"], 7);
        }
    }
    assert_eq!(partly, 1);
    ledger_balances(&t, &wh).await;
}

#[tokio::test]
async fn prt_5_concurrent_receipts_never_exceed_the_order() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let at = central(&t, &wh, "T-PO-D").await;
    let p = part(&t, &wh, "T-PD-1", "none").await;
    let s = supplier(&t, "合格供应商 D", Some(true)).await;
    let r = order(&t, &wh, s, at, json!([line(10, p)])).await;
    let po = r.body["order"]["id"].as_i64().unwrap();
    // Eight deliveries of 5 against an order of 10, all at once.
    let client = reqwest::Client::new();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let call = client
            .post(t.url(&format!("/api/v1/purchase-orders/{po}/receipts")))
            .bearer_auth(&wh)
            .json(&json!({"lines": [{"line_no": 1, "received_qty": 5, "accepted_qty": 5}]}));
        tasks.spawn(async move { call.send().await.unwrap().status() });
    }
    let statuses = tasks.join_all().await;
    let ok = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(ok, 2, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "the rest find the order closed: {statuses:?}"
    );
    assert_eq!(stock(&t, &wh, p, at).await["on_hand"], 10);
    assert_eq!(sum(&ledger(&t, &wh, p, at).await), 10);
    ledger_balances(&t, &wh).await;
}
