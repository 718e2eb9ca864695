//! CSRF protection (double-submit token). Every state-changing request that a browser could
//! send on its own — any UI form, or an API call riding on the session cookie — must carry the
//! token from the `medcrm_csrf` cookie in a `_csrf` form field or an `X-CSRF-Token` header.
//! Another site can make the browser send the cookie but cannot read it to copy it.
//! Bearer-token API calls are exempt: browsers never attach those by themselves.
//! A file upload (`multipart/form-data`) carries `_csrf` as the form's first field; only the
//! start of the body is read to find it, so an upload is neither held in memory nor limited
//! here.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::MAX_BODY_BYTES;
use crate::error::ApiError;
use crate::extract::{SESSION_COOKIE, cookie};

pub const CSRF_COOKIE: &str = "medcrm_csrf";
pub const CSRF_FIELD: &str = "_csrf";

/// The request's CSRF token, for templates to put into forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

pub async fn protect(req: Request, next: Next) -> Response {
    let from_cookie = cookie(req.headers(), CSRF_COOKIE).filter(|t| t.len() == 32);
    let token = from_cookie.clone().unwrap_or_else(|| crate::hex_id(16));
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let is_api = req.uri().path().starts_with("/api/");
    let has_bearer = req.headers().contains_key(header::AUTHORIZATION);
    let rides_cookie = cookie(req.headers(), SESSION_COOKIE).is_some() && !has_bearer;
    let mut req = req;
    if unsafe_method && (!is_api || rides_cookie) {
        let (presented, rebuilt) = presented_token(req).await;
        req = rebuilt;
        let ok = match (&from_cookie, presented) {
            (Some(expected), Some(got)) => constant_time_eq(expected.as_bytes(), got.as_bytes()),
            _ => false,
        };
        if !ok {
            return refuse(is_api);
        }
    }
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if from_cookie.is_none()
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
        ))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// The token from the header, or from the `_csrf` field of a form body (the body is put back).
async fn presented_token(req: Request) -> (Option<String>, Request) {
    if let Some(h) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        let h = h.to_owned();
        return (Some(h), req);
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("multipart/form-data") {
        return multipart_token(req).await;
    }
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    if !is_form {
        return (None, req);
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return (None, Request::from_parts(parts, Body::empty()));
    };
    let token = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.into_owned());
    (token, Request::from_parts(parts, Body::from(bytes)))
}

/// How much of a multipart body is read to find `_csrf`: the field comes first and takes a
/// few hundred bytes.
const MULTIPART_PREFIX_BYTES: usize = 16 * 1024;

/// The `_csrf` field of a multipart form, when it is the form's first field. The start of
/// the body is read and then put back in front of the rest, which streams on untouched.
async fn multipart_token(req: Request) -> (Option<String>, Request) {
    use futures_util::StreamExt;
    let (parts, body) = req.into_parts();
    let mut stream = body.into_data_stream();
    let mut prefix = Vec::new();
    while prefix.len() < MULTIPART_PREFIX_BYTES {
        match stream.next().await {
            Some(Ok(chunk)) => prefix.extend_from_slice(&chunk),
            Some(Err(_)) => return (None, Request::from_parts(parts, Body::empty())),
            None => break,
        }
    }
    let prefix = axum::body::Bytes::from(prefix);
    let token = first_field_token(&parts.headers, prefix.clone()).await;
    let head = futures_util::stream::once(async move { Ok::<_, axum::Error>(prefix) });
    let body = Body::from_stream(head.chain(stream));
    (token, Request::from_parts(parts, body))
}

async fn first_field_token(
    headers: &axum::http::HeaderMap,
    prefix: axum::body::Bytes,
) -> Option<String> {
    use axum::extract::{FromRequest, Multipart};
    let content_type = headers.get(header::CONTENT_TYPE)?.clone();
    let req = Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(prefix))
        .ok()?;
    let mut form = Multipart::from_request(req, &()).await.ok()?;
    let field = form.next_field().await.ok()??;
    if field.name() != Some(CSRF_FIELD) {
        return None;
    }
    field.text().await.ok()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn refuse(is_api: bool) -> Response {
    let message =
        "the form has expired or did not come from this site; reload the page and try again";
    if is_api {
        ApiError::new(StatusCode::FORBIDDEN, "csrf_failed", message).into_response()
    } else {
        (
            StatusCode::FORBIDDEN,
            axum::response::Html(format!(
                "<h1>403</h1><p>{message}</p><p><a href=\"/\">medcrm</a></p>"
            )),
        )
            .into_response()
    }
}
