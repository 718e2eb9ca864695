//! FIN-1…3: finance records invoices against signed contracts and payments allocated to
//! them (FIN-1); aging, collection with the dunning log and overdue escalation (FIN-2) are in
//! [`collection`]; the customer statement and the revenue/cost/receivables report (FIN-3) in
//! [`reports`]. The contract ledger's invoiced and collected amounts move in the same
//! transaction as the rows here.

pub(crate) mod collection;
mod reports;

use jiff::ToSpan;
use jiff::civil::Date;
use medcrm_domain::pipeline::{format_yuan, parse_yuan};
use medcrm_domain::receivables::{
    AllocationError, InvoiceStatus, OpenInvoice, PaymentMethod, allocate_oldest_first,
    check_allocations, invoiceable,
};
use medcrm_store::Tx;
use medcrm_store::contracts::{self as contracts, ContractRecord};
use medcrm_store::receivables::{self as store, NewInvoice, NewPayment};
pub use medcrm_store::receivables::{
    AllocationRecord, DunningRecord, GroupBy, InvoiceRecord, PaymentRecord,
};

pub use collection::{AgingGroup, AgingReport, DunningInput, as_of, group_by};
pub use reports::{ReportLine, RevenueReport, Statement, StatementLine, percent, period};

use crate::customers::{check_text, parse_date, today};
use crate::error::Fields;
use crate::org::{blank_to_none, visibility};
use crate::policy::{self, Action, Visible};
use crate::{App, Ctx, Error, Page, Result, audit, now_ms};

/// Dunning entries shown with an invoice or a customer.
const DUNNING_SHOWN: i64 = 100;

#[derive(Debug, Clone, Default)]
pub struct InvoiceInput {
    pub contract_id: i64,
    /// The tax invoice number (发票号码).
    pub number: String,
    pub issued_on: String,
    /// Yuan as typed.
    pub amount: String,
    /// Yuan; empty means 0 (FIN-3 margin then counts the whole amount).
    pub cost: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct InvoiceQuery {
    pub status: Option<String>,
    pub contract_id: Option<i64>,
    pub institution_id: Option<i64>,
    /// Only open invoices past their due date today.
    pub overdue: bool,
    pub query: Option<String>,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

/// An invoice with what was paid on it and how it was chased.
#[derive(Debug, Clone)]
pub struct InvoiceDetail {
    pub record: InvoiceRecord,
    pub allocations: Vec<AllocationRecord>,
    pub dunning: Vec<DunningRecord>,
}

#[derive(Debug, Clone, Default)]
pub struct PaymentInput {
    pub contract_id: i64,
    pub received_on: String,
    /// Yuan as typed.
    pub amount: String,
    pub method: String,
    pub reference: String,
    /// `(invoice id, yuan)`; empty: oldest due first.
    pub allocations: Vec<(i64, String)>,
}

#[derive(Debug, Clone)]
pub struct PaymentDetail {
    pub record: PaymentRecord,
    pub allocations: Vec<AllocationRecord>,
}

/// A contract's receivables: the ledger, its invoices and payments.
#[derive(Debug, Clone)]
pub struct ContractReceivables {
    pub contract: ContractRecord,
    pub invoices: Vec<InvoiceRecord>,
    pub payments: Vec<PaymentRecord>,
}

/// What a payment of an amount would settle, before it is recorded.
#[derive(Debug, Clone)]
pub struct AllocationPreview {
    pub open_fen: i64,
    /// `(invoice, fen)` oldest due first.
    pub lines: Vec<(InvoiceRecord, i64)>,
}

/// The read scope of receivables as a store filter.
pub(crate) fn scope_of(visible: &Visible) -> store::Scope {
    store::Scope {
        regions: visible.regions(),
        owner: visible.only_user(),
    }
}

fn can_see(visible: &Visible, owner: i64, region: i64) -> bool {
    policy::can_see(visible, Some(owner), &[region])
}

/// The invoice if the caller's scope for `action` reaches it; "not found" otherwise.
pub(crate) async fn visible_invoice(
    tx: &mut Tx,
    ctx: &Ctx,
    action: Action,
    id: i64,
) -> Result<InvoiceRecord> {
    let (visible, _) = visibility(tx, ctx, action).await?;
    store::get_invoice(tx, id)
        .await?
        .filter(|v| can_see(&visible, v.owner_id, v.region_id))
        .ok_or(Error::NotFound("invoice"))
}

/// The contract if the caller's scope for `action` reaches it; "not found" otherwise.
async fn visible_contract(
    tx: &mut Tx,
    ctx: &Ctx,
    action: Action,
    id: i64,
) -> Result<ContractRecord> {
    let (visible, _) = visibility(tx, ctx, action).await?;
    contracts::get(tx, id)
        .await?
        .filter(|k| can_see(&visible, k.owner_id, k.region_id))
        .ok_or(Error::NotFound("contract"))
}

/// A contract money is booked against, in scope (else 422 on the field).
async fn booked_contract(tx: &mut Tx, ctx: &Ctx, id: i64) -> Result<ContractRecord> {
    visible_contract(tx, ctx, Action::ManageReceivables, id)
        .await
        .map_err(|e| match e {
            Error::NotFound(_) => Error::invalid("contract_id", "no such contract"),
            other => other,
        })
}

/// A contract that may be invoiced: signed, in execution, changed or completed.
async fn billable_contract(tx: &mut Tx, ctx: &Ctx, id: i64) -> Result<ContractRecord> {
    let contract = booked_contract(tx, ctx, id).await?;
    if !invoiceable(&contract.status) {
        return Err(Error::Refused {
            code: "contract_not_billable",
            field: "contract_id",
            message: format!(
                "contract {} is {}: only a signed, executing, changed or completed contract is billed",
                contract.number, contract.status
            ),
        });
    }
    Ok(contract)
}

/// A past-or-today date, required.
fn booked_on(fields: &mut Fields, field: &'static str, text: &str) -> Option<Date> {
    match parse_date(fields, field, Some(text)) {
        None => {
            fields.add(field, "a date looks like 2026-11-25");
            None
        }
        Some(d) if d > today() => {
            fields.add(field, "cannot be in the future");
            None
        }
        d => d,
    }
}

/// An amount above zero.
fn positive_yuan(fields: &mut Fields, field: &'static str, text: &str) -> i64 {
    match parse_yuan(text) {
        Ok(0) => {
            fields.add(field, "an amount above zero");
            0
        }
        Ok(f) => f,
        Err(e) => {
            fields.add(field, e);
            0
        }
    }
}

fn open_of(invoices: &[InvoiceRecord]) -> Result<Vec<OpenInvoice>> {
    invoices
        .iter()
        .map(|v| {
            Ok(OpenInvoice {
                id: v.id,
                due_on: v
                    .due_on
                    .parse()
                    .map_err(|_| Error::Internal(v.due_on.clone()))?,
                open_fen: v.amount_fen - v.paid_fen,
            })
        })
        .collect()
}

fn allocation_error(e: AllocationError) -> Error {
    match e {
        AllocationError::Overpayment { open } => Error::Refused {
            code: "overpayment",
            field: "amount",
            message: format!(
                "the payment is more than the contract's open invoiced amount of ¥{}",
                format_yuan(open)
            ),
        },
        AllocationError::UnknownInvoice(id) => Error::invalid(
            "allocations",
            format!("invoice {id} is not an open invoice of this contract"),
        ),
        AllocationError::ExceedsInvoice(id) => {
            Error::invalid("allocations", format!("more than is open on invoice {id}"))
        }
        AllocationError::Mismatch { allocated } => Error::invalid(
            "allocations",
            format!(
                "the allocations add up to ¥{}, not the payment amount",
                format_yuan(allocated)
            ),
        ),
    }
}

async fn invoice_record(tx: &mut Tx, id: i64) -> Result<InvoiceRecord> {
    store::get_invoice(tx, id)
        .await?
        .ok_or(Error::NotFound("invoice"))
}

impl App {
    /// FIN-1: invoices in the caller's scope (rep own, manager region, finance and the top
    /// company), newest first.
    pub async fn invoices(&self, ctx: &Ctx, q: &InvoiceQuery) -> Result<Page<InvoiceRecord>> {
        let limit = crate::page_size(q.limit)?;
        let status = blank_to_none(q.status.clone());
        if let Some(s) = &status {
            s.parse::<InvoiceStatus>()
                .map_err(|e| Error::invalid("status", e))?;
        }
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadReceivables).await?;
        let filter = store::InvoiceFilter {
            of: store::Filter {
                contract_id: q.contract_id,
                institution_id: q.institution_id,
                scope: scope_of(&visible),
            },
            status,
            overdue_before: q.overdue.then(|| today().to_string()),
            query: blank_to_none(q.query.clone()),
        };
        Ok(store::list_invoices(&mut tx, &filter, q.cursor, limit).await?)
    }

    pub async fn invoice(&self, ctx: &Ctx, id: i64) -> Result<InvoiceDetail> {
        let mut tx = self.db.read().await?;
        let record = visible_invoice(&mut tx, ctx, Action::ReadReceivables, id).await?;
        Ok(InvoiceDetail {
            allocations: store::allocations_of_invoice(&mut tx, id).await?,
            dunning: store::dunning_of(&mut tx, None, Some(id), DUNNING_SHOWN).await?,
            record,
        })
    }

    /// FIN-1: finance records an invoice against a billable contract. Due = issued + the
    /// payment days of the version in force; the number is unique (409); all invoices of a
    /// contract together never exceed its total (422 `over_contract_total`).
    pub async fn create_invoice(&self, ctx: &Ctx, input: InvoiceInput) -> Result<InvoiceRecord> {
        policy::require(&ctx.actor, Action::ManageReceivables)?;
        let mut fields = Fields::default();
        check_text(&mut fields, "number", &input.number, 1, 40);
        let issued_on = booked_on(&mut fields, "issued_on", &input.issued_on);
        let amount_fen = positive_yuan(&mut fields, "amount", &input.amount);
        let cost_fen = match blank_to_none(input.cost.clone()) {
            None => 0,
            Some(text) => parse_yuan(&text)
                .map_err(|e| fields.add("cost", e))
                .unwrap_or(0),
        };
        fields.finish()?;
        let issued_on = issued_on.ok_or_else(|| Error::invalid("issued_on", "required"))?;
        let mut tx = self.db.write().await?;
        let contract = billable_contract(&mut tx, ctx, input.contract_id).await?;
        let version = contract.effective_version.unwrap_or(contract.version);
        let terms = contracts::terms(&mut tx, contract.id, version)
            .await?
            .ok_or(Error::NotFound("contract terms"))?;
        let days = i32::try_from(terms.payment_days).unwrap_or(0);
        let due_on = issued_on
            .checked_add(days.days())
            .map_err(|_| Error::invalid("issued_on", "out of range"))?;
        let number = input.number.trim();
        let new = NewInvoice {
            number,
            contract_id: contract.id,
            institution_id: contract.institution_id,
            owner_id: contract.owner_id,
            region_id: contract.region_id,
            issued_on: &issued_on.to_string(),
            due_on: &due_on.to_string(),
            amount_fen,
            cost_fen,
        };
        let id = store::insert_invoice(&mut tx, &new, ctx.actor.user_id, now_ms())
            .await
            .map_err(|e| match e {
                medcrm_store::Error::Conflict(_) => Error::conflict(
                    Some("number"),
                    format!("invoice number {number} is already recorded"),
                ),
                other => other.into(),
            })?;
        contracts::add_invoiced(&mut tx, contract.id, amount_fen, now_ms()).await?;
        // Checked after the ledger moved: a concurrent invoice on the same contract waits for
        // this row lock, then sees the new total.
        let after = contracts::get(&mut tx, contract.id)
            .await?
            .ok_or(Error::NotFound("contract"))?;
        if after.invoiced_fen > after.total_fen {
            return Err(Error::Refused {
                code: "over_contract_total",
                field: "amount",
                message: format!(
                    "invoices would total ¥{}, more than the contract's ¥{}",
                    format_yuan(after.invoiced_fen),
                    format_yuan(after.total_fen)
                ),
            });
        }
        let record = invoice_record(&mut tx, id).await?;
        audit::record(&mut tx, ctx, "invoice", id, "create", None, Some(&record)).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// FIN-1: voids an invoice nothing was paid on (a reason is required and audited); the
    /// contract's invoiced amount drops by it.
    pub async fn void_invoice(&self, ctx: &Ctx, id: i64, reason: &str) -> Result<InvoiceRecord> {
        policy::require(&ctx.actor, Action::ManageReceivables)?;
        let mut fields = Fields::default();
        check_text(&mut fields, "reason", reason, 2, 500);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let before = visible_invoice(&mut tx, ctx, Action::ManageReceivables, id).await?;
        store::void_invoice(&mut tx, id, reason.trim())
            .await
            .map_err(|_| {
                Error::conflict(
                    Some("status"),
                    "only an open invoice with nothing paid on it can be voided",
                )
            })?;
        contracts::add_invoiced(&mut tx, before.contract_id, -before.amount_fen, now_ms()).await?;
        let after = invoice_record(&mut tx, id).await?;
        audit::record(
            &mut tx,
            ctx,
            "invoice",
            id,
            "void",
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// FIN-1: how a payment of `amount` would be spread over the contract's open invoices
    /// (oldest due first), for the payment form's preview.
    pub async fn preview_allocation(
        &self,
        ctx: &Ctx,
        contract_id: i64,
        amount: &str,
    ) -> Result<AllocationPreview> {
        let mut fields = Fields::default();
        let amount_fen = positive_yuan(&mut fields, "amount", amount);
        fields.finish()?;
        let mut tx = self.db.read().await?;
        let contract =
            visible_contract(&mut tx, ctx, Action::ManageReceivables, contract_id).await?;
        let invoices = store::open_invoices(&mut tx, contract.id).await?;
        let open = open_of(&invoices)?;
        let plan = allocate_oldest_first(&open, amount_fen).map_err(allocation_error)?;
        let open_fen = open.iter().map(|o| o.open_fen).sum();
        let lines = plan
            .into_iter()
            .filter_map(|(id, fen)| Some((invoices.iter().find(|v| v.id == id)?.clone(), fen)))
            .collect();
        Ok(AllocationPreview { open_fen, lines })
    }

    /// FIN-1: finance records a payment on a contract, allocated to its open invoices —
    /// oldest due first, or as given. More than is open is refused (422 `overpayment`); two
    /// payments racing for the same open amount: one wins, the other gets 409.
    pub async fn record_payment(&self, ctx: &Ctx, input: PaymentInput) -> Result<PaymentDetail> {
        policy::require(&ctx.actor, Action::ManageReceivables)?;
        let mut fields = Fields::default();
        let received_on = booked_on(&mut fields, "received_on", &input.received_on);
        let amount_fen = positive_yuan(&mut fields, "amount", &input.amount);
        fields.check("method", input.method.parse::<PaymentMethod>().map(|_| ()));
        check_text(&mut fields, "reference", &input.reference, 0, 100);
        let mut wanted = Vec::with_capacity(input.allocations.len());
        for (invoice_id, yuan) in &input.allocations {
            match parse_yuan(yuan) {
                Ok(fen) => wanted.push((*invoice_id, fen)),
                Err(e) => fields.add("allocations", format!("invoice {invoice_id}: {e}")),
            }
        }
        fields.finish()?;
        let received_on = received_on.ok_or_else(|| Error::invalid("received_on", "required"))?;
        let mut tx = self.db.write().await?;
        // Any contract with open invoices collects, a terminated one included.
        let contract = booked_contract(&mut tx, ctx, input.contract_id).await?;
        let open = open_of(&store::open_invoices(&mut tx, contract.id).await?)?;
        let plan = if wanted.is_empty() {
            allocate_oldest_first(&open, amount_fen)
        } else {
            check_allocations(&open, amount_fen, &wanted)
        }
        .map_err(allocation_error)?;
        for (invoice_id, fen) in &plan {
            store::add_paid(&mut tx, *invoice_id, *fen)
                .await
                .map_err(|_| {
                    Error::conflict(
                        Some("amount"),
                        "another payment settled these invoices meanwhile; reload and try again",
                    )
                })?;
        }
        let new = NewPayment {
            contract_id: contract.id,
            institution_id: contract.institution_id,
            owner_id: contract.owner_id,
            region_id: contract.region_id,
            received_on: &received_on.to_string(),
            amount_fen,
            method: input.method.trim(),
            reference: input.reference.trim(),
        };
        let id = store::insert_payment(&mut tx, &new, &plan, ctx.actor.user_id, now_ms()).await?;
        contracts::add_collected(&mut tx, contract.id, amount_fen, now_ms()).await?;
        let record = store::get_payment(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("payment"))?;
        let allocations = store::allocations_of_payment(&mut tx, id).await?;
        audit::record(&mut tx, ctx, "payment", id, "create", None, Some(&record)).await?;
        tx.commit().await?;
        Ok(PaymentDetail {
            record,
            allocations,
        })
    }

    pub async fn payments(
        &self,
        ctx: &Ctx,
        contract_id: Option<i64>,
        institution_id: Option<i64>,
        cursor: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Page<PaymentRecord>> {
        let limit = crate::page_size(limit)?;
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadReceivables).await?;
        let filter = store::Filter {
            contract_id,
            institution_id,
            scope: scope_of(&visible),
        };
        Ok(store::list_payments(&mut tx, &filter, cursor, limit).await?)
    }

    pub async fn payment(&self, ctx: &Ctx, id: i64) -> Result<PaymentDetail> {
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadReceivables).await?;
        let record = store::get_payment(&mut tx, id)
            .await?
            .filter(|p| can_see(&visible, p.owner_id, p.region_id))
            .ok_or(Error::NotFound("payment"))?;
        Ok(PaymentDetail {
            allocations: store::allocations_of_payment(&mut tx, id).await?,
            record,
        })
    }

    /// FIN-1: a contract's ledger with every invoice and payment (for the contract page).
    pub async fn contract_receivables(
        &self,
        ctx: &Ctx,
        contract_id: i64,
    ) -> Result<ContractReceivables> {
        let mut tx = self.db.read().await?;
        let contract = visible_contract(&mut tx, ctx, Action::ReadReceivables, contract_id).await?;
        let of = store::Filter {
            contract_id: Some(contract_id),
            ..Default::default()
        };
        let all = crate::MAX_PAGE_SIZE;
        let invoices = store::InvoiceFilter {
            of: of.clone(),
            ..Default::default()
        };
        let invoices = store::list_invoices(&mut tx, &invoices, None, all).await?;
        let payments = store::list_payments(&mut tx, &of, None, all).await?;
        Ok(ContractReceivables {
            contract,
            invoices: invoices.items,
            payments: payments.items,
        })
    }
}
