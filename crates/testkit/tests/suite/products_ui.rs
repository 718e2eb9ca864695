//! Product, document, quote and approval pages (PRD-1…4, PRC-1…3): who sees what, forms that
//! keep bad input, scans, and a quote taken through its life in the browser.

use jiff::ToSpan;
use medcrm_app::Ctx;
use medcrm_app::customers::{InstitutionQuery, today};
use medcrm_app::pricing::PriceInput;
use medcrm_app::products::{DocumentInput, DocumentOwner, ProductInput, SupplierInput};
use medcrm_testkit::{Browser, Html, TestApp, csrf_of, multipart, spawn_app};
use reqwest::StatusCode;

/// The demo user `username` as the actor of a use case.
async fn as_user(t: &TestApp, username: &str) -> Ctx {
    t.app.ctx_as(username, "test").await.unwrap()
}

fn day(offset_days: i64) -> String {
    today().checked_add(offset_days.days()).unwrap().to_string()
}

fn document(kind: &str, number: &str, from: i64, to: i64) -> DocumentInput {
    DocumentInput {
        kind: kind.into(),
        number: number.into(),
        valid_from: day(from),
        valid_to: day(to),
        ..Default::default()
    }
}

/// What a quote needs, filed by the use cases: a manufacturer with its licence, products
/// (`CT-64` with its certificate, `PUMP-1` without one), approved list prices, and a licence
/// expiring in 20 days for rep.east's customer 复旦大学附属中山医院 (approved in the demo).
struct Catalog {
    ct: i64,
    pump: i64,
    customer: i64,
    maker: i64,
}

async fn catalog(t: &TestApp) -> Catalog {
    let quality = as_user(t, "quality").await;
    let maker = t
        .app
        .create_supplier(
            &quality,
            SupplierInput {
                name: "上海联影医疗科技股份有限公司".into(),
                kind: "manufacturer".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
    let licence = document(
        "production_licence",
        "沪食药监械生产许20110001号",
        -400,
        900,
    );
    t.app
        .add_document(&quality, DocumentOwner::Supplier(maker), licence, None)
        .await
        .unwrap();
    let product = |code: &str, name: &str| ProductInput {
        code: code.into(),
        name: name.into(),
        model: "uCT 760".into(),
        product_line: "large_equipment".into(),
        manufacturer_id: maker,
        unit: "台".into(),
        active: true,
        ..Default::default()
    };
    let ct = t
        .app
        .create_product(&quality, product("CT-64", "64排螺旋CT"))
        .await
        .unwrap()
        .id;
    let pump = t
        .app
        .create_product(&quality, product("PUMP-1", "输液泵"))
        .await
        .unwrap()
        .id;
    let certificate = document("registration_certificate", "国械注准20243060001", -30, 1500);
    t.app
        .add_document(&quality, DocumentOwner::Product(ct), certificate, None)
        .await
        .unwrap();
    let finance = as_user(t, "finance").await;
    let director = as_user(t, "director").await;
    for id in [ct, pump] {
        let proposed = t
            .app
            .propose_price(
                &finance,
                PriceInput {
                    product_id: id,
                    price: "100000".into(),
                    effective_from: day(0),
                    reason: "年度定价".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let approval = proposed.approval.unwrap().id;
        t.app
            .decide_approval(&director, approval, true, "同意")
            .await
            .unwrap();
    }
    let rep = as_user(t, "rep.east").await;
    let q = InstitutionQuery {
        query: Some("复旦大学附属中山医院".into()),
        ..Default::default()
    };
    let customer = t.app.institutions(&rep, &q).await.unwrap().items[0]
        .record
        .id;
    let licence = document("institution_licence", "PDY00001", -100, 20);
    t.app
        .add_document(&rep, DocumentOwner::Institution(customer), licence, None)
        .await
        .unwrap();
    // The demo customer has passed first-time review already.
    Catalog {
        ct,
        pump,
        customer,
        maker,
    }
}

/// Posts the add-document form as a browser does: `_csrf` first, then the fields and a file.
async fn upload_document(
    t: &TestApp,
    b: &mut Browser,
    page: &str,
    fields: &[(&str, &str)],
    file: (&str, &str, &[u8]),
) -> Html {
    let csrf = csrf_of(&b.get(page).await.body).unwrap();
    let (file_name, content_type, bytes) = file;
    let mut all = vec![("_csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    let (form_type, body) = multipart(&all, file_name, content_type, bytes);
    let res = b
        .http
        .post(t.url(&format!("{page}/documents")))
        .header("content-type", form_type)
        .body(body)
        .send()
        .await
        .unwrap();
    Html {
        status: res.status(),
        location: res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned()),
        body: res.text().await.unwrap(),
    }
}

#[tokio::test]
async fn prd_1_quality_keeps_the_catalog_in_chinese_and_english() {
    let t = spawn_app().await;
    let c = catalog(&t).await;
    let mut b = t.browser();
    b.sign_in("quality").await;
    let list = b.get("/products").await;
    assert_eq!(list.status, StatusCode::OK);
    for text in ["产品目录", "64排螺旋CT", "新建产品", "首营审核", "资质到期"] {
        assert!(list.body.contains(text), "{text}");
    }
    let found = b.get("/products?q=syb").await;
    assert!(found.body.contains("输液泵"), "pinyin initials of 输液泵");
    assert!(!found.body.contains("64排螺旋CT"));
    b.get("/products/new").await;
    let refused = b
        .post(
            "/products",
            &[
                ("code", "US-1"),
                ("name", "彩色多普勒超声"),
                ("model", "Resona 7"),
                ("product_line", "large_equipment"),
                ("manufacturer_id", &c.maker.to_string()),
                ("unit", "台"),
                ("shelf_life_months", "many"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("fielderror"));
    assert!(refused.body.contains("彩色多普勒超声"), "kept as typed");
    let page = b.get(&format!("/products/{}", c.ct)).await;
    for text in ["国械注准20243060001", "有效", "沪食药监械生产许20110001号"] {
        assert!(page.body.contains(text), "{text}");
    }
    assert!(!page.body.contains("价格表"), "prices are commercial");
    b.post("/lang", &[("lang", "en"), ("next", "/products")])
        .await;
    let en = b.get(&format!("/products/{}", c.ct)).await;
    assert!(en.body.contains("Registration certificate"));
    assert!(en.body.contains("Add a document"));
    let suppliers = b.get("/suppliers").await;
    assert!(suppliers.body.contains("上海联影医疗科技股份有限公司"));
    assert!(suppliers.body.contains("Not submitted"));
}

#[tokio::test]
async fn prd_1_pages_and_nav_follow_the_roles() {
    let t = spawn_app().await;
    let c = catalog(&t).await;
    let mut warehouse = t.browser();
    warehouse.sign_in("warehouse").await;
    let list = warehouse.get("/products").await;
    assert_eq!(list.status, StatusCode::OK, "the catalog is for everyone");
    assert!(!list.body.contains("新建产品"));
    assert!(!list.body.contains("href=\"/quotes\""));
    assert!(!list.body.contains("href=\"/approvals\""));
    assert!(!list.body.contains("href=\"/reviews\""));
    let page = warehouse.get(&format!("/products/{}", c.ct)).await;
    assert!(!page.body.contains("价格表"), "prices are commercial");
    assert!(!page.body.contains("登记证照"));
    for path in ["/products/new", "/quotes", "/approvals", "/reviews"] {
        assert_eq!(
            warehouse.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let mut rep = t.browser();
    rep.sign_in("rep.east").await;
    let home = rep.get("/").await;
    assert!(home.body.contains("href=\"/quotes\""));
    assert!(!home.body.contains("href=\"/approvals\""));
    assert_eq!(rep.get("/approvals").await.status, StatusCode::FORBIDDEN);
    let mut director = t.browser();
    director.sign_in("director").await;
    let page = director.get(&format!("/products/{}", c.ct)).await;
    for text in ["价格表", "¥100,000.00", "已批准", "申请调价"] {
        assert!(page.body.contains(text), "{text}");
    }
    let refused = director
        .post(
            &format!("/products/{}/prices", c.ct),
            &[
                ("price", "abc"),
                ("effective_from", "2020-01-01"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("fielderror"));
    let mut manager = t.browser();
    manager.sign_in("manager.east").await;
    let inbox = manager.get("/approvals").await;
    assert_eq!(inbox.status, StatusCode::OK);
    assert!(inbox.body.contains("审批中心"));
}

#[tokio::test]
async fn prd_2_a_scan_must_be_pdf_png_or_jpeg_and_downloads_as_an_attachment() {
    let t = spawn_app().await;
    let c = catalog(&t).await;
    let mut b = t.browser();
    b.sign_in("quality").await;
    let page = format!("/products/{}", c.pump);
    let fields = [
        ("kind", "registration_certificate"),
        ("number", "国械注准20253140002"),
        ("device_class", "II"),
        ("valid_from", "2025-01-01"),
        ("valid_to", "2030-12-31"),
    ];
    let refused = upload_document(
        &t,
        &mut b,
        &page,
        &fields,
        ("证书.txt", "text/plain", b"hello"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("only PDF, PNG or JPEG"));
    assert!(refused.body.contains("fielderror"));
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n";
    let saved = upload_document(
        &t,
        &mut b,
        &page,
        &fields,
        ("注册证.pdf", "application/pdf", pdf),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let shown = b.get(&page).await;
    let end = shown.body.find("/scan\"").unwrap();
    let start = shown.body[..end].rfind('/').unwrap();
    let link = format!("/documents{}/scan", &shown.body[start..end]);
    let res = b.http.get(t.url(&link)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let header = |name: &str| res.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "application/pdf");
    assert_eq!(header("x-content-type-options"), "nosniff");
    let disposition = header("content-disposition");
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        disposition.contains("filename*=UTF-8''%E6%B3%A8%E5%86%8C%E8%AF%81.pdf"),
        "{disposition}"
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), pdf);
    assert_eq!(
        b.get("/documents/999999/scan").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn prc_3_a_rep_creates_submits_sends_and_prints_a_quote() {
    let t = spawn_app().await;
    let c = catalog(&t).await;
    let mut b = t.browser();
    b.sign_in("rep.east").await;
    let form = b.get("/quotes/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.matches("name=\"product_id\"").count() >= 5);
    let customer = c.customer.to_string();
    let valid_until = day(30);
    let quote = |product: i64| {
        vec![
            ("institution_id", customer.clone()),
            ("valid_until", valid_until.clone()),
            ("product_id", product.to_string()),
            ("quantity", "2".to_owned()),
            ("unit_price", String::new()),
            ("product_id", String::new()),
            ("quantity", String::new()),
            ("unit_price", String::new()),
        ]
    };
    let refused_form = quote(c.pump);
    let refused_form: Vec<(&str, &str)> =
        refused_form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = b.post("/quotes", &refused_form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("该产品或客户资质不全，不能报价"));
    assert!(
        refused
            .body
            .contains("no registration certificate or filing certificate on file")
    );
    let good = quote(c.ct);
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = b.post("/quotes", &good).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let path = created.location.unwrap();
    let page = b.get(&path).await;
    for text in [
        "草稿",
        "64排螺旋CT",
        "¥100,000.00",
        "¥200,000.00",
        "0.00%",
        "按目录价",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    let sent_too_early = b.post(&format!("{path}/send"), &[]).await;
    assert_eq!(sent_too_early.status, StatusCode::CONFLICT);
    assert!(sent_too_early.body.contains("当前状态下不能执行此操作"));
    assert_eq!(
        b.post(&format!("{path}/submit"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    b.get(&path).await;
    assert_eq!(
        b.post(&format!("{path}/send"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let sent = b.get(&path).await;
    assert!(sent.body.contains("已发送"));
    assert!(sent.body.contains("客户已接受"));
    let print = b.get(&format!("{path}/print")).await;
    assert_eq!(print.status, StatusCode::OK);
    for text in [
        "瑞康医疗器械有限公司",
        "报价单",
        "复旦大学附属中山医院",
        "¥200,000.00",
        "客户确认",
    ] {
        assert!(print.body.contains(text), "{text}");
    }
    assert!(!print.body.contains("class=\"mainnav\""));
    let list = b.get("/quotes?status=sent").await;
    assert!(list.body.contains("复旦大学附属中山医院"));
}

#[tokio::test]
async fn prc_2_a_deep_discount_waits_for_the_director_not_the_manager() {
    let t = spawn_app().await;
    let c = catalog(&t).await;
    let mut rep = t.browser();
    rep.sign_in("rep.east").await;
    rep.get("/quotes/new").await;
    let customer = c.customer.to_string();
    let ct = c.ct.to_string();
    let until = day(10);
    let created = rep
        .post(
            "/quotes",
            &[
                ("institution_id", customer.as_str()),
                ("valid_until", until.as_str()),
                ("product_id", ct.as_str()),
                ("quantity", "1"),
                ("unit_price", "88000"),
            ],
        )
        .await;
    let path = created.location.unwrap();
    let page = rep.get(&path).await;
    assert!(page.body.contains("12.00%"));
    assert!(page.body.contains("销售总监"), "12 % needs a director");
    rep.post(&format!("{path}/submit"), &[]).await;
    assert!(rep.get(&path).await.body.contains("待审批"));
    let quote_id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
    let approval = t
        .app
        .approvals(&as_user(&t, "director").await, None, None, None)
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|a| a.quote_id == Some(quote_id))
        .unwrap()
        .id;
    let mut manager = t.browser();
    manager.sign_in("manager.east").await;
    manager.get("/approvals").await;
    let beyond = manager
        .post(
            &format!("/approvals/{approval}/decide"),
            &[("decision", "approve"), ("comment", "")],
        )
        .await;
    assert_eq!(beyond.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(beyond.body.contains("超出您的审批权限"));
    let mut director = t.browser();
    director.sign_in("director").await;
    let inbox = director.get("/approvals").await;
    assert!(inbox.body.contains("价格调整申请"));
    assert!(inbox.body.contains("12.00%"));
    let no_comment = director
        .post(
            &format!("/approvals/{approval}/decide"),
            &[("decision", "reject"), ("comment", "")],
        )
        .await;
    assert_eq!(no_comment.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_comment.body.contains("驳回时请填写意见"));
    let approved = director
        .post(
            &format!("/approvals/{approval}/decide"),
            &[("decision", "approve"), ("comment", "战略客户")],
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    let again = director
        .post(
            &format!("/approvals/{approval}/decide"),
            &[("decision", "approve"), ("comment", "")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("该申请已被处理"));
    let quote = rep.get(&path).await;
    assert!(quote.body.contains("已批准"));
    assert!(quote.body.contains("战略客户"));
}

#[tokio::test]
async fn prd_3_a_customer_is_licensed_and_reviewed_through_the_pages() {
    let t = spawn_app().await;
    let mut rep = t.browser();
    rep.sign_in("rep.east").await;
    // A new customer: no licence, never reviewed (the demo's have been).
    let token = t.login("rep.east").await;
    let new = serde_json::json!({"name": "上海市胸科医院", "kind": "hospital", "level": "3A",
        "province": "上海", "city": "上海市", "scale_score": 4, "demand_score": 4, "willingness_score": 4});
    let id = t.post("/api/v1/institutions", &token, new).await.body["id"].clone();
    let page = format!("/customers/{id}");
    let shown = rep.get(&page).await;
    assert!(shown.body.contains("资质 / 首营"));
    assert!(shown.body.contains("尚未提交首营审核"));
    let fields = [
        ("kind", "institution_licence"),
        ("number", "PDY10001"),
        ("valid_from", "2024-01-01"),
        ("valid_to", "2029-12-31"),
    ];
    let png = b"\x89PNG\r\n\x1a\n0000";
    let saved = upload_document(
        &t,
        &mut rep,
        &page,
        &fields,
        ("许可证.png", "image/png", png),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        rep.post(&format!("{page}/review"), &[("note", "首次合作")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let shown = rep.get(&page).await;
    assert!(shown.body.contains("PDY10001"));
    assert!(shown.body.contains("待审核"));
    assert!(
        !shown.body.contains("id=\"submit-review\""),
        "one at a time"
    );
    let mut quality = t.browser();
    quality.sign_in("quality").await;
    let queue = quality.get("/reviews").await;
    assert!(queue.body.contains("首次合作"));
    let review = queue
        .body
        .split("action=\"/reviews/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap()
        .to_owned();
    let bare = quality
        .post(
            &format!("/reviews/{review}/decide"),
            &[("decision", "reject"), ("comment", "")],
        )
        .await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bare.body.contains("驳回时请填写意见"));
    let approved = quality
        .post(
            &format!("/reviews/{review}/decide"),
            &[("decision", "approve"), ("comment", "资料齐全")],
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    assert!(
        quality
            .get("/reviews?status=approved")
            .await
            .body
            .contains("资料齐全")
    );
}

#[tokio::test]
async fn prd_4_expiring_documents_are_listed_with_links_to_their_owners() {
    let t = spawn_app().await;
    let c = catalog(&t).await;
    let mut b = t.browser();
    b.sign_in("quality").await;
    let page = b.get("/documents/expiring").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("PDY00001"),
        "the customer's licence ends in 20 days"
    );
    assert!(page.body.contains("即将到期"));
    assert!(
        page.body
            .contains(&format!("href=\"/customers/{}\"", c.customer))
    );
    assert!(!page.body.contains("国械注准20243060001"), "years ahead");
    let narrow = b.get("/documents/expiring?days=7").await;
    assert!(!narrow.body.contains("PDY00001"));
    let bad = b.get("/documents/expiring?days=999").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("fielderror"));
}
