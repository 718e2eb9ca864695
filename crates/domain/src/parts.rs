//! PRT-1…5: spare parts. Kinds of location and movement, the sign every movement carries,
//! what a transfer may connect, when stock is low and the min/max a location should keep;
//! stock count variances (PRT-4) and what a purchase receipt may bring in (PRT-5).

codes!(
    /// PRT-1: what a part's issues must record to trace it.
    Tracking {
        None = "none",
        Serial = "serial",
        Lot = "lot",
    }
);

codes!(
    /// PRT-1: the company's central warehouse, a region's, or one engineer's own stock.
    WarehouseKind {
        Central = "central",
        Regional = "regional",
        Engineer = "engineer",
    }
);

codes!(
    /// PRT-2: what a ledger row records.
    MovementKind {
        Receipt = "receipt",
        Issue = "issue",
        Return = "return",
        TransferOut = "transfer_out",
        TransferIn = "transfer_in",
        Adjustment = "adjustment",
    }
);

codes!(
    /// Usable stock, or faulty parts returned from the field (kept apart, never issued).
    Condition {
        Good = "good",
        Faulty = "faulty",
    }
);

codes!(
    TransferStatus {
        InTransit = "in_transit",
        Received = "received",
    }
);

/// Largest quantity one movement may move.
pub const MAX_MOVEMENT_QTY: i64 = 1_000_000;

impl MovementKind {
    /// The signed quantity this kind books for `quantity` (> 0) units: receipts, returns and
    /// transfers in add; issues and transfers out take away. An adjustment carries its own
    /// sign, so it is given signed and kept as is.
    pub fn signed(self, quantity: i64) -> i64 {
        match self {
            MovementKind::Receipt | MovementKind::Return | MovementKind::TransferIn => {
                quantity.abs()
            }
            MovementKind::Issue | MovementKind::TransferOut => -quantity.abs(),
            MovementKind::Adjustment => quantity,
        }
    }
}

/// Why a quantity is not acceptable for a movement of `kind`, if it is not.
pub fn check_quantity(kind: MovementKind, quantity: i64) -> Result<(), String> {
    let range = 1..=MAX_MOVEMENT_QTY;
    match kind {
        MovementKind::Adjustment if quantity != 0 && range.contains(&quantity.abs()) => Ok(()),
        MovementKind::Adjustment => Err(format!(
            "an adjustment is a non-zero change of at most {MAX_MOVEMENT_QTY} either way"
        )),
        _ if range.contains(&quantity) => Ok(()),
        _ => Err(format!("1 to {MAX_MOVEMENT_QTY}")),
    }
}

/// PRT-2: a transfer connects two different locations.
pub fn check_transfer(from_warehouse: i64, to_warehouse: i64) -> Result<(), String> {
    if from_warehouse == to_warehouse {
        Err("a transfer must go to another location".into())
    } else {
        Ok(())
    }
}

/// PRT-1: min/max levels (0 = not set). A max, when set, is at least the min.
pub fn check_levels(min_qty: i64, max_qty: i64) -> Result<(), String> {
    if !(0..=MAX_MOVEMENT_QTY).contains(&min_qty) || !(0..=MAX_MOVEMENT_QTY).contains(&max_qty) {
        return Err(format!("levels are 0 to {MAX_MOVEMENT_QTY}"));
    }
    if max_qty != 0 && max_qty < min_qty {
        return Err("the maximum must be at least the minimum".into());
    }
    Ok(())
}

/// PRT-1: stock is low when a minimum is set and usable stock is below it.
pub fn is_low(on_hand: i64, min_qty: i64) -> bool {
    min_qty > 0 && on_hand < min_qty
}

/// PRT-1: how many to order to bring `on_hand` plus what is `in_transit` back up to the max
/// (or to the min when no max is set); 0 when the location is not low.
pub fn reorder_quantity(on_hand: i64, in_transit: i64, min_qty: i64, max_qty: i64) -> i64 {
    if !is_low(on_hand + in_transit, min_qty) {
        return 0;
    }
    let target = if max_qty > 0 { max_qty } else { min_qty };
    (target - on_hand - in_transit).max(0)
}

/// The window the level suggestion looks back over.
pub const SUGGESTION_DAYS: i64 = 90;
/// How many days of demand the suggested minimum covers (replenishment lead time + margin).
pub const MIN_COVER_DAYS: i64 = 30;
/// How many days of demand the suggested maximum covers.
pub const MAX_COVER_DAYS: i64 = 60;

/// PRT-1: min/max suggested from the units issued over the last [`SUGGESTION_DAYS`]: the
/// minimum covers [`MIN_COVER_DAYS`] of the average daily demand, the maximum
/// [`MAX_COVER_DAYS`], both rounded up so any demand at all keeps at least one in stock.
pub fn suggest_levels(issued_in_window: i64) -> (i64, i64) {
    if issued_in_window <= 0 {
        return (0, 0);
    }
    let cover = |days: i64| (issued_in_window * days + SUGGESTION_DAYS - 1) / SUGGESTION_DAYS;
    (cover(MIN_COVER_DAYS), cover(MAX_COVER_DAYS))
}

codes!(
    /// PRT-4: a count sheet is filled in, submitted, then approved (its variances adjusted)
    /// or rejected.
    CountStatus {
        Counting = "counting",
        Submitted = "submitted",
        Approved = "approved",
        Rejected = "rejected",
    }
);

codes!(
    /// PRT-5: an order is open until every line is accepted in full or it is closed short.
    OrderStatus {
        Open = "open",
        Closed = "closed",
    }
);

/// PRT-4: what approval adjusts a line by: counted − book. Zero needs no adjustment.
pub fn variance(counted: i64, book: i64) -> i64 {
    counted - book
}

/// PRT-5: what an order line still expects: ordered − accepted so far (rejected units do not
/// count against the order; the supplier replaces them).
pub fn outstanding(ordered: i64, accepted: i64) -> i64 {
    (ordered - accepted).max(0)
}

/// PRT-5: a delivery of `received` units of which `accepted` passed inspection, against a
/// line still expecting `outstanding`: received is 1…outstanding, accepted 0…received.
pub fn check_receipt(outstanding: i64, received: i64, accepted: i64) -> Result<(), String> {
    if !(1..=MAX_MOVEMENT_QTY).contains(&received) {
        return Err(format!("received: 1 to {MAX_MOVEMENT_QTY}"));
    }
    if received > outstanding {
        return Err(format!(
            "{received} received but only {outstanding} still outstanding on the order"
        ));
    }
    if !(0..=received).contains(&accepted) {
        return Err(format!("accepted: 0 to the {received} received"));
    }
    Ok(())
}

/// Longest serial or lot number.
pub const MAX_TRACE_CHARS: usize = 64;

/// PRT-5: the trace a receipt line records for `accepted` units of a part tracked by
/// `tracking`: a lot number for a lot, one distinct serial per accepted unit (separated by
/// commas, spaces or new lines) for serials, nothing required otherwise. Returns it
/// normalised (serials joined by ", ").
pub fn check_trace(tracking: Tracking, trace: &str, accepted: i64) -> Result<String, String> {
    let too_long = |t: &str| t.chars().count() > MAX_TRACE_CHARS;
    match tracking {
        _ if accepted == 0 => Ok(String::new()),
        Tracking::None => Ok(String::new()),
        Tracking::Lot => {
            let lot = trace.trim();
            if lot.is_empty() || too_long(lot) {
                return Err(format!("the lot number, 1 to {MAX_TRACE_CHARS} characters"));
            }
            Ok(lot.to_owned())
        }
        Tracking::Serial => {
            let serials: Vec<&str> = trace
                .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .collect();
            if serials.len() as i64 != accepted {
                return Err(format!(
                    "one serial number per accepted unit: {accepted} expected, {} given",
                    serials.len()
                ));
            }
            if let Some(long) = serials.iter().find(|s| too_long(s)) {
                return Err(format!("{long}: at most {MAX_TRACE_CHARS} characters"));
            }
            let distinct: std::collections::BTreeSet<&&str> = serials.iter().collect();
            if distinct.len() != serials.len() {
                return Err("a serial number is given twice".into());
            }
            Ok(serials.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prt_2_each_kind_books_its_sign() {
        assert_eq!(MovementKind::Receipt.signed(3), 3);
        assert_eq!(MovementKind::Return.signed(3), 3);
        assert_eq!(MovementKind::TransferIn.signed(3), 3);
        assert_eq!(MovementKind::Issue.signed(3), -3);
        assert_eq!(MovementKind::TransferOut.signed(3), -3);
        assert_eq!(MovementKind::Adjustment.signed(-2), -2);
        assert_eq!(MovementKind::Adjustment.signed(2), 2);
    }

    #[test]
    fn prt_2_quantities_and_transfers_are_checked() {
        assert!(check_quantity(MovementKind::Issue, 1).is_ok());
        assert!(check_quantity(MovementKind::Issue, 0).is_err());
        assert!(check_quantity(MovementKind::Issue, -1).is_err());
        assert!(check_quantity(MovementKind::Receipt, MAX_MOVEMENT_QTY + 1).is_err());
        assert!(check_quantity(MovementKind::Adjustment, -5).is_ok());
        assert!(check_quantity(MovementKind::Adjustment, 0).is_err());
        assert!(check_transfer(1, 1).is_err());
        assert!(check_transfer(1, 2).is_ok());
    }

    #[test]
    fn prt_1_low_stock_and_reorder() {
        assert!(!is_low(0, 0), "no minimum set: never low");
        assert!(is_low(1, 2));
        assert!(!is_low(2, 2));
        assert_eq!(reorder_quantity(1, 0, 2, 10), 9);
        assert_eq!(reorder_quantity(1, 0, 3, 0), 2, "no max: back to the min");
        assert_eq!(reorder_quantity(1, 5, 3, 10), 0, "in transit covers it");
        assert_eq!(reorder_quantity(5, 0, 3, 10), 0);
        assert!(check_levels(2, 10).is_ok());
        assert!(check_levels(2, 0).is_ok());
        assert!(check_levels(5, 3).is_err());
        assert!(check_levels(-1, 3).is_err());
    }

    #[test]
    fn prt_1_levels_suggested_from_demand() {
        assert_eq!(suggest_levels(0), (0, 0));
        assert_eq!(suggest_levels(1), (1, 1), "any demand keeps one");
        assert_eq!(suggest_levels(90), (30, 60));
        assert_eq!(suggest_levels(10), (4, 7));
    }

    #[test]
    fn prt_4_variance_is_counted_minus_book() {
        assert_eq!(variance(7, 10), -3);
        assert_eq!(variance(12, 10), 2);
        assert_eq!(variance(10, 10), 0);
    }

    #[test]
    fn prt_5_receipts_never_exceed_what_is_outstanding() {
        assert_eq!(outstanding(10, 4), 6);
        assert_eq!(outstanding(10, 10), 0);
        assert!(check_receipt(6, 6, 5).is_ok());
        assert!(check_receipt(6, 7, 7).is_err(), "over the order");
        assert!(check_receipt(6, 0, 0).is_err());
        assert!(
            check_receipt(6, 3, 4).is_err(),
            "more accepted than received"
        );
        assert!(check_receipt(6, 3, -1).is_err());
        assert!(check_receipt(0, 1, 1).is_err(), "nothing outstanding");
    }

    #[test]
    fn prt_5_lots_and_serials_are_recorded_where_tracked() {
        assert_eq!(check_trace(Tracking::None, "x", 3).unwrap(), "");
        assert_eq!(
            check_trace(Tracking::Lot, " L2026-01 ", 3).unwrap(),
            "L2026-01"
        );
        assert!(check_trace(Tracking::Lot, " ", 3).is_err());
        assert_eq!(
            check_trace(Tracking::Lot, "", 0).unwrap(),
            "",
            "nothing accepted"
        );
        assert_eq!(
            check_trace(Tracking::Serial, "SN1,SN2\nSN3", 3).unwrap(),
            "SN1, SN2, SN3"
        );
        assert!(check_trace(Tracking::Serial, "SN1, SN2", 3).is_err());
        assert!(check_trace(Tracking::Serial, "SN1 SN1", 2).is_err());
    }
}
