//! FIN-3: the customer statement (对账单) and the revenue, cost, margin, collections and
//! receivables report, each also as a sheet.

use jiff::civil::Date;
use medcrm_domain::pipeline::format_yuan;
use medcrm_domain::receivables::{Movement, margin_bp, running_balances};
use medcrm_store::customers::InstitutionRecord;
use medcrm_store::receivables::{self as store, GroupBy};

use super::scope_of;
use crate::customers::{parse_date, today, visible_institution};
use crate::error::Fields;
use crate::imports::{Row, Table};
use crate::org::visibility;
use crate::policy::Action;
use crate::{App, Ctx, Error, Result};

/// A period longer than this is refused (a statement or report of decades is a mistake).
const MAX_PERIOD_DAYS: i32 = 3 * 366;

/// One movement on a statement.
#[derive(Debug, Clone)]
pub struct StatementLine {
    pub date: String,
    /// `invoice` or `payment`.
    pub kind: &'static str,
    /// The invoice number, or the payment's method and reference.
    pub reference: String,
    pub contract_number: String,
    /// Invoiced (the customer owes more).
    pub debit_fen: i64,
    /// Received (the customer owes less).
    pub credit_fen: i64,
    pub balance_fen: i64,
}

#[derive(Debug, Clone)]
pub struct Statement {
    pub institution: InstitutionRecord,
    pub from: Date,
    pub to: Date,
    pub opening_fen: i64,
    pub lines: Vec<StatementLine>,
    pub invoiced_fen: i64,
    pub received_fen: i64,
    pub closing_fen: i64,
}

/// One month of one region or rep.
#[derive(Debug, Clone)]
pub struct ReportLine {
    pub month: String,
    pub key: i64,
    pub name: String,
    pub invoiced_fen: i64,
    pub cost_fen: i64,
    pub margin_fen: i64,
    /// Gross margin in basis points of revenue; none without revenue.
    pub margin_bp: Option<i64>,
    pub collected_fen: i64,
    /// What of the month's invoices is still open.
    pub outstanding_fen: i64,
}

#[derive(Debug, Clone)]
pub struct RevenueReport {
    pub from: Date,
    pub to: Date,
    pub group_by: GroupBy,
    pub lines: Vec<ReportLine>,
    pub total: ReportLine,
}

/// A period `from`…`to`: both dates, `from` ≤ `to`, at most three years. Defaults: the
/// first of this month to today.
pub fn period(from: Option<&str>, to: Option<&str>) -> Result<(Date, Date)> {
    let mut fields = Fields::default();
    let from = parse_date(&mut fields, "from", from);
    let to = parse_date(&mut fields, "to", to);
    fields.finish()?;
    let to = to.unwrap_or_else(today);
    let from = from.unwrap_or_else(|| to.first_of_month());
    if from > to {
        return Err(Error::invalid("from", "the period starts after it ends"));
    }
    if (to - from).get_days() > MAX_PERIOD_DAYS {
        return Err(Error::invalid("from", "a period of at most three years"));
    }
    Ok((from, to))
}

fn line(month: String, key: i64, name: String, r: [i64; 4]) -> ReportLine {
    let [invoiced_fen, cost_fen, collected_fen, outstanding_fen] = r;
    ReportLine {
        month,
        key,
        name,
        invoiced_fen,
        cost_fen,
        margin_fen: invoiced_fen - cost_fen,
        margin_bp: margin_bp(invoiced_fen, cost_fen),
        collected_fen,
        outstanding_fen,
    }
}

fn rows(cells: Vec<Vec<String>>) -> Vec<Row> {
    cells
        .into_iter()
        .zip(2_u32..)
        .map(|(cells, number)| Row { number, cells })
        .collect()
}

/// `1234` bp → `12.34%`; exact, no float.
pub fn percent(bp: Option<i64>) -> String {
    match bp {
        None => "—".into(),
        Some(bp) => {
            let sign = if bp < 0 { "-" } else { "" };
            let abs = bp.unsigned_abs();
            format!("{sign}{}.{:02}%", abs / 100, abs % 100)
        }
    }
}

impl App {
    /// FIN-3: a customer's statement for a period: the balance before it, every invoice and
    /// payment in it with the running balance, and the closing balance.
    pub async fn statement(
        &self,
        ctx: &Ctx,
        institution_id: i64,
        from: Date,
        to: Date,
    ) -> Result<Statement> {
        let mut tx = self.db.read().await?;
        let (institution, _) =
            visible_institution(&mut tx, ctx, Action::ReadReceivables, institution_id).await?;
        let (f, t) = (from.to_string(), to.to_string());
        let opening_fen = store::balance_before(&mut tx, institution.id, &f).await?;
        let invoices = store::invoices_between(&mut tx, institution.id, &f, &t).await?;
        let payments = store::payments_between(&mut tx, institution.id, &f, &t).await?;
        let mut lines: Vec<StatementLine> = invoices
            .into_iter()
            .map(|v| StatementLine {
                date: v.issued_on,
                kind: "invoice",
                reference: v.number,
                contract_number: v.contract_number,
                debit_fen: v.amount_fen,
                credit_fen: 0,
                balance_fen: 0,
            })
            .chain(payments.into_iter().map(|p| StatementLine {
                date: p.received_on,
                kind: "payment",
                reference: format!("{} {}", p.method, p.reference).trim().to_owned(),
                contract_number: p.contract_number,
                debit_fen: 0,
                credit_fen: p.amount_fen,
                balance_fen: 0,
            }))
            .collect();
        // By date; on one day invoices before payments (the order stays stable otherwise).
        lines.sort_by(|a, b| (&a.date, a.kind).cmp(&(&b.date, b.kind)));
        let moves: Vec<Movement> = lines
            .iter()
            .map(|l| {
                if l.kind == "invoice" {
                    Movement::Invoice(l.debit_fen)
                } else {
                    Movement::Payment(l.credit_fen)
                }
            })
            .collect();
        for (l, b) in lines.iter_mut().zip(running_balances(opening_fen, &moves)) {
            l.balance_fen = b;
        }
        let invoiced_fen = lines.iter().map(|l| l.debit_fen).sum();
        let received_fen = lines.iter().map(|l| l.credit_fen).sum();
        Ok(Statement {
            institution,
            from,
            to,
            opening_fen,
            closing_fen: opening_fen + invoiced_fen - received_fen,
            invoiced_fen,
            received_fen,
            lines,
        })
    }

    /// FIN-3: the statement as a sheet (always in Chinese, for the customer).
    pub async fn statement_sheet(
        &self,
        ctx: &Ctx,
        institution_id: i64,
        from: Date,
        to: Date,
    ) -> Result<(Statement, Table)> {
        let s = self.statement(ctx, institution_id, from, to).await?;
        let blank = String::new;
        let mut cells = vec![vec![
            from.to_string(),
            "期初余额".into(),
            blank(),
            blank(),
            blank(),
            blank(),
            format_yuan(s.opening_fen),
        ]];
        for l in &s.lines {
            let money = |fen: i64| if fen == 0 { blank() } else { format_yuan(fen) };
            cells.push(vec![
                l.date.clone(),
                if l.kind == "invoice" {
                    "发票"
                } else {
                    "回款"
                }
                .into(),
                l.reference.clone(),
                l.contract_number.clone(),
                money(l.debit_fen),
                money(l.credit_fen),
                format_yuan(l.balance_fen),
            ]);
        }
        cells.push(vec![
            to.to_string(),
            "期末余额".into(),
            blank(),
            blank(),
            format_yuan(s.invoiced_fen),
            format_yuan(s.received_fen),
            format_yuan(s.closing_fen),
        ]);
        let headers = [
            "日期",
            "类型",
            "单号",
            "合同号",
            "开票（元）",
            "回款（元）",
            "余额（元）",
        ];
        let table = Table {
            header_row: 1,
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: rows(cells),
            numeric: Vec::new(),
            sheet: "对账单".into(),
        };
        Ok((s, table))
    }

    /// FIN-3: revenue (invoiced), cost, gross margin, collected and still outstanding per
    /// month and region or rep, in the caller's scope.
    pub async fn revenue_report(
        &self,
        ctx: &Ctx,
        from: Date,
        to: Date,
        group_by: GroupBy,
    ) -> Result<RevenueReport> {
        let group_by = match group_by {
            GroupBy::Customer => {
                return Err(Error::invalid("group_by", "one of region, rep"));
            }
            g => g,
        };
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadReceivables).await?;
        let (f, t) = (from.to_string(), to.to_string());
        let rows = store::report(&mut tx, group_by, &f, &t, &scope_of(&visible)).await?;
        let mut sum = [0_i64; 4];
        let lines: Vec<ReportLine> = rows
            .into_iter()
            .map(|r| {
                let v = [r.invoiced, r.cost, r.collected, r.outstanding];
                for (s, x) in sum.iter_mut().zip(v) {
                    *s += x;
                }
                line(r.month, r.key, r.name, v)
            })
            .collect();
        Ok(RevenueReport {
            from,
            to,
            group_by,
            lines,
            total: line(String::new(), 0, String::new(), sum),
        })
    }

    /// FIN-3: the report as a sheet.
    pub async fn revenue_report_sheet(
        &self,
        ctx: &Ctx,
        from: Date,
        to: Date,
        group_by: GroupBy,
    ) -> Result<Table> {
        let r = self.revenue_report(ctx, from, to, group_by).await?;
        let cells = r
            .lines
            .iter()
            .chain(std::iter::once(&r.total))
            .map(|l| {
                vec![
                    if l.month.is_empty() {
                        "合计".into()
                    } else {
                        l.month.clone()
                    },
                    l.name.clone(),
                    format_yuan(l.invoiced_fen),
                    format_yuan(l.cost_fen),
                    format_yuan(l.margin_fen),
                    percent(l.margin_bp),
                    format_yuan(l.collected_fen),
                    format_yuan(l.outstanding_fen),
                ]
            })
            .collect();
        let who = if group_by == GroupBy::Rep {
            "销售代表"
        } else {
            "区域"
        };
        let headers = [
            "月份",
            who,
            "开票收入（元）",
            "成本（元）",
            "毛利（元）",
            "毛利率",
            "回款（元）",
            "未回款（元）",
        ];
        Ok(Table {
            header_row: 1,
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: rows(cells),
            numeric: Vec::new(),
            sheet: format!("{from}~{to}"),
        })
    }
}
