//! PRC: price lists whose changes wait for management approval (PRC-1), quotes (PRC-3) whose
//! off-list lines wait for a price-adjustment approval routed by discount depth (PRC-2), and
//! the approvals inbox. Every product on a quote passes the PRD-2/3 gate.

use std::collections::BTreeMap;

use jiff::civil::Date;
use medcrm_domain::customers::Grade;
use medcrm_domain::pipeline::{Stage, format_yuan, parse_yuan};
use medcrm_domain::pricing::{
    ApprovalLevel, ApprovalRule, ApprovalStatus, PriceRow, QuoteEvent, QuoteStatus, applicable,
    discount_bp,
};
use medcrm_store::customers::InstitutionRecord;
use medcrm_store::notifications::{self as inbox, NewNotification};
use medcrm_store::pricing::{self as store, Inbox, NewApproval, NewLine, NewPrice, NewQuote};
pub use medcrm_store::pricing::{ApprovalRecord, PriceRecord, QuoteLine, QuoteRecord};
use medcrm_store::{Page, Tx, settings, users};

use crate::customers::{check_text, institution_record, parse_date, today, visible_institution};
use crate::error::Fields;
use crate::imports::{Row, Table};
use crate::org::{blank_to_none, region_tree, visibility};
use crate::pipeline::{advance, visible_opportunity};
use crate::policy::{self, Action};
use crate::products::{Buyer, buyer, not_sellable, product_record, sale_refusals};
use crate::{App, Ctx, Error, Result, audit, now_ms};

const APPROVAL_RULE_KEY: &str = "pricing.approval_bp";
/// Lines on one quote; a tender list longer than this is split into several quotes.
const MAX_QUOTE_LINES: usize = 100;
const MAX_QUANTITY: i64 = 1_000_000;
/// A quote is valid for at most a year.
const MAX_VALIDITY_DAYS: i32 = 366;

#[derive(Debug, Clone, Default)]
pub struct PriceInput {
    pub product_id: i64,
    pub region_id: Option<i64>,
    pub grade: Option<String>,
    /// Yuan as typed; kept exact in fen.
    pub price: String,
    pub effective_from: String,
    pub reason: String,
}

/// A price version with the state of its approval.
#[derive(Debug, Clone)]
pub struct PriceView {
    pub record: PriceRecord,
    pub approval: Option<ApprovalRecord>,
}

#[derive(Debug, Clone, Default)]
pub struct LineInput {
    pub product_id: i64,
    pub quantity: i64,
    /// Yuan; empty means the list price.
    pub unit_price: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct QuoteInput {
    pub institution_id: i64,
    pub opportunity_id: Option<i64>,
    pub valid_until: String,
    pub note: String,
    pub lines: Vec<LineInput>,
}

#[derive(Debug, Clone, Default)]
pub struct QuoteQuery {
    pub status: Option<String>,
    pub institution_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    pub query: Option<String>,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

/// A quote with its current lines, every earlier version and its approvals.
#[derive(Debug, Clone)]
pub struct QuoteDetail {
    pub record: QuoteRecord,
    pub lines: Vec<QuoteLine>,
    /// Earlier versions, newest first: `(version, lines)`.
    pub history: Vec<(i64, Vec<QuoteLine>)>,
    pub approvals: Vec<ApprovalRecord>,
    /// The approval level the current lines need; `None` at list price.
    pub needs: Option<ApprovalLevel>,
}

/// The configured PRC-2 routing, or ≤ 5 % manager, ≤ 15 % director.
async fn approval_rule(tx: &mut Tx) -> Result<ApprovalRule> {
    let n = settings::get(tx, APPROVAL_RULE_KEY)
        .await?
        .map(|t| crate::customers::numbers(&t))
        .unwrap_or_default();
    Ok(match n[..] {
        [manager_max_bp, director_max_bp] => ApprovalRule {
            manager_max_bp,
            director_max_bp,
        },
        _ => ApprovalRule::default(),
    })
}

/// A customer as pricing and the sale gate see it, read once per quote.
struct Customer {
    /// Its region, then each ancestor: where a regional price may come from.
    regions: Vec<i64>,
    grade: Grade,
    buyer: Buyer,
}

async fn customer(tx: &mut Tx, institution: &InstitutionRecord) -> Result<Customer> {
    let mut regions = vec![institution.region_id];
    regions.extend(region_tree(tx).await?.ancestors(institution.region_id));
    Ok(Customer {
        regions,
        grade: institution.grade.parse().map_err(Error::Internal)?,
        buyer: buyer(tx, institution).await?,
    })
}

/// PRC-1: the approved list price of `product_id` for `customer` on `date`.
async fn list_price(
    tx: &mut Tx,
    product_id: i64,
    customer: &Customer,
    date: Date,
) -> Result<Option<i64>> {
    let rows: Vec<PriceRow> = store::prices_of(tx, product_id)
        .await?
        .into_iter()
        .filter(|p| p.status == ApprovalStatus::Approved.code())
        .filter_map(|p| {
            Some(PriceRow {
                id: p.id,
                region_id: p.region_id,
                grade: match p.grade {
                    Some(g) => Some(g.parse().ok()?),
                    None => None,
                },
                price_fen: p.price_fen,
                effective_from: p.effective_from.parse().ok()?,
            })
        })
        .collect();
    Ok(applicable(&rows, &customer.regions, customer.grade, date).map(|r| r.price_fen))
}

/// SYS-2: tells whoever may decide a new request: for a manager-level request the managers
/// of the customer's region (up the tree), else — or when the region has none — the users
/// holding the level's role.
async fn notify_approvers(
    tx: &mut Tx,
    approval_id: i64,
    level: ApprovalLevel,
    region_id: Option<i64>,
    summary: &str,
) -> Result<()> {
    let role = |r: &str, regions: Option<Vec<i64>>| users::Filter {
        role: Some(r.into()),
        visible_regions: regions,
        ..Default::default()
    };
    let mut to = Vec::new();
    if level == ApprovalLevel::Manager
        && let Some(region) = region_id
    {
        let mut chain = region_tree(tx).await?.ancestors(region);
        chain.push(region);
        let managers = role("sales_manager", Some(chain));
        to = users::list(tx, &managers, 0, crate::MAX_PAGE_SIZE)
            .await?
            .items;
    }
    if to.is_empty() {
        let code = match level {
            ApprovalLevel::Manager | ApprovalLevel::Director => "sales_director",
            ApprovalLevel::Executive => "executive",
        };
        to = users::list(tx, &role(code, None), 0, crate::MAX_PAGE_SIZE)
            .await?
            .items;
    }
    for user in to {
        let n = NewNotification {
            user_id: user.id,
            kind: "approval_requested",
            subject: summary,
            detail: level.code(),
            link: "/approvals",
            dedupe_key: &format!("approval_requested:{approval_id}:{}", user.id),
        };
        inbox::add(tx, &n, now_ms()).await?;
    }
    Ok(())
}

/// The lines of a quote priced and checked: each product exists, has a list price, and may be
/// sold to the customer today (PRD-2/3); a missing unit price means the list price.
async fn priced_lines(
    tx: &mut Tx,
    institution: &InstitutionRecord,
    lines: &[LineInput],
) -> Result<Vec<NewLine>> {
    if lines.is_empty() || lines.len() > MAX_QUOTE_LINES {
        return Err(Error::invalid(
            "lines",
            format!("1 to {MAX_QUOTE_LINES} lines"),
        ));
    }
    let today = today();
    let customer = customer(tx, institution).await?;
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            return Err(Error::invalid(
                "lines",
                format!("line {n}: quantity 1 to {MAX_QUANTITY}"),
            ));
        }
        let product = product_record(tx, line.product_id)
            .await
            .map_err(|_| Error::invalid("lines", format!("line {n}: no such product")))?;
        let why = sale_refusals(tx, &product, &customer.buyer, today).await?;
        if !why.is_empty() {
            return Err(not_sellable("lines", &product, &why));
        }
        let list_price_fen = list_price(tx, product.id, &customer, today)
            .await?
            .ok_or_else(|| {
                Error::invalid(
                    "lines",
                    format!("line {n}: {} has no approved list price", product.code),
                )
            })?;
        let unit_price_fen = match blank_to_none(line.unit_price.clone()) {
            None => list_price_fen,
            Some(text) => {
                parse_yuan(&text).map_err(|e| Error::invalid("lines", format!("line {n}: {e}")))?
            }
        };
        out.push(NewLine {
            product_id: product.id,
            quantity: line.quantity,
            unit_price_fen,
            list_price_fen,
        });
    }
    Ok(out)
}

fn total_fen(lines: &[NewLine]) -> Result<i64> {
    lines.iter().try_fold(0_i64, |sum, l| {
        l.unit_price_fen
            .checked_mul(l.quantity)
            .and_then(|v| sum.checked_add(v))
            .ok_or_else(|| Error::invalid("lines", "the total is too large"))
    })
}

fn check_header(fields: &mut Fields, input: &QuoteInput) -> Option<Date> {
    check_text(fields, "note", &input.note, 0, 1000);
    let valid_until = parse_date(fields, "valid_until", Some(&input.valid_until));
    match valid_until {
        None => fields.add("valid_until", "the last day the prices hold"),
        Some(d) if d < today() => fields.add("valid_until", "cannot be in the past"),
        Some(d) if (d - today()).get_days() > MAX_VALIDITY_DAYS => {
            fields.add("valid_until", "at most a year ahead")
        }
        Some(_) => {}
    }
    valid_until
}

/// The gate again at the moment of submitting or sending: a certificate may have expired
/// since the draft was written.
async fn check_gate(tx: &mut Tx, q: &QuoteRecord, lines: &[QuoteLine]) -> Result<()> {
    let institution = institution_record(tx, q.institution_id).await?;
    let buyer = buyer(tx, &institution).await?;
    for line in lines {
        let product = product_record(tx, line.product_id).await?;
        let why = sale_refusals(tx, &product, &buyer, today()).await?;
        if !why.is_empty() {
            return Err(not_sellable("lines", &product, &why));
        }
    }
    Ok(())
}

/// The deepest discount of `lines` (bp) and the level it needs; above-list lines count as
/// needing a manager when nothing deeper is there (PRC-2).
fn needed(
    rule: &ApprovalRule,
    lines: impl Iterator<Item = (i64, i64)>,
) -> (i64, Option<ApprovalLevel>) {
    lines
        .map(|(list, unit)| {
            let bp = discount_bp(list, unit);
            (bp, rule.level(bp))
        })
        .max_by_key(|(bp, level)| (*level, *bp))
        .unwrap_or((0, None))
}

/// `1234` bp → `12.34 % below list`; exact, no float.
fn percent(bp: i64) -> String {
    let side = if bp < 0 { "above" } else { "below" };
    let abs = bp.unsigned_abs();
    format!("{}.{:02} % {side} list", abs / 100, abs % 100)
}

async fn quote_record(tx: &mut Tx, id: i64) -> Result<QuoteRecord> {
    store::get_quote(tx, id)
        .await?
        .ok_or(Error::NotFound("quote"))
}

/// The quote if the caller's scope reaches it; "not found" otherwise.
async fn visible_quote(tx: &mut Tx, ctx: &Ctx, action: Action, id: i64) -> Result<QuoteRecord> {
    let (visible, _) = visibility(tx, ctx, action).await?;
    store::get_quote(tx, id)
        .await?
        .filter(|q| policy::can_see(&visible, Some(q.owner_id), &[q.region_id]))
        .ok_or(Error::NotFound("quote"))
}

fn status_of(q: &QuoteRecord) -> Result<QuoteStatus> {
    q.status.parse().map_err(Error::Internal)
}

/// The state after `event`, or 409 naming why not.
fn next_status(q: &QuoteRecord, event: QuoteEvent) -> Result<QuoteStatus> {
    status_of(q)?
        .apply(event)
        .map_err(|why| Error::conflict(Some("status"), why))
}

/// Writes the quote's new state, guarded by its old state and version (409 on a race).
async fn save(
    tx: &mut Tx,
    ctx: &Ctx,
    before: &QuoteRecord,
    to: (QuoteStatus, i64),
    header: Option<(&str, &str)>,
    total_fen: i64,
    action: &str,
) -> Result<QuoteRecord> {
    let (valid_until, note) = header.unwrap_or((&before.valid_until, &before.note));
    store::update_quote(
        tx,
        before.id,
        (&before.status, before.version),
        (to.0.code(), to.1),
        valid_until,
        note,
        total_fen,
        now_ms(),
    )
    .await
    .map_err(|_| Error::conflict(Some("status"), "the quote changed meanwhile; reload it"))?;
    let after = quote_record(tx, before.id).await?;
    audit::record(
        tx,
        ctx,
        "quote",
        before.id,
        action,
        Some(before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

impl App {
    /// PRC-2: the routing of price adjustments by discount depth.
    pub async fn approval_rule(&self, ctx: &Ctx) -> Result<ApprovalRule> {
        policy::require(&ctx.actor, Action::ReadPrices)?;
        let mut tx = self.db.read().await?;
        approval_rule(&mut tx).await
    }

    /// PRC-2: sets up to which depth (bp) a manager, then a director decides; deeper goes to
    /// an executive. Applies to requests submitted from now on.
    pub async fn set_approval_rule(&self, ctx: &Ctx, rule: ApprovalRule) -> Result<ApprovalRule> {
        policy::require(&ctx.actor, Action::ConfigurePricing)?;
        rule.validate()
            .map_err(|e| Error::invalid("director_max_bp", e))?;
        let mut tx = self.db.write().await?;
        let before = approval_rule(&mut tx).await?;
        let value = format!("{},{}", rule.manager_max_bp, rule.director_max_bp);
        settings::set(&mut tx, APPROVAL_RULE_KEY, &value).await?;
        let text = |r: &ApprovalRule| format!("{},{}", r.manager_max_bp, r.director_max_bp);
        audit::record(
            &mut tx,
            ctx,
            "setting",
            APPROVAL_RULE_KEY,
            "update",
            Some(&text(&before)),
            Some(&value),
        )
        .await?;
        tx.commit().await?;
        Ok(rule)
    }

    /// PRC-1: the price history of a product, newest first, with each version's approval.
    pub async fn prices(&self, ctx: &Ctx, product_id: i64) -> Result<Vec<PriceView>> {
        policy::require(&ctx.actor, Action::ReadPrices)?;
        let mut tx = self.db.read().await?;
        product_record(&mut tx, product_id).await?;
        let mut approvals: BTreeMap<i64, ApprovalRecord> =
            store::price_approvals(&mut tx, product_id)
                .await?
                .into_iter()
                .filter_map(|a| Some((a.price_id?, a)))
                .collect();
        Ok(store::prices_of(&mut tx, product_id)
            .await?
            .into_iter()
            .map(|record| PriceView {
                approval: approvals.remove(&record.id),
                record,
            })
            .collect())
    }

    /// PRC-1: proposes a price (company-wide, or for a region and/or grade) from a date; it
    /// takes effect only once management approves it in the approvals inbox.
    pub async fn propose_price(&self, ctx: &Ctx, input: PriceInput) -> Result<PriceView> {
        policy::require(&ctx.actor, Action::ProposePrices)?;
        let mut fields = Fields::default();
        let price_fen = parse_yuan(&input.price)
            .map_err(|e| fields.add("price", e))
            .ok();
        if price_fen == Some(0) {
            fields.add("price", "a price above zero");
        }
        let grade = blank_to_none(input.grade.clone());
        if let Some(g) = &grade {
            fields.check("grade", g.parse::<Grade>().map(|_| ()));
        }
        match parse_date(&mut fields, "effective_from", Some(&input.effective_from)) {
            None => fields.add("effective_from", "the first day the price applies"),
            Some(d) if d < today() => fields.add(
                "effective_from",
                "a price cannot change the past: choose today or later",
            ),
            Some(_) => {}
        }
        check_text(&mut fields, "reason", &input.reason, 2, 500);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let product = product_record(&mut tx, input.product_id).await?;
        if let Some(r) = input.region_id
            && !region_tree(&mut tx).await?.contains(r)
        {
            return Err(Error::invalid("region_id", "unknown region"));
        }
        let new = NewPrice {
            product_id: product.id,
            region_id: input.region_id,
            grade: grade.as_deref(),
            price_fen: price_fen.unwrap_or(0),
            effective_from: input.effective_from.trim(),
            reason: input.reason.trim(),
            status: ApprovalStatus::Pending.code(),
        };
        let id = store::insert_price(&mut tx, &new, ctx.actor.user_id, now_ms()).await?;
        let summary = format!(
            "{} {}: ¥{} from {}",
            product.code,
            product.name,
            format_yuan(new.price_fen),
            new.effective_from
        );
        let approval = NewApproval {
            kind: "price_change",
            price_id: Some(id),
            quote: None,
            level: ApprovalLevel::Director.code(),
            region_id: None,
            discount_bp: 0,
            summary: &summary,
        };
        let approval_id =
            store::insert_approval(&mut tx, &approval, ctx.actor.user_id, now_ms()).await?;
        notify_approvers(
            &mut tx,
            approval_id,
            ApprovalLevel::Director,
            None,
            &summary,
        )
        .await?;
        let record = store::get_price(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("price"))?;
        audit::record(&mut tx, ctx, "price", id, "propose", None, Some(&record)).await?;
        let approval = store::get_approval(&mut tx, approval_id).await?;
        tx.commit().await?;
        Ok(PriceView { record, approval })
    }

    /// The approvals the caller may decide (or has seen decided): levels up to their
    /// authority, and for a manager only their region's requests.
    pub async fn approvals(
        &self,
        ctx: &Ctx,
        status: Option<String>,
        cursor: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Page<ApprovalRecord>> {
        let limit = crate::page_size(limit)?;
        let (visible, _) = {
            let mut tx = self.db.read().await?;
            visibility(&mut tx, ctx, Action::DecideApprovals).await?
        };
        let authority = policy::approval_authority(&ctx.actor).ok_or(Error::Forbidden)?;
        let status = blank_to_none(status).unwrap_or_else(|| "pending".into());
        status
            .parse::<ApprovalStatus>()
            .map_err(|e| Error::invalid("status", e))?;
        let inbox = Inbox {
            status,
            levels: ApprovalLevel::ALL
                .iter()
                .filter(|l| **l <= authority)
                .map(|l| l.code().to_owned())
                .collect(),
            regions: visible.regions(),
        };
        let mut tx = self.db.read().await?;
        Ok(store::approvals(&mut tx, &inbox, cursor.unwrap_or(0), limit).await?)
    }

    /// PRC-1/2: approves or rejects a request. The approver needs the level the request
    /// asks for (a 12 % discount is beyond a manager), the request's region in scope, and
    /// may not decide their own request; of two decisions at once one wins, the other 409.
    pub async fn decide_approval(
        &self,
        ctx: &Ctx,
        id: i64,
        approve: bool,
        comment: &str,
    ) -> Result<ApprovalRecord> {
        let mut fields = Fields::default();
        check_text(&mut fields, "comment", comment, usize::from(!approve), 500);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::DecideApprovals).await?;
        let before = store::get_approval(&mut tx, id)
            .await?
            .filter(|a| {
                a.region_id
                    .is_none_or(|r| policy::can_see(&visible, None, &[r]))
            })
            .ok_or(Error::NotFound("approval"))?;
        let level: ApprovalLevel = before.level.parse().map_err(Error::Internal)?;
        if policy::approval_authority(&ctx.actor).is_none_or(|a| a < level) {
            return Err(Error::Refused {
                code: "approval_level",
                field: "level",
                message: format!("this request needs a {} to decide", level.code()),
            });
        }
        if before.requested_by == ctx.actor.user_id {
            return Err(Error::Refused {
                code: "own_request",
                field: "requested_by",
                message: "nobody approves their own request".into(),
            });
        }
        let status = if approve {
            ApprovalStatus::Approved
        } else {
            ApprovalStatus::Rejected
        };
        store::decide_approval(
            &mut tx,
            id,
            status.code(),
            comment.trim(),
            ctx.actor.user_id,
            now_ms(),
        )
        .await
        .map_err(|_| Error::conflict(Some("status"), "this request has already been decided"))?;
        if let Some(price_id) = before.price_id {
            store::set_price_status(&mut tx, price_id, status.code()).await?;
        }
        if let Some(quote_id) = before.quote_id {
            let quote = quote_record(&mut tx, quote_id).await?;
            let event = if approve {
                QuoteEvent::Approve
            } else {
                QuoteEvent::Reject
            };
            if quote.version == before.quote_version.unwrap_or_default() {
                let to = next_status(&quote, event)?;
                save(
                    &mut tx,
                    ctx,
                    &quote,
                    (to, quote.version),
                    None,
                    quote.total_fen,
                    to.code(),
                )
                .await?;
            }
        }
        let after = store::get_approval(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("approval"))?;
        let link = match after.quote_id {
            Some(q) => format!("/quotes/{q}"),
            None => "/approvals".into(),
        };
        let told = NewNotification {
            user_id: after.requested_by,
            kind: "approval_decided",
            subject: &after.summary,
            detail: status.code(),
            link: &link,
            dedupe_key: &format!("approval_decided:{id}"),
        };
        inbox::add(&mut tx, &told, now_ms()).await?;
        audit::record(
            &mut tx,
            ctx,
            "approval",
            id,
            status.code(),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn quotes(&self, ctx: &Ctx, q: &QuoteQuery) -> Result<Page<QuoteRecord>> {
        let limit = crate::page_size(q.limit)?;
        let status = blank_to_none(q.status.clone());
        if let Some(s) = &status {
            s.parse::<QuoteStatus>()
                .map_err(|e| Error::invalid("status", e))?;
        }
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadQuotes).await?;
        let filter = store::QuoteFilter {
            status,
            institution_id: q.institution_id,
            opportunity_id: q.opportunity_id,
            query: blank_to_none(q.query.clone()),
            visible_regions: visible.regions(),
            only_owner: visible.only_user(),
        };
        Ok(store::list_quotes(&mut tx, &filter, q.cursor, limit).await?)
    }

    pub async fn quote(&self, ctx: &Ctx, id: i64) -> Result<QuoteDetail> {
        let mut tx = self.db.read().await?;
        let record = visible_quote(&mut tx, ctx, Action::ReadQuotes, id).await?;
        let lines = store::lines(&mut tx, id, record.version).await?;
        let mut history = Vec::new();
        for version in (1..record.version).rev() {
            history.push((version, store::lines(&mut tx, id, version).await?));
        }
        let rule = approval_rule(&mut tx).await?;
        let (_, needs) = needed(
            &rule,
            lines.iter().map(|l| (l.list_price_fen, l.unit_price_fen)),
        );
        Ok(QuoteDetail {
            approvals: store::approvals_of_quote(&mut tx, id).await?,
            record,
            lines,
            history,
            needs,
        })
    }

    /// PRC-3: a draft quote for a customer in scope (optionally on one of its opportunities),
    /// priced from the approved list; every product must pass the sale gate.
    pub async fn create_quote(&self, ctx: &Ctx, input: QuoteInput) -> Result<QuoteRecord> {
        policy::require(&ctx.actor, Action::ManageQuotes)?;
        let mut fields = Fields::default();
        check_header(&mut fields, &input);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let (institution, _) =
            visible_institution(&mut tx, ctx, Action::ManageQuotes, input.institution_id)
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
        let lines = priced_lines(&mut tx, &institution, &input.lines).await?;
        let new = NewQuote {
            institution_id: institution.id,
            opportunity_id: input.opportunity_id,
            owner_id: institution.owner_id,
            region_id: institution.region_id,
            valid_until: input.valid_until.trim(),
            note: input.note.trim(),
        };
        let id = store::insert_quote(&mut tx, &new, today().year(), now_ms()).await?;
        store::insert_lines(&mut tx, id, 1, &lines).await?;
        let draft = quote_record(&mut tx, id).await?;
        let total = total_fen(&lines)?;
        let created = save(
            &mut tx,
            ctx,
            &draft,
            (QuoteStatus::Draft, 1),
            None,
            total,
            "create",
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// PRC-3: replaces a draft's header and lines (same version).
    pub async fn update_quote(&self, ctx: &Ctx, id: i64, input: QuoteInput) -> Result<QuoteRecord> {
        let mut fields = Fields::default();
        check_header(&mut fields, &input);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let before = visible_quote(&mut tx, ctx, Action::ManageQuotes, id).await?;
        next_status(&before, QuoteEvent::Edit)?;
        let institution = institution_record(&mut tx, before.institution_id).await?;
        let lines = priced_lines(&mut tx, &institution, &input.lines).await?;
        store::delete_lines(&mut tx, id, before.version).await?;
        store::insert_lines(&mut tx, id, before.version, &lines).await?;
        let total = total_fen(&lines)?;
        let header = (input.valid_until.trim(), input.note.trim());
        let after = save(
            &mut tx,
            ctx,
            &before,
            (QuoteStatus::Draft, before.version),
            Some(header),
            total,
            "update",
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// PRC-2: submits a draft. At list price it is ready to send; otherwise one
    /// price-adjustment application for the deepest discount goes to the level it needs.
    pub async fn submit_quote(&self, ctx: &Ctx, id: i64) -> Result<QuoteRecord> {
        let mut tx = self.db.write().await?;
        let before = visible_quote(&mut tx, ctx, Action::ManageQuotes, id).await?;
        let lines = store::lines(&mut tx, id, before.version).await?;
        check_gate(&mut tx, &before, &lines).await?;
        let rule = approval_rule(&mut tx).await?;
        let (bp, level) = needed(
            &rule,
            lines.iter().map(|l| (l.list_price_fen, l.unit_price_fen)),
        );
        let to = next_status(
            &before,
            QuoteEvent::Submit {
                needs_approval: level.is_some(),
            },
        )?;
        if let Some(level) = level {
            let summary = format!(
                "{} {} v{}: ¥{}, {}",
                before.number,
                before.institution_name,
                before.version,
                format_yuan(before.total_fen),
                percent(bp)
            );
            let a = NewApproval {
                kind: "price_adjustment",
                price_id: None,
                quote: Some((id, before.version)),
                level: level.code(),
                region_id: Some(before.region_id),
                discount_bp: bp,
                summary: &summary,
            };
            let id = store::insert_approval(&mut tx, &a, ctx.actor.user_id, now_ms()).await?;
            notify_approvers(&mut tx, id, level, Some(before.region_id), &summary).await?;
        }
        let after = save(
            &mut tx,
            ctx,
            &before,
            (to, before.version),
            None,
            before.total_fen,
            "submit",
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// PRC-3: sends an approved quote to the customer; never while an approval is pending or
    /// after a rejection, never once expired, never for a product that may not be sold.
    pub async fn send_quote(&self, ctx: &Ctx, id: i64) -> Result<QuoteRecord> {
        let mut tx = self.db.write().await?;
        let before = visible_quote(&mut tx, ctx, Action::ManageQuotes, id).await?;
        let to = next_status(&before, QuoteEvent::Send)?;
        if before.valid_until.as_str() < today().to_string().as_str() {
            return Err(Error::conflict(
                Some("valid_until"),
                "the quote has expired: revise it with a new validity",
            ));
        }
        let lines = store::lines(&mut tx, id, before.version).await?;
        check_gate(&mut tx, &before, &lines).await?;
        let after = save(
            &mut tx,
            ctx,
            &before,
            (to, before.version),
            None,
            before.total_fen,
            "send",
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// PRC-3: the customer's answer. Accepting moves the quote's opportunity one step on.
    pub async fn answer_quote(&self, ctx: &Ctx, id: i64, accepted: bool) -> Result<QuoteRecord> {
        let mut tx = self.db.write().await?;
        let before = visible_quote(&mut tx, ctx, Action::ManageQuotes, id).await?;
        let event = if accepted {
            QuoteEvent::Accept
        } else {
            QuoteEvent::Decline
        };
        let to = next_status(&before, event)?;
        let after = save(
            &mut tx,
            ctx,
            &before,
            (to, before.version),
            None,
            before.total_fen,
            to.code(),
        )
        .await?;
        if accepted && let Some(o) = before.opportunity_id {
            let note = format!("quote {} accepted", before.number);
            advance(&mut tx, ctx, o, Stage::after_quote_accepted, &note).await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// PRC-3: the quote's current version as a sheet (for .xlsx/.csv): one row per line and
    /// a total row; prices in yuan with two decimals, as the customer reads them.
    pub async fn quote_sheet(&self, ctx: &Ctx, id: i64) -> Result<(QuoteRecord, Table)> {
        let detail = self.quote(ctx, id).await?;
        let mut rows: Vec<Row> = detail
            .lines
            .iter()
            .map(|l| Row {
                number: 0,
                cells: vec![
                    l.line_no.to_string(),
                    l.product_code.clone(),
                    l.product_name.clone(),
                    l.model.clone(),
                    l.unit.clone(),
                    l.quantity.to_string(),
                    format_yuan(l.list_price_fen),
                    format_yuan(l.unit_price_fen),
                    format_yuan(l.unit_price_fen.saturating_mul(l.quantity)),
                ],
            })
            .collect();
        let mut total = vec![String::new(); 9];
        total[1] = "合计".into();
        total[8] = format_yuan(detail.record.total_fen);
        rows.push(Row {
            number: 0,
            cells: total,
        });
        for (i, row) in rows.iter_mut().enumerate() {
            row.number = u32::try_from(i + 2).unwrap_or(u32::MAX);
        }
        let headers = [
            "序号",
            "产品编码",
            "产品名称",
            "型号规格",
            "单位",
            "数量",
            "目录价（元）",
            "单价（元）",
            "金额（元）",
        ];
        let table = Table {
            header_row: 1,
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows,
            numeric: vec![0, 5],
            sheet: format!("{} v{}", detail.record.number, detail.record.version),
        };
        Ok((detail.record, table))
    }

    /// PRC-3: a new version in draft with the current lines, keeping the old version.
    pub async fn revise_quote(&self, ctx: &Ctx, id: i64) -> Result<QuoteRecord> {
        let mut tx = self.db.write().await?;
        let before = visible_quote(&mut tx, ctx, Action::ManageQuotes, id).await?;
        let to = next_status(&before, QuoteEvent::Revise)?;
        let version = before.version + 1;
        let lines: Vec<NewLine> = store::lines(&mut tx, id, before.version)
            .await?
            .into_iter()
            .map(|l| NewLine {
                product_id: l.product_id,
                quantity: l.quantity,
                unit_price_fen: l.unit_price_fen,
                list_price_fen: l.list_price_fen,
            })
            .collect();
        store::insert_lines(&mut tx, id, version, &lines).await?;
        let after = save(
            &mut tx,
            ctx,
            &before,
            (to, version),
            None,
            before.total_fen,
            "revise",
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
