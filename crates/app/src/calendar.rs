//! SVC-7: the business calendar as stored (special days + working hours), seeded from the
//! official State Council schedules shipped in `data/cn-holidays.json` and editable by admin.

use std::collections::BTreeMap;

use jiff::civil::{Date, Time};
use medcrm_domain::calendar::{Calendar, DayKind, SpecialDay, WorkingHours};
use medcrm_store::calendar as store;
pub use medcrm_store::calendar::DayRecord;
use medcrm_store::{Tx, settings};
use serde::Deserialize;

use crate::policy::{self, Action};
use crate::{App, Ctx, Error, Result, audit};

const OFFICIAL_SCHEDULE: &str = include_str!("../../../data/cn-holidays.json");
const SEEDED_KEY: &str = "calendar.seeded";
const HOURS_KEY: &str = "calendar.working_hours";

#[derive(Deserialize)]
struct Schedule {
    years: BTreeMap<String, Year>,
}

#[derive(Deserialize)]
struct Year {
    holidays: Vec<Holiday>,
    makeup_workdays: Vec<String>,
}

#[derive(Deserialize)]
struct Holiday {
    name_zh: String,
    days: Vec<String>,
}

/// The official days as records, holidays first.
fn official_days() -> Result<Vec<DayRecord>> {
    let schedule: Schedule = serde_json::from_str(OFFICIAL_SCHEDULE)
        .map_err(|e| Error::Internal(format!("shipped holiday schedule: {e}")))?;
    let mut out = Vec::new();
    for year in schedule.years.values() {
        for h in &year.holidays {
            out.extend(h.days.iter().map(|d| DayRecord {
                day: d.clone(),
                kind: "holiday".into(),
                name: h.name_zh.clone(),
            }));
        }
        out.extend(year.makeup_workdays.iter().map(|d| DayRecord {
            day: d.clone(),
            kind: "makeup".into(),
            name: "调休上班".into(),
        }));
    }
    Ok(out)
}

/// Loads the official schedule once per database, so an admin's later edits are kept.
pub(crate) async fn seed_official(tx: &mut Tx) -> Result<()> {
    if settings::get(tx, SEEDED_KEY).await?.is_some() {
        return Ok(());
    }
    for day in official_days()? {
        store::upsert(tx, &day).await?;
    }
    settings::set(tx, SEEDED_KEY, "2025,2026").await?;
    Ok(())
}

fn parse_date(field: &'static str, s: &str) -> Result<Date> {
    s.parse::<Date>()
        .map_err(|_| Error::invalid(field, "expected a date as YYYY-MM-DD"))
}

fn parse_hours(s: &str) -> Option<WorkingHours> {
    let (a, b) = s.split_once('-')?;
    WorkingHours::new(
        a.trim().parse::<Time>().ok()?,
        b.trim().parse::<Time>().ok()?,
    )
    .ok()
}

fn kind_of(code: &str) -> Option<DayKind> {
    match code {
        "holiday" => Some(DayKind::Holiday),
        "makeup" => Some(DayKind::MakeupWorkday),
        _ => None,
    }
}

/// The calendar as configured: what every SLA clock runs on.
pub async fn load(tx: &mut Tx) -> Result<Calendar> {
    let hours = settings::get(tx, HOURS_KEY)
        .await?
        .and_then(|s| parse_hours(&s))
        .unwrap_or_default();
    let days = store::all(tx)
        .await?
        .into_iter()
        .filter_map(|d| {
            Some(SpecialDay {
                date: d.day.parse().ok()?,
                kind: kind_of(&d.kind)?,
                name: d.name,
            })
        })
        .collect::<Vec<_>>();
    Calendar::new(hours, days).map_err(|e| Error::Internal(format!("stored calendar: {e}")))
}

/// What the calendar page and API show for one year.
pub struct YearView {
    pub year: i16,
    pub days: Vec<DayRecord>,
    pub working_hours: (Time, Time),
    pub working_days: usize,
}

/// A computed deadline, for `GET /api/v1/calendar/due`.
pub struct DueAt {
    /// RFC 3339 with the Asia/Shanghai offset.
    pub due: String,
    pub working_minutes: i64,
}

impl App {
    /// When `hours` working hours and then `days` working days after `from` fall.
    pub async fn due(&self, ctx: &Ctx, from: &str, hours: i64, days: i64) -> Result<DueAt> {
        policy::require(&ctx.actor, Action::ReadCalendar)?;
        let mut fields = crate::error::Fields::default();
        let start = from.parse::<jiff::Timestamp>();
        fields.check(
            "from",
            start
                .as_ref()
                .map(|_| ())
                .map_err(|_| "expected an RFC 3339 instant, e.g. 2025-09-30T17:55:00+08:00"),
        );
        if !(0..=10_000).contains(&hours) {
            fields.add("hours", "hours must be between 0 and 10000");
        }
        if !(0..=1_000).contains(&days) {
            fields.add("days", "days must be between 0 and 1000");
        }
        fields.finish()?;
        let start = start.map_err(|_| Error::invalid("from", "invalid instant"))?;
        let mut tx = self.db.read().await?;
        let cal = load(&mut tx).await?;
        let due = cal.add_working_days(cal.add_working_hours(start, hours), days);
        let shown = due
            .in_tz("Asia/Shanghai")
            .map(|z| z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
            .map_err(|e| Error::Internal(e.to_string()))?;
        Ok(DueAt {
            due: shown,
            working_minutes: cal.working_time_between(start, due).as_mins(),
        })
    }

    pub async fn calendar(&self, ctx: &Ctx) -> Result<Calendar> {
        policy::require(&ctx.actor, Action::ReadCalendar)?;
        let mut tx = self.db.read().await?;
        load(&mut tx).await
    }

    pub async fn calendar_year(&self, ctx: &Ctx, year: i16) -> Result<YearView> {
        policy::require(&ctx.actor, Action::ReadCalendar)?;
        if !(2000..=2100).contains(&year) {
            return Err(Error::invalid("year", "year must be between 2000 and 2100"));
        }
        let mut tx = self.db.read().await?;
        let cal = load(&mut tx).await?;
        let prefix = format!("{year}-");
        let days = store::all(&mut tx)
            .await?
            .into_iter()
            .filter(|d| d.day.starts_with(&prefix))
            .collect();
        let first = Date::new(year, 1, 1).map_err(|e| Error::Internal(e.to_string()))?;
        let working_days = first
            .series(jiff::ToSpan::days(1))
            .take_while(|d| d.year() == year)
            .filter(|d| cal.is_working_day(*d))
            .count();
        Ok(YearView {
            year,
            days,
            working_hours: (cal.hours().start(), cal.hours().end()),
            working_days,
        })
    }

    /// Marks `day` as a holiday or make-up working day (replacing what it was).
    pub async fn set_calendar_day(
        &self,
        ctx: &Ctx,
        day: &str,
        kind: &str,
        name: &str,
    ) -> Result<()> {
        policy::require(&ctx.actor, Action::ManageCalendar)?;
        let mut fields = crate::error::Fields::default();
        let date = parse_date("day", day);
        if let Err(Error::Invalid(f)) = &date {
            for (k, v) in f {
                fields.add(k, v.clone());
            }
        }
        if kind_of(kind).is_none() {
            fields.add("kind", "kind must be holiday or makeup");
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 50 {
            fields.add("name", "name must be 1 to 50 characters");
        }
        fields.finish()?;
        let date = date?;
        let mut tx = self.db.write().await?;
        let before = store::get(&mut tx, &date.to_string()).await?;
        let record = DayRecord {
            day: date.to_string(),
            kind: kind.to_owned(),
            name: name.to_owned(),
        };
        store::upsert(&mut tx, &record).await?;
        let after = day_json(&record);
        let before = before.as_ref().map(day_json);
        audit::record(
            &mut tx,
            ctx,
            "calendar_day",
            &record.day,
            "set",
            before.as_ref().map(|b| b as &dyn audit::ErasedJson),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        // SVC-7: deadlines in working time move with the calendar.
        self.recompute_for_calendar().await?;
        Ok(())
    }

    /// Makes `day` an ordinary day again.
    pub async fn clear_calendar_day(&self, ctx: &Ctx, day: &str) -> Result<()> {
        policy::require(&ctx.actor, Action::ManageCalendar)?;
        let date = parse_date("day", day)?.to_string();
        let mut tx = self.db.write().await?;
        let before = store::get(&mut tx, &date)
            .await?
            .ok_or(Error::NotFound("calendar day"))?;
        store::delete(&mut tx, &date).await?;
        audit::record(
            &mut tx,
            ctx,
            "calendar_day",
            &date,
            "clear",
            Some(&day_json(&before)),
            None,
        )
        .await?;
        tx.commit().await?;
        // SVC-7: deadlines in working time move with the calendar.
        self.recompute_for_calendar().await?;
        Ok(())
    }

    /// Sets the working hours, e.g. `09:00`–`18:00`.
    pub async fn set_working_hours(&self, ctx: &Ctx, start: &str, end: &str) -> Result<()> {
        policy::require(&ctx.actor, Action::ManageCalendar)?;
        let mut fields = crate::error::Fields::default();
        let s = start.parse::<Time>();
        let e = end.parse::<Time>();
        fields.check(
            "start",
            s.as_ref()
                .map(|_| ())
                .map_err(|_| "expected a time as HH:MM"),
        );
        fields.check(
            "end",
            e.as_ref()
                .map(|_| ())
                .map_err(|_| "expected a time as HH:MM"),
        );
        fields.finish()?;
        let (Ok(s), Ok(e)) = (s, e) else {
            return Err(Error::invalid("start", "expected a time as HH:MM"));
        };
        let hours =
            WorkingHours::new(s, e).map_err(|err| Error::invalid("end", err.to_string()))?;
        let value = format!(
            "{}-{}",
            hours.start().strftime("%H:%M"),
            hours.end().strftime("%H:%M")
        );
        let mut tx = self.db.write().await?;
        let before = settings::get(&mut tx, HOURS_KEY).await?;
        settings::set(&mut tx, HOURS_KEY, &value).await?;
        audit::record(
            &mut tx,
            ctx,
            "setting",
            HOURS_KEY,
            "set",
            before.as_ref().map(|b| b as &dyn audit::ErasedJson),
            Some(&value),
        )
        .await?;
        tx.commit().await?;
        // SVC-7: deadlines in working time move with the calendar.
        self.recompute_for_calendar().await?;
        Ok(())
    }
}

fn day_json(d: &DayRecord) -> serde_json::Value {
    serde_json::json!({"day": d.day, "kind": d.kind, "name": d.name})
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SVC-7: the shipped schedule parses and holds both years.
    #[test]
    fn svc_7_official_schedule_covers_2025_and_2026() {
        let days = official_days().unwrap();
        assert!(
            days.iter()
                .any(|d| d.day == "2025-10-08" && d.kind == "holiday")
        );
        assert!(
            days.iter()
                .any(|d| d.day == "2025-09-28" && d.kind == "makeup")
        );
        assert!(
            days.iter()
                .any(|d| d.day.starts_with("2026-") && d.kind == "holiday")
        );
    }

    #[test]
    fn working_hours_setting_parses() {
        let h = parse_hours("08:30-17:30").unwrap();
        assert_eq!(h.start(), Time::constant(8, 30, 0, 0));
        assert!(parse_hours("18:00-09:00").is_none());
        assert!(parse_hours("nonsense").is_none());
    }
}
