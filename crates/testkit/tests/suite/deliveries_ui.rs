//! ORD-1…4, PRD-5 pages: an order from a contract, the delivery form with the UDI scan read
//! by the server, the printed delivery note, the installed base, the sales records (no way to
//! delete one) and the trace.

use medcrm_testkit::spawn_app;
use reqwest::StatusCode;

use crate::deliveries::contract;
use crate::products::{days_from_today, product_id};

const SCAN: &str = "]d20106901234567892112501011727010110LOT123\u{1d}21SN0777";

#[tokio::test]
async fn ord_1_prd_5_order_ship_with_a_scan_print_trace_and_no_delete_in_the_pages() {
    let t = spawn_app().await;
    let k = contract(&t, "RK-US-8000", "fddxfszsyy", 2, "1300000").await;
    let contract_id = k["id"].to_string();

    // The rep orders one of the two from the contract's page link.
    let mut rep = t.browser();
    rep.sign_in("rep.east").await;
    let form = rep
        .get(&format!("/orders/new?contract_id={contract_id}"))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("彩色多普勒超声诊断系统"));
    let too_many = rep
        .post(
            "/orders",
            &[
                ("contract_id", &contract_id),
                ("requested_date", &days_from_today(3)),
                ("line_no", "1"),
                ("quantity", "3"),
            ],
        )
        .await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_many.body.contains("超出合同数量"), "{}", too_many.body);
    let placed = rep
        .post(
            "/orders",
            &[
                ("contract_id", &contract_id),
                ("requested_date", &days_from_today(3)),
                ("line_no", "1"),
                ("quantity", "1"),
            ],
        )
        .await;
    let order_url = placed.location.clone().expect("redirect to the order");
    let order = rep.get(&order_url).await;
    assert!(order.body.contains("待发货"));
    assert!(
        !order.body.contains("/deliveries/new"),
        "a rep does not ship"
    );
    let order_id = order_url.rsplit('/').next().unwrap().to_owned();

    // The warehouse scans: the server fills lot, serial and dates.
    let mut wh = t.browser();
    wh.sign_in("warehouse").await;
    let page = wh
        .get(&format!("/deliveries/new?order_id={order_id}"))
        .await;
    assert!(page.body.contains("识别 UDI"));
    let line = page
        .body
        .split("name=\"order_line_id\"><option value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let today = days_from_today(0);
    let mut fields = vec![
        ("order_id", order_id.as_str()),
        ("ship_date", today.as_str()),
        ("manual_provided", "1"),
        ("certificate_provided", "1"),
        ("order_line_id", line.as_str()),
        ("udi", SCAN),
        ("lot", ""),
        ("serial", ""),
        ("production_date", ""),
        ("expiry_date", ""),
        ("item_quantity", "1"),
    ];
    let mut scan = fields.clone();
    scan.push(("action", "scan"));
    let read = wh.post("/deliveries", &scan).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(read.body.contains("value=\"SN0777\""), "{}", read.body);
    assert!(read.body.contains("value=\"2027-01-01\""));
    let mut bad = fields.clone();
    bad[5] = ("udi", "(01)06901234567891");
    bad.push(("action", "scan"));
    let refused = wh.post("/deliveries", &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("check digit"));
    // PRD-5: the label is missing.
    fields.push(("action", "ship"));
    let missing = wh.post("/deliveries", &fields).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.body.contains("标签"));
    fields.push(("label_provided", "1"));
    let shipped = wh.post("/deliveries", &fields).await;
    let note_url = shipped
        .location
        .clone()
        .expect("redirect to the delivery note");
    let note = wh.get(&note_url).await;
    assert!(note.body.contains("发货单"));
    assert!(note.body.contains("SN0777"));
    assert!(
        note.body.contains("☑ 说明书")
            && note.body.contains("☑ 标签")
            && note.body.contains("☑ 产品合格证")
    );
    assert!(note.body.contains("window.print()"));
    let received = wh
        .post(&format!("{note_url}/receipt"), &[("received_date", &today)])
        .await;
    assert_eq!(received.location.as_deref(), Some(note_url.as_str()));

    // ORD-2: the installed base; a sales rep is not shown the service tickets.
    let devices = rep.get("/devices?q=SN0777").await;
    assert!(devices.body.contains("SN0777"));
    let device_url = devices
        .body
        .split("href=\"/devices/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(|id| format!("/devices/{id}"))
        .unwrap();
    let device = rep.get(&device_url).await;
    assert!(device.body.contains("您的角色无权查看服务工单。"));
    assert!(device.body.contains("保修期内"));

    // ORD-3: the records page offers a correction and an export, never a delete.
    let mut quality = t.browser();
    quality.sign_in("quality").await;
    let records = quality.get("/sales-records").await;
    assert!(records.body.contains("SN0777"));
    assert!(records.body.contains("国械注准20233060581"));
    assert!(!records.body.contains("/delete\"") && !records.body.contains(">删除<"));
    let id = records
        .body
        .split("action=\"/sales-records/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap()
        .to_owned();
    for path in [
        format!("/sales-records/{id}/delete"),
        format!("/sales-records/{id}"),
    ] {
        let r = quality.post(&path, &[]).await;
        assert!(
            matches!(
                r.status,
                StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
            ),
            "{path}: {}",
            r.status
        );
    }
    let export = quality
        .get(&format!(
            "/sales-records/export.xlsx?from={today}&to={today}"
        ))
        .await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(export.body.starts_with("PK"));

    // ORD-4: the trace page.
    let us = product_id(&t, &t.login("quality").await, "RK-US-8000").await;
    let trace = quality
        .get(&format!("/trace?product_id={us}&lot=LOT123"))
        .await;
    assert_eq!(trace.status, StatusCode::OK);
    assert!(trace.body.contains("复旦大学附属中山医院"));
    let rep_trace = rep.get("/trace").await;
    assert_eq!(rep_trace.status, StatusCode::FORBIDDEN);

    // English pages.
    let en = quality.post("/lang", &[("lang", "en")]).await;
    assert!(en.status.is_redirection(), "{}", en.status);
    let records = quality.get("/sales-records").await;
    assert!(records.body.contains("Sales records"));
}
