//! PRT-1…3: spare parts. The catalog with the products each part fits, warehouses (central,
//! regional, each engineer's own stock), stock per part and location with min/max levels,
//! the ledger every movement writes ([`ledger::post`]), transfers ([`stock`]), and issues and
//! returns against the engineers' part requests ([`issues`], SVC-5).

pub mod counts;
pub mod issues;
pub mod ledger;
pub mod purchasing;
pub mod stock;

pub use medcrm_store::parts::{
    CompatibleProduct, Mismatch, MovementRecord, PartRecord, StockRecord, TransferRecord,
    WarehouseRecord,
};

use medcrm_domain::auth::Role;
use medcrm_domain::parts::{Tracking, WarehouseKind};
use medcrm_store::parts::{
    self as store, PartFields, PartFilter, Places, StockFilter, WarehouseFields,
};
use medcrm_store::{Page, Tx, products, users};

use crate::customers::check_text;
use crate::error::Fields;
use crate::org::visibility;
use crate::policy::{Action, Visible, require};
use crate::{App, Ctx, Error, Result, audit, now_ms, page_size};

/// Largest unit cost accepted (¥10 million).
pub(crate) const MAX_UNIT_COST_FEN: i64 = 1_000_000_000;
/// How many products one part may list as compatible.
const MAX_COMPATIBLE: usize = 200;

#[derive(Debug, Clone, Default)]
pub struct PartInput {
    pub code: String,
    pub name: String,
    pub spec: String,
    pub unit: String,
    pub unit_cost_fen: i64,
    pub tracking: String,
    pub active: bool,
    pub product_ids: Vec<i64>,
}

/// A part with the products it fits and its stock at the locations the caller may see.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PartView {
    pub part: PartRecord,
    pub compatible: Vec<CompatibleProduct>,
    pub stock: Vec<StockRecord>,
}

#[derive(Debug, Clone, Default)]
pub struct WarehouseInput {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub region_id: Option<i64>,
    pub owner_id: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct PartQuery {
    pub q: Option<String>,
    pub product_id: Option<i64>,
    pub active: Option<bool>,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

/// The locations `visible` reaches: all, a region subtree (with central stock), or one
/// engineer's own stock.
pub(crate) fn places_of(visible: &Visible) -> Places {
    Places {
        regions: visible.regions(),
        owner_id: visible.only_user(),
    }
}

/// Whether `visible` reaches warehouse `w` (as [`places_of`] narrows lists).
pub(crate) fn reaches(visible: &Visible, w: &WarehouseRecord) -> bool {
    match visible {
        Visible::All => true,
        Visible::Regions(ids) => w.region_id.is_none_or(|r| ids.contains(&r)),
        Visible::OnlyUser(me) => w.owner_id == Some(*me),
    }
}

/// The warehouse if the caller's scope for `action` reaches it; "not found" otherwise.
pub(crate) async fn visible_warehouse(
    tx: &mut Tx,
    ctx: &Ctx,
    action: Action,
    id: i64,
) -> Result<WarehouseRecord> {
    let (visible, _) = visibility(tx, ctx, action).await?;
    store::get_warehouse(tx, id)
        .await?
        .filter(|w| reaches(&visible, w))
        .ok_or(Error::NotFound("warehouse"))
}

pub(crate) async fn active_part(tx: &mut Tx, id: i64, field: &'static str) -> Result<PartRecord> {
    store::get_part(tx, id)
        .await?
        .filter(|p| p.active)
        .ok_or_else(|| Error::invalid(field, "no such active part"))
}

/// Whether `user_id` is an active user holding one of `roles`.
pub(crate) async fn active_with_role(tx: &mut Tx, user_id: i64, roles: &[Role]) -> Result<bool> {
    if users::get(tx, user_id).await?.is_none_or(|u| !u.active) {
        return Ok(false);
    }
    let held = users::roles_of(tx, &[user_id]).await?;
    Ok(held
        .iter()
        .any(|(_, r)| roles.iter().any(|role| role.code() == r)))
}

pub(crate) fn check_part(input: &PartInput) -> Result<Tracking> {
    let mut fields = Fields::default();
    check_text(&mut fields, "code", &input.code, 1, 64);
    check_text(&mut fields, "name", &input.name, 1, 200);
    check_text(&mut fields, "spec", &input.spec, 0, 500);
    check_text(&mut fields, "unit", &input.unit, 1, 16);
    if !(0..=MAX_UNIT_COST_FEN).contains(&input.unit_cost_fen) {
        fields.add("unit_cost_fen", format!("0 to {MAX_UNIT_COST_FEN} fen"));
    }
    if input.product_ids.len() > MAX_COMPATIBLE {
        fields.add("product_ids", format!("at most {MAX_COMPATIBLE} products"));
    }
    let tracking = input.tracking.trim().parse::<Tracking>();
    if let Err(e) = &tracking {
        fields.add("tracking", e.clone());
    }
    fields.finish()?;
    tracking.map_err(|e| Error::invalid("tracking", e))
}

async fn check_products(tx: &mut Tx, ids: &[i64]) -> Result<()> {
    for id in ids {
        if products::get_product(tx, *id).await?.is_none() {
            return Err(Error::invalid("product_ids", format!("no product {id}")));
        }
    }
    Ok(())
}

/// A checked part written with the products it fits and audited, in the caller's
/// transaction: the form and the SYS-3 import both create parts through here.
pub(crate) async fn insert_part(
    tx: &mut Tx,
    ctx: &Ctx,
    input: &PartInput,
    tracking: Tracking,
) -> Result<i64> {
    check_products(tx, &input.product_ids).await?;
    let code = input.code.trim();
    let id = store::insert_part(tx, &part_fields(input, tracking), now_ms())
        .await
        .map_err(|e| part_conflict(e, code))?;
    store::set_compatible(tx, id, &input.product_ids).await?;
    let part = store::get_part(tx, id)
        .await?
        .ok_or(Error::NotFound("part"))?;
    audit::record(tx, ctx, "part", id, "create", None, Some(&part)).await?;
    Ok(id)
}

fn part_conflict(e: medcrm_store::Error, code: &str) -> Error {
    match e {
        medcrm_store::Error::Conflict(_) => {
            Error::conflict(Some("code"), format!("part {code} already exists"))
        }
        other => other.into(),
    }
}

impl App {
    /// PRT-1: a new catalog part with the products it fits.
    pub async fn create_part(&self, ctx: &Ctx, input: PartInput) -> Result<PartView> {
        require(&ctx.actor, Action::ManageParts)?;
        let tracking = check_part(&input)?;
        let mut tx = self.db.write().await?;
        let id = insert_part(&mut tx, ctx, &input, tracking).await?;
        let view = part_view(&mut tx, &Visible::All, id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// PRT-1: edits a part (its code too) and replaces the products it fits.
    pub async fn update_part(&self, ctx: &Ctx, id: i64, input: PartInput) -> Result<PartView> {
        require(&ctx.actor, Action::ManageParts)?;
        let tracking = check_part(&input)?;
        let mut tx = self.db.write().await?;
        let before = store::get_part(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("part"))?;
        check_products(&mut tx, &input.product_ids).await?;
        let code = input.code.trim();
        store::update_part(&mut tx, id, &part_fields(&input, tracking), now_ms())
            .await
            .map_err(|e| part_conflict(e, code))?;
        store::set_compatible(&mut tx, id, &input.product_ids).await?;
        let view = part_view(&mut tx, &Visible::All, id).await?;
        audit::record(
            &mut tx,
            ctx,
            "part",
            id,
            "update",
            Some(&before),
            Some(&view.part),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// PRT-1: one part, the products it fits and its stock where the caller may see stock.
    pub async fn part(&self, ctx: &Ctx, id: i64) -> Result<PartView> {
        require(&ctx.actor, Action::ReadParts)?;
        let mut tx = self.db.read().await?;
        let visible = match visibility(&mut tx, ctx, Action::ReadStock).await {
            Ok((v, _)) => Some(v),
            Err(Error::Forbidden) => None,
            Err(e) => return Err(e),
        };
        match visible {
            Some(v) => part_view(&mut tx, &v, id).await,
            None => {
                let mut view = part_view(&mut tx, &Visible::All, id).await?;
                view.stock.clear();
                Ok(view)
            }
        }
    }

    pub async fn part_by_code(&self, ctx: &Ctx, code: &str) -> Result<Option<PartRecord>> {
        require(&ctx.actor, Action::ReadParts)?;
        let mut tx = self.db.read().await?;
        Ok(store::part_by_code(&mut tx, code.trim()).await?)
    }

    /// PRT-1: the catalog, searched by code, name or spec, or by the product a part fits.
    pub async fn parts(&self, ctx: &Ctx, q: PartQuery) -> Result<Page<PartRecord>> {
        require(&ctx.actor, Action::ReadParts)?;
        let limit = page_size(q.limit)?;
        let query = q.q.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        if query.as_ref().is_some_and(|s| s.chars().count() > 100) {
            return Err(Error::invalid("q", "at most 100 characters"));
        }
        let filter = PartFilter {
            query,
            product_id: q.product_id,
            active: q.active,
        };
        let mut tx = self.db.read().await?;
        Ok(store::list_parts(&mut tx, &filter, q.cursor.unwrap_or(0), limit).await?)
    }

    /// PRT-1: a central or regional warehouse, or an engineer's own stock (one each).
    pub async fn create_warehouse(
        &self,
        ctx: &Ctx,
        input: WarehouseInput,
    ) -> Result<WarehouseRecord> {
        require(&ctx.actor, Action::ManageParts)?;
        let mut fields = Fields::default();
        check_text(&mut fields, "code", &input.code, 1, 32);
        check_text(&mut fields, "name", &input.name, 1, 100);
        let kind = input.kind.trim().parse::<WarehouseKind>();
        match &kind {
            Err(e) => fields.add("kind", e.clone()),
            Ok(WarehouseKind::Central) if input.region_id.is_some() => {
                fields.add("region_id", "central stock belongs to no region")
            }
            Ok(WarehouseKind::Regional | WarehouseKind::Engineer) if input.region_id.is_none() => {
                fields.add("region_id", "required")
            }
            Ok(WarehouseKind::Engineer) if input.owner_id.is_none() => {
                fields.add("owner_id", "required for an engineer's stock")
            }
            Ok(WarehouseKind::Central | WarehouseKind::Regional) if input.owner_id.is_some() => {
                fields.add("owner_id", "only an engineer's stock has an owner")
            }
            Ok(_) => {}
        }
        fields.finish()?;
        let kind = kind.map_err(|e| Error::invalid("kind", e))?;
        let mut tx = self.db.write().await?;
        if let Some(owner) = input.owner_id
            && !active_with_role(&mut tx, owner, &[Role::ServiceEngineer]).await?
        {
            return Err(Error::invalid("owner_id", "not an active service engineer"));
        }
        let id = store::insert_warehouse(
            &mut tx,
            &WarehouseFields {
                code: input.code.trim(),
                name: input.name.trim(),
                kind: kind.code(),
                region_id: input.region_id,
                owner_id: input.owner_id,
            },
            now_ms(),
        )
        .await
        .map_err(|e| match e {
            medcrm_store::Error::Conflict(what) if what.contains("owner") => Error::conflict(
                Some("owner_id"),
                "this engineer already has their own stock",
            ),
            medcrm_store::Error::Conflict(_) => Error::conflict(
                Some("code"),
                format!("warehouse {} already exists", input.code.trim()),
            ),
            medcrm_store::Error::MissingReference(_) => {
                Error::invalid("region_id", "no such region")
            }
            other => other.into(),
        })?;
        let w = store::get_warehouse(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("warehouse"))?;
        audit::record(&mut tx, ctx, "warehouse", id, "create", None, Some(&w)).await?;
        tx.commit().await?;
        Ok(w)
    }

    /// PRT-1: the locations the caller may see stock of.
    pub async fn warehouses(&self, ctx: &Ctx) -> Result<Vec<WarehouseRecord>> {
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadStock).await?;
        Ok(store::warehouses(&mut tx)
            .await?
            .into_iter()
            .filter(|w| reaches(&visible, w))
            .collect())
    }

    /// Every location, for the warehouse's forms (transfer destinations, receipts).
    pub async fn all_warehouses(&self, ctx: &Ctx) -> Result<Vec<WarehouseRecord>> {
        require(&ctx.actor, Action::ManageStock)?;
        let mut tx = self.db.read().await?;
        Ok(store::warehouses(&mut tx).await?)
    }

    /// The engineer's own stock location, if any (their issue form defaults to it).
    pub async fn my_warehouse(&self, ctx: &Ctx) -> Result<Option<WarehouseRecord>> {
        let mut tx = self.db.read().await?;
        Ok(store::warehouse_of(&mut tx, ctx.actor.user_id).await?)
    }

    pub async fn warehouse(&self, ctx: &Ctx, id: i64) -> Result<WarehouseRecord> {
        let mut tx = self.db.read().await?;
        visible_warehouse(&mut tx, ctx, Action::ReadStock, id).await
    }
}

fn part_fields(input: &PartInput, tracking: Tracking) -> PartFields<'_> {
    PartFields {
        code: input.code.trim(),
        name: input.name.trim(),
        spec: input.spec.trim(),
        unit: input.unit.trim(),
        unit_cost_fen: input.unit_cost_fen,
        tracking: tracking.code(),
        active: input.active,
    }
}

/// Stock rows of one part within `visible`; a part is stocked at tens of places, not more.
const PART_STOCK_ROWS: i64 = 200;

async fn part_view(tx: &mut Tx, visible: &Visible, id: i64) -> Result<PartView> {
    let part = store::get_part(tx, id)
        .await?
        .ok_or(Error::NotFound("part"))?;
    let compatible = store::compatible(tx, id).await?;
    let filter = StockFilter {
        part_id: Some(id),
        places: places_of(visible),
        ..StockFilter::default()
    };
    let stock = store::list_stock(tx, &filter, 0, PART_STOCK_ROWS)
        .await?
        .items;
    Ok(PartView {
        part,
        compatible,
        stock,
    })
}
