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
