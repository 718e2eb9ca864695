//! SVC-1/2/3/7/8: service tickets from the first call to dispatch and arrival, each event
//! logged and every SLA clock recomputed from the log in the same transaction.
//! Records and confirmation (SVC-4), parts (SVC-5), follow-up (SVC-6), maintenance (SVC-9),
//! evaluation (SVC-10) and the board live in their own modules.

pub mod dispatch;
pub mod evaluation;
pub mod followup;
pub mod hotline;
pub mod maintenance;
pub mod parts;
pub mod records;
pub mod sla_ops;

pub use medcrm_store::service::{AssignmentRecord, ClockRecord, EventRecord, TicketRecord};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use medcrm_domain::auth::Role;
use medcrm_domain::calendar::{Calendar, TIME_ZONE};
use medcrm_domain::deliveries::DeviceStatus;
use medcrm_domain::service::sla::{self, Milestone, Target, TargetRule, TicketFacts};
use medcrm_domain::service::{
    Channel, EventKind, Priority, TicketKind, TicketStatus, device_status_after,
};
use medcrm_store::notifications::{self as inbox, NewNotification};
use medcrm_store::service::{self as store, ClockValues, NewEvent, NewTicket, TicketFilter};
use medcrm_store::{Page, Tx, customers as customer_store, deliveries, users};

use crate::customers::check_text;
use crate::error::Fields;
use crate::org::visibility;
use crate::policy::{self, Action, Visible};
use crate::{App, Ctx, Error, Result, audit, calendar, now_ms, page_size};

/// How far back a request may be dated (an e-mail read the next morning, a weekend voicemail).
const MAX_BACKDATE_DAYS: i64 = 30;
/// Clock skew tolerated on times given by a client.
const FUTURE_SKEW_MS: i64 = 5 * 60 * 1000;
const MAX_FAULT_CHARS: usize = 2000;
const MAX_NOTE_CHARS: usize = 1000;

#[derive(Debug, Clone, Default)]
pub struct TicketInput {
    pub channel: String,
    pub kind: String,
    pub priority: String,
    pub institution_id: i64,
    pub department_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub caller_name: String,
    pub caller_phone: String,
    pub device_id: Option<i64>,
    pub fault: String,
    /// When the customer asked; now when absent. RFC 3339, or `YYYY-MM-DDTHH:MM` in
    /// Asia/Shanghai time.
    pub requested_at: Option<String>,
}

/// A ticket with everything its page shows.
#[derive(Debug, Clone)]
pub struct TicketView {
    pub ticket: TicketRecord,
    pub clocks: Vec<ClockRecord>,
    pub events: Vec<EventRecord>,
    pub assignments: Vec<AssignmentRecord>,
}

#[derive(Debug, Clone, Default)]
pub struct TicketQuery {
    pub status: Option<String>,
    /// `open`: every status still being worked on.
    pub open: bool,
    pub engineer_id: Option<i64>,
    pub institution_id: Option<i64>,
    pub device_id: Option<i64>,
    pub kind: Option<String>,
    pub priority: Option<String>,
    pub q: Option<String>,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

/// An instant given by a client: RFC 3339, or a wall time in Asia/Shanghai (what a
/// `datetime-local` field sends).
pub(crate) fn parse_instant(fields: &mut Fields, field: &'static str, text: &str) -> Option<i64> {
    let text = text.trim();
    let parsed = text.parse::<Timestamp>().ok().or_else(|| {
        let dt = text.parse::<jiff::civil::DateTime>().ok()?;
        TimeZone::get(TIME_ZONE).ok()?.to_timestamp(dt).ok()
    });
    match parsed {
        Some(t) => Some(t.as_millisecond()),
        None => {
            fields.add(
                field,
                "a time looks like 2026-11-25T14:30 or 2026-11-25T14:30:00+08:00",
            );
            None
        }
    }
}

/// A time for a past event: not in the future, not before `floor_ms`.
pub(crate) fn event_time(
    fields: &mut Fields,
    field: &'static str,
    text: Option<&str>,
    floor_ms: i64,
) -> i64 {
    let now = now_ms();
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return now;
    };
    let Some(at) = parse_instant(fields, field, text) else {
        return now;
    };
    if at > now + FUTURE_SKEW_MS {
        fields.add(field, "cannot be in the future");
    } else if at < floor_ms {
        fields.add(field, "cannot be before the request");
    }
    at.min(now)
}

pub(crate) fn check_note(fields: &mut Fields, field: &'static str, text: &str, required: bool) {
    check_text(fields, field, text, usize::from(required), MAX_NOTE_CHARS);
}

fn code<T: std::str::FromStr<Err = String>>(
    fields: &mut Fields,
    field: &'static str,
    v: &str,
) -> Option<T> {
    match v.trim().parse::<T>() {
        Ok(x) => Some(x),
        Err(e) => {
            fields.add(field, e);
            None
        }
    }
}

/// The store scope of what `visible` lets the actor see.
pub(crate) fn scope_of(visible: &Visible) -> store::Scope {
    store::Scope {
        regions: visible.regions(),
        engineer: visible.only_user(),
    }
}

fn can_see(visible: &Visible, t: &TicketRecord) -> bool {
    policy::can_see(visible, t.engineer_id, &[t.region_id])
}

/// The ticket if the caller's scope for `action` reaches it; "not found" otherwise.
pub(crate) async fn visible_ticket(
    tx: &mut Tx,
    ctx: &Ctx,
    action: Action,
    id: i64,
) -> Result<TicketRecord> {
    let (visible, _) = visibility(tx, ctx, action).await?;
    store::get_ticket(tx, id)
        .await?
        .filter(|t| can_see(&visible, t))
        .ok_or(Error::NotFound("ticket"))
}

/// An engineer works only the tickets assigned to them; a service manager any in scope.
pub(crate) fn require_assignee(ctx: &Ctx, t: &TicketRecord) -> Result<()> {
    let manager = ctx.actor.roles.contains(&Role::ServiceManager);
    if manager || t.engineer_id == Some(ctx.actor.user_id) {
        Ok(())
    } else {
        Err(Error::Refused {
            code: "not_assigned",
            field: "engineer_id",
            message: format!("ticket {} is assigned to someone else", t.number),
        })
    }
}

pub(crate) fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

/// The configured targets as domain rules (malformed rows are skipped: the defaults apply).
pub(crate) async fn target_rules(tx: &mut Tx) -> Result<Vec<TargetRule>> {
    Ok(store::targets(tx)
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(TargetRule {
                milestone: r.milestone.parse().ok()?,
                kind: (!r.kind.is_empty()).then(|| r.kind.parse().ok()).flatten(),
                priority: (!r.priority.is_empty())
                    .then(|| r.priority.parse().ok())
                    .flatten(),
                contract_id: (r.contract_id != 0).then_some(r.contract_id),
                target: Target {
                    amount: r.amount,
                    mode: r.mode.parse().ok()?,
                },
            })
        })
        .collect())
}

/// What the SLA engine needs besides a ticket's events, read once per transaction.
pub(crate) struct SlaContext {
    pub cal: Calendar,
    pub rules: Vec<TargetRule>,
}

impl SlaContext {
    pub(crate) async fn load(tx: &mut Tx) -> Result<SlaContext> {
        Ok(SlaContext {
            cal: calendar::load(tx).await?,
            rules: target_rules(tx).await?,
        })
    }
}

/// SVC-7: recomputes a ticket's clocks from its event log and writes them.
pub(crate) async fn recompute(tx: &mut Tx, sla: &SlaContext, ticket: &TicketRecord) -> Result<()> {
    let facts = TicketFacts {
        kind: ticket.kind.parse().map_err(Error::Internal)?,
        priority: ticket.priority.parse().map_err(Error::Internal)?,
        contract_id: ticket.contract_id,
    };
    let events: Vec<sla::Event> = store::events(tx, ticket.id)
        .await?
        .iter()
        .filter_map(|e| {
            Some(sla::Event {
                kind: e.kind.parse().ok()?,
                at: Timestamp::from_millisecond(e.at_ms).ok()?,
                ref_id: e.ref_id,
            })
        })
        .collect();
    let clocks = sla::clocks(
        &events,
        |m: Milestone| sla::target_for(&sla.rules, m, &facts),
        &sla.cal,
        Timestamp::now(),
    );
    let channel: Channel = ticket.channel.parse().map_err(Error::Internal)?;
    let values: Vec<ClockValues> = clocks
        .iter()
        .filter(|c| sla::applies(c.milestone, channel))
        .map(|c| ClockValues {
            milestone: c.milestone.code(),
            part_request_id: c.part_request_id,
            started_at_ms: ms(c.started_at),
            warn_at_ms: ms(c.warn_at),
            due_at_ms: ms(c.due_at),
            stopped_at_ms: c.stopped_at.map(ms),
            state: c.state.code(),
        })
        .collect();
    store::save_clocks(tx, ticket.id, ticket.region_id, ticket.engineer_id, &values).await?;
    Ok(())
}

/// One step in a ticket's life: checks the move is allowed from where the ticket is, moves
/// it (guarded, so of two people acting at once one gets 409), logs the event, recomputes
/// the clocks and audits, all in the caller's transaction. Returns the ticket after.
/// SVC-4, ORD-2: the ticket's device goes under repair when the engineer arrives on a repair
/// and back in service when the ticket is done ([`device_status_after`]), audited as a change
/// of the device.
async fn follow_device(
    tx: &mut Tx,
    ctx: &Ctx,
    ticket: &TicketRecord,
    event: EventKind,
) -> Result<()> {
    let Some(device_id) = ticket.device_id else {
        return Ok(());
    };
    let kind: TicketKind = ticket.kind.parse().map_err(Error::Internal)?;
    // Most events move no device whatever its status: they read nothing.
    let moves_any = DeviceStatus::ALL
        .iter()
        .any(|s| device_status_after(kind, event, *s).is_some());
    if !moves_any {
        return Ok(());
    }
    let Some(device) = deliveries::get_device(tx, device_id).await? else {
        return Ok(());
    };
    let status: DeviceStatus = device.status.parse().map_err(Error::Internal)?;
    let Some(next) = device_status_after(kind, event, status) else {
        return Ok(());
    };
    deliveries::set_device_status(tx, device_id, status.code(), next.code()).await?;
    let after = deliveries::get_device(tx, device_id)
        .await?
        .ok_or(Error::NotFound("device"))?;
    audit::record(
        tx,
        ctx,
        "device",
        device_id,
        "status",
        Some(&device),
        Some(&after),
    )
    .await?;
    Ok(())
}

pub(crate) async fn apply(
    tx: &mut Tx,
    ctx: &Ctx,
    ticket: &TicketRecord,
    event: EventKind,
    at_ms: i64,
    ref_id: Option<i64>,
    note: &str,
) -> Result<TicketRecord> {
    let from: TicketStatus = ticket.status.parse().map_err(Error::Internal)?;
    let to = from.after(event).ok_or_else(|| Error::Refused {
        code: "wrong_status",
        field: "status",
        message: format!(
            "ticket {} is {}: `{}` is not possible now",
            ticket.number,
            from.code(),
            event.code()
        ),
    })?;
    let now = now_ms();
    store::set_status(tx, ticket.id, &[from.code()], to.code(), now)
        .await
        .map_err(|_| {
            Error::conflict(
                Some("status"),
                format!(
                    "ticket {} was changed by someone else; reload it",
                    ticket.number
                ),
            )
        })?;
    store::insert_event(
        tx,
        &NewEvent {
            ticket_id: ticket.id,
            kind: event.code(),
            at_ms,
            ref_id,
            note,
        },
        ctx.actor.user_id,
        now,
    )
    .await?;
    let after = store::get_ticket(tx, ticket.id)
        .await?
        .ok_or(Error::NotFound("ticket"))?;
    let sla = SlaContext::load(tx).await?;
    recompute(tx, &sla, &after).await?;
    audit::record(
        tx,
        ctx,
        "service_ticket",
        ticket.id,
        event.code(),
        Some(ticket),
        Some(&after),
    )
    .await?;
    follow_device(tx, ctx, &after, event).await?;
    Ok(after)
}

/// The day part of a ticket number: the request's date in business time.
fn number_day(at_ms: i64) -> String {
    Timestamp::from_millisecond(at_ms)
        .ok()
        .and_then(|t| t.in_tz(TIME_ZONE).ok())
        .map(|z| z.strftime("%Y%m%d").to_string())
        .unwrap_or_default()
}

async fn check_engineer(tx: &mut Tx, id: i64) -> Result<()> {
    let user = users::get(tx, id).await?;
    let roles = users::roles(tx, id).await?;
    if user.is_none_or(|u| !u.active) || !roles.iter().any(|r| r == Role::ServiceEngineer.code()) {
        return Err(Error::invalid(
            "engineer_id",
            "not an active service engineer",
        ));
    }
    Ok(())
}

impl App {
    /// SVC-1: a new ticket. The device must be the customer's (its contract then sets the SLA
    /// targets); the first-contact clock starts at the request.
    pub async fn create_ticket(&self, ctx: &Ctx, input: TicketInput) -> Result<TicketRecord> {
        let mut fields = Fields::default();
        let channel: Option<Channel> = code(&mut fields, "channel", &input.channel);
        let kind: Option<TicketKind> = code(&mut fields, "kind", &input.kind);
        let priority: Option<Priority> = code(&mut fields, "priority", &input.priority);
        if channel == Some(Channel::Plan) {
            fields.add("channel", "maintenance plans raise their own tickets");
        }
        check_text(&mut fields, "fault", &input.fault, 2, MAX_FAULT_CHARS);
        check_text(&mut fields, "caller_name", &input.caller_name, 0, 100);
        check_text(&mut fields, "caller_phone", &input.caller_phone, 0, 40);
        let now = now_ms();
        let requested_at_ms = event_time(
            &mut fields,
            "requested_at",
            input.requested_at.as_deref(),
            now - MAX_BACKDATE_DAYS * 86_400_000,
        );
        let mut tx = self.db.write().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ManageTickets).await?;
        let institution = customer_store::get(&mut tx, input.institution_id)
            .await?
            .filter(|i| policy::can_see(&visible, None, &[i.region_id]));
        let Some(institution) = institution else {
            fields.add("institution_id", "no such customer in your scope");
            return Err(fields
                .finish()
                .err()
                .unwrap_or(Error::NotFound("institution")));
        };
        let device = match input.device_id {
            Some(id) => {
                let d = deliveries::get_device(&mut tx, id).await?;
                if d.as_ref()
                    .is_none_or(|d| d.institution_id != institution.id)
                {
                    fields.add("device_id", "no such device at this customer");
                }
                d
            }
            None => None,
        };
        if let Some(dep) = input.department_id {
            let ok = customer_store::departments(&mut tx, institution.id)
                .await?
                .iter()
                .any(|d| d.id == dep);
            if !ok {
                fields.add("department_id", "no such department at this customer");
            }
        }
        if let Some(contact) = input.contact_id
            && !customer_store::contacts(&mut tx, institution.id)
                .await?
                .iter()
                .any(|c| c.id == contact)
        {
            fields.add("contact_id", "no such contact at this customer");
        }
        fields.finish()?;
        let (Some(channel), Some(kind), Some(priority)) = (channel, kind, priority) else {
            return Err(Error::Internal("validated codes missing".into()));
        };
        let day = number_day(requested_at_ms);
        let engineer_id = (channel == Channel::Engineer
            && ctx.actor.roles.contains(&Role::ServiceEngineer))
        .then_some(ctx.actor.user_id);
        let id = store::insert_ticket(
            &mut tx,
            &NewTicket {
                channel: channel.code(),
                kind: kind.code(),
                priority: priority.code(),
                institution_id: institution.id,
                department_id: input
                    .department_id
                    .or(device.as_ref().and_then(|d| d.department_id)),
                contact_id: input.contact_id,
                caller_name: input.caller_name.trim(),
                caller_phone: input.caller_phone.trim(),
                device_id: device.as_ref().map(|d| d.id),
                contract_id: device.as_ref().and_then(|d| d.contract_id),
                region_id: institution.region_id,
                fault: input.fault.trim(),
                requested_at_ms,
                engineer_id,
                pm_plan_id: None,
                day: &day,
            },
            ctx.actor.user_id,
            now,
        )
        .await?;
        let ticket = open_ticket(&mut tx, ctx, id, requested_at_ms).await?;
        tx.commit().await?;
        Ok(ticket)
    }

    pub async fn ticket(&self, ctx: &Ctx, id: i64) -> Result<TicketView> {
        let mut tx = self.db.read().await?;
        let ticket = visible_ticket(&mut tx, ctx, Action::ReadTickets, id).await?;
        Ok(TicketView {
            clocks: store::clocks_of(&mut tx, id).await?,
            events: store::events(&mut tx, id).await?,
            assignments: store::assignments(&mut tx, id).await?,
            ticket,
        })
    }

    /// Tickets newest first in the caller's scope.
    pub async fn tickets(&self, ctx: &Ctx, q: TicketQuery) -> Result<Page<TicketRecord>> {
        let limit = page_size(q.limit)?;
        let mut fields = Fields::default();
        if let Some(s) = &q.status {
            let _: Option<TicketStatus> = code(&mut fields, "status", s);
        }
        if let Some(k) = &q.kind {
            let _: Option<TicketKind> = code(&mut fields, "kind", k);
        }
        if let Some(p) = &q.priority {
            let _: Option<Priority> = code(&mut fields, "priority", p);
        }
        if let Some(text) = &q.q {
            check_text(&mut fields, "q", text, 0, 100);
        }
        fields.finish()?;
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadTickets).await?;
        let statuses = match (&q.status, q.open) {
            (Some(s), _) => vec![s.clone()],
            (None, true) => TicketStatus::ALL
                .iter()
                .filter(|s| s.is_open())
                .map(|s| s.code().to_owned())
                .collect(),
            (None, false) => Vec::new(),
        };
        let filter = TicketFilter {
            scope: scope_of(&visible),
            statuses,
            engineer_id: q.engineer_id,
            institution_id: q.institution_id,
            device_id: q.device_id,
            kind: q.kind,
            priority: q.priority,
            query: q.q.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()),
        };
        Ok(store::list_tickets(&mut tx, &filter, q.cursor, limit).await?)
    }

    /// SVC-8: the engineer's own open tickets, the most urgent clock first.
    pub async fn my_tickets(&self, ctx: &Ctx) -> Result<Vec<TicketRecord>> {
        let page = self
            .tickets(
                ctx,
                TicketQuery {
                    open: true,
                    engineer_id: Some(ctx.actor.user_id),
                    limit: Some(crate::MAX_PAGE_SIZE),
                    ..Default::default()
                },
            )
            .await?;
        let mut items = page.items;
        items.sort_by_key(|t| (t.next_due_at_ms.unwrap_or(i64::MAX), t.id));
        Ok(items)
    }

    /// SVC-1: an agent takes the ticket; of two at once, one wins and the other gets 409.
    pub async fn claim_ticket(&self, ctx: &Ctx, id: i64) -> Result<TicketRecord> {
        let mut tx = self.db.write().await?;
        let ticket = visible_ticket(&mut tx, ctx, Action::ManageTickets, id).await?;
        if let Some(name) = &ticket.handler_name {
            return Err(Error::conflict(
                Some("handler_id"),
                format!("ticket {} is already taken by {name}", ticket.number),
            ));
        }
        let status: TicketStatus = ticket.status.parse().map_err(Error::Internal)?;
        if status.after(EventKind::Claimed).is_none() {
            return Err(Error::Refused {
                code: "wrong_status",
                field: "status",
                message: format!(
                    "ticket {} is {}: it can no longer be claimed",
                    ticket.number, ticket.status
                ),
            });
        }
        let now = now_ms();
        store::claim(&mut tx, id, ctx.actor.user_id, now)
            .await
            .map_err(|_| {
                Error::conflict(
                    Some("handler_id"),
                    format!("ticket {} was just taken by someone else", ticket.number),
                )
            })?;
        let after = apply(&mut tx, ctx, &ticket, EventKind::Claimed, now, None, "").await?;
        tx.commit().await?;
        Ok(after)
    }

    /// SVC-2: the first contact with the customer (stops the 1 h clock).
    pub async fn contact_ticket(
        &self,
        ctx: &Ctx,
        id: i64,
        at: Option<&str>,
        note: &str,
    ) -> Result<TicketRecord> {
        self.step(
            ctx,
            id,
            Action::ManageTickets,
            EventKind::Contacted,
            at,
            note,
            false,
        )
        .await
    }

    /// SVC-2: a simple problem solved by phone guidance, which is recorded.
    pub async fn resolve_by_phone(
        &self,
        ctx: &Ctx,
        id: i64,
        guidance: &str,
    ) -> Result<TicketRecord> {
        let mut fields = Fields::default();
        check_text(&mut fields, "guidance", guidance, 2, MAX_FAULT_CHARS);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let ticket = visible_ticket(&mut tx, ctx, Action::ManageTickets, id).await?;
        let now = now_ms();
        let after = apply(
            &mut tx,
            ctx,
            &ticket,
            EventKind::ResolvedByPhone,
            now,
            None,
            "",
        )
        .await?;
        store::set_resolution(&mut tx, id, guidance.trim(), now).await?;
        tx.commit().await?;
        self.ticket_record(ctx, after.id).await
    }

    /// SVC-3/8: sends an engineer (or another one); the on-site clock runs from the request.
    pub async fn dispatch_ticket(
        &self,
        ctx: &Ctx,
        id: i64,
        engineer_id: i64,
        at: Option<&str>,
        note: &str,
    ) -> Result<TicketRecord> {
        let mut fields = Fields::default();
        check_note(&mut fields, "note", note, false);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let ticket = visible_ticket(&mut tx, ctx, Action::DispatchTickets, id).await?;
        // A dispatch agreed by phone may be logged afterwards, with the time it was made.
        let mut fields = Fields::default();
        let at_ms = event_time(&mut fields, "at", at, ticket.requested_at_ms);
        fields.finish()?;
        check_engineer(&mut tx, engineer_id).await?;
        if ticket.engineer_id == Some(engineer_id)
            && ticket.status != "new"
            && ticket.status != "contacted"
        {
            return Err(Error::invalid(
                "engineer_id",
                "the ticket is already assigned to this engineer",
            ));
        }
        let now = now_ms();
        store::set_engineer(&mut tx, id, engineer_id, now).await?;
        store::insert_assignment(
            &mut tx,
            id,
            engineer_id,
            note.trim(),
            ctx.actor.user_id,
            now,
        )
        .await?;
        let ticket = store::get_ticket(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("ticket"))?;
        let after = apply(
            &mut tx,
            ctx,
            &ticket,
            EventKind::Dispatched,
            at_ms,
            Some(engineer_id),
            note.trim(),
        )
        .await?;
        inbox::add(
            &mut tx,
            &NewNotification {
                user_id: engineer_id,
                kind: "ticket_assigned",
                subject: &format!("{} {}", after.number, after.institution_name),
                detail: &after.fault,
                link: &format!("/service/tickets/{}", after.id),
                dedupe_key: &format!("ticket_assigned:{}:{}", after.id, now),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// SVC-3: the engineer is on site (stops the on-site clock).
    pub async fn arrive(&self, ctx: &Ctx, id: i64, at: Option<&str>) -> Result<TicketRecord> {
        self.step(
            ctx,
            id,
            Action::WorkTickets,
            EventKind::Arrived,
            at,
            "",
            true,
        )
        .await
    }

    /// SVC-7: the customer asks for a later visit; the on-site clock waits until resumed.
    pub async fn pause_ticket(&self, ctx: &Ctx, id: i64, reason: &str) -> Result<TicketRecord> {
        let mut fields = Fields::default();
        check_note(&mut fields, "reason", reason, true);
        fields.finish()?;
        self.step(
            ctx,
            id,
            Action::DispatchTickets,
            EventKind::Paused,
            None,
            reason,
            false,
        )
        .await
    }

    pub async fn resume_ticket(&self, ctx: &Ctx, id: i64) -> Result<TicketRecord> {
        self.step(
            ctx,
            id,
            Action::DispatchTickets,
            EventKind::Resumed,
            None,
            "",
            false,
        )
        .await
    }

    /// Cancels a ticket opened in error or withdrawn by the customer (reason required).
    pub async fn cancel_ticket(&self, ctx: &Ctx, id: i64, reason: &str) -> Result<TicketRecord> {
        let mut fields = Fields::default();
        check_note(&mut fields, "reason", reason, true);
        fields.finish()?;
        self.step(
            ctx,
            id,
            Action::ManageTickets,
            EventKind::Cancelled,
            None,
            reason,
            false,
        )
        .await
    }

    /// SVC-7: corrects when an event happened (a contact logged late, a wrong arrival time);
    /// the clocks are recomputed and the change is audited with its reason.
    pub async fn correct_event(
        &self,
        ctx: &Ctx,
        ticket_id: i64,
        event_id: i64,
        at: &str,
        reason: &str,
    ) -> Result<TicketView> {
        let mut fields = Fields::default();
        check_note(&mut fields, "reason", reason, true);
        let at_ms = parse_instant(&mut fields, "at", at);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        visible_ticket(&mut tx, ctx, Action::CorrectTicketEvents, ticket_id).await?;
        let events = store::events(&mut tx, ticket_id).await?;
        let event = events
            .iter()
            .find(|e| e.id == event_id)
            .ok_or(Error::NotFound("event"))?
            .clone();
        let at_ms = at_ms.unwrap_or(event.at_ms);
        let mut fields = Fields::default();
        if at_ms > now_ms() + FUTURE_SKEW_MS {
            fields.add("at", "cannot be in the future");
        }
        let requested = events
            .iter()
            .find(|e| e.kind == EventKind::Requested.code())
            .map_or(i64::MIN, |e| e.at_ms);
        if event.kind == EventKind::Requested.code() {
            if events.iter().any(|e| e.id != event.id && e.at_ms < at_ms) {
                fields.add("at", "the request cannot move after a later event");
            }
        } else if at_ms < requested {
            fields.add("at", "cannot be before the request");
        }
        fields.finish()?;
        store::set_event_time(&mut tx, event_id, at_ms).await?;
        if event.kind == EventKind::Requested.code() {
            store::set_requested_at(&mut tx, ticket_id, at_ms).await?;
        }
        let sla = SlaContext::load(&mut tx).await?;
        let after_ticket = store::get_ticket(&mut tx, ticket_id)
            .await?
            .ok_or(Error::NotFound("ticket"))?;
        recompute(&mut tx, &sla, &after_ticket).await?;
        let after = store::events(&mut tx, ticket_id)
            .await?
            .into_iter()
            .find(|e| e.id == event_id);
        audit::record(
            &mut tx,
            ctx,
            "ticket_event",
            event_id,
            &format!("correct_time: {}", reason.trim()),
            Some(&event),
            after.as_ref().map(|a| a as &dyn audit::ErasedJson),
        )
        .await?;
        tx.commit().await?;
        self.ticket(ctx, ticket_id).await
    }

    async fn ticket_record(&self, ctx: &Ctx, id: i64) -> Result<TicketRecord> {
        let mut tx = self.db.read().await?;
        visible_ticket(&mut tx, ctx, Action::ReadTickets, id).await
    }

    /// One logged step on a ticket the caller may act on with `action`.
    #[allow(clippy::too_many_arguments)]
    async fn step(
        &self,
        ctx: &Ctx,
        id: i64,
        action: Action,
        event: EventKind,
        at: Option<&str>,
        note: &str,
        assignee_only: bool,
    ) -> Result<TicketRecord> {
        let mut fields = Fields::default();
        check_note(&mut fields, "note", note, false);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let ticket = visible_ticket(&mut tx, ctx, action, id).await?;
        if assignee_only {
            require_assignee(ctx, &ticket)?;
        }
        let mut fields = Fields::default();
        let at_ms = event_time(&mut fields, "at", at, ticket.requested_at_ms);
        fields.finish()?;
        let after = apply(&mut tx, ctx, &ticket, event, at_ms, None, note.trim()).await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// Logs the request on a new ticket and starts its clocks (also used by maintenance plans).
pub(crate) async fn open_ticket(
    tx: &mut Tx,
    ctx: &Ctx,
    id: i64,
    requested_at_ms: i64,
) -> Result<TicketRecord> {
    store::insert_event(
        tx,
        &NewEvent {
            ticket_id: id,
            kind: EventKind::Requested.code(),
            at_ms: requested_at_ms,
            ref_id: None,
            note: "",
        },
        ctx.actor.user_id,
        now_ms(),
    )
    .await?;
    let ticket = store::get_ticket(tx, id)
        .await?
        .ok_or(Error::NotFound("ticket"))?;
    let sla = SlaContext::load(tx).await?;
    recompute(tx, &sla, &ticket).await?;
    audit::record(tx, ctx, "service_ticket", id, "create", None, Some(&ticket)).await?;
    Ok(ticket)
}
