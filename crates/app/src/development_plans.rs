//! CUS-6: customer development plans (客户开发计划). A rep plans how to win target customers
//! (goal, strategy, channel, deadline), reports progress; a manager reviews. Scope: the rep's
//! own plans, the manager's region, the director's company. Nobody reviews their own plan.

use jiff::civil::Date;
use medcrm_store::development_plans::{self as store, NewNote, NewPlan};
pub use medcrm_store::development_plans::{NoteRecord, PlanRecord};
use medcrm_store::{Page, Tx};

use crate::customers::{check_text, parse_date, today, visible_institution};
use crate::error::Fields;
use crate::org::{region_tree, visibility};
use crate::policy::{self, Action};
use crate::{App, Ctx, Error, Result, audit, now_ms};

/// How customers are approached (the channels of policy 001).
pub const CHANNELS: [&str; 5] = ["phone", "online", "exhibition", "association", "visit"];
/// A plan names a handful of targets, not a territory.
const MAX_TARGETS: usize = 50;

#[derive(Debug, Clone, Default)]
pub struct PlanInput {
    pub goal: String,
    pub strategy: String,
    pub channel: String,
    pub deadline: String,
    pub institution_ids: Vec<i64>,
}

#[derive(Debug, Clone)]
pub struct PlanDetail {
    pub plan: PlanRecord,
    pub targets: Vec<(i64, String)>,
    pub notes: Vec<NoteRecord>,
    /// Whether the plan is past its deadline and still active.
    pub overdue: bool,
    /// Display names of the note authors.
    pub people: std::collections::BTreeMap<i64, String>,
}

async fn visible_plan(tx: &mut Tx, ctx: &Ctx, action: Action, id: i64) -> Result<PlanRecord> {
    let (visible, _) = visibility(tx, ctx, action).await?;
    store::get(tx, id)
        .await?
        .filter(|p| policy::can_see(&visible, Some(p.owner_id), &[p.region_id]))
        .ok_or(Error::NotFound("development plan"))
}

impl App {
    /// Plans within the caller's scope, newest first.
    pub async fn development_plans(
        &self,
        ctx: &Ctx,
        status: Option<&str>,
        cursor: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Page<PlanRecord>> {
        let scope = policy::require(&ctx.actor, Action::ReadCustomers)?;
        let limit = crate::page_size(limit)?;
        if status.is_some_and(|s| !["active", "completed", "cancelled"].contains(&s)) {
            return Err(Error::invalid("status", "active, completed or cancelled"));
        }
        let mut tx = self.db.read().await?;
        let tree = region_tree(&mut tx).await?;
        let visible = policy::visible(&ctx.actor, scope, &tree);
        let filter = store::Filter {
            status: status.map(str::to_owned),
            visible_regions: visible.regions(),
            only_owner: visible.only_user(),
        };
        Ok(store::list(&mut tx, &filter, cursor, limit).await?)
    }

    pub async fn development_plan(&self, ctx: &Ctx, id: i64) -> Result<PlanDetail> {
        let mut tx = self.db.read().await?;
        let plan = visible_plan(&mut tx, ctx, Action::ReadCustomers, id).await?;
        let overdue =
            plan.status == "active" && plan.deadline.parse::<Date>().is_ok_and(|d| d < today());
        let notes = store::notes(&mut tx, id).await?;
        let mut authors: Vec<i64> = notes.iter().map(|n| n.author_id).collect();
        authors.push(plan.owner_id);
        Ok(PlanDetail {
            targets: store::targets(&mut tx, id).await?,
            people: crate::customers::display_names(&mut tx, authors).await?,
            notes,
            overdue,
            plan,
        })
    }

    /// A new plan owned by the caller, on target customers within their scope.
    pub async fn create_development_plan(&self, ctx: &Ctx, p: PlanInput) -> Result<PlanRecord> {
        policy::require(&ctx.actor, Action::ManageCustomers)?;
        let mut fields = Fields::default();
        check_text(&mut fields, "goal", &p.goal, 2, 500);
        check_text(&mut fields, "strategy", &p.strategy, 2, 2000);
        if !CHANNELS.contains(&p.channel.as_str()) {
            fields.add("channel", format!("one of: {}", CHANNELS.join(", ")));
        }
        match parse_date(&mut fields, "deadline", Some(&p.deadline)) {
            None => fields.add("deadline", "the date the goal should be reached"),
            Some(d) if d < today() => fields.add("deadline", "the deadline cannot be in the past"),
            Some(_) => {}
        }
        if p.institution_ids.is_empty() || p.institution_ids.len() > MAX_TARGETS {
            fields.add(
                "institution_ids",
                format!("choose 1 to {MAX_TARGETS} target customers"),
            );
        }
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let mut region = None;
        for id in &p.institution_ids {
            let (inst, _) = visible_institution(&mut tx, ctx, Action::ManageCustomers, *id)
                .await
                .map_err(|e| match e {
                    Error::NotFound(_) => Error::invalid(
                        "institution_ids",
                        format!("customer {id} is not in your scope"),
                    ),
                    other => other,
                })?;
            region.get_or_insert(inst.region_id);
        }
        let region_id = ctx
            .actor
            .region_ids
            .first()
            .copied()
            .or(region)
            .ok_or_else(|| Error::invalid("institution_ids", "choose target customers"))?;
        let new = NewPlan {
            owner_id: ctx.actor.user_id,
            region_id,
            goal: p.goal.trim(),
            strategy: p.strategy.trim(),
            channel: &p.channel,
            deadline: p.deadline.trim(),
        };
        let id = store::insert(&mut tx, &new, &p.institution_ids, now_ms()).await?;
        let plan = store::get(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("development plan"))?;
        audit::record(
            &mut tx,
            ctx,
            "development_plan",
            id,
            "create",
            None,
            Some(&plan),
        )
        .await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// The owner reports progress (0–100); 100 completes the plan.
    pub async fn report_plan_progress(
        &self,
        ctx: &Ctx,
        id: i64,
        progress: i64,
        text: &str,
    ) -> Result<PlanRecord> {
        let mut tx = self.db.write().await?;
        let before = visible_plan(&mut tx, ctx, Action::ManageCustomers, id).await?;
        if before.owner_id != ctx.actor.user_id {
            return Err(Error::Forbidden);
        }
        if before.status != "active" {
            return Err(Error::conflict(
                Some("status"),
                format!("this plan is {}", before.status),
            ));
        }
        let mut fields = Fields::default();
        if !(0..=100).contains(&progress) {
            fields.add("progress", "progress is a percentage, 0 to 100");
        }
        check_text(&mut fields, "text", text, 2, 2000);
        fields.finish()?;
        let note = NewNote {
            author_id: ctx.actor.user_id,
            kind: "report",
            progress: Some(progress),
            verdict: None,
            text: text.trim(),
        };
        let now = now_ms();
        store::add_note(&mut tx, id, &note, now).await?;
        let status = if progress == 100 {
            "completed"
        } else {
            "active"
        };
        store::set_progress(&mut tx, id, progress, status, now).await?;
        let after = store::get(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("development plan"))?;
        audit::record(
            &mut tx,
            ctx,
            "development_plan",
            id,
            "report",
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// A manager's review: on track, or needs work, with a comment. Not of one's own plan.
    pub async fn review_plan(
        &self,
        ctx: &Ctx,
        id: i64,
        verdict: &str,
        text: &str,
    ) -> Result<NoteRecord> {
        let mut tx = self.db.write().await?;
        let plan = visible_plan(&mut tx, ctx, Action::AssignCustomers, id).await?;
        if plan.owner_id == ctx.actor.user_id {
            return Err(Error::invalid(
                "verdict",
                "a plan is reviewed by someone other than its owner",
            ));
        }
        let mut fields = Fields::default();
        if !["on_track", "needs_work"].contains(&verdict) {
            fields.add("verdict", "on_track or needs_work");
        }
        check_text(&mut fields, "text", text, 2, 2000);
        fields.finish()?;
        let note = NewNote {
            author_id: ctx.actor.user_id,
            kind: "review",
            progress: None,
            verdict: Some(verdict),
            text: text.trim(),
        };
        let note_id = store::add_note(&mut tx, id, &note, now_ms()).await?;
        let saved = store::notes(&mut tx, id)
            .await?
            .into_iter()
            .find(|n| n.id == note_id)
            .ok_or(Error::NotFound("review"))?;
        audit::record(
            &mut tx,
            ctx,
            "development_plan",
            id,
            "review",
            None,
            Some(&saved),
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }
}
