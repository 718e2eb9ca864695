//! Extractors that turn a request into what a use case needs: the caller (from a bearer token
//! or the session cookie), and JSON/query input whose errors name the field at fault.

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use medcrm_app::Ctx;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::{ApiError, UiError, request_id};

pub const SESSION_COOKIE: &str = "medcrm_session";
pub const LANG_COOKIE: &str = "medcrm_lang";

/// The value of cookie `name`, if the request carries it.
pub fn cookie(parts: &axum::http::HeaderMap, name: &str) -> Option<String> {
    parts
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn bearer(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The session secret of the request: bearer token first, then the cookie.
pub fn session_token(parts: &Parts) -> Option<String> {
    bearer(parts).or_else(|| cookie(&parts.headers, SESSION_COOKIE))
}

async fn caller(parts: &Parts, state: &AppState) -> medcrm_app::Result<Ctx> {
    let token = session_token(parts).ok_or(medcrm_app::Error::Unauthenticated)?;
    let actor = state.app.authenticate(&token).await?;
    Ok(Ctx {
        actor,
        request_id: request_id(),
    })
}

/// An authenticated API caller; 401 JSON otherwise.
pub struct Caller(pub Ctx);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Caller(caller(parts, state).await?))
    }
}

/// An authenticated UI caller; a redirect to the login page otherwise.
pub struct UiCaller(pub Ctx);

impl FromRequestParts<AppState> for UiCaller {
    type Rejection = UiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, UiError> {
        Ok(UiCaller(caller(parts, state).await?))
    }
}

/// The peer address, for the login rate limit.
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientAddr(addr))
    }
}

/// Where serde failed, as a field name (`roles[1]`, or the missing field).
fn field_of<E: std::fmt::Display>(e: &serde_path_to_error::Error<E>) -> String {
    let path = e.path().to_string();
    if path != "." {
        return path;
    }
    let msg = e.inner().to_string();
    msg.split('`').nth(1).unwrap_or("body").to_owned()
}

/// A JSON body: 415 without a JSON content type, 413 when too large, 400 when not JSON,
/// 422 naming the field when JSON of the wrong shape.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "the request body is too large",
                    )
                } else {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "bad_request",
                        "the request body could not be read",
                    )
                }
            })?;
        let malformed = |e: &serde_json::Error| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the body is not valid JSON: {e}"),
            )
        };
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value = match serde_path_to_error::deserialize(&mut de) {
            Ok(v) => v,
            Err(e) if e.inner().is_syntax() || e.inner().is_eof() => {
                return Err(malformed(e.inner()));
            }
            Err(e) => {
                let field = field_of(&e);
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    "validation failed",
                )
                .field(field, e.inner().to_string()));
            }
        };
        // Trailing bytes after the document are as malformed as a broken one.
        de.end().map_err(|e| malformed(&e))?;
        Ok(ApiJson(value))
    }
}

/// Query parameters; a bad one is 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let field = field_of(&e);
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    "validation failed",
                )
                .field(field, e.inner().to_string())
            })
    }
}

/// A path parameter; one that does not parse is 422 naming it.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(p) => Ok(ApiPath(p.0)),
            Err(e) => {
                // Name the parameter when the route has just one, as clients expect.
                let raw = axum::extract::RawPathParams::from_request_parts(parts, state).await;
                let names: Vec<String> = raw
                    .map(|r| r.iter().map(|(k, _)| k.to_owned()).collect())
                    .unwrap_or_default();
                let field = match names.as_slice() {
                    [one] => one.clone(),
                    _ => "path".to_owned(),
                };
                Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    "validation failed",
                )
                .field(field, e.body_text()))
            }
        }
    }
}
