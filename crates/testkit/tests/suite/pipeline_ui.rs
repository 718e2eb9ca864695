//! Pipeline pages: the board and its drag-to-move contract, the funnel page, scope (OPP-1, 2).

use medcrm_testkit::spawn_app;
use reqwest::StatusCode;

/// The id of the first card titled `title` on `html`.
fn card_id(html: &str, title: &str) -> Option<String> {
    let end = html.find(&format!("\">{title}</a>"))?;
    let start = html[..end].rfind("/pipeline/")? + "/pipeline/".len();
    Some(html[start..end].to_owned())
}

#[tokio::test]
async fn opp_1_board_shows_the_reps_deals_and_a_dropped_card_moves() {
    let t = spawn_app().await;
    let mut b = t.browser();
    b.sign_in("rep.east").await;
    let board = b.get("/pipeline").await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(board.body.contains("商机看板"));
    assert!(board.body.contains("检验科化学发光试剂"));
    assert!(
        !board.body.contains("神经外科导航"),
        "rep.north's deal stays hidden"
    );
    assert!(board.body.contains("/static/vendor/htmx.min.js"));
    let id = card_id(&board.body, "检验科化学发光试剂").unwrap();
    let path = format!("/pipeline/{id}/stage");
    // What the board's drop handler sends: a form with the token, flagged as htmx.
    let form =
        |stage: &'static str, csrf: String| vec![("stage", stage.to_owned()), ("_csrf", csrf)];
    let csrf = board
        .body
        .split("var csrf = \"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let refused = b
        .http
        .post(t.url(&path))
        .header("HX-Request", "true")
        .form(&form("won", csrf.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("cannot move from needs_analysis to won")
    );
    let moved = b
        .http
        .post(t.url(&path))
        .header("HX-Request", "true")
        .form(&form("proposal", csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::NO_CONTENT);
    let columns = b.get("/pipeline?partial=1").await;
    assert!(
        !columns.body.contains("<html"),
        "htmx gets the columns alone"
    );
    let proposal = columns
        .body
        .split("data-stage=\"proposal\"")
        .nth(1)
        .unwrap();
    let proposal = proposal.split("data-stage=").next().unwrap();
    assert!(proposal.contains("检验科化学发光试剂"));
}

#[tokio::test]
async fn opp_2_funnel_page_and_lead_form() {
    let t = spawn_app().await;
    let mut b = t.browser();
    b.sign_in("manager.east").await;
    let funnel = b.get("/pipeline/funnel").await;
    assert_eq!(funnel.status, StatusCode::OK);
    assert!(funnel.body.contains("销售漏斗"));
    assert!(funnel.body.contains("转化率"));
    assert!(funnel.body.contains("/static/vendor/echarts.min.js"));
    let js = b.get("/static/vendor/echarts.min.js").await;
    assert_eq!(js.status, StatusCode::OK);
    b.get("/pipeline/new").await;
    let bad = b
        .post(
            "/pipeline",
            &[
                ("institution_id", "0"),
                ("title", "监护仪"),
                ("product_line", "large_equipment"),
                ("amount", "12.345"),
                ("expected_close", "2099-01-01"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("fielderror"));
    let mut wh = t.browser();
    wh.sign_in("warehouse").await;
    assert_eq!(wh.get("/pipeline").await.status, StatusCode::FORBIDDEN);
}
