//! CON: contracts from a quote or new (CON-1), legal review before signing (CON-2), the
//! states of the ledger (CON-3) and the customer's credit (CON-6). Every product on a contract
//! passes the PRD-2/3 sale gate when it is submitted.

use jiff::civil::Date;
use medcrm_domain::contracts::{
    ContractEvent, ContractStatus, CreditRating, ReviewKind, ReviewStatus, TermLine, Terms,
    VersionFacts, VersionLine, below_ordered, diff, missing_terms, needs_credit_approval,
};
pub use medcrm_domain::contracts::{LineChange, TermChange};
use medcrm_domain::pipeline::{Stage, format_yuan, parse_yuan};
use medcrm_domain::pricing::QuoteStatus;
use medcrm_store::contracts::{
    self as store, ContractFilter, Move, NewContract, NewLine, NewReview, NewTerms,
};
pub use medcrm_store::contracts::{
    ContractLine, ContractRecord, CreditRecord, ReviewRecord, TermsRecord,
};
use medcrm_store::notifications::{self as inbox, NewNotification};
use medcrm_store::{Page, Tx, pricing, users};

use crate::customers::{check_text, institution_record, parse_date, today, visible_institution};
use crate::error::Fields;
use crate::org::{blank_to_none, visibility};
use crate::pipeline::{advance, visible_opportunity};
use crate::policy::{self, Action};
use crate::products::{buyer, not_sellable, product_record, sale_refusals};
use crate::{App, Ctx, Error, Result, audit, now_ms};

/// Lines on one contract; a longer tender list is split into several contracts.
const MAX_LINES: usize = 100;
const MAX_QUANTITY: i64 = 1_000_000;
const DEFAULT_PAYMENT_DAYS: i64 = 30;
const DEFAULT_WARRANTY_MONTHS: i64 = 12;

#[derive(Debug, Clone, Default)]
pub struct ContractLineInput {
    pub product_id: i64,
    pub quantity: i64,
    /// Yuan as typed; kept exact in fen.
    pub unit_price: String,
    /// Empty means the product's model.
    pub spec_model: Option<String>,
    /// The line's number when it keeps one from the version amended (orders refer to it);
    /// new lines are numbered after the highest.
    pub line_no: Option<i64>,
}

/// The header, CON-1 terms and lines of a contract as written. Terms may be incomplete in a
/// draft; submitting checks them.
#[derive(Debug, Clone, Default)]
pub struct ContractInput {
    pub institution_id: i64,
    pub title: String,
    pub quote_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    pub delivery_date: Option<String>,
    pub delivery_place: String,
    pub quality_standard: String,
    pub payment_terms: String,
    pub payment_days: Option<i64>,
    pub after_sales_terms: String,
    pub warranty_months: Option<i64>,
    pub lines: Vec<ContractLineInput>,
}

#[derive(Debug, Clone, Default)]
pub struct ContractQuery {
    pub status: Option<String>,
    pub institution_id: Option<i64>,
    pub query: Option<String>,
    /// Only this owner's (within the caller's scope).
    pub owner_id: Option<i64>,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

/// A contract with the terms and lines of its current version and every review.
#[derive(Debug, Clone)]
pub struct ContractDetail {
    pub record: ContractRecord,
    pub terms: TermsRecord,
    pub lines: Vec<ContractLine>,
    pub reviews: Vec<ReviewRecord>,
}

#[derive(Debug, Clone, Default)]
pub struct CreditInput {
    pub rating: String,
    /// Yuan.
    pub limit: String,
    pub note: String,
}

/// A review waiting in the legal or finance queue, with the contract it is about.
#[derive(Debug, Clone)]
pub struct QueuedReview {
    pub review: ReviewRecord,
    pub contract: ContractRecord,
}

/// The checked form of [`ContractInput`]'s terms.
struct CheckedTerms {
    delivery_date: Option<Date>,
    payment_days: i64,
    warranty_months: i64,
}

fn check_terms(fields: &mut Fields, input: &ContractInput) -> CheckedTerms {
    check_text(fields, "title", &input.title, 2, 200);
    for (field, text) in [
        ("delivery_place", &input.delivery_place),
        ("quality_standard", &input.quality_standard),
        ("payment_terms", &input.payment_terms),
        ("after_sales_terms", &input.after_sales_terms),
    ] {
        check_text(fields, field, text, 0, 1000);
    }
    let payment_days = input.payment_days.unwrap_or(DEFAULT_PAYMENT_DAYS);
    if !(0..=720).contains(&payment_days) {
        fields.add("payment_days", "0 to 720 days from invoice");
    }
    let warranty_months = input.warranty_months.unwrap_or(DEFAULT_WARRANTY_MONTHS);
    if !(0..=120).contains(&warranty_months) {
        fields.add("warranty_months", "0 to 120 months");
    }
    CheckedTerms {
        delivery_date: parse_date(fields, "delivery_date", input.delivery_date.as_deref()),
        payment_days,
        warranty_months,
    }
}

/// A line as checked: `line_no`, product, model, quantity, unit price (fen).
struct CheckedLine {
    line_no: i64,
    product_id: i64,
    spec_model: String,
    quantity: i64,
    unit_price_fen: i64,
}

/// Lines with their products checked and prices parsed; `spec_model` defaults to the model.
/// Lines keep the numbers they bring (unique, positive); the others follow the highest.
async fn checked_lines(tx: &mut Tx, lines: &[ContractLineInput]) -> Result<Vec<CheckedLine>> {
    if lines.len() > MAX_LINES {
        return Err(Error::invalid(
            "lines",
            format!("at most {MAX_LINES} lines"),
        ));
    }
    let mut out = Vec::with_capacity(lines.len());
    for (n, line) in (1..).zip(lines) {
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            return Err(Error::invalid(
                "lines",
                format!("line {n}: quantity 1 to {MAX_QUANTITY}"),
            ));
        }
        let product = product_record(tx, line.product_id)
            .await
            .map_err(|_| Error::invalid("lines", format!("line {n}: no such product")))?;
        let price = parse_yuan(&line.unit_price)
            .map_err(|e| Error::invalid("lines", format!("line {n}: unit price: {e}")))?;
        let model = blank_to_none(line.spec_model.clone()).unwrap_or(product.model);
        if model.chars().count() > 200 {
            return Err(Error::invalid(
                "lines",
                format!("line {n}: model at most 200 characters"),
            ));
        }
        out.push(CheckedLine {
            line_no: 0,
            product_id: product.id,
            spec_model: model,
            quantity: line.quantity,
            unit_price_fen: price,
        });
    }
    let mut kept: Vec<i64> = lines.iter().filter_map(|l| l.line_no).collect();
    if kept.iter().any(|n| *n < 1) {
        return Err(Error::invalid("lines", "line numbers start at 1"));
    }
    kept.sort_unstable();
    if kept.windows(2).any(|w| w[0] == w[1]) {
        return Err(Error::invalid("lines", "a line number appears twice"));
    }
    let mut next = kept.last().copied().unwrap_or(0);
    for (line, input) in out.iter_mut().zip(lines) {
        line.line_no = input.line_no.unwrap_or_else(|| {
            next += 1;
            next
        });
    }
    let total = out.iter().try_fold(0_i64, |sum, l| {
        l.unit_price_fen
            .checked_mul(l.quantity)
            .and_then(|v| sum.checked_add(v))
    });
    if total.is_none() {
        return Err(Error::invalid("lines", "the total is too large"));
    }
    Ok(out)
}

/// Writes terms and lines of `version` from a checked input.
async fn write_version(
    tx: &mut Tx,
    ctx: &Ctx,
    contract_id: i64,
    version: i64,
    input: &ContractInput,
    terms: &CheckedTerms,
    change_reason: &str,
) -> Result<()> {
    let lines = checked_lines(tx, &input.lines).await?;
    let date = terms.delivery_date.map(|d| d.to_string());
    let new_terms = NewTerms {
        delivery_date: date.as_deref(),
        delivery_place: input.delivery_place.trim(),
        quality_standard: input.quality_standard.trim(),
        payment_terms: input.payment_terms.trim(),
        payment_days: terms.payment_days,
        after_sales_terms: input.after_sales_terms.trim(),
        warranty_months: terms.warranty_months,
        change_reason,
    };
    let new_lines: Vec<NewLine> = lines
        .iter()
        .map(|l| NewLine {
            line_no: l.line_no,
            product_id: l.product_id,
            spec_model: &l.spec_model,
            quantity: l.quantity,
            unit_price_fen: l.unit_price_fen,
        })
        .collect();
    store::write_version(
        tx,
        contract_id,
        version,
        &new_terms,
        &new_lines,
        ctx.actor.user_id,
        now_ms(),
    )
    .await?;
    Ok(())
}

pub(crate) async fn contract_record(tx: &mut Tx, id: i64) -> Result<ContractRecord> {
    store::get(tx, id).await?.ok_or(Error::NotFound("contract"))
}

/// The contract if the caller's scope for `action` reaches it; "not found" otherwise.
pub(crate) async fn visible_contract(
    tx: &mut Tx,
    ctx: &Ctx,
    action: Action,
    id: i64,
) -> Result<ContractRecord> {
    let (visible, _) = visibility(tx, ctx, action).await?;
    store::get(tx, id)
        .await?
        .filter(|k| policy::can_see(&visible, Some(k.owner_id), &[k.region_id]))
        .ok_or(Error::NotFound("contract"))
}

pub(crate) fn status_of(k: &ContractRecord) -> Result<ContractStatus> {
    k.status.parse().map_err(Error::Internal)
}

/// The state after `event`, or 409 naming why not.
pub(crate) fn next_status(k: &ContractRecord, event: ContractEvent) -> Result<ContractStatus> {
    status_of(k)?
        .apply(event)
        .map_err(|why| Error::conflict(Some("status"), why))
}

/// The total of a version as written.
async fn version_total(tx: &mut Tx, id: i64, version: i64) -> Result<i64> {
    Ok(store::terms(tx, id, version)
        .await?
        .map(|t| t.total_fen)
        .unwrap_or(0))
}

/// Moves the contract, guarded by its state and version (409 on a race), and audits it.
pub(crate) async fn save(
    tx: &mut Tx,
    ctx: &Ctx,
    before: &ContractRecord,
    m: Move<'_>,
    action: &str,
) -> Result<ContractRecord> {
    store::move_to(tx, before.id, &m, now_ms())
        .await
        .map_err(|_| {
            Error::conflict(Some("status"), "the contract changed meanwhile; reload it")
        })?;
    let after = contract_record(tx, before.id).await?;
    audit::record(
        tx,
        ctx,
        "contract",
        before.id,
        action,
        Some(before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// A move that keeps everything of `k` but what the caller changes.
pub(crate) fn unchanged(k: &ContractRecord) -> Move<'_> {
    Move {
        from: (&k.status, k.version),
        to: (&k.status, k.version),
        effective_version: k.effective_version,
        signed_on: k.signed_on.as_deref(),
        title: &k.title,
        total_fen: k.total_fen,
        closed_reason: &k.closed_reason,
    }
}

async fn detail(tx: &mut Tx, record: ContractRecord) -> Result<ContractDetail> {
    let terms = store::terms(tx, record.id, record.version)
        .await?
        .ok_or(Error::Internal(format!(
            "contract {} has no terms",
            record.id
        )))?;
    let lines = store::lines(tx, record.id, record.version).await?;
    let reviews = store::reviews_of(tx, record.id).await?;
    Ok(ContractDetail {
        record,
        terms,
        lines,
        reviews,
    })
}

/// A move of `k` to `to`, version unchanged.
fn moved(k: &ContractRecord, to: ContractStatus) -> Move<'_> {
    Move {
        to: (to.code(), k.version),
        ..unchanged(k)
    }
}

/// Commits and answers with the contract as it now stands.
async fn committed(mut tx: Tx, after: ContractRecord) -> Result<ContractDetail> {
    let d = detail(&mut tx, after).await?;
    tx.commit().await?;
    Ok(d)
}

/// SYS-2: tells every active holder of `role` (or the owner when `role` is `None`).
async fn notify(
    tx: &mut Tx,
    role: Option<&str>,
    k: &ContractRecord,
    kind: &str,
    detail: &str,
) -> Result<()> {
    let to: Vec<i64> = match role {
        None => vec![k.owner_id],
        Some(role) => {
            let filter = users::Filter {
                role: Some(role.into()),
                ..Default::default()
            };
            users::list(tx, &filter, 0, crate::MAX_PAGE_SIZE)
                .await?
                .items
                .into_iter()
                .map(|u| u.id)
                .collect()
        }
    };
    let subject = format!("{} {}", k.number, k.title);
    let link = format!("/contracts/{}", k.id);
    for user_id in to {
        let key = format!("{kind}:{}:{}:{user_id}", k.id, k.version);
        let n = NewNotification {
            user_id,
            kind,
            subject: &subject,
            detail,
            link: &link,
            dedupe_key: &key,
        };
        inbox::add(tx, &n, now_ms()).await?;
    }
    Ok(())
}

/// CON-1 and the sale gate at submission: every term stated, every product sellable today.
async fn check_submittable(tx: &mut Tx, k: &ContractRecord, d: &ContractDetail) -> Result<()> {
    let terms = Terms {
        delivery_date: d.terms.delivery_date.clone(),
        delivery_place: d.terms.delivery_place.clone(),
        quality_standard: d.terms.quality_standard.clone(),
        payment_terms: d.terms.payment_terms.clone(),
        after_sales_terms: d.terms.after_sales_terms.clone(),
    };
    let lines: Vec<TermLine> = d
        .lines
        .iter()
        .map(|l| TermLine {
            product_name: l.product_name.clone(),
            spec_model: l.spec_model.clone(),
            quantity: l.quantity,
            unit_price_fen: l.unit_price_fen,
        })
        .collect();
    let missing = missing_terms(&terms, &lines);
    if let Some(first) = missing.first() {
        return Err(Error::Refused {
            code: "terms_missing",
            field: first,
            message: format!(
                "CON-1: a contract must state {} before review",
                missing.join(", ")
            ),
        });
    }
    let institution = institution_record(tx, k.institution_id).await?;
    let buyer = buyer(tx, &institution).await?;
    for line in &d.lines {
        let product = product_record(tx, line.product_id).await?;
        let why = sale_refusals(tx, &product, &buyer, today()).await?;
        if !why.is_empty() {
            return Err(not_sellable("lines", &product, &why));
        }
    }
    Ok(())
}

/// The kinds of review of the latest submission of `version` not yet approved. A return
/// (which withdraws the round's other reviews) ends a round; the reviews opened after the
/// round's last closed review are the ones that count.
fn unapproved(reviews: &[ReviewRecord], version: i64) -> Vec<String> {
    let of_version = reviews.iter().filter(|r| r.version == version);
    let last_return = of_version
        .clone()
        .filter(|r| {
            r.status == ReviewStatus::Returned.code() || r.status == ReviewStatus::Withdrawn.code()
        })
        .map(|r| r.id)
        .max()
        .unwrap_or(0);
    let round: Vec<&ReviewRecord> = of_version.filter(|r| r.id > last_return).collect();
    if round.is_empty() {
        return vec![ReviewKind::Legal.code().to_owned()];
    }
    round
        .into_iter()
        .filter(|r| r.status != ReviewStatus::Approved.code())
        .map(|r| r.kind.clone())
        .collect()
}

/// Closes the contract's pending reviews without a decision (the contract was returned or
/// terminated).
async fn withdraw_open_reviews(tx: &mut Tx, contract_id: i64) -> Result<()> {
    for r in store::reviews_of(tx, contract_id).await? {
        if r.status == ReviewStatus::Pending.code() {
            store::decide_review(tx, r.id, ReviewStatus::Withdrawn.code(), "", None, now_ms())
                .await?;
        }
    }
    Ok(())
}

fn version_line(l: &ContractLine) -> VersionLine {
    VersionLine {
        line_no: l.line_no,
        product_id: l.product_id,
        product_name: l.product_name.clone(),
        spec_model: l.spec_model.clone(),
        quantity: l.quantity,
        unit_price_fen: l.unit_price_fen,
    }
}

/// CON-3: an amendment may neither drop a line that was ordered nor cut it below what was
/// ordered (or delivered). Checked when it is written, submitted and signed, since orders may
/// be placed against the version in force meanwhile.
async fn check_ordered(tx: &mut Tx, k: &ContractRecord, lines: &[ContractLine]) -> Result<()> {
    if k.effective_version.is_none() {
        return Ok(());
    }
    let ordered = store::ordered(tx, k.id).await?;
    let lines: Vec<VersionLine> = lines.iter().map(version_line).collect();
    match below_ordered(&lines, &ordered) {
        None => Ok(()),
        Some((no, quantity)) => Err(Error::Refused {
            code: "below_ordered",
            field: "lines",
            message: format!(
                "CON-3: {quantity} of line {no} were already ordered; the amendment must keep \
                 the line with at least that quantity"
            ),
        }),
    }
}

/// A reason or resolution: 2 to 1000 characters.
fn check_reason(field: &'static str, text: &str) -> Result<()> {
    let mut fields = Fields::default();
    check_text(&mut fields, field, text, 2, 1000);
    fields.finish()
}

/// One version of a contract: its terms and lines.
#[derive(Debug, Clone)]
pub struct ContractVersion {
    pub terms: TermsRecord,
    pub lines: Vec<ContractLine>,
}

impl ContractVersion {
    fn facts(&self) -> VersionFacts {
        let t = &self.terms;
        VersionFacts {
            terms: Terms {
                delivery_date: t.delivery_date.clone(),
                delivery_place: t.delivery_place.clone(),
                quality_standard: t.quality_standard.clone(),
                payment_terms: t.payment_terms.clone(),
                after_sales_terms: t.after_sales_terms.clone(),
            },
            payment_days: t.payment_days,
            warranty_months: t.warranty_months,
            lines: self.lines.iter().map(version_line).collect(),
        }
    }
}

/// CON-3: what changed between two versions.
#[derive(Debug, Clone)]
pub struct ContractDiff {
    pub from: i64,
    pub to: i64,
    pub terms: Vec<TermChange>,
    pub lines: Vec<LineChange>,
}

impl App {
    /// CON-1: a draft contract with its terms and lines (terms may still be incomplete).
    pub async fn create_contract(&self, ctx: &Ctx, input: ContractInput) -> Result<ContractDetail> {
        policy::require(&ctx.actor, Action::ManageContracts)?;
        let mut fields = Fields::default();
        let terms = check_terms(&mut fields, &input);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let (institution, _) =
            visible_institution(&mut tx, ctx, Action::ManageContracts, input.institution_id)
                .await
                .map_err(|e| match e {
                    Error::NotFound(_) => {
                        Error::invalid("institution_id", "no such customer in your scope")
                    }
                    other => other,
                })?;
        if let Some(o) = input.opportunity_id {
            let opp = visible_opportunity(&mut tx, ctx, Action::ReadPipeline, o)
                .await
                .map_err(|_| {
                    Error::invalid("opportunity_id", "no such opportunity in your scope")
                })?;
            if opp.institution_id != institution.id {
                return Err(Error::invalid(
                    "opportunity_id",
                    "the opportunity belongs to another customer",
                ));
            }
        }
        if let Some(q) = input.quote_id {
            let quote = pricing::get_quote(&mut tx, q).await?;
            if quote.is_none_or(|q| q.institution_id != institution.id) {
                return Err(Error::invalid("quote_id", "no such quote of this customer"));
            }
        }
        let new = NewContract {
            title: input.title.trim(),
            institution_id: institution.id,
            owner_id: institution.owner_id,
            region_id: institution.region_id,
            quote_id: input.quote_id,
            opportunity_id: input.opportunity_id,
        };
        let id = store::insert(&mut tx, &new, today().year(), ctx.actor.user_id, now_ms()).await?;
        write_version(&mut tx, ctx, id, 1, &input, &terms, "").await?;
        let draft = contract_record(&mut tx, id).await?;
        let total_fen = version_total(&mut tx, id, 1).await?;
        let created = save(
            &mut tx,
            ctx,
            &draft,
            Move {
                total_fen,
                ..unchanged(&draft)
            },
            "create",
        )
        .await?;
        if let Some(o) = created.opportunity_id {
            let note = format!("contract {} drafted", created.number);
            advance(&mut tx, ctx, o, Stage::after_contract_drafted, &note).await?;
        }
        committed(tx, created).await
    }

    /// CON-1: a draft from an accepted quote: its customer, opportunity and current lines.
    /// The terms are left for the rep to fill in.
    pub async fn contract_from_quote(&self, ctx: &Ctx, quote_id: i64) -> Result<ContractDetail> {
        policy::require(&ctx.actor, Action::ManageContracts)?;
        let (quote, lines) = {
            let mut tx = self.db.read().await?;
            let (visible, _) = visibility(&mut tx, ctx, Action::ReadQuotes).await?;
            let quote = pricing::get_quote(&mut tx, quote_id)
                .await?
                .filter(|q| policy::can_see(&visible, Some(q.owner_id), &[q.region_id]))
                .ok_or(Error::NotFound("quote"))?;
            let lines = pricing::lines(&mut tx, quote.id, quote.version).await?;
            (quote, lines)
        };
        if quote.status != QuoteStatus::Accepted.code() {
            return Err(Error::conflict(
                Some("status"),
                "only an accepted quote becomes a contract",
            ));
        }
        let input = ContractInput {
            institution_id: quote.institution_id,
            title: format!("{} {}", quote.institution_name, quote.number),
            quote_id: Some(quote.id),
            opportunity_id: quote.opportunity_id,
            lines: lines
                .into_iter()
                .map(|l| ContractLineInput {
                    product_id: l.product_id,
                    quantity: l.quantity,
                    unit_price: format_yuan(l.unit_price_fen),
                    spec_model: Some(l.model),
                    line_no: None,
                })
                .collect(),
            ..Default::default()
        };
        self.create_contract(ctx, input).await
    }

    /// Rewrites the draft (or the amendment being written) in place.
    pub async fn update_contract(
        &self,
        ctx: &Ctx,
        id: i64,
        input: ContractInput,
    ) -> Result<ContractDetail> {
        let mut fields = Fields::default();
        let terms = check_terms(&mut fields, &input);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let before = visible_contract(&mut tx, ctx, Action::ManageContracts, id).await?;
        next_status(&before, ContractEvent::Edit)?;
        let reason = store::terms(&mut tx, id, before.version)
            .await?
            .map(|t| t.change_reason)
            .unwrap_or_default();
        write_version(&mut tx, ctx, id, before.version, &input, &terms, &reason).await?;
        let written = store::lines(&mut tx, id, before.version).await?;
        check_ordered(&mut tx, &before, &written).await?;
        let total_fen = version_total(&mut tx, id, before.version).await?;
        // The ledger keeps the total in force while an amendment is only being written.
        let total_fen = if before.effective_version.is_some() {
            before.total_fen
        } else {
            total_fen
        };
        let after = save(
            &mut tx,
            ctx,
            &before,
            Move {
                title: input.title.trim(),
                total_fen,
                ..unchanged(&before)
            },
            "update",
        )
        .await?;
        committed(tx, after).await
    }

    /// CON-1/2/6: checks the terms and the sale gate, then opens the legal review, and a credit
    /// review when the customer's exposure would pass its limit.
    pub async fn submit_contract(&self, ctx: &Ctx, id: i64) -> Result<ContractDetail> {
        let mut tx = self.db.write().await?;
        let before = visible_contract(&mut tx, ctx, Action::ManageContracts, id).await?;
        let to = next_status(&before, ContractEvent::Submit)?;
        let current = detail(&mut tx, before.clone()).await?;
        check_submittable(&mut tx, &before, &current).await?;
        check_ordered(&mut tx, &before, &current.lines).await?;
        let version_total = current.terms.total_fen;
        let exposure = store::exposure(&mut tx, before.institution_id, before.id).await?
            + (version_total - before.collected_fen).max(0);
        let limit = store::credit(&mut tx, before.institution_id)
            .await?
            .map(|c| c.limit_fen);
        let mut reviews = vec![(ReviewKind::Legal, None, None)];
        if needs_credit_approval(limit, exposure) {
            reviews.push((ReviewKind::Credit, Some(exposure), limit));
        }
        for (kind, exposure_fen, limit_fen) in reviews {
            let review = NewReview {
                contract_id: id,
                version: before.version,
                kind: kind.code(),
                exposure_fen,
                limit_fen,
            };
            store::insert_review(&mut tx, &review, ctx.actor.user_id, now_ms()).await?;
            let role = match kind {
                ReviewKind::Legal => "legal",
                ReviewKind::Credit => "finance",
            };
            notify(&mut tx, Some(role), &before, "contract_review", kind.code()).await?;
        }
        let after = save(&mut tx, ctx, &before, moved(&before, to), "submit").await?;
        committed(tx, after).await
    }

    /// The legal (CON-2) or credit (CON-6) reviews waiting for the caller's decision.
    pub async fn contract_review_queue(&self, ctx: &Ctx) -> Result<Vec<QueuedReview>> {
        let kinds: Vec<ReviewKind> = [
            (Action::ReviewContracts, ReviewKind::Legal),
            (Action::ManageCredit, ReviewKind::Credit),
        ]
        .into_iter()
        .filter(|(a, _)| policy::scope(&ctx.actor, *a).is_some())
        .map(|(_, k)| k)
        .collect();
        if kinds.is_empty() {
            return Err(Error::Forbidden);
        }
        let mut tx = self.db.read().await?;
        let mut reviews = Vec::new();
        for kind in kinds {
            reviews.extend(store::review_queue(&mut tx, kind.code()).await?);
        }
        // The contracts of the whole queue in one query, not one per review.
        let ids: Vec<i64> = reviews.iter().map(|r| r.contract_id).collect();
        let contracts: std::collections::BTreeMap<i64, ContractRecord> =
            store::get_many(&mut tx, &ids)
                .await?
                .into_iter()
                .map(|k| (k.id, k))
                .collect();
        reviews
            .into_iter()
            .map(|review| {
                let contract = contracts
                    .get(&review.contract_id)
                    .cloned()
                    .ok_or(Error::NotFound("contract"))?;
                Ok(QueuedReview { review, contract })
            })
            .collect()
    }

    /// CON-2 / CON-6: approves or returns a review. Legal decides legal reviews, finance
    /// credit; nobody decides a review of their own request. Returning sends the contract
    /// back to draft (with the comment) and withdraws the other open review.
    pub async fn decide_contract_review(
        &self,
        ctx: &Ctx,
        review_id: i64,
        approve: bool,
        comment: &str,
    ) -> Result<ContractDetail> {
        let comment = comment.trim();
        if !approve && comment.chars().count() < 2 {
            return Err(Error::invalid("comment", "say what must change"));
        }
        if comment.chars().count() > 2000 {
            return Err(Error::invalid("comment", "at most 2000 characters"));
        }
        let mut tx = self.db.write().await?;
        let review = store::get_review(&mut tx, review_id)
            .await?
            .ok_or(Error::NotFound("review"))?;
        let kind: ReviewKind = review.kind.parse().map_err(Error::Internal)?;
        let action = match kind {
            ReviewKind::Legal => Action::ReviewContracts,
            ReviewKind::Credit => Action::ManageCredit,
        };
        policy::require(&ctx.actor, action)?;
        if review.requested_by == ctx.actor.user_id {
            return Err(Error::Refused {
                code: "own_request",
                field: "review",
                message: "nobody decides a review of their own request".into(),
            });
        }
        if review.status != ReviewStatus::Pending.code() {
            return Err(Error::conflict(
                Some("status"),
                "the review is already decided",
            ));
        }
        let status = if approve {
            ReviewStatus::Approved
        } else {
            ReviewStatus::Returned
        };
        store::decide_review(
            &mut tx,
            review_id,
            status.code(),
            comment,
            Some(ctx.actor.user_id),
            now_ms(),
        )
        .await
        .map_err(|_| Error::conflict(Some("status"), "the review was decided meanwhile"))?;
        let before = contract_record(&mut tx, review.contract_id).await?;
        let decided = store::get_review(&mut tx, review_id).await?;
        audit::record(
            &mut tx,
            ctx,
            "contract_review",
            review_id,
            status.code(),
            Some(&review),
            decided.as_ref().map(|d| d as &dyn audit::ErasedJson),
        )
        .await?;
        let after = if approve {
            before
        } else {
            withdraw_open_reviews(&mut tx, before.id).await?;
            // An amendment returns to being written, a first version to draft.
            let to = if before.effective_version.is_some() {
                ContractStatus::Changed
            } else {
                next_status(&before, ContractEvent::Return)?
            };
            save(&mut tx, ctx, &before, moved(&before, to), "return").await?
        };
        notify(
            &mut tx,
            None,
            &after,
            "contract_review_decided",
            status.code(),
        )
        .await?;
        committed(tx, after).await
    }

    /// CON-2: signs the reviewed version once every review of it is approved. For an
    /// amendment the new version takes force.
    pub async fn sign_contract(
        &self,
        ctx: &Ctx,
        id: i64,
        signed_on: &str,
    ) -> Result<ContractDetail> {
        let mut fields = Fields::default();
        let date = parse_date(&mut fields, "signed_on", Some(signed_on));
        match date {
            None => fields.add("signed_on", "the date both parties signed"),
            Some(d) if d > today() => fields.add("signed_on", "cannot be in the future"),
            Some(_) => {}
        }
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let before = visible_contract(&mut tx, ctx, Action::ManageContracts, id).await?;
        let event = ContractEvent::Sign {
            amended: before.effective_version.is_some(),
            delivered: before.delivered_fen > 0,
        };
        let to = next_status(&before, event)?;
        let open = unapproved(&store::reviews_of(&mut tx, id).await?, before.version);
        if !open.is_empty() {
            return Err(Error::Refused {
                code: "review_pending",
                field: "status",
                message: format!("CON-2: not yet approved: {}", open.join(", ")),
            });
        }
        let signing = store::lines(&mut tx, id, before.version).await?;
        check_ordered(&mut tx, &before, &signing).await?;
        let total_fen = version_total(&mut tx, id, before.version).await?;
        let signed_on = date.map(|d| d.to_string());
        let after = save(
            &mut tx,
            ctx,
            &before,
            Move {
                to: (to.code(), before.version),
                effective_version: Some(before.version),
                signed_on: before.signed_on.as_deref().or(signed_on.as_deref()),
                total_fen,
                ..unchanged(&before)
            },
            "sign",
        )
        .await?;
        if let (None, Some(o)) = (before.effective_version, after.opportunity_id) {
            let note = format!("contract {} signed", after.number);
            advance(&mut tx, ctx, o, Stage::after_contract_signed, &note).await?;
        }
        committed(tx, after).await
    }

    /// CON-3: starts an amendment of a signed contract: version + 1, a copy of the version in
    /// force, with the reason. It is edited, reviewed and signed like a draft; the version in
    /// force stays in force until then.
    pub async fn amend_contract(&self, ctx: &Ctx, id: i64, reason: &str) -> Result<ContractDetail> {
        let reason = reason.trim();
        check_reason("reason", reason)?;
        let mut tx = self.db.write().await?;
        let before = visible_contract(&mut tx, ctx, Action::ManageContracts, id).await?;
        let to = next_status(&before, ContractEvent::Amend)?;
        let from = before.effective_version.ok_or(Error::Internal(format!(
            "contract {id} signed without a version"
        )))?;
        let version = before.version + 1;
        store::copy_version(
            &mut tx,
            id,
            (from, version),
            reason,
            ctx.actor.user_id,
            now_ms(),
        )
        .await?;
        let after = save(
            &mut tx,
            ctx,
            &before,
            Move {
                to: (to.code(), version),
                ..unchanged(&before)
            },
            "amend",
        )
        .await?;
        committed(tx, after).await
    }

    /// CON-3: a manager or director ends a contract early, from any state not closed, with
    /// the reason; open reviews are withdrawn.
    pub async fn terminate_contract(
        &self,
        ctx: &Ctx,
        id: i64,
        reason: &str,
    ) -> Result<ContractDetail> {
        policy::require(&ctx.actor, Action::CloseContracts)?;
        let reason = reason.trim();
        check_reason("reason", reason)?;
        let mut tx = self.db.write().await?;
        let before = visible_contract(&mut tx, ctx, Action::CloseContracts, id).await?;
        let to = next_status(&before, ContractEvent::Terminate)?;
        withdraw_open_reviews(&mut tx, id).await?;
        let after = save(
            &mut tx,
            ctx,
            &before,
            Move {
                to: (to.code(), before.version),
                closed_reason: reason,
                ..unchanged(&before)
            },
            "terminate",
        )
        .await?;
        notify(&mut tx, None, &after, "contract_terminated", reason).await?;
        committed(tx, after).await
    }

    /// CON-3: a manager or director closes a contract in execution once everything was
    /// delivered (409 naming what is missing otherwise).
    pub async fn complete_contract(&self, ctx: &Ctx, id: i64) -> Result<ContractDetail> {
        policy::require(&ctx.actor, Action::CloseContracts)?;
        let mut tx = self.db.write().await?;
        let before = visible_contract(&mut tx, ctx, Action::CloseContracts, id).await?;
        let to = next_status(&before, ContractEvent::Complete)?;
        if before.delivered_fen < before.total_fen {
            return Err(Error::conflict(
                Some("status"),
                format!(
                    "not fully delivered: {} of {} yuan delivered",
                    format_yuan(before.delivered_fen),
                    format_yuan(before.total_fen)
                ),
            ));
        }
        let after = save(&mut tx, ctx, &before, moved(&before, to), "complete").await?;
        committed(tx, after).await
    }

    /// CON-3: every version with its terms and lines, oldest first.
    pub async fn contract_versions(&self, ctx: &Ctx, id: i64) -> Result<Vec<ContractVersion>> {
        let mut tx = self.db.read().await?;
        visible_contract(&mut tx, ctx, Action::ReadContracts, id).await?;
        let mut lines = store::all_lines(&mut tx, id).await?;
        let versions = store::versions(&mut tx, id).await?;
        Ok(versions
            .into_iter()
            .map(|terms| {
                let (of, rest) = lines.drain(..).partition(|l| l.version == terms.version);
                lines = rest;
                ContractVersion { terms, lines: of }
            })
            .collect())
    }

    /// CON-3: what changed from version `from` to version `to`.
    pub async fn contract_diff(
        &self,
        ctx: &Ctx,
        id: i64,
        from: i64,
        to: i64,
    ) -> Result<ContractDiff> {
        let versions = self.contract_versions(ctx, id).await?;
        let find = |field: &'static str, v: i64| {
            versions
                .iter()
                .find(|x| x.terms.version == v)
                .ok_or_else(|| Error::invalid(field, format!("no version {v}")))
        };
        let (old, new) = (find("from", from)?, find("to", to)?);
        let (terms, lines) = diff(&old.facts(), &new.facts());
        Ok(ContractDiff {
            from,
            to,
            terms,
            lines,
        })
    }

    /// CON-3: contracts in the caller's scope, newest first.
    pub async fn contracts(&self, ctx: &Ctx, q: ContractQuery) -> Result<Page<ContractRecord>> {
        let limit = crate::page_size(q.limit)?;
        if let Some(s) = &q.status {
            s.parse::<ContractStatus>()
                .map_err(|e| Error::invalid("status", e))?;
        }
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadContracts).await?;
        let filter = ContractFilter {
            status: q.status,
            institution_id: q.institution_id,
            query: blank_to_none(q.query),
            owner_id: q.owner_id,
            only_owner: visible.only_user(),
            visible_regions: visible.regions(),
        };
        Ok(store::list(&mut tx, &filter, q.cursor, limit).await?)
    }

    pub async fn contract(&self, ctx: &Ctx, id: i64) -> Result<ContractDetail> {
        let mut tx = self.db.read().await?;
        let record = visible_contract(&mut tx, ctx, Action::ReadContracts, id).await?;
        detail(&mut tx, record).await
    }

    /// CON-6: a customer's credit, if evaluated.
    pub async fn credit(&self, ctx: &Ctx, institution_id: i64) -> Result<Option<CreditRecord>> {
        let mut tx = self.db.read().await?;
        visible_institution(&mut tx, ctx, Action::ReadCredit, institution_id).await?;
        Ok(store::credit(&mut tx, institution_id).await?)
    }

    /// CON-6: finance rates a customer and sets its limit.
    pub async fn set_credit(
        &self,
        ctx: &Ctx,
        institution_id: i64,
        input: CreditInput,
    ) -> Result<CreditRecord> {
        policy::require(&ctx.actor, Action::ManageCredit)?;
        let mut fields = Fields::default();
        fields.check(
            "rating",
            input.rating.trim().parse::<CreditRating>().map(|_| ()),
        );
        let limit_fen = parse_yuan(&input.limit)
            .map_err(|e| fields.add("limit", e))
            .ok();
        check_text(&mut fields, "note", &input.note, 0, 1000);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        institution_record(&mut tx, institution_id).await?;
        let before = store::credit(&mut tx, institution_id).await?;
        store::set_credit(
            &mut tx,
            institution_id,
            input.rating.trim(),
            limit_fen.unwrap_or(0),
            input.note.trim(),
            ctx.actor.user_id,
            now_ms(),
        )
        .await?;
        let after = store::credit(&mut tx, institution_id)
            .await?
            .ok_or(Error::Internal("credit not written".into()))?;
        audit::record(
            &mut tx,
            ctx,
            "credit",
            institution_id,
            "set",
            before.as_ref().map(|b| b as &dyn audit::ErasedJson),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
