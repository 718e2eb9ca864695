//! The organisation: users (roles, region assignments) and the region tree. Users are
//! deactivated, never deleted, so their history stays attributable.

use std::collections::BTreeMap;

use medcrm_domain::auth::{Role, check_password, check_username};
use medcrm_domain::org::{RegionKind, RegionTree};
pub use medcrm_store::regions::RegionRecord;
use medcrm_store::regions::{self, NewRegion};
use medcrm_store::users;
pub use medcrm_store::users::UserRecord;
use medcrm_store::{Page, Tx};
use serde::Serialize;

use crate::auth::{Actor, hash_password};
use crate::error::Fields;
use crate::policy::{self, Action, Visible};
use crate::{App, Ctx, Error, Result, audit, now_ms};

/// A user with their roles and regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserView {
    pub user: UserRecord,
    pub roles: Vec<Role>,
    pub region_ids: Vec<i64>,
}

/// The audited shape of a user (never the password hash).
#[derive(Serialize)]
struct UserSnapshot<'a> {
    username: &'a str,
    display_name: &'a str,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    active: bool,
    roles: Vec<&'static str>,
    region_ids: &'a [i64],
}

impl UserView {
    fn snapshot(&self) -> UserSnapshot<'_> {
        UserSnapshot {
            username: &self.user.username,
            display_name: &self.user.display_name,
            email: self.user.email.as_deref(),
            phone: self.user.phone.as_deref(),
            active: self.user.active,
            roles: self.roles.iter().map(|r| r.code()).collect(),
            region_ids: &self.region_ids,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    pub query: Option<String>,
    pub role: Option<String>,
    pub include_inactive: bool,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

/// Fields an admin sets on a new user.
#[derive(Debug, Clone, Default)]
pub struct NewUserInput {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: String,
    pub roles: Vec<String>,
    pub region_ids: Vec<i64>,
}

/// Fields an admin may change; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub display_name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub active: Option<bool>,
    pub roles: Option<Vec<String>>,
    pub region_ids: Option<Vec<i64>>,
}

#[derive(Debug, Clone, Default)]
pub struct NewRegionInput {
    pub parent_id: Option<i64>,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

pub(crate) fn blank_to_none(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn check_display_name(fields: &mut Fields, name: &str) {
    if name.trim().is_empty() || name.chars().count() > 100 {
        fields.add("display_name", "display name must be 1 to 100 characters");
    }
}

pub(crate) fn check_contact(fields: &mut Fields, email: Option<&str>, phone: Option<&str>) {
    if let Some(e) = email
        && (e.len() > 200 || !e.contains('@') || e.starts_with('@') || e.ends_with('@'))
    {
        fields.add("email", "email must look like name@example.com");
    }
    if let Some(p) = phone
        && (p.len() > 30 || !p.chars().all(|c| c.is_ascii_digit() || "+- ()".contains(c)))
    {
        fields.add("phone", "phone may contain digits, spaces and + - ( ) only");
    }
}

fn parse_roles(fields: &mut Fields, codes: &[String]) -> Vec<Role> {
    let mut roles: Vec<Role> = Vec::new();
    for code in codes {
        match code.parse::<Role>() {
            Ok(r) if !roles.contains(&r) => roles.push(r),
            Ok(_) => {}
            Err(e) => fields.add("roles", e.to_string()),
        }
    }
    if roles.is_empty() {
        fields.add("roles", "a user needs at least one role");
    }
    roles.sort();
    roles
}

fn check_regions(fields: &mut Fields, tree: &RegionTree, ids: &[i64]) {
    if let Some(bad) = ids.iter().find(|id| !tree.contains(**id)) {
        fields.add("region_ids", format!("unknown region {bad}"));
    }
}

pub(crate) async fn region_tree(tx: &mut Tx) -> Result<RegionTree> {
    Ok(RegionTree::new(
        regions::all(tx)
            .await?
            .into_iter()
            .map(|r| (r.id, r.parent_id)),
    ))
}

/// What the caller may see for `action` (403 when nothing), and the region tree it came from.
pub(crate) async fn visibility(
    tx: &mut Tx,
    ctx: &Ctx,
    action: Action,
) -> Result<(Visible, RegionTree)> {
    let scope = policy::require(&ctx.actor, action)?;
    let tree = region_tree(tx).await?;
    Ok((policy::visible(&ctx.actor, scope, &tree), tree))
}

/// Roles and regions for a page of users in two queries.
async fn views(tx: &mut Tx, users: Vec<UserRecord>) -> Result<Vec<UserView>> {
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    let mut roles: BTreeMap<i64, Vec<Role>> = BTreeMap::new();
    for (id, role) in users::roles_of(tx, &ids).await? {
        if let Ok(r) = role.parse() {
            roles.entry(id).or_default().push(r);
        }
    }
    let mut regions: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (id, region) in users::regions_of(tx, &ids).await? {
        regions.entry(id).or_default().push(region);
    }
    Ok(users
        .into_iter()
        .map(|user| UserView {
            roles: roles.remove(&user.id).unwrap_or_default(),
            region_ids: regions.remove(&user.id).unwrap_or_default(),
            user,
        })
        .collect())
}

async fn view(tx: &mut Tx, id: i64) -> Result<Option<UserView>> {
    let Some(user) = users::get(tx, id).await? else {
        return Ok(None);
    };
    Ok(views(tx, vec![user]).await?.pop())
}

impl App {
    /// Users the caller may see (own / region subtree / company), keyset-paged.
    pub async fn users(&self, ctx: &Ctx, q: &UserQuery) -> Result<Page<UserView>> {
        let scope = policy::require(&ctx.actor, Action::ReadUsers)?;
        let limit = crate::page_size(q.limit)?;
        let mut tx = self.db.read().await?;
        let tree = region_tree(&mut tx).await?;
        let visible = policy::visible(&ctx.actor, scope, &tree);
        let filter = users::Filter {
            query: blank_to_none(q.query.clone()),
            role: blank_to_none(q.role.clone()),
            include_inactive: q.include_inactive,
            visible_regions: visible.regions(),
            only_user: visible.only_user(),
        };
        let page = users::list(&mut tx, &filter, q.cursor.unwrap_or(0), limit).await?;
        Ok(Page {
            items: views(&mut tx, page.items).await?,
            next_cursor: page.next_cursor,
        })
    }

    /// One user, if within the caller's scope; otherwise "not found" so existence never leaks.
    pub async fn user(&self, ctx: &Ctx, id: i64) -> Result<UserView> {
        let scope = policy::require(&ctx.actor, Action::ReadUsers)?;
        let mut tx = self.db.read().await?;
        let tree = region_tree(&mut tx).await?;
        let visible = policy::visible(&ctx.actor, scope, &tree);
        view(&mut tx, id)
            .await?
            .filter(|v| policy::can_see(&visible, Some(v.user.id), &v.region_ids))
            .ok_or(Error::NotFound("user"))
    }

    pub async fn create_user(&self, ctx: &Ctx, input: NewUserInput) -> Result<UserView> {
        policy::require(&ctx.actor, Action::ManageUsers)?;
        let mut tx = self.db.write().await?;
        let view = insert_user(&mut tx, ctx, input).await?;
        tx.commit().await?;
        Ok(view)
    }

    pub async fn update_user(&self, ctx: &Ctx, id: i64, up: UserUpdate) -> Result<UserView> {
        policy::require(&ctx.actor, Action::ManageUsers)?;
        let mut tx = self.db.write().await?;
        let before = view(&mut tx, id).await?.ok_or(Error::NotFound("user"))?;
        let tree = region_tree(&mut tx).await?;
        let mut fields = Fields::default();
        let display_name = up
            .display_name
            .unwrap_or_else(|| before.user.display_name.clone());
        check_display_name(&mut fields, &display_name);
        let email = up
            .email
            .map(blank_to_none)
            .unwrap_or_else(|| before.user.email.clone());
        let phone = up
            .phone
            .map(blank_to_none)
            .unwrap_or_else(|| before.user.phone.clone());
        check_contact(&mut fields, email.as_deref(), phone.as_deref());
        let roles = up.roles.as_ref().map(|r| parse_roles(&mut fields, r));
        if let Some(ids) = &up.region_ids {
            check_regions(&mut fields, &tree, ids);
        }
        let active = up.active.unwrap_or(before.user.active);
        if !active && id == ctx.actor.user_id {
            fields.add("active", "you cannot deactivate yourself");
        }
        if id == ctx.actor.user_id && roles.as_ref().is_some_and(|r| !r.contains(&Role::Admin)) {
            fields.add("roles", "you cannot remove your own admin role");
        }
        fields.finish()?;
        let now = now_ms();
        users::update(
            &mut tx,
            id,
            &users::Changes {
                display_name: display_name.trim(),
                email: email.as_deref(),
                phone: phone.as_deref(),
                active,
            },
            now,
        )
        .await?;
        if let Some(roles) = &roles {
            let codes: Vec<&str> = roles.iter().map(|r| r.code()).collect();
            users::set_roles(&mut tx, id, &codes).await?;
        }
        if let Some(ids) = &up.region_ids {
            users::set_regions(&mut tx, id, ids).await?;
        }
        if !active && before.user.active {
            // A deactivated user is signed out everywhere at once.
            medcrm_store::sessions::revoke_all(&mut tx, id, now).await?;
        }
        let after = view(&mut tx, id).await?.ok_or(Error::NotFound("user"))?;
        let action = match (before.user.active, after.user.active) {
            (true, false) => "deactivate",
            (false, true) => "reactivate",
            _ => "update",
        };
        audit::record(
            &mut tx,
            ctx,
            "user",
            id,
            action,
            Some(&before.snapshot()),
            Some(&after.snapshot()),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Sets another user's password (admin) and signs them out everywhere.
    pub async fn reset_password(&self, ctx: &Ctx, id: i64, password: &str) -> Result<()> {
        policy::require(&ctx.actor, Action::ManageUsers)?;
        let mut tx = self.db.write().await?;
        let user = users::get(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("user"))?;
        check_password(&user.username, password)
            .map_err(|e| Error::invalid("password", e.to_string()))?;
        let now = now_ms();
        users::set_password(&mut tx, id, &hash_password(password)?, now).await?;
        medcrm_store::sessions::revoke_all(&mut tx, id, now).await?;
        audit::record(&mut tx, ctx, "user", id, "reset_password", None, None).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn regions(&self, ctx: &Ctx) -> Result<Vec<RegionRecord>> {
        policy::require(&ctx.actor, Action::ReadRegions)?;
        let mut tx = self.db.read().await?;
        Ok(regions::all(&mut tx).await?)
    }

    pub async fn create_region(&self, ctx: &Ctx, input: NewRegionInput) -> Result<RegionRecord> {
        policy::require(&ctx.actor, Action::ManageRegions)?;
        let mut tx = self.db.write().await?;
        let region = insert_region(&mut tx, ctx, &input).await?;
        tx.commit().await?;
        Ok(region)
    }

    pub async fn rename_region(
        &self,
        ctx: &Ctx,
        id: i64,
        name_zh: &str,
        name_en: &str,
    ) -> Result<RegionRecord> {
        policy::require(&ctx.actor, Action::ManageRegions)?;
        let mut fields = Fields::default();
        check_region_names(&mut fields, name_zh, name_en);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let all = regions::all(&mut tx).await?;
        let before = all
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(Error::NotFound("region"))?;
        regions::rename(&mut tx, id, name_zh.trim(), name_en.trim()).await?;
        let after = RegionRecord {
            name_zh: name_zh.trim().to_owned(),
            name_en: name_en.trim().to_owned(),
            ..before.clone()
        };
        audit::record(
            &mut tx,
            ctx,
            "region",
            id,
            "rename",
            Some(&region_json(&before)),
            Some(&region_json(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// `medcrm init`: creates the company root and the first admin on an empty database.
    pub async fn init_admin(&self, username: &str, password: &str, company: &str) -> Result<()> {
        let mut tx = self.db.write().await?;
        if users::count(&mut tx).await? > 0 {
            return Err(Error::conflict(
                None,
                "this database already has users; use the admin pages",
            ));
        }
        let ctx = Ctx::system("init");
        let company = insert_region(
            &mut tx,
            &ctx,
            &NewRegionInput {
                parent_id: None,
                code: "HQ".into(),
                name_zh: company.into(),
                name_en: company.into(),
            },
        )
        .await?;
        insert_user(
            &mut tx,
            &ctx,
            NewUserInput {
                username: username.into(),
                display_name: "Administrator".into(),
                password: password.into(),
                roles: vec![Role::Admin.code().into()],
                region_ids: vec![company.id],
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Ctx {
    /// The actor of work the system does itself (init, demo data, jobs). User ids start at 1.
    pub fn system(request_id: &str) -> Ctx {
        Ctx {
            actor: Actor {
                user_id: 0,
                username: "system".into(),
                display_name: "system".into(),
                roles: [Role::Admin].into(),
                region_ids: Vec::new(),
                locale: "zh-CN".into(),
                session_id: 0,
            },
            request_id: request_id.into(),
        }
    }
}

fn check_region_names(fields: &mut Fields, name_zh: &str, name_en: &str) {
    if name_zh.trim().is_empty() || name_zh.chars().count() > 50 {
        fields.add("name_zh", "Chinese name must be 1 to 50 characters");
    }
    if name_en.trim().is_empty() || name_en.chars().count() > 50 {
        fields.add("name_en", "English name must be 1 to 50 characters");
    }
}

fn region_json(r: &RegionRecord) -> serde_json::Value {
    serde_json::json!({"parent_id": r.parent_id, "kind": r.kind, "code": r.code, "name_zh": r.name_zh, "name_en": r.name_en})
}

/// Validates and inserts a user with roles and regions, audited, inside `tx`.
pub(crate) async fn insert_user(tx: &mut Tx, ctx: &Ctx, input: NewUserInput) -> Result<UserView> {
    let tree = region_tree(tx).await?;
    let mut fields = Fields::default();
    let username = input.username.trim().to_owned();
    fields.check("username", check_username(&username));
    check_display_name(&mut fields, &input.display_name);
    let email = blank_to_none(input.email);
    let phone = blank_to_none(input.phone);
    check_contact(&mut fields, email.as_deref(), phone.as_deref());
    fields.check("password", check_password(&username, &input.password));
    let roles = parse_roles(&mut fields, &input.roles);
    check_regions(&mut fields, &tree, &input.region_ids);
    fields.finish()?;
    if users::credentials(tx, &username).await?.is_some() {
        return Err(Error::conflict(
            Some("username"),
            format!("username `{username}` is already taken"),
        ));
    }
    let id = users::insert(
        tx,
        &users::NewUser {
            username: &username,
            display_name: input.display_name.trim(),
            email: email.as_deref(),
            phone: phone.as_deref(),
            password_hash: &hash_password(&input.password)?,
            locale: "zh-CN",
        },
        now_ms(),
    )
    .await?;
    let codes: Vec<&str> = roles.iter().map(|r| r.code()).collect();
    users::set_roles(tx, id, &codes).await?;
    users::set_regions(tx, id, &input.region_ids).await?;
    let created = view(tx, id).await?.ok_or(Error::NotFound("user"))?;
    audit::record(
        tx,
        ctx,
        "user",
        id,
        "create",
        None,
        Some(&created.snapshot()),
    )
    .await?;
    Ok(created)
}

/// Validates and inserts a region; its kind follows from its parent (company → region → area).
pub(crate) async fn insert_region(
    tx: &mut Tx,
    ctx: &Ctx,
    input: &NewRegionInput,
) -> Result<RegionRecord> {
    let all = regions::all(tx).await?;
    let mut fields = Fields::default();
    let code = input.code.trim();
    if code.is_empty()
        || code.len() > 20
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        fields.add("code", "code must be 1 to 20 letters, digits or '-'");
    }
    check_region_names(&mut fields, &input.name_zh, &input.name_en);
    let kind = match input.parent_id {
        None if all.iter().any(|r| r.parent_id.is_none()) => {
            fields.add(
                "parent_id",
                "the company already exists; choose a parent region",
            );
            None
        }
        None => Some(RegionKind::Company),
        Some(pid) => match all.iter().find(|r| r.id == pid) {
            None => {
                fields.add("parent_id", format!("unknown region {pid}"));
                None
            }
            Some(parent) => {
                let child = parent
                    .kind
                    .parse::<RegionKind>()
                    .ok()
                    .and_then(RegionKind::child_kind);
                if child.is_none() {
                    fields.add("parent_id", "an area cannot have sub-regions");
                }
                child
            }
        },
    };
    fields.finish()?;
    let kind = kind.ok_or_else(|| Error::invalid("parent_id", "invalid parent"))?;
    if all.iter().any(|r| r.code.eq_ignore_ascii_case(code)) {
        return Err(Error::conflict(
            Some("code"),
            format!("region code `{code}` is already used"),
        ));
    }
    let id = regions::insert(
        tx,
        &NewRegion {
            parent_id: input.parent_id,
            kind: kind.code(),
            code,
            name_zh: input.name_zh.trim(),
            name_en: input.name_en.trim(),
        },
        now_ms(),
    )
    .await?;
    let region = RegionRecord {
        id,
        parent_id: input.parent_id,
        kind: kind.code().into(),
        code: code.into(),
        name_zh: input.name_zh.trim().into(),
        name_en: input.name_en.trim().into(),
    };
    audit::record(
        tx,
        ctx,
        "region",
        id,
        "create",
        None,
        Some(&region_json(&region)),
    )
    .await?;
    Ok(region)
}
