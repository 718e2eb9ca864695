//! OPP: opportunities, stage moves and their owners and due dates, scope, the funnel.

use medcrm_testkit::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn institution_id(t: &TestApp, token: &str, initials: &str) -> i64 {
    let r = t
        .get(&format!("/api/v1/institutions?q={initials}"), token)
        .await;
    r.body["items"][0]["id"].as_i64().unwrap()
}

fn far_future() -> String {
    "2099-12-31".into()
}

async fn new_lead(t: &TestApp, token: &str, institution: i64) -> Value {
    let r = t
        .post(
            "/api/v1/opportunities",
            token,
            json!({"institution_id": institution, "title": "彩超更新", "product_line": "large_equipment",
                   "amount": "1,280,000.50", "expected_close": far_future()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

async fn move_to(t: &TestApp, token: &str, id: i64, stage: &str) -> medcrm_testkit::Reply {
    t.post(
        &format!("/api/v1/opportunities/{id}/stage"),
        token,
        json!({"stage": stage}),
    )
    .await
}

#[tokio::test]
async fn opp_1_lead_moves_stage_by_stage_with_owner_and_due_date() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let inst = institution_id(&t, &rep, "fddxfszsyy").await;
    let lead = new_lead(&t, &rep, inst).await;
    assert_eq!(lead["stage"], "lead");
    assert_eq!(lead["amount_fen"], 128_000_050);
    assert_eq!(lead["amount"], "1,280,000.50");
    let admin = t.login("admin").await;
    assert_eq!(lead["stage_owner_id"], t.user_id(&admin, "rep.east").await);
    assert!(
        lead["stage_due"].as_str().is_some(),
        "every open stage has a due date"
    );
    let id = lead["id"].as_i64().unwrap();
    // No skipping needs analysis on the way to the quote (OPP-3), no unknown stages.
    let skip = move_to(&t, &rep, id, "proposal").await;
    assert_eq!(skip.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(skip.field("stage").unwrap().contains("allowed: qualified"));
    assert!(
        move_to(&t, &rep, id, "closing")
            .await
            .field("stage")
            .is_some()
    );
    for stage in ["qualified", "needs_analysis", "proposal"] {
        let r = move_to(&t, &rep, id, stage).await;
        assert_eq!(r.status, StatusCode::OK, "{stage}: {:?}", r.body);
    }
    let full = t.get(&format!("/api/v1/opportunities/{id}"), &rep).await;
    let history = full.body["history"].as_array().unwrap();
    assert_eq!(history.len(), 4);
    assert!(history[0]["left_at"].as_str().is_some());
    assert!(history[3]["left_at"].is_null());
    assert_eq!(
        full.body["next_stages"],
        json!(["tender_announced", "negotiation", "lost"])
    );
    // Lost needs a reason; after it nothing moves.
    let r = move_to(&t, &rep, id, "lost").await;
    assert!(r.field("lost_reason").is_some());
    let r = t
        .post(
            &format!("/api/v1/opportunities/{id}/stage"),
            &rep,
            json!({"stage": "lost", "lost_reason": "预算取消"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body["stage_due"].is_null(),
        "a closed stage has no due date"
    );
    let r = move_to(&t, &rep, id, "qualified").await;
    assert!(r.field("stage").unwrap().contains("closed"));
}

#[tokio::test]
async fn opp_3_quote_is_due_seven_days_after_needs_analysis() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let inst = institution_id(&t, &rep, "fddxfszsyy").await;
    let id = new_lead(&t, &rep, inst).await["id"].as_i64().unwrap();
    move_to(&t, &rep, id, "qualified").await;
    move_to(&t, &rep, id, "needs_analysis").await;
    let r = move_to(&t, &rep, id, "proposal").await;
    let due: jiff::civil::Date = r.body["stage_due"].as_str().unwrap().parse().unwrap();
    let today = medcrm_app::customers::today();
    assert_eq!(today.until(due).unwrap().get_days(), 7);
}

#[tokio::test]
async fn opp_bad_input_is_422_naming_the_field() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let inst = institution_id(&t, &rep, "fddxfszsyy").await;
    let r = t
        .post(
            "/api/v1/opportunities",
            &rep,
            json!({"institution_id": inst, "title": "x", "product_line": "toys",
                   "amount": "12.345", "expected_close": "2020-01-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["title", "product_line", "amount", "expected_close"] {
        assert!(r.field(field).is_some(), "{field}: {:?}", r.body);
    }
    let r = t.get("/api/v1/opportunities?stage=closing", &rep).await;
    assert!(r.field("stage").is_some());
}

#[tokio::test]
async fn opp_scope_rep_north_cannot_see_move_or_count_rep_easts_deals() {
    let t = spawn_app().await;
    let east = t.login("rep.east").await;
    let inst = institution_id(&t, &east, "fddxfszsyy").await;
    let id = new_lead(&t, &east, inst).await["id"].as_i64().unwrap();
    let north = t.login("rep.north").await;
    assert_eq!(
        t.get(&format!("/api/v1/opportunities/{id}"), &north)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        move_to(&t, &north, id, "qualified").await.status,
        StatusCode::NOT_FOUND
    );
    // Nor open a deal on a customer outside the scope.
    let r = t
        .post(
            "/api/v1/opportunities",
            &north,
            json!({"institution_id": inst, "title": "抢单", "product_line": "ivd",
                   "amount": "1", "expected_close": far_future()}),
        )
        .await;
    assert!(r.field("institution_id").is_some());
    let list = t.get("/api/v1/opportunities?limit=200", &north).await;
    assert!(
        list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| !o["institution_name"].as_str().unwrap().contains("上海"))
    );
    // The funnel counts only what the caller may see.
    let funnel = |token: String| {
        let t = &t;
        async move {
            let r = t.get("/api/v1/pipeline/funnel", &token).await;
            r.body["stages"][0]["reached"].as_i64().unwrap()
        }
    };
    let north_leads = funnel(north.clone()).await;
    let director_leads = funnel(t.login("director").await).await;
    assert!(north_leads < director_leads);
    // The service desk has no pipeline.
    let agent = t.login("agent").await;
    assert_eq!(
        t.get("/api/v1/opportunities", &agent).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn opp_2_funnel_counts_amounts_conversion_and_bottleneck() {
    let t = spawn_app().await;
    let director = t.login("director").await;
    let before = t.get("/api/v1/pipeline/funnel", &director).await.body;
    let rep = t.login("rep.east").await;
    let inst = institution_id(&t, &rep, "fddxfszsyy").await;
    let id = new_lead(&t, &rep, inst).await["id"].as_i64().unwrap();
    move_to(&t, &rep, id, "qualified").await;
    let after = t.get("/api/v1/pipeline/funnel", &director).await.body;
    let get = |b: &Value, i: usize, k: &str| b["stages"][i][k].as_i64().unwrap();
    assert_eq!(get(&after, 0, "reached"), get(&before, 0, "reached") + 1);
    assert_eq!(get(&after, 1, "reached"), get(&before, 1, "reached") + 1);
    assert_eq!(get(&after, 1, "current"), get(&before, 1, "current") + 1);
    assert_eq!(
        get(&after, 1, "current_amount_fen"),
        get(&before, 1, "current_amount_fen") + 128_000_050
    );
    let conv = get(&after, 0, "conversion_permille");
    let moved_on =
        get(&after, 0, "reached") - get(&after, 0, "current") - get(&after, 0, "lost_here");
    assert_eq!(conv, moved_on * 1000 / get(&after, 0, "reached"));
    // Demo: 病理科试剂 was lost straight from "qualified".
    assert!(get(&after, 1, "lost_here") >= 1);
    assert!(after["bottleneck"].as_str().is_some());
    // Narrowed by product line.
    let ivd = t
        .get("/api/v1/pipeline/funnel?product_line=ivd", &director)
        .await
        .body;
    assert!(get(&ivd, 0, "reached") < get(&after, 0, "reached"));
}

#[tokio::test]
async fn opp_two_people_moving_one_card_at_once_make_one_move() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let manager = t.login("manager.east").await;
    let inst = institution_id(&t, &rep, "fddxfszsyy").await;
    let id = new_lead(&t, &rep, inst).await["id"].as_i64().unwrap();
    let (a, b) = tokio::join!(
        move_to(&t, &rep, id, "qualified"),
        move_to(&t, &manager, id, "qualified")
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    // The loser sees the stage already moved: either the race guard (409) or the
    // transition check (422), never a second move.
    assert_eq!(statuses[0], 200);
    assert!(statuses[1] == 409 || statuses[1] == 422, "{statuses:?}");
    let full = t.get(&format!("/api/v1/opportunities/{id}"), &rep).await;
    assert_eq!(full.body["history"].as_array().unwrap().len(), 2);
}
