//! Login (bearer token + session cookie), logout, the caller's profile and personal tokens.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use medcrm_app::auth::TokenRecord;
use medcrm_app::auth::{Actor, SessionKind};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::ts;
use crate::error::{ApiError, ErrorBody, request_id};
use crate::extract::{ApiJson, ApiPath, Caller, ClientAddr, SESSION_COOKIE};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// Role codes, e.g. `sales_rep`.
    pub roles: Vec<String>,
    pub region_ids: Vec<i64>,
    /// `zh-CN` or `en`.
    pub locale: String,
}

impl From<&Actor> for Me {
    fn from(a: &Actor) -> Self {
        Me {
            id: a.user_id,
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            roles: a.roles.iter().map(|r| r.code().to_owned()).collect(),
            region_ids: a.region_ids.clone(),
            locale: a.locale.clone(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub user: Me,
}

/// The cookie that carries a session for the UI.
pub fn session_cookie(token: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax"
    ))
    .ok()
}

/// Sign in with username and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let login = s
        .app
        .login(
            &body.username,
            &body.password,
            &addr,
            SessionKind::Api,
            &request_id(),
        )
        .await?;
    let mut res = Json(LoginResponse {
        user: Me::from(&login.actor),
        token: login.token.clone(),
    })
    .into_response();
    if let Some(c) = session_cookie(&login.token) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// End the current session or token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<StatusCode, ApiError> {
    s.app.logout(&ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(Caller(ctx): Caller) -> Json<Me> {
    Json(Me::from(&ctx.actor))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Token {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: String,
    pub revoked_at: Option<String>,
}

impl From<TokenRecord> for Token {
    fn from(t: TokenRecord) -> Self {
        Token {
            id: t.id,
            name: t.name,
            created_at: ts(t.created_at_ms),
            expires_at: ts(t.expires_at_ms),
            last_used_at: ts(t.last_used_at_ms),
            revoked_at: t.revoked_at_ms.map(ts),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    /// What the token is for, e.g. `ERP sync`.
    pub name: String,
    /// Validity in days (1–366); default 90.
    pub days: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NewTokenResponse {
    /// The secret; shown only in this response.
    pub token: String,
    pub info: Token,
}

/// The caller's personal API tokens.
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Vec<Token>), (status = 401, body = ErrorBody)))]
pub async fn tokens(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<Vec<Token>>, ApiError> {
    Ok(Json(
        s.app
            .personal_tokens(&ctx)
            .await?
            .into_iter()
            .map(Token::from)
            .collect(),
    ))
}

/// Create a personal API token.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "auth", security(("bearer" = [])),
    request_body = NewTokenRequest,
    responses((status = 201, body = NewTokenResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(body): ApiJson<NewTokenRequest>,
) -> Result<(StatusCode, Json<NewTokenResponse>), ApiError> {
    let t = s
        .app
        .create_personal_token(&ctx, &body.name, body.days.unwrap_or(90))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenResponse {
            token: t.token,
            info: t.record.into(),
        }),
    ))
}

/// Revoke one of the caller's personal tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revoke_token(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.app.revoke_personal_token(&ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
