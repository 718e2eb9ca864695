//! ORD-1…4, PRD-2/5: orders off signed contracts, shipments with UDI, the installed base, the
//! GSP sales records that are never deleted, and the recall trace.

use medcrm_testkit::{Reply, TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::contracts::{complete_contract, signed_contract};
use crate::products::{days_from_today, institution_id, product_id};

/// A valid UDI of serial `serial`, lot LOT123, made 2025-01-01, expiring 2027-01-01.
fn udi(serial: &str) -> String {
    format!(
        "]d2010690123456789211250101172701011{}21{serial}",
        "0LOT123\u{1d}"
    )
}

/// An order calling off `quantity` of the contract's first line.
pub async fn order(t: &TestApp, token: &str, contract: &Value, quantity: i64) -> Reply {
    t.post(
        "/api/v1/orders",
        token,
        json!({"contract_id": contract["id"], "requested_date": days_from_today(7),
               "note": "请于周一上午送达设备科", "lines": [{"line_no": 1, "quantity": quantity}]}),
    )
    .await
}

async fn placed(t: &TestApp, token: &str, contract: &Value, quantity: i64) -> Value {
    let r = order(t, token, contract, quantity).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

/// A shipment of `items` against the order, every PRD-5 document provided.
pub fn shipment(order: &Value, items: Value) -> Value {
    json!({"order_id": order["id"], "ship_date": days_from_today(0), "manual_provided": true,
           "label_provided": true, "certificate_provided": true, "items": items})
}

fn line_of(order: &Value) -> &Value {
    &order["lines"][0]["id"]
}

async fn ship(t: &TestApp, token: &str, body: Value) -> Reply {
    t.post("/api/v1/deliveries", token, body).await
}

/// A signed contract for `initials` of `quantity` × `code` as rep.east.
pub async fn contract(
    t: &TestApp,
    code: &str,
    initials: &str,
    quantity: i64,
    price: &str,
) -> Value {
    let rep = t.login("rep.east").await;
    let product = product_id(t, &rep, code).await;
    let institution = institution_id(t, &rep, initials).await;
    signed_contract(t, &rep, institution, product, quantity, price).await
}

#[tokio::test]
async fn ord_1_orders_call_off_a_signed_contract_and_cannot_exceed_it() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let k = contract(&t, "RK-US-8000", "fddxfszsyy", 3, "1300000").await;
    let first = placed(&t, &rep, &k, 2).await;
    assert_eq!(first["status"], "open");
    assert!(first["number"].as_str().unwrap().starts_with("DD-"));
    assert_eq!(first["lines"][0]["unit_price"], "1,300,000.00");
    let over = order(&t, &rep, &k, 2).await;
    assert_eq!(
        over.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        over.body
    );
    assert_eq!(over.code(), "over_ordered");
    let message = over.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("line 1"), "{message}");
    assert!(message.contains("RK-US-8000"), "{message}");
    placed(&t, &rep, &k, 1).await;
    // A cancelled order gives its quantity back.
    let cancelled = t
        .post(
            &format!("/api/v1/orders/{}/cancel", first["id"]),
            &rep,
            json!({}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    placed(&t, &rep, &k, 2).await;
    let again = t
        .post(
            &format!("/api/v1/orders/{}/cancel", first["id"]),
            &rep,
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let bad_line = t
        .post(
            "/api/v1/orders",
            &rep,
            json!({"contract_id": k["id"], "requested_date": days_from_today(7),
                   "lines": [{"line_no": 9, "quantity": 1}]}),
        )
        .await;
    assert_eq!(bad_line.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_line.field("lines").unwrap().contains("no line 9"));
}

#[tokio::test]
async fn ord_1_a_contract_not_signed_takes_no_order() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let draft = t
        .post(
            "/api/v1/contracts",
            &rep,
            complete_contract(zhongshan, us, 1, "1380000"),
        )
        .await;
    assert_eq!(draft.status, StatusCode::CREATED);
    let r = order(&t, &rep, &draft.body, 1).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "contract_not_signed");
}

#[tokio::test]
async fn ord_1_scope_another_regions_rep_sees_no_order_and_a_rep_cannot_ship() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let north = t.login("rep.north").await;
    let k = contract(&t, "RK-US-8000", "fddxfszsyy", 1, "1380000").await;
    let o = placed(&t, &rep, &k, 1).await;
    let r = t.get(&format!("/api/v1/orders/{}", o["id"]), &north).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let list = t.get("/api/v1/orders", &north).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["id"] != o["id"])
    );
    let mine = t.get("/api/v1/orders", &rep).await;
    assert_eq!(mine.body["items"][0]["id"], o["id"], "newest first");
    let items = json!([{"order_line_id": line_of(&o), "serial": "SN-R1"}]);
    let r = ship(&t, &rep, shipment(&o, items)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The other region's rep cannot order off this contract either.
    let r = order(&t, &north, &k, 1).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn ord_1_ord_2_ord_3_partial_shipments_with_udi_fill_the_ledger_installed_base_and_records() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let wh = t.login("warehouse").await;
    let k = contract(&t, "RK-US-8000", "fddxfszsyy", 2, "1300000").await;
    let o = placed(&t, &rep, &k, 2).await;
    let items = json!([{"order_line_id": line_of(&o), "udi": udi("SN0001")}]);
    let first = ship(&t, &wh, shipment(&o, items)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let item = &first.body["items"][0];
    assert_eq!(item["serial"], "SN0001");
    assert_eq!(item["lot"], "LOT123");
    assert_eq!(item["production_date"], "2025-01-01");
    assert_eq!(item["expiry_date"], "2027-01-01");
    assert_eq!(item["udi_di"], "06901234567892");
    assert!(first.body["number"].as_str().unwrap().starts_with("FH-"));
    let now = t.get(&format!("/api/v1/orders/{}", o["id"]), &rep).await;
    assert_eq!(now.body["status"], "partially_delivered");
    assert_eq!(now.body["lines"][0]["delivered_qty"], 1);
    let ledger = t.get(&format!("/api/v1/contracts/{}", k["id"]), &rep).await;
    assert_eq!(ledger.body["status"], "in_execution");
    assert_eq!(ledger.body["delivered_fen"], 130_000_000);
    // ORD-2: the device, with the contract's 24-month warranty from delivery.
    let devices = t.get("/api/v1/devices?q=SN0001", &rep).await;
    let device = &devices.body["items"][0];
    assert_eq!(device["delivered_on"], days_from_today(0));
    let in_two_years = medcrm_app::customers::today()
        .checked_add(jiff::Span::new().months(24))
        .unwrap();
    assert_eq!(device["warranty_end"], in_two_years.to_string());
    // ORD-3: the record a regulator reads.
    let quality = t.login("quality").await;
    let records = t.get("/api/v1/sales-records", &quality).await;
    let g = &records.body["items"][0];
    assert_eq!(g["serial"], "SN0001");
    assert_eq!(g["registration_no"], "国械注准20233060581");
    assert_eq!(g["manufacturer"], "瑞康医疗器械（苏州）有限公司");
    assert_eq!(g["buyer_name"], "复旦大学附属中山医院");
    assert_eq!(g["unit_price"], "1,300,000.00");
    assert_eq!(g["retain_until"], "2029-01-01", "2 years past expiry");
    // The rest ships; the order is delivered and cannot be cancelled.
    let items = json!([{"order_line_id": line_of(&o), "serial": "SN0002"}]);
    let second = ship(&t, &wh, shipment(&o, items)).await;
    assert_eq!(second.status, StatusCode::CREATED, "{:?}", second.body);
    let done = t.get(&format!("/api/v1/orders/{}", o["id"]), &rep).await;
    assert_eq!(done.body["status"], "delivered");
    assert_eq!(done.body["deliveries"].as_array().unwrap().len(), 2);
    let more = json!([{"order_line_id": line_of(&o), "serial": "SN0003"}]);
    assert_eq!(
        ship(&t, &wh, shipment(&o, more)).await.status,
        StatusCode::CONFLICT
    );
    let cancel = t
        .post(
            &format!("/api/v1/orders/{}/cancel", o["id"]),
            &rep,
            json!({}),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::CONFLICT);
    // Receipt, by sales.
    let id = second.body["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/deliveries/{id}/receipt"),
            &rep,
            json!({"received_date": days_from_today(0)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "received");
    let twice = t
        .post(
            &format!("/api/v1/deliveries/{id}/receipt"),
            &wh,
            json!({"received_date": days_from_today(0)}),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn ord_1_a_serial_delivered_twice_is_a_conflict_and_serialized_items_are_one_each() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let wh = t.login("warehouse").await;
    let k = contract(&t, "RK-US-8000", "fddxfszsyy", 3, "1300000").await;
    let o = placed(&t, &rep, &k, 3).await;
    let line = line_of(&o);
    let two = json!([{"order_line_id": line, "serial": "SN-A", "quantity": 2}]);
    let r = ship(&t, &wh, shipment(&o, two)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("items").unwrap().contains("quantity 1"));
    let none = json!([{"order_line_id": line}]);
    let r = ship(&t, &wh, shipment(&o, none)).await;
    assert!(r.field("items").unwrap().contains("serial"), "{:?}", r.body);
    let same = json!([{"order_line_id": line, "serial": "SN-A"}, {"order_line_id": line, "serial": "SN-A"}]);
    assert_eq!(
        ship(&t, &wh, shipment(&o, same)).await.status,
        StatusCode::CONFLICT
    );
    let one = json!([{"order_line_id": line, "serial": "SN-A"}]);
    assert_eq!(
        ship(&t, &wh, shipment(&o, one.clone())).await.status,
        StatusCode::CREATED
    );
    let r = ship(&t, &wh, shipment(&o, one)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("SN-A")
    );
    let dates = json!([{"order_line_id": line, "serial": "SN-B", "production_date": "2026-01-02",
                        "expiry_date": "2026-01-01"}]);
    let r = ship(&t, &wh, shipment(&o, dates)).await;
    assert!(
        r.field("items")
            .unwrap()
            .contains("after the production date")
    );
}

#[tokio::test]
async fn ord_1_a_malformed_udi_is_refused_with_its_reason() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let wh = t.login("warehouse").await;
    let k = contract(&t, "RK-US-8000", "fddxfszsyy", 1, "1300000").await;
    let o = placed(&t, &rep, &k, 1).await;
    let bad = json!([{"order_line_id": line_of(&o), "udi": "(01)06901234567891(21)SN9"}]);
    let r = ship(&t, &wh, shipment(&o, bad)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "udi_invalid");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("check digit should be 2")
    );
    let mismatch = json!([{"order_line_id": line_of(&o), "udi": udi("SN1"), "serial": "SN2"}]);
    let r = ship(&t, &wh, shipment(&o, mismatch)).await;
    assert!(r.field("items").unwrap().contains("differs from the UDI"));
    for (text, reason) in [
        (
            "(01)06901234567892(99)X",
            "unknown application identifier (99)",
        ),
        ("(01)06901234567892(17)271301", "no such month"),
        ("(10)LOT1", "no (01) GTIN"),
        ("(01)06901234567892(10)A(10)B", "(10) appears twice"),
        ("(01)06901234567892(10)ABCDEFGHIJKLMNOPQRSTU", "at most 20"),
    ] {
        let r = t.post("/api/v1/udi/parse", &wh, json!({"udi": text})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(reason),
            "{text}: {:?}",
            r.body
        );
    }
    let ok = t
        .post("/api/v1/udi/parse", &wh, json!({"udi": udi("SN7")}))
        .await;
    assert_eq!(ok.body["serial"], "SN7");
    assert_eq!(ok.body["expiry_date"], "2027-01-01");
    assert_eq!(
        t.post("/api/v1/udi/parse", &rep, json!({"udi": udi("SN7")}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn prd_5_a_shipment_without_manual_label_or_certificate_is_refused() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let wh = t.login("warehouse").await;
    let k = contract(&t, "RK-US-8000", "fddxfszsyy", 1, "1300000").await;
    let o = placed(&t, &rep, &k, 1).await;
    let mut body = shipment(&o, json!([{"order_line_id": line_of(&o), "serial": "SN1"}]));
    body["label_provided"] = json!(false);
    let r = ship(&t, &wh, body.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "documents_missing");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("标签")
    );
    body["label_provided"] = json!(true);
    let r = ship(&t, &wh, body).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["manual_provided"], true);
    assert_eq!(r.body["certificate_provided"], true);
}

#[tokio::test]
async fn prd_2_shipping_after_the_certificate_expired_is_refused_with_the_reason() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let wh = t.login("warehouse").await;
    let k = contract(&t, "RK-PTCA-25", "fddxfszsyy", 10, "2800").await;
    let o = placed(&t, &rep, &k, 10).await;
    let product = k["lines"][0]["product_id"].as_i64().unwrap();
    let yesterday = days_from_today(-1);
    t.raw_sql(&format!(
        "UPDATE documents SET valid_to = '{yesterday}' WHERE product_id = {product}"
    ))
    .await
    .unwrap();
    let items = json!([{"order_line_id": line_of(&o), "quantity": 10, "lot": "L2401",
                        "expiry_date": days_from_today(700)}]);
    let r = ship(&t, &wh, shipment(&o, items)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.code(), "not_sellable");
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&yesterday), "{message}");
    assert!(message.contains("RK-PTCA-25"), "{message}");
}

#[tokio::test]
async fn ord_2_installed_base_is_scoped_and_installation_restarts_the_warranty() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let north = t.login("rep.north").await;
    let wh = t.login("warehouse").await;
    let service = t.login("service.manager").await;
    let k = contract(&t, "RK-US-8000", "fddxfszsyy", 1, "1300000").await;
    let o = placed(&t, &rep, &k, 1).await;
    let r = ship(
        &t,
        &wh,
        shipment(&o, json!([{"order_line_id": line_of(&o), "serial": "SN9"}])),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let list = t.get("/api/v1/devices", &rep).await;
    let device = list.body["items"][0].clone();
    let id = device["id"].as_i64().unwrap();
    assert!(
        t.get("/api/v1/devices", &north).await.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["id"] != id)
    );
    assert_eq!(
        t.get(&format!("/api/v1/devices/{id}"), &north).await.status,
        StatusCode::NOT_FOUND
    );
    let one = t.get(&format!("/api/v1/devices/{id}"), &rep).await;
    assert_eq!(one.body["warranty"], "in_warranty");
    assert_eq!(one.body["warranty_months"], 24);
    assert_eq!(one.body["contract_number"], k["number"]);
    assert_eq!(one.body["delivery_id"], r.body["id"]);
    // Reps read the installed base; the service side maintains it.
    let patch = json!({"installed_on": days_from_today(0), "status": "installed"});
    assert_eq!(
        t.patch(&format!("/api/v1/devices/{id}"), &rep, patch.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let yesterday = days_from_today(-1);
    let early = t
        .patch(
            &format!("/api/v1/devices/{id}"),
            &service,
            json!({"installed_on": yesterday}),
        )
        .await;
    assert!(
        early.field("installed_on").is_some(),
        "before the delivery: {:?}",
        early.body
    );
    let r = t
        .patch(&format!("/api/v1/devices/{id}"), &service, patch)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "installed");
    assert_eq!(r.body["installed_on"], days_from_today(0));
    assert!(r.body["warranty_end"].as_str().unwrap() > days_from_today(700).as_str());
    let bad = t
        .patch(
            &format!("/api/v1/devices/{id}"),
            &service,
            json!({"status": "lost"}),
        )
        .await;
    assert!(bad.field("status").is_some());
}

/// How many sales records `token` sees (the demo has some already).
async fn records_seen(t: &TestApp, token: &str) -> usize {
    let all = t.get("/api/v1/sales-records?limit=200", token).await;
    all.body["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn ord_3_a_sales_record_cannot_be_deleted_or_changed_by_any_path() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let wh = t.login("warehouse").await;
    let quality = t.login("quality").await;
    let before = records_seen(&t, &quality).await;
    let k = contract(&t, "RK-PTCA-25", "fddxfszsyy", 10, "2800").await;
    let o = placed(&t, &rep, &k, 10).await;
    let items = json!([{"order_line_id": line_of(&o), "quantity": 10, "lot": "L2401",
                        "production_date": "2025-06-01", "expiry_date": "2028-05-31"}]);
    assert_eq!(
        ship(&t, &wh, shipment(&o, items)).await.status,
        StatusCode::CREATED
    );
    let records = t.get("/api/v1/sales-records", &quality).await;
    let g = records.body["items"][0].clone();
    let id = g["id"].as_i64().unwrap();
    assert_eq!(g["retain_until"], "2030-05-31");
    assert_eq!(g["implantable"], false);
    // No route deletes or edits it.
    for token in [&quality, &wh] {
        let r = t
            .delete(&format!("/api/v1/sales-records/{id}"), token)
            .await;
        assert!(
            matches!(
                r.status,
                StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
            ),
            "{:?}",
            r.status
        );
        let r = t
            .patch(
                &format!("/api/v1/sales-records/{id}"),
                token,
                json!({"quantity": 1}),
            )
            .await;
        assert!(
            matches!(
                r.status,
                StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
            ),
            "{:?}",
            r.status
        );
    }
    // Nor does the database, whoever connects to it.
    let e = t
        .raw_sql(&format!("DELETE FROM gsp_records WHERE id = {id}"))
        .await
        .unwrap_err();
    assert!(e.contains("never"), "{e}");
    let e = t
        .raw_sql(&format!(
            "UPDATE gsp_records SET quantity = 1 WHERE id = {id}"
        ))
        .await
        .unwrap_err();
    assert!(e.contains("never"), "{e}");
    assert!(t.raw_sql("DELETE FROM gsp_records").await.is_err());
    // A correction is a new record; the original stays as it was.
    let c = t
        .post(
            &format!("/api/v1/sales-records/{id}/corrections"),
            &quality,
            json!({"lot": "L2402", "reason": "批号录入错误，按随货标签更正"}),
        )
        .await;
    assert_eq!(c.status, StatusCode::CREATED, "{:?}", c.body);
    assert_eq!(c.body["corrects_id"], id);
    assert_eq!(c.body["lot"], "L2402");
    assert_eq!(c.body["quantity"], 10);
    let original = t
        .get(&format!("/api/v1/sales-records/{id}"), &quality)
        .await;
    assert_eq!(original.body["lot"], "L2401");
    assert_eq!(original.body["corrected_by"], c.body["id"]);
    let twice = t
        .post(
            &format!("/api/v1/sales-records/{id}/corrections"),
            &quality,
            json!({"reason": "再次更正"}),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let no_reason = t
        .post(
            &format!("/api/v1/sales-records/{}/corrections", c.body["id"]),
            &quality,
            json!({"reason": ""}),
        )
        .await;
    assert!(no_reason.field("reason").is_some());
    assert_eq!(
        t.post(
            &format!("/api/v1/sales-records/{id}/corrections"),
            &wh,
            json!({"reason": "更正"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        records_seen(&t, &quality).await,
        before + 2,
        "the original and its correction"
    );
    // The inspector's export of the period.
    let (status, content_type, bytes) = t
        .fetch(
            &format!(
                "/api/v1/sales-records/export.xlsx?from={}&to={}",
                days_from_today(-1),
                days_from_today(0)
            ),
            &quality,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.contains("spreadsheetml"), "{content_type}");
    assert!(bytes.starts_with(b"PK"));
}

#[tokio::test]
async fn ord_3_sales_records_follow_the_readers_scope() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let wh = t.login("warehouse").await;
    let director = t.login("director").await;
    let manager = t.login("manager.east").await;
    let (all_before, east_before) = (
        records_seen(&t, &director).await,
        records_seen(&t, &manager).await,
    );
    let k = contract(&t, "RK-PTCA-25", "fddxfszsyy", 5, "2800").await;
    let o = placed(&t, &rep, &k, 5).await;
    let items = json!([{"order_line_id": line_of(&o), "quantity": 5, "lot": "L1", "expiry_date": days_from_today(500)}]);
    assert_eq!(
        ship(&t, &wh, shipment(&o, items)).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        t.get("/api/v1/sales-records", &rep).await.status,
        StatusCode::FORBIDDEN
    );
    let east = t.login("manager.east").await;
    let id = t.get("/api/v1/sales-records", &east).await.body["items"][0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        t.get(&format!("/api/v1/sales-records/{id}"), &east)
            .await
            .status,
        StatusCode::OK
    );
    // A sale in the North is not the East manager's to read.
    let north = t.login("rep.north").await;
    let ptca = product_id(&t, &north, "RK-PTCA-25").await;
    let xiehe = institution_id(&t, &north, "bjxhyy").await;
    let nk = signed_contract(&t, &north, xiehe, ptca, 5, "2800").await;
    let no = placed(&t, &north, &nk, 5).await;
    let items = json!([{"order_line_id": line_of(&no), "quantity": 5, "lot": "L1", "expiry_date": days_from_today(500)}]);
    assert_eq!(
        ship(&t, &wh, shipment(&no, items)).await.status,
        StatusCode::CREATED
    );
    assert_eq!(records_seen(&t, &director).await, all_before + 2);
    let all = t.get("/api/v1/sales-records", &director).await;
    let north_id = all.body["items"][0]["id"].as_i64().unwrap();
    assert_eq!(records_seen(&t, &east).await, east_before + 1);
    assert_eq!(
        t.get(&format!("/api/v1/sales-records/{north_id}"), &east)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Nor are the North's devices and orders the East rep's (trace by lot L1 as well).
    let quality = t.login("quality").await;
    let trace = t
        .get(&format!("/api/v1/trace?product_id={ptca}&lot=L1"), &quality)
        .await;
    assert_eq!(trace.body["institutions"], 2);
}

#[tokio::test]
async fn ord_4_trace_by_lot_lists_both_hospitals_and_by_serial_range() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let wh = t.login("warehouse").await;
    let quality = t.login("quality").await;
    for initials in ["fddxfszsyy", "shjtdxyxyfsrjyy"] {
        let k = contract(&t, "RK-PTCA-25", initials, 20, "2800").await;
        let o = placed(&t, &rep, &k, 20).await;
        let items = json!([{"order_line_id": line_of(&o), "quantity": 20, "lot": "L2407",
                            "expiry_date": days_from_today(900)}]);
        assert_eq!(
            ship(&t, &wh, shipment(&o, items)).await.status,
            StatusCode::CREATED
        );
    }
    let ptca = product_id(&t, &rep, "RK-PTCA-25").await;
    let r = t
        .get(
            &format!("/api/v1/trace?product_id={ptca}&lot=L2407"),
            &quality,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["institutions"], 2);
    let names: Vec<&str> = r.body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["institution_name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"复旦大学附属中山医院"), "{names:?}");
    assert!(
        names.contains(&"上海交通大学医学院附属瑞金医院"),
        "{names:?}"
    );
    assert!(
        r.body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["open_tickets"] == serde_json::json!([]))
    );
    let none = t
        .get(
            &format!("/api/v1/trace?product_id={ptca}&lot=L9999"),
            &quality,
        )
        .await;
    assert!(none.body["hits"].as_array().unwrap().is_empty());
    // Serial range over installed devices.
    let k = contract(&t, "RK-US-8000", "fddxfszsyy", 3, "1300000").await;
    let o = placed(&t, &rep, &k, 3).await;
    let items: Vec<Value> = ["SN0008", "SN0009", "SN0010"]
        .iter()
        .map(|s| json!({"order_line_id": line_of(&o), "serial": s}))
        .collect();
    assert_eq!(
        ship(&t, &wh, shipment(&o, json!(items))).await.status,
        StatusCode::CREATED
    );
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let r = t
        .get(
            &format!("/api/v1/trace?product_id={us}&serial_from=SN0009&serial_to=SN0100"),
            &quality,
        )
        .await;
    let serials: Vec<&str> = r.body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["serial"].as_str().unwrap())
        .collect();
    assert_eq!(serials, ["SN0009", "SN0010"]);
    let uneven = t
        .get(
            &format!("/api/v1/trace?product_id={us}&serial_from=SN9&serial_to=SN0100"),
            &quality,
        )
        .await;
    assert!(uneven.field("serial_from").unwrap().contains("same length"));
    assert_eq!(
        t.get(&format!("/api/v1/trace?product_id={us}&lot=L1"), &rep)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let (status, content_type, _) = t
        .fetch(
            &format!("/api/v1/trace.xlsx?product_id={ptca}&lot=L2407"),
            &quality,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.contains("spreadsheetml"));
}

#[tokio::test]
async fn cus_2_the_customer_page_shows_its_deliveries_and_installed_base() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let wh = t.login("warehouse").await;
    let k = contract(&t, "RK-US-8000", "fddxfszsyy", 1, "1300000").await;
    let o = placed(&t, &rep, &k, 1).await;
    let items = json!([{"order_line_id": line_of(&o), "serial": "SN-CUS2"}]);
    assert_eq!(
        ship(&t, &wh, shipment(&o, items)).await.status,
        StatusCode::CREATED
    );
    let id = k["institution_id"].as_i64().unwrap();
    let mut b = t.browser();
    b.sign_in("rep.east").await;
    let page = b.get(&format!("/customers/{id}")).await;
    assert!(
        page.body.contains("彩色多普勒超声诊断系统"),
        "{}",
        page.body
    );
    assert!(page.body.contains("1,300,000.00"));
    assert!(page.body.contains(k["number"].as_str().unwrap()));
    assert!(page.body.contains("SN-CUS2"));
}

#[tokio::test]
async fn ord_4_demo_deliveries_ship_signed_contracts_and_share_a_lot_between_hospitals() {
    let t = spawn_app().await;
    let quality = t.login("quality").await;
    let us = product_id(&t, &quality, "RK-US-8000").await;
    let r = t
        .get(
            &format!("/api/v1/trace?product_id={us}&lot=US2610"),
            &quality,
        )
        .await;
    assert_eq!(r.body["institutions"], 2, "{:?}", r.body);
    // Every shipped device is in the installed base with its scanned UDI, installed today.
    let devices = t.get("/api/v1/devices", &quality).await;
    let list = devices.body["items"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|d| d["status"] == "installed"));
    assert!(list[0]["udi"].as_str().unwrap().starts_with("]d201"));
    let partial = t
        .get("/api/v1/orders?status=partially_delivered", &quality)
        .await;
    assert_eq!(partial.body["items"].as_array().unwrap().len(), 1);
    // A completed contract takes no more orders.
    let done = t.get("/api/v1/contracts?status=completed", &quality).await;
    let done = done.body["items"][0]["id"].as_i64().unwrap();
    assert!(matches!(
        t.app.load_delivery_demo(&[done]).await,
        Err(medcrm_app::Error::Refused {
            code: "contract_not_signed",
            ..
        })
    ));
}
