//! SVC-10: how each engineer's work scores over a period — the customers' follow-up answers
//! (attitude, quality, speed), SLA compliance per milestone, tickets completed, time spent
//! and the manager's reviews of their service records — and the periodic review itself.

use std::collections::{BTreeMap, BTreeSet};

use jiff::ToSpan;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use medcrm_domain::auth::Role;
use medcrm_domain::calendar::TIME_ZONE;
use medcrm_domain::service::sla::Milestone;
use medcrm_domain::service::{average_hundredths, ratio_bp, valid_score};
use medcrm_store::service::dispatch::active_with_role;
pub use medcrm_store::service::evaluation::RecordRow;
use medcrm_store::service::evaluation::{self as store, SurveyTotals, WorkTotals};
use medcrm_store::users;

use crate::customers::{check_text, display_names, parse_date, today};
use crate::error::Fields;
use crate::imports::{Row, Table};
use crate::org::visibility;
use crate::policy::{self, Action, Visible};
use crate::service::scope_of;
use crate::{App, Ctx, Error, Result, audit, now_ms};

/// The longest period evaluated at once.
const MAX_PERIOD_DAYS: i32 = 3 * 366;
/// Records shown to review at once.
const REVIEW_BATCH: i64 = 200;
const MAX_REVIEW_NOTE_CHARS: usize = 1000;

/// SLA compliance on one milestone: clocks met and breached among those due in the period.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Compliance {
    pub milestone: String,
    pub met: i64,
    pub breached: i64,
    /// Met among met + breached, in basis points.
    pub ratio_bp: Option<i64>,
}

/// SVC-10: one engineer's figures over the period.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EngineerScore {
    pub user_id: i64,
    pub name: String,
    pub surveys: i64,
    /// Averages of the 1–5 scores in hundredths (4.67 → 467).
    pub attitude: Option<i64>,
    pub quality: Option<i64>,
    pub speed: Option<i64>,
    /// Unsatisfied answers among the surveys, in basis points.
    pub unsatisfied_bp: Option<i64>,
    /// Per milestone, in the order of [`Milestone::ALL`].
    pub sla: Vec<Compliance>,
    /// All milestones together.
    pub sla_bp: Option<i64>,
    pub completed: i64,
    pub records: i64,
    pub average_minutes: Option<i64>,
    pub reviewed: i64,
    /// Average review score in hundredths.
    pub review_score: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub from: Date,
    pub to: Date,
    pub engineers: Vec<EngineerScore>,
}

/// The quarter `day` falls in: its first and last day.
pub fn quarter_of(day: Date) -> (Date, Date) {
    let first_month = (day.month() - 1) / 3 * 3 + 1;
    let start = Date::new(day.year(), first_month, 1).unwrap_or(day);
    let end = start
        .checked_add(3.months())
        .and_then(|d| d.checked_sub(1.day()))
        .unwrap_or(day);
    (start, end)
}

/// The evaluated period: the dates given, this quarter by default.
pub fn evaluation_period(from: Option<&str>, to: Option<&str>) -> Result<(Date, Date)> {
    let mut fields = Fields::default();
    let given = (
        parse_date(&mut fields, "from", from),
        parse_date(&mut fields, "to", to),
    );
    fields.finish()?;
    let (q_from, q_to) = quarter_of(today());
    let (from, to) = (given.0.unwrap_or(q_from), given.1.unwrap_or(q_to));
    if from > to {
        return Err(Error::invalid("from", "the period starts after it ends"));
    }
    if (to - from).get_days() > MAX_PERIOD_DAYS {
        return Err(Error::invalid("from", "a period of at most three years"));
    }
    Ok((from, to))
}

/// Midnight at the start of `day` in business time, in ms.
fn start_ms(day: Date) -> Result<i64> {
    let tz = TimeZone::get(TIME_ZONE).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(tz
        .to_timestamp(day.to_datetime(Time::midnight()))
        .map_err(|e| Error::Internal(e.to_string()))?
        .as_millisecond())
}

fn score(
    user_id: i64,
    name: String,
    s: &SurveyTotals,
    clocks: &BTreeMap<(i64, String), (i64, i64)>,
    w: &WorkTotals,
) -> EngineerScore {
    let sla: Vec<Compliance> = Milestone::ALL
        .iter()
        .map(|m| {
            let (met, breached) = clocks
                .get(&(user_id, m.code().to_owned()))
                .copied()
                .unwrap_or((0, 0));
            Compliance {
                milestone: m.code().to_owned(),
                met,
                breached,
                ratio_bp: ratio_bp(met, met + breached),
            }
        })
        .collect();
    let met: i64 = sla.iter().map(|c| c.met).sum();
    let breached: i64 = sla.iter().map(|c| c.breached).sum();
    EngineerScore {
        user_id,
        name,
        surveys: s.surveys,
        attitude: average_hundredths(s.attitude_sum, s.surveys),
        quality: average_hundredths(s.quality_sum, s.surveys),
        speed: average_hundredths(s.speed_sum, s.surveys),
        unsatisfied_bp: ratio_bp(s.unsatisfied, s.surveys),
        sla,
        sla_bp: ratio_bp(met, met + breached),
        completed: w.completed,
        records: w.records,
        average_minutes: (w.records > 0).then(|| (w.minutes_sum + w.records / 2) / w.records),
        reviewed: w.reviewed,
        review_score: average_hundredths(w.review_sum, w.reviewed),
    }
}

async fn visible_record(tx: &mut medcrm_store::Tx, ctx: &Ctx, id: i64) -> Result<RecordRow> {
    // Reviewing is the service manager's quality work, the right that also manages the
    // improvement actions (a director evaluates but does not review records).
    let (visible, _) = visibility(tx, ctx, Action::ManageImprovements).await?;
    store::get_record(tx, id)
        .await?
        .filter(|r| policy::can_see(&visible, None, &[r.region_id]))
        .ok_or(Error::NotFound("service record"))
}

impl App {
    /// SVC-10: every engineer in scope over `[from, to]`, with work recorded in the scope's
    /// regions; engineers with figures but no longer active are listed too.
    pub async fn evaluate_engineers(&self, ctx: &Ctx, from: Date, to: Date) -> Result<Evaluation> {
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::EvaluateEngineers).await?;
        let scope = scope_of(&visible);
        let end = to
            .checked_add(1.day())
            .map_err(|e| Error::Internal(e.to_string()))?;
        let (from_ms, to_ms) = (start_ms(from)?, start_ms(end)?);
        let surveys: BTreeMap<i64, SurveyTotals> =
            store::survey_totals(&mut tx, &scope, from_ms, to_ms)
                .await?
                .into_iter()
                .map(|s| (s.engineer_id, s))
                .collect();
        let clocks: BTreeMap<(i64, String), (i64, i64)> =
            store::sla_totals(&mut tx, &scope, from_ms, to_ms)
                .await?
                .into_iter()
                .map(|k| ((k.engineer_id, k.milestone), (k.met, k.breached)))
                .collect();
        let work: BTreeMap<i64, WorkTotals> = store::work_totals(&mut tx, &scope, from_ms, to_ms)
            .await?
            .into_iter()
            .map(|w| (w.engineer_id, w))
            .collect();
        let engineers = active_with_role(&mut tx, Role::ServiceEngineer.code()).await?;
        let ids: Vec<i64> = engineers.iter().map(|(id, _)| *id).collect();
        let in_scope: BTreeSet<i64> = match &visible {
            Visible::Regions(regions) => users::regions_of(&mut tx, &ids)
                .await?
                .into_iter()
                .filter(|(_, r)| regions.contains(r))
                .map(|(u, _)| u)
                .collect(),
            Visible::All | Visible::OnlyUser(_) => ids.iter().copied().collect(),
        };
        let mut everyone: BTreeSet<i64> = in_scope;
        everyone.extend(surveys.keys());
        everyone.extend(clocks.keys().map(|(u, _)| *u));
        everyone.extend(work.keys());
        let names = display_names(&mut tx, everyone.iter().copied().collect()).await?;
        let none_s = SurveyTotals::default();
        let none_w = WorkTotals::default();
        let mut scores: Vec<EngineerScore> = everyone
            .into_iter()
            .map(|id| {
                score(
                    id,
                    names.get(&id).cloned().unwrap_or_default(),
                    surveys.get(&id).unwrap_or(&none_s),
                    &clocks,
                    work.get(&id).unwrap_or(&none_w),
                )
            })
            .collect();
        scores.sort_by(|a, b| (&a.name, a.user_id).cmp(&(&b.name, b.user_id)));
        Ok(Evaluation {
            from,
            to,
            engineers: scores,
        })
    }

    /// SVC-10: service records nobody has reviewed yet in the manager's regions, oldest first.
    pub async fn records_to_review(&self, ctx: &Ctx) -> Result<Vec<RecordRow>> {
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ManageImprovements).await?;
        Ok(store::unreviewed(&mut tx, &scope_of(&visible), REVIEW_BATCH).await?)
    }

    /// SVC-10: the manager's review of a record (score 1–5 and a note). A record is reviewed
    /// once: a second review gets 409.
    pub async fn review_record(
        &self,
        ctx: &Ctx,
        id: i64,
        score: i64,
        note: &str,
    ) -> Result<RecordRow> {
        let mut fields = Fields::default();
        if !valid_score(score) {
            fields.add("score", "a score from 1 to 5");
        }
        check_text(&mut fields, "note", note, 0, MAX_REVIEW_NOTE_CHARS);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let before = visible_record(&mut tx, ctx, id).await?;
        let conflict = || Error::conflict(Some("score"), "the record has already been reviewed");
        if before.reviewed_at_ms.is_some() {
            return Err(conflict());
        }
        store::review(&mut tx, id, score, note.trim(), ctx.actor.user_id, now_ms())
            .await
            .map_err(|_| conflict())?;
        let after = store::get_record(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("service record"))?;
        audit::record(
            &mut tx,
            ctx,
            "service_record",
            id,
            "review",
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// Hundredths as a decimal (467 → "4.67"), a ratio in basis points as a percentage
/// (6666 → "66.7%"); "" when there is nothing to show.
pub fn hundredths(v: Option<i64>) -> String {
    v.map(|v| format!("{}.{:02}", v / 100, v % 100))
        .unwrap_or_default()
}

pub fn percent_bp(v: Option<i64>) -> String {
    v.map(|v| format!("{}.{}%", v / 100, v % 100 / 10))
        .unwrap_or_default()
}

/// Column headings of the evaluation sheet (zh, en); the SLA milestones follow "unsatisfied".
const SHEET_COLUMNS: [(&str, &str); 12] = [
    ("工程师", "engineer"),
    ("回访数", "surveys"),
    ("服务态度", "attitude"),
    ("服务质量", "quality"),
    ("响应速度", "speed"),
    ("不满意率", "unsatisfied"),
    ("SLA达成率", "sla"),
    ("完成工单", "completed"),
    ("服务记录", "records"),
    ("平均工时(分钟)", "average_minutes"),
    ("已审核", "reviewed"),
    ("审核评分", "review_score"),
];

fn milestone_zh(m: Milestone) -> &'static str {
    match m {
        Milestone::FirstContact => "首次联系",
        Milestone::OnSite => "到场",
        Milestone::Parts => "配件",
        Milestone::FollowUp => "回访",
    }
}

/// SVC-10 / ANA-3: the evaluation as a sheet for the appraisal (headings in Chinese, or
/// English codes when `english`), one column per SLA milestone at the end.
pub fn evaluation_table(e: &Evaluation, english: bool) -> Table {
    let mut headers: Vec<String> = SHEET_COLUMNS
        .iter()
        .map(|(zh, en)| (if english { *en } else { *zh }).to_owned())
        .collect();
    headers.extend(Milestone::ALL.iter().map(|m| {
        if english {
            format!("sla_{}", m.code())
        } else {
            format!("SLA {}", milestone_zh(*m))
        }
    }));
    let rows = (2_u32..)
        .zip(&e.engineers)
        .map(|(number, s)| {
            let mut cells = vec![
                s.name.clone(),
                s.surveys.to_string(),
                hundredths(s.attitude),
                hundredths(s.quality),
                hundredths(s.speed),
                percent_bp(s.unsatisfied_bp),
                percent_bp(s.sla_bp),
                s.completed.to_string(),
                s.records.to_string(),
                s.average_minutes.map(|m| m.to_string()).unwrap_or_default(),
                s.reviewed.to_string(),
                hundredths(s.review_score),
            ];
            cells.extend(s.sla.iter().map(|c| percent_bp(c.ratio_bp)));
            Row { number, cells }
        })
        .collect();
    Table {
        header_row: 1,
        headers,
        rows,
        numeric: vec![1, 7, 8, 9, 10],
        sheet: if english {
            "engineers"
        } else {
            "工程师考核"
        }
        .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svc_10_figures_print_as_decimals_and_percentages() {
        assert_eq!(hundredths(Some(467)), "4.67");
        assert_eq!(hundredths(Some(405)), "4.05");
        assert_eq!(hundredths(None), "");
        assert_eq!(percent_bp(Some(6666)), "66.6%");
        assert_eq!(percent_bp(Some(10_000)), "100.0%");
    }

    #[test]
    fn svc_10_the_default_period_is_the_quarter() {
        let d = |s: &str| s.parse::<Date>().unwrap_or_default();
        assert_eq!(
            quarter_of(d("2026-11-25")),
            (d("2026-10-01"), d("2026-12-31"))
        );
        assert_eq!(
            quarter_of(d("2026-02-28")),
            (d("2026-01-01"), d("2026-03-31"))
        );
    }
}
