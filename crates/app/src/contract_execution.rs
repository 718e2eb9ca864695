//! CON-3/4/5 on signed contracts: execution problems and their escalation to management
//! (CON-4), the fulfilment rate per rep and company (CON-5), and the ledger (台账) as a
//! spreadsheet (CON-3).

use std::collections::BTreeMap;

use jiff::ToSpan;
use jiff::civil::Date;
use medcrm_domain::contracts::{ContractStatus, rate_bp};
use medcrm_domain::pipeline::format_yuan;
pub use medcrm_store::contracts::ProblemRecord;
use medcrm_store::contracts::{self as store, FulfilmentRow};
use medcrm_store::notifications::{self as inbox, NewNotification};
use medcrm_store::{Tx, settings, users};

use crate::contracts::{
    ContractQuery, ContractRecord, contract_record, status_of, visible_contract,
};
use crate::customers::{check_text, display_names, parse_date, today};
use crate::error::Fields;
use crate::imports::{MAX_ROWS, Row, Table};
use crate::org::{region_tree, visibility};
use crate::policy::{self, Action};
use crate::{App, Ctx, Error, MAX_PAGE_SIZE, Result, audit, now_ms};

const ESCALATION_DAYS_KEY: &str = "contracts.problem_escalation_days";
/// CON-4: an execution problem still open after this many calendar days goes to management.
pub const DEFAULT_ESCALATION_DAYS: i64 = 3;
const MAX_ESCALATION_DAYS: i64 = 90;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

async fn escalation_days(tx: &mut Tx) -> Result<i64> {
    Ok(settings::get(tx, ESCALATION_DAYS_KEY)
        .await?
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(DEFAULT_ESCALATION_DAYS))
}

/// CON-5 for one rep (or the company): of the contracts due in the period, how many were
/// fully delivered and how many of those on time; the rates in basis points (`None` when
/// nothing was due).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fulfilment {
    pub owner_id: Option<i64>,
    pub owner_name: String,
    pub due: i64,
    pub fulfilled: i64,
    pub on_time: i64,
    pub rate_bp: Option<i64>,
    pub on_time_rate_bp: Option<i64>,
}

impl Fulfilment {
    fn of(owner_id: Option<i64>, owner_name: String, r: &FulfilmentRow) -> Self {
        Fulfilment {
            owner_id,
            owner_name,
            due: r.due,
            fulfilled: r.fulfilled,
            on_time: r.on_time,
            rate_bp: rate_bp(r.fulfilled, r.due),
            on_time_rate_bp: rate_bp(r.on_time, r.due),
        }
    }
}

/// CON-5 report: the period, the company line (over the caller's scope) and one per rep.
#[derive(Debug, Clone)]
pub struct FulfilmentReport {
    pub from: Date,
    pub to: Date,
    pub company: Fulfilment,
    pub reps: Vec<Fulfilment>,
}

/// The ledger's columns: `(zh, en)`.
const LEDGER_COLUMNS: [(&str, &str); 13] = [
    ("合同编号", "number"),
    ("合同名称", "title"),
    ("客户", "customer"),
    ("负责人", "owner"),
    ("状态", "status"),
    ("版本", "version"),
    ("签订日期", "signed_on"),
    ("合同金额（元）", "total"),
    ("已发货（元）", "delivered"),
    ("已开票（元）", "invoiced"),
    ("已回款（元）", "collected"),
    ("未回款（元）", "open"),
    ("终止/完成原因", "closed_reason"),
];

impl App {
    /// CON-4: a contract's execution problems, newest first.
    pub async fn contract_problems(&self, ctx: &Ctx, id: i64) -> Result<Vec<ProblemRecord>> {
        let mut tx = self.db.read().await?;
        visible_contract(&mut tx, ctx, Action::ReadContracts, id).await?;
        Ok(store::problems_of(&mut tx, id).await?)
    }

    /// CON-4: logs a problem met while executing a binding contract.
    pub async fn log_contract_problem(
        &self,
        ctx: &Ctx,
        id: i64,
        description: &str,
    ) -> Result<ProblemRecord> {
        let description = description.trim();
        let mut fields = Fields::default();
        check_text(&mut fields, "description", description, 2, 2000);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let k = visible_contract(&mut tx, ctx, Action::ManageContracts, id).await?;
        if !status_of(&k)?.binding() {
            return Err(Error::conflict(
                Some("status"),
                "problems are logged on a signed contract being executed",
            ));
        }
        let pid =
            store::insert_problem(&mut tx, id, description, ctx.actor.user_id, now_ms()).await?;
        let after = problem_record(&mut tx, pid).await?;
        audit::record(
            &mut tx,
            ctx,
            "contract_problem",
            pid,
            "log",
            None,
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// CON-4: closes an open problem with how it was resolved (409 when already resolved).
    pub async fn resolve_contract_problem(
        &self,
        ctx: &Ctx,
        id: i64,
        problem_id: i64,
        resolution: &str,
    ) -> Result<ProblemRecord> {
        let resolution = resolution.trim();
        let mut fields = Fields::default();
        check_text(&mut fields, "resolution", resolution, 2, 2000);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        visible_contract(&mut tx, ctx, Action::ManageContracts, id).await?;
        let before = problem_record(&mut tx, problem_id).await?;
        if before.contract_id != id {
            return Err(Error::NotFound("problem"));
        }
        store::resolve_problem(&mut tx, problem_id, resolution, ctx.actor.user_id, now_ms())
            .await
            .map_err(|_| Error::conflict(Some("status"), "the problem is already resolved"))?;
        let after = problem_record(&mut tx, problem_id).await?;
        audit::record(
            &mut tx,
            ctx,
            "contract_problem",
            problem_id,
            "resolve",
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// CON-4: after how many calendar days an open problem escalates.
    pub async fn problem_escalation_days(&self, ctx: &Ctx) -> Result<i64> {
        policy::require(&ctx.actor, Action::ReadContracts)?;
        let mut tx = self.db.read().await?;
        escalation_days(&mut tx).await
    }

    pub async fn set_problem_escalation_days(&self, ctx: &Ctx, days: i64) -> Result<i64> {
        policy::require(&ctx.actor, Action::ConfigureContracts)?;
        if !(0..=MAX_ESCALATION_DAYS).contains(&days) {
            return Err(Error::invalid(
                "problem_escalation_days",
                format!("0 to {MAX_ESCALATION_DAYS} days"),
            ));
        }
        let mut tx = self.db.write().await?;
        let before = settings::get(&mut tx, ESCALATION_DAYS_KEY).await?;
        let value = days.to_string();
        settings::set(&mut tx, ESCALATION_DAYS_KEY, &value).await?;
        audit::record(
            &mut tx,
            ctx,
            "setting",
            ESCALATION_DAYS_KEY,
            "update",
            before.as_ref().map(|b| b as &dyn audit::ErasedJson),
            Some(&value),
        )
        .await?;
        tx.commit().await?;
        Ok(days)
    }

    /// CON-4, hourly: each problem open longer than the configured days goes, once, to the
    /// sales managers of the contract's region (up the tree) and to the sales directors.
    /// Returns how many problems were escalated.
    pub async fn escalate_contract_problems(&self) -> Result<u64> {
        let mut tx = self.db.write().await?;
        let days = escalation_days(&mut tx).await?;
        let now = now_ms();
        let due = store::problems_to_escalate(&mut tx, now - days * DAY_MS).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let tree = region_tree(&mut tx).await?;
        let role = |r: &str, regions: Option<Vec<i64>>| users::Filter {
            role: Some(r.into()),
            visible_regions: regions,
            ..Default::default()
        };
        let directors: Vec<i64> =
            users::list(&mut tx, &role("sales_director", None), 0, MAX_PAGE_SIZE)
                .await?
                .items
                .into_iter()
                .map(|u| u.id)
                .collect();
        let mut escalated = 0;
        for p in due {
            if !store::mark_escalated(&mut tx, p.id, now).await? {
                continue;
            }
            escalated += 1;
            let k = contract_record(&mut tx, p.contract_id).await?;
            let mut chain = tree.ancestors(k.region_id);
            chain.push(k.region_id);
            let mut to: Vec<i64> = users::list(
                &mut tx,
                &role("sales_manager", Some(chain)),
                0,
                MAX_PAGE_SIZE,
            )
            .await?
            .items
            .into_iter()
            .map(|u| u.id)
            .chain(directors.iter().copied())
            .collect();
            to.sort_unstable();
            to.dedup();
            let subject = format!("{} {}", k.number, k.title);
            let link = format!("/contracts/{}#problems", k.id);
            for user_id in to {
                let n = NewNotification {
                    user_id,
                    kind: "contract_problem_escalated",
                    subject: &subject,
                    detail: &p.description,
                    link: &link,
                    dedupe_key: &format!("contract_problem_escalated:{}:{user_id}", p.id),
                };
                inbox::add(&mut tx, &n, now).await?;
            }
        }
        tx.commit().await?;
        Ok(escalated)
    }

    /// CON-5 履约率 over `[from, to]` (default: the current year). Counted: signed contracts,
    /// not terminated, whose delivery date in the version in force falls in the period.
    /// Fulfilled: everything delivered (delivered ≥ total). On time: fulfilled and the last
    /// shipment's ship date on or before that delivery date. A rep sees their own, a manager
    /// the region, a director the company.
    pub async fn fulfilment(
        &self,
        ctx: &Ctx,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<FulfilmentReport> {
        let mut fields = Fields::default();
        let this_year = today().first_of_year();
        let from = parse_date(&mut fields, "from", from).unwrap_or(this_year);
        let to = parse_date(&mut fields, "to", to).unwrap_or(this_year.last_of_year());
        if to < from {
            fields.add("to", "on or after the start");
        } else if from.checked_add(1.year()).is_ok_and(|y| to > y) {
            fields.add("to", "at most a year after the start");
        }
        fields.finish()?;
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadContracts).await?;
        let (f, t) = (from.to_string(), to.to_string());
        let rows = store::fulfilment(
            &mut tx,
            (&f, &t),
            visible.only_user(),
            visible.regions().as_deref(),
        )
        .await?;
        let names = display_names(&mut tx, rows.iter().map(|r| r.owner_id).collect()).await?;
        let total = rows.iter().fold(
            FulfilmentRow {
                owner_id: 0,
                due: 0,
                fulfilled: 0,
                on_time: 0,
            },
            |sum, r| FulfilmentRow {
                due: sum.due + r.due,
                fulfilled: sum.fulfilled + r.fulfilled,
                on_time: sum.on_time + r.on_time,
                ..sum
            },
        );
        Ok(FulfilmentReport {
            from,
            to,
            company: Fulfilment::of(None, String::new(), &total),
            reps: rows
                .iter()
                .map(|r| {
                    let name = names.get(&r.owner_id).cloned().unwrap_or_default();
                    Fulfilment::of(Some(r.owner_id), name, r)
                })
                .collect(),
        })
    }

    /// CON-3: the ledger as the list shows it for `query` (the caller's scope only) as a
    /// table; headers in Chinese, or English codes when `english`. More than [`MAX_ROWS`]
    /// contracts are refused: narrow the filters.
    pub async fn export_contracts(
        &self,
        ctx: &Ctx,
        query: &ContractQuery,
        english: bool,
    ) -> Result<Table> {
        let mut q = ContractQuery {
            cursor: None,
            limit: Some(MAX_PAGE_SIZE),
            ..query.clone()
        };
        let mut all: Vec<ContractRecord> = Vec::new();
        loop {
            let page = self.contracts(ctx, q.clone()).await?;
            all.extend(page.items);
            if all.len() > MAX_ROWS {
                return Err(Error::invalid(
                    "filters",
                    format!("more than {MAX_ROWS} contracts match; narrow the filters to export"),
                ));
            }
            match page.next_cursor {
                Some(c) => q.cursor = Some(c),
                None => break,
            }
        }
        let owners: BTreeMap<i64, String> = {
            let mut tx = self.db.read().await?;
            let mut ids: Vec<i64> = all.iter().map(|k| k.owner_id).collect();
            ids.sort_unstable();
            ids.dedup();
            display_names(&mut tx, ids).await?
        };
        let rows = (2_u32..)
            .zip(&all)
            .map(|(number, k)| {
                let status = match (english, k.status.parse::<ContractStatus>()) {
                    (false, Ok(s)) => s.label_zh().to_owned(),
                    _ => k.status.clone(),
                };
                Row {
                    number,
                    cells: vec![
                        k.number.clone(),
                        k.title.clone(),
                        k.institution_name.clone(),
                        owners.get(&k.owner_id).cloned().unwrap_or_default(),
                        status,
                        k.version.to_string(),
                        k.signed_on.clone().unwrap_or_default(),
                        format_yuan(k.total_fen),
                        format_yuan(k.delivered_fen),
                        format_yuan(k.invoiced_fen),
                        format_yuan(k.collected_fen),
                        format_yuan(k.invoiced_fen - k.collected_fen),
                        k.closed_reason.clone(),
                    ],
                }
            })
            .collect();
        Ok(Table {
            header_row: 1,
            headers: LEDGER_COLUMNS
                .iter()
                .map(|(zh, en)| (if english { *en } else { *zh }).to_owned())
                .collect(),
            rows,
            numeric: vec![5],
            sheet: if english { "contracts" } else { "合同台账" }.to_owned(),
        })
    }
}

async fn problem_record(tx: &mut Tx, id: i64) -> Result<ProblemRecord> {
    store::get_problem(tx, id)
        .await?
        .ok_or(Error::NotFound("problem"))
}
