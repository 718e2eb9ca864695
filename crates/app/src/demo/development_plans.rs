//! Demo development plan (CUS-6): rep.east's plan with a progress report and the manager's
//! review, made through the same use cases as by hand.

use std::collections::BTreeMap;

use jiff::ToSpan;
use medcrm_domain::auth::Role;

use crate::auth::Actor;
use crate::customers::today;
use crate::development_plans::PlanInput;
use crate::{App, Ctx, Error, Result};

/// The demo user `username` as the actor of a use case.
fn as_user(users: &BTreeMap<&str, i64>, username: &str, role: Role, region: i64) -> Result<Ctx> {
    let user_id = *users
        .get(username)
        .ok_or_else(|| Error::Internal(format!("demo user {username} missing")))?;
    Ok(Ctx {
        actor: Actor {
            user_id,
            username: username.into(),
            display_name: username.into(),
            roles: [role].into(),
            region_ids: vec![region],
            locale: "zh-CN".into(),
            session_id: 0,
        },
        request_id: "demo".into(),
    })
}

pub(super) async fn load(
    app: &App,
    regions: &BTreeMap<&str, i64>,
    users: &BTreeMap<&str, i64>,
    institutions: &[i64],
) -> Result<()> {
    let region = |code: &str| {
        regions
            .get(code)
            .copied()
            .ok_or_else(|| Error::Internal(format!("demo region {code} missing")))
    };
    let rep = as_user(users, "rep.east", Role::SalesRep, region("EAST-SH")?)?;
    let manager = as_user(users, "manager.east", Role::SalesManager, region("EAST")?)?;
    let deadline = today().checked_add(60.days()).unwrap_or(today());
    let plan = app
        .create_development_plan(
            &rep,
            PlanInput {
                goal: "2027 年一季度拿下瑞金、六院彩超更新项目".into(),
                strategy: "先约设备科科长了解预算，再请心内科主任做临床评估，年底前完成参数沟通。"
                    .into(),
                channel: "visit".into(),
                deadline: deadline.to_string(),
                institution_ids: institutions.iter().skip(1).take(2).copied().collect(),
            },
        )
        .await?;
    app.report_plan_progress(&rep, plan.id, 30, "已拜访瑞金设备科，预算在申请中。")
        .await?;
    app.review_plan(
        &manager,
        plan.id,
        "needs_work",
        "请补充竞品报价与装机情况。",
    )
    .await?;
    Ok(())
}
