//! Sign in, sign out and the language switch.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use medcrm_app::auth::SessionKind;

use crate::AppState;
use crate::api::auth::session_cookie;
use crate::error::{UiError, request_id};
use crate::extract::{ClientAddr, LANG_COOKIE, SESSION_COOKIE, UiCaller, session_token};
use crate::i18n::Lang;
use crate::ui::{FormData, PageCtx, ok, render, safe_next, see_other};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Lang,
    csrf: String,
    username: String,
    error: Option<&'static str>,
}

pub async fn page(p: PageCtx) -> Result<Response, UiError> {
    ok(&LoginPage {
        t: p.t,
        csrf: p.csrf,
        username: String::new(),
        error: None,
    })
}

pub async fn submit(
    State(s): State<AppState>,
    p: PageCtx,
    ClientAddr(addr): ClientAddr,
    form: FormData,
) -> Result<Response, UiError> {
    let username = form.get("username").trim().to_owned();
    let result = s
        .app
        .login(
            &username,
            &form.get("password"),
            &addr,
            SessionKind::Browser,
            &request_id(),
        )
        .await;
    let (status, error) = match result {
        Ok(login) => {
            let mut res = see_other("/");
            if let Some(c) = session_cookie(&login.token) {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            // The user's saved language wins on a new device.
            if let Some(c) = lang_cookie(Lang::from_code(&login.actor.locale).unwrap_or(p.t)) {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            return Ok(res);
        }
        Err(medcrm_app::Error::InvalidCredentials) => (StatusCode::UNAUTHORIZED, "login.failed"),
        Err(medcrm_app::Error::RateLimited { .. }) => {
            (StatusCode::TOO_MANY_REQUESTS, "login.limited")
        }
        Err(e) => return Err(UiError(e)),
    };
    render(
        status,
        &LoginPage {
            t: p.t,
            csrf: p.csrf,
            username,
            error: Some(error),
        },
    )
}

pub async fn logout(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
) -> Result<Response, UiError> {
    s.app.logout(&ctx).await?;
    let mut res = see_other("/login");
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

fn lang_cookie(lang: Lang) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    ))
    .ok()
}

/// Switches the UI language; remembered in a cookie and, when signed in, on the user.
pub async fn switch_language(
    State(s): State<AppState>,
    parts: axum::http::request::Parts,
    form: FormData,
) -> Result<Response, UiError> {
    let lang = Lang::from_code(&form.get("lang")).unwrap_or(Lang::Zh);
    if let Some(token) = session_token(&parts)
        && let Ok(actor) = s.app.authenticate(&token).await
    {
        let ctx = medcrm_app::Ctx {
            actor,
            request_id: request_id(),
        };
        s.app.set_locale(&ctx, lang.code()).await?;
    }
    let mut res = see_other(&safe_next(&form.get("next")));
    if let Some(c) = lang_cookie(lang) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}
