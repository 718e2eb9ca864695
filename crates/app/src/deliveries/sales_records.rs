//! ORD-3: the GSP sales records. Never changed, never deleted (the database refuses both); a
//! correction is a new record pointing at the one it corrects, with the reason.

use medcrm_domain::pipeline::{format_yuan, parse_yuan};
use medcrm_store::deliveries::{self as store, GspFilter, NewGsp};
use medcrm_store::{Page, Tx};

use super::{GspRecord, MAX_CODE_CHARS, MAX_QUANTITY};
use crate::customers::{check_text, parse_date};
use crate::error::Fields;
use crate::imports::{Row, Table};
use crate::org::{blank_to_none, visibility};
use crate::policy::{Action, Visible};
use crate::{App, Ctx, Error, Result, audit, now_ms};

/// Rows one inspector export holds; a longer period is exported in parts.
const MAX_EXPORT_ROWS: usize = 50_000;

#[derive(Debug, Clone, Default)]
pub struct GspQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub product_id: Option<i64>,
    pub buyer_id: Option<i64>,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

/// A correction: the fields that change (`None` keeps the original's) and why.
#[derive(Debug, Clone, Default)]
pub struct Correction {
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub production_date: Option<String>,
    pub expiry_date: Option<String>,
    pub quantity: Option<i64>,
    /// Yuan.
    pub unit_price: Option<String>,
    pub registration_no: Option<String>,
    pub buyer_address: Option<String>,
    pub buyer_contact: Option<String>,
    pub reason: String,
}

/// The regions a caller's scope reaches; sales records have no owner, so a scope limited to
/// one's own records reaches none of them.
fn regions(visible: &Visible) -> Option<Vec<i64>> {
    match visible {
        Visible::OnlyUser(_) => Some(Vec::new()),
        other => other.regions(),
    }
}

fn filter(fields: &mut Fields, q: &GspQuery, visible: &Visible) -> GspFilter {
    let from = parse_date(fields, "from", q.from.as_deref());
    let to = parse_date(fields, "to", q.to.as_deref());
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        fields.add("to", "the period ends before it starts");
    }
    GspFilter {
        from: from.map(|d| d.to_string()),
        to: to.map(|d| d.to_string()),
        product_id: q.product_id,
        buyer_id: q.buyer_id,
        regions: regions(visible),
    }
}

async fn visible_record(tx: &mut Tx, ctx: &Ctx, action: Action, id: i64) -> Result<GspRecord> {
    let (visible, _) = visibility(tx, ctx, action).await?;
    store::get_gsp(tx, id)
        .await?
        .filter(|g| regions(&visible).is_none_or(|r| r.contains(&g.region_id)))
        .ok_or(Error::NotFound("sales record"))
}

/// `Some(text)` replaces, an empty text clears.
fn replace(
    fields: &mut Fields,
    field: &'static str,
    value: Option<String>,
    old: &mut Option<String>,
) {
    if let Some(v) = value {
        if v.trim().chars().count() > MAX_CODE_CHARS {
            fields.add(field, format!("at most {MAX_CODE_CHARS} characters"));
        }
        *old = blank_to_none(Some(v.trim().to_owned()));
    }
}

fn replace_date(
    fields: &mut Fields,
    field: &'static str,
    value: Option<String>,
    old: &mut Option<String>,
) {
    if let Some(v) = value {
        *old = parse_date(fields, field, Some(&v)).map(|d| d.to_string());
    }
}

fn corrected(original: GspRecord, c: Correction) -> Result<NewGsp> {
    let mut fields = Fields::default();
    check_text(&mut fields, "reason", &c.reason, 2, 500);
    let id = original.id;
    let mut g = NewGsp::from(original);
    g.corrects_id = Some(id);
    g.correction_reason = c.reason.trim().to_owned();
    replace(&mut fields, "lot", c.lot, &mut g.lot);
    replace(&mut fields, "serial", c.serial, &mut g.serial);
    replace_date(
        &mut fields,
        "production_date",
        c.production_date,
        &mut g.production_date,
    );
    replace_date(
        &mut fields,
        "expiry_date",
        c.expiry_date,
        &mut g.expiry_date,
    );
    if let (Some(p), Some(e)) = (&g.production_date, &g.expiry_date)
        && e <= p
    {
        fields.add("expiry_date", "must be after the production date");
    }
    if let Some(q) = c.quantity {
        if !(1..=MAX_QUANTITY).contains(&q) {
            fields.add("quantity", format!("1 to {MAX_QUANTITY}"));
        }
        g.quantity = q;
    }
    if let Some(p) = c.unit_price {
        match parse_yuan(&p) {
            Ok(fen) => g.unit_price_fen = fen,
            Err(e) => fields.add("unit_price", e.to_string()),
        }
    }
    for (field, value, slot, max) in [
        (
            "registration_no",
            c.registration_no,
            &mut g.registration_no,
            100,
        ),
        ("buyer_address", c.buyer_address, &mut g.buyer_address, 200),
        ("buyer_contact", c.buyer_contact, &mut g.buyer_contact, 100),
    ] {
        if let Some(v) = value {
            check_text(&mut fields, field, &v, 1, max);
            *slot = v.trim().to_owned();
        }
    }
    fields.finish()?;
    // The retention follows the corrected expiry date (ORD-3).
    let sale = g
        .sale_date
        .parse()
        .map_err(|_| Error::Internal("sale date".into()))?;
    let expiry = g.expiry_date.as_deref().and_then(|d| d.parse().ok());
    g.retain_until =
        medcrm_domain::deliveries::retain_until(sale, expiry, g.implantable).map(|d| d.to_string());
    Ok(g)
}

/// The inspector's columns, in Chinese.
const EXPORT_HEADERS: &[&str] = &[
    "记录号",
    "销售日期",
    "产品名称",
    "型号规格",
    "注册证编号",
    "生产企业",
    "批号",
    "序列号",
    "生产日期",
    "失效日期",
    "数量",
    "单价（元）",
    "金额（元）",
    "购货单位",
    "购货单位地址",
    "联系人及电话",
    "更正记录号",
    "更正原因",
    "已被更正为",
    "保存至",
];

fn export_row(n: usize, g: &GspRecord) -> Row {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let id = |v: Option<i64>| v.map(|i| i.to_string()).unwrap_or_default();
    Row {
        number: u32::try_from(n + 2).unwrap_or(u32::MAX),
        cells: vec![
            g.id.to_string(),
            g.sale_date.clone(),
            g.product_name.clone(),
            g.model.clone(),
            g.registration_no.clone(),
            g.manufacturer.clone(),
            text(&g.lot),
            text(&g.serial),
            text(&g.production_date),
            text(&g.expiry_date),
            g.quantity.to_string(),
            format_yuan(g.unit_price_fen),
            format_yuan(g.unit_price_fen.saturating_mul(g.quantity)),
            g.buyer_name.clone(),
            g.buyer_address.clone(),
            g.buyer_contact.clone(),
            id(g.corrects_id),
            g.correction_reason.clone(),
            id(g.corrected_by),
            g.retain_until.clone().unwrap_or_else(|| "永久".to_owned()),
        ],
    }
}

impl App {
    /// ORD-3: sales records of a period in scope, newest first.
    pub async fn sales_records(&self, ctx: &Ctx, q: &GspQuery) -> Result<Page<GspRecord>> {
        let limit = crate::page_size(q.limit)?;
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadSalesRecords).await?;
        let mut fields = Fields::default();
        let f = filter(&mut fields, q, &visible);
        fields.finish()?;
        Ok(store::list_gsp(&mut tx, &f, q.cursor, limit).await?)
    }

    pub async fn sales_record(&self, ctx: &Ctx, id: i64) -> Result<GspRecord> {
        let mut tx = self.db.read().await?;
        visible_record(&mut tx, ctx, Action::ReadSalesRecords, id).await
    }

    /// ORD-3: a correction is a new record pointing at the original, which stays as it was.
    /// Only the latest entry of a chain can be corrected (409 otherwise).
    pub async fn correct_sales_record(
        &self,
        ctx: &Ctx,
        id: i64,
        correction: Correction,
    ) -> Result<GspRecord> {
        let mut tx = self.db.write().await?;
        let original = visible_record(&mut tx, ctx, Action::CorrectSalesRecords, id).await?;
        if let Some(by) = original.corrected_by {
            return Err(Error::conflict(
                Some("id"),
                format!("record {id} was already corrected by record {by}; correct that one"),
            ));
        }
        let new = corrected(original.clone(), correction)?;
        let new_id = store::insert_gsp(&mut tx, &new, ctx.actor.user_id, now_ms())
            .await
            .map_err(|_| Error::conflict(Some("id"), "the record was corrected meanwhile"))?;
        let record = store::get_gsp(&mut tx, new_id)
            .await?
            .ok_or(Error::NotFound("sales record"))?;
        audit::record(
            &mut tx,
            ctx,
            "sales_record",
            new_id,
            "correct",
            Some(&original),
            Some(&record),
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// ORD-3: every record of a period in scope as the inspector's Excel sheet.
    pub async fn export_sales_records(&self, ctx: &Ctx, from: &str, to: &str) -> Result<Table> {
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadSalesRecords).await?;
        let mut fields = Fields::default();
        let q = GspQuery {
            from: Some(from.to_owned()),
            to: Some(to.to_owned()),
            ..Default::default()
        };
        let f = filter(&mut fields, &q, &visible);
        if f.from.is_none() {
            fields.add("from", "the first day of the period");
        }
        if f.to.is_none() {
            fields.add("to", "the last day of the period");
        }
        fields.finish()?;
        let mut records = Vec::new();
        let mut cursor = None;
        loop {
            let page = store::list_gsp(&mut tx, &f, cursor, crate::MAX_PAGE_SIZE).await?;
            records.extend(page.items);
            if records.len() > MAX_EXPORT_ROWS {
                return Err(Error::invalid(
                    "to",
                    format!("more than {MAX_EXPORT_ROWS} records: export a shorter period"),
                ));
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        // Oldest first, as a ledger reads.
        records.reverse();
        Ok(Table {
            header_row: 1,
            headers: EXPORT_HEADERS.iter().map(|h| (*h).to_owned()).collect(),
            rows: records
                .iter()
                .enumerate()
                .map(|(i, g)| export_row(i, g))
                .collect(),
            numeric: vec![0, 10],
            sheet: format!("销售记录 {from} {to}"),
        })
    }
}
