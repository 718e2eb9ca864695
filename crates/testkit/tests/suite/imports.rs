//! SYS-3: import (dry run, all or nothing, row-numbered report) and export (scope, filters)
//! of institutions, departments and contacts, through the API and the upload page.

use medcrm_app::imports::{Format, Row, Table, parse_table, write_table};
use medcrm_testkit::{Reply, TestApp, csrf_of, multipart, spawn_app};
use reqwest::{Method, StatusCode};

/// Posts `body` as the file of an import.
async fn upload(t: &TestApp, token: &str, kind: &str, query: &str, body: Vec<u8>) -> Reply {
    let path = format!("/api/v1/imports/{kind}?{query}");
    t.send_bytes(Method::POST, &path, token, "text/csv", body)
        .await
}

/// A GET whose answer is a file: status, content type and bytes.
async fn fetch(t: &TestApp, token: &str, path: &str) -> (StatusCode, String, Vec<u8>) {
    t.fetch(path, token).await
}

fn csv(lines: &[&str]) -> Vec<u8> {
    let mut text = lines.join("\n");
    text.push('\n');
    text.into_bytes()
}

const HEADER: &str = "名称,类型,医院等级,省份,城市,床位数,统一社会信用代码";

/// Names of the institutions `token`'s list finds for `q`.
async fn found(t: &TestApp, token: &str, q: &str) -> Vec<String> {
    let r = t
        .get(&format!("/api/v1/institutions?q={q}&limit=200"), token)
        .await;
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

fn errors(r: &Reply) -> Vec<(i64, String, String)> {
    r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn sys_3_dry_run_reports_row_numbers_and_writes_nothing() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let file = csv(&[
        HEADER,
        "上海市胸科医院,公立医院,三级甲等,上海,上海市,800,",
        "上海市肺科医院,hospital,3A,上海,上海市,很多,91350100M000100Y44",
        "",
        "上海市眼耳鼻喉科医院,公立医院,三甲,上海,上海市,,",
    ]);
    let r = upload(&t, &rep, "institutions", "dry_run=true", file.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["dry_run"], true);
    assert_eq!(r.body["imported"], false);
    assert_eq!(r.body["rows"], 3);
    assert_eq!(r.body["rows_ok"], 2);
    let errs = errors(&r);
    // Row 3 as Excel numbers it (header = 1); both bad cells are named.
    assert!(
        errs.iter()
            .any(|(row, field, m)| *row == 3 && field == "credit_code" && m.contains("check")),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|(row, field, _)| *row == 3 && field == "beds"),
        "{errs:?}"
    );
    // Left to right as in the file, each under the column's own header.
    assert_eq!(r.body["errors"][0]["column"], "床位数");
    assert_eq!(r.body["errors"][1]["column"], "统一社会信用代码");
    assert!(found(&t, &rep, "上海市胸科医院").await.is_empty());

    // A clean dry run says what it would create, and still writes nothing.
    let clean = csv(&[HEADER, "上海市胸科医院,公立医院,三级甲等,上海,上海市,800,"]);
    let r = upload(&t, &rep, "institutions", "dry_run=true", clean).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["errors"], serde_json::json!([]));
    assert_eq!(r.body["created"]["institutions"], 1);
    assert_eq!(r.body["imported"], false);
    assert!(found(&t, &rep, "上海市胸科医院").await.is_empty());
}

#[tokio::test]
async fn sys_3_one_bad_row_imports_nothing_and_the_report_names_row_and_field() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let bad = csv(&[
        HEADER,
        "上海市胸科医院,公立医院,三级甲等,上海,上海市,800,",
        "上海市肺科医院,诊所,3A,上海,上海市,600,",
        "上海市眼耳鼻喉科医院,公立医院,三甲,上海,上海市,,",
    ]);
    let r = upload(&t, &rep, "institutions", "", bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.code(), "validation_failed");
    let message = r.field("row 3: 类型").unwrap();
    assert!(message.contains("公立医院 (hospital)"), "{message}");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nothing was imported")
    );
    for name in ["上海市胸科医院", "上海市眼耳鼻喉科医院"] {
        assert!(
            found(&t, &rep, name).await.is_empty(),
            "{name} half-imported"
        );
    }

    let good = csv(&[
        HEADER,
        "上海市胸科医院,公立医院,三级甲等,上海,上海市,800,",
        "上海市肺科医院,民营医院,3A,上海,上海市,600,",
        "上海市眼耳鼻喉科医院,公立医院,三甲,上海,上海市,,",
    ]);
    let r = upload(&t, &rep, "institutions", "dry_run=false", good).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["imported"], true);
    assert_eq!(r.body["created"]["institutions"], 3);
    assert_eq!(found(&t, &rep, "上海市胸科医院").await, ["上海市胸科医院"]);
    // Filed as if typed: owned by the rep in their territory, with history and audit.
    let admin = t.login("admin").await;
    let me = t.user_id(&admin, "rep.east").await;
    let list = t.get("/api/v1/institutions?q=上海市肺科医院", &rep).await;
    let created = &list.body["items"][0];
    assert_eq!(created["owner_id"], me);
    assert_eq!(created["kind"], "private_hospital");
    assert_eq!(created["region_id"], t.region_id(&admin, "EAST-SH").await);
    let id = created["id"].as_i64().unwrap();
    let audit = t
        .get(
            &format!("/api/v1/audit?entity=institution&entity_id={id}"),
            &admin,
        )
        .await;
    assert_eq!(audit.body["items"][0]["action"], "create");
    assert_eq!(audit.body["items"][0]["actor_name"], "rep.east");
    let summary = t.get("/api/v1/audit?entity=import", &admin).await;
    assert_eq!(summary.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn sys_3_duplicates_of_existing_hospitals_and_within_the_file_are_reported_by_row() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let file = csv(&[
        HEADER,
        "上海市胸科医院,公立医院,三级甲等,上海,上海市,800,",
        "复旦大学附属中山医院,公立医院,三级甲等,上海,上海市,2000,",
        "上海市胸科医院,公立医院,三级甲等,上海,上海市,800,",
    ]);
    let r = upload(&t, &rep, "institutions", "dry_run=true", file).await;
    assert_eq!(r.status, StatusCode::OK);
    let errs = errors(&r);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert_eq!((errs[0].0, errs[0].1.as_str()), (3, "name"));
    assert!(errs[0].2.contains("already exists in 上海市"), "{errs:?}");
    assert_eq!((errs[1].0, errs[1].1.as_str()), (4, "name"));
    assert!(errs[1].2.contains("row 2 of this file"), "{errs:?}");
}

#[tokio::test]
async fn sys_3_scope_a_rep_files_only_their_own_a_manager_names_the_owner() {
    let t = spawn_app().await;
    let header = "名称,类型,省份,城市,所属区域,负责销售账号";
    // A rep cannot give customers to someone else or file them in another territory.
    let rep = t.login("rep.east").await;
    let file = csv(&[
        header,
        "上海市胸科医院,公立医院,上海,上海市,EAST-SH,rep.north",
        "北京胸科医院,公立医院,北京,北京市,北京片区,",
    ]);
    let r = upload(&t, &rep, "institutions", "dry_run=true", file).await;
    let errs = errors(&r);
    assert!(
        errs.iter().any(|(row, f, _)| *row == 2 && f == "region"),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|(row, f, _)| *row == 3 && f == "region"),
        "{errs:?}"
    );
    // A manager files for a rep of the region; a warehouse user cannot own customers.
    let manager = t.login("manager.east").await;
    let file = csv(&[
        header,
        "上海市胸科医院,公立医院,上海,上海市,EAST-SH,rep.east",
        "上海市肺科医院,公立医院,上海,上海市,上海片区,warehouse",
        "上海市眼科医院,公立医院,上海,上海市,EAST-SH,nobody",
    ]);
    let r = upload(&t, &manager, "institutions", "dry_run=true", file).await;
    let errs = errors(&r);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs[0].0 == 3 && errs[0].1 == "owner" && errs[0].2.contains("sales role"));
    assert!(errs[1].0 == 4 && errs[1].2.contains("no user `nobody`"));
}

#[tokio::test]
async fn sys_3_contacts_import_finds_the_institution_in_scope_and_adds_departments() {
    let t = spawn_app().await;
    let director = t.login("director").await;
    let list = t
        .get("/api/v1/institutions?q=复旦大学附属中山医院", &director)
        .await;
    let inst = &list.body["items"][0];
    let id = inst["id"].as_i64().unwrap();
    let code = inst["credit_code"].as_str().unwrap().to_owned();
    let rep = t.login("rep.east").await;
    let file = format!(
        "机构ID,统一社会信用代码,机构名称,城市,科室,姓名,角色,职务,电话\n\
         ,{code},,,介入科,张三,医生,主治医师,13800001111\n\
         ,,复旦大学附属中山医院,上海市,介入科,李四,科室主任,主任,13800002222\n\
         {id},,,,超声科,,,,\n\
         ,,复旦大学附属中山医院,上海市,,王五,equipment,,13800003333\n"
    );
    let r = upload(
        &t,
        &rep,
        "contacts",
        "dry_run=false",
        file.clone().into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["created"]["departments"], 2);
    assert_eq!(r.body["created"]["contacts"], 3);
    let full = t.get(&format!("/api/v1/institutions/{id}"), &rep).await;
    let departments = full.body["departments"].as_array().unwrap();
    let interventional = departments.iter().find(|d| d["name"] == "介入科").unwrap()["id"].clone();
    assert!(departments.iter().any(|d| d["name"] == "超声科"));
    let contacts = full.body["contacts"].as_array().unwrap();
    let zhang = contacts.iter().find(|c| c["name"] == "张三").unwrap();
    assert_eq!(zhang["department_id"], interventional);
    assert_eq!(zhang["role"], "doctor");
    // The same file again: every contact is a duplicate; nothing is written.
    let again = upload(&t, &rep, "contacts", "dry_run=true", file.into_bytes()).await;
    let errs = errors(&again);
    assert_eq!(
        errs.iter().map(|e| e.0).collect::<Vec<_>>(),
        [2, 3, 5],
        "{errs:?}"
    );
    // A department the hospital already has is used, not created again.
    let existing = format!("统一社会信用代码,科室,姓名\n{code},设备科,孙八\n");
    let r = upload(&t, &rep, "contacts", "dry_run=true", existing.into_bytes()).await;
    assert_eq!(r.body["created"]["departments"], 0, "{:?}", r.body);
    assert_eq!(r.body["created"]["contacts"], 1);
    // Another rep's hospital reads as missing, exactly like one that does not exist.
    let north = t.login("rep.north").await;
    let theirs = format!("统一社会信用代码,姓名\n{code},赵六\n不存在的代码,钱七\n");
    let r = upload(&t, &north, "contacts", "dry_run=true", theirs.into_bytes()).await;
    let errs = errors(&r);
    assert_eq!(
        errs[0].2,
        format!("none of your customers has the credit code {code}")
    );
    assert_eq!(
        errs[1].2,
        "none of your customers has the credit code 不存在的代码"
    );
}

/// The CSV export of `token` with `query`, as text.
async fn export_csv(t: &TestApp, token: &str, what: &str, query: &str) -> String {
    let (status, content_type, bytes) =
        fetch(t, token, &format!("/api/v1/exports/{what}.csv?{query}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn sys_3_export_by_rep_north_never_contains_rep_easts_hospitals() {
    let t = spawn_app().await;
    let north = t.login("rep.north").await;
    let text = export_csv(&t, &north, "institutions", "").await;
    assert!(text.starts_with('\u{feff}'), "a BOM so Excel reads UTF-8");
    assert!(text.contains("北京协和医院"));
    assert!(!text.contains("复旦大学附属中山医院"), "{text}");
    assert!(!text.contains("rep.east"));
    // The list's filters apply, within the scope.
    let filtered = export_csv(&t, &north, "institutions", "q=协和").await;
    assert_eq!(filtered.lines().count(), 2, "{filtered}");
    let contacts = export_csv(&t, &north, "contacts", "").await;
    assert!(!contacts.contains("复旦大学附属中山医院"));
    // Whereas the director sees both territories.
    let director = t.login("director").await;
    let all = export_csv(&t, &director, "institutions", "lang=en").await;
    assert!(all.contains("复旦大学附属中山医院") && all.contains("北京协和医院"));
    assert!(all.lines().next().unwrap().contains("credit_code"));
}

#[tokio::test]
async fn sys_3_xlsx_round_trip_export_edit_and_import_again() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let (status, content_type, bytes) = fetch(&t, &rep, "/api/v1/exports/institutions.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.contains("spreadsheetml"), "{content_type}");
    let exported = parse_table(&bytes, Some(Format::Xlsx)).unwrap();
    let col = |name: &str| exported.headers.iter().position(|h| h == name).unwrap();
    let (name, code, beds, owner) = (
        col("名称"),
        col("统一社会信用代码"),
        col("床位数"),
        col("负责销售账号"),
    );
    let zhongshan = exported
        .rows
        .iter()
        .find(|r| r.cells[name] == "复旦大学附属中山医院")
        .unwrap();
    assert_eq!(zhongshan.cells[owner], "rep.east");
    assert!(
        zhongshan.cells[beds].parse::<i64>().unwrap() > 0,
        "a number, not 2005.0"
    );
    // Importing the export unchanged: every row is a duplicate of itself.
    let again = upload(&t, &rep, "institutions", "dry_run=true", bytes.clone()).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(again.body["rows_ok"], 0);
    assert_eq!(
        again.body["errors"].as_array().unwrap().len(),
        exported.rows.len()
    );
    // As new branches (new names, no credit codes), the same sheet imports whole.
    let edited = Table {
        rows: exported
            .rows
            .iter()
            .map(|r| {
                let mut cells = r.cells.clone();
                cells[name] = format!("{}（新院区）", cells[name]);
                cells[code] = String::new();
                Row {
                    number: r.number,
                    cells,
                }
            })
            .collect(),
        ..exported.clone()
    };
    let file = write_table(&edited, Format::Xlsx).unwrap();
    let r = upload(&t, &rep, "institutions", "format=xlsx", file).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["created"]["institutions"].as_u64().unwrap() as usize,
        exported.rows.len()
    );
    let branch = found(&t, &rep, "复旦大学附属中山医院（新院区）").await;
    assert_eq!(branch.len(), 1);
}

#[tokio::test]
async fn sys_3_a_warehouse_user_may_neither_import_nor_export() {
    let t = spawn_app().await;
    let warehouse = t.login("warehouse").await;
    let file = csv(&[HEADER, "上海市胸科医院,公立医院,三级甲等,上海,上海市,800,"]);
    let r = upload(&t, &warehouse, "institutions", "dry_run=true", file).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "forbidden");
    let r = upload(&t, &warehouse, "contacts", "", b"garbage".to_vec()).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "permission before the file"
    );
    let (status, _, _) = fetch(&t, &warehouse, "/api/v1/exports/institutions.csv").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sys_3_upload_size_limit_is_20_mib_on_import_routes_only() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    // 2 MiB (over the API's usual 1 MiB): one row and blank lines, which do not count.
    let mut big = csv(&[HEADER, "上海市胸科医院,公立医院,三级甲等,上海,上海市,800,"]);
    big.extend(std::iter::repeat_n(b'\n', 2 * 1024 * 1024));
    let r = upload(&t, &rep, "institutions", "dry_run=true", big).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["rows"], 1);
    let huge = vec![b'a'; 21 * 1024 * 1024];
    let r = upload(&t, &rep, "institutions", "dry_run=true", huge).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.code(), "payload_too_large");
}

#[tokio::test]
async fn sys_3_garbage_is_a_clear_422_and_gbk_csv_is_read() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    for (query, body) in [
        ("dry_run=true", b"\x00\x01\x02\xff\xfe\x00garbage".to_vec()),
        ("dry_run=true&format=xlsx", b"name,kind\n".to_vec()),
        ("dry_run=true", b"PK\x03\x04broken".to_vec()),
        ("dry_run=true", Vec::new()),
    ] {
        let r = upload(&t, &rep, "institutions", query, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(r.field("file").is_some(), "{:?}", r.body);
    }
    let r = upload(&t, &rep, "institutions", "format=xls", b"x".to_vec()).await;
    assert!(r.field("format").is_some());
    let r = upload(&t, &rep, "institutions", "dry_run=maybe", b"x".to_vec()).await;
    assert!(r.field("dry_run").is_some());
    // What Excel on a Chinese Windows saves as "CSV": GBK.
    let text = format!("{HEADER}\n上海市胸科医院,公立医院,三级甲等,上海,上海市,800,\n");
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let r = upload(&t, &rep, "institutions", "", gbk.into_owned()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(found(&t, &rep, "上海市胸科医院").await, ["上海市胸科医院"]);
    // Unknown columns are named on the header row and nothing is checked further.
    let r = upload(
        &t,
        &rep,
        "institutions",
        "dry_run=true",
        csv(&["名称,nmae", "甲,乙"]),
    )
    .await;
    let errs = errors(&r);
    assert!(errs.iter().all(|e| e.0 == 1), "{errs:?}");
    assert!(errs.iter().any(|e| e.1 == "nmae"));
    assert!(errs.iter().any(|e| e.2.contains("needs a column 类型")));
}

#[tokio::test]
async fn sys_3_upload_page_dry_run_first_then_import() {
    let t = spawn_app().await;
    let mut b = t.browser();
    b.sign_in("rep.east").await;
    let list = b.get("/customers?q=中山").await;
    assert!(list.body.contains("href=\"/customers/import\""));
    assert!(
        list.body
            .contains("/customers/export?format=csv&amp;q=%E4%B8%AD%E5%B1%B1"),
        "export keeps the filters"
    );
    let page = b.get("/customers/import").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("name=\"dry_run\" checked"),
        "dry run by default"
    );
    let token = csrf_of(&page.body).unwrap();
    let bad = csv(&[
        HEADER,
        "上海市胸科医院,公立医院,三级甲等,上海,上海市,800,",
        "上海市肺科医院,诊所,3A,上海,上海市,600,",
    ]);
    let post = |content_type: String, body: Vec<u8>| {
        b.http
            .post(t.url("/customers/import"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    // Without the token first in the form: refused.
    let (ct, body) = multipart_csv(
        &[("kind", "institutions"), ("_csrf", &token)],
        "a.csv",
        &bad,
    );
    assert_eq!(
        post(ct, body).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let fields = [
        ("_csrf", token.as_str()),
        ("kind", "institutions"),
        ("dry_run", "on"),
    ];
    let (ct, body) = multipart_csv(&fields, "医院.csv", &bad);
    let res = post(ct, body).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"import-errors\""), "{html}");
    assert!(
        html.contains("<td class=\"nowrap\">3</td>"),
        "row 3 is named"
    );
    assert!(html.contains("未导入任何数据"));
    let good = csv(&[HEADER, "上海市胸科医院,公立医院,三级甲等,上海,上海市,800,"]);
    let (ct, body) = multipart_csv(&fields, "医院.csv", &good);
    let html = post(ct, body).await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"dry-run-ok\""), "{html}");
    assert!(
        html.contains("name=\"dry_run\">"),
        "after a clean dry run the box is unticked for the real import"
    );
    assert!(
        found(&t, &t.login("rep.east").await, "上海市胸科医院")
            .await
            .is_empty()
    );
    let (ct, body) = multipart_csv(&fields[..2], "医院.csv", &good);
    let res = post(ct, body).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"import-done\""), "{html}");
    // An .xls (old Excel) is refused with the reason.
    let (ct, body) = multipart_csv(&fields, "old.xls", b"\xd0\xcf\x11\xe0");
    let html = post(ct, body).await.unwrap().text().await.unwrap();
    assert!(html.contains("save an .xls file as .xlsx"), "{html}");
}

#[tokio::test]
async fn sys_3_export_buttons_download_the_filtered_list_in_the_callers_scope() {
    let t = spawn_app().await;
    let mut b = t.browser();
    b.sign_in("rep.north").await;
    let res = b
        .http
        .get(t.url("/customers/export?format=csv&q=&kind=hospital&grade=&category=&region_id="))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"institutions-")
    );
    let text = res.text().await.unwrap();
    assert!(text.contains("北京协和医院"));
    assert!(!text.contains("复旦大学附属中山医院"));
    assert!(!text.contains("民营医院"), "the kind filter applies");
    let res = b
        .http
        .get(t.url("/customers/import/template?kind=contacts&format=xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let template = parse_table(&res.bytes().await.unwrap(), None).unwrap();
    assert!(template.headers.contains(&"姓名".to_owned()));
    assert!(template.rows.is_empty());
}

/// A multipart upload of a CSV file.
fn multipart_csv(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    multipart(fields, file_name, "text/csv", file)
}
