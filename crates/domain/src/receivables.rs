//! FIN-1…3: invoices and payments against contracts, receivables aging, collection
//! (dunning) escalation and the customer statement.

use jiff::ToSpan;
use jiff::civil::Date;

codes!(
    /// FIN-1: an invoice's life. `paid` once settled in full; only an unpaid invoice is voided.
    InvoiceStatus {
        Open = "open",
        Paid = "paid",
        Void = "void",
    }
);

codes!(
    /// How a payment came in.
    PaymentMethod {
        Transfer = "transfer",
        AcceptanceBill = "acceptance_bill",
        Cheque = "cheque",
        Cash = "cash",
    }
);

codes!(
    /// FIN-2: what was done to collect.
    DunningKind {
        Phone = "phone",
        Letter = "letter",
        Legal = "legal",
    }
);

codes!(
    /// FIN-1: how far past its due date an open invoice is.
    AgingBucket {
        NotDue = "not_due",
        Days1To30 = "d1_30",
        Days31To60 = "d31_60",
        Days61To90 = "d61_90",
        Over90 = "over_90",
    }
);

/// Contract states an invoice may be issued against (a draft or a terminated contract bills
/// nothing).
pub const INVOICEABLE: &[&str] = &["signed", "in_execution", "changed", "completed"];

/// Whether a contract in `status` may be invoiced.
pub fn invoiceable(status: &str) -> bool {
    INVOICEABLE.contains(&status)
}

/// FIN-1: the bucket of an invoice due on `due_on`, seen on `as_of`. Due today is not yet
/// overdue; one day late is in 1–30.
pub fn bucket(due_on: Date, as_of: Date) -> AgingBucket {
    let c = Cutoffs::new(as_of);
    if due_on >= c.not_due {
        AgingBucket::NotDue
    } else if due_on >= c.d1_30 {
        AgingBucket::Days1To30
    } else if due_on >= c.d31_60 {
        AgingBucket::Days31To60
    } else if due_on >= c.d61_90 {
        AgingBucket::Days61To90
    } else {
        AgingBucket::Over90
    }
}

/// The earliest due date of each bucket on `as_of`, so an aggregate query buckets by
/// comparing dates (`due_on >= cutoff`) exactly as [`bucket`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    pub not_due: Date,
    pub d1_30: Date,
    pub d31_60: Date,
    pub d61_90: Date,
}

impl Cutoffs {
    pub fn new(as_of: Date) -> Cutoffs {
        let back = |days: i32| as_of.checked_sub(days.days()).unwrap_or(Date::MIN);
        Cutoffs {
            not_due: as_of,
            d1_30: back(30),
            d31_60: back(60),
            d61_90: back(90),
        }
    }
}

/// Days `due_on` is past on `as_of` (0 when not yet due).
pub fn days_overdue(due_on: Date, as_of: Date) -> i64 {
    i64::from((as_of - due_on).get_days()).max(0)
}

/// Open amounts per bucket, in fen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Aging {
    pub not_due: i64,
    pub d1_30: i64,
    pub d31_60: i64,
    pub d61_90: i64,
    pub over_90: i64,
}

impl Aging {
    pub fn total(&self) -> i64 {
        self.not_due + self.overdue()
    }

    pub fn overdue(&self) -> i64 {
        self.d1_30 + self.d31_60 + self.d61_90 + self.over_90
    }

    pub fn add(&mut self, other: &Aging) {
        self.not_due += other.not_due;
        self.d1_30 += other.d1_30;
        self.d31_60 += other.d31_60;
        self.d61_90 += other.d61_90;
        self.over_90 += other.over_90;
    }

    /// The amounts in bucket order, with their bucket.
    pub fn buckets(&self) -> [(AgingBucket, i64); 5] {
        [
            (AgingBucket::NotDue, self.not_due),
            (AgingBucket::Days1To30, self.d1_30),
            (AgingBucket::Days31To60, self.d31_60),
            (AgingBucket::Days61To90, self.d61_90),
            (AgingBucket::Over90, self.over_90),
        ]
    }
}

/// An open invoice as allocation sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenInvoice {
    pub id: i64,
    pub due_on: Date,
    /// Amount still open, in fen.
    pub open_fen: i64,
}

/// Why a payment cannot be allocated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllocationError {
    /// More than the contract's open invoiced amount (`open` fen).
    Overpayment { open: i64 },
    /// An explicit allocation names an invoice that is not open on this contract.
    UnknownInvoice(i64),
    /// An explicit allocation exceeds what is open on the invoice.
    ExceedsInvoice(i64),
    /// Explicit allocations do not add up to the payment.
    Mismatch { allocated: i64 },
}

/// FIN-1: spreads `amount` over `open` invoices, the oldest due first (ties by id);
/// refused when more than is open.
pub fn allocate_oldest_first(
    open: &[OpenInvoice],
    amount: i64,
) -> Result<Vec<(i64, i64)>, AllocationError> {
    let total: i64 = open.iter().map(|i| i.open_fen).sum();
    if amount > total {
        return Err(AllocationError::Overpayment { open: total });
    }
    let mut sorted: Vec<&OpenInvoice> = open.iter().filter(|i| i.open_fen > 0).collect();
    sorted.sort_by_key(|i| (i.due_on, i.id));
    let mut left = amount;
    let mut out = Vec::new();
    for inv in sorted {
        if left == 0 {
            break;
        }
        let take = left.min(inv.open_fen);
        out.push((inv.id, take));
        left -= take;
    }
    Ok(out)
}

/// FIN-1: checks explicit `(invoice, fen)` allocations against the open invoices and the
/// payment `amount`.
pub fn check_allocations(
    open: &[OpenInvoice],
    amount: i64,
    wanted: &[(i64, i64)],
) -> Result<Vec<(i64, i64)>, AllocationError> {
    let total: i64 = open.iter().map(|i| i.open_fen).sum();
    if amount > total {
        return Err(AllocationError::Overpayment { open: total });
    }
    let mut out: Vec<(i64, i64)> = Vec::new();
    for &(id, fen) in wanted.iter().filter(|(_, fen)| *fen > 0) {
        let inv = open
            .iter()
            .find(|i| i.id == id)
            .ok_or(AllocationError::UnknownInvoice(id))?;
        match out.iter_mut().find(|(i, _)| *i == id) {
            Some(slot) => slot.1 += fen,
            None => out.push((id, fen)),
        }
        if out.iter().any(|(i, f)| *i == id && *f > inv.open_fen) {
            return Err(AllocationError::ExceedsInvoice(id));
        }
    }
    let allocated: i64 = out.iter().map(|(_, f)| f).sum();
    if allocated != amount {
        return Err(AllocationError::Mismatch { allocated });
    }
    Ok(out)
}

/// FIN-2: after how many days overdue the rep is reminded, their manager told, and finance
/// with the director told. Configurable (`receivables.escalation_days`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escalation {
    pub rep_days: u32,
    pub manager_days: u32,
    pub finance_days: u32,
}

impl Default for Escalation {
    fn default() -> Self {
        Escalation {
            rep_days: 1,
            manager_days: 30,
            finance_days: 90,
        }
    }
}

codes!(
    /// FIN-2: who an overdue invoice is escalated to.
    EscalationLevel {
        Rep = "rep",
        Manager = "manager",
        Finance = "finance",
    }
);

impl Escalation {
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.rep_days == 0 {
            return Err("the rep is reminded at least 1 day after the due date");
        }
        if !(self.rep_days < self.manager_days && self.manager_days < self.finance_days) {
            return Err("each threshold must be later than the one before");
        }
        if self.finance_days > 720 {
            return Err("at most 720 days");
        }
        Ok(())
    }

    /// The thresholds, lowest first.
    pub fn levels(&self) -> [(EscalationLevel, u32); 3] {
        [
            (EscalationLevel::Rep, self.rep_days),
            (EscalationLevel::Manager, self.manager_days),
            (EscalationLevel::Finance, self.finance_days),
        ]
    }

    /// Every level reached by an invoice `days` overdue.
    pub fn reached(&self, days: i64) -> Vec<EscalationLevel> {
        self.levels()
            .into_iter()
            .filter(|(_, d)| days >= i64::from(*d))
            .map(|(l, _)| l)
            .collect()
    }
}

/// FIN-3: a statement line moves the customer's balance: an invoice adds, a payment
/// subtracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    Invoice(i64),
    Payment(i64),
}

/// FIN-3: the running balance after each movement, from `opening`.
pub fn running_balances(opening: i64, moves: &[Movement]) -> Vec<i64> {
    moves
        .iter()
        .scan(opening, |balance, m| {
            *balance += match m {
                Movement::Invoice(f) => *f,
                Movement::Payment(f) => -*f,
            };
            Some(*balance)
        })
        .collect()
}

/// FIN-3: gross margin in basis points of revenue (1 % = 100), rounded toward zero; none
/// without revenue.
pub fn margin_bp(revenue_fen: i64, cost_fen: i64) -> Option<i64> {
    if revenue_fen <= 0 {
        return None;
    }
    let bp = (i128::from(revenue_fen) - i128::from(cost_fen)) * 10_000 / i128::from(revenue_fen);
    i64::try_from(bp).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn fin_1_bucket_edges() {
        let as_of = date(2026, 6, 30);
        let due = |days_late: i32| as_of.checked_sub(days_late.days()).unwrap();
        assert_eq!(
            bucket(as_of.checked_add(1.day()).unwrap(), as_of),
            AgingBucket::NotDue
        );
        assert_eq!(bucket(due(0), as_of), AgingBucket::NotDue);
        assert_eq!(bucket(due(1), as_of), AgingBucket::Days1To30);
        assert_eq!(bucket(due(30), as_of), AgingBucket::Days1To30);
        assert_eq!(bucket(due(31), as_of), AgingBucket::Days31To60);
        assert_eq!(bucket(due(60), as_of), AgingBucket::Days31To60);
        assert_eq!(bucket(due(61), as_of), AgingBucket::Days61To90);
        assert_eq!(bucket(due(90), as_of), AgingBucket::Days61To90);
        assert_eq!(bucket(due(91), as_of), AgingBucket::Over90);
        assert_eq!(bucket(due(4000), as_of), AgingBucket::Over90);
        assert_eq!(days_overdue(due(31), as_of), 31);
        assert_eq!(days_overdue(as_of.checked_add(5.days()).unwrap(), as_of), 0);
    }

    #[test]
    fn fin_1_buckets_cross_month_and_leap_day() {
        let as_of = date(2028, 3, 1);
        assert_eq!(bucket(date(2028, 2, 29), as_of), AgingBucket::Days1To30);
        assert_eq!(bucket(date(2028, 1, 31), as_of), AgingBucket::Days1To30);
        assert_eq!(bucket(date(2028, 1, 30), as_of), AgingBucket::Days31To60);
        let c = Cutoffs::new(as_of);
        assert_eq!(c.d1_30, date(2028, 1, 31));
    }

    #[test]
    fn fin_1_aging_totals() {
        let a = Aging {
            not_due: 1,
            d1_30: 2,
            d31_60: 3,
            d61_90: 4,
            over_90: 5,
        };
        assert_eq!((a.total(), a.overdue()), (15, 14));
        let mut b = Aging::default();
        b.add(&a);
        b.add(&a);
        assert_eq!(b.over_90, 10);
        assert_eq!(b.buckets()[4], (AgingBucket::Over90, 10));
    }

    fn open(id: i64, due: Date, fen: i64) -> OpenInvoice {
        OpenInvoice {
            id,
            due_on: due,
            open_fen: fen,
        }
    }

    #[test]
    fn fin_1_allocation_oldest_due_first() {
        let invoices = [
            open(3, date(2026, 3, 1), 500),
            open(1, date(2026, 5, 1), 1000),
            open(2, date(2026, 3, 1), 300),
        ];
        assert_eq!(
            allocate_oldest_first(&invoices, 1000),
            Ok(vec![(2, 300), (3, 500), (1, 200)])
        );
        assert_eq!(allocate_oldest_first(&invoices, 300), Ok(vec![(2, 300)]));
        assert_eq!(
            allocate_oldest_first(&invoices, 1801),
            Err(AllocationError::Overpayment { open: 1800 })
        );
        assert_eq!(allocate_oldest_first(&invoices, 1800).unwrap().len(), 3);
    }

    #[test]
    fn fin_1_explicit_allocation_is_checked() {
        let invoices = [
            open(1, date(2026, 5, 1), 1000),
            open(2, date(2026, 3, 1), 300),
        ];
        assert_eq!(
            check_allocations(&invoices, 500, &[(1, 500)]),
            Ok(vec![(1, 500)])
        );
        assert_eq!(
            check_allocations(&invoices, 500, &[(9, 500)]),
            Err(AllocationError::UnknownInvoice(9))
        );
        assert_eq!(
            check_allocations(&invoices, 500, &[(2, 200), (2, 200), (1, 100)]),
            Err(AllocationError::ExceedsInvoice(2))
        );
        assert_eq!(
            check_allocations(&invoices, 500, &[(1, 100)]),
            Err(AllocationError::Mismatch { allocated: 100 })
        );
        assert_eq!(
            check_allocations(&invoices, 2000, &[(1, 2000)]),
            Err(AllocationError::Overpayment { open: 1300 })
        );
    }

    #[test]
    fn fin_2_escalation_thresholds() {
        let e = Escalation::default();
        assert!(e.validate().is_ok());
        assert!(e.reached(0).is_empty());
        assert_eq!(e.reached(1), vec![EscalationLevel::Rep]);
        assert_eq!(e.reached(29).len(), 1);
        assert_eq!(e.reached(30).len(), 2);
        assert_eq!(e.reached(90).len(), 3);
        let bad = Escalation {
            rep_days: 10,
            manager_days: 10,
            finance_days: 90,
        };
        assert!(bad.validate().is_err());
        assert!(Escalation { rep_days: 0, ..e }.validate().is_err());
    }

    #[test]
    fn fin_3_statement_and_margin() {
        let moves = [
            Movement::Invoice(1000),
            Movement::Payment(400),
            Movement::Invoice(50),
        ];
        assert_eq!(running_balances(100, &moves), vec![1100, 700, 750]);
        assert_eq!(margin_bp(10_000, 7_000), Some(3000));
        assert_eq!(margin_bp(3, 2), Some(3333));
        assert_eq!(margin_bp(0, 5), None);
        assert!(invoiceable("signed") && !invoiceable("draft") && !invoiceable("terminated"));
    }
}
