//! PRT-4: stock counts (盘点): count sheets per location (optionally blind), variances, and
//! approval by someone who took no part in the count, which adjusts the book to what was
//! counted through the ledger.

use medcrm_testkit::{Reply, TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::parts::{central, ledger, ledger_balances, part, receive, stock, sum};

/// A central location holding `stock` of new parts: (location, part ids).
async fn stocked(t: &TestApp, wh: &str, tag: &str, stock: &[i64]) -> (i64, Vec<i64>) {
    let at = central(t, wh, &format!("T-CNT-{tag}")).await;
    let mut parts = Vec::new();
    for (n, qty) in stock.iter().enumerate() {
        let p = part(t, wh, &format!("T-C{tag}-{n}"), "none").await;
        assert_eq!(
            receive(t, wh, p, at, *qty).await.status,
            StatusCode::CREATED
        );
        parts.push(p);
    }
    (at, parts)
}

async fn open(t: &TestApp, token: &str, at: i64, blind: bool) -> Reply {
    t.post(
        "/api/v1/stock/counts",
        token,
        json!({"warehouse_id": at, "blind": blind, "note": "月末盘点"}),
    )
    .await
}

async fn record(t: &TestApp, token: &str, count: i64, lines: Value) -> Reply {
    t.put(
        &format!("/api/v1/stock/counts/{count}/lines"),
        token,
        json!({ "lines": lines }),
    )
    .await
}

async fn act(t: &TestApp, token: &str, count: i64, step: &str, comment: &str) -> Reply {
    let path = format!("/api/v1/stock/counts/{count}/{step}");
    match step {
        "submit" => t.post(&path, token, json!({})).await,
        _ => t.post(&path, token, json!({ "comment": comment })).await,
    }
}

fn line(sheet: &Value, part: i64) -> Value {
    sheet["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["part_id"] == part)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Opens, counts and submits a count of `at` by the warehouse.
async fn submitted(t: &TestApp, wh: &str, at: i64, lines: Value) -> Value {
    let r = open(t, wh, at, false).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["count"]["id"].as_i64().unwrap();
    let r = record(t, wh, id, lines).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = act(t, wh, id, "submit", "").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["count"]["status"], "submitted");
    r.body
}

#[tokio::test]
async fn prt_4_approved_count_makes_book_equal_physical_and_the_ledger_still_sums() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let (at, parts) = stocked(&t, &wh, "A", &[10, 5]).await;
    let (short, over) = (parts[0], parts[1]);
    // Found at the location although the book has none there.
    let found = part(&t, &wh, "T-CA-FOUND", "none").await;
    let sheet = submitted(
        &t,
        &wh,
        at,
        json!([{"part_id": short, "counted_qty": 7}, {"part_id": over, "counted_qty": 6},
               {"part_id": found, "counted_qty": 2}]),
    )
    .await;
    let id = sheet["count"]["id"].as_i64().unwrap();
    for (p, book, variance) in [(short, 10, -3), (over, 5, 1), (found, 0, 2)] {
        let l = line(&sheet, p);
        assert_eq!(
            (l["book_qty"].as_i64(), l["variance"].as_i64()),
            (Some(book), Some(variance)),
            "{l}"
        );
    }
    // Submitting moves nothing: the book waits for the approval.
    assert_eq!(stock(&t, &wh, short, at).await["on_hand"], 10);

    let manager = t.login("service.manager").await;
    let r = act(&t, &manager, id, "approve", "盘点差异已核实").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["count"]["status"], "approved");
    for (p, physical) in [(short, 7), (over, 6), (found, 2)] {
        assert_eq!(
            stock(&t, &wh, p, at).await["on_hand"],
            physical,
            "book = physical"
        );
        let rows = ledger(&t, &wh, p, at).await;
        assert_eq!(sum(&rows), physical, "the ledger sums to the balance");
        let adjustment = rows.iter().find(|m| m["kind"] == "adjustment").unwrap();
        assert_eq!(adjustment["stock_count_id"], id, "{adjustment}");
        assert_eq!(adjustment["reason"], "盘点差异已核实");
        assert_eq!(line(&r.body, p)["movement_id"], adjustment["id"]);
    }
    ledger_balances(&t, &wh).await;
    // Decided once: a second decision is a conflict and adjusts nothing again.
    let admin = t.login("admin").await;
    let again = act(&t, &admin, id, "approve", "").await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{:?}", again.body);
    assert!(again.field("status").is_some(), "{:?}", again.body);
    assert_eq!(stock(&t, &wh, short, at).await["on_hand"], 7);
    let list = t
        .get(
            &format!("/api/v1/stock/counts?status=approved&warehouse_id={at}"),
            &manager,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body["items"][0]["id"], id);
}

#[tokio::test]
async fn prt_4_a_count_adjusts_only_when_approved_and_never_by_its_own_counter() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let (at, parts) = stocked(&t, &wh, "B", &[8]).await;
    let p = parts[0];
    let sheet = submitted(&t, &wh, at, json!([{"part_id": p, "counted_qty": 5}])).await;
    let id = sheet["count"]["id"].as_i64().unwrap();
    // The warehouse keeps stock but does not approve its own counts.
    let r = act(&t, &wh, id, "approve", "").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    // An engineer sees only their own stock: the count does not exist for them.
    let engineer = t.login("engineer.east").await;
    assert_eq!(
        t.get(&format!("/api/v1/stock/counts/{id}"), &engineer)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        act(&t, &engineer, id, "approve", "").await.status,
        StatusCode::FORBIDDEN
    );
    // Once submitted the sheet is closed to counting.
    let late = record(&t, &wh, id, json!([{"part_id": p, "counted_qty": 8}])).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{:?}", late.body);
    assert_eq!(
        stock(&t, &wh, p, at).await["on_hand"],
        8,
        "nothing adjusted yet"
    );

    // An admin who counted may not approve what they counted.
    let admin = t.login("admin").await;
    let (at2, parts2) = stocked(&t, &wh, "C", &[4]).await;
    let r = open(&t, &admin, at2, false).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let own = r.body["count"]["id"].as_i64().unwrap();
    assert_eq!(
        record(
            &t,
            &admin,
            own,
            json!([{"part_id": parts2[0], "counted_qty": 3}])
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        act(&t, &admin, own, "submit", "").await.status,
        StatusCode::OK
    );
    let r = act(&t, &admin, own, "approve", "").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.code(), "own_count");
    assert_eq!(stock(&t, &wh, parts2[0], at2).await["on_hand"], 4);
    // Nor after the warehouse recounted the line the admin had counted.
    let (at3, parts3) = stocked(&t, &wh, "E", &[2]).await;
    let r = open(&t, &wh, at3, false).await;
    let recounted = r.body["count"]["id"].as_i64().unwrap();
    for (who, qty) in [(&admin, 1), (&wh, 2)] {
        let r = record(
            &t,
            who,
            recounted,
            json!([{"part_id": parts3[0], "counted_qty": qty}]),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    assert_eq!(
        act(&t, &wh, recounted, "submit", "").await.status,
        StatusCode::OK
    );
    let r = act(&t, &admin, recounted, "approve", "").await;
    assert_eq!(r.code(), "own_count", "{:?}", r.body);

    // A rejection says why and moves nothing; the location can be counted again.
    let manager = t.login("service.manager").await;
    let r = act(&t, &manager, id, "reject", "").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.field("comment").is_some(), "{:?}", r.body);
    let r = act(&t, &manager, id, "reject", "请复盘").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["count"]["status"], "rejected");
    assert_eq!(line(&r.body, p)["movement_id"], Value::Null);
    assert_eq!(stock(&t, &wh, p, at).await["on_hand"], 8);
    assert_eq!(ledger(&t, &wh, p, at).await.len(), 1, "only the receipt");
    assert_eq!(open(&t, &wh, at, false).await.status, StatusCode::CREATED);
    ledger_balances(&t, &wh).await;
}

#[tokio::test]
async fn prt_4_blind_count_hides_the_book_until_submitted_and_one_open_count_per_location() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let (at, parts) = stocked(&t, &wh, "D", &[6, 3]).await;
    let r = open(&t, &wh, at, true).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["count"]["id"].as_i64().unwrap();
    assert_eq!(
        r.body["lines"].as_array().unwrap().len(),
        2,
        "every part stocked there"
    );
    for p in &parts {
        let l = line(&r.body, *p);
        assert_eq!(
            (&l["book_qty"], &l["variance"]),
            (&Value::Null, &Value::Null),
            "{l}"
        );
    }
    let again = open(&t, &wh, at, false).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{:?}", again.body);
    assert!(again.field("warehouse_id").is_some());

    let r = record(
        &t,
        &wh,
        id,
        json!([{"part_id": parts[0], "counted_qty": 6}]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        line(&r.body, parts[0])["book_qty"],
        Value::Null,
        "still blind"
    );
    let bad = record(
        &t,
        &wh,
        id,
        json!([{"part_id": parts[1], "counted_qty": -1}]),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field("lines").is_some(), "{:?}", bad.body);
    let early = act(&t, &wh, id, "submit", "").await;
    assert_eq!(
        early.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        early.body
    );
    assert!(
        early.field("lines").unwrap().contains("T-CD-1"),
        "{:?}",
        early.body
    );

    assert_eq!(
        record(
            &t,
            &wh,
            id,
            json!([{"part_id": parts[1], "counted_qty": 3}])
        )
        .await
        .status,
        StatusCode::OK
    );
    let r = act(&t, &wh, id, "submit", "").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        line(&r.body, parts[0])["book_qty"],
        6,
        "shown once submitted"
    );
    assert_eq!(line(&r.body, parts[1])["variance"], 0);
    // No variance: the approval posts nothing.
    let manager = t.login("service.manager").await;
    let r = act(&t, &manager, id, "approve", "").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(ledger(&t, &wh, parts[0], at).await.len(), 1);
}

#[tokio::test]
async fn prt_4_demo_has_an_approved_count_with_a_variance_and_one_awaiting_approval() {
    let t = spawn_app().await;
    let manager = t.login("service.manager").await;
    let counts = |status: &'static str| {
        let t = &t;
        let manager = &manager;
        async move {
            let r = t
                .get(&format!("/api/v1/stock/counts?status={status}"), manager)
                .await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
            r.body["items"].as_array().unwrap().clone()
        }
    };
    let approved = counts("approved").await;
    assert_eq!(approved.len(), 1);
    let sheet = t
        .get(
            &format!("/api/v1/stock/counts/{}", approved[0]["id"]),
            &manager,
        )
        .await;
    let adjusted: Vec<&Value> = sheet.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["variance"] != 0)
        .collect();
    assert_eq!(adjusted.len(), 1, "{:?}", sheet.body);
    assert_eq!(adjusted[0]["variance"], -1);
    assert!(adjusted[0]["movement_id"].is_i64());
    let waiting = counts("submitted").await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0]["blind"], true);
}
