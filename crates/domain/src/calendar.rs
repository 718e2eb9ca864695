//! SVC-7: the business calendar every SLA clock runs on.
//!
//! A working day is Monday to Friday, unless the official schedule declares it a public
//! holiday, and a weekend day declared a make-up working day (调休上班) counts as one. Only the
//! working hours of working days count (09:00–18:00 Asia/Shanghai by default), so a ticket
//! opened at 17:55 on the eve of National Day with a one-hour clock is due at 09:55 on the
//! first working day after the holiday.

use std::collections::BTreeMap;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// Where medcrm's customers work; every clock is read on this wall time.
pub const TIME_ZONE: &str = "Asia/Shanghai";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// A public holiday: not a working day even if it falls on a weekday.
    Holiday,
    /// A weekend day the State Council declares a working day to bridge a holiday.
    MakeupWorkday,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialDay {
    pub date: Date,
    pub kind: DayKind,
    pub name: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CalendarError {
    #[error("working hours must start before they end")]
    InvalidHours,
    #[error("{0} is listed twice with different kinds")]
    ConflictingDay(Date),
    #[error("time zone {TIME_ZONE} is not available")]
    TimeZone,
}

/// The daily window in which SLA time runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingHours {
    start: Time,
    end: Time,
}

impl WorkingHours {
    pub fn new(start: Time, end: Time) -> Result<Self, CalendarError> {
        if start >= end {
            return Err(CalendarError::InvalidHours);
        }
        Ok(Self { start, end })
    }

    pub fn start(&self) -> Time {
        self.start
    }

    pub fn end(&self) -> Time {
        self.end
    }

    /// How much SLA time one full working day holds (9 h by default).
    pub fn day_length(&self) -> SignedDuration {
        self.end.duration_since(self.start)
    }
}

impl Default for WorkingHours {
    fn default() -> Self {
        Self {
            start: Time::constant(9, 0, 0, 0),
            end: Time::constant(18, 0, 0, 0),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Calendar {
    hours: WorkingHours,
    days: BTreeMap<Date, SpecialDay>,
    tz: TimeZone,
}

/// The day after `d`; `Date::MAX` has none, so it is returned unchanged (loops stay bounded).
fn after(d: Date) -> Date {
    d.tomorrow().unwrap_or(d)
}

impl Calendar {
    /// A calendar with the given hours and special days. A date listed twice must agree.
    pub fn new(
        hours: WorkingHours,
        special: impl IntoIterator<Item = SpecialDay>,
    ) -> Result<Self, CalendarError> {
        let tz = TimeZone::get(TIME_ZONE).map_err(|_| CalendarError::TimeZone)?;
        let mut days = BTreeMap::new();
        for day in special {
            if let Some(prev) = days.get(&day.date).map(|d: &SpecialDay| d.kind)
                && prev != day.kind
            {
                return Err(CalendarError::ConflictingDay(day.date));
            }
            days.insert(day.date, day);
        }
        Ok(Self { hours, days, tz })
    }

    pub fn hours(&self) -> &WorkingHours {
        &self.hours
    }

    pub fn special_day(&self, date: Date) -> Option<&SpecialDay> {
        self.days.get(&date)
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        match self.days.get(&date).map(|d| d.kind) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::MakeupWorkday) => true,
            None => !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday),
        }
    }

    /// The first working day strictly after `date`.
    pub fn next_working_day(&self, date: Date) -> Date {
        // Any seven ordinary days hold a weekday, so the search ends within the special
        // days plus a week.
        let mut d = after(date);
        for _ in 0..self.days.len() + 8 {
            if self.is_working_day(d) {
                break;
            }
            d = after(d);
        }
        d
    }

    fn local(&self, ts: Timestamp) -> DateTime {
        self.tz.to_datetime(ts)
    }

    fn instant(&self, dt: DateTime) -> Timestamp {
        // Asia/Shanghai has had no transitions since 1991, so every wall time maps to one
        // instant; the fallback only guards against a broken tz database.
        self.tz.to_timestamp(dt).unwrap_or(Timestamp::MAX)
    }

    /// `ts` plus `amount` of working time. A deadline that uses up a day exactly stays at the
    /// end of that day (18:00) rather than moving to the next morning. A negative amount
    /// counts as zero: clocks never run backwards.
    pub fn add_working_time(&self, ts: Timestamp, amount: SignedDuration) -> Timestamp {
        if amount <= SignedDuration::ZERO {
            return ts;
        }
        let (start, end) = (self.hours.start, self.hours.end);
        let mut remaining = amount;
        let mut at = self.local(ts);
        let mut day = at.date();
        if !self.is_working_day(day) || at.time() >= end {
            day = self.next_working_day(day);
            at = day.to_datetime(start);
        } else if at.time() < start {
            at = day.to_datetime(start);
        }
        let max_days = remaining.as_secs() / self.hours.day_length().as_secs().max(1) + 2;
        for _ in 0..max_days {
            let left_today = end.duration_since(at.time());
            if remaining <= left_today {
                return self.instant(at.saturating_add(remaining));
            }
            remaining -= left_today;
            day = self.next_working_day(day);
            at = day.to_datetime(start);
        }
        self.instant(at)
    }

    pub fn add_working_hours(&self, ts: Timestamp, hours: i64) -> Timestamp {
        self.add_working_time(ts, SignedDuration::from_hours(hours))
    }

    /// `days` full working days of SLA time: 10:00 Monday plus 3 days is 10:00 Thursday.
    pub fn add_working_days(&self, ts: Timestamp, days: i64) -> Timestamp {
        let length = self.hours.day_length();
        let amount = length
            .checked_mul(i32::try_from(days).unwrap_or(i32::MAX))
            .unwrap_or(SignedDuration::MAX);
        self.add_working_time(ts, amount)
    }

    /// Working time elapsed from `from` to `to` (zero if `to` is not later).
    pub fn working_time_between(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        if to <= from {
            return SignedDuration::ZERO;
        }
        let (a, b) = (self.local(from), self.local(to));
        let (start, end) = (self.hours.start, self.hours.end);
        let mut total = SignedDuration::ZERO;
        let mut day = a.date();
        while day <= b.date() {
            if self.is_working_day(day) {
                let open = day.to_datetime(start).max(a);
                let close = day.to_datetime(end).min(b);
                if close > open {
                    total += close.duration_since(open);
                }
            }
            if day == Date::MAX {
                break;
            }
            day = after(day);
        }
        total
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use jiff::civil::date;

    /// The official schedule exactly as shipped to users.
    pub(crate) fn official() -> Calendar {
        let json: serde_json::Value =
            serde_json::from_str(include_str!("../../../data/cn-holidays.json")).unwrap();
        let mut days = Vec::new();
        for year in json["years"].as_object().unwrap().values() {
            for h in year["holidays"].as_array().unwrap() {
                for d in h["days"].as_array().unwrap() {
                    days.push(SpecialDay {
                        date: d.as_str().unwrap().parse().unwrap(),
                        kind: DayKind::Holiday,
                        name: h["name_zh"].as_str().unwrap().to_owned(),
                    });
                }
            }
            for d in year["makeup_workdays"].as_array().unwrap() {
                days.push(SpecialDay {
                    date: d.as_str().unwrap().parse().unwrap(),
                    kind: DayKind::MakeupWorkday,
                    name: "调休上班".into(),
                });
            }
        }
        Calendar::new(WorkingHours::default(), days).unwrap()
    }

    pub(crate) fn at(s: &str) -> Timestamp {
        format!("{s}+08:00").parse().unwrap()
    }

    fn shown(cal: &Calendar, ts: Timestamp) -> String {
        cal.local(ts).strftime("%Y-%m-%d %H:%M").to_string()
    }

    #[test]
    fn svc_7_one_hour_before_national_day_2025_lands_after_the_holiday() {
        let cal = official();
        let due = cal.add_working_hours(at("2025-09-30T17:55"), 1);
        assert_eq!(shown(&cal, due), "2025-10-09 09:55");
    }

    #[test]
    fn svc_7_national_day_2026_and_its_makeup_saturday() {
        let cal = official();
        // Wed 30 Sep 2026, 17:00 + 24 working hours: 1 h that day, then the holiday runs
        // to 7 Oct; 8 and 9 Oct give 18 h, and Saturday 10 Oct is a make-up working day.
        let due = cal.add_working_hours(at("2026-09-30T17:00"), 24);
        assert_eq!(shown(&cal, due), "2026-10-10 14:00");
        assert!(cal.is_working_day(date(2026, 10, 10)));
        assert!(!cal.is_working_day(date(2026, 10, 11)));
    }

    #[test]
    fn svc_7_makeup_saturday_counts_and_holiday_weekday_does_not() {
        let cal = official();
        assert!(cal.is_working_day(date(2025, 9, 28)), "Sunday make-up day");
        assert!(!cal.is_working_day(date(2025, 10, 1)), "Wednesday holiday");
        assert!(!cal.is_working_day(date(2025, 11, 1)), "ordinary Saturday");
        assert_eq!(cal.next_working_day(date(2025, 9, 30)), date(2025, 10, 9));
        assert_eq!(
            cal.special_day(date(2025, 10, 11)).map(|d| d.kind),
            Some(DayKind::MakeupWorkday)
        );
    }

    #[test]
    fn svc_7_new_year_2026_spans_the_holiday_and_makeup_sunday() {
        let cal = official();
        // Wed 31 Dec 2025 16:00 + 3 h: 2 h that day, holiday 1–3 Jan, Sunday 4 Jan works.
        let due = cal.add_working_hours(at("2025-12-31T16:00"), 3);
        assert_eq!(shown(&cal, due), "2026-01-04 10:00");
    }

    #[test]
    fn svc_7_spring_festival_2026_follow_up_in_three_working_days() {
        let cal = official();
        // Fri 13 Feb 2026, 10:00; Sat 14 Feb is a make-up day; 15–23 Feb holiday.
        let due = cal.add_working_days(at("2026-02-13T10:00"), 3);
        assert_eq!(shown(&cal, due), "2026-02-25 10:00");
    }

    #[test]
    fn svc_7_deadline_that_fills_the_day_stays_at_close() {
        let cal = official();
        let due = cal.add_working_hours(at("2025-11-24T09:00"), 9);
        assert_eq!(shown(&cal, due), "2025-11-24 18:00");
        let due = cal.add_working_hours(at("2025-11-24T20:00"), 1);
        assert_eq!(
            shown(&cal, due),
            "2025-11-25 10:00",
            "after hours starts next morning"
        );
        let due = cal.add_working_hours(at("2025-11-24T07:00"), 1);
        assert_eq!(
            shown(&cal, due),
            "2025-11-24 10:00",
            "before hours starts at opening"
        );
    }

    #[test]
    fn svc_7_elapsed_working_time_round_trips() {
        let cal = official();
        let starts = [
            "2025-09-30T17:55",
            "2025-12-31T16:00",
            "2026-02-13T10:00",
            "2025-11-22T11:00",
            "2026-09-30T08:00",
        ];
        for s in starts {
            for minutes in [0, 1, 59, 60, 540, 541, 1_440, 10_000] {
                let from = at(s);
                let amount = SignedDuration::from_mins(minutes);
                let due = cal.add_working_time(from, amount);
                assert_eq!(
                    cal.working_time_between(from, due),
                    amount,
                    "{s} + {minutes} min"
                );
            }
        }
    }

    #[test]
    fn svc_7_negative_and_reversed_spans_are_zero() {
        let cal = official();
        let t = at("2025-11-24T10:00");
        assert_eq!(cal.add_working_hours(t, -5), t);
        assert_eq!(
            cal.working_time_between(t, at("2025-11-24T09:00")),
            SignedDuration::ZERO
        );
    }

    #[test]
    fn svc_7_rejects_bad_hours_and_conflicting_days() {
        let nine = Time::constant(9, 0, 0, 0);
        assert_eq!(
            WorkingHours::new(nine, nine),
            Err(CalendarError::InvalidHours)
        );
        let d = date(2025, 10, 1);
        let days = [
            SpecialDay {
                date: d,
                kind: DayKind::Holiday,
                name: "a".into(),
            },
            SpecialDay {
                date: d,
                kind: DayKind::MakeupWorkday,
                name: "b".into(),
            },
        ];
        assert_eq!(
            Calendar::new(WorkingHours::default(), days).err(),
            Some(CalendarError::ConflictingDay(d))
        );
    }

    #[test]
    fn svc_7_custom_hours_change_day_length() {
        let hours =
            WorkingHours::new(Time::constant(8, 30, 0, 0), Time::constant(17, 30, 0, 0)).unwrap();
        let cal = Calendar::new(hours, []).unwrap();
        assert_eq!(hours.day_length(), SignedDuration::from_hours(9));
        let due = cal.add_working_days(at("2025-11-21T17:00"), 1);
        assert_eq!(shown(&cal, due), "2025-11-24 17:00");
    }
}
