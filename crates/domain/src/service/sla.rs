//! SVC-2…7: a ticket's SLA is a set of milestone clocks, each with its own start event,
//! target, calendar mode and stop event:
//!
//! | milestone | starts at | stops at | default target |
//! |---|---|---|---|
//! | first contact (SVC-2) | the request | contact, phone resolution or arrival | 60 wall-clock minutes (the hotline is 24 h) |
//! | on site (SVC-3) | the request, once an engineer is dispatched | arrival | 24 wall-clock hours; pauses while the customer postpones |
//! | parts (SVC-5) | each part request | that request fulfilled | 24 wall-clock hours |
//! | follow-up (SVC-6) | completion | the follow-up | 3 working days |
//!
//! Clocks are a pure function of the ticket's events, the targets, the calendar and "now",
//! so a corrected event time or a changed calendar recomputes them.

use jiff::{SignedDuration, Timestamp};

use super::{Channel, EventKind, Priority, TicketKind};
use crate::calendar::Calendar;

codes!(
    Milestone {
        FirstContact = "first_contact",
        OnSite = "on_site",
        Parts = "parts",
        FollowUp = "follow_up",
    }
);

codes!(
    /// The unit of a target: wall-clock minutes (24 h services), working minutes or working
    /// days on the business calendar.
    Mode {
        WallMinutes = "wall_minutes",
        WorkingMinutes = "working_minutes",
        WorkingDays = "working_days",
    }
);

codes!(
    ClockState {
        Running = "running",
        /// The customer postponed: the clock waits and cannot breach.
        Paused = "paused",
        Met = "met",
        /// Stopped late, or still open past its due time.
        Breached = "breached",
        /// The ticket no longer needs the milestone (cancelled, solved by phone).
        Cancelled = "cancelled",
    }
);

impl ClockState {
    pub fn is_open(self) -> bool {
        matches!(self, ClockState::Running | ClockState::Paused)
    }
}

/// A target's largest amount: 100,000 minutes is about 69 days.
pub const MAX_TARGET_AMOUNT: i64 = 100_000;

/// A warning goes out when this share of the target is used (75 %).
const WARN_AT_PERCENT: i32 = 75;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub amount: i64,
    pub mode: Mode,
}

impl Target {
    /// The policy's promise (seed 000): 1 h, 24 h, 24 h, 3 working days.
    pub fn policy_default(m: Milestone) -> Target {
        let (amount, mode) = match m {
            Milestone::FirstContact => (60, Mode::WallMinutes),
            Milestone::OnSite | Milestone::Parts => (24 * 60, Mode::WallMinutes),
            Milestone::FollowUp => (3, Mode::WorkingDays),
        };
        Target { amount, mode }
    }

    pub fn is_valid(&self) -> bool {
        (1..=MAX_TARGET_AMOUNT).contains(&self.amount)
    }

    /// Human reading, e.g. "60 min", "540 working min", "3 working days".
    pub fn describe(&self) -> String {
        match self.mode {
            Mode::WallMinutes if self.amount % 60 == 0 => format!("{} h", self.amount / 60),
            Mode::WallMinutes => format!("{} min", self.amount),
            Mode::WorkingMinutes => format!("{} working min", self.amount),
            Mode::WorkingDays => format!("{} working days", self.amount),
        }
    }
}

/// A configured target; `None` fields match any ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRule {
    pub milestone: Milestone,
    pub kind: Option<TicketKind>,
    pub priority: Option<Priority>,
    pub contract_id: Option<i64>,
    pub target: Target,
}

/// What target selection looks at on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketFacts {
    pub kind: TicketKind,
    pub priority: Priority,
    pub contract_id: Option<i64>,
}

/// The target for `m` on this ticket: the most specific matching rule (a customer contract
/// outranks a ticket kind, which outranks a priority), else the policy default.
pub fn target_for(rules: &[TargetRule], m: Milestone, t: &TicketFacts) -> Target {
    rules
        .iter()
        .filter(|r| r.milestone == m)
        .filter(|r| r.kind.is_none_or(|k| k == t.kind))
        .filter(|r| r.priority.is_none_or(|p| p == t.priority))
        .filter(|r| r.contract_id.is_none_or(|c| Some(c) == t.contract_id))
        .max_by_key(|r| {
            4 * i32::from(r.contract_id.is_some())
                + 2 * i32::from(r.kind.is_some())
                + i32::from(r.priority.is_some())
        })
        .map(|r| r.target)
        .unwrap_or_else(|| Target::policy_default(m))
}

/// A maintenance visit raised by a plan (SVC-9) answers no customer's call: it runs no
/// first-contact or on-site clock (the plan's due date is its deadline), only parts and
/// follow-up.
pub fn applies(m: Milestone, channel: Channel) -> bool {
    channel != Channel::Plan || matches!(m, Milestone::Parts | Milestone::FollowUp)
}

/// One entry of a ticket's event log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub at: Timestamp,
    /// The part request a `part_*` event is about.
    pub ref_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub milestone: Milestone,
    /// The part request of a parts clock; 0 otherwise.
    pub part_request_id: i64,
    pub started_at: Timestamp,
    pub warn_at: Timestamp,
    pub due_at: Timestamp,
    pub stopped_at: Option<Timestamp>,
    pub state: ClockState,
}

/// Every clock of a ticket as of `now`, from its events (in any order; ties keep their
/// order). A ticket without a `requested` event has none.
pub fn clocks(
    events: &[Event],
    target: impl Fn(Milestone) -> Target,
    cal: &Calendar,
    now: Timestamp,
) -> Vec<Clock> {
    let mut ev: Vec<Event> = events.to_vec();
    ev.sort_by_key(|e| e.at);
    let first = |kinds: &[EventKind], from: Timestamp, part: Option<i64>| {
        ev.iter()
            .find(|e| {
                kinds.contains(&e.kind) && e.at >= from && (part.is_none() || e.ref_id == part)
            })
            .map(|e| e.at)
    };
    let Some(requested) = first(&[EventKind::Requested], Timestamp::MIN, None) else {
        return Vec::new();
    };
    let cancelled = first(&[EventKind::Cancelled], requested, None);
    let clock = |m: Milestone,
                 part: i64,
                 start: Timestamp,
                 stop: Option<Timestamp>,
                 end: Option<Timestamp>,
                 pauses: &[(Timestamp, Option<Timestamp>)]| {
        run(
            m,
            part,
            target(m),
            cal,
            now,
            Span {
                start,
                stop,
                end,
                pauses,
            },
        )
    };
    let mut out = Vec::new();

    let contact = first(
        &[
            EventKind::Contacted,
            EventKind::ResolvedByPhone,
            EventKind::Arrived,
        ],
        requested,
        None,
    );
    out.push(clock(
        Milestone::FirstContact,
        0,
        requested,
        contact,
        cancelled,
        &[],
    ));

    if first(&[EventKind::Dispatched], requested, None).is_some() {
        let arrived = first(&[EventKind::Arrived], requested, None);
        let pauses = pauses(&ev, arrived.or(cancelled));
        out.push(clock(
            Milestone::OnSite,
            0,
            requested,
            arrived,
            cancelled,
            &pauses,
        ));
    }

    for request in ev.iter().filter(|e| e.kind == EventKind::PartRequested) {
        let id = request.ref_id.unwrap_or(0);
        let fulfilled = first(&[EventKind::PartFulfilled], request.at, Some(id));
        let dropped = first(&[EventKind::PartCancelled], request.at, Some(id));
        let end = [dropped, cancelled].into_iter().flatten().min();
        out.push(clock(Milestone::Parts, id, request.at, fulfilled, end, &[]));
    }

    if let Some(done) = first(&[EventKind::Completed], requested, None) {
        let followed = first(&[EventKind::FollowedUp], done, None);
        out.push(clock(Milestone::FollowUp, 0, done, followed, None, &[]));
    }
    out
}

/// The pauses (start, resume) before `until`; the last may still be open.
fn pauses(ev: &[Event], until: Option<Timestamp>) -> Vec<(Timestamp, Option<Timestamp>)> {
    let mut out: Vec<(Timestamp, Option<Timestamp>)> = Vec::new();
    for e in ev.iter().filter(|e| until.is_none_or(|u| e.at < u)) {
        match (e.kind, out.last_mut()) {
            (EventKind::Paused, Some((_, None))) => {}
            (EventKind::Paused, _) => out.push((e.at, None)),
            (EventKind::Resumed, Some((_, end @ None))) => *end = Some(e.at),
            _ => {}
        }
    }
    out
}

struct Span<'a> {
    start: Timestamp,
    /// The stop event, if it happened.
    stop: Option<Timestamp>,
    /// When the milestone stopped being needed, if it did.
    end: Option<Timestamp>,
    pauses: &'a [(Timestamp, Option<Timestamp>)],
}

fn run(m: Milestone, part: i64, target: Target, cal: &Calendar, now: Timestamp, s: Span) -> Clock {
    let working = target.mode != Mode::WallMinutes;
    let measure = |a: Timestamp, b: Timestamp| {
        if working {
            cal.working_time_between(a, b)
        } else {
            b.duration_since(a).max(SignedDuration::ZERO)
        }
    };
    let open_pause =
        s.stop.is_none() && s.end.is_none() && s.pauses.last().is_some_and(|p| p.1.is_none());
    let paused: SignedDuration = s
        .pauses
        .iter()
        .map(|(a, b)| measure(*a, b.unwrap_or(now)))
        .sum();
    let length = match target.mode {
        Mode::WallMinutes | Mode::WorkingMinutes => SignedDuration::from_mins(target.amount),
        Mode::WorkingDays => cal
            .hours()
            .day_length()
            .checked_mul(i32::try_from(target.amount).unwrap_or(i32::MAX))
            .unwrap_or(SignedDuration::MAX),
    };
    let warn_length = length
        .checked_mul(WARN_AT_PERCENT)
        .map(|d| d / 100)
        .unwrap_or(length);
    let add = |from: Timestamp, d: SignedDuration| {
        if working {
            cal.add_working_time(from, d)
        } else {
            from.saturating_add(d).unwrap_or(Timestamp::MAX)
        }
    };
    let due_at = match target.mode {
        // Whole working days keep the time of day (10:00 Monday + 3 = 10:00 Thursday).
        Mode::WorkingDays => add(cal.add_working_days(s.start, target.amount), paused),
        _ => add(s.start, length.saturating_add(paused)),
    };
    let warn_at = add(s.start, warn_length.saturating_add(paused));
    let (state, stopped_at) = match (s.stop, s.end) {
        (Some(stop), end) if end.is_none_or(|e| stop <= e) => {
            let state = if stop <= due_at {
                ClockState::Met
            } else {
                ClockState::Breached
            };
            (state, Some(stop))
        }
        (_, Some(end)) => (ClockState::Cancelled, Some(end)),
        _ if open_pause => (ClockState::Paused, None),
        _ if now > due_at => (ClockState::Breached, None),
        _ => (ClockState::Running, None),
    };
    Clock {
        milestone: m,
        part_request_id: part,
        started_at: s.start,
        warn_at,
        due_at,
        stopped_at,
        state,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::tests::{at, official};

    fn ev(kind: EventKind, when: &str) -> Event {
        Event {
            kind,
            at: at(when),
            ref_id: None,
        }
    }

    fn part(kind: EventKind, when: &str, id: i64) -> Event {
        Event {
            kind,
            at: at(when),
            ref_id: Some(id),
        }
    }

    fn defaults(m: Milestone) -> Target {
        Target::policy_default(m)
    }

    fn find(clocks: &[Clock], m: Milestone) -> Clock {
        *clocks.iter().find(|c| c.milestone == m).expect("clock")
    }

    fn shown(ts: Timestamp) -> String {
        jiff::tz::TimeZone::get("Asia/Shanghai")
            .unwrap()
            .to_datetime(ts)
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    }

    #[test]
    fn svc_2_first_contact_is_one_wall_clock_hour_even_at_2330_on_national_day_eve() {
        let cal = official();
        let events = [ev(EventKind::Requested, "2026-09-30T23:30")];
        let c = find(
            &clocks(&events, defaults, &cal, at("2026-09-30T23:40")),
            Milestone::FirstContact,
        );
        assert_eq!(shown(c.due_at), "2026-10-01 00:30");
        assert_eq!(shown(c.warn_at), "2026-10-01 00:15");
        assert_eq!(c.state, ClockState::Running);
    }

    #[test]
    fn svc_7_a_working_hour_target_at_2330_on_national_day_eve_falls_due_after_the_holiday() {
        let cal = official();
        let events = [ev(EventKind::Requested, "2026-09-30T23:30")];
        let working = |_| Target {
            amount: 60,
            mode: Mode::WorkingMinutes,
        };
        let c = find(
            &clocks(&events, working, &cal, at("2026-10-02T12:00")),
            Milestone::FirstContact,
        );
        // 1–7 October are the holiday; the 8th is a Thursday.
        assert_eq!(shown(c.due_at), "2026-10-08 10:00");
        assert_eq!(c.state, ClockState::Running);
    }

    #[test]
    fn svc_6_follow_up_due_counts_the_make_up_saturday() {
        let cal = official();
        let events = [
            ev(EventKind::Requested, "2026-10-08T09:00"),
            ev(EventKind::Dispatched, "2026-10-08T09:20"),
            ev(EventKind::Arrived, "2026-10-08T13:00"),
            ev(EventKind::Completed, "2026-10-08T15:00"),
        ];
        let c = find(
            &clocks(&events, defaults, &cal, at("2026-10-09T09:00")),
            Milestone::FollowUp,
        );
        // Thu 3 h + Fri 9 h + Saturday 10 October (调休上班) 9 h + Mon 6 h.
        assert_eq!(shown(c.due_at), "2026-10-12 15:00");
        assert_eq!(c.state, ClockState::Running);
    }

    #[test]
    fn svc_7_a_corrected_event_time_moves_the_deadline() {
        let cal = official();
        let mut events = vec![
            ev(EventKind::Requested, "2026-11-23T10:00"),
            ev(EventKind::Dispatched, "2026-11-23T10:30"),
            ev(EventKind::Arrived, "2026-11-24T09:00"),
            ev(EventKind::Completed, "2026-11-24T16:00"),
        ];
        let now = at("2026-11-25T09:00");
        let before = find(&clocks(&events, defaults, &cal, now), Milestone::FollowUp);
        assert_eq!(shown(before.due_at), "2026-11-27 16:00");
        events[3].at = at("2026-11-24T11:00");
        let after = find(&clocks(&events, defaults, &cal, now), Milestone::FollowUp);
        assert_eq!(shown(after.due_at), "2026-11-27 11:00");
    }

    #[test]
    fn svc_3_on_site_runs_from_the_request_once_dispatched_and_breaches_when_late() {
        let cal = official();
        let mut events = vec![
            ev(EventKind::Requested, "2026-11-23T10:00"),
            ev(EventKind::Contacted, "2026-11-23T10:20"),
        ];
        let now = at("2026-11-24T12:00");
        let cs = clocks(&events, defaults, &cal, now);
        assert_eq!(cs.len(), 1, "no on-site clock before dispatch");
        assert_eq!(find(&cs, Milestone::FirstContact).state, ClockState::Met);

        events.push(ev(EventKind::Dispatched, "2026-11-23T11:00"));
        let c = find(&clocks(&events, defaults, &cal, now), Milestone::OnSite);
        assert_eq!(shown(c.due_at), "2026-11-24 10:00");
        assert_eq!((c.state, c.stopped_at), (ClockState::Breached, None));

        events.push(ev(EventKind::Arrived, "2026-11-24T09:59"));
        let c = find(&clocks(&events, defaults, &cal, now), Milestone::OnSite);
        assert_eq!(c.state, ClockState::Met);
    }

    #[test]
    fn svc_7_a_postponed_visit_pauses_the_on_site_clock() {
        let cal = official();
        let mut events = vec![
            ev(EventKind::Requested, "2026-11-23T10:00"),
            ev(EventKind::Dispatched, "2026-11-23T11:00"),
            ev(EventKind::Paused, "2026-11-23T12:00"),
        ];
        let c = find(
            &clocks(&events, defaults, &cal, at("2026-11-25T12:00")),
            Milestone::OnSite,
        );
        assert_eq!(
            c.state,
            ClockState::Paused,
            "a paused clock does not breach"
        );
        events.push(ev(EventKind::Resumed, "2026-11-23T18:00"));
        let c = find(
            &clocks(&events, defaults, &cal, at("2026-11-24T12:00")),
            Milestone::OnSite,
        );
        assert_eq!(shown(c.due_at), "2026-11-24 16:00");
        assert_eq!(c.state, ClockState::Running);
    }

    #[test]
    fn svc_5_each_part_request_runs_its_own_clock() {
        let cal = official();
        let events = [
            ev(EventKind::Requested, "2026-11-23T10:00"),
            ev(EventKind::Dispatched, "2026-11-23T10:10"),
            ev(EventKind::Arrived, "2026-11-23T15:00"),
            part(EventKind::PartRequested, "2026-11-23T16:00", 7),
            part(EventKind::PartRequested, "2026-11-23T17:00", 8),
            part(EventKind::PartRequested, "2026-11-23T17:30", 9),
            part(EventKind::PartFulfilled, "2026-11-24T15:00", 7),
            part(EventKind::PartCancelled, "2026-11-23T18:00", 9),
        ];
        let cs = clocks(&events, defaults, &cal, at("2026-11-24T18:00"));
        let parts: Vec<(i64, ClockState)> = cs
            .iter()
            .filter(|c| c.milestone == Milestone::Parts)
            .map(|c| (c.part_request_id, c.state))
            .collect();
        assert_eq!(
            parts,
            vec![
                (7, ClockState::Met),
                (8, ClockState::Breached),
                (9, ClockState::Cancelled)
            ]
        );
    }

    #[test]
    fn svc_2_phone_resolution_meets_first_contact_and_cancel_stops_the_rest() {
        let cal = official();
        let events = [
            ev(EventKind::Requested, "2026-11-23T10:00"),
            ev(EventKind::ResolvedByPhone, "2026-11-23T10:30"),
        ];
        let cs = clocks(&events, defaults, &cal, at("2026-11-25T10:00"));
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0].state, ClockState::Met);

        let events = [
            ev(EventKind::Requested, "2026-11-23T10:00"),
            ev(EventKind::Dispatched, "2026-11-23T10:05"),
            ev(EventKind::Cancelled, "2026-11-23T10:10"),
        ];
        let cs = clocks(&events, defaults, &cal, at("2026-11-25T10:00"));
        assert!(cs.iter().all(|c| c.state == ClockState::Cancelled));
    }

    #[test]
    fn svc_9_a_plan_ticket_runs_only_parts_and_follow_up_clocks() {
        assert!(!applies(Milestone::FirstContact, Channel::Plan));
        assert!(!applies(Milestone::OnSite, Channel::Plan));
        assert!(applies(Milestone::FollowUp, Channel::Plan));
        assert!(applies(Milestone::FirstContact, Channel::Hotline));
    }

    #[test]
    fn svc_7_the_most_specific_target_wins() {
        let facts = TicketFacts {
            kind: TicketKind::Repair,
            priority: Priority::Urgent,
            contract_id: Some(5),
        };
        let rule = |kind, priority, contract_id, amount| TargetRule {
            milestone: Milestone::OnSite,
            kind,
            priority,
            contract_id,
            target: Target {
                amount,
                mode: Mode::WallMinutes,
            },
        };
        let mut rules = vec![
            rule(None, Some(Priority::Urgent), None, 600),
            rule(Some(TicketKind::Repair), None, None, 720),
        ];
        assert_eq!(target_for(&rules, Milestone::OnSite, &facts).amount, 720);
        rules.push(rule(None, None, Some(5), 240));
        rules.push(rule(None, None, Some(6), 60));
        assert_eq!(target_for(&rules, Milestone::OnSite, &facts).amount, 240);
        assert_eq!(
            target_for(&rules, Milestone::FollowUp, &facts),
            Target {
                amount: 3,
                mode: Mode::WorkingDays
            }
        );
    }
}
