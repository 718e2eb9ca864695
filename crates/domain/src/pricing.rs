//! PRC: which price applies (PRC-1), how deep a discount is and who must approve it (PRC-2),
//! and the life of a quote (PRC-3).

use jiff::civil::Date;

use crate::customers::Grade;

codes!(
    /// PRC-2: approval levels, lowest first (ordering matters: a higher level may decide a
    /// lower level's request).
    ApprovalLevel {
        Manager = "manager",
        Director = "director",
        Executive = "executive",
    }
);

codes!(
    /// PRC-1 price versions and PRC-2 applications.
    ApprovalStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
    }
);

codes!(
    /// PRC-3: a quote's life.
    QuoteStatus {
        Draft = "draft",
        PendingApproval = "pending_approval",
        Approved = "approved",
        Rejected = "rejected",
        Sent = "sent",
        Accepted = "accepted",
        Declined = "declined",
    }
);

/// What can happen to a quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteEvent {
    /// Lines edited (only in draft).
    Edit,
    /// Submitted; `needs_approval` when a line is off the approved price.
    Submit {
        needs_approval: bool,
    },
    Approve,
    Reject,
    Send,
    Accept,
    Decline,
    /// A new version, in draft, from any settled state.
    Revise,
}

impl QuoteStatus {
    /// The state after `event`, or why it may not happen.
    pub fn apply(self, event: QuoteEvent) -> Result<QuoteStatus, &'static str> {
        use QuoteEvent as E;
        use QuoteStatus as S;
        match (self, event) {
            (S::Draft, E::Edit) => Ok(S::Draft),
            (S::Draft, E::Submit { needs_approval }) => Ok(if needs_approval {
                S::PendingApproval
            } else {
                S::Approved
            }),
            (S::PendingApproval, E::Approve) => Ok(S::Approved),
            (S::PendingApproval, E::Reject) => Ok(S::Rejected),
            (S::Approved, E::Send) => Ok(S::Sent),
            (S::Sent, E::Accept) => Ok(S::Accepted),
            (S::Sent, E::Decline) => Ok(S::Declined),
            (S::Approved | S::Rejected | S::Sent | S::Declined, E::Revise) => Ok(S::Draft),
            (S::PendingApproval, E::Send | E::Accept | E::Edit | E::Revise) => {
                Err("a price adjustment is waiting for approval")
            }
            (S::Rejected, E::Send | E::Accept) => {
                Err("the price adjustment was rejected: revise the quote")
            }
            (S::Draft, E::Send | E::Accept) => Err("submit the quote first"),
            (S::Accepted, _) => Err("the quote is accepted and can no longer change"),
            (_, E::Edit) => Err("only a draft can be edited: revise the quote"),
            _ => Err("not possible in this state"),
        }
    }
}

/// PRC-2: discount below list in basis points (1 % = 100), rounded away from zero so 5.01 %
/// never passes as 5 %; negative when above list.
pub fn discount_bp(list_fen: i64, unit_fen: i64) -> i64 {
    if list_fen <= 0 {
        return 0;
    }
    let diff = i128::from(list_fen) - i128::from(unit_fen);
    let list = i128::from(list_fen);
    let scaled = diff * 10_000;
    let bp = if scaled >= 0 {
        (scaled + list - 1) / list
    } else {
        -((-scaled + list - 1) / list)
    };
    i64::try_from(bp).unwrap_or(i64::MAX)
}

/// PRC-2: the approval routing by discount depth, configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApprovalRule {
    /// Up to this depth (bp) a manager decides.
    pub manager_max_bp: u32,
    /// Up to this depth a director decides; deeper goes to an executive.
    pub director_max_bp: u32,
}

impl Default for ApprovalRule {
    fn default() -> Self {
        ApprovalRule {
            manager_max_bp: 500,
            director_max_bp: 1_500,
        }
    }
}

impl ApprovalRule {
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.manager_max_bp == 0
            || self.manager_max_bp > self.director_max_bp
            || self.director_max_bp >= 10_000
        {
            return Err("0 < manager limit ≤ director limit < 100 %");
        }
        Ok(())
    }

    /// Who must approve a price `discount_bp` below list; `None` at list price. Above list
    /// (negative) also needs a manager (PRC-2).
    pub fn level(&self, discount_bp: i64) -> Option<ApprovalLevel> {
        match discount_bp {
            0 => None,
            d if d < 0 => Some(ApprovalLevel::Manager),
            d if d <= i64::from(self.manager_max_bp) => Some(ApprovalLevel::Manager),
            d if d <= i64::from(self.director_max_bp) => Some(ApprovalLevel::Director),
            _ => Some(ApprovalLevel::Executive),
        }
    }
}

/// A price-list row as the choice of price sees it (approved rows only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRow {
    pub id: i64,
    pub region_id: Option<i64>,
    pub grade: Option<Grade>,
    pub price_fen: i64,
    pub effective_from: Date,
}

/// PRC-1: the price in effect on `date` for a customer in `regions` (its region first, then
/// each ancestor) with `grade`: the nearest region beats company-wide, a grade-specific row
/// beats any-grade, then the latest effective date, then the newest version.
pub fn applicable<'a>(
    rows: &'a [PriceRow],
    regions: &[i64],
    grade: Grade,
    date: Date,
) -> Option<&'a PriceRow> {
    rows.iter()
        .filter(|r| r.effective_from <= date)
        .filter(|r| r.grade.is_none_or(|g| g == grade))
        .filter_map(|r| {
            let distance = match r.region_id {
                None => regions.len(),
                Some(id) => regions.iter().position(|x| *x == id)?,
            };
            Some((r, distance))
        })
        .min_by_key(|(r, distance)| {
            (
                *distance,
                r.grade.is_none(),
                std::cmp::Reverse(r.effective_from),
                std::cmp::Reverse(r.id),
            )
        })
        .map(|(r, _)| r)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn prc_2_discount_depth_rounds_against_the_requester() {
        assert_eq!(discount_bp(10_000, 10_000), 0);
        assert_eq!(discount_bp(10_000, 9_500), 500);
        assert_eq!(discount_bp(10_000, 9_499), 501, "5.01 % is not 5 %");
        assert_eq!(discount_bp(30_000_000, 26_400_000), 1_200);
        assert_eq!(discount_bp(10_000, 10_100), -100, "above list");
        assert_eq!(discount_bp(3, 2), 3_334);
        assert_eq!(discount_bp(i64::MAX, 0), 10_000, "no overflow");
    }

    #[test]
    fn prc_2_routing_by_depth_default_5_and_15_percent() {
        let rule = ApprovalRule::default();
        assert_eq!(rule.level(0), None);
        assert_eq!(rule.level(-50), Some(ApprovalLevel::Manager), "above list");
        assert_eq!(rule.level(500), Some(ApprovalLevel::Manager));
        assert_eq!(rule.level(501), Some(ApprovalLevel::Director));
        assert_eq!(
            rule.level(1_200),
            Some(ApprovalLevel::Director),
            "12 % is a director's"
        );
        assert_eq!(rule.level(1_500), Some(ApprovalLevel::Director));
        assert_eq!(rule.level(1_501), Some(ApprovalLevel::Executive));
        assert!(ApprovalLevel::Executive > ApprovalLevel::Manager);
        assert!(
            ApprovalRule {
                manager_max_bp: 900,
                director_max_bp: 800
            }
            .validate()
            .is_err()
        );
        assert!(ApprovalRule::default().validate().is_ok());
    }

    #[test]
    fn prc_1_most_specific_approved_price_in_effect_wins() {
        let row = |id, region_id, grade, price_fen, from| PriceRow {
            id,
            region_id,
            grade,
            price_fen,
            effective_from: from,
        };
        let rows = vec![
            row(1, None, None, 1000, date(2026, 1, 1)),
            row(2, None, None, 1100, date(2026, 7, 1)),
            row(3, Some(10), None, 1050, date(2026, 1, 1)),
            row(4, Some(10), Some(Grade::A), 990, date(2026, 1, 1)),
            row(5, None, None, 1200, date(2027, 1, 1)),
        ];
        let on = date(2026, 11, 25);
        // Region 11 under 10 (East): region 10's rows apply; grade A's is more specific.
        assert_eq!(applicable(&rows, &[11, 10, 1], Grade::A, on).unwrap().id, 4);
        assert_eq!(applicable(&rows, &[11, 10, 1], Grade::B, on).unwrap().id, 3);
        // Elsewhere the latest company-wide version in effect; not next year's.
        assert_eq!(applicable(&rows, &[20, 1], Grade::B, on).unwrap().id, 2);
        assert_eq!(
            applicable(&rows, &[20, 1], Grade::B, date(2026, 3, 1))
                .unwrap()
                .id,
            1
        );
        assert!(applicable(&rows, &[20], Grade::B, date(2025, 1, 1)).is_none());
    }

    #[test]
    fn prc_3_a_quote_cannot_be_sent_while_pending_or_after_rejection() {
        use QuoteEvent as E;
        use QuoteStatus as S;
        let pending = S::Draft
            .apply(E::Submit {
                needs_approval: true,
            })
            .unwrap();
        assert_eq!(pending, S::PendingApproval);
        assert!(pending.apply(E::Send).is_err());
        assert!(pending.apply(E::Accept).is_err());
        let rejected = pending.apply(E::Reject).unwrap();
        assert!(rejected.apply(E::Send).is_err());
        assert_eq!(rejected.apply(E::Revise), Ok(S::Draft));
        let sent = pending.apply(E::Approve).unwrap().apply(E::Send).unwrap();
        assert_eq!(sent.apply(E::Accept), Ok(S::Accepted));
        assert!(S::Accepted.apply(E::Revise).is_err());
        assert_eq!(
            S::Draft.apply(E::Submit {
                needs_approval: false
            }),
            Ok(S::Approved)
        );
        assert!(S::Sent.apply(E::Edit).is_err());
    }
}
