//! CON: contracts, their reviews and customer credit.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medcrm_app::contracts::{
    ContractDetail, ContractDiff, ContractInput, ContractLine, ContractLineInput, ContractQuery,
    ContractRecord, ContractVersion, CreditInput, CreditRecord, LineChange, QueuedReview,
    ReviewRecord, TermsRecord,
};
use medcrm_app::domain::pipeline::format_yuan;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::products::Decision;
use crate::api::{Page, cursor, ts};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Contract {
    pub id: i64,
    /// HT-<year>-<number>.
    pub number: String,
    pub title: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub owner_id: i64,
    pub region_id: i64,
    pub quote_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    /// draft, in_review, signed, in_execution, changed, completed, terminated (CON-3).
    pub status: String,
    /// The version being written or reviewed.
    pub version: i64,
    /// The version in force; none before the first signature.
    pub effective_version: Option<i64>,
    pub signed_on: Option<String>,
    pub total_fen: i64,
    pub total: String,
    pub delivered_fen: i64,
    pub invoiced_fen: i64,
    pub collected_fen: i64,
    pub closed_reason: String,
    pub updated_at: String,
}

impl From<ContractRecord> for Contract {
    fn from(k: ContractRecord) -> Self {
        Contract {
            id: k.id,
            number: k.number,
            title: k.title,
            institution_id: k.institution_id,
            institution_name: k.institution_name,
            owner_id: k.owner_id,
            region_id: k.region_id,
            quote_id: k.quote_id,
            opportunity_id: k.opportunity_id,
            status: k.status,
            version: k.version,
            effective_version: k.effective_version,
            signed_on: k.signed_on,
            total: format_yuan(k.total_fen),
            total_fen: k.total_fen,
            delivered_fen: k.delivered_fen,
            invoiced_fen: k.invoiced_fen,
            collected_fen: k.collected_fen,
            closed_reason: k.closed_reason,
            updated_at: ts(k.updated_at_ms),
        }
    }
}

/// CON-1 terms of the current version.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ContractTerms {
    pub delivery_date: Option<String>,
    pub delivery_place: String,
    pub quality_standard: String,
    pub payment_terms: String,
    /// Days from invoice to due date.
    pub payment_days: i64,
    pub after_sales_terms: String,
    pub warranty_months: i64,
    pub change_reason: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ContractLineOut {
    pub id: i64,
    pub line_no: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name: String,
    pub spec_model: String,
    pub unit: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub unit_price: String,
    pub amount_fen: i64,
}

impl From<ContractLine> for ContractLineOut {
    fn from(l: ContractLine) -> Self {
        ContractLineOut {
            id: l.id,
            line_no: l.line_no,
            product_id: l.product_id,
            product_code: l.product_code,
            product_name: l.product_name,
            spec_model: l.spec_model,
            unit: l.unit,
            quantity: l.quantity,
            unit_price: format_yuan(l.unit_price_fen),
            unit_price_fen: l.unit_price_fen,
            amount_fen: l.unit_price_fen * l.quantity,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ContractReview {
    pub id: i64,
    pub contract_id: i64,
    pub version: i64,
    /// legal (CON-2) or credit (CON-6).
    pub kind: String,
    /// pending, approved, returned, withdrawn.
    pub status: String,
    /// Credit: the exposure and limit the request was raised on.
    pub exposure_fen: Option<i64>,
    pub limit_fen: Option<i64>,
    pub requested_by: i64,
    pub requested_at: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<String>,
    pub comment: String,
}

impl From<ReviewRecord> for ContractReview {
    fn from(r: ReviewRecord) -> Self {
        ContractReview {
            id: r.id,
            contract_id: r.contract_id,
            version: r.version,
            kind: r.kind,
            status: r.status,
            exposure_fen: r.exposure_fen,
            limit_fen: r.limit_fen,
            requested_by: r.requested_by,
            requested_at: ts(r.requested_at_ms),
            decided_by: r.decided_by,
            decided_at: r.decided_at_ms.map(ts),
            comment: r.comment,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ContractFull {
    #[serde(flatten)]
    pub contract: Contract,
    pub terms: ContractTerms,
    pub lines: Vec<ContractLineOut>,
    pub reviews: Vec<ContractReview>,
}

impl From<TermsRecord> for ContractTerms {
    fn from(t: TermsRecord) -> Self {
        ContractTerms {
            delivery_date: t.delivery_date,
            delivery_place: t.delivery_place,
            quality_standard: t.quality_standard,
            payment_terms: t.payment_terms,
            payment_days: t.payment_days,
            after_sales_terms: t.after_sales_terms,
            warranty_months: t.warranty_months,
            change_reason: t.change_reason,
        }
    }
}

impl From<ContractDetail> for ContractFull {
    fn from(d: ContractDetail) -> Self {
        ContractFull {
            contract: d.record.into(),
            terms: d.terms.into(),
            lines: d.lines.into_iter().map(ContractLineOut::from).collect(),
            reviews: d.reviews.into_iter().map(ContractReview::from).collect(),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContractLine {
    pub product_id: i64,
    pub quantity: i64,
    /// Yuan as a decimal string, at most two decimals.
    pub unit_price: String,
    /// Specification / model as agreed; the product's model when empty.
    pub spec_model: Option<String>,
    /// In an amendment: the number of the line this one keeps (orders refer to it); new lines
    /// leave it out and are numbered after the highest.
    pub line_no: Option<i64>,
}

/// A contract as written. Terms may be incomplete in a draft; submitting checks them (CON-1).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContract {
    pub institution_id: i64,
    pub title: String,
    pub quote_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    /// YYYY-MM-DD.
    pub delivery_date: Option<String>,
    #[serde(default)]
    pub delivery_place: String,
    #[serde(default)]
    pub quality_standard: String,
    #[serde(default)]
    pub payment_terms: String,
    /// Days from invoice to due date (default 30).
    pub payment_days: Option<i64>,
    #[serde(default)]
    pub after_sales_terms: String,
    /// Warranty from installation (default 12).
    pub warranty_months: Option<i64>,
    #[serde(default)]
    pub lines: Vec<NewContractLine>,
}

impl From<NewContract> for ContractInput {
    fn from(b: NewContract) -> Self {
        ContractInput {
            institution_id: b.institution_id,
            title: b.title,
            quote_id: b.quote_id,
            opportunity_id: b.opportunity_id,
            delivery_date: b.delivery_date,
            delivery_place: b.delivery_place,
            quality_standard: b.quality_standard,
            payment_terms: b.payment_terms,
            payment_days: b.payment_days,
            after_sales_terms: b.after_sales_terms,
            warranty_months: b.warranty_months,
            lines: b
                .lines
                .into_iter()
                .map(|l| ContractLineInput {
                    product_id: l.product_id,
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    spec_model: l.spec_model,
                    line_no: l.line_no,
                })
                .collect(),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Part of the number, title or customer name, or the customer's pinyin initials.
    pub q: Option<String>,
    pub status: Option<String>,
    pub institution_id: Option<i64>,
    /// Only this owner's contracts (within the caller's scope).
    pub owner_id: Option<i64>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// CON-3: contracts within the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/contracts", tag = "contracts", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Page<Contract>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<Contract>>, ApiError> {
    let query = ContractQuery {
        status: q.status,
        institution_id: q.institution_id,
        query: q.q,
        owner_id: q.owner_id,
        cursor: cursor(q.cursor.as_deref())?,
        limit: q.limit,
    };
    let page = s.app.contracts(&ctx, query).await?;
    Ok(Json(Page::from(page, Contract::from)))
}

/// One contract with its current terms, lines and reviews; 404 outside the scope.
#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ContractFull), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ContractFull>, ApiError> {
    Ok(Json(s.app.contract(&ctx, id).await?.into()))
}

/// CON-1: a draft contract.
#[utoipa::path(post, path = "/api/v1/contracts", tag = "contracts", security(("bearer" = [])), request_body = NewContract,
    responses((status = 201, body = ContractFull), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<NewContract>,
) -> Result<(StatusCode, Json<ContractFull>), ApiError> {
    let d = s.app.create_contract(&ctx, b.into()).await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// CON-1: a draft from an accepted quote (409 otherwise); lines copied, terms to fill in.
#[utoipa::path(post, path = "/api/v1/quotes/{id}/contract", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 201, body = ContractFull), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn from_quote(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<(StatusCode, Json<ContractFull>), ApiError> {
    let d = s.app.contract_from_quote(&ctx, id).await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// Rewrites a draft (or an amendment being written); 409 in any other state.
#[utoipa::path(put, path = "/api/v1/contracts/{id}", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = NewContract,
    responses((status = 200, body = ContractFull), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NewContract>,
) -> Result<Json<ContractFull>, ApiError> {
    Ok(Json(
        s.app.update_contract(&ctx, id, b.into()).await?.into(),
    ))
}

/// CON-1/2/6: to review. 422 `terms_missing` naming what is missing, 422 `not_sellable` when
/// the sale gate refuses a product; opens the legal review and, over the credit limit, a
/// credit review.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/submit", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ContractFull), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ContractFull>, ApiError> {
    Ok(Json(s.app.submit_contract(&ctx, id).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// YYYY-MM-DD, not in the future.
    pub signed_on: String,
}

/// CON-2: signs once every review of the version is approved (422 `review_pending`).
#[utoipa::path(post, path = "/api/v1/contracts/{id}/sign", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Signature,
    responses((status = 200, body = ContractFull), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sign(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Signature>,
) -> Result<Json<ContractFull>, ApiError> {
    Ok(Json(
        s.app.sign_contract(&ctx, id, &b.signed_on).await?.into(),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QueuedReviewBody {
    pub review: ContractReview,
    pub contract: Contract,
}

/// The legal (legal) or credit (finance) reviews waiting, oldest first.
#[utoipa::path(get, path = "/api/v1/contract-reviews", tag = "contracts", security(("bearer" = [])),
    responses((status = 200, body = Vec<QueuedReviewBody>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn reviews(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<Vec<QueuedReviewBody>>, ApiError> {
    let queue = s.app.contract_review_queue(&ctx).await?;
    Ok(Json(
        queue
            .into_iter()
            .map(|QueuedReview { review, contract }| QueuedReviewBody {
                review: review.into(),
                contract: contract.into(),
            })
            .collect(),
    ))
}

/// CON-2/6: approve, or return with comments (required). 403 for the wrong role, 422
/// `own_request` for one's own, 409 when already decided.
#[utoipa::path(post, path = "/api/v1/contract-reviews/{id}/decision", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Decision,
    responses((status = 200, body = ContractFull), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Decision>,
) -> Result<Json<ContractFull>, ApiError> {
    let d = s
        .app
        .decide_contract_review(&ctx, id, b.approve, &b.comment)
        .await?;
    Ok(Json(d.into()))
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct Credit {
    /// AAA, AA, A, B or C.
    pub rating: String,
    /// Yuan.
    pub limit: String,
    #[serde(default)]
    pub note: String,
}

impl From<CreditRecord> for Credit {
    fn from(c: CreditRecord) -> Self {
        Credit {
            rating: c.rating,
            limit: format_yuan(c.limit_fen),
            note: c.note,
        }
    }
}

/// CON-6: a customer's credit; 404 when not yet evaluated or outside the scope.
#[utoipa::path(get, path = "/api/v1/customers/{id}/credit", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Credit), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn credit(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Credit>, ApiError> {
    let c = s.app.credit(&ctx, id).await?;
    Ok(Json(c.ok_or(medcrm_app::Error::NotFound("credit"))?.into()))
}

/// CON-6: finance sets a customer's rating and limit.
#[utoipa::path(put, path = "/api/v1/customers/{id}/credit", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Credit,
    responses((status = 200, body = Credit), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_credit(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Credit>,
) -> Result<Json<Credit>, ApiError> {
    let input = CreditInput {
        rating: b.rating,
        limit: b.limit,
        note: b.note,
    };
    Ok(Json(s.app.set_credit(&ctx, id, input).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Why (2–1000 characters).
    pub reason: String,
}

/// CON-3: starts an amendment of a signed contract (status `changed`, version + 1 copied from
/// the version in force, the reason kept on the version). Edit it with PUT (lines keep their
/// `line_no`; none may fall below what was ordered: 422 `below_ordered`), then submit and sign.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/amend", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Reason,
    responses((status = 200, body = ContractFull), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn amend(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Reason>,
) -> Result<Json<ContractFull>, ApiError> {
    Ok(Json(
        s.app.amend_contract(&ctx, id, &b.reason).await?.into(),
    ))
}

/// CON-3: a manager or director terminates the contract, with the reason, from any state not
/// yet closed.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/terminate", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Reason,
    responses((status = 200, body = ContractFull), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn terminate(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Reason>,
) -> Result<Json<ContractFull>, ApiError> {
    Ok(Json(
        s.app.terminate_contract(&ctx, id, &b.reason).await?.into(),
    ))
}

/// CON-3: a manager or director completes a contract in execution; 409 until everything is
/// delivered.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/complete", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ContractFull), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn complete(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ContractFull>, ApiError> {
    Ok(Json(s.app.complete_contract(&ctx, id).await?.into()))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ContractVersionOut {
    pub version: i64,
    pub total_fen: i64,
    pub total: String,
    pub created_by: i64,
    pub created_at: String,
    pub terms: ContractTerms,
    pub lines: Vec<ContractLineOut>,
}

impl From<ContractVersion> for ContractVersionOut {
    fn from(v: ContractVersion) -> Self {
        ContractVersionOut {
            version: v.terms.version,
            total_fen: v.terms.total_fen,
            total: format_yuan(v.terms.total_fen),
            created_by: v.terms.created_by,
            created_at: ts(v.terms.created_at_ms),
            terms: v.terms.into(),
            lines: v.lines.into_iter().map(ContractLineOut::from).collect(),
        }
    }
}

/// CON-3: the version history: every version with its terms (and the reason for the change)
/// and lines, oldest first.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/versions", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ContractVersionOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn versions(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<ContractVersionOut>>, ApiError> {
    let all = s.app.contract_versions(&ctx, id).await?;
    Ok(Json(
        all.into_iter().map(ContractVersionOut::from).collect(),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    pub from: i64,
    pub to: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TermDiff {
    /// The term's field name (delivery_date, delivery_place, …).
    pub field: String,
    pub old: String,
    pub new: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LineDiff {
    pub line_no: i64,
    /// added, removed or changed.
    pub change: String,
    pub product_id: i64,
    pub product_name: String,
    pub old_spec_model: Option<String>,
    pub new_spec_model: Option<String>,
    pub old_quantity: Option<i64>,
    pub new_quantity: Option<i64>,
    pub old_unit_price_fen: Option<i64>,
    pub new_unit_price_fen: Option<i64>,
}

impl From<LineChange> for LineDiff {
    fn from(c: LineChange) -> Self {
        let (change, old, new) = match c {
            LineChange::Added(l) => ("added", None, Some(l)),
            LineChange::Removed(l) => ("removed", Some(l), None),
            LineChange::Changed { old, new } => ("changed", Some(old), Some(new)),
        };
        let any = new.as_ref().or(old.as_ref());
        LineDiff {
            line_no: any.map_or(0, |l| l.line_no),
            change: change.to_owned(),
            product_id: any.map_or(0, |l| l.product_id),
            product_name: any.map(|l| l.product_name.clone()).unwrap_or_default(),
            old_spec_model: old.as_ref().map(|l| l.spec_model.clone()),
            new_spec_model: new.as_ref().map(|l| l.spec_model.clone()),
            old_quantity: old.as_ref().map(|l| l.quantity),
            new_quantity: new.as_ref().map(|l| l.quantity),
            old_unit_price_fen: old.as_ref().map(|l| l.unit_price_fen),
            new_unit_price_fen: new.as_ref().map(|l| l.unit_price_fen),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Diff {
    pub from: i64,
    pub to: i64,
    pub terms: Vec<TermDiff>,
    pub lines: Vec<LineDiff>,
}

impl From<ContractDiff> for Diff {
    fn from(d: ContractDiff) -> Self {
        Diff {
            from: d.from,
            to: d.to,
            terms: d
                .terms
                .into_iter()
                .map(|t| TermDiff {
                    field: t.field.to_owned(),
                    old: t.old,
                    new: t.new,
                })
                .collect(),
            lines: d.lines.into_iter().map(LineDiff::from).collect(),
        }
    }
}

/// CON-3: what changed from version `from` to version `to` (422 naming an unknown version).
#[utoipa::path(get, path = "/api/v1/contracts/{id}/diff", tag = "contracts", security(("bearer" = [])),
    params(("id" = i64, Path), DiffQuery),
    responses((status = 200, body = Diff), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn diff(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> Result<Json<Diff>, ApiError> {
    Ok(Json(
        s.app.contract_diff(&ctx, id, q.from, q.to).await?.into(),
    ))
}
