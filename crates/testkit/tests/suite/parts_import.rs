//! SYS-3 for spare parts (PRT-1/2): the parts catalog and opening stock imported all or
//! nothing with row-numbered reasons, exported in the import's columns, and only by the
//! warehouse.

use medcrm_app::imports::OPENING_REASON;
use medcrm_testkit::{Reply, TestApp, csrf_of, multipart, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn upload(t: &TestApp, token: &str, kind: &str, query: &str, body: Vec<u8>) -> Reply {
    let path = format!("/api/v1/imports/{kind}?{query}");
    t.send_bytes(Method::POST, &path, token, "text/csv", body)
        .await
}

fn csv(lines: &[&str]) -> Vec<u8> {
    let mut text = lines.join("\n");
    text.push('\n');
    text.into_bytes()
}

/// `(row, field)` of every reported error.
fn errors(r: &Reply) -> Vec<(i64, String)> {
    r.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{:?}", r.body))
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn part_by_code(t: &TestApp, token: &str, code: &str) -> Option<Value> {
    let r = t.get(&format!("/api/v1/parts?q={code}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == code)
        .cloned()
}

/// The first two products of the demo catalog: `(id, code)`.
async fn products(t: &TestApp, token: &str) -> Vec<(i64, String)> {
    let r = t.get("/api/v1/products?limit=2", token).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_i64().unwrap(),
                p["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

const PART_HEADER: &str = "配件编码,配件名称,规格,单位,单价(元),追溯,适用产品";

#[tokio::test]
async fn sys_3_prt_1_parts_import_is_all_or_nothing_and_exports_in_its_columns() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let fits = products(&t, &wh).await;
    let both = format!("{}；{}", fits[0].1, fits[1].1);
    let bad = csv(&[
        PART_HEADER,
        &format!("T-IMP-1,电源板,24V,块,1280.50,批号,{both}"),
        "T-IMP-2,探头线缆,2m,根,12.345,序列号,",
        "T-IMP-1,重复编码,,个,1,无,",
        "T-IMP-3,风扇,,个,30,按箱,NO-SUCH-PRODUCT",
    ]);
    let r = upload(&t, &wh, "parts", "", bad.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let r = upload(&t, &wh, "parts", "dry_run=true", bad).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let errs = errors(&r);
    for expected in [
        (3, "unit_cost"),
        (4, "code"),
        (5, "tracking"),
        (5, "products"),
    ] {
        assert!(
            errs.contains(&(expected.0, expected.1.to_owned())),
            "{expected:?} in {errs:?}"
        );
    }
    assert_eq!(r.body["rows_ok"], 1);
    assert!(
        part_by_code(&t, &wh, "T-IMP-1").await.is_none(),
        "nothing written"
    );

    let good = csv(&[
        PART_HEADER,
        &format!("T-IMP-1,电源板,24V,块,1280.50,批号,{both}"),
        "T-IMP-2,探头线缆,2m,根,12.34,serial,",
    ]);
    let r = upload(&t, &wh, "parts", "", good.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["created"]["parts"], 2);
    let first = part_by_code(&t, &wh, "T-IMP-1").await.unwrap();
    assert_eq!(first["unit_cost_fen"], 128_050);
    assert_eq!(first["tracking"], "lot");
    let view = t.get(&format!("/api/v1/parts/{}", first["id"]), &wh).await;
    let compatible: Vec<i64> = view.body["compatible"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["product_id"].as_i64().unwrap())
        .collect();
    assert_eq!(compatible.len(), 2, "{:?}", view.body);
    assert!(compatible.contains(&fits[0].0) && compatible.contains(&fits[1].0));
    // The same file again: every code is already in the catalog.
    let again = upload(&t, &wh, "parts", "", good).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The export is in the import's columns, with codes for scripts.
    let (status, _, bytes) = t
        .fetch("/api/v1/exports/parts.csv?q=T-IMP&lang=en", &wh)
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(bytes).unwrap();
    let header = text.lines().next().unwrap().trim_start_matches('\u{feff}');
    assert_eq!(
        header,
        "id,code,name,spec,unit,unit_cost,tracking,active,products"
    );
    let line = text.lines().find(|l| l.contains("T-IMP-1")).unwrap();
    assert!(line.contains(",1280.50,lot,yes,"), "{line}");
    assert!(
        line.contains(&fits[0].1) && line.contains(&fits[1].1),
        "{line}"
    );
    // Re-imported elsewhere it would be accepted column for column: here only the codes clash.
    let r = upload(&t, &wh, "parts", "dry_run=true", text.into_bytes()).await;
    let errs = errors(&r);
    assert!(
        !errs.is_empty() && errs.iter().all(|(_, f)| f == "code"),
        "{errs:?}"
    );
}

/// A new central warehouse (its code) and a new part (its id and code).
async fn place_and_part(t: &TestApp, wh: &str, n: &str) -> (String, i64, String) {
    let code = format!("T-WH-{n}");
    let r = t
        .post(
            "/api/v1/warehouses",
            wh,
            json!({"code": code, "name": format!("导入测试库 {n}"), "kind": "central"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let part = format!("T-STK-{n}");
    let r = t
        .post(
            "/api/v1/parts",
            wh,
            json!({"code": part, "name": "压缩机", "unit": "台", "unit_cost_fen": 0,
                   "tracking": "none"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    (code, r.body["part"]["id"].as_i64().unwrap(), part)
}

#[tokio::test]
async fn sys_3_prt_2_opening_stock_is_booked_as_receipts_and_never_twice() {
    let t = spawn_app().await;
    let wh = t.login("warehouse").await;
    let (place, part_id, part) = place_and_part(&t, &wh, "1").await;
    let file = csv(&[
        "配件编码,库位,在库,下限,上限",
        &format!("{part},{place},12,5,20"),
        &format!("NO-SUCH-PART,{place},3,,"),
        &format!("{part},没有这个库,3,,"),
        &format!("{part},{place},-1,8,"),
    ]);
    let r = upload(&t, &wh, "stock", "dry_run=true", file).await;
    let errs = errors(&r);
    for expected in [
        (3, "part_code"),
        (4, "warehouse"),
        (5, "on_hand"),
        (5, "max_qty"),
        (5, "warehouse"),
    ] {
        assert!(
            errs.contains(&(expected.0, expected.1.to_owned())),
            "{expected:?} in {errs:?}"
        );
    }

    let good = csv(&[
        "配件编码,库位,在库,下限,上限",
        &format!("{part},{place},12,5,20"),
    ]);
    let r = upload(&t, &wh, "stock", "", good.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["created"]["stock"], 1);
    let stock = t
        .get(&format!("/api/v1/stock?part_id={part_id}"), &wh)
        .await;
    let row = &stock.body["items"][0];
    assert_eq!(
        (&row["on_hand"], &row["min_qty"], &row["max_qty"]),
        (&json!(12), &json!(5), &json!(20)),
        "{row:?}"
    );
    let moves = t
        .get(&format!("/api/v1/stock/movements?part_id={part_id}"), &wh)
        .await;
    let items = moves.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["kind"], "receipt");
    assert_eq!(items[0]["reason"], OPENING_REASON);
    let check = t.get("/api/v1/stock/check", &wh).await;
    assert_eq!(check.body["mismatches"], json!([]));

    // Twice would double the stock: refused, the balance unchanged.
    let again = upload(&t, &wh, "stock", "", good).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The stock report's own columns are a valid import header (only the stock clashes).
    let (status, _, bytes) = t
        .fetch(&format!("/api/v1/stock.xlsx?part_id={part_id}"), &wh)
        .await;
    assert_eq!(status, StatusCode::OK);
    let r = t
        .send_bytes(
            Method::POST,
            "/api/v1/imports/stock?dry_run=true&format=xlsx",
            &wh,
            "application/octet-stream",
            bytes,
        )
        .await;
    assert_eq!(errors(&r), vec![(2, "on_hand".to_owned())], "{:?}", r.body);
    let after = t
        .get(&format!("/api/v1/stock?part_id={part_id}"), &wh)
        .await;
    assert_eq!(after.body["items"][0]["on_hand"], 12);
}

#[tokio::test]
async fn sys_3_prt_1_only_the_warehouse_imports_parts_and_stock() {
    let t = spawn_app().await;
    let file = csv(&[PART_HEADER, "T-DENY-1,电源板,,块,1,无,"]);
    for user in ["engineer.east", "service.manager", "rep.east"] {
        let token = t.login(user).await;
        for kind in ["parts", "stock"] {
            let r = upload(&t, &token, kind, "dry_run=true", file.clone()).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} {kind}");
        }
        let (status, _, _) = t.fetch("/api/v1/exports/parts.csv", &token).await;
        let may_read = user != "rep.east";
        assert_eq!(status == StatusCode::OK, may_read, "{user} export");
    }
    let mut b = t.browser();
    b.sign_in("engineer.east").await;
    assert_eq!(b.get("/parts/import").await.status, StatusCode::FORBIDDEN);
    assert!(!b.get("/parts").await.body.contains("id=\"parts-import\""));
}

#[tokio::test]
async fn sys_3_prt_1_the_import_page_checks_then_imports_parts() {
    let t = spawn_app().await;
    let mut b = t.browser();
    b.sign_in("warehouse").await;
    let catalog = b.get("/parts").await;
    assert!(catalog.body.contains("href=\"/parts/import\""));
    assert!(catalog.body.contains("/api/v1/exports/parts.xlsx"));
    let page = b.get("/parts/import").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("/parts/import/template?kind=stock"));
    let token = csrf_of(&page.body).unwrap();
    let post = |fields: &[(&str, &str)], file: &[u8]| {
        let (ct, body) = multipart(fields, "配件.csv", "text/csv", file);
        b.http
            .post(t.url("/parts/import"))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let file = csv(&[PART_HEADER, "T-UI-1,电源板,24V,块,99,无,"]);
    let dry = [
        ("_csrf", token.as_str()),
        ("kind", "parts"),
        ("dry_run", "on"),
    ];
    let html = post(&dry, &file).await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"dry-run-ok\""), "{html}");
    // A customer file is not offered on the warehouse's page.
    let wrong = [("_csrf", token.as_str()), ("kind", "institutions")];
    let res = post(&wrong, &file).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = post(&dry[..2], &file).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"import-done\""), "{html}");
    let wh = t.login("warehouse").await;
    assert!(part_by_code(&t, &wh, "T-UI-1").await.is_some());
    let template = b.get("/parts/import/template?kind=stock&format=csv").await;
    assert_eq!(template.status, StatusCode::OK);
    assert!(
        template.body.contains("配件编码,库位,在库,下限,上限"),
        "{}",
        template.body
    );
}
