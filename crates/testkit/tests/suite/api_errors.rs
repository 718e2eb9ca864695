//! Bad input is a 4xx with a stable code and the field at fault, never a 500.

use medcrm_testkit::spawn_app;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn unknown_api_route_is_json_404() {
    let t = spawn_app().await;
    let token = t.login("admin").await;
    let r = t.get("/api/v1/no-such-thing", &token).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "not_found");
    assert!(
        r.body["error"]["request_id"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
}

#[tokio::test]
async fn malformed_json_is_400_and_wrong_type_names_the_field() {
    let t = spawn_app().await;
    let token = t.login("admin").await;
    let res = t
        .http
        .post(t.url("/api/v1/regions"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"code\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "malformed_json");

    let r = t
        .post(
            "/api/v1/users",
            &token,
            json!({"username": "x", "display_name": 5}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("display_name").is_some(), "{:?}", r.body);
}

#[tokio::test]
async fn unknown_fields_are_refused_not_ignored() {
    let t = spawn_app().await;
    let token = t.login("admin").await;
    let r = t
        .post(
            "/api/v1/regions",
            &token,
            json!({"code": "X", "name_zh": "甲", "name_en": "X", "colour": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
}

#[tokio::test]
async fn wrong_content_type_is_415_and_oversized_body_is_413() {
    let t = spawn_app().await;
    let token = t.login("admin").await;
    let res = t
        .http
        .post(t.url("/api/v1/regions"))
        .bearer_auth(&token)
        .body("code=X")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let huge = format!("{{\"code\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let res = t
        .http
        .post(t.url("/api/v1/regions"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn page_size_over_the_maximum_is_refused() {
    let t = spawn_app().await;
    let token = t.login("admin").await;
    let r = t.get("/api/v1/users?limit=201", &token).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("limit").is_some());
    let r = t.get("/api/v1/users?limit=abc", &token).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("limit").is_some(), "{:?}", r.body);
}

#[tokio::test]
async fn non_numeric_path_id_is_422_not_500() {
    let t = spawn_app().await;
    let token = t.login("admin").await;
    let r = t.get("/api/v1/users/abc", &token).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("id").is_some(), "{:?}", r.body);
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_security_headers() {
    let t = spawn_app().await;
    let res = t.http.get(t.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("x-request-id"));
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert!(res.headers().contains_key("content-security-policy"));
    let ready = t.http.get(t.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
}
