//! PRT-4: stock counts (盘点). The warehouse opens a count sheet of one location (every part
//! with a balance there, plus any named), optionally blind (no book quantities shown while
//! counting), records what it counts and submits it, which snapshots the book. A service
//! manager (their region's locations and central stock) or an admin who took no part in the
//! count approves it: each variance (counted − book) is posted as an adjustment linked to the
//! count, so the book equals what was counted — or rejects it, which moves nothing.
//! Movements booked between submission and approval are real and stay: approval adds the
//! variance found at submission to the balance, it never overwrites it.

use medcrm_domain::parts::{self as rules, CountStatus, MAX_MOVEMENT_QTY, MovementKind};
use medcrm_store::parts::counts::{self as store, CountFilter, CountLineRecord};
use medcrm_store::{Page, Tx};

pub use medcrm_store::parts::counts::CountRecord;

use super::ledger::{self, Movement};
use super::{active_part, places_of, visible_warehouse};
use crate::error::Fields;
use crate::org::visibility;
use crate::policy::{Action, require};
use crate::service::check_note;
use crate::{App, Ctx, Error, Result, audit, now_ms, page_size};

/// Largest sheet: the parts a location may list (a location stocks hundreds, not more).
pub const MAX_COUNT_LINES: i64 = 2_000;
/// Most parts named, or counts recorded, in one call.
pub const MAX_ENTRIES: usize = 500;

#[derive(Debug, Clone, Default)]
pub struct CountInput {
    pub warehouse_id: i64,
    pub blind: bool,
    pub note: String,
    /// Parts to count besides those with a balance at the location.
    pub part_ids: Vec<i64>,
}

/// What was counted of one part.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountEntry {
    pub part_id: i64,
    pub counted_qty: i64,
}

#[derive(Debug, Clone, Default)]
pub struct CountQuery {
    pub status: Option<String>,
    pub warehouse_id: Option<i64>,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

/// One part of a sheet as the caller may see it: while a blind count is being counted there
/// is no book and so no variance.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CountLine {
    pub id: i64,
    pub part_id: i64,
    pub part_code: String,
    pub part_name: String,
    pub unit: String,
    pub counted_qty: Option<i64>,
    pub counted_by: Option<i64>,
    /// Submitted: the book at submission. Counting: the live balance (none when blind).
    pub book_qty: Option<i64>,
    pub variance: Option<i64>,
    /// The adjustment approval posted.
    pub movement_id: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CountView {
    pub count: CountRecord,
    pub lines: Vec<CountLine>,
}

fn line_view(count: &CountRecord, l: CountLineRecord) -> CountLine {
    let book = match (count.status == CountStatus::Counting.code(), count.blind) {
        (true, true) => None,
        (true, false) => Some(l.on_hand),
        (false, _) => l.book_qty,
    };
    CountLine {
        variance: l.counted_qty.zip(book).map(|(c, b)| rules::variance(c, b)),
        book_qty: book,
        id: l.id,
        part_id: l.part_id,
        part_code: l.part_code,
        part_name: l.part_name,
        unit: l.unit,
        counted_qty: l.counted_qty,
        counted_by: l.counted_by,
        movement_id: l.movement_id,
    }
}

async fn count_view(tx: &mut Tx, id: i64) -> Result<CountView> {
    let count = store::get_count(tx, id)
        .await?
        .ok_or(Error::NotFound("stock count"))?;
    let lines = store::lines(tx, id).await?;
    Ok(CountView {
        lines: lines.into_iter().map(|l| line_view(&count, l)).collect(),
        count,
    })
}

/// The count if the caller's scope for `action` reaches its location; "not found" otherwise.
async fn visible_count(tx: &mut Tx, ctx: &Ctx, action: Action, id: i64) -> Result<CountRecord> {
    let count = store::get_count(tx, id)
        .await?
        .ok_or(Error::NotFound("stock count"))?;
    visible_warehouse(tx, ctx, action, count.warehouse_id)
        .await
        .map_err(|e| match e {
            Error::NotFound(_) => Error::NotFound("stock count"),
            other => other,
        })?;
    Ok(count)
}

fn not_counting(count: &CountRecord) -> Error {
    Error::conflict(
        Some("status"),
        format!(
            "stock count {} is {}: no longer counted",
            count.id, count.status
        ),
    )
}

impl App {
    /// PRT-4: a new count sheet of one location: every part with a balance there, and the
    /// parts named. One open count per location (409).
    pub async fn open_stock_count(&self, ctx: &Ctx, input: CountInput) -> Result<CountView> {
        require(&ctx.actor, Action::CountStock)?;
        let mut fields = Fields::default();
        check_note(&mut fields, "note", &input.note, false);
        if input.part_ids.len() > MAX_ENTRIES {
            fields.add("part_ids", format!("at most {MAX_ENTRIES} parts"));
        }
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let place = visible_warehouse(&mut tx, ctx, Action::CountStock, input.warehouse_id)
            .await
            .ok()
            .filter(|w| w.active)
            .ok_or_else(|| Error::invalid("warehouse_id", "no such active warehouse"))?;
        let stocked = store::stocked_parts(&mut tx, place.id).await?;
        if stocked + input.part_ids.len() as i64 > MAX_COUNT_LINES {
            return Err(Error::invalid(
                "warehouse_id",
                format!("a sheet lists at most {MAX_COUNT_LINES} parts"),
            ));
        }
        for part in &input.part_ids {
            active_part(&mut tx, *part, "part_ids").await?;
        }
        let now = now_ms();
        let id = store::insert_count(
            &mut tx,
            place.id,
            input.blind,
            input.note.trim(),
            ctx.actor.user_id,
            now,
        )
        .await
        .map_err(|e| match e {
            medcrm_store::Error::Conflict(_) => Error::conflict(
                Some("warehouse_id"),
                format!("{} already has a count open", place.name),
            ),
            other => other.into(),
        })?;
        store::add_stocked_lines(&mut tx, id, place.id).await?;
        for part in &input.part_ids {
            store::add_line(&mut tx, id, *part).await?;
        }
        let view = count_view(&mut tx, id).await?;
        audit::record(&mut tx, ctx, "stock_count", id, "open", None, Some(&view)).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// PRT-4: records what was counted (a part not on the sheet is added: found where the
    /// book has none); a count again replaces the earlier one. Only while counting (409).
    pub async fn record_stock_count(
        &self,
        ctx: &Ctx,
        id: i64,
        entries: Vec<CountEntry>,
    ) -> Result<CountView> {
        require(&ctx.actor, Action::CountStock)?;
        if entries.is_empty() || entries.len() > MAX_ENTRIES {
            return Err(Error::invalid(
                "lines",
                format!("1 to {MAX_ENTRIES} counted parts"),
            ));
        }
        for (n, e) in entries.iter().enumerate() {
            if !(0..=MAX_MOVEMENT_QTY).contains(&e.counted_qty) {
                return Err(Error::invalid(
                    "lines",
                    format!("line {}: counted 0 to {MAX_MOVEMENT_QTY}", n + 1),
                ));
            }
        }
        let mut tx = self.db.write().await?;
        let count = visible_count(&mut tx, ctx, Action::CountStock, id).await?;
        if !store::touch_counting(&mut tx, id, now_ms()).await? {
            return Err(not_counting(&count));
        }
        let before = count_view(&mut tx, id).await?;
        for e in &entries {
            active_part(&mut tx, e.part_id, "lines").await?;
            store::record_line(&mut tx, id, e.part_id, e.counted_qty, ctx.actor.user_id).await?;
        }
        let after = count_view(&mut tx, id).await?;
        audit::record(
            &mut tx,
            ctx,
            "stock_count",
            id,
            "record",
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// PRT-4: hands the sheet over for approval once every line is counted; the book of each
    /// line is taken now and the variances are shown.
    pub async fn submit_stock_count(&self, ctx: &Ctx, id: i64) -> Result<CountView> {
        require(&ctx.actor, Action::CountStock)?;
        let mut tx = self.db.write().await?;
        let count = visible_count(&mut tx, ctx, Action::CountStock, id).await?;
        let now = now_ms();
        if !store::touch_counting(&mut tx, id, now).await? {
            return Err(not_counting(&count));
        }
        let uncounted: Vec<String> = store::lines(&mut tx, id)
            .await?
            .into_iter()
            .filter(|l| l.counted_qty.is_none())
            .map(|l| l.part_code)
            .collect();
        if !uncounted.is_empty() {
            let shown: Vec<&str> = uncounted.iter().take(10).map(String::as_str).collect();
            return Err(Error::invalid(
                "lines",
                format!(
                    "{} part(s) not counted yet: {}",
                    uncounted.len(),
                    shown.join(", ")
                ),
            ));
        }
        if !store::submit(&mut tx, id, ctx.actor.user_id, now).await? {
            return Err(not_counting(&count));
        }
        let after = count_view(&mut tx, id).await?;
        audit::record(
            &mut tx,
            ctx,
            "stock_count",
            id,
            "submit",
            None,
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// PRT-4: approves a submitted count — every variance becomes an adjustment linked to the
    /// count, so the book equals what was counted — or rejects it (a comment says why).
    /// Nobody who opened, counted or submitted it decides it (422 `own_count`); of two
    /// decisions at once one wins (409).
    pub async fn decide_stock_count(
        &self,
        ctx: &Ctx,
        id: i64,
        approve: bool,
        comment: &str,
    ) -> Result<CountView> {
        require(&ctx.actor, Action::ApproveCounts)?;
        let mut fields = Fields::default();
        check_note(&mut fields, "comment", comment, !approve);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let count = visible_count(&mut tx, ctx, Action::ApproveCounts, id).await?;
        let lines = store::lines(&mut tx, id).await?;
        let me = ctx.actor.user_id;
        let took_part = count.created_by == me
            || count.submitted_by == Some(me)
            || store::counted_by(&mut tx, id, me).await?;
        if took_part {
            return Err(Error::Refused {
                code: "own_count",
                field: "decided_by",
                message: "nobody approves a count they opened, counted or submitted".into(),
            });
        }
        let status = if approve {
            CountStatus::Approved
        } else {
            CountStatus::Rejected
        };
        let now = now_ms();
        if !store::decide(&mut tx, id, status.code(), comment.trim(), me, now).await? {
            return Err(Error::conflict(
                Some("status"),
                format!(
                    "stock count {id} is {}: not waiting for a decision",
                    count.status
                ),
            ));
        }
        if approve {
            for l in &lines {
                let (Some(counted), Some(book)) = (l.counted_qty, l.book_qty) else {
                    return Err(Error::Internal(format!(
                        "count {id} line {} not submitted",
                        l.id
                    )));
                };
                let variance = rules::variance(counted, book);
                if variance == 0 {
                    continue;
                }
                let m = Movement {
                    kind: Some(MovementKind::Adjustment),
                    part_id: l.part_id,
                    warehouse_id: count.warehouse_id,
                    quantity: variance,
                    reason: comment.trim(),
                    stock_count_id: Some(id),
                    ..Movement::default()
                };
                let movement = ledger::post(&mut tx, ctx, &m, now).await?;
                store::set_line_movement(&mut tx, l.id, movement).await?;
            }
        }
        let after = count_view(&mut tx, id).await?;
        audit::record(
            &mut tx,
            ctx,
            "stock_count",
            id,
            status.code(),
            Some(&count),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// PRT-4: one count sheet, within the caller's reach of stock.
    pub async fn stock_count(&self, ctx: &Ctx, id: i64) -> Result<CountView> {
        let mut tx = self.db.read().await?;
        visible_count(&mut tx, ctx, Action::ReadStock, id).await?;
        count_view(&mut tx, id).await
    }

    /// PRT-4: count sheets of the locations the caller may see, newest first.
    pub async fn stock_counts(&self, ctx: &Ctx, q: CountQuery) -> Result<Page<CountRecord>> {
        let limit = page_size(q.limit)?;
        let status = q
            .status
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        if let Some(s) = &status {
            s.parse::<CountStatus>()
                .map_err(|e| Error::invalid("status", e))?;
        }
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadStock).await?;
        let filter = CountFilter {
            status,
            warehouse_id: q.warehouse_id,
            places: places_of(&visible),
        };
        Ok(store::counts(&mut tx, &filter, q.cursor, limit).await?)
    }
}
