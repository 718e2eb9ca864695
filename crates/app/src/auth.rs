//! Authentication: argon2 password hashes, opaque session/API tokens stored as SHA-256,
//! a login rate limit kept in the database, and CSRF tokens derived from the session.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use medcrm_domain::auth::{Role, check_password};
pub use medcrm_store::sessions::SessionRecord as TokenRecord;
use medcrm_store::{sessions, users};
use sha2::{Digest, Sha256};

use crate::{App, Ctx, Error, Result, audit, now_ms};

/// A signed-in user as every use case sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: BTreeSet<Role>,
    pub region_ids: Vec<i64>,
    pub locale: String,
    pub session_id: i64,
}

impl Actor {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Where a login comes from; the kind decides the token's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// UI cookie.
    Browser,
    /// Bearer token from `POST /api/v1/auth/login`.
    Api,
}

const HOUR_MS: i64 = 3_600_000;
const BROWSER_SESSION_MS: i64 = 12 * HOUR_MS;
const API_SESSION_MS: i64 = 24 * HOUR_MS;
const MAX_PERSONAL_TOKEN_DAYS: i64 = 366;
/// Five failures for one username or twenty from one address within the window → 429.
const FAILURE_WINDOW_MS: i64 = 15 * 60_000;
const MAX_FAILURES_PER_USER: i64 = 5;
const MAX_FAILURES_PER_ADDRESS: i64 = 20;
/// `last_used_at_ms` is refreshed at most this often, so reads rarely write.
const TOUCH_INTERVAL_MS: i64 = 60_000;

pub struct Login {
    pub token: String,
    pub actor: Actor,
}

/// A freshly created personal token; the secret is shown once and never stored.
pub struct NewToken {
    pub token: String,
    pub record: TokenRecord,
}

pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("hashing password: {e}")))
}

fn password_matches(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A hash to verify against when the user does not exist, so timing does not tell.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not-a-real-password-1").unwrap_or_default())
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

impl App {
    /// Checks the password, applies the rate limit, and opens a session.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        address: &str,
        kind: SessionKind,
        request_id: &str,
    ) -> Result<Login> {
        let now = now_ms();
        let mut tx = self.db.write().await?;
        let (by_user, by_address) =
            sessions::recent_failures(&mut tx, username, address, now - FAILURE_WINDOW_MS).await?;
        if by_user >= MAX_FAILURES_PER_USER || by_address >= MAX_FAILURES_PER_ADDRESS {
            return Err(Error::RateLimited {
                retry_after_s: FAILURE_WINDOW_MS / 1000,
            });
        }
        let found = users::credentials(&mut tx, username).await?;
        let ok = match &found {
            Some((_, hash, active)) => password_matches(password, hash) && *active,
            None => {
                password_matches(password, dummy_hash());
                false
            }
        };
        let Some((user_id, _, _)) = found.filter(|_| ok) else {
            sessions::record_login_failure(&mut tx, username, address, now).await?;
            tx.commit().await?;
            return Err(Error::InvalidCredentials);
        };
        sessions::clear_failures(&mut tx, username).await?;
        let token = new_token();
        let (kind_code, lifetime) = match kind {
            SessionKind::Browser => ("browser", BROWSER_SESSION_MS),
            SessionKind::Api => ("api", API_SESSION_MS),
        };
        let session_id = sessions::insert(
            &mut tx,
            &sessions::NewSession {
                token_hash: &token_hash(&token),
                user_id,
                kind: kind_code,
                name: address,
                expires_at_ms: now + lifetime,
            },
            now,
        )
        .await?;
        let actor = load_actor(&mut tx, user_id, session_id).await?;
        let ctx = Ctx {
            actor: actor.clone(),
            request_id: request_id.to_owned(),
        };
        audit::record(&mut tx, &ctx, "session", session_id, "login", None, None).await?;
        tx.commit().await?;
        Ok(Login { token, actor })
    }

    /// The actor behind a session cookie or bearer token.
    pub async fn authenticate(&self, token: &str) -> Result<Actor> {
        let now = now_ms();
        let mut tx = self.db.read().await?;
        let session = sessions::live(&mut tx, &token_hash(token), now)
            .await?
            .ok_or(Error::Unauthenticated)?;
        let actor = load_actor(&mut tx, session.user_id, session.id).await?;
        drop(tx);
        if now - session.last_used_at_ms > TOUCH_INTERVAL_MS {
            let mut tx = self.db.write().await?;
            sessions::touch(&mut tx, session.id, now).await?;
            tx.commit().await?;
        }
        Ok(actor)
    }

    /// Ends the caller's current session.
    pub async fn logout(&self, ctx: &Ctx) -> Result<()> {
        let mut tx = self.db.write().await?;
        sessions::revoke(&mut tx, ctx.actor.session_id, ctx.actor.user_id, now_ms()).await?;
        audit::record(
            &mut tx,
            ctx,
            "session",
            ctx.actor.session_id,
            "logout",
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates a personal API token valid for `days` (1–366).
    pub async fn create_personal_token(
        &self,
        ctx: &Ctx,
        name: &str,
        days: i64,
    ) -> Result<NewToken> {
        let name = name.trim();
        let mut fields = crate::error::Fields::default();
        if name.is_empty() || name.chars().count() > 100 {
            fields.add("name", "name must be 1 to 100 characters");
        }
        if !(1..=MAX_PERSONAL_TOKEN_DAYS).contains(&days) {
            fields.add(
                "days",
                format!("days must be between 1 and {MAX_PERSONAL_TOKEN_DAYS}"),
            );
        }
        fields.finish()?;
        let now = now_ms();
        let token = new_token();
        let mut tx = self.db.write().await?;
        let id = sessions::insert(
            &mut tx,
            &sessions::NewSession {
                token_hash: &token_hash(&token),
                user_id: ctx.actor.user_id,
                kind: "personal",
                name,
                expires_at_ms: now + days * 24 * HOUR_MS,
            },
            now,
        )
        .await?;
        let record = sessions::personal_tokens(&mut tx, ctx.actor.user_id)
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(Error::NotFound("token"))?;
        let after = serde_json::json!({"name": name, "expires_at_ms": record.expires_at_ms});
        audit::record(&mut tx, ctx, "api_token", id, "create", None, Some(&after)).await?;
        tx.commit().await?;
        Ok(NewToken { token, record })
    }

    pub async fn personal_tokens(&self, ctx: &Ctx) -> Result<Vec<TokenRecord>> {
        let mut tx = self.db.read().await?;
        Ok(sessions::personal_tokens(&mut tx, ctx.actor.user_id).await?)
    }

    /// Revokes one of the caller's own tokens; another user's token is "not found".
    pub async fn revoke_personal_token(&self, ctx: &Ctx, id: i64) -> Result<()> {
        let mut tx = self.db.write().await?;
        let mine = sessions::personal_tokens(&mut tx, ctx.actor.user_id)
            .await?
            .into_iter()
            .any(|t| t.id == id);
        if !mine || !sessions::revoke(&mut tx, id, ctx.actor.user_id, now_ms()).await? {
            return Err(Error::NotFound("token"));
        }
        audit::record(&mut tx, ctx, "api_token", id, "revoke", None, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes the caller's own password after checking the current one.
    pub async fn change_own_password(&self, ctx: &Ctx, current: &str, new: &str) -> Result<()> {
        check_password(&ctx.actor.username, new)
            .map_err(|e| Error::invalid("new_password", e.to_string()))?;
        let mut tx = self.db.write().await?;
        let (_, hash, _) = users::credentials(&mut tx, &ctx.actor.username)
            .await?
            .ok_or(Error::NotFound("user"))?;
        if !password_matches(current, &hash) {
            return Err(Error::invalid(
                "current_password",
                "the current password is wrong",
            ));
        }
        users::set_password(&mut tx, ctx.actor.user_id, &hash_password(new)?, now_ms()).await?;
        audit::record(
            &mut tx,
            ctx,
            "user",
            ctx.actor.user_id,
            "change_password",
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Remembers the caller's UI language (`zh-CN` or `en`).
    pub async fn set_locale(&self, ctx: &Ctx, locale: &str) -> Result<()> {
        if !matches!(locale, "zh-CN" | "en") {
            return Err(Error::invalid("locale", "locale must be zh-CN or en"));
        }
        let mut tx = self.db.write().await?;
        users::set_locale(&mut tx, ctx.actor.user_id, locale).await?;
        tx.commit().await?;
        Ok(())
    }
}

pub(crate) async fn load_actor(
    tx: &mut medcrm_store::Tx,
    user_id: i64,
    session_id: i64,
) -> Result<Actor> {
    let user = users::get(tx, user_id)
        .await?
        .filter(|u| u.active)
        .ok_or(Error::Unauthenticated)?;
    let roles = users::roles(tx, user_id)
        .await?
        .iter()
        .filter_map(|r| r.parse().ok())
        .collect();
    Ok(Actor {
        user_id,
        username: user.username,
        display_name: user.display_name,
        roles,
        region_ids: users::region_ids(tx, user_id).await?,
        locale: user.locale,
        session_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_hash_verifies_only_the_right_password() {
        let h = hash_password("medcrm-demo").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(password_matches("medcrm-demo", &h));
        assert!(!password_matches("medcrm-dem0", &h));
    }
}
