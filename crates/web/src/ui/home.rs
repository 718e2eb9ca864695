//! The home page (工作台): who I am, where I work, and today on the business calendar.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::AppState;
use crate::error::UiError;
use crate::extract::UiCaller;
use crate::i18n::Lang;
use crate::ui::{PageCtx, Shell, ok, region_name};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    t: Lang,
    shell: Shell,
    regions: Vec<String>,
    today: String,
    today_working: bool,
    next_holiday: Option<(String, String)>,
    /// `(id, name, due date)` of the caller's customers due a visit.
    visits_due: Option<Vec<(i64, String, String)>>,
}

pub async fn page(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
) -> Result<Response, UiError> {
    let regions = s
        .app
        .regions(&ctx)
        .await?
        .into_iter()
        .filter(|r| ctx.actor.region_ids.contains(&r.id))
        .map(|r| region_name(p.t, &r.name_zh, &r.name_en))
        .collect();
    let calendar = s.app.calendar(&ctx).await?;
    let today = jiff::Timestamp::now()
        .in_tz("Asia/Shanghai")
        .map_err(|e| medcrm_app::Error::Internal(e.to_string()))?
        .date();
    let next_holiday = today.series(jiff::ToSpan::days(1)).take(400).find_map(|d| {
        let day = calendar.special_day(d)?;
        (day.kind == medcrm_app::domain::calendar::DayKind::Holiday)
            .then(|| (d.to_string(), day.name.clone()))
    });
    ok(&HomePage {
        t: p.t,
        shell: p.shell(&ctx),
        regions,
        today: today.to_string(),
        today_working: calendar.is_working_day(today),
        next_holiday,
        visits_due: crate::ui::customers::overdue_for_home(&s, &ctx).await?,
    })
}
