//! PRC: price lists, approvals and quotes.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medcrm_app::domain::pipeline::format_yuan;
use medcrm_app::domain::pricing::{ApprovalRule, discount_bp};
use medcrm_app::pricing::{
    ApprovalRecord, LineInput, PriceInput, PriceView, QuoteDetail, QuoteInput, QuoteLine,
    QuoteQuery, QuoteRecord,
};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::products::Decision;
use crate::api::{Page, cursor, ts};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Approval {
    pub id: i64,
    /// price_change (PRC-1) or price_adjustment (PRC-2).
    pub kind: String,
    pub price_id: Option<i64>,
    /// The product of a price change.
    pub product_id: Option<i64>,
    pub quote_id: Option<i64>,
    pub quote_version: Option<i64>,
    /// manager, director or executive.
    pub level: String,
    pub region_id: Option<i64>,
    /// Deepest discount below list in basis points (1 % = 100); negative above list.
    pub discount_bp: i64,
    pub summary: String,
    /// pending, approved, rejected, withdrawn.
    pub status: String,
    pub requested_by: i64,
    pub requested_at: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<String>,
    pub comment: String,
}

impl From<ApprovalRecord> for Approval {
    fn from(a: ApprovalRecord) -> Self {
        Approval {
            id: a.id,
            kind: a.kind,
            price_id: a.price_id,
            product_id: a.product_id,
            quote_id: a.quote_id,
            quote_version: a.quote_version,
            level: a.level,
            region_id: a.region_id,
            discount_bp: a.discount_bp,
            summary: a.summary,
            status: a.status,
            requested_by: a.requested_by,
            requested_at: ts(a.requested_at_ms),
            decided_by: a.decided_by,
            decided_at: a.decided_at_ms.map(ts),
            comment: a.comment,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Price {
    pub id: i64,
    pub product_id: i64,
    /// None: every region.
    pub region_id: Option<i64>,
    /// None: every grade.
    pub grade: Option<String>,
    pub price_fen: i64,
    pub price: String,
    pub effective_from: String,
    /// pending until approved; only approved prices apply.
    pub status: String,
    pub reason: String,
    pub requested_by: i64,
    pub requested_at: String,
    pub approval: Option<Approval>,
}

impl From<PriceView> for Price {
    fn from(v: PriceView) -> Self {
        let p = v.record;
        Price {
            id: p.id,
            product_id: p.product_id,
            region_id: p.region_id,
            grade: p.grade,
            price: format_yuan(p.price_fen),
            price_fen: p.price_fen,
            effective_from: p.effective_from,
            status: p.status,
            reason: p.reason,
            requested_by: p.requested_by,
            requested_at: ts(p.requested_at_ms),
            approval: v.approval.map(Approval::from),
        }
    }
}

/// PRC-1: every price version of a product, newest first, with its approval.
#[utoipa::path(get, path = "/api/v1/products/{id}/prices", tag = "pricing", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Price>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn prices(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<Price>>, ApiError> {
    let list = s.app.prices(&ctx, id).await?;
    Ok(Json(list.into_iter().map(Price::from).collect()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPrice {
    pub product_id: i64,
    /// Only for this region and below; none for every region.
    pub region_id: Option<i64>,
    /// Only for customers of this grade (A, B, C); none for every grade.
    pub grade: Option<String>,
    /// Yuan as a decimal string, at most two decimals.
    pub price: String,
    /// YYYY-MM-DD, today or later.
    pub effective_from: String,
    /// The basis: cost, demand, competitor prices.
    pub reason: String,
}

/// PRC-1: propose a price; it applies only after management approves it.
#[utoipa::path(post, path = "/api/v1/prices", tag = "pricing", security(("bearer" = [])), request_body = NewPrice,
    responses((status = 201, body = Price), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn propose_price(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<NewPrice>,
) -> Result<(StatusCode, Json<Price>), ApiError> {
    let input = PriceInput {
        product_id: b.product_id,
        region_id: b.region_id,
        grade: b.grade,
        price: b.price,
        effective_from: b.effective_from,
        reason: b.reason,
    };
    let v = s.app.propose_price(&ctx, input).await?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApprovalQuery {
    /// pending (default), approved, rejected, withdrawn.
    pub status: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// The approvals inbox: requests at levels the caller may decide, within their region.
#[utoipa::path(get, path = "/api/v1/approvals", tag = "pricing", security(("bearer" = [])), params(ApprovalQuery),
    responses((status = 200, body = Page<Approval>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn approvals(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<ApprovalQuery>,
) -> Result<Json<Page<Approval>>, ApiError> {
    let page = s
        .app
        .approvals(&ctx, q.status, cursor(q.cursor.as_deref())?, q.limit)
        .await?;
    Ok(Json(Page::from(page, Approval::from)))
}

/// PRC-1/2: decide a request. 422 `approval_level` beyond the caller's authority, 422
/// `own_request` for one's own, 409 when someone decided first.
#[utoipa::path(post, path = "/api/v1/approvals/{id}/decision", tag = "pricing", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Decision,
    responses((status = 200, body = Approval), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Decision>,
) -> Result<Json<Approval>, ApiError> {
    Ok(Json(
        s.app
            .decide_approval(&ctx, id, b.approve, &b.comment)
            .await?
            .into(),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Quote {
    pub id: i64,
    /// QT-2026-000123.
    pub number: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub opportunity_id: Option<i64>,
    pub owner_id: i64,
    pub region_id: i64,
    pub version: i64,
    /// draft, pending_approval, approved, rejected, sent, accepted, declined.
    pub status: String,
    pub valid_until: String,
    pub note: String,
    pub total_fen: i64,
    pub total: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<QuoteRecord> for Quote {
    fn from(q: QuoteRecord) -> Self {
        Quote {
            id: q.id,
            number: q.number,
            institution_id: q.institution_id,
            institution_name: q.institution_name,
            opportunity_id: q.opportunity_id,
            owner_id: q.owner_id,
            region_id: q.region_id,
            version: q.version,
            status: q.status,
            valid_until: q.valid_until,
            note: q.note,
            total: format_yuan(q.total_fen),
            total_fen: q.total_fen,
            created_at: ts(q.created_at_ms),
            updated_at: ts(q.updated_at_ms),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Line {
    pub line_no: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name: String,
    pub model: String,
    pub unit: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    /// The approved list price when the line was priced.
    pub list_price_fen: i64,
    /// Below list in basis points; negative above list.
    pub discount_bp: i64,
    pub amount_fen: i64,
}

impl From<QuoteLine> for Line {
    fn from(l: QuoteLine) -> Self {
        Line {
            discount_bp: discount_bp(l.list_price_fen, l.unit_price_fen),
            amount_fen: l.unit_price_fen.saturating_mul(l.quantity),
            line_no: l.line_no,
            product_id: l.product_id,
            product_code: l.product_code,
            product_name: l.product_name,
            model: l.model,
            unit: l.unit,
            quantity: l.quantity,
            unit_price_fen: l.unit_price_fen,
            list_price_fen: l.list_price_fen,
        }
    }
}

fn lines(l: Vec<QuoteLine>) -> Vec<Line> {
    l.into_iter().map(Line::from).collect()
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Version {
    pub version: i64,
    pub lines: Vec<Line>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QuoteFull {
    pub quote: Quote,
    pub lines: Vec<Line>,
    /// Earlier versions, newest first.
    pub history: Vec<Version>,
    pub approvals: Vec<Approval>,
    /// The approval level the current lines need (manager, director, executive); none at list.
    pub needs_approval: Option<String>,
}

impl From<QuoteDetail> for QuoteFull {
    fn from(d: QuoteDetail) -> Self {
        QuoteFull {
            quote: d.record.into(),
            lines: lines(d.lines),
            history: d
                .history
                .into_iter()
                .map(|(version, l)| Version {
                    version,
                    lines: lines(l),
                })
                .collect(),
            approvals: d.approvals.into_iter().map(Approval::from).collect(),
            needs_approval: d.needs.map(|l| l.code().to_owned()),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Part of the number or customer name, or the customer's pinyin initials.
    pub q: Option<String>,
    pub status: Option<String>,
    pub institution_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// Quotes within the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/quotes", tag = "pricing", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Page<Quote>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<Quote>>, ApiError> {
    let query = QuoteQuery {
        status: q.status,
        institution_id: q.institution_id,
        opportunity_id: q.opportunity_id,
        query: q.q,
        cursor: cursor(q.cursor.as_deref())?,
        limit: q.limit,
    };
    let page = s.app.quotes(&ctx, &query).await?;
    Ok(Json(Page::from(page, Quote::from)))
}

/// One quote with its lines, earlier versions and approvals; 404 outside the scope.
#[utoipa::path(get, path = "/api/v1/quotes/{id}", tag = "pricing", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = QuoteFull), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<QuoteFull>, ApiError> {
    Ok(Json(s.app.quote(&ctx, id).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineBody {
    pub product_id: i64,
    pub quantity: i64,
    /// Yuan; absent means the list price.
    pub unit_price: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteBody {
    pub institution_id: i64,
    pub opportunity_id: Option<i64>,
    /// YYYY-MM-DD, today to a year ahead.
    pub valid_until: String,
    #[serde(default)]
    pub note: String,
    /// 1–100 lines.
    pub lines: Vec<LineBody>,
}

impl From<QuoteBody> for QuoteInput {
    fn from(b: QuoteBody) -> Self {
        QuoteInput {
            institution_id: b.institution_id,
            opportunity_id: b.opportunity_id,
            valid_until: b.valid_until,
            note: b.note,
            lines: b
                .lines
                .into_iter()
                .map(|l| LineInput {
                    product_id: l.product_id,
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                })
                .collect(),
        }
    }
}

/// PRC-3: a draft quote; every product must pass the sale gate (422 `not_sellable` naming
/// the document and why).
#[utoipa::path(post, path = "/api/v1/quotes", tag = "pricing", security(("bearer" = [])), request_body = QuoteBody,
    responses((status = 201, body = Quote), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<QuoteBody>,
) -> Result<(StatusCode, Json<Quote>), ApiError> {
    let q = s.app.create_quote(&ctx, b.into()).await?;
    Ok((StatusCode::CREATED, Json(q.into())))
}

/// PRC-3: replace a draft's validity, note and lines (the customer stays).
#[utoipa::path(put, path = "/api/v1/quotes/{id}", tag = "pricing", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = QuoteBody,
    responses((status = 200, body = Quote), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<QuoteBody>,
) -> Result<Json<Quote>, ApiError> {
    Ok(Json(s.app.update_quote(&ctx, id, b.into()).await?.into()))
}

macro_rules! quote_action {
    ($(#[$doc:meta])* $name:ident, $path:literal, |$app:ident, $ctx:ident, $id:ident| $call:expr) => {
        $(#[$doc])*
        #[utoipa::path(post, path = $path, tag = "pricing", security(("bearer" = [])),
            params(("id" = i64, Path)),
            responses((status = 200, body = Quote), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
                (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
        pub async fn $name(
            State(s): State<AppState>,
            Caller($ctx): Caller,
            ApiPath($id): ApiPath<i64>,
        ) -> Result<Json<Quote>, ApiError> {
            let $app = &s.app;
            Ok(Json($call.await?.into()))
        }
    };
}

quote_action!(
    /// PRC-2: submit a draft; off-list lines open one price-adjustment approval at the level
    /// the deepest discount needs.
    submit, "/api/v1/quotes/{id}/submit", |app, ctx, id| app.submit_quote(&ctx, id)
);
quote_action!(
    /// PRC-3: send an approved quote; 409 while an approval is pending or after rejection.
    send, "/api/v1/quotes/{id}/send", |app, ctx, id| app.send_quote(&ctx, id)
);
quote_action!(
    /// PRC-3: the customer accepted; the opportunity moves one step on.
    accept, "/api/v1/quotes/{id}/accept", |app, ctx, id| app.answer_quote(&ctx, id, true)
);
quote_action!(
    /// PRC-3: the customer declined.
    decline, "/api/v1/quotes/{id}/decline", |app, ctx, id| app.answer_quote(&ctx, id, false)
);
quote_action!(
    /// PRC-3: a new draft version with the current lines; earlier versions are kept.
    revise, "/api/v1/quotes/{id}/revise", |app, ctx, id| app.revise_quote(&ctx, id)
);

/// PRC-3: the quote's current version as an Excel sheet (lines and total), to send or print.
#[utoipa::path(get, path = "/api/v1/quotes/{id}/sheet.xlsx", tag = "pricing", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            body = Vec<u8>, description = "The quote sheet"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn sheet(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<axum::response::Response, ApiError> {
    let (quote, table) = s.app.quote_sheet(&ctx, id).await?;
    let xlsx = medcrm_app::imports::Format::Xlsx;
    crate::api::imports::send_table(table, xlsx, &quote.number).await
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalLevels {
    /// Discounts up to this depth (basis points, 500 = 5 %) are a manager's to approve.
    pub manager_max_bp: u32,
    /// Up to this depth a director's; deeper ones an executive's. Below 10,000.
    pub director_max_bp: u32,
}

/// PRC-2: the discount depths routing a price adjustment to manager, director or executive.
#[utoipa::path(get, path = "/api/v1/settings/approval-levels", tag = "pricing", security(("bearer" = [])),
    responses((status = 200, body = ApprovalLevels), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn approval_levels(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<ApprovalLevels>, ApiError> {
    let r = s.app.approval_rule(&ctx).await?;
    Ok(Json(ApprovalLevels {
        manager_max_bp: r.manager_max_bp,
        director_max_bp: r.director_max_bp,
    }))
}

/// PRC-2: set the routing (director, executive or admin); 0 < manager ≤ director < 10,000.
#[utoipa::path(put, path = "/api/v1/settings/approval-levels", tag = "pricing", security(("bearer" = [])),
    request_body = ApprovalLevels,
    responses((status = 200, body = ApprovalLevels), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_approval_levels(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<ApprovalLevels>,
) -> Result<Json<ApprovalLevels>, ApiError> {
    let rule = ApprovalRule {
        manager_max_bp: b.manager_max_bp,
        director_max_bp: b.director_max_bp,
    };
    let r = s.app.set_approval_rule(&ctx, rule).await?;
    Ok(Json(ApprovalLevels {
        manager_max_bp: r.manager_max_bp,
        director_max_bp: r.director_max_bp,
    }))
}
