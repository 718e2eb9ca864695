//! CUS-1 search by one or two characters (协和, 协, bj), answered from the gram index of
//! migration 0007: the same institutions as `LIKE '%…%'` over name, pinyin initials and
//! credit code, within the caller's scope, across pages, and current after every write.

use medcrm_testkit::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Every institution `token` may see, paged through the unfiltered list.
async fn everything(t: &TestApp, token: &str) -> Vec<Value> {
    search(t, token, "").await
}

/// Everything the list answers for `q` (URL-encoded by the caller where needed), read two at
/// a time so keyset paging is part of what is checked.
async fn search(t: &TestApp, token: &str, q: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor = String::new();
    // The demo company has a few dozen institutions; the bound only stops a runaway loop.
    for _ in 0..200 {
        let r = t
            .get(
                &format!("/api/v1/institutions?q={q}&limit=2&cursor={cursor}"),
                token,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "q={q}: {:?}", r.body);
        items.extend(r.body["items"].as_array().unwrap().iter().cloned());
        match r.body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return items,
        }
    }
    panic!("q={q}: more pages than the demo company has institutions");
}

fn names(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

/// What `LIKE '%term%'` over the lowered name, initials and credit code keeps of `all`.
fn scanned(all: &[Value], term: &str) -> Vec<String> {
    let term = term.to_lowercase();
    let text = |i: &Value, field: &str| i[field].as_str().unwrap_or_default().to_lowercase();
    all.iter()
        .filter(|i| {
            ["name", "name_initials", "credit_code"]
                .iter()
                .any(|f| text(i, f).contains(&term))
        })
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn cus_1_short_search_finds_exactly_what_a_scan_finds() {
    let t = spawn_app().await;
    let director = t.login("director").await;
    let all = everything(&t, &director).await;
    assert!(all.len() > 10, "the demo company has institutions");
    let credit_code = all
        .iter()
        .find_map(|i| i["credit_code"].as_str())
        .unwrap()
        .to_owned();
    let mut terms: Vec<String> = [
        "协和", "协", "医", "院", "人民", "上海", "北京", "瑞金", "科", "bj", "BJ", "x", "yy",
        "12", "9", "Y", "乙丙", "q",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    // A piece from the middle and the check character of a real credit code.
    terms.push(credit_code[8..10].to_owned());
    terms.push(credit_code[17..].to_owned());
    for term in &terms {
        let found = names(&search(&t, &director, term).await);
        assert_eq!(found, scanned(&all, term), "q={term}");
    }
    assert_eq!(
        names(&search(&t, &director, "协和").await),
        ["北京协和医院"]
    );
    assert!(search(&t, &director, "乙丙").await.is_empty());
    // Filters narrow an indexed search as they narrow a scan.
    let r = t
        .get(
            "/api/v1/institutions?q=医&kind=partner&limit=200",
            &director,
        )
        .await;
    let partners: Vec<Value> = all
        .iter()
        .filter(|i| i["kind"] == "partner")
        .cloned()
        .collect();
    assert_eq!(
        names(r.body["items"].as_array().unwrap()),
        scanned(&partners, "医")
    );
}

#[tokio::test]
async fn cus_1_short_search_stays_in_scope() {
    let t = spawn_app().await;
    let east = t.login("rep.east").await;
    let north = t.login("rep.north").await;
    assert_eq!(
        names(&search(&t, &east, "瑞金").await),
        ["上海交通大学医学院附属瑞金医院"]
    );
    // rep.east's hospital is never found by rep.north, by name or by pinyin initials.
    assert!(search(&t, &north, "瑞金").await.is_empty());
    assert!(search(&t, &north, "瑞").await.is_empty());
    assert!(
        names(&search(&t, &north, "rj").await)
            .iter()
            .all(|n| !n.contains("瑞金"))
    );
    // Whatever a short term finds, it finds within the caller's own book only.
    let theirs = names(&everything(&t, &north).await);
    let mine = names(&everything(&t, &east).await);
    for term in ["医", "院", "医院", "人民", "上海", "北京", "y", "12"] {
        let found = names(&search(&t, &north, term).await);
        assert!(found.iter().all(|n| theirs.contains(n)), "q={term}");
        assert!(found.iter().all(|n| !mine.contains(n)), "q={term}");
    }
    assert_eq!(names(&search(&t, &north, "协和").await), ["北京协和医院"]);
}

#[tokio::test]
async fn cus_1_short_search_follows_creates_renames_and_imports() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let r = t
        .post(
            "/api/v1/institutions",
            &rep,
            json!({"name": "上海市胸科医院", "kind": "hospital", "level": "3A", "province": "上海",
                   "city": "上海市", "scale_score": 4, "demand_score": 4, "willingness_score": 4}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(names(&search(&t, &rep, "胸科").await), ["上海市胸科医院"]);
    assert_eq!(names(&search(&t, &rep, "胸").await), ["上海市胸科医院"]);
    assert_eq!(names(&search(&t, &rep, "xk").await), ["上海市胸科医院"]);

    let r = t
        .patch(
            &format!("/api/v1/institutions/{id}"),
            &rep,
            json!({"name": "上海市肺科医院"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // The old name's grams are gone with it, the new name's are there.
    assert!(search(&t, &rep, "胸科").await.is_empty());
    assert!(search(&t, &rep, "胸").await.is_empty());
    assert!(search(&t, &rep, "xk").await.is_empty());
    assert_eq!(names(&search(&t, &rep, "肺科").await), ["上海市肺科医院"]);
    assert_eq!(names(&search(&t, &rep, "fk").await), ["上海市肺科医院"]);
    // An edit that leaves the name alone leaves it findable.
    let r = t
        .patch(
            &format!("/api/v1/institutions/{id}"),
            &rep,
            json!({"beds": 900}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(names(&search(&t, &rep, "肺").await), ["上海市肺科医院"]);

    // Imported rows are filed through the same writes, so they are found at once.
    let file = "名称,类型,医院等级,省份,城市,床位数,统一社会信用代码\n上海市皮肤病医院,公立医院,三级甲等,上海,上海市,300,\n";
    let res = t
        .http
        .post(t.url("/api/v1/imports/institutions?dry_run=false"))
        .bearer_auth(&rep)
        .header("content-type", "text/csv")
        .body(file.as_bytes().to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    assert_eq!(names(&search(&t, &rep, "皮肤").await), ["上海市皮肤病医院"]);
    let all = everything(&t, &rep).await;
    for term in ["科", "医", "病", "sh", "f"] {
        assert_eq!(
            names(&search(&t, &rep, term).await),
            scanned(&all, term),
            "q={term}"
        );
    }
}
