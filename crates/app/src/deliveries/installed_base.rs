//! ORD-2: the installed base: every delivered serialized device, where it is, its warranty.
//! Service history arrives with the service module (SVC); nothing is shown in its place.

use medcrm_domain::deliveries::{DeviceStatus, WarrantyState, warranty_end, warranty_state};
use medcrm_store::deliveries::{self as store, DeviceChange, DeviceFilter};
use medcrm_store::{Page, Tx, contracts, customers as customers_store};

use super::{DeviceRecord, PurchaseRecord, reach};
use crate::customers::{parse_date, today, visible_institution};
use crate::error::Fields;
use crate::org::{blank_to_none, visibility};
use crate::policy::{self, Action};
use crate::{App, Ctx, Error, Result, audit};

/// Purchase lines shown on a customer's page.
const PURCHASES_SHOWN: i64 = 50;

#[derive(Debug, Clone, Default)]
pub struct DeviceQuery {
    /// Part of the serial, the product's code or name, or the customer's name.
    pub query: Option<String>,
    pub product_id: Option<i64>,
    pub institution_id: Option<i64>,
    pub status: Option<String>,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct DeviceDetail {
    pub record: DeviceRecord,
    pub warranty: WarrantyState,
    /// The contract's warranty, from installation (or delivery until installed).
    pub warranty_months: Option<i64>,
}

/// ORD-2 changes; `None` keeps the value. An empty `installed_on` clears it.
#[derive(Debug, Clone, Default)]
pub struct DeviceInput {
    pub installed_on: Option<String>,
    pub department_id: Option<Option<i64>>,
    pub status: Option<String>,
}

async fn visible_device(tx: &mut Tx, ctx: &Ctx, action: Action, id: i64) -> Result<DeviceRecord> {
    let (visible, _) = visibility(tx, ctx, action).await?;
    store::get_device(tx, id)
        .await?
        .filter(|d| policy::can_see(&visible, Some(d.owner_id), &[d.region_id]))
        .ok_or(Error::NotFound("device"))
}

async fn warranty_months(tx: &mut Tx, d: &DeviceRecord) -> Result<Option<i64>> {
    let Some(contract_id) = d.contract_id else {
        return Ok(None);
    };
    let Some(contract) = contracts::get(tx, contract_id).await? else {
        return Ok(None);
    };
    let version = contract.effective_version.unwrap_or(contract.version);
    Ok(contracts::terms(tx, contract_id, version)
        .await?
        .map(|t| t.warranty_months))
}

async fn detail(tx: &mut Tx, record: DeviceRecord) -> Result<DeviceDetail> {
    let end = record.warranty_end.as_deref().and_then(|d| d.parse().ok());
    Ok(DeviceDetail {
        warranty: warranty_state(end, today()),
        warranty_months: warranty_months(tx, &record).await?,
        record,
    })
}

impl App {
    /// ORD-2: devices in scope, newest first.
    pub async fn devices(&self, ctx: &Ctx, q: &DeviceQuery) -> Result<Page<DeviceRecord>> {
        let limit = crate::page_size(q.limit)?;
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadInstalledBase).await?;
        let mut fields = Fields::default();
        if let Some(s) = &q.status {
            fields.check("status", s.parse::<DeviceStatus>().map(drop));
        }
        fields.finish()?;
        let filter = DeviceFilter {
            query: blank_to_none(q.query.clone()),
            product_id: q.product_id,
            institution_id: q.institution_id,
            status: q.status.clone(),
            reach: reach(&visible),
        };
        Ok(store::list_devices(&mut tx, &filter, q.cursor, limit).await?)
    }

    /// ORD-2: one device with its delivery, contract and warranty state.
    pub async fn device(&self, ctx: &Ctx, id: i64) -> Result<DeviceDetail> {
        let mut tx = self.db.read().await?;
        let record = visible_device(&mut tx, ctx, Action::ReadInstalledBase, id).await?;
        detail(&mut tx, record).await
    }

    /// ORD-2: installation date (the warranty then runs from it), department and status.
    pub async fn update_device(
        &self,
        ctx: &Ctx,
        id: i64,
        input: DeviceInput,
    ) -> Result<DeviceDetail> {
        let mut tx = self.db.write().await?;
        let before = visible_device(&mut tx, ctx, Action::ManageInstalledBase, id).await?;
        let mut fields = Fields::default();
        let installed_on = match input.installed_on {
            None => before.installed_on.clone(),
            Some(text) => {
                let date = parse_date(&mut fields, "installed_on", Some(&text));
                match date {
                    Some(d) if d > today() => fields.add("installed_on", "cannot be in the future"),
                    Some(d) if d.to_string() < before.delivered_on => {
                        fields.add("installed_on", "cannot be before the delivery")
                    }
                    _ => {}
                }
                date.map(|d| d.to_string())
            }
        };
        let department_id = input.department_id.unwrap_or(before.department_id);
        if let Some(dep) = department_id {
            let ours = customers_store::departments(&mut tx, before.institution_id).await?;
            if !ours.iter().any(|d| d.id == dep) {
                fields.add("department_id", "not a department of this customer");
            }
        }
        let status = input.status.unwrap_or_else(|| before.status.clone());
        fields.check("status", status.parse::<DeviceStatus>().map(drop));
        fields.finish()?;
        let start = installed_on.as_deref().unwrap_or(&before.delivered_on);
        let warranty = match (start.parse(), warranty_months(&mut tx, &before).await?) {
            (Ok(from), Some(months)) => warranty_end(from, months).map(|d| d.to_string()),
            _ => before.warranty_end.clone(),
        };
        let change = DeviceChange {
            installed_on: installed_on.as_deref(),
            warranty_end: warranty.as_deref(),
            department_id,
            status: &status,
        };
        store::update_device(&mut tx, id, &change).await?;
        let after = store::get_device(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("device"))?;
        audit::record(
            &mut tx,
            ctx,
            "device",
            id,
            "update",
            Some(&before),
            Some(&after),
        )
        .await?;
        let detail = detail(&mut tx, after).await?;
        tx.commit().await?;
        Ok(detail)
    }

    /// CUS-2: a customer's purchase history and installed base for its page, each `None` when
    /// the caller's role does not read them.
    pub async fn institution_purchases(
        &self,
        ctx: &Ctx,
        institution_id: i64,
    ) -> Result<(Option<Vec<PurchaseRecord>>, Option<Vec<DeviceRecord>>)> {
        let mut tx = self.db.read().await?;
        visible_institution(&mut tx, ctx, Action::ReadCustomers, institution_id).await?;
        let purchases = match visibility(&mut tx, ctx, Action::ReadOrders).await {
            Ok((visible, _)) => Some(
                store::purchases(&mut tx, institution_id, &reach(&visible), PURCHASES_SHOWN)
                    .await?,
            ),
            Err(Error::Forbidden) => None,
            Err(e) => return Err(e),
        };
        let devices = match visibility(&mut tx, ctx, Action::ReadInstalledBase).await {
            Ok((visible, _)) => {
                let filter = DeviceFilter {
                    institution_id: Some(institution_id),
                    reach: reach(&visible),
                    ..Default::default()
                };
                let page =
                    store::list_devices(&mut tx, &filter, None, crate::MAX_PAGE_SIZE).await?;
                Some(page.items)
            }
            Err(Error::Forbidden) => None,
            Err(e) => return Err(e),
        };
        Ok((purchases, devices))
    }
}
