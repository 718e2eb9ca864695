//! SVC-4: the engineer's service record of a ticket and the customer's confirmation.

use crate::{Classify, Result, Tx, exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ServiceRecordRow {
    pub id: i64,
    pub ticket_id: i64,
    pub engineer_id: i64,
    pub engineer_name: String,
    pub phenomenon: String,
    pub diagnosis: String,
    pub repair_method: String,
    pub parts_replaced: String,
    pub minutes_spent: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

pub struct RecordValues<'a> {
    pub phenomenon: &'a str,
    pub diagnosis: &'a str,
    pub repair_method: &'a str,
    pub parts_replaced: &'a str,
    pub minutes_spent: i64,
}

pub async fn record(tx: &mut Tx, ticket_id: i64) -> Result<Option<ServiceRecordRow>> {
    on!(tx, c => sqlx::query_as(
        "SELECT r.id, r.ticket_id, r.engineer_id, u.display_name AS engineer_name, r.phenomenon,
            r.diagnosis, r.repair_method, r.parts_replaced, r.minutes_spent, r.created_at_ms,
            r.updated_at_ms
         FROM service_records r JOIN users u ON u.id = r.engineer_id WHERE r.ticket_id = $1")
        .bind(ticket_id).fetch_optional(c).await)
    .db()
}

/// Writes the ticket's record (one per ticket; a second save replaces the text).
pub async fn save_record(
    tx: &mut Tx,
    ticket_id: i64,
    engineer_id: i64,
    v: &RecordValues<'_>,
    now_ms: i64,
) -> Result<()> {
    exec!(tx, c => sqlx::query(
        "INSERT INTO service_records (ticket_id, engineer_id, phenomenon, diagnosis, repair_method,
            parts_replaced, minutes_spent, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         ON CONFLICT (ticket_id) DO UPDATE SET engineer_id = excluded.engineer_id,
            phenomenon = excluded.phenomenon, diagnosis = excluded.diagnosis,
            repair_method = excluded.repair_method, parts_replaced = excluded.parts_replaced,
            minutes_spent = excluded.minutes_spent, updated_at_ms = excluded.updated_at_ms")
        .bind(ticket_id).bind(engineer_id).bind(v.phenomenon).bind(v.diagnosis)
        .bind(v.repair_method).bind(v.parts_replaced).bind(v.minutes_spent).bind(now_ms)
        .execute(c).await)
    .db()?;
    Ok(())
}

/// The confirmation without the signature image (served on its own).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ConfirmationRow {
    pub ticket_id: i64,
    pub name: String,
    pub confirmed_at_ms: i64,
    /// signature / code.
    pub method: String,
    pub code: Option<String>,
    pub recorded_by: i64,
}

pub async fn confirmation(tx: &mut Tx, ticket_id: i64) -> Result<Option<ConfirmationRow>> {
    on!(tx, c => sqlx::query_as(
        "SELECT ticket_id, name, confirmed_at_ms, method, code, recorded_by
         FROM ticket_confirmations WHERE ticket_id = $1")
        .bind(ticket_id).fetch_optional(c).await)
    .db()
}

pub async fn signature(tx: &mut Tx, ticket_id: i64) -> Result<Option<Vec<u8>>> {
    let png: Option<Option<Vec<u8>>> = on!(tx, c => sqlx::query_scalar(
        "SELECT signature_png FROM ticket_confirmations WHERE ticket_id = $1")
        .bind(ticket_id).fetch_optional(c).await)
    .db()?;
    Ok(png.flatten())
}

pub struct NewConfirmation<'a> {
    pub name: &'a str,
    pub confirmed_at_ms: i64,
    pub signature_png: Option<&'a [u8]>,
    pub code: Option<&'a str>,
}

/// Records (or replaces) the customer's confirmation of a ticket.
pub async fn save_confirmation(
    tx: &mut Tx,
    ticket_id: i64,
    v: &NewConfirmation<'_>,
    by: i64,
) -> Result<()> {
    let method = if v.signature_png.is_some() {
        "signature"
    } else {
        "code"
    };
    exec!(tx, c => sqlx::query(
        "INSERT INTO ticket_confirmations (ticket_id, name, confirmed_at_ms, method, signature_png,
            code, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (ticket_id) DO UPDATE SET name = excluded.name,
            confirmed_at_ms = excluded.confirmed_at_ms, method = excluded.method,
            signature_png = excluded.signature_png, code = excluded.code,
            recorded_by = excluded.recorded_by")
        .bind(ticket_id).bind(v.name).bind(v.confirmed_at_ms).bind(method)
        .bind(v.signature_png).bind(v.code).bind(by)
        .execute(c).await)
    .db()?;
    Ok(())
}
