//! OPP: opportunities on institutions, moved stage by stage (OPP-1) with an owner and due
//! date per stage (OPP-3 for the quote), the board, and the funnel (OPP-2). Scope follows the
//! opportunity's owner and region, as for customers.

use std::collections::BTreeMap;

use jiff::ToSpan;
use medcrm_domain::pipeline::{FunnelRow, Stage, StageFigures, StageTimes, funnel, parse_yuan};
use medcrm_store::pipeline::{self as store, NewOpportunity, StagePosition};
pub use medcrm_store::pipeline::{OpportunityRecord, StageStay};
use medcrm_store::{Page, Tx, settings, users};

use crate::customers::{
    check_text, display_names, numbers, parse_date, today, visible_institution,
};
use crate::error::Fields;
use crate::org::{blank_to_none, region_tree, visibility};
use crate::policy::{self, Action};
use crate::{App, Ctx, Error, Result, audit, now_ms};

/// Product lines until the product catalog names products (issue 4).
pub const PRODUCT_LINES: [&str; 5] = ["large_equipment", "consumables", "ivd", "service", "other"];

const STAGE_DAYS_KEY: &str = "pipeline.stage_days";
/// Cards shown per board column; the list page has the rest.
const BOARD_COLUMN_LIMIT: i64 = 50;

#[derive(Debug, Clone, Default)]
pub struct OpportunityInput {
    pub institution_id: i64,
    pub title: String,
    pub product_line: String,
    /// Yuan as typed (`1,280,000.50`); kept exact in fen.
    pub amount: String,
    pub expected_close: String,
}

#[derive(Debug, Clone, Default)]
pub struct MoveInput {
    pub to: String,
    /// Who is responsible for the new stage; default: the opportunity's owner.
    pub stage_owner_id: Option<i64>,
    pub note: String,
    /// Required when the opportunity is lost.
    pub lost_reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct OpportunityQuery {
    pub query: Option<String>,
    pub stage: Option<String>,
    pub product_line: Option<String>,
    pub owner_id: Option<i64>,
    pub region_id: Option<i64>,
    pub institution_id: Option<i64>,
    /// Only open opportunities whose stage is past due (OPP-1).
    pub overdue: bool,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct OpportunityDetail {
    pub record: OpportunityRecord,
    pub history: Vec<StageStay>,
    /// The stages it may move to from here.
    pub next: Vec<Stage>,
    /// Display names of the owner and the stage owners.
    pub people: BTreeMap<i64, String>,
}

/// OPP-2: the funnel of the opportunities in scope (and the filters).
#[derive(Debug, Clone)]
pub struct FunnelReport {
    pub rows: Vec<FunnelRow>,
    pub bottleneck: Option<Stage>,
    /// Opportunities now in each stage off the main path (tender steps, lost).
    pub other: Vec<(Stage, StageFigures)>,
}

/// The configured stage times, or the defaults.
async fn stage_times(tx: &mut Tx) -> Result<StageTimes> {
    let n: Vec<u16> = settings::get(tx, STAGE_DAYS_KEY)
        .await?
        .map(|t| {
            numbers(&t)
                .into_iter()
                .filter_map(|v| u16::try_from(v).ok())
                .collect()
        })
        .unwrap_or_default();
    Ok(match n[..] {
        [
            lead,
            qualified,
            needs_analysis,
            proposal,
            tender,
            negotiation,
            contract,
        ] => StageTimes {
            lead,
            qualified,
            needs_analysis,
            proposal,
            tender,
            negotiation,
            contract,
        },
        _ => StageTimes::default(),
    })
}

fn due_date(times: &StageTimes, stage: Stage) -> Option<String> {
    let days = i64::from(times.days(stage)?);
    let today = today();
    Some(today.checked_add(days.days()).unwrap_or(today).to_string())
}

fn parse_stage(fields: &mut Fields, field: &'static str, code: &str) -> Option<Stage> {
    code.parse::<Stage>().map_err(|e| fields.add(field, e)).ok()
}

/// The opportunity if the caller's scope reaches it; "not found" otherwise.
pub(crate) async fn visible_opportunity(
    tx: &mut Tx,
    ctx: &Ctx,
    action: Action,
    id: i64,
) -> Result<OpportunityRecord> {
    let (visible, _) = visibility(tx, ctx, action).await?;
    store::get(tx, id)
        .await?
        .filter(|o| policy::can_see(&visible, Some(o.owner_id), &[o.region_id]))
        .ok_or(Error::NotFound("opportunity"))
}

/// Moves `before` into `to` (already checked as allowed) with the stage's due date, inside the
/// caller's transaction, with its audit entry. A concurrent move of the same card makes this
/// one fail with 409.
/// Moves opportunity `id` one step by `rule` (PRC-3, CON-1/2: quotes and contracts carry the
/// deal along), when the rule has a step from its current stage.
pub(crate) async fn advance(
    tx: &mut Tx,
    ctx: &Ctx,
    id: i64,
    rule: fn(Stage) -> Option<Stage>,
    note: &str,
) -> Result<()> {
    let opp = visible_opportunity(tx, ctx, Action::ReadPipeline, id).await?;
    if let Some(stage) = opp.stage.parse::<Stage>().ok().and_then(rule) {
        enter_stage(tx, ctx, &opp, stage, opp.owner_id, note, "").await?;
    }
    Ok(())
}

pub(crate) async fn enter_stage(
    tx: &mut Tx,
    ctx: &Ctx,
    before: &OpportunityRecord,
    to: Stage,
    stage_owner: i64,
    note: &str,
    lost_reason: &str,
) -> Result<OpportunityRecord> {
    let times = stage_times(tx).await?;
    let due = due_date(&times, to);
    let at = StagePosition {
        stage: to.code(),
        owner_id: stage_owner,
        due: due.as_deref(),
        note,
    };
    store::move_stage(tx, before.id, &before.stage, &at, lost_reason, now_ms())
        .await
        .map_err(|e| match e {
            medcrm_store::Error::NotFound => Error::conflict(
                Some("stage"),
                "someone moved this opportunity meanwhile; reload and try again",
            ),
            other => other.into(),
        })?;
    let after = store::get(tx, before.id)
        .await?
        .ok_or(Error::NotFound("opportunity"))?;
    audit::record(
        tx,
        ctx,
        "opportunity",
        before.id,
        "move",
        Some(before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// The store filter for a query within the caller's scope.
async fn scoped_filter(tx: &mut Tx, ctx: &Ctx, q: &OpportunityQuery) -> Result<store::Filter> {
    let scope = policy::require(&ctx.actor, Action::ReadPipeline)?;
    let tree = region_tree(tx).await?;
    let mut fields = Fields::default();
    let stage = blank_to_none(q.stage.clone());
    if let Some(s) = &stage {
        parse_stage(&mut fields, "stage", s);
    }
    let product_line = blank_to_none(q.product_line.clone());
    if product_line
        .as_deref()
        .is_some_and(|p| !PRODUCT_LINES.contains(&p))
    {
        fields.add(
            "product_line",
            format!("one of: {}", PRODUCT_LINES.join(", ")),
        );
    }
    if q.region_id.is_some_and(|r| !tree.contains(r)) {
        fields.add("region_id", "unknown region");
    }
    fields.finish()?;
    let mut filter = store::Filter {
        query: blank_to_none(q.query.clone()),
        stages: stage.map(|s| vec![s]),
        product_line,
        owner_id: q.owner_id,
        institution_id: q.institution_id,
        region_ids: q.region_id.map(|r| tree.subtree([r]).into_iter().collect()),
        ..Default::default()
    };
    if q.overdue {
        filter.due_before = Some(today().to_string());
        filter.stages = Some(Stage::OPEN.iter().map(|s| s.code().to_owned()).collect());
    }
    let visible = policy::visible(&ctx.actor, scope, &tree);
    filter.visible_regions = visible.regions();
    filter.only_owner = visible.only_user();
    Ok(filter)
}

impl App {
    /// Opportunities in scope, keyset-paged.
    pub async fn opportunities(
        &self,
        ctx: &Ctx,
        q: &OpportunityQuery,
    ) -> Result<Page<OpportunityRecord>> {
        let limit = crate::page_size(q.limit)?;
        let mut tx = self.db.read().await?;
        let filter = scoped_filter(&mut tx, ctx, q).await?;
        Ok(store::list(&mut tx, &filter, q.cursor.unwrap_or(0), limit).await?)
    }

    /// The board: open opportunities in scope, by stage, up to a column limit each.
    pub async fn pipeline_board(
        &self,
        ctx: &Ctx,
        q: &OpportunityQuery,
    ) -> Result<Vec<(Stage, Vec<OpportunityRecord>)>> {
        let mut tx = self.db.read().await?;
        let filter = scoped_filter(&mut tx, ctx, q).await?;
        let mut columns = Vec::new();
        for stage in Stage::OPEN {
            let column = store::Filter {
                stages: Some(vec![stage.code().to_owned()]),
                ..filter.clone()
            };
            let page = store::list(&mut tx, &column, 0, BOARD_COLUMN_LIMIT).await?;
            columns.push((stage, page.items));
        }
        Ok(columns)
    }

    pub async fn opportunity(&self, ctx: &Ctx, id: i64) -> Result<OpportunityDetail> {
        let mut tx = self.db.read().await?;
        let record = visible_opportunity(&mut tx, ctx, Action::ReadPipeline, id).await?;
        let history = store::history(&mut tx, id).await?;
        let next = record
            .stage
            .parse::<Stage>()
            .map(|s| s.next().to_vec())
            .unwrap_or_default();
        let mut ids: Vec<i64> = history.iter().map(|h| h.owner_id).collect();
        ids.push(record.owner_id);
        let people = display_names(&mut tx, ids).await?;
        Ok(OpportunityDetail {
            record,
            history,
            next,
            people,
        })
    }

    /// OPP-1: a new lead on an institution in the caller's scope, owned by the institution's
    /// rep; the lead stage is due after the configured days.
    pub async fn create_opportunity(
        &self,
        ctx: &Ctx,
        input: OpportunityInput,
    ) -> Result<OpportunityRecord> {
        policy::require(&ctx.actor, Action::ManagePipeline)?;
        let mut fields = Fields::default();
        check_text(&mut fields, "title", &input.title, 2, 100);
        if !PRODUCT_LINES.contains(&input.product_line.as_str()) {
            fields.add(
                "product_line",
                format!("one of: {}", PRODUCT_LINES.join(", ")),
            );
        }
        let amount = parse_yuan(&input.amount)
            .map_err(|e| fields.add("amount", e))
            .ok();
        match parse_date(&mut fields, "expected_close", Some(&input.expected_close)) {
            None => fields.add("expected_close", "the date the deal is expected to close"),
            Some(d) if d < today() => {
                fields.add("expected_close", "expected close cannot be in the past")
            }
            Some(_) => {}
        }
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let (inst, _) =
            visible_institution(&mut tx, ctx, Action::ManagePipeline, input.institution_id)
                .await
                .map_err(|e| match e {
                    Error::NotFound(_) => {
                        Error::invalid("institution_id", "no such customer in your scope")
                    }
                    other => other,
                })?;
        let times = stage_times(&mut tx).await?;
        let due = due_date(&times, Stage::Lead);
        let at = StagePosition {
            stage: Stage::Lead.code(),
            owner_id: inst.owner_id,
            due: due.as_deref(),
            note: "",
        };
        let new = NewOpportunity {
            institution_id: inst.id,
            title: input.title.trim(),
            product_line: &input.product_line,
            amount_fen: amount.unwrap_or(0),
            expected_close: input.expected_close.trim(),
            owner_id: inst.owner_id,
            region_id: inst.region_id,
        };
        let id = store::insert(&mut tx, &new, &at, now_ms()).await?;
        let created = store::get(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("opportunity"))?;
        audit::record(
            &mut tx,
            ctx,
            "opportunity",
            id,
            "create",
            None,
            Some(&created),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// OPP-1: moves an opportunity one allowed step, with the new stage's owner and due date.
    /// A move that is not allowed from the current stage is refused naming `stage`.
    pub async fn move_opportunity(
        &self,
        ctx: &Ctx,
        id: i64,
        m: MoveInput,
    ) -> Result<OpportunityRecord> {
        let mut fields = Fields::default();
        let to = parse_stage(&mut fields, "stage", &m.to);
        check_text(&mut fields, "note", &m.note, 0, 500);
        if to == Some(Stage::Lost) {
            check_text(&mut fields, "lost_reason", &m.lost_reason, 2, 500);
        }
        fields.finish()?;
        let to = to.ok_or_else(|| Error::invalid("stage", "choose a stage"))?;
        let mut tx = self.db.write().await?;
        let before = visible_opportunity(&mut tx, ctx, Action::ManagePipeline, id).await?;
        let from = before.stage.parse::<Stage>().map_err(Error::Internal)?;
        if !from.can_move_to(to) {
            let allowed: Vec<&str> = from.next().iter().map(|s| s.code()).collect();
            return Err(Error::invalid(
                "stage",
                format!(
                    "cannot move from {} to {}; allowed: {}",
                    from.code(),
                    to.code(),
                    if allowed.is_empty() {
                        "none (closed)".into()
                    } else {
                        allowed.join(", ")
                    }
                ),
            ));
        }
        let stage_owner = m.stage_owner_id.unwrap_or(before.owner_id);
        if !users::get(&mut tx, stage_owner)
            .await?
            .is_some_and(|u| u.active)
        {
            return Err(Error::invalid(
                "stage_owner_id",
                "the stage owner must be an active user",
            ));
        }
        let lost_reason = if to == Stage::Lost {
            m.lost_reason.trim()
        } else {
            ""
        };
        let after = enter_stage(
            &mut tx,
            ctx,
            &before,
            to,
            stage_owner,
            m.note.trim(),
            lost_reason,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// OPP-2: counts and amounts per stage, conversion between stages, time in stage and the
    /// bottleneck, over the opportunities in scope narrowed by rep, region or product line.
    pub async fn funnel(&self, ctx: &Ctx, q: &OpportunityQuery) -> Result<FunnelReport> {
        let mut tx = self.db.read().await?;
        let filter = scoped_filter(&mut tx, ctx, q).await?;
        let mut figures: BTreeMap<Stage, StageFigures> = BTreeMap::new();
        for (stage, count, amount) in store::current_by_stage(&mut tx, &filter).await? {
            if let Ok(s) = stage.parse::<Stage>() {
                let f = figures.entry(s).or_default();
                f.current = count;
                f.current_amount_fen = amount;
            }
        }
        for (stage, reached, stay_ms, stays) in store::history_by_stage(&mut tx, &filter).await? {
            if let Ok(s) = stage.parse::<Stage>() {
                let f = figures.entry(s).or_default();
                f.reached = reached;
                f.stay_ms_total = stay_ms;
                f.stays = stays;
            }
        }
        for (stage, lost) in store::lost_by_stage(&mut tx, &filter).await? {
            if let Ok(s) = stage.parse::<Stage>() {
                figures.entry(s).or_default().lost_here = lost;
            }
        }
        let (rows, bottleneck) = funnel(|s| figures.get(&s).copied().unwrap_or_default());
        let other = Stage::ALL
            .into_iter()
            .filter(|s| !Stage::FUNNEL.contains(s))
            .map(|s| (s, figures.get(&s).copied().unwrap_or_default()))
            .collect();
        Ok(FunnelReport {
            rows,
            bottleneck,
            other,
        })
    }
}
