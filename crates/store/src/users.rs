//! Users, their roles and their region assignments. Users are never deleted: deactivation
//! keeps their history (audit entries, owned records) intact.

use crate::{Classify, Page, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub active: bool,
    pub locale: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

const COLUMNS: &str =
    "id, username, display_name, email, phone, active, locale, created_at_ms, updated_at_ms";

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub password_hash: &'a str,
    pub locale: &'a str,
}

pub async fn insert(tx: &mut Tx, u: &NewUser<'_>, now_ms: i64) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar(
        "INSERT INTO users (username, display_name, email, phone, password_hash, locale, active, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $7) RETURNING id")
        .bind(u.username).bind(u.display_name).bind(u.email).bind(u.phone)
        .bind(u.password_hash).bind(u.locale).bind(now_ms)
        .fetch_one(c).await)
    .db()
}

pub async fn get(tx: &mut Tx, id: i64) -> Result<Option<UserRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM users WHERE id = $1"));
    on!(tx, c => sqlx::query_as(sql).bind(id).fetch_optional(c).await).db()
}

/// The user and their password hash, for login.
pub async fn credentials(tx: &mut Tx, username: &str) -> Result<Option<(i64, String, bool)>> {
    on!(tx, c => sqlx::query_as("SELECT id, password_hash, active FROM users WHERE username = $1")
        .bind(username).fetch_optional(c).await)
    .db()
}

pub async fn count(tx: &mut Tx) -> Result<i64> {
    on!(tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(c).await).db()
}

pub struct Changes<'a> {
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub active: bool,
}

pub async fn update(tx: &mut Tx, id: i64, ch: &Changes<'_>, now_ms: i64) -> Result<()> {
    let n = exec!(tx, c => sqlx::query(
        "UPDATE users SET display_name = $2, email = $3, phone = $4, active = $5, updated_at_ms = $6 WHERE id = $1")
        .bind(id).bind(ch.display_name).bind(ch.email).bind(ch.phone).bind(ch.active).bind(now_ms)
        .execute(c).await)
    .db()?;
    found(n)
}

pub async fn set_password(tx: &mut Tx, id: i64, hash: &str, now_ms: i64) -> Result<()> {
    let n = exec!(tx, c => sqlx::query("UPDATE users SET password_hash = $2, updated_at_ms = $3 WHERE id = $1")
        .bind(id).bind(hash).bind(now_ms).execute(c).await)
    .db()?;
    found(n)
}

pub async fn set_locale(tx: &mut Tx, id: i64, locale: &str) -> Result<()> {
    let n = exec!(tx, c => sqlx::query("UPDATE users SET locale = $2 WHERE id = $1")
        .bind(id).bind(locale).execute(c).await)
    .db()?;
    found(n)
}

fn found(rows: u64) -> Result<()> {
    if rows == 0 {
        Err(crate::Error::NotFound)
    } else {
        Ok(())
    }
}

pub async fn roles(tx: &mut Tx, id: i64) -> Result<Vec<String>> {
    on!(tx, c => sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role")
        .bind(id).fetch_all(c).await)
    .db()
}

pub async fn region_ids(tx: &mut Tx, id: i64) -> Result<Vec<i64>> {
    on!(tx, c => sqlx::query_scalar("SELECT region_id FROM user_regions WHERE user_id = $1 ORDER BY region_id")
        .bind(id).fetch_all(c).await)
    .db()
}

/// Replaces the user's roles with `roles`.
pub async fn set_roles(tx: &mut Tx, id: i64, roles: &[&str]) -> Result<()> {
    exec!(tx, c => sqlx::query("DELETE FROM user_roles WHERE user_id = $1").bind(id).execute(c).await).db()?;
    for role in roles {
        exec!(tx, c => sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
            .bind(id).bind(*role).execute(c).await)
        .db()?;
    }
    Ok(())
}

/// Replaces the user's region assignments with `regions`.
pub async fn set_regions(tx: &mut Tx, id: i64, regions: &[i64]) -> Result<()> {
    exec!(tx, c => sqlx::query("DELETE FROM user_regions WHERE user_id = $1").bind(id).execute(c).await).db()?;
    for region in regions {
        exec!(tx, c => sqlx::query("INSERT INTO user_regions (user_id, region_id) VALUES ($1, $2)")
            .bind(id).bind(*region).execute(c).await)
        .db()?;
    }
    Ok(())
}

/// What a user list is narrowed to. `visible_regions`/`only_user` carry the caller's data scope.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Part of username or display name.
    pub query: Option<String>,
    pub role: Option<String>,
    pub include_inactive: bool,
    /// Only users assigned to one of these regions (region scope).
    pub visible_regions: Option<Vec<i64>>,
    /// Only this user (own scope).
    pub only_user: Option<i64>,
}

/// A keyset page ordered by id.
pub async fn list(tx: &mut Tx, f: &Filter, after_id: i64, limit: i64) -> Result<Page<UserRecord>> {
    let rows: Vec<UserRecord> = on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(format!("SELECT {COLUMNS} FROM users WHERE id > "));
        q.push_bind(after_id);
        if !f.include_inactive {
            q.push(" AND active = TRUE");
        }
        if let Some(text) = &f.query {
            let pattern = format!("%{}%", text.to_lowercase());
            q.push(" AND (LOWER(username) LIKE ").push_bind(pattern.clone());
            q.push(" OR LOWER(display_name) LIKE ").push_bind(pattern).push(")");
        }
        if let Some(role) = &f.role {
            q.push(" AND id IN (SELECT user_id FROM user_roles WHERE role = ").push_bind(role.clone()).push(")");
        }
        if let Some(only) = f.only_user {
            q.push(" AND id = ").push_bind(only);
        }
        if let Some(regions) = &f.visible_regions {
            q.push(" AND id IN (SELECT user_id FROM user_regions WHERE region_id IN (");
            let mut sep = q.separated(", ");
            sep.push("NULL");
            for r in regions {
                sep.push_bind(*r);
            }
            q.push("))");
        }
        q.push(" ORDER BY id LIMIT ").push_bind(limit + 1);
        q.build_query_as().fetch_all(c).await
    })
    .db()?;
    Ok(Page::from_rows(rows, limit, |u| u.id))
}

/// `(user_id, role)` for every user in `ids`, to fill a page without a query per user.
pub async fn roles_of(tx: &mut Tx, ids: &[i64]) -> Result<Vec<(i64, String)>> {
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new("SELECT user_id, role FROM user_roles WHERE user_id IN (");
        let mut sep = q.separated(", ");
        sep.push("NULL");
        for id in ids {
            sep.push_bind(*id);
        }
        q.push(") ORDER BY user_id, role");
        q.build_query_as().fetch_all(c).await
    })
    .db()
}

/// `(user_id, region_id)` for every user in `ids`.
pub async fn regions_of(tx: &mut Tx, ids: &[i64]) -> Result<Vec<(i64, i64)>> {
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new("SELECT user_id, region_id FROM user_regions WHERE user_id IN (");
        let mut sep = q.separated(", ");
        sep.push("NULL");
        for id in ids {
            sep.push_bind(*id);
        }
        q.push(") ORDER BY user_id, region_id");
        q.build_query_as().fetch_all(c).await
    })
    .db()
}
