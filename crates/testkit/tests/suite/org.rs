//! Users and regions: role and data-scope authorisation, validation, deactivation.

use medcrm_testkit::{DEMO_PASSWORD, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn usernames(body: &serde_json::Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_rep_sees_only_their_own_profile() {
    let t = spawn_app().await;
    let admin = t.login("admin").await;
    let east_id = t.user_id(&admin, "rep.east").await;
    let north = t.login("rep.north").await;
    assert_eq!(
        usernames(&t.get("/api/v1/users", &north).await.body),
        ["rep.north"]
    );
    // Someone else's record is "not found", so its existence does not leak.
    let r = t.get(&format!("/api/v1/users/{east_id}"), &north).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_regional_manager_sees_their_region_subtree_only() {
    let t = spawn_app().await;
    let admin = t.login("admin").await;
    let manager = t.login("manager.east").await;
    let mut seen = usernames(&t.get("/api/v1/users", &manager).await.body);
    seen.sort();
    assert_eq!(seen, ["engineer.east", "manager.east", "rep.east"]);
    let north_id = t.user_id(&admin, "rep.north").await;
    assert_eq!(
        t.get(&format!("/api/v1/users/{north_id}"), &manager)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let east_id = t.user_id(&admin, "rep.east").await;
    assert_eq!(
        t.get(&format!("/api/v1/users/{east_id}"), &manager)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_director_sees_the_whole_company_with_paging_and_search() {
    let t = spawn_app().await;
    let director = t.login("director").await;
    let first = t.get("/api/v1/users?limit=5", &director).await;
    assert_eq!(usernames(&first.body).len(), 5);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let second = t
        .get(&format!("/api/v1/users?limit=5&cursor={cursor}"), &director)
        .await;
    let overlap = usernames(&second.body)
        .into_iter()
        .filter(|u| usernames(&first.body).contains(u))
        .count();
    assert_eq!(overlap, 0, "pages do not repeat rows");
    let found = t.get("/api/v1/users?q=east", &director).await;
    let mut names = usernames(&found.body);
    names.sort();
    assert_eq!(names, ["engineer.east", "manager.east", "rep.east"]);
}

#[tokio::test]
async fn only_an_admin_manages_users_and_regions() {
    let t = spawn_app().await;
    let director = t.login("director").await;
    let body = json!({"username": "new.rep", "display_name": "新销售", "password": "Str0ng-pass!", "roles": ["sales_rep"], "region_ids": []});
    let r = t.post("/api/v1/users", &director, body.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "forbidden");
    let r = t
        .post(
            "/api/v1/regions",
            &director,
            json!({"code": "WEST", "name_zh": "西区", "name_en": "West"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let admin = t.login("admin").await;
    let r = t.post("/api/v1/users", &admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    t.login_with("new.rep", "Str0ng-pass!").await;
}

#[tokio::test]
async fn user_creation_reports_every_bad_field() {
    let t = spawn_app().await;
    let admin = t.login("admin").await;
    let r = t
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "Bad Name", "display_name": " ", "email": "nope", "password": "short", "roles": ["wizard"], "region_ids": [99999]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in [
        "username",
        "display_name",
        "email",
        "password",
        "roles",
        "region_ids",
    ] {
        assert!(r.field(field).is_some(), "{field} missing in {:?}", r.body);
    }
    let dup = json!({"username": "rep.east", "display_name": "重复", "password": "Str0ng-pass!", "roles": ["sales_rep"], "region_ids": []});
    let r = t.post("/api/v1/users", &admin, dup).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
}

#[tokio::test]
async fn deactivating_a_user_signs_them_out_and_keeps_their_record() {
    let t = spawn_app().await;
    let admin = t.login("admin").await;
    let rep = t.login("rep.north").await;
    let id = t.user_id(&admin, "rep.north").await;
    let r = t
        .patch(
            &format!("/api/v1/users/{id}"),
            &admin,
            json!({"active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["active"], false);
    assert_eq!(
        t.get("/api/v1/me", &rep).await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = t
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "rep.north", "password": DEMO_PASSWORD})),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    // Still there for history, just hidden from the default list.
    assert_eq!(
        t.get(&format!("/api/v1/users/{id}"), &admin).await.body["username"],
        "rep.north"
    );
    assert!(
        !usernames(&t.get("/api/v1/users", &admin).await.body).contains(&"rep.north".to_owned())
    );
}

#[tokio::test]
async fn an_admin_cannot_lock_themselves_out() {
    let t = spawn_app().await;
    let admin = t.login("admin").await;
    let id = t.user_id(&admin, "admin").await;
    let r = t
        .patch(
            &format!("/api/v1/users/{id}"),
            &admin,
            json!({"active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("active").is_some());
}

#[tokio::test]
async fn password_reset_signs_the_user_out() {
    let t = spawn_app().await;
    let admin = t.login("admin").await;
    let rep = t.login("rep.east").await;
    let id = t.user_id(&admin, "rep.east").await;
    let weak = t
        .post(
            &format!("/api/v1/users/{id}/password"),
            &admin,
            json!({"password": "12345"}),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t
        .post(
            &format!("/api/v1/users/{id}/password"),
            &admin,
            json!({"password": "N3w-secret-pw"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    assert_eq!(
        t.get("/api/v1/me", &rep).await.status,
        StatusCode::UNAUTHORIZED
    );
    t.login_with("rep.east", "N3w-secret-pw").await;
}

#[tokio::test]
async fn regions_form_a_tree_and_codes_are_unique() {
    let t = spawn_app().await;
    let admin = t.login("admin").await;
    let east = t.region_id(&admin, "EAST").await;
    let r = t
        .post(
            "/api/v1/regions",
            &admin,
            json!({"parent_id": east, "code": "EAST-HZ", "name_zh": "杭州", "name_en": "Hangzhou"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["parent_id"], east);
    let dup = t
        .post(
            "/api/v1/regions",
            &admin,
            json!({"parent_id": east, "code": "EAST-HZ", "name_zh": "重复", "name_en": "Dup"}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let orphan = t
        .post(
            "/api/v1/regions",
            &admin,
            json!({"parent_id": 99999, "code": "X1", "name_zh": "无", "name_en": "None"}),
        )
        .await;
    assert_eq!(orphan.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The manager of East now sees a user placed in the new area.
    let hz = r.body["id"].as_i64().unwrap();
    let body = json!({"username": "rep.hz", "display_name": "杭州销售", "password": "Str0ng-pass!", "roles": ["sales_rep"], "region_ids": [hz]});
    assert_eq!(
        t.post("/api/v1/users", &admin, body).await.status,
        StatusCode::CREATED
    );
    let manager = t.login("manager.east").await;
    assert!(usernames(&t.get("/api/v1/users", &manager).await.body).contains(&"rep.hz".to_owned()));
}
