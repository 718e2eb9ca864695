//! Users and regions.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medcrm_app::org::{
    NewRegionInput, NewUserInput, RegionRecord, UserQuery, UserUpdate, UserView,
};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::{Page, cursor, ts};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

#[derive(Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// A deactivated user cannot sign in; their history is kept.
    pub active: bool,
    pub locale: String,
    pub roles: Vec<String>,
    pub region_ids: Vec<i64>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<UserView> for User {
    fn from(v: UserView) -> Self {
        User {
            id: v.user.id,
            username: v.user.username,
            display_name: v.user.display_name,
            email: v.user.email,
            phone: v.user.phone,
            active: v.user.active,
            locale: v.user.locale,
            roles: v.roles.iter().map(|r| r.code().to_owned()).collect(),
            region_ids: v.region_ids,
            created_at: ts(v.user.created_at_ms),
            updated_at: ts(v.user.updated_at_ms),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Part of the username or name.
    pub q: Option<String>,
    /// Only users holding this role code.
    pub role: Option<String>,
    /// Include deactivated users.
    pub include_inactive: Option<bool>,
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// Users within the caller's scope (own / region / company).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), params(UserListQuery),
    responses((status = 200, body = Page<User>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_users(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiQuery(q): ApiQuery<UserListQuery>,
) -> Result<Json<Page<User>>, ApiError> {
    let query = UserQuery {
        query: q.q,
        role: q.role,
        include_inactive: q.include_inactive.unwrap_or(false),
        cursor: cursor(q.cursor.as_deref())?,
        limit: q.limit,
    };
    Ok(Json(Page::from(
        s.app.users(&ctx, &query).await?,
        User::from,
    )))
}

/// One user; 404 when outside the caller's scope.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = User), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_user(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(s.app.user(&ctx, id).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// 3–64 lowercase letters, digits, `.`, `_`, `-`.
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// At least 10 characters mixing two of letters, digits, symbols; not containing the username.
    pub password: String,
    /// Role codes: admin, sales_rep, sales_manager, sales_director, executive, service_agent,
    /// service_engineer, service_manager, warehouse, finance, legal, quality.
    pub roles: Vec<String>,
    #[serde(default)]
    pub region_ids: Vec<i64>,
}

/// Create a user (admin).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = CreateUser,
    responses((status = 201, body = User), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let input = NewUserInput {
        username: b.username,
        display_name: b.display_name,
        email: b.email,
        phone: b.phone,
        password: b.password,
        roles: b.roles,
        region_ids: b.region_ids,
    };
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_user(&ctx, input).await?.into()),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    /// An empty string clears it.
    pub email: Option<String>,
    /// An empty string clears it.
    pub phone: Option<String>,
    /// `false` deactivates the user and ends their sessions.
    pub active: Option<bool>,
    pub roles: Option<Vec<String>>,
    pub region_ids: Option<Vec<i64>>,
}

/// Change a user (admin); absent fields are kept.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = UpdateUser,
    responses((status = 200, body = User), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_user(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<UpdateUser>,
) -> Result<Json<User>, ApiError> {
    let up = UserUpdate {
        display_name: b.display_name,
        email: b.email.map(Some),
        phone: b.phone.map(Some),
        active: b.active,
        roles: b.roles,
        region_ids: b.region_ids,
    };
    Ok(Json(s.app.update_user(&ctx, id, up).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    pub password: String,
}

/// Set a user's password (admin); their sessions end.
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ResetPassword,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reset_password(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ResetPassword>,
) -> Result<StatusCode, ApiError> {
    s.app.reset_password(&ctx, id, &b.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Region {
    pub id: i64,
    pub parent_id: Option<i64>,
    /// `company`, `region` or `area`.
    pub kind: String,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

impl From<RegionRecord> for Region {
    fn from(r: RegionRecord) -> Self {
        Region {
            id: r.id,
            parent_id: r.parent_id,
            kind: r.kind,
            code: r.code,
            name_zh: r.name_zh,
            name_en: r.name_en,
        }
    }
}

/// The region tree as a flat list, parents before children.
#[utoipa::path(get, path = "/api/v1/regions", tag = "regions", security(("bearer" = [])),
    responses((status = 200, body = Vec<Region>), (status = 401, body = ErrorBody)))]
pub async fn list_regions(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<Vec<Region>>, ApiError> {
    Ok(Json(
        s.app
            .regions(&ctx)
            .await?
            .into_iter()
            .map(Region::from)
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRegion {
    /// The parent; its level decides this one's (company → region → area).
    pub parent_id: Option<i64>,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

/// Add a region or area (admin).
#[utoipa::path(post, path = "/api/v1/regions", tag = "regions", security(("bearer" = [])), request_body = CreateRegion,
    responses((status = 201, body = Region), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_region(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(b): ApiJson<CreateRegion>,
) -> Result<(StatusCode, Json<Region>), ApiError> {
    let input = NewRegionInput {
        parent_id: b.parent_id,
        code: b.code,
        name_zh: b.name_zh,
        name_en: b.name_en,
    };
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_region(&ctx, input).await?.into()),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameRegion {
    pub name_zh: String,
    pub name_en: String,
}

/// Rename a region (admin).
#[utoipa::path(patch, path = "/api/v1/regions/{id}", tag = "regions", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = RenameRegion,
    responses((status = 200, body = Region), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rename_region(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RenameRegion>,
) -> Result<Json<Region>, ApiError> {
    Ok(Json(
        s.app
            .rename_region(&ctx, id, &b.name_zh, &b.name_en)
            .await?
            .into(),
    ))
}
