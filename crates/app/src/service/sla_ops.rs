//! SVC-7 operations: the scan job that warns before a breach and escalates a breach (each
//! exactly once, whichever node runs it), the recompute after a calendar change, the
//! configured targets and the SLA board.
//!
//! A calendar change recomputes at once, in batches after the change is committed, the
//! tickets whose open clocks are measured in working time (the follow-up, and any milestone
//! a working-time target is configured for); wall-clock deadlines do not depend on the
//! calendar. A target change applies to tickets opened (or recomputed by an event) after it:
//! a promise made to a customer is not moved behind their back.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use medcrm_domain::calendar::TIME_ZONE;
use medcrm_domain::org::RegionTree;
use medcrm_domain::service::ratio_bp;
use medcrm_domain::service::sla::{Milestone, Mode, Target};
use medcrm_domain::service::{Priority, TicketKind};
use medcrm_store::notifications::{self as inbox, NewNotification};
pub use medcrm_store::service::TargetRecord;
use medcrm_store::service::sla::{self as board, ComplianceRow, ScanClock};
pub use medcrm_store::service::sla::{Buckets, UrgentClock};
use medcrm_store::service::{self as store, NewTarget};
use medcrm_store::{Tx, contracts, regions};

use super::{SlaContext, recompute};
use crate::customers::{display_names, today};
use crate::error::Fields;
use crate::org::{region_tree, visibility};
use crate::policy::{self, Action};
use crate::receivables::collection::holders;
use crate::{App, Ctx, Error, Result, audit, now_ms};

/// Clocks read per transaction by the scan; tickets per transaction by the recompute.
const BATCH: i64 = 500;
/// The board lists this many open clocks, the most urgent first.
pub const URGENT_SHOWN: i64 = 50;
/// The default board period, in days back from today.
pub const DEFAULT_PERIOD_DAYS: i64 = 30;
const MAX_PERIOD_DAYS: i64 = 366;

/// What one scan did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanOutcome {
    pub warned: u64,
    pub escalated: u64,
}

/// A target as set on the settings page: `kind`, `priority` empty and `contract_id` 0 match
/// any ticket.
#[derive(Debug, Clone, Default)]
pub struct TargetInput {
    pub milestone: String,
    pub kind: String,
    pub priority: String,
    pub contract_id: i64,
    pub amount: i64,
    pub mode: String,
}

/// Clocks met and breached within one group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Compliance {
    /// The milestone code, region id or engineer id (0: none assigned).
    pub key: String,
    /// The region's or engineer's name; empty for a milestone (pages name it by its code).
    pub name: String,
    pub met: i64,
    pub breached: i64,
    /// Met share in basis points (9 500 = 95 %); `None` without clocks.
    pub percent_bp: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct SlaBoard {
    pub now_ms: i64,
    pub from: Date,
    pub to: Date,
    pub buckets: Buckets,
    pub urgent: Vec<UrgentClock>,
    /// Clocks due in the period that were breached.
    pub breaches: i64,
    pub total: Compliance,
    pub by_milestone: Vec<Compliance>,
    pub by_region: Vec<Compliance>,
    pub by_engineer: Vec<Compliance>,
}

/// Service managers over a region, read once per region and scan.
#[derive(Default)]
struct Managers(BTreeMap<i64, Vec<i64>>);

impl Managers {
    async fn of(&mut self, tx: &mut Tx, tree: &RegionTree, region: i64) -> Result<Vec<i64>> {
        Ok(match self.0.entry(region) {
            Entry::Occupied(e) => e.get().clone(),
            Entry::Vacant(slot) => {
                let mut chain = tree.ancestors(region);
                chain.push(region);
                slot.insert(holders(tx, "service_manager", Some(chain)).await?)
                    .clone()
            }
        })
    }
}

/// Tells `users` about `clock` once each (`kind` is sla_warning or sla_breach).
async fn tell(tx: &mut Tx, users: &[i64], kind: &str, clock: &ScanClock) -> Result<()> {
    let due = Timestamp::from_millisecond(clock.due_at_ms)
        .ok()
        .and_then(|t| t.in_tz(TIME_ZONE).ok())
        .map(|z| z.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    for user in users {
        let n = NewNotification {
            user_id: *user,
            kind,
            subject: &format!("{} {}", clock.number, clock.institution_name),
            detail: &format!("{}|{due}", clock.milestone),
            link: &format!("/service/tickets/{}", clock.ticket_id),
            dedupe_key: &format!("{kind}:{}:{user}", clock.id),
        };
        inbox::add(tx, &n, now_ms()).await?;
    }
    Ok(())
}

/// Milestones whose deadline moves with the calendar: measured in working time by the
/// policy default or by any configured target.
fn calendar_milestones(rules: &[medcrm_domain::service::sla::TargetRule]) -> Vec<&'static str> {
    Milestone::ALL
        .iter()
        .filter(|m| {
            Target::policy_default(**m).mode != Mode::WallMinutes
                || rules
                    .iter()
                    .any(|r| r.milestone == **m && r.target.mode != Mode::WallMinutes)
        })
        .map(|m| m.code())
        .collect()
}

/// Midnight starting `d` in business time.
pub(crate) fn day_start_ms(d: Date) -> Result<i64> {
    let z = d
        .in_tz(TIME_ZONE)
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(z.timestamp().as_millisecond())
}

fn compliance(key: String, name: String, met: i64, breached: i64) -> Compliance {
    Compliance {
        key,
        name,
        met,
        breached,
        percent_bp: ratio_bp(met, met + breached),
    }
}

/// Sums `rows` per `key`, in key order.
fn group<K: Ord + Clone>(
    rows: &[ComplianceRow],
    key: impl Fn(&ComplianceRow) -> K,
) -> Vec<(K, i64, i64)> {
    let mut sums: BTreeMap<K, (i64, i64)> = BTreeMap::new();
    for r in rows {
        let s = sums.entry(key(r)).or_default();
        s.0 += r.met;
        s.1 += r.breached;
    }
    sums.into_iter().map(|(k, (m, b))| (k, m, b)).collect()
}

fn check_target(fields: &mut Fields, t: &TargetInput) {
    fields.check(
        "milestone",
        t.milestone.trim().parse::<Milestone>().map(|_| ()),
    );
    if !t.kind.trim().is_empty() {
        fields.check("kind", t.kind.trim().parse::<TicketKind>().map(|_| ()));
    }
    if !t.priority.trim().is_empty() {
        fields.check(
            "priority",
            t.priority.trim().parse::<Priority>().map(|_| ()),
        );
    }
    match t.mode.trim().parse::<Mode>() {
        Ok(mode) => {
            if !(Target {
                amount: t.amount,
                mode,
            })
            .is_valid()
            {
                fields.add(
                    "amount",
                    format!(
                        "amount must be between 1 and {}",
                        medcrm_domain::service::sla::MAX_TARGET_AMOUNT
                    ),
                );
            }
        }
        Err(e) => fields.add("mode", e),
    }
    if t.contract_id < 0 {
        fields.add("contract_id", "a contract id, or 0 for any contract");
    }
}

impl App {
    /// SVC-7 (job, every minute): escalates every open clock past due (marked breached; its
    /// region's service managers and the assigned engineer are told), then warns the
    /// managers of every running clock past its warning time. Each clock is stamped by a
    /// guarded update in the transaction that writes the notifications, so a warning and an
    /// escalation go out exactly once however many nodes scan at once.
    pub async fn scan_sla(&self, now: Timestamp) -> Result<ScanOutcome> {
        let now = now.as_millisecond();
        let mut out = ScanOutcome::default();
        let mut managers = Managers::default();
        for escalate in [true, false] {
            loop {
                let mut tx = self.db.write().await?;
                let batch = if escalate {
                    board::to_escalate(&mut tx, now, BATCH).await?
                } else {
                    board::to_warn(&mut tx, now, BATCH).await?
                };
                if batch.is_empty() {
                    break;
                }
                let tree = region_tree(&mut tx).await?;
                let full = i64::try_from(batch.len()).unwrap_or(0) == BATCH;
                for clock in &batch {
                    let mut to = managers.of(&mut tx, &tree, clock.region_id).await?;
                    if escalate {
                        if !board::mark_escalated(&mut tx, clock.id, now).await? {
                            continue;
                        }
                        to.extend(clock.engineer_id);
                        tell(&mut tx, &to, "sla_breach", clock).await?;
                        out.escalated += 1;
                    } else {
                        if !board::mark_warned(&mut tx, clock.id, now).await? {
                            continue;
                        }
                        tell(&mut tx, &to, "sla_warning", clock).await?;
                        out.warned += 1;
                    }
                }
                tx.commit().await?;
                if !full {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// SVC-7: after a calendar change, recomputes the open tickets whose deadlines are in
    /// working time, a batch per transaction. Returns how many tickets were recomputed.
    pub(crate) async fn recompute_for_calendar(&self) -> Result<u64> {
        let mut after = 0;
        let mut done = 0;
        loop {
            let mut tx = self.db.write().await?;
            let sla = SlaContext::load(&mut tx).await?;
            let milestones = calendar_milestones(&sla.rules);
            let ids = board::open_tickets_with(&mut tx, &milestones, after, BATCH).await?;
            let Some(last) = ids.last() else { break };
            after = *last;
            for id in &ids {
                if let Some(ticket) = store::get_ticket(&mut tx, *id).await? {
                    recompute(&mut tx, &sla, &ticket).await?;
                    done += 1;
                }
            }
            tx.commit().await?;
        }
        Ok(done)
    }

    /// SVC-7: the configured targets (the policy defaults apply where none matches).
    pub async fn sla_targets(&self, ctx: &Ctx) -> Result<Vec<TargetRecord>> {
        policy::require(&ctx.actor, Action::ConfigureService)?;
        let mut tx = self.db.read().await?;
        Ok(store::targets(&mut tx).await?)
    }

    /// SVC-7: sets the target of one combination of milestone, ticket kind, priority and
    /// customer contract (replacing the one there was); tickets opened from now on use it.
    pub async fn set_sla_target(&self, ctx: &Ctx, input: TargetInput) -> Result<TargetRecord> {
        policy::require(&ctx.actor, Action::ConfigureService)?;
        let mut fields = Fields::default();
        check_target(&mut fields, &input);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        if input.contract_id > 0 && contracts::get(&mut tx, input.contract_id).await?.is_none() {
            return Err(Error::invalid("contract_id", "no such contract"));
        }
        let key = (
            input.milestone.trim().to_owned(),
            input.kind.trim().to_owned(),
            input.priority.trim().to_owned(),
            input.contract_id,
        );
        let same = |r: &TargetRecord| {
            (
                r.milestone.as_str(),
                r.kind.as_str(),
                r.priority.as_str(),
                r.contract_id,
            ) == (key.0.as_str(), key.1.as_str(), key.2.as_str(), key.3)
        };
        let before = store::targets(&mut tx).await?.into_iter().find(same);
        let id = store::upsert_target(
            &mut tx,
            &NewTarget {
                milestone: &key.0,
                kind: &key.1,
                priority: &key.2,
                contract_id: key.3,
                amount: input.amount,
                mode: input.mode.trim(),
            },
            ctx.actor.user_id,
            now_ms(),
        )
        .await?;
        let after = store::targets(&mut tx)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(Error::NotFound("target"))?;
        audit::record(
            &mut tx,
            ctx,
            "sla_target",
            id,
            if before.is_some() { "update" } else { "create" },
            before.as_ref().map(|b| b as &dyn audit::ErasedJson),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// SVC-7: removes a target; the next more general one (or the default) applies again.
    pub async fn delete_sla_target(&self, ctx: &Ctx, id: i64) -> Result<()> {
        policy::require(&ctx.actor, Action::ConfigureService)?;
        let mut tx = self.db.write().await?;
        let before = store::targets(&mut tx)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(Error::NotFound("target"))?;
        store::delete_target(&mut tx, id).await?;
        audit::record(
            &mut tx,
            ctx,
            "sla_target",
            id,
            "delete",
            Some(&before),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// SVC-7: the SLA board in the caller's scope (a service manager's region, the
    /// director's company): open clocks by urgency, the most urgent ones, and compliance per
    /// milestone, region and engineer for the clocks due from `from` to `to` (both days
    /// included; the last 30 days by default).
    pub async fn sla_board(
        &self,
        ctx: &Ctx,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<SlaBoard> {
        let mut fields = Fields::default();
        let to = crate::customers::parse_date(&mut fields, "to", to).unwrap_or_else(today);
        let from = crate::customers::parse_date(&mut fields, "from", from)
            .unwrap_or_else(|| to.saturating_sub(DEFAULT_PERIOD_DAYS.days()));
        fields.finish()?;
        let span = (to - from).get_days();
        if span < 0 {
            return Err(Error::invalid("from", "the period starts after it ends"));
        }
        if i64::from(span) > MAX_PERIOD_DAYS {
            return Err(Error::invalid("from", "the period is at most a year"));
        }
        let (from_ms, to_ms) = (
            day_start_ms(from)?,
            day_start_ms(to.tomorrow().unwrap_or(to))?,
        );
        let now = now_ms();
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadSlaBoard).await?;
        let scope = visible.regions();
        let scope = scope.as_deref();
        let buckets = board::buckets(&mut tx, now, scope).await?;
        let mut urgent = board::most_urgent(&mut tx, "breached", scope, URGENT_SHOWN).await?;
        urgent.extend(board::most_urgent(&mut tx, "running", scope, URGENT_SHOWN).await?);
        urgent.sort_by_key(|c| (c.due_at_ms, c.id));
        urgent.truncate(usize::try_from(URGENT_SHOWN).unwrap_or(0));
        let rows = board::compliance(&mut tx, from_ms, to_ms, scope).await?;
        let region_names: BTreeMap<i64, String> = regions::all(&mut tx)
            .await?
            .into_iter()
            .map(|r| (r.id, if ctx_is_en(ctx) { r.name_en } else { r.name_zh }))
            .collect();
        let engineers: Vec<i64> = rows.iter().filter_map(|r| r.engineer_id).collect();
        let engineer_names = display_names(&mut tx, engineers).await?;
        let (met, breached) = rows
            .iter()
            .fold((0, 0), |(m, b), r| (m + r.met, b + r.breached));
        let by_milestone = group(&rows, |r| r.milestone.clone())
            .into_iter()
            .map(|(k, m, b)| compliance(k, String::new(), m, b))
            .collect();
        let by_region = group(&rows, |r| r.region_id)
            .into_iter()
            .map(|(k, m, b)| {
                let name = region_names.get(&k).cloned().unwrap_or_default();
                compliance(k.to_string(), name, m, b)
            })
            .collect();
        let by_engineer = group(&rows, |r| r.engineer_id.unwrap_or(0))
            .into_iter()
            .map(|(k, m, b)| {
                let name = engineer_names.get(&k).cloned().unwrap_or_default();
                compliance(k.to_string(), name, m, b)
            })
            .collect();
        Ok(SlaBoard {
            now_ms: now,
            from,
            to,
            buckets,
            urgent,
            breaches: breached,
            total: compliance("total".into(), String::new(), met, breached),
            by_milestone,
            by_region,
            by_engineer,
        })
    }
}

/// Region names in the caller's language.
fn ctx_is_en(ctx: &Ctx) -> bool {
    ctx.actor.locale.starts_with("en")
}
