//! The server-rendered UI: sign-in, CSRF, language (SYS-4), role-gated admin pages.

use medcrm_testkit::spawn_app;
use reqwest::StatusCode;

#[tokio::test]
async fn pages_need_a_session() {
    let t = spawn_app().await;
    let mut b = t.browser();
    let page = b.get("/").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location.unwrap().starts_with("/login"));
}

#[tokio::test]
async fn sys_4_sign_in_shows_home_in_chinese_then_english() {
    let t = spawn_app().await;
    let mut b = t.browser();
    b.sign_in("rep.east").await;
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("华东销售 张伟"));
    assert!(home.body.contains("lang=\"zh-CN\""), "Chinese by default");
    let switched = b.post("/lang", &[("lang", "en"), ("next", "/")]).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    let home = b.get("/").await;
    assert!(home.body.contains("lang=\"en\""));
    assert!(home.body.contains("Sign out"));
    // The choice is saved on the user, so a new device opens in English too.
    let mut other = t.browser();
    other.sign_in("rep.east").await;
    assert!(other.get("/").await.body.contains("lang=\"en\""));
}

#[tokio::test]
async fn a_form_post_without_the_csrf_token_is_refused() {
    let t = spawn_app().await;
    let hq = t.region_id(&t.login("admin").await, "HQ").await.to_string();
    let mut b = t.browser();
    b.sign_in("admin").await;
    b.get("/admin/regions").await;
    let forged = b
        .post(
            "/admin/regions",
            &[
                ("_csrf", "0123456789abcdef0123456789abcdef"),
                ("code", "EVIL"),
                ("name_zh", "坏"),
                ("name_en", "Evil"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let ok = b
        .post(
            "/admin/regions",
            &[
                ("parent_id", &hq),
                ("code", "WEST"),
                ("name_zh", "西区"),
                ("name_en", "West"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let list = b.get("/admin/regions").await;
    assert!(list.body.contains("西区") && !list.body.contains("EVIL"));
}

#[tokio::test]
async fn wrong_password_rerenders_the_form_with_a_message() {
    let t = spawn_app().await;
    let mut b = t.browser();
    b.get("/login").await;
    let page = b
        .post("/login", &[("username", "rep.east"), ("password", "nope")])
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.body.contains("用户名或密码错误"), "{}", page.body);
}

#[tokio::test]
async fn admin_pages_are_for_admins_only() {
    let t = spawn_app().await;
    let mut rep = t.browser();
    rep.sign_in("rep.east").await;
    for path in ["/admin/regions", "/audit"] {
        assert_eq!(rep.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    // Everyone reads the calendar; only the admin gets the edit forms.
    let calendar = rep.get("/admin/calendar").await;
    assert_eq!(calendar.status, StatusCode::OK);
    assert!(!calendar.body.contains("/admin/calendar/days"));
    // The user list is scoped like the API: a rep sees only themselves.
    let own = rep.get("/admin/users").await;
    assert!(own.body.contains("rep.east") && !own.body.contains("rep.north"));
    // A manager reads their team but gets no editing links.
    let mut manager = t.browser();
    manager.sign_in("manager.east").await;
    let team = manager.get("/admin/users").await.body;
    assert!(team.contains("rep.east") && !team.contains("/admin/users/new"));
    assert_eq!(
        manager.get("/admin/users/new").await.status,
        StatusCode::FORBIDDEN
    );
    let mut admin = t.browser();
    admin.sign_in("admin").await;
    for path in [
        "/admin/users",
        "/admin/regions",
        "/admin/calendar",
        "/audit",
        "/me",
    ] {
        let page = admin.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
    }
    assert!(admin.get("/admin/users").await.body.contains("rep.north"));
    assert!(
        admin
            .get("/admin/calendar?year=2025")
            .await
            .body
            .contains("国庆节")
    );
}

#[tokio::test]
async fn logout_ends_the_browser_session() {
    let t = spawn_app().await;
    let mut b = t.browser();
    b.sign_in("agent").await;
    b.get("/").await;
    let out = b.post("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(b.get("/").await.status, StatusCode::SEE_OTHER);
}
