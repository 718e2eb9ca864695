//! FIN-1 aging and FIN-2 collection: the dunning log the rep keeps on their own customers,
//! and the hourly escalation of overdue invoices to the rep, their manager, then finance and
//! the director, at configurable thresholds.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use jiff::ToSpan;
use jiff::civil::Date;
use medcrm_domain::org::RegionTree;
use medcrm_domain::pipeline::format_yuan;
use medcrm_domain::receivables::{
    Aging, Cutoffs, DunningKind, Escalation, EscalationLevel, days_overdue,
};
use medcrm_store::notifications::{self as inbox, NewNotification};
use medcrm_store::receivables::{self as store, AgingCutoffs, GroupBy, NewDunning, OverdueInvoice};
use medcrm_store::{Tx, settings, users};

use super::{DUNNING_SHOWN, DunningRecord, scope_of, visible_invoice};
use crate::customers::{check_text, numbers, parse_date, today, visible_institution};
use crate::error::Fields;
use crate::org::{blank_to_none, region_tree, visibility};
use crate::policy::{self, Action};
use crate::{App, Ctx, Error, Result, audit, now_ms};

const ESCALATION_KEY: &str = "receivables.escalation_days";
/// Overdue invoices read per transaction by the escalation job.
const ESCALATION_BATCH: i64 = 500;

/// One group's open receivables per bucket.
#[derive(Debug, Clone)]
pub struct AgingGroup {
    pub key: i64,
    pub name: String,
    pub aging: Aging,
}

#[derive(Debug, Clone)]
pub struct AgingReport {
    pub as_of: Date,
    pub group_by: GroupBy,
    pub groups: Vec<AgingGroup>,
    pub total: Aging,
}

#[derive(Debug, Clone, Default)]
pub struct DunningInput {
    pub institution_id: i64,
    /// The invoice chased, when one is.
    pub invoice_id: Option<i64>,
    pub kind: String,
    pub note: String,
    /// The date the customer promised to pay.
    pub promised_on: Option<String>,
}

/// The configured FIN-2 thresholds, or 1 / 30 / 90 days.
async fn escalation(tx: &mut Tx) -> Result<Escalation> {
    let n = settings::get(tx, ESCALATION_KEY)
        .await?
        .map(|t| numbers(&t))
        .unwrap_or_default();
    Ok(match n[..] {
        [rep_days, manager_days, finance_days] => Escalation {
            rep_days,
            manager_days,
            finance_days,
        },
        _ => Escalation::default(),
    })
}

fn text(e: &Escalation) -> String {
    format!("{},{},{}", e.rep_days, e.manager_days, e.finance_days)
}

/// Active users holding `role`, within `regions` when given.
pub(crate) async fn holders(
    tx: &mut Tx,
    role: &str,
    regions: Option<Vec<i64>>,
) -> Result<Vec<i64>> {
    let filter = users::Filter {
        role: Some(role.into()),
        visible_regions: regions,
        ..Default::default()
    };
    Ok(users::list(tx, &filter, 0, crate::MAX_PAGE_SIZE)
        .await?
        .items
        .into_iter()
        .map(|u| u.id)
        .collect())
}

/// Who is told at each level, read once per region (managers) or once (finance and the
/// director) per job run.
#[derive(Default)]
struct Recipients {
    managers: BTreeMap<i64, Vec<i64>>,
    top: Option<Vec<i64>>,
}

impl Recipients {
    async fn of(
        &mut self,
        tx: &mut Tx,
        tree: &RegionTree,
        level: EscalationLevel,
        v: &OverdueInvoice,
    ) -> Result<Vec<i64>> {
        Ok(match level {
            EscalationLevel::Rep => vec![v.owner_id],
            EscalationLevel::Manager => match self.managers.entry(v.region_id) {
                Entry::Occupied(e) => e.get().clone(),
                Entry::Vacant(slot) => {
                    let mut chain = tree.ancestors(v.region_id);
                    chain.push(v.region_id);
                    slot.insert(holders(tx, "sales_manager", Some(chain)).await?)
                        .clone()
                }
            },
            EscalationLevel::Finance => match &self.top {
                Some(ids) => ids.clone(),
                None => {
                    let mut ids = holders(tx, "finance", None).await?;
                    ids.extend(holders(tx, "sales_director", None).await?);
                    self.top.insert(ids).clone()
                }
            },
        })
    }
}

impl App {
    /// FIN-1: open receivables per bucket (not yet due, 1–30, 31–60, 61–90, > 90 days past
    /// due) on `as_of`, per customer, rep or region, with the total, in the caller's scope.
    /// One aggregate query whatever the number of invoices.
    pub async fn aging(&self, ctx: &Ctx, as_of: Date, group_by: GroupBy) -> Result<AgingReport> {
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadReceivables).await?;
        let c = Cutoffs::new(as_of);
        let cutoffs = AgingCutoffs {
            not_due: c.not_due.to_string(),
            d1_30: c.d1_30.to_string(),
            d31_60: c.d31_60.to_string(),
            d61_90: c.d61_90.to_string(),
        };
        let rows = store::aging(&mut tx, group_by, &cutoffs, &scope_of(&visible)).await?;
        let mut total = Aging::default();
        let groups = rows
            .into_iter()
            .map(|r| {
                let aging = Aging {
                    not_due: r.not_due,
                    d1_30: r.d1_30,
                    d31_60: r.d31_60,
                    d61_90: r.d61_90,
                    over_90: r.over_90,
                };
                total.add(&aging);
                AgingGroup {
                    key: r.key,
                    name: r.name,
                    aging,
                }
            })
            .collect();
        Ok(AgingReport {
            as_of,
            group_by,
            groups,
            total,
        })
    }

    /// FIN-2: the rep logs a collection action (phone, letter, legal) on one of their own
    /// customers, optionally on one invoice, with the date the customer promised to pay.
    /// Another rep's customer is "not found".
    pub async fn log_dunning(&self, ctx: &Ctx, input: DunningInput) -> Result<DunningRecord> {
        policy::require(&ctx.actor, Action::LogDunning)?;
        let mut fields = Fields::default();
        fields.check("kind", input.kind.parse::<DunningKind>().map(|_| ()));
        check_text(&mut fields, "note", &input.note, 2, 2000);
        let promised = parse_date(&mut fields, "promised_on", input.promised_on.as_deref());
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let (institution, _) =
            visible_institution(&mut tx, ctx, Action::LogDunning, input.institution_id).await?;
        let invoice = match input.invoice_id {
            None => None,
            Some(id) => {
                let v = visible_invoice(&mut tx, ctx, Action::LogDunning, id).await?;
                if v.institution_id != institution.id {
                    return Err(Error::invalid(
                        "invoice_id",
                        "the invoice belongs to another customer",
                    ));
                }
                Some(v)
            }
        };
        let promised_on = promised.map(|d| d.to_string());
        let new = NewDunning {
            institution_id: institution.id,
            contract_id: invoice.as_ref().map(|v| v.contract_id),
            invoice_id: invoice.as_ref().map(|v| v.id),
            region_id: institution.region_id,
            owner_id: institution.owner_id,
            kind: input.kind.trim(),
            note: input.note.trim(),
            promised_on: promised_on.as_deref(),
        };
        let id = store::insert_dunning(&mut tx, &new, ctx.actor.user_id, now_ms()).await?;
        let record = store::get_dunning(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("dunning entry"))?;
        audit::record(&mut tx, ctx, "dunning", id, "create", None, Some(&record)).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// FIN-2: the dunning log of a customer in the caller's scope, newest first.
    pub async fn customer_dunning(
        &self,
        ctx: &Ctx,
        institution_id: i64,
    ) -> Result<Vec<DunningRecord>> {
        let mut tx = self.db.read().await?;
        let (institution, _) =
            visible_institution(&mut tx, ctx, Action::ReadReceivables, institution_id).await?;
        Ok(store::dunning_of(&mut tx, Some(institution.id), None, DUNNING_SHOWN).await?)
    }

    /// FIN-2: after how many overdue days the rep, their manager, then finance and the
    /// director are told.
    pub async fn escalation_rule(&self, ctx: &Ctx) -> Result<Escalation> {
        policy::require(&ctx.actor, Action::ReadReceivables)?;
        let mut tx = self.db.read().await?;
        escalation(&mut tx).await
    }

    pub async fn set_escalation_rule(&self, ctx: &Ctx, rule: Escalation) -> Result<Escalation> {
        policy::require(&ctx.actor, Action::ConfigureReceivables)?;
        rule.validate()
            .map_err(|e| Error::invalid("finance_days", e))?;
        let mut tx = self.db.write().await?;
        let before = escalation(&mut tx).await?;
        settings::set(&mut tx, ESCALATION_KEY, &text(&rule)).await?;
        audit::record(
            &mut tx,
            ctx,
            "setting",
            ESCALATION_KEY,
            "update",
            Some(&text(&before)),
            Some(&text(&rule)),
        )
        .await?;
        tx.commit().await?;
        Ok(rule)
    }

    /// FIN-2 (hourly job): tells the rep of every overdue invoice, and past the later
    /// thresholds their region's managers, then finance and the director; once per invoice,
    /// threshold and person. Returns how many notifications were new.
    pub async fn send_receivable_reminders(&self) -> Result<u64> {
        let today = today();
        let rule = {
            let mut tx = self.db.read().await?;
            escalation(&mut tx).await?
        };
        let first_due = today
            .checked_sub((i64::from(rule.rep_days) - 1).days())
            .map_err(|e| Error::Internal(e.to_string()))?;
        let mut recipients = Recipients::default();
        let mut added = 0;
        let mut after = 0;
        loop {
            let mut tx = self.db.write().await?;
            let batch =
                store::overdue(&mut tx, &first_due.to_string(), after, ESCALATION_BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            let tree = region_tree(&mut tx).await?;
            for v in &batch {
                let due: Date = v
                    .due_on
                    .parse()
                    .map_err(|_| Error::Internal(v.due_on.clone()))?;
                let days = days_overdue(due, today);
                for level in rule.reached(days) {
                    let to = recipients.of(&mut tx, &tree, level, v).await?;
                    let detail = format!(
                        "{}|{}|{}|{}",
                        level.code(),
                        v.number,
                        v.due_on,
                        format_yuan(v.open_fen)
                    );
                    for user in to {
                        let n = NewNotification {
                            user_id: user,
                            kind: "receivable_overdue",
                            subject: &v.institution_name,
                            detail: &detail,
                            link: &format!("/receivables/invoices/{}", v.id),
                            dedupe_key: &format!(
                                "receivable_overdue:{}:{}:{user}",
                                v.id,
                                level.code()
                            ),
                        };
                        added += u64::from(inbox::add(&mut tx, &n, now_ms()).await?);
                    }
                }
            }
            tx.commit().await?;
        }
        Ok(added)
    }
}

/// Parses an optional `as_of` (today when blank).
pub fn as_of(text: Option<&str>) -> Result<Date> {
    let mut fields = Fields::default();
    let d = parse_date(&mut fields, "as_of", text);
    fields.finish()?;
    Ok(d.unwrap_or_else(today))
}

/// Parses `customer`, `rep` or `region` (default customer).
pub fn group_by(text: Option<&str>) -> Result<GroupBy> {
    match blank_to_none(text.map(str::to_owned)).as_deref() {
        None | Some("customer") => Ok(GroupBy::Customer),
        Some("rep") => Ok(GroupBy::Rep),
        Some("region") => Ok(GroupBy::Region),
        Some(_) => Err(Error::invalid("group_by", "one of customer, rep, region")),
    }
}
