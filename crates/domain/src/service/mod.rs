//! SVC: the life of a service ticket, what a follow-up answer means, how engineers are
//! ranked for dispatch and how their work is scored. The SLA clocks are in [`sla`].

pub mod sla;

codes!(
    /// SVC-1: how the request reached us (`plan`: raised by a maintenance plan, SVC-9).
    Channel {
        Hotline = "hotline",
        Web = "web",
        Email = "email",
        Engineer = "engineer",
        Plan = "plan",
    }
);

codes!(
    /// SVC-1: what the customer needs.
    TicketKind {
        Installation = "installation",
        Commissioning = "commissioning",
        Repair = "repair",
        Maintenance = "maintenance",
        Consultation = "consultation",
    }
);

codes!(
    Priority {
        Urgent = "urgent",
        High = "high",
        Normal = "normal",
        Low = "low",
    }
);

codes!(
    /// Where a ticket is. `completed`: repaired and confirmed by the customer, waiting for the
    /// follow-up; `closed`: followed up, or solved by phone.
    TicketStatus {
        New = "new",
        Contacted = "contacted",
        Dispatched = "dispatched",
        OnSite = "on_site",
        Completed = "completed",
        Closed = "closed",
        Cancelled = "cancelled",
    }
);

codes!(
    /// SVC-7: what can happen to a ticket; the SLA clocks are computed from these.
    EventKind {
        Requested = "requested",
        Claimed = "claimed",
        Contacted = "contacted",
        ResolvedByPhone = "resolved_by_phone",
        Dispatched = "dispatched",
        Arrived = "arrived",
        Paused = "paused",
        Resumed = "resumed",
        PartRequested = "part_requested",
        PartFulfilled = "part_fulfilled",
        PartCancelled = "part_cancelled",
        Completed = "completed",
        FollowedUp = "followed_up",
        Closed = "closed",
        Cancelled = "cancelled",
    }
);

impl TicketStatus {
    /// Still being worked on (its clocks may run).
    pub fn is_open(self) -> bool {
        !matches!(self, TicketStatus::Closed | TicketStatus::Cancelled)
    }

    /// The status after `event`, or `None` when the event is not allowed now. Events that do
    /// not move the ticket (claim, pause, parts) keep the status where they are allowed.
    pub fn after(self, event: EventKind) -> Option<TicketStatus> {
        use EventKind as E;
        use TicketStatus as S;
        match (self, event) {
            (S::New | S::Contacted, E::Claimed) => Some(self),
            (S::New, E::Contacted) => Some(S::Contacted),
            // SVC-2: a simple problem is solved by phone guidance and closed.
            (S::New | S::Contacted, E::ResolvedByPhone) => Some(S::Closed),
            // SVC-3/8: sending an engineer, or sending another one.
            (S::New | S::Contacted | S::Dispatched, E::Dispatched) => Some(S::Dispatched),
            (S::OnSite, E::Dispatched) => Some(S::OnSite),
            (S::Dispatched, E::Arrived) => Some(S::OnSite),
            // The customer asks for a later visit: the on-site clock waits (SVC-7).
            (S::Dispatched, E::Paused | E::Resumed) => Some(self),
            (S::Dispatched | S::OnSite, E::PartRequested | E::PartFulfilled | E::PartCancelled) => {
                Some(self)
            }
            // Parts may still arrive after a ticket is completed on a workaround.
            (S::Completed, E::PartFulfilled | E::PartCancelled) => Some(self),
            (S::OnSite, E::Completed) => Some(S::Completed),
            (S::Completed, E::FollowedUp) => Some(S::Closed),
            (S::New | S::Contacted | S::Dispatched, E::Cancelled) => Some(S::Cancelled),
            _ => None,
        }
    }
}

/// SVC-6: a follow-up answer on a 1–5 scale is unsatisfied when any score is 2 or less; it
/// then opens an improvement action.
pub const SATISFIED_MIN_SCORE: i64 = 3;

pub fn satisfied(attitude: i64, quality: i64, speed: i64) -> bool {
    [attitude, quality, speed]
        .iter()
        .all(|s| *s >= SATISFIED_MIN_SCORE)
}

/// Whether a score is on the 1–5 scale.
pub fn valid_score(score: i64) -> bool {
    (1..=5).contains(&score)
}

/// SVC-8: what dispatch knows about one engineer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub user_id: i64,
    /// Works in the ticket's region (or a region above it).
    pub in_region: bool,
    /// Holds a valid certification for the device's product line.
    pub certified: bool,
    /// Open tickets assigned now.
    pub open_tickets: i64,
}

/// SVC-8: the order in which to suggest engineers: certified before uncertified, the
/// ticket's region before others, then the lightest load; ties by id so the list is stable.
pub fn rank(mut candidates: Vec<Candidate>) -> Vec<Candidate> {
    candidates.sort_by_key(|c| (!c.certified, !c.in_region, c.open_tickets, c.user_id));
    candidates
}

/// A ratio in basis points (10000 = 100 %); `None` when there is nothing to divide.
pub fn ratio_bp(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| part.saturating_mul(10_000) / whole)
}

/// An average of 1–5 scores in hundredths (4.67 → 467), rounded half up; `None` without
/// scores.
pub fn average_hundredths(sum: i64, count: i64) -> Option<i64> {
    (count > 0).then(|| (sum.saturating_mul(200) + count) / (2 * count))
}

/// SVC-4, ORD-2: what a repair does to its device. The engineer arriving on a repair puts an
/// installed device under repair; the ticket completed, closed by phone or cancelled puts a
/// device under repair back in service. `None`: the device keeps its status (a delivered or
/// retired device is not touched, nor is a device on any other kind of ticket).
pub fn device_status_after(
    kind: TicketKind,
    event: EventKind,
    device: crate::deliveries::DeviceStatus,
) -> Option<crate::deliveries::DeviceStatus> {
    use crate::deliveries::DeviceStatus::{Installed, UnderRepair};
    match (kind, event, device) {
        (TicketKind::Repair, EventKind::Arrived, Installed) => Some(UnderRepair),
        (
            _,
            EventKind::Completed | EventKind::ResolvedByPhone | EventKind::Cancelled,
            UnderRepair,
        ) => Some(Installed),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn svc_4_a_repair_puts_its_device_under_repair_until_it_is_done() {
        use super::{EventKind as E, TicketKind as K, device_status_after as after};
        use crate::deliveries::DeviceStatus::{Delivered, Installed, Retired, UnderRepair};
        assert_eq!(after(K::Repair, E::Arrived, Installed), Some(UnderRepair));
        assert_eq!(after(K::Repair, E::Arrived, Retired), None);
        assert_eq!(after(K::Maintenance, E::Arrived, Installed), None);
        for done in [E::Completed, E::ResolvedByPhone, E::Cancelled] {
            assert_eq!(after(K::Repair, done, UnderRepair), Some(Installed));
            assert_eq!(after(K::Repair, done, Delivered), None);
        }
        assert_eq!(after(K::Repair, E::Paused, UnderRepair), None);
    }

    use super::*;

    #[test]
    fn svc_2_phone_resolution_closes_new_or_contacted_tickets_only() {
        assert_eq!(
            TicketStatus::New.after(EventKind::ResolvedByPhone),
            Some(TicketStatus::Closed)
        );
        assert_eq!(
            TicketStatus::Contacted.after(EventKind::ResolvedByPhone),
            Some(TicketStatus::Closed)
        );
        assert_eq!(
            TicketStatus::Dispatched.after(EventKind::ResolvedByPhone),
            None
        );
    }

    #[test]
    fn svc_4_a_ticket_completes_only_from_on_site_and_closes_by_follow_up() {
        assert_eq!(TicketStatus::Dispatched.after(EventKind::Completed), None);
        assert_eq!(
            TicketStatus::OnSite.after(EventKind::Completed),
            Some(TicketStatus::Completed)
        );
        assert_eq!(
            TicketStatus::Completed.after(EventKind::FollowedUp),
            Some(TicketStatus::Closed)
        );
        assert_eq!(TicketStatus::Completed.after(EventKind::Cancelled), None);
        assert!(!TicketStatus::Closed.is_open());
    }

    #[test]
    fn svc_6_any_score_of_two_or_less_is_unsatisfied() {
        assert!(satisfied(3, 3, 3));
        assert!(!satisfied(5, 2, 5));
        assert!(!valid_score(0));
        assert!(valid_score(5));
        assert!(!valid_score(6));
    }

    #[test]
    fn svc_8_certified_in_region_and_least_loaded_first() {
        let c = |user_id, in_region, certified, open_tickets| Candidate {
            user_id,
            in_region,
            certified,
            open_tickets,
        };
        let ranked = rank(vec![
            c(1, true, false, 0),
            c(2, false, true, 0),
            c(3, true, true, 5),
            c(4, true, true, 2),
        ]);
        let ids: Vec<i64> = ranked.iter().map(|c| c.user_id).collect();
        assert_eq!(ids, vec![4, 3, 2, 1]);
    }

    #[test]
    fn svc_10_averages_round_half_up_and_ratios_need_a_base() {
        assert_eq!(average_hundredths(14, 3), Some(467));
        assert_eq!(average_hundredths(9, 2), Some(450));
        assert_eq!(average_hundredths(0, 0), None);
        assert_eq!(ratio_bp(2, 3), Some(6666));
        assert_eq!(ratio_bp(1, 0), None);
    }
}
