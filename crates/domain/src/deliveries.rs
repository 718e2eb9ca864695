//! ORD: the life of an order, the warranty of a delivered device, how long a sales record is
//! kept, and which serials a recall range reaches.

use jiff::ToSpan;
use jiff::civil::Date;

codes!(
    /// ORD-1: an order called off a contract.
    OrderStatus {
        Open = "open",
        PartiallyDelivered = "partially_delivered",
        Delivered = "delivered",
        Cancelled = "cancelled",
    }
);

codes!(
    /// ORD-1: a shipment, until the customer confirms receipt.
    DeliveryStatus {
        Shipped = "shipped",
        Received = "received",
    }
);

codes!(
    /// ORD-2: where a delivered device is in its life.
    DeviceStatus {
        Delivered = "delivered",
        Installed = "installed",
        UnderRepair = "under_repair",
        Retired = "retired",
    }
);

codes!(
    /// ORD-2: the warranty of a device on a given day.
    WarrantyState {
        /// No warranty end known.
        Unknown = "unknown",
        InWarranty = "in_warranty",
        Expired = "expired",
    }
);

impl OrderStatus {
    /// The status after shipping: delivered once every line is complete. `lines` are
    /// `(ordered, delivered)`.
    pub fn after_shipping(lines: &[(i64, i64)]) -> OrderStatus {
        if lines
            .iter()
            .all(|(ordered, delivered)| delivered >= ordered)
        {
            OrderStatus::Delivered
        } else if lines.iter().any(|(_, delivered)| *delivered > 0) {
            OrderStatus::PartiallyDelivered
        } else {
            OrderStatus::Open
        }
    }

    /// Whether the warehouse may still ship against it.
    pub fn ships(self) -> bool {
        matches!(self, OrderStatus::Open | OrderStatus::PartiallyDelivered)
    }
}

/// ORD-2: the warranty runs `months` from installation, or from delivery until installed.
pub fn warranty_end(start: Date, months: i64) -> Option<Date> {
    start.checked_add(months.months()).ok()
}

/// ORD-2: the warranty state of a device whose warranty ends on `end`.
pub fn warranty_state(end: Option<Date>, today: Date) -> WarrantyState {
    match end {
        None => WarrantyState::Unknown,
        Some(e) if e >= today => WarrantyState::InWarranty,
        Some(_) => WarrantyState::Expired,
    }
}

/// ORD-3: the last day a sales record must be kept: 2 years past the device's expiry, 5 years
/// past the sale where it has none, and forever (`None`) for an implantable device.
pub fn retain_until(sale_date: Date, expiry: Option<Date>, implantable: bool) -> Option<Date> {
    if implantable {
        return None;
    }
    let (from, years) = match expiry {
        Some(e) => (e, 2),
        None => (sale_date, 5),
    };
    from.checked_add(years.years()).ok()
}

/// ORD-4: a range of serials to trace. Serials are compared as strings of the bounds' length:
/// both bounds must have the same length, and a serial is in the range when it has that
/// length too and sorts between them byte by byte. For zero-padded numbers (`0001`–`0150`)
/// and fixed prefixes (`SN0001`–`SN0150`) that is numeric order; `SN1`–`SN20` is refused
/// (pad the numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialRange {
    pub from: String,
    pub to: String,
}

impl SerialRange {
    pub fn new(from: &str, to: &str) -> Result<SerialRange, &'static str> {
        let (from, to) = (from.trim(), to.trim());
        if from.is_empty() || to.is_empty() {
            return Err("give the first and the last serial of the range");
        }
        if from.len() != to.len() {
            return Err(
                "the first and last serial must have the same length (pad numbers with zeros)",
            );
        }
        if from > to {
            return Err("the first serial sorts after the last");
        }
        Ok(SerialRange {
            from: from.to_owned(),
            to: to.to_owned(),
        })
    }

    /// The length every serial in the range has.
    pub fn width(&self) -> usize {
        self.from.len()
    }

    pub fn contains(&self, serial: &str) -> bool {
        serial.len() == self.width() && self.from.as_str() <= serial && serial <= self.to.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i16, m: i8, day: i8) -> Date {
        Date::new(y, m, day).unwrap()
    }

    #[test]
    fn ord_1_order_status_follows_the_lines() {
        assert_eq!(OrderStatus::after_shipping(&[(3, 0)]), OrderStatus::Open);
        assert_eq!(
            OrderStatus::after_shipping(&[(3, 1), (2, 0)]),
            OrderStatus::PartiallyDelivered
        );
        assert_eq!(
            OrderStatus::after_shipping(&[(3, 3), (2, 2)]),
            OrderStatus::Delivered
        );
        assert!(OrderStatus::Open.ships());
        assert!(OrderStatus::PartiallyDelivered.ships());
        assert!(!OrderStatus::Delivered.ships());
        assert!(!OrderStatus::Cancelled.ships());
    }

    #[test]
    fn ord_2_warranty_runs_from_the_start_by_months() {
        assert_eq!(warranty_end(d(2026, 1, 31), 12), Some(d(2027, 1, 31)));
        assert_eq!(warranty_end(d(2026, 1, 31), 1), Some(d(2026, 2, 28)));
        assert_eq!(warranty_end(d(2026, 3, 1), 0), Some(d(2026, 3, 1)));
        let today = d(2026, 6, 1);
        assert_eq!(warranty_state(None, today), WarrantyState::Unknown);
        assert_eq!(
            warranty_state(Some(today), today),
            WarrantyState::InWarranty
        );
        assert_eq!(
            warranty_state(Some(d(2026, 5, 31)), today),
            WarrantyState::Expired
        );
    }

    #[test]
    fn ord_3_retention_rules() {
        let sale = d(2026, 3, 1);
        assert_eq!(
            retain_until(sale, Some(d(2028, 2, 29)), false),
            Some(d(2030, 2, 28))
        );
        assert_eq!(retain_until(sale, None, false), Some(d(2031, 3, 1)));
        assert_eq!(retain_until(sale, Some(d(2028, 1, 1)), true), None);
        assert_eq!(retain_until(sale, None, true), None);
    }

    #[test]
    fn ord_4_serial_ranges_compare_equal_length_strings() {
        let r = SerialRange::new("SN0001", "SN0150").unwrap();
        assert!(r.contains("SN0001"));
        assert!(r.contains("SN0099"));
        assert!(r.contains("SN0150"));
        assert!(!r.contains("SN0151"));
        assert!(!r.contains("SN001"));
        assert!(!r.contains("SN00011"));
        assert_eq!(r.width(), 6);
        let n = SerialRange::new(" 0009 ", "0100").unwrap();
        assert!(n.contains("0010"));
        assert!(!n.contains("0101"));
        assert!(SerialRange::new("SN1", "SN20").is_err());
        assert!(SerialRange::new("B", "A").is_err());
        assert!(SerialRange::new("", "A").is_err());
    }
}
