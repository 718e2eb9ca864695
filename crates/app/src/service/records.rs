//! SVC-4: on site the engineer records what was found and done, the customer confirms the
//! result (a signature drawn on the screen or a confirmation code), and only then may the
//! ticket be completed, which starts the follow-up clock.

pub use medcrm_store::service::records::{ConfirmationRow, ServiceRecordRow};

use medcrm_domain::service::{EventKind, TicketStatus};
use medcrm_store::service::TicketRecord;
use medcrm_store::service::records::{self as store, NewConfirmation, RecordValues};

use super::{apply, check_note, event_time, require_assignee, visible_ticket};
use crate::customers::check_text;
use crate::error::Fields;
use crate::policy::Action;
use crate::{App, Ctx, Error, Result, audit, now_ms};

const MAX_RECORD_CHARS: usize = 2000;
/// The most minutes a record may claim (the schema's bound).
const MAX_MINUTES: i64 = 100_000;
/// The largest signature image accepted.
pub const MAX_SIGNATURE_BYTES: usize = 512 * 1024;
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

#[derive(Debug, Clone, Default)]
pub struct RecordInput {
    pub phenomenon: String,
    pub diagnosis: String,
    pub repair_method: String,
    pub parts_replaced: String,
    pub minutes_spent: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ConfirmationInput {
    pub name: String,
    /// When the customer confirmed (default now).
    pub confirmed_at: Option<String>,
    /// A PNG as a `data:image/png;base64,…` URL or bare base64.
    pub signature: Option<String>,
    pub code: Option<String>,
}

/// Everything the printable service report shows.
#[derive(Debug, Clone)]
pub struct ServiceReport {
    pub view: super::TicketView,
    pub record: Option<ServiceRecordRow>,
    pub confirmation: Option<ConfirmationRow>,
    pub parts: Vec<super::parts::PartRequestRow>,
}

fn b64_value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Standard or URL-safe base64, padding optional, whitespace ignored.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let body = clean
        .strip_suffix(b"==")
        .or_else(|| clean.strip_suffix(b"="))
        .unwrap_or(&clean);
    if body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.chunks(4) {
        let mut acc: u32 = 0;
        for (i, c) in chunk.iter().enumerate() {
            acc |= b64_value(*c)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// SVC-4: the signature image from what a browser's canvas gives (`toDataURL`): a PNG of at
/// most 512 KiB.
pub fn signature_png(text: &str) -> std::result::Result<Vec<u8>, &'static str> {
    let text = text.trim();
    let data = match text.split_once(',') {
        Some((head, data)) if head.starts_with("data:") => {
            if head != "data:image/png;base64" {
                return Err("the signature must be a PNG image");
            }
            data
        }
        Some(_) => return Err("the signature is not base64 data"),
        None => text,
    };
    if data.len() > MAX_SIGNATURE_BYTES * 4 / 3 + 4 {
        return Err("the signature image is larger than 512 KiB");
    }
    let bytes = decode_base64(data).ok_or("the signature is not base64 data")?;
    if bytes.len() > MAX_SIGNATURE_BYTES {
        return Err("the signature image is larger than 512 KiB");
    }
    if !bytes.starts_with(PNG_MAGIC) {
        return Err("the signature must be a PNG image");
    }
    Ok(bytes)
}

/// A ticket an engineer is working on site (the assigned one, or a service manager).
async fn on_site_ticket(tx: &mut medcrm_store::Tx, ctx: &Ctx, id: i64) -> Result<TicketRecord> {
    let ticket = visible_ticket(tx, ctx, Action::WorkTickets, id).await?;
    require_assignee(ctx, &ticket)?;
    if ticket.status != TicketStatus::OnSite.code() {
        return Err(Error::Refused {
            code: "wrong_status",
            field: "status",
            message: format!(
                "ticket {} is {}: records and confirmations are taken on site",
                ticket.number, ticket.status
            ),
        });
    }
    Ok(ticket)
}

impl App {
    /// SVC-4: writes (or corrects) what the engineer found and did.
    pub async fn save_service_record(
        &self,
        ctx: &Ctx,
        ticket_id: i64,
        input: RecordInput,
    ) -> Result<ServiceRecordRow> {
        let mut fields = Fields::default();
        check_text(
            &mut fields,
            "phenomenon",
            &input.phenomenon,
            2,
            MAX_RECORD_CHARS,
        );
        check_text(
            &mut fields,
            "diagnosis",
            &input.diagnosis,
            2,
            MAX_RECORD_CHARS,
        );
        check_text(
            &mut fields,
            "repair_method",
            &input.repair_method,
            2,
            MAX_RECORD_CHARS,
        );
        check_text(
            &mut fields,
            "parts_replaced",
            &input.parts_replaced,
            0,
            MAX_RECORD_CHARS,
        );
        if !(0..=MAX_MINUTES).contains(&input.minutes_spent) {
            fields.add("minutes_spent", format!("0 to {MAX_MINUTES} minutes"));
        }
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let ticket = on_site_ticket(&mut tx, ctx, ticket_id).await?;
        let before = store::record(&mut tx, ticket_id).await?;
        let engineer = ticket.engineer_id.unwrap_or(ctx.actor.user_id);
        store::save_record(
            &mut tx,
            ticket_id,
            engineer,
            &RecordValues {
                phenomenon: input.phenomenon.trim(),
                diagnosis: input.diagnosis.trim(),
                repair_method: input.repair_method.trim(),
                parts_replaced: input.parts_replaced.trim(),
                minutes_spent: input.minutes_spent,
            },
            now_ms(),
        )
        .await?;
        let after = store::record(&mut tx, ticket_id)
            .await?
            .ok_or(Error::NotFound("service record"))?;
        audit::record(
            &mut tx,
            ctx,
            "service_record",
            ticket_id,
            if before.is_some() { "update" } else { "create" },
            before.as_ref().map(|b| b as &dyn audit::ErasedJson),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// SVC-4: the customer's confirmation: a name, a time, and a signature or a code.
    pub async fn confirm_ticket(
        &self,
        ctx: &Ctx,
        ticket_id: i64,
        input: ConfirmationInput,
    ) -> Result<ConfirmationRow> {
        let mut fields = Fields::default();
        check_text(&mut fields, "name", &input.name, 1, 100);
        let signature = input
            .signature
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let code = input
            .code
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let png = match (signature, code) {
            (Some(s), None) => match signature_png(s) {
                Ok(png) => Some(png),
                Err(e) => {
                    fields.add("signature", e);
                    None
                }
            },
            (None, Some(c)) => {
                check_text(&mut fields, "code", c, 4, 40);
                None
            }
            (Some(_), Some(_)) => {
                fields.add(
                    "signature",
                    "give a signature or a confirmation code, not both",
                );
                None
            }
            (None, None) => {
                fields.add(
                    "signature",
                    "the customer signs or gives a confirmation code",
                );
                None
            }
        };
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let ticket = on_site_ticket(&mut tx, ctx, ticket_id).await?;
        let mut fields = Fields::default();
        let at_ms = event_time(
            &mut fields,
            "confirmed_at",
            input.confirmed_at.as_deref(),
            ticket.requested_at_ms,
        );
        fields.finish()?;
        let before = store::confirmation(&mut tx, ticket_id).await?;
        store::save_confirmation(
            &mut tx,
            ticket_id,
            &NewConfirmation {
                name: input.name.trim(),
                confirmed_at_ms: at_ms,
                signature_png: png.as_deref(),
                code: if png.is_some() { None } else { code },
            },
            ctx.actor.user_id,
        )
        .await?;
        let after = store::confirmation(&mut tx, ticket_id)
            .await?
            .ok_or(Error::NotFound("confirmation"))?;
        audit::record(
            &mut tx,
            ctx,
            "ticket_confirmation",
            ticket_id,
            if before.is_some() { "update" } else { "create" },
            before.as_ref().map(|b| b as &dyn audit::ErasedJson),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// SVC-4: completes the work. Refused without a service record or the customer's
    /// confirmation; the follow-up clock (3 working days) starts here.
    pub async fn complete_ticket(
        &self,
        ctx: &Ctx,
        ticket_id: i64,
        at: Option<&str>,
        note: &str,
    ) -> Result<TicketRecord> {
        let mut fields = Fields::default();
        check_note(&mut fields, "note", note, false);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let ticket = visible_ticket(&mut tx, ctx, Action::WorkTickets, ticket_id).await?;
        require_assignee(ctx, &ticket)?;
        let status: TicketStatus = ticket.status.parse().map_err(Error::Internal)?;
        if status == TicketStatus::OnSite {
            if store::record(&mut tx, ticket_id).await?.is_none() {
                return Err(Error::Refused {
                    code: "record_missing",
                    field: "record",
                    message: format!("ticket {}: write the service record first", ticket.number),
                });
            }
            if store::confirmation(&mut tx, ticket_id).await?.is_none() {
                return Err(Error::Refused {
                    code: "confirmation_missing",
                    field: "confirmation",
                    message: format!(
                        "ticket {}: the customer has not confirmed the result",
                        ticket.number
                    ),
                });
            }
        }
        let mut fields = Fields::default();
        let at_ms = event_time(&mut fields, "at", at, ticket.requested_at_ms);
        fields.finish()?;
        let after = apply(
            &mut tx,
            ctx,
            &ticket,
            EventKind::Completed,
            at_ms,
            None,
            note.trim(),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn service_record(
        &self,
        ctx: &Ctx,
        ticket_id: i64,
    ) -> Result<Option<ServiceRecordRow>> {
        let mut tx = self.db.read().await?;
        visible_ticket(&mut tx, ctx, Action::ReadTickets, ticket_id).await?;
        Ok(store::record(&mut tx, ticket_id).await?)
    }

    pub async fn ticket_confirmation(
        &self,
        ctx: &Ctx,
        ticket_id: i64,
    ) -> Result<Option<ConfirmationRow>> {
        let mut tx = self.db.read().await?;
        visible_ticket(&mut tx, ctx, Action::ReadTickets, ticket_id).await?;
        Ok(store::confirmation(&mut tx, ticket_id).await?)
    }

    /// The customer's signature image (PNG).
    pub async fn signature_image(&self, ctx: &Ctx, ticket_id: i64) -> Result<Vec<u8>> {
        let mut tx = self.db.read().await?;
        visible_ticket(&mut tx, ctx, Action::ReadTickets, ticket_id).await?;
        store::signature(&mut tx, ticket_id)
            .await?
            .ok_or(Error::NotFound("signature"))
    }

    /// SVC-4: the printable service report (服务报告).
    pub async fn service_report(&self, ctx: &Ctx, ticket_id: i64) -> Result<ServiceReport> {
        let view = self.ticket(ctx, ticket_id).await?;
        let mut tx = self.db.read().await?;
        Ok(ServiceReport {
            record: store::record(&mut tx, ticket_id).await?,
            confirmation: store::confirmation(&mut tx, ticket_id).await?,
            parts: medcrm_store::service::parts::of_ticket(&mut tx, ticket_id).await?,
            view,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svc_4_base64_decodes_with_and_without_padding() {
        assert_eq!(decode_base64("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(decode_base64("aGVsbG8").as_deref(), Some(&b"hello"[..]));
        assert_eq!(decode_base64("aGk=").as_deref(), Some(&b"hi"[..]));
        assert_eq!(decode_base64("YQ==").as_deref(), Some(&b"a"[..]));
        assert!(decode_base64("a$b=").is_none());
    }

    #[test]
    fn svc_4_only_a_png_signature_is_accepted() {
        // "\x89PNG\r\n\x1a\n" + "x"
        assert!(signature_png("data:image/png;base64,iVBORw0KGgp4").is_ok());
        assert!(signature_png("iVBORw0KGgp4").is_ok());
        assert!(signature_png("data:image/jpeg;base64,iVBORw0KGgp4").is_err());
        assert!(signature_png("data:image/png;base64,aGVsbG8=").is_err());
    }
}
