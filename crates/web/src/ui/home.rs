//! The home page (工作台): who I am, where I work, and today on the business calendar.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use medcrm_app::domain::auth::Role;
use medcrm_app::service::TicketRecord;

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
    /// SVC-8: an engineer's open tickets, the most urgent clock first.
    my_tickets: Option<Vec<TicketRecord>>,
    now_ms: i64,
}

/// Tickets shown on an engineer's home page.
const HOME_TICKETS: usize = 8;

async fn my_tickets(
    s: &AppState,
    ctx: &medcrm_app::Ctx,
) -> Result<Option<Vec<TicketRecord>>, UiError> {
    if !ctx.actor.roles.contains(&Role::ServiceEngineer) {
        return Ok(None);
    }
    let mut items = s.app.my_tickets(ctx).await?;
    items.truncate(HOME_TICKETS);
    Ok(Some(items))
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
        my_tickets: my_tickets(&s, &ctx).await?,
        now_ms: jiff::Timestamp::now().as_millisecond(),
    })
}
