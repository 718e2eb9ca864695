//! PRT pages: the catalog, stock with its low-stock marks and reorder list, the ledger, and
//! the warehouse issuing a catalog request from its queue.

use medcrm_testkit::spawn_app;
use reqwest::StatusCode;

#[tokio::test]
async fn prt_1_ui_stock_marks_low_stock_and_lists_what_to_reorder() {
    let t = spawn_app().await;
    let mut b = t.browser();
    b.sign_in("warehouse").await;
    let home = b.get("/").await;
    assert!(home.body.contains("href=\"/parts\""), "the 配件 entry");
    let catalog = b.get("/parts?q=PWR").await;
    assert_eq!(catalog.status, StatusCode::OK);
    assert!(catalog.body.contains("PWR-220"));
    assert!(!catalog.body.contains("FUSE-5A"));
    let stock = b.get("/parts/stock?low=1").await;
    assert_eq!(stock.status, StatusCode::OK);
    assert!(stock.body.contains("低库存"));
    let reorder = stock.body.split("id=\"reorder\"").nth(1).unwrap();
    assert!(
        reorder.contains("PWR-220") && reorder.contains("华东区域库"),
        "{reorder}"
    );
    let ledger = b.get("/parts/movements?kind=issue").await;
    assert_eq!(ledger.status, StatusCode::OK);
    assert!(ledger.body.contains("FUSE-5A"));
    assert!(!ledger.body.contains("期初库存"), "only issues");
    // Sales sees no 配件 entry and no pages.
    let mut rep = t.browser();
    rep.sign_in("rep.east").await;
    assert!(!rep.get("/").await.body.contains("href=\"/parts\""));
    assert_eq!(rep.get("/parts/stock").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn prt_3_ui_the_warehouse_issues_from_its_queue() {
    let t = spawn_app().await;
    let mut b = t.browser();
    b.sign_in("warehouse").await;
    let queue = b.get("/service/part-requests").await;
    let action = queue
        .body
        .split("action=\"/service/part-requests/")
        .skip(1)
        .find_map(|s| s.split('"').next().filter(|a| a.ends_with("/issue")))
        .expect("an issue form for a catalog request")
        .to_owned();
    let central = queue
        .body
        .split("<option value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let path = format!("/service/part-requests/{action}");
    let fields = [
        ("next", "/service/part-requests"),
        ("warehouse_id", central.as_str()),
        ("trace", "SN-9"),
        ("note", ""),
    ];
    let r = b.post(&path, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let ledger = b.get("/parts/movements?kind=issue").await;
    assert!(ledger.body.contains("[SN-9]"));
}

#[tokio::test]
async fn prt_4_ui_the_warehouse_counts_and_a_service_manager_approves() {
    let t = spawn_app().await;
    let mut wh = t.browser();
    wh.sign_in("warehouse").await;
    let list = wh.get("/parts/counts").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains("待审批") && list.body.contains("已审批"),
        "{}",
        list.body
    );
    // A fresh count of central stock, counted and submitted through the forms.
    let token = t.login("warehouse").await;
    let central = t.get("/api/v1/warehouses", &token).await.body[0]["id"].clone();
    let r = t
        .post(
            "/api/v1/stock/counts",
            &token,
            serde_json::json!({"warehouse_id": central}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["count"]["id"].as_i64().unwrap();
    let page = format!("/parts/counts/{id}");
    let mut fields: Vec<(String, String)> = r.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (format!("qty_{}", l["part_id"]), l["book_qty"].to_string()))
        .collect();
    fields[0].1 = "0".into();
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = wh.post(&format!("{page}/lines"), &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        wh.post(&format!("{page}/submit"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let sheet = wh.get(&page).await;
    assert!(sheet.body.contains("待审批"));
    assert!(
        !sheet.body.contains("批准并调整库存"),
        "the warehouse does not approve"
    );

    let mut manager = t.browser();
    manager.sign_in("service.manager").await;
    let r = manager
        .post(&format!("{page}/reject"), &[("comment", "")])
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a rejection says why"
    );
    let r = manager
        .post(&format!("{page}/approve"), &[("comment", "复盘确认")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(manager.get(&page).await.body.contains("已审批"));
}

#[tokio::test]
async fn prt_5_ui_purchase_orders_show_their_acceptance_records() {
    let t = spawn_app().await;
    let mut b = t.browser();
    b.sign_in("quality").await;
    let list = b.get("/parts/purchase-orders?status=open").await;
    assert_eq!(list.status, StatusCode::OK);
    let first = list
        .body
        .split("href=\"/parts/purchase-orders/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect::<Vec<_>>();
    assert_eq!(first.len(), 2, "{}", list.body);
    let mut records = 0;
    for id in first {
        let page = b.get(&format!("/parts/purchase-orders/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        if page.body.contains("通电测试不合格") {
            records += 1;
            assert!(page.body.contains("质量合规 何静"), "the inspector");
        }
    }
    assert_eq!(records, 1);
    let mut engineer = t.browser();
    engineer.sign_in("engineer.east").await;
    assert_eq!(
        engineer.get("/parts/purchase-orders").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn prt_5_ui_the_parts_tabs_offer_only_the_pages_the_user_may_open() {
    let t = spawn_app().await;
    let mut warehouse = t.browser();
    warehouse.sign_in("warehouse").await;
    let page = warehouse.get("/parts").await;
    for tab in [
        "href=\"/parts/stock\"",
        "href=\"/parts/purchase-orders\"",
        "href=\"/service/part-requests\"",
    ] {
        assert!(page.body.contains(tab), "warehouse: {tab}");
    }
    let mut engineer = t.browser();
    engineer.sign_in("engineer.east").await;
    let page = engineer.get("/parts/stock").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("href=\"/parts/stock\" class=\"active\""));
    // Purchasing and the warehouse queue are not the engineer's: no tab, and 403 behind it.
    assert!(!page.body.contains("href=\"/parts/purchase-orders\""));
    assert!(!page.body.contains("href=\"/service/part-requests\""));
    let orders = engineer.get("/parts/purchase-orders").await;
    assert_eq!(orders.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn prt_5_ui_the_warehouse_orders_from_a_qualified_supplier_and_receives_in_part() {
    use crate::parts::{central, part, stock};
    use crate::purchasing::{delivery_date, supplier};
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let at = central(&t, &wh, "T-UI-PO").await;
    let p = part(&t, &wh, "T-UI-P1", "lot").await;
    let unqualified = supplier(&t, "未送审供应商 UI", None).await;
    let qualified = supplier(&t, "合格供应商 UI", Some(true)).await;
    let mut b = t.browser();
    b.sign_in("warehouse").await;
    let list = b.get("/parts/purchase-orders").await;
    assert!(list.body.contains("id=\"new-order\""));
    let form = b.get("/parts/purchase-orders/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("未送审供应商 UI（未通过首营审核）"));
    let (at_s, p_s, date) = (at.to_string(), p.to_string(), delivery_date());
    let order = |supplier: String| {
        vec![
            ("supplier_id", supplier),
            ("warehouse_id", at_s.clone()),
            ("delivery_date", date.clone()),
            ("part_1", p_s.clone()),
            ("quantity_1", "10".to_owned()),
            ("price_1", "120.50".to_owned()),
            ("standard_1", "GB 9706.1-2020".to_owned()),
        ]
    };
    let fields = order(unqualified.to_string());
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = b.post("/parts/purchase-orders", &refs).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("id=\"order-errors\""),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("value=\"10\""),
        "what was typed is kept"
    );

    let fields = order(qualified.to_string());
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = b.post("/parts/purchase-orders", &refs).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let page_path = created.location.unwrap();
    let page = b.get(&page_path).await;
    assert!(page.body.contains("id=\"receive-form\""));
    assert!(page.body.contains("1,205.00"), "the total: 10 × ¥120.50");

    // 6 delivered, 5 accepted under lot L-1, one rejected with its reason.
    let receive = format!("{page_path}/receive");
    let no_reason = b
        .post(
            &receive,
            &[("received_1", "6"), ("accepted_1", "5"), ("trace_1", "L-1")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = b
        .post(
            &receive,
            &[
                ("received_1", "6"),
                ("accepted_1", "5"),
                ("trace_1", "L-1"),
                ("reject_1", "外壳破损"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(stock(&t, &wh, p, at).await["on_hand"], 5);
    let page = b.get(&page_path).await;
    assert!(page.body.contains("外壳破损"));
    // Closed short with a reason: no more receipts.
    let closed = b
        .post(&format!("{page_path}/close"), &[("reason", "供应商停产")])
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    let page = b.get(&page_path).await;
    assert!(!page.body.contains("id=\"receive-form\""));
    // An engineer may not order.
    let mut engineer = t.browser();
    engineer.sign_in("engineer.east").await;
    assert_eq!(
        engineer.get("/parts/purchase-orders/new").await.status,
        StatusCode::FORBIDDEN
    );
}
