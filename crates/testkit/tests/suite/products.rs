//! PRD: catalog, documents and scans, first-time review, the sale gate, expiry alerts.

use medcrm_testkit::{TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The id of the product with `code`, as found by the catalog search.
pub async fn product_id(t: &TestApp, token: &str, code: &str) -> i64 {
    let r = t.get(&format!("/api/v1/products?q={code}"), token).await;
    r.body["items"][0]["id"].as_i64().unwrap()
}

/// The id of the institution the pinyin `initials` find.
pub async fn institution_id(t: &TestApp, token: &str, initials: &str) -> i64 {
    let r = t
        .get(&format!("/api/v1/institutions?q={initials}"), token)
        .await;
    r.body["items"][0]["id"].as_i64().unwrap()
}

pub fn days_from_today(days: i64) -> String {
    let today = medcrm_app::customers::today();
    today
        .checked_add(jiff::Span::new().days(days))
        .unwrap()
        .to_string()
}

async fn sale_check(t: &TestApp, token: &str, product: i64, institution: i64) -> Value {
    let r = t
        .get(
            &format!("/api/v1/sale-check?product_id={product}&institution_id={institution}"),
            token,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

async fn put_scan(t: &TestApp, path: &str, token: &str, bytes: Vec<u8>) -> medcrm_testkit::Reply {
    t.send_bytes(Method::PUT, path, token, "application/pdf", bytes)
        .await
}

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";

#[tokio::test]
async fn prd_2_expired_certificate_blocks_the_quote_and_names_the_certificate_and_date() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let stent = product_id(&t, &rep, "RK-DES-30").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let cert = &t.get(&format!("/api/v1/products/{stent}"), &rep).await.body["documents"][0];
    let expired_on = cert["valid_to"].as_str().unwrap().to_owned();
    assert!(expired_on < days_from_today(0));
    let r = t
        .post(
            "/api/v1/quotes",
            &rep,
            json!({"institution_id": zhongshan, "valid_until": days_from_today(30),
                   "lines": [{"product_id": stent, "quantity": 10}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "not_sellable");
    let why = r.field("lines").unwrap();
    assert!(why.contains("国械注准20193130123"), "{why}");
    assert!(why.contains(&format!("expired on {expired_on}")), "{why}");
    let check = sale_check(&t, &rep, stent, zhongshan).await;
    assert_eq!(check["allowed"], false);
    assert_eq!(check["refusals"][0]["code"], "document_expired");
}

#[tokio::test]
async fn prd_3_first_time_review_gates_the_sale_until_quality_approves_with_history() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let quality = t.login("quality").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    // 上海市第六人民医院: licence on file, first-time review still waiting.
    let sixth = institution_id(&t, &rep, "shsdlrmyy").await;
    let check = sale_check(&t, &rep, us, sixth).await;
    assert_eq!(
        check["refusals"][0]["message"],
        "the customer's first-time review (首营) is submitted"
    );
    // A second open submission is refused; the rep cannot decide.
    let again = t
        .post(
            &format!("/api/v1/institutions/{sixth}/reviews"),
            &rep,
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let queue = t.get("/api/v1/reviews", &quality).await;
    let review = queue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["institution_id"] == sixth)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/reviews/{review}/decision");
    assert_eq!(
        t.post(&path, &rep, json!({"approve": true})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.get("/api/v1/reviews", &rep).await.status,
        StatusCode::FORBIDDEN
    );
    // Rejecting needs a reason; then a new submission, approved.
    let r = t.post(&path, &quality, json!({"approve": false})).await;
    assert!(r.field("comment").is_some());
    let r = t
        .post(
            &path,
            &quality,
            json!({"approve": false, "comment": "许可证已过期"}),
        )
        .await;
    assert_eq!(r.body["status"], "rejected");
    let late = t.post(&path, &quality, json!({"approve": true})).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "decided once");
    let resubmitted = t
        .post(
            &format!("/api/v1/institutions/{sixth}/reviews"),
            &rep,
            json!({"note": "已补交新证"}),
        )
        .await;
    assert_eq!(resubmitted.status, StatusCode::CREATED);
    let id = resubmitted.body["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/reviews/{id}/decision"),
            &quality,
            json!({"approve": true, "comment": "同意"}),
        )
        .await;
    assert_eq!(r.body["status"], "approved");
    assert_eq!(sale_check(&t, &rep, us, sixth).await["allowed"], true);
    let history = t
        .get(&format!("/api/v1/institutions/{sixth}/qualification"), &rep)
        .await;
    let statuses: Vec<&str> = history.body["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["approved", "rejected"], "newest first, all kept");
}

#[tokio::test]
async fn prd_3_nobody_decides_their_own_submission_and_out_of_scope_customers_are_not_found() {
    let t = spawn_app().await;
    let quality = t.login("quality").await;
    let north = t.login("rep.north").await;
    let supplier = t
        .post(
            "/api/v1/suppliers",
            &quality,
            json!({"name": "杭州新域医疗科技有限公司", "kind": "distributor"}),
        )
        .await;
    assert_eq!(supplier.status, StatusCode::CREATED, "{:?}", supplier.body);
    let id = supplier.body["id"].as_i64().unwrap();
    let review = t
        .post(
            &format!("/api/v1/suppliers/{id}/reviews"),
            &quality,
            json!({}),
        )
        .await;
    let r = t
        .post(
            &format!("/api/v1/reviews/{}/decision", review.body["id"]),
            &quality,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(r.code(), "own_request");
    // rep.north can neither see nor submit rep.east's hospital.
    let east = institution_id(&t, &quality, "fddxfszsyy").await;
    for r in [
        t.get(
            &format!("/api/v1/institutions/{east}/qualification"),
            &north,
        )
        .await,
        t.post(
            &format!("/api/v1/institutions/{east}/reviews"),
            &north,
            json!({}),
        )
        .await,
    ] {
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn prd_2_scans_must_be_pdf_or_image_within_10_mib_and_download_respects_scope() {
    let t = spawn_app().await;
    let quality = t.login("quality").await;
    let rep = t.login("rep.east").await;
    let north = t.login("rep.north").await;
    let us = product_id(&t, &quality, "RK-US-8000").await;
    // Filing product documents is the compliance team's.
    let doc = json!({"kind": "registration_certificate", "number": "国械注准20263060999",
                     "device_class": "II", "valid_from": days_from_today(-1), "valid_to": days_from_today(1800)});
    let path = format!("/api/v1/products/{us}/documents");
    assert_eq!(
        t.post(&path, &rep, doc.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let filed = t.post(&path, &quality, doc).await;
    assert_eq!(filed.status, StatusCode::CREATED, "{:?}", filed.body);
    assert_eq!(filed.body["has_scan"], false);
    let scan = format!("/api/v1/documents/{}/scan?name=证书.pdf", filed.body["id"]);
    let r = put_scan(
        &t,
        &scan,
        &quality,
        b"<html><script>alert(1)</script>".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("file").unwrap().contains("PDF, PNG or JPEG"));
    let mut big = PDF.to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let r = put_scan(&t, &scan, &quality, big).await;
    assert!(r.field("file").unwrap().contains("10 MiB"), "{:?}", r.body);
    let r = put_scan(&t, &scan, &quality, PDF.to_vec()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["file_type"], "application/pdf");
    assert_eq!(r.body["file_name"], "证书.pdf");
    assert_eq!(
        put_scan(&t, &scan, &quality, PDF.to_vec()).await.status,
        StatusCode::CONFLICT,
        "a scan is never replaced"
    );
    let (status, content_type, bytes) = t.fetch(&scan, &rep).await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::OK, "application/pdf")
    );
    assert_eq!(bytes, PDF);
    // A customer's licence scan is visible only within the customer's scope.
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let licence = t
        .post(
            &format!("/api/v1/institutions/{zhongshan}/documents"),
            &rep,
            json!({"kind": "institution_licence", "number": "PDY2026001",
                   "valid_from": days_from_today(-10), "valid_to": days_from_today(700)}),
        )
        .await;
    assert_eq!(licence.status, StatusCode::CREATED, "{:?}", licence.body);
    let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
    let scan = format!("/api/v1/documents/{}/scan", licence.body["id"]);
    let r = t
        .send_bytes(Method::PUT, &scan, &north, "image/png", png.clone())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t
        .send_bytes(Method::PUT, &scan, &rep, "image/png", png)
        .await;
    assert_eq!(r.body["file_type"], "image/png");
    assert_eq!(t.fetch(&scan, &north).await.0, StatusCode::NOT_FOUND);
    assert_eq!(t.fetch(&scan, &rep).await.0, StatusCode::OK);
}

#[tokio::test]
async fn prd_1_catalog_is_validated_unique_searchable_and_edited_only_by_compliance() {
    let t = spawn_app().await;
    let quality = t.login("quality").await;
    let rep = t.login("rep.east").await;
    let makers = t.get("/api/v1/suppliers?q=瑞康", &quality).await;
    let maker = makers.body["items"][0]["id"].as_i64().unwrap();
    let distributor = t.get("/api/v1/suppliers?q=供应链", &quality).await.body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let body = |code: &str, line: &str, maker: i64| {
        json!({"code": code, "name": "一次性使用血管内成像导管", "model": "IVUS-35", "product_line": line,
               "manufacturer_id": maker, "unit": "支", "implantable": false, "shelf_life_months": 24})
    };
    assert_eq!(
        t.post(
            "/api/v1/products",
            &rep,
            body("RK-IVUS-35", "consumables", maker)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let r = t
        .post(
            "/api/v1/products",
            &quality,
            body("RK-IVUS-35", "toys", distributor),
        )
        .await;
    assert!(r.field("product_line").is_some(), "{:?}", r.body);
    let r = t
        .post(
            "/api/v1/products",
            &quality,
            body("RK-IVUS-35", "consumables", distributor),
        )
        .await;
    assert!(
        r.field("manufacturer_id")
            .unwrap()
            .contains("not a manufacturer")
    );
    let r = t
        .post(
            "/api/v1/products",
            &quality,
            body("RK-IVUS-35", "consumables", maker),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let dup = t
        .post(
            "/api/v1/products",
            &quality,
            body("RK-IVUS-35", "consumables", maker),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert!(dup.field("code").is_some());
    // Pinyin initials find it (一次性使用血管内成像导管 → ycxsyxgncxdg); anyone may read.
    let found = t.get("/api/v1/products?q=ycxsy", &rep).await;
    assert_eq!(found.body["items"][0]["code"], "RK-IVUS-35");
    let id = r.body["id"].as_i64().unwrap();
    let mut edit = body("RK-IVUS-35", "consumables", maker);
    edit["active"] = json!(false);
    let r = t
        .put(&format!("/api/v1/products/{id}"), &quality, edit)
        .await;
    assert_eq!(r.body["active"], false);
    let active = t.get("/api/v1/products?active=true&limit=200", &rep).await;
    assert!(
        active.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["code"] != "RK-IVUS-35")
    );
}

#[tokio::test]
async fn prd_4_expiring_list_alerts_once_per_threshold_and_thresholds_are_configurable() {
    let t = spawn_app().await;
    let quality = t.login("quality").await;
    let rep = t.login("rep.east").await;
    let north = t.login("rep.north").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let r = t
        .post(
            &format!("/api/v1/institutions/{zhongshan}/documents"),
            &rep,
            json!({"kind": "institution_licence", "number": "PDY-EXPIRING",
                   "valid_from": days_from_today(-700), "valid_to": days_from_today(5)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let numbers = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["number"].as_str().unwrap().to_owned())
            .collect()
    };
    // Soonest first: the licence in 5 days, then the DR certificate in 20; never the expired
    // stent certificate or the ones years away.
    let list = numbers(&t.get("/api/v1/documents/expiring", &rep).await.body);
    assert_eq!(list, ["PDY-EXPIRING", "国械注准20213060212"]);
    let theirs = numbers(&t.get("/api/v1/documents/expiring", &north).await.body);
    assert_eq!(theirs, ["国械注准20213060212"], "not rep.east's customer");
    let page = t.get("/api/v1/documents/expiring?limit=1", &quality).await;
    let next = page.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = t
        .get(
            &format!("/api/v1/documents/expiring?limit=1&cursor={next}"),
            &quality,
        )
        .await;
    assert_eq!(numbers(&rest.body), ["国械注准20213060212"]);
    assert_eq!(
        t.get("/api/v1/documents/expiring?cursor=bogus", &quality)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // One alert per document and threshold, however often the job runs.
    let first = t.app.send_expiry_alerts().await.unwrap();
    assert_eq!(first, 3, "quality twice, the owner rep once");
    assert_eq!(t.app.send_expiry_alerts().await.unwrap(), 0);
    let mine = t.get("/api/v1/notifications", &rep).await;
    assert!(
        mine.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "document_expiring")
    );
    // Thresholds: quality sets them; nobody else; bad values refused.
    let path = "/api/v1/settings/expiry-alerts";
    assert_eq!(
        t.put(path, &rep, json!({"days": [10]})).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(
        t.put(path, &quality, json!({"days": [0]}))
            .await
            .field("days")
            .is_some()
    );
    let r = t.put(path, &quality, json!({"days": [7, 60]})).await;
    assert_eq!(r.body["days"], json!([60, 7]));
    assert_eq!(t.get(path, &rep).await.body["days"], json!([60, 7]));
}

async fn import_products(
    t: &TestApp,
    token: &str,
    query: &str,
    csv: &str,
) -> medcrm_testkit::Reply {
    let path = format!("/api/v1/imports/products?{query}");
    t.send_bytes(
        Method::POST,
        &path,
        token,
        "text/csv",
        csv.as_bytes().to_vec(),
    )
    .await
}

#[tokio::test]
async fn sys_3_prd_1_product_import_is_all_or_nothing_with_row_numbers_and_export_reads_back() {
    let t = spawn_app().await;
    let quality = t.login("quality").await;
    let rep = t.login("rep.east").await;
    let header = "产品编码,产品名称,型号规格,产品线,生产企业,单位,序列号管理,植入类,有效期（月）";
    let maker = "瑞康医疗器械（苏州）有限公司";
    let bad = format!(
        "{header}\nRK-GW-14,PTCA导引导丝,0.014in×190cm,高值耗材,{maker},根,否,否,36\n\
         RK-GW-18,PTCA导引导丝,0.018in,高值耗材,无名厂,根,否,否,36\n\
         RK-GW-14,导丝,0.014in,玩具,{maker},根,也许,否,36\n\
         RK-US-8000,彩超,X,大型设备,{maker},台,是,否,\n"
    );
    let r = import_products(&t, &rep, "", &bad).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "reps do not edit the catalog"
    );
    let r = import_products(&t, &quality, "", &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&String> = r.body["error"]["fields"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        fields,
        [
            "row 3: 生产企业",
            "row 4: 产品线",
            "row 4: 产品编码",
            "row 4: 序列号管理",
            "row 5: 产品编码"
        ]
    );
    assert!(
        r.field("row 4: 产品编码")
            .unwrap()
            .contains("same code as row 2")
    );
    assert!(
        r.field("row 5: 产品编码")
            .unwrap()
            .contains("already in the catalog")
    );
    let found = t.get("/api/v1/products?q=RK-GW", &quality).await;
    assert_eq!(
        found.body["items"].as_array().unwrap().len(),
        0,
        "nothing half-imported"
    );
    let good = format!(
        "{header}\nRK-GW-14,PTCA导引导丝,0.014in×190cm,高值耗材,{maker},根,否,否,36\n\
         RK-GW-18,PTCA导引导丝,0.018in×190cm,consumables,{maker},根,no,no,36\n"
    );
    let dry = import_products(&t, &quality, "dry_run=true", &good).await;
    assert_eq!(
        (
            dry.body["imported"].as_bool(),
            dry.body["created"]["products"].as_i64()
        ),
        (Some(false), Some(2))
    );
    let r = import_products(&t, &quality, "", &good).await;
    assert_eq!(r.body["imported"], true, "{:?}", r.body);
    let (status, _, bytes) = t.fetch("/api/v1/exports/products.csv?q=RK-", &rep).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.contains("RK-GW-18,PTCA导引导丝,0.018in×190cm,高值耗材"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("RK-US-8000") && l.contains("国械注准20233060581")),
        "the current registration is exported: {text}"
    );
}
