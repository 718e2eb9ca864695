//! Sign-in, sessions, personal API tokens, rate limiting.

use medcrm_testkit::{DEMO_PASSWORD, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn try_login(
    t: &medcrm_testkit::TestApp,
    user: &str,
    password: &str,
) -> medcrm_testkit::Reply {
    t.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"username": user, "password": password})),
    )
    .await
}

#[tokio::test]
async fn login_gives_a_token_that_identifies_the_user() {
    let t = spawn_app().await;
    let token = t.login("rep.east").await;
    let me = t.get("/api/v1/me", &token).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["username"], "rep.east");
    assert_eq!(me.body["roles"], json!(["sales_rep"]));
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let t = spawn_app().await;
    let wrong = try_login(&t, "rep.east", "not-the-password").await;
    let unknown = try_login(&t, "nobody", DEMO_PASSWORD).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.code(), "invalid_credentials");
    assert_eq!(unknown.status, wrong.status);
    assert_eq!(
        unknown.body["error"]["message"],
        wrong.body["error"]["message"]
    );
}

#[tokio::test]
async fn repeated_failures_lock_the_account_for_a_while() {
    let t = spawn_app().await;
    for _ in 0..5 {
        assert_eq!(
            try_login(&t, "rep.east", "wrong-password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // Even the right password is refused once the limit is reached.
    let locked = try_login(&t, "rep.east", DEMO_PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.code(), "rate_limited");
    // Other users are not affected.
    assert_eq!(
        try_login(&t, "rep.north", DEMO_PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn requests_without_or_with_a_bad_token_are_401() {
    let t = spawn_app().await;
    let none = t.call(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.code(), "unauthenticated");
    let bad = t.get("/api/v1/me", "0123456789abcdef").await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let t = spawn_app().await;
    let token = t.login("agent").await;
    let out = t
        .call(Method::POST, "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get("/api/v1/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn personal_tokens_work_until_revoked_and_are_shown_once() {
    let t = spawn_app().await;
    let session = t.login("finance").await;
    let created = t
        .post(
            "/api/v1/me/tokens",
            &session,
            json!({"name": "ERP export", "days": 30}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let secret = created.body["token"].as_str().unwrap().to_owned();
    let id = created.body["info"]["id"].as_i64().unwrap();
    assert_eq!(
        t.get("/api/v1/me", &secret).await.body["username"],
        "finance"
    );

    let listed = t.get("/api/v1/me/tokens", &session).await;
    let text = listed.body.to_string();
    assert!(text.contains("ERP export"));
    assert!(!text.contains(&secret), "the secret is never listed again");

    assert_eq!(
        t.delete(&format!("/api/v1/me/tokens/{id}"), &session)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.get("/api/v1/me", &secret).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_user_cannot_revoke_someone_elses_token() {
    let t = spawn_app().await;
    let a = t.login("finance").await;
    let id = t
        .post("/api/v1/me/tokens", &a, json!({"name": "mine"}))
        .await
        .body["info"]["id"]
        .as_i64()
        .unwrap();
    let b = t.login("legal").await;
    let r = t.delete(&format!("/api/v1/me/tokens/{id}"), &b).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn token_requests_are_validated() {
    let t = spawn_app().await;
    let s = t.login("finance").await;
    let r = t
        .post("/api/v1/me/tokens", &s, json!({"name": "", "days": 5000}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("name").is_some(), "{:?}", r.body);
    assert!(r.field("days").is_some(), "{:?}", r.body);
}
