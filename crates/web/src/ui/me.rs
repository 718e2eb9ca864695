//! My account: password change and personal API tokens.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use medcrm_app::auth::TokenRecord;

use crate::AppState;
use crate::error::UiError;
use crate::extract::{ApiPath, UiCaller};
use crate::i18n::Lang;
use crate::ui::{
    FieldErrors, FormData, PageCtx, Shell, after_post, field_errors, local_time, render, see_other,
};

#[derive(Template)]
#[template(path = "me/index.html")]
struct MePage {
    t: Lang,
    shell: Shell,
    username: String,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    errors: FieldErrors,
}

struct TokenRow {
    id: i64,
    name: String,
    expires: String,
    last_used: String,
    revoked: bool,
}

impl From<TokenRecord> for TokenRow {
    fn from(t: TokenRecord) -> Self {
        TokenRow {
            id: t.id,
            name: t.name,
            expires: local_time(t.expires_at_ms),
            last_used: local_time(t.last_used_at_ms),
            revoked: t.revoked_at_ms.is_some(),
        }
    }
}

async fn show(
    s: &AppState,
    ctx: &medcrm_app::Ctx,
    p: &PageCtx,
    status: StatusCode,
    new_token: Option<String>,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let tokens = s
        .app
        .personal_tokens(ctx)
        .await?
        .into_iter()
        .map(TokenRow::from)
        .collect();
    render(
        status,
        &MePage {
            t: p.t,
            shell: p.shell(ctx),
            username: ctx.actor.username.clone(),
            tokens,
            new_token,
            errors,
        },
    )
}

pub async fn page(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
) -> Result<Response, UiError> {
    show(&s, &ctx, &p, StatusCode::OK, None, FieldErrors::new()).await
}

pub async fn change_password(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    form: FormData,
) -> Result<Response, UiError> {
    let result = s
        .app
        .change_own_password(
            &ctx,
            &form.get("current_password"),
            &form.get("new_password"),
        )
        .await;
    after_post(
        result,
        |()| "/me?saved=1".to_owned(),
        |status, errors| show(&s, &ctx, &p, status, None, errors),
    )
    .await
}

pub async fn create_token(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    p: PageCtx,
    form: FormData,
) -> Result<Response, UiError> {
    let days = form.get("days").trim().parse::<i64>().unwrap_or(0);
    match s
        .app
        .create_personal_token(&ctx, &form.get("name"), days)
        .await
    {
        Ok(t) => {
            show(
                &s,
                &ctx,
                &p,
                StatusCode::CREATED,
                Some(t.token),
                FieldErrors::new(),
            )
            .await
        }
        Err(e) => {
            let (status, errors) = field_errors(e)?;
            show(&s, &ctx, &p, status, None, errors).await
        }
    }
}

pub async fn revoke_token(
    State(s): State<AppState>,
    UiCaller(ctx): UiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, UiError> {
    s.app.revoke_personal_token(&ctx, id).await?;
    Ok(see_other("/me"))
}
