//! SVC-6: the follow-up (回访) on a completed ticket closes it and stops the follow-up clock;
//! an unsatisfied answer opens an improvement action. Its owner, unless one is given, is the
//! service manager nearest to the ticket's region (the region itself, else the closest region
//! above it, the lowest user id on a tie); it is due in 5 working days unless a date is given.

pub use medcrm_store::service::followup::{ImprovementRow, SurveyRow};

use jiff::Timestamp;
use medcrm_domain::auth::Role;
use medcrm_domain::calendar::TIME_ZONE;
use medcrm_domain::org::RegionTree;
use medcrm_domain::service::{EventKind, TicketStatus, satisfied, valid_score};
use medcrm_store::service::followup::{
    self as store, ImprovementFilter, NewImprovement, NewSurvey,
};
use medcrm_store::{Page, Tx, users};

use super::{apply, event_time, visible_ticket};
use crate::customers::{check_text, parse_date, today};
use crate::error::Fields;
use crate::org::visibility;
use crate::policy::{self, Action};
use crate::{App, Ctx, Error, Result, audit, calendar, now_ms, page_size};

/// Working days an improvement action has unless a due date is given.
pub const IMPROVEMENT_WORKING_DAYS: i64 = 5;
const MAX_TEXT: usize = 2000;

#[derive(Debug, Clone, Default)]
pub struct SurveyInput {
    pub respondent: String,
    pub attitude: i64,
    pub quality: i64,
    pub speed: i64,
    pub comment: String,
    /// When the customer was asked (default now).
    pub at: Option<String>,
    /// For an unsatisfied answer: what is to be improved (default: the comment).
    pub improvement: Option<String>,
    /// The improvement action's owner (a service manager of the region).
    pub owner_id: Option<i64>,
    /// `YYYY-MM-DD`; default 5 working days from today.
    pub due_on: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FollowUpOutcome {
    pub survey: SurveyRow,
    pub improvement: Option<ImprovementRow>,
}

#[derive(Debug, Clone, Default)]
pub struct ImprovementQuery {
    /// open / done.
    pub status: Option<String>,
    pub mine: bool,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

/// Active service managers whose region is `region` or one above it, nearest first.
async fn managers_for(tx: &mut Tx, tree: &RegionTree, region: i64) -> Result<Vec<i64>> {
    let page = users::list(
        tx,
        &users::Filter {
            role: Some(Role::ServiceManager.code().into()),
            ..Default::default()
        },
        0,
        crate::MAX_PAGE_SIZE,
    )
    .await?;
    let ids: Vec<i64> = page.items.iter().map(|u| u.id).collect();
    let of = users::regions_of(tx, &ids).await?;
    let mut chain = vec![region];
    chain.extend(tree.ancestors(region));
    let mut ranked: Vec<(usize, i64)> = of
        .iter()
        .filter_map(|(user, r)| Some((chain.iter().position(|c| c == r)?, *user)))
        .collect();
    ranked.sort_unstable();
    let mut out: Vec<i64> = Vec::new();
    for (_, u) in ranked {
        if !out.contains(&u) {
            out.push(u);
        }
    }
    Ok(out)
}

impl App {
    /// SVC-6: the follow-up survey of a completed ticket.
    pub async fn follow_up(
        &self,
        ctx: &Ctx,
        ticket_id: i64,
        input: SurveyInput,
    ) -> Result<FollowUpOutcome> {
        let mut fields = Fields::default();
        check_text(&mut fields, "respondent", &input.respondent, 1, 100);
        for (field, score) in [
            ("attitude", input.attitude),
            ("quality", input.quality),
            ("speed", input.speed),
        ] {
            if !valid_score(score) {
                fields.add(field, "a score from 1 to 5");
            }
        }
        check_text(&mut fields, "comment", &input.comment, 0, MAX_TEXT);
        let content = satisfied(input.attitude, input.quality, input.speed);
        let description = input
            .improvement
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(input.comment.trim())
            .to_owned();
        let due_given = parse_date(&mut fields, "due_on", input.due_on.as_deref());
        if !content {
            check_text(&mut fields, "improvement", &description, 2, MAX_TEXT);
            if due_given.is_some_and(|d| d < today()) {
                fields.add("due_on", "cannot be in the past");
            }
        }
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let ticket = visible_ticket(&mut tx, ctx, Action::FollowUpTickets, ticket_id).await?;
        if ticket.status != TicketStatus::Completed.code() {
            return Err(Error::Refused {
                code: "wrong_status",
                field: "status",
                message: format!(
                    "ticket {} is {}: only a completed ticket is followed up",
                    ticket.number, ticket.status
                ),
            });
        }
        let completed_at = store_completed_at(&mut tx, ticket_id).await?;
        let mut fields = Fields::default();
        let at_ms = event_time(&mut fields, "at", input.at.as_deref(), completed_at);
        fields.finish()?;
        let (_, tree) = visibility(&mut tx, ctx, Action::FollowUpTickets).await?;
        let owner = if content {
            None
        } else {
            let managers = managers_for(&mut tx, &tree, ticket.region_id).await?;
            let owner = match input.owner_id {
                Some(id) if managers.contains(&id) => id,
                Some(_) => {
                    return Err(Error::invalid(
                        "owner_id",
                        "not a service manager of the ticket's region",
                    ));
                }
                None => *managers.first().ok_or(Error::Refused {
                    code: "no_owner",
                    field: "owner_id",
                    message: "no service manager covers the ticket's region".into(),
                })?,
            };
            Some(owner)
        };
        let now = now_ms();
        let survey_id = store::insert_survey(
            &mut tx,
            &NewSurvey {
                ticket_id,
                engineer_id: ticket.engineer_id,
                region_id: ticket.region_id,
                respondent: input.respondent.trim(),
                attitude: input.attitude,
                quality: input.quality,
                speed: input.speed,
                satisfied: content,
                comment: input.comment.trim(),
                at_ms,
            },
            ctx.actor.user_id,
        )
        .await
        .map_err(|_| Error::conflict(Some("status"), "the ticket was already followed up"))?;
        apply(
            &mut tx,
            ctx,
            &ticket,
            EventKind::FollowedUp,
            at_ms,
            Some(survey_id),
            "",
        )
        .await?;
        let survey = store::survey(&mut tx, ticket_id)
            .await?
            .ok_or(Error::NotFound("survey"))?;
        audit::record(
            &mut tx,
            ctx,
            "service_survey",
            survey_id,
            "create",
            None,
            Some(&survey),
        )
        .await?;
        let improvement = match owner {
            None => None,
            Some(owner_id) => {
                let due_on = match due_given {
                    Some(d) => d,
                    None => {
                        let cal = calendar::load(&mut tx).await?;
                        let now_ts = Timestamp::from_millisecond(now)
                            .map_err(|e| Error::Internal(e.to_string()))?;
                        cal.add_working_days(now_ts, IMPROVEMENT_WORKING_DAYS)
                            .in_tz(TIME_ZONE)
                            .map_err(|e| Error::Internal(e.to_string()))?
                            .date()
                    }
                };
                let id = store::insert_improvement(
                    &mut tx,
                    &NewImprovement {
                        ticket_id,
                        survey_id,
                        region_id: ticket.region_id,
                        description: &description,
                        owner_id,
                        due_on: &due_on.to_string(),
                    },
                    ctx.actor.user_id,
                    now,
                )
                .await?;
                let row = store::improvement(&mut tx, id)
                    .await?
                    .ok_or(Error::NotFound("improvement action"))?;
                audit::record(
                    &mut tx,
                    ctx,
                    "improvement_action",
                    id,
                    "create",
                    None,
                    Some(&row),
                )
                .await?;
                medcrm_store::notifications::add(
                    &mut tx,
                    &medcrm_store::notifications::NewNotification {
                        user_id: owner_id,
                        kind: "improvement_opened",
                        subject: &format!("{} {}", ticket.number, ticket.institution_name),
                        detail: &description,
                        link: "/service/improvements",
                        dedupe_key: &format!("improvement_opened:{id}"),
                    },
                    now,
                )
                .await?;
                Some(row)
            }
        };
        tx.commit().await?;
        Ok(FollowUpOutcome {
            survey,
            improvement,
        })
    }

    pub async fn ticket_survey(&self, ctx: &Ctx, ticket_id: i64) -> Result<Option<SurveyRow>> {
        let mut tx = self.db.read().await?;
        visible_ticket(&mut tx, ctx, Action::ReadTickets, ticket_id).await?;
        Ok(store::survey(&mut tx, ticket_id).await?)
    }

    pub async fn ticket_improvements(
        &self,
        ctx: &Ctx,
        ticket_id: i64,
    ) -> Result<Vec<ImprovementRow>> {
        let mut tx = self.db.read().await?;
        visible_ticket(&mut tx, ctx, Action::ReadTickets, ticket_id).await?;
        Ok(store::improvements_of_ticket(&mut tx, ticket_id).await?)
    }

    /// SVC-6: improvement actions in the caller's regions, newest first.
    pub async fn improvement_actions(
        &self,
        ctx: &Ctx,
        q: ImprovementQuery,
    ) -> Result<Page<ImprovementRow>> {
        let limit = page_size(q.limit)?;
        if let Some(s) = &q.status
            && s != "open"
            && s != "done"
        {
            return Err(Error::invalid("status", "open or done"));
        }
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ManageImprovements).await?;
        let filter = ImprovementFilter {
            regions: visible.regions(),
            status: q.status,
            owner_id: q.mine.then_some(ctx.actor.user_id),
        };
        Ok(store::improvements(&mut tx, &filter, q.cursor, limit).await?)
    }

    /// SVC-6: closes an improvement action with what was done (required).
    pub async fn close_improvement(
        &self,
        ctx: &Ctx,
        id: i64,
        resolution: &str,
    ) -> Result<ImprovementRow> {
        let mut fields = Fields::default();
        check_text(&mut fields, "resolution", resolution, 2, MAX_TEXT);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ManageImprovements).await?;
        let before = store::improvement(&mut tx, id)
            .await?
            .filter(|a| {
                a.owner_id == ctx.actor.user_id || policy::can_see(&visible, None, &[a.region_id])
            })
            .ok_or(Error::NotFound("improvement action"))?;
        store::close_improvement(&mut tx, id, resolution.trim(), now_ms())
            .await
            .map_err(|_| {
                Error::conflict(
                    Some("status"),
                    format!("improvement action {id} is already closed"),
                )
            })?;
        let after = store::improvement(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("improvement action"))?;
        audit::record(
            &mut tx,
            ctx,
            "improvement_action",
            id,
            "close",
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// When the ticket was completed (the follow-up cannot be earlier).
async fn store_completed_at(tx: &mut Tx, ticket_id: i64) -> Result<i64> {
    Ok(medcrm_store::service::events(tx, ticket_id)
        .await?
        .iter()
        .rev()
        .find(|e| e.kind == EventKind::Completed.code())
        .map_or(0, |e| e.at_ms))
}
