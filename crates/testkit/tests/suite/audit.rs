//! SYS-1: every change is in an append-only, hash-chained audit log.

use medcrm_app::audit::Verification;
use medcrm_testkit::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

async fn entries(t: &TestApp, token: &str, query: &str) -> Vec<serde_json::Value> {
    let r = t.get(&format!("/api/v1/audit?{query}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn sys_1_a_change_records_who_what_and_before_after() {
    let t = spawn_app().await;
    let admin = t.login("admin").await;
    let id = t.user_id(&admin, "rep.east").await;
    let r = t
        .patch(
            &format!("/api/v1/users/{id}"),
            &admin,
            json!({"display_name": "华东销售 张伟伟"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let request_id = r.headers["x-request-id"].to_str().unwrap().to_owned();

    let found = entries(
        &t,
        &admin,
        &format!("entity=user&entity_id={id}&action=update"),
    )
    .await;
    assert_eq!(found.len(), 1, "{found:?}");
    let e = &found[0];
    assert_eq!(e["actor_name"], "admin");
    assert_eq!(e["request_id"], request_id.as_str());
    assert!(e["before"].as_str().unwrap().contains("华东销售 张伟\""));
    assert!(e["after"].as_str().unwrap().contains("张伟伟"));
}

#[tokio::test]
async fn sys_1_a_refused_change_leaves_no_entry() {
    let t = spawn_app().await;
    let admin = t.login("admin").await;
    let before = entries(&t, &admin, "entity=region").await.len();
    let r = t
        .post(
            "/api/v1/regions",
            &admin,
            json!({"code": "", "name_zh": "", "name_en": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(entries(&t, &admin, "entity=region").await.len(), before);
}

#[tokio::test]
async fn sys_1_only_admin_and_quality_read_the_log() {
    let t = spawn_app().await;
    let quality = t.login("quality").await;
    assert!(!entries(&t, &quality, "").await.is_empty());
    for user in ["director", "rep.east", "finance"] {
        let token = t.login(user).await;
        let r = t.get("/api/v1/audit", &token).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}");
    }
}

#[tokio::test]
async fn sys_1_the_database_refuses_to_rewrite_or_delete_entries() {
    let t = spawn_app().await;
    let update = t
        .raw_sql("UPDATE audit_log SET action = 'forged' WHERE id = 1")
        .await;
    assert!(update.is_err_and(|e| e.contains("append-only")));
    let delete = t.raw_sql("DELETE FROM audit_log WHERE id = 1").await;
    assert!(delete.is_err_and(|e| e.contains("append-only")));
    assert!(matches!(
        t.app.verify_audit_chain().await.unwrap(),
        Verification::Intact { .. }
    ));
}

#[tokio::test]
async fn sys_1_verification_names_the_first_tampered_entry() {
    let t = spawn_app().await;
    let admin = t.login("admin").await;
    let id = t.user_id(&admin, "agent").await;
    t.patch(
        &format!("/api/v1/users/{id}"),
        &admin,
        json!({"phone": "13800000000"}),
    )
    .await;
    let Verification::Intact { entries } = t.app.verify_audit_chain().await.unwrap() else {
        panic!("chain broken before tampering");
    };
    assert!(entries > 10);
    // Someone with direct database access removes the guard and edits history.
    let unguard = match medcrm_testkit::postgres_url() {
        Some(_) => "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
        None => "DROP TRIGGER audit_log_no_update",
    };
    t.raw_sql(unguard).await.unwrap();
    t.raw_sql("UPDATE audit_log SET actor_name = 'someone else' WHERE id = 3")
        .await
        .unwrap();
    match t.app.verify_audit_chain().await.unwrap() {
        Verification::Broken { entry_id, .. } => assert_eq!(entry_id, 3),
        other => panic!("tampering not detected: {other:?}"),
    }
}

#[tokio::test]
async fn sys_1_log_filters_validate_dates() {
    let t = spawn_app().await;
    let admin = t.login("admin").await;
    let r = t.get("/api/v1/audit?from=yesterday", &admin).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("from").is_some());
    let today = jiff::Timestamp::now()
        .in_tz("Asia/Shanghai")
        .unwrap()
        .date();
    assert!(
        !entries(&t, &admin, &format!("from={today}&to={today}"))
            .await
            .is_empty()
    );
}
