//! CUS: institutions, scope, duplicates, search, classification, visits, completeness.

use medcrm_testkit::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn names(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The id of the demo institution called `name`, looked up by the director.
async fn institution_id(t: &TestApp, name: &str) -> i64 {
    let director = t.login("director").await;
    let r = t
        .get(&format!("/api/v1/institutions?q={name}"), &director)
        .await;
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .and_then(|i| i["id"].as_i64())
        .unwrap()
}

fn hospital(name: &str) -> Value {
    json!({"name": name, "kind": "hospital", "level": "3A", "province": "上海", "city": "上海市",
           "scale_score": 4, "demand_score": 4, "willingness_score": 4})
}

#[tokio::test]
async fn cus_1_a_rep_files_a_hospital_and_owns_it() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let r = t
        .post("/api/v1/institutions", &rep, hospital("上海市胸科医院"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["name_initials"], "shsxkyy");
    let admin = t.login("admin").await;
    assert_eq!(r.body["owner_id"], t.user_id(&admin, "rep.east").await);
    assert_eq!(r.body["region_id"], t.region_id(&admin, "EAST-SH").await);
    let id = r.body["id"].as_i64().unwrap();
    let d = t
        .post(
            &format!("/api/v1/institutions/{id}/departments"),
            &rep,
            json!({"name": "心外科"}),
        )
        .await;
    assert_eq!(d.status, StatusCode::CREATED);
    let c = t
        .post(
            &format!("/api/v1/institutions/{id}/contacts"),
            &rep,
            json!({"name": "周医生", "role": "doctor", "department_id": d.body["id"], "phone": "13800001111"}),
        )
        .await;
    assert_eq!(c.status, StatusCode::CREATED, "{:?}", c.body);
    let full = t.get(&format!("/api/v1/institutions/{id}"), &rep).await;
    assert_eq!(full.body["departments"][0]["name"], "心外科");
    assert_eq!(full.body["contacts"][0]["name"], "周医生");
    assert_eq!(full.body["owner_history"][0]["reason"], "created");
}

#[tokio::test]
async fn cus_1_duplicates_by_credit_code_or_name_and_city_are_409_naming_the_record() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let existing = institution_id(&t, "复旦大学附属中山医院").await;
    let r = t
        .post(
            "/api/v1/institutions",
            &rep,
            hospital("复旦大学附属中山医院"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("#{existing}")),
        "{:?}",
        r.body
    );
    assert!(r.field("name").is_some());
    let director = t.login("director").await;
    let code = t
        .get(&format!("/api/v1/institutions/{existing}"), &director)
        .await
        .body["institution"]["credit_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut other = hospital("另一家医院");
    other["credit_code"] = json!(code);
    let r = t.post("/api/v1/institutions", &rep, other).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.field("credit_code").is_some());
    // The same name in another city is a different hospital.
    let mut elsewhere = hospital("复旦大学附属中山医院");
    elsewhere["city"] = json!("厦门市");
    let r = t.post("/api/v1/institutions", &rep, elsewhere).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

#[tokio::test]
async fn cus_1_bad_input_is_422_naming_the_field_and_writes_nothing() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let mut bad = hospital("测试医院");
    bad["credit_code"] = json!("91350100M000100Y44");
    bad["beds"] = json!(-3);
    bad["kind"] = json!("spa");
    let r = t.post("/api/v1/institutions", &rep, bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("credit_code").unwrap().contains("check character"));
    assert!(r.field("beds").is_some());
    assert!(r.field("kind").is_some());
    let mut unknown_region = hospital("测试医院");
    unknown_region["region_id"] = json!(999_999);
    let r = t.post("/api/v1/institutions", &rep, unknown_region).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("region_id").is_some());
    let found = t.get("/api/v1/institutions?q=测试医院", &rep).await;
    assert!(names(&found.body).is_empty());
}

#[tokio::test]
async fn cus_scope_rep_north_cannot_read_edit_or_find_rep_easts_hospital() {
    let t = spawn_app().await;
    let id = institution_id(&t, "复旦大学附属中山医院").await;
    let north = t.login("rep.north").await;
    assert_eq!(
        t.get(&format!("/api/v1/institutions/{id}"), &north)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let edit = t
        .patch(
            &format!("/api/v1/institutions/{id}"),
            &north,
            json!({"needs": "x"}),
        )
        .await;
    assert_eq!(edit.status, StatusCode::NOT_FOUND);
    let visit = t
        .post(
            &format!("/api/v1/institutions/{id}/visits"),
            &north,
            json!({"planned_on": "2099-01-01", "purpose": "拜访"}),
        )
        .await;
    assert_eq!(visit.status, StatusCode::NOT_FOUND);
    // Search by name, pinyin and paging never surface it.
    for q in ["中山医院", "fddx", ""] {
        let r = t
            .get(&format!("/api/v1/institutions?q={q}&limit=200"), &north)
            .await;
        assert!(
            !names(&r.body).contains(&"复旦大学附属中山医院".to_owned()),
            "{q}"
        );
    }
    // A rep cannot file a customer in another territory either.
    let admin = t.login("admin").await;
    let mut elsewhere = hospital("上海某医院");
    elsewhere["region_id"] = json!(t.region_id(&admin, "EAST-SH").await);
    let r = t.post("/api/v1/institutions", &north, elsewhere).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("region_id").is_some());
}

#[tokio::test]
async fn cus_scope_manager_sees_region_director_all_warehouse_nothing() {
    let t = spawn_app().await;
    let manager = t.login("manager.east").await;
    let seen = names(&t.get("/api/v1/institutions?limit=200", &manager).await.body);
    assert!(seen.contains(&"南京鼓楼医院".to_owned()));
    assert!(seen.contains(&"复旦大学附属中山医院".to_owned()));
    assert!(!seen.contains(&"北京协和医院".to_owned()));
    let director = t.login("director").await;
    let all = names(
        &t.get("/api/v1/institutions?limit=200", &director)
            .await
            .body,
    );
    assert!(all.len() > seen.len());
    assert!(all.contains(&"北京协和医院".to_owned()));
    let warehouse = t.login("warehouse").await;
    let r = t.get("/api/v1/institutions", &warehouse).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The hotline finds every customer but cannot change one.
    let agent = t.login("agent").await;
    let id = institution_id(&t, "北京协和医院").await;
    assert_eq!(
        t.get(&format!("/api/v1/institutions/{id}"), &agent)
            .await
            .status,
        StatusCode::OK
    );
    let r = t
        .patch(
            &format!("/api/v1/institutions/{id}"),
            &agent,
            json!({"needs": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn search_finds_by_partial_name_and_pinyin_initials_with_keyset_paging() {
    let t = spawn_app().await;
    let director = t.login("director").await;
    let r = t.get("/api/v1/institutions?q=bjxh", &director).await;
    assert_eq!(names(&r.body), ["北京协和医院"]);
    let r = t.get("/api/v1/institutions?q=协和", &director).await;
    assert_eq!(names(&r.body), ["北京协和医院"]);
    let r = t
        .get("/api/v1/institutions?grade=A&kind=hospital", &director)
        .await;
    assert!(names(&r.body).contains(&"北京协和医院".to_owned()));
    assert!(
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["grade"] == "A")
    );
    let first = t.get("/api/v1/institutions?limit=4", &director).await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let second = t
        .get(
            &format!("/api/v1/institutions?limit=4&cursor={cursor}"),
            &director,
        )
        .await;
    let a = names(&first.body);
    assert!(names(&second.body).iter().all(|n| !a.contains(n)));
    let bad = t.get("/api/v1/institutions?grade=Z", &director).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field("grade").is_some());
}

#[tokio::test]
async fn cus_3_rule_grades_override_needs_a_manager_and_a_reason_history_kept() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let mut h = hospital("上海市第十人民医院");
    h["scale_score"] = json!(2);
    h["demand_score"] = json!(2);
    h["willingness_score"] = json!(2);
    let r = t.post("/api/v1/institutions", &rep, h).await;
    assert_eq!(
        (r.body["grade"].as_str(), r.body["category"].as_str()),
        (Some("C"), Some("potential"))
    );
    let id = r.body["id"].as_i64().unwrap();
    // A better assessment re-grades by the rule.
    let r = t
        .patch(
            &format!("/api/v1/institutions/{id}"),
            &rep,
            json!({"scale_score": 5, "demand_score": 5}),
        )
        .await;
    assert_eq!(r.body["grade"], "A", "{:?}", r.body);
    let path = format!("/api/v1/institutions/{id}/classification");
    let body = json!({"category": "normal", "grade": "B", "reason": "预算冻结一年"});
    assert_eq!(
        t.post(&path, &rep, body.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let manager = t.login("manager.east").await;
    let no_reason = t
        .post(
            &path,
            &manager,
            json!({"category": "normal", "grade": "B", "reason": ""}),
        )
        .await;
    assert!(no_reason.field("reason").is_some());
    let r = t.post(&path, &manager, body).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (r.body["grade"].as_str(), r.body["grade_source"].as_str()),
        (Some("B"), Some("override"))
    );
    // Periodic re-evaluation leaves an override alone …
    let admin = t.login("admin").await;
    let rules = "/api/v1/customer-rules";
    let strict = json!({"scale_weight": 40, "demand_weight": 40, "willingness_weight": 20,
        "a_from": 500, "b_from": 450, "visit_months_a": 1, "visit_months_b": 2, "visit_months_c": 3});
    assert_eq!(
        t.put(rules, &admin, strict).await.status,
        StatusCode::NO_CONTENT
    );
    let changed = t
        .post(&format!("{rules}/reevaluate"), &admin, json!({}))
        .await;
    assert!(changed.body["changed"].as_u64().unwrap() > 0);
    let full = t.get(&format!("/api/v1/institutions/{id}"), &manager).await;
    assert_eq!(full.body["institution"]["grade"], "B");
    let sources: Vec<&str> = full.body["grade_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["rule", "rule", "override"]);
    // … but the rest are re-graded: 北京协和医院 (5,5,5) stays A, 复旦中山 (5,5,4) drops to B.
    let director = t.login("director").await;
    let r = t.get("/api/v1/institutions?q=fddxfszsyy", &director).await;
    assert_eq!(r.body["items"][0]["grade"], "B");
    // A rule that allows rarer visits than quarterly is refused.
    let lax = json!({"scale_weight": 40, "demand_weight": 40, "willingness_weight": 20,
        "a_from": 400, "b_from": 280, "visit_months_a": 1, "visit_months_b": 2, "visit_months_c": 6});
    let r = t.put(rules, &admin, lax).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("visit_months").is_some());
    assert_eq!(t.put(rules, &rep, json!({"scale_weight": 40, "demand_weight": 40, "willingness_weight": 20,
        "a_from": 400, "b_from": 280, "visit_months_a": 1, "visit_months_b": 2, "visit_months_c": 3})).await.status,
        StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn cus_ownership_reassignment_by_manager_with_history() {
    let t = spawn_app().await;
    let admin = t.login("admin").await;
    let id = institution_id(&t, "上海市第六人民医院").await;
    let manager = t.login("manager.east").await;
    let jz = t.region_id(&admin, "EAST-JZ").await;
    let manager_id = t.user_id(&admin, "manager.east").await;
    let path = format!("/api/v1/institutions/{id}/reassign");
    let rep = t.login("rep.east").await;
    let body = json!({"owner_id": manager_id, "region_id": jz, "reason": "张伟调岗"});
    assert_eq!(
        t.post(&path, &rep, body.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let north = t.region_id(&admin, "NORTH-BJ").await;
    let outside = t
        .post(
            &path,
            &manager,
            json!({"owner_id": manager_id, "region_id": north, "reason": "x调岗"}),
        )
        .await;
    assert!(outside.field("region_id").is_some(), "{:?}", outside.body);
    let r = t.post(&path, &manager, body).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // The former owner no longer sees it; the history says who had it and why it moved.
    assert_eq!(
        t.get(&format!("/api/v1/institutions/{id}"), &rep)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let full = t.get(&format!("/api/v1/institutions/{id}"), &manager).await;
    let history = full.body["owner_history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["reason"], "张伟调岗");
    assert_eq!(history[1]["owner_id"], manager_id);
}

#[tokio::test]
async fn cus_4_cus_5_visits_plan_log_and_overdue() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    // Demo: 上海交通大学医学院附属瑞金医院 (grade A, monthly) was last visited 75 days ago.
    let overdue = names(
        &t.get("/api/v1/institutions?overdue=true&limit=200", &rep)
            .await
            .body,
    );
    assert!(
        overdue.contains(&"上海交通大学医学院附属瑞金医院".to_owned()),
        "{overdue:?}"
    );
    assert!(!overdue.contains(&"复旦大学附属中山医院".to_owned()));
    assert!(
        !overdue.iter().any(|n| n.contains("北京")),
        "scope holds on the overdue list"
    );
    let id = institution_id(&t, "上海交通大学医学院附属瑞金医院").await;
    let path = format!("/api/v1/institutions/{id}/visits");
    let future = t
        .post(
            &path,
            &rep,
            json!({"done": true, "visited_on": "2099-01-01", "purpose": "回访"}),
        )
        .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(future.field("visited_on").unwrap().contains("future"));
    let bad_date = t
        .post(
            &path,
            &rep,
            json!({"planned_on": "2026-13-01", "purpose": "回访"}),
        )
        .await;
    assert!(bad_date.field("planned_on").is_some());
    let planned = t
        .post(
            &path,
            &rep,
            json!({"planned_on": "2099-01-01", "purpose": "季度回访"}),
        )
        .await;
    assert_eq!(planned.status, StatusCode::CREATED, "{:?}", planned.body);
    let today = medcrm_app::customers::today().to_string();
    let visit = planned.body["id"].as_i64().unwrap();
    let logged = t
        .post(
            &format!("/api/v1/visits/{visit}/log"),
            &rep,
            json!({"visited_on": today, "outcome": "确认采购意向", "next_step": "报价", "effective": true, "satisfaction": 5}),
        )
        .await;
    assert_eq!(logged.status, StatusCode::OK, "{:?}", logged.body);
    assert_eq!(logged.body["status"], "done");
    let again = t
        .post(
            &format!("/api/v1/visits/{visit}/log"),
            &rep,
            json!({"visited_on": today}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let full = t.get(&format!("/api/v1/institutions/{id}"), &rep).await;
    assert_eq!(full.body["institution"]["last_visit_on"], today.as_str());
    assert!(full.body["institution"]["next_visit_due"].as_str().unwrap() > today.as_str());
    let overdue = names(
        &t.get("/api/v1/institutions?overdue=true&limit=200", &rep)
            .await
            .body,
    );
    assert!(!overdue.contains(&"上海交通大学医学院附属瑞金医院".to_owned()));
    // Someone else's planned visit cannot be logged.
    let north = t.login("rep.north").await;
    let r = t
        .post(
            &format!("/api/v1/visits/{visit}/log"),
            &north,
            json!({"visited_on": today}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cus_7_completeness_rises_as_facts_are_recorded() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let r = t
        .post("/api/v1/institutions", &rep, hospital("上海市肺科医院"))
        .await;
    let id = r.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/institutions/{id}");
    let before = t.get(&path, &rep).await.body["completeness"]
        .as_u64()
        .unwrap();
    assert!(
        t.get(&path, &rep).await.body["missing"]
            .as_array()
            .unwrap()
            .contains(&json!("equipment_contact"))
    );
    t.post(
        &format!("{path}/contacts"),
        &rep,
        json!({"name": "设备科刘科长", "role": "equipment"}),
    )
    .await;
    t.patch(&path, &rep, json!({"address": "政民路507号", "beds": 800}))
        .await;
    let after = t.get(&path, &rep).await.body["completeness"]
        .as_u64()
        .unwrap();
    assert_eq!(after, before + 30);
}

#[tokio::test]
async fn cus_8_partner_linked_to_the_hospitals_it_serves() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let partner = institution_id(&t, "上海康联医疗器械有限公司").await;
    let hospital_id = institution_id(&t, "复旦大学附属中山医院").await;
    let full = t
        .get(&format!("/api/v1/institutions/{hospital_id}"), &rep)
        .await;
    assert_eq!(full.body["partners"][0]["name"], "上海康联医疗器械有限公司");
    let again = t
        .post(
            &format!("/api/v1/institutions/{partner}/partners"),
            &rep,
            json!({"hospital_id": hospital_id}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let wrong_way = t
        .post(
            &format!("/api/v1/institutions/{hospital_id}/partners"),
            &rep,
            json!({"hospital_id": partner}),
        )
        .await;
    assert_eq!(wrong_way.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn sys_1_customer_writes_are_audited() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let r = t
        .post("/api/v1/institutions", &rep, hospital("上海市儿童医院"))
        .await;
    let id = r.body["id"].as_i64().unwrap();
    let admin = t.login("admin").await;
    let log = t
        .get(
            &format!("/api/v1/audit?entity=institution&entity_id={id}"),
            &admin,
        )
        .await;
    let entry = &log.body["items"][0];
    assert_eq!(entry["action"], "create");
    assert_eq!(entry["actor_name"], "rep.east");
}

#[tokio::test]
async fn cus_7_completeness_per_rep_follows_the_scope_and_the_facts() {
    let t = spawn_app().await;
    let director = t.login("director").await;
    let all = t
        .get("/api/v1/reports/customer-completeness", &director)
        .await;
    assert_eq!(all.status, StatusCode::OK);
    let owners: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["owner_name"].as_str().unwrap())
        .collect();
    assert!(owners.contains(&"华北销售 刘洋") && owners.contains(&"华东销售 张伟"));
    let rep = t.login("rep.east").await;
    let mine = t.get("/api/v1/reports/customer-completeness", &rep).await;
    let rows = mine.body.as_array().unwrap();
    assert_eq!(rows.len(), 1, "a rep sees their own book only");
    let missing = |body: &Value| -> i64 {
        body[0]["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["missing"].as_i64().unwrap())
            .sum()
    };
    let institutions = rows[0]["institutions"].as_i64().unwrap();
    let gaps_before = missing(&mine.body);
    // The score is the share of known facts: 10 per customer.
    let known = 10 * institutions - gaps_before;
    assert_eq!(
        rows[0]["score"].as_i64().unwrap(),
        known * 100 / (10 * institutions)
    );
    // The demo community centre has no procurement plan yet; recording one closes one gap.
    let id = institution_id(&t, "徐汇区枫林街道社区卫生服务中心").await;
    let r = t
        .patch(
            &format!("/api/v1/institutions/{id}"),
            &rep,
            json!({"procurement_plan": "2027 年采购便携超声 2 台"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let after = t.get("/api/v1/reports/customer-completeness", &rep).await;
    assert_eq!(missing(&after.body), gaps_before - 1);
    let wh = t.login("warehouse").await;
    assert_eq!(
        t.get("/api/v1/reports/customer-completeness", &wh)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn cus_2_needs_preferences_and_procurement_plans_are_recorded_by_the_owner_only() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let north = t.login("rep.north").await;
    let id = institution_id(&t, "复旦大学附属中山医院").await;
    let profile = json!({"needs": "导管室耗材降本", "preferences": "偏好国产品牌，重视售后响应",
                         "procurement_plan": "2027 年一季度招标彩超 2 台"});
    let path = format!("/api/v1/institutions/{id}");
    assert_eq!(
        t.patch(&path, &north, profile.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(t.patch(&path, &rep, profile).await.status, StatusCode::OK);
    let shown = &t.get(&path, &rep).await.body["institution"];
    assert_eq!(shown["needs"], "导管室耗材降本");
    assert_eq!(shown["preferences"], "偏好国产品牌，重视售后响应");
    assert_eq!(shown["procurement_plan"], "2027 年一季度招标彩超 2 台");
    let too_long = json!({"needs": "需".repeat(2001)});
    assert!(
        t.patch(&path, &rep, too_long)
            .await
            .field("needs")
            .is_some()
    );
}
