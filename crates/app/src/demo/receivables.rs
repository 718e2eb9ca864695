//! Demo receivables (FIN-1…3) on the demo's signed and in-execution contracts: invoices
//! issued in the past so every aging bucket holds some, some paid in full, some in part, and
//! the reps' dunning on the overdue ones. Everything goes through the use cases.

use jiff::ToSpan;
use jiff::civil::Date;
use medcrm_domain::pipeline::format_yuan;

use crate::customers::today;
use crate::receivables::{DunningInput, InvoiceInput, PaymentInput};
use crate::{App, Ctx, Error, Result};

/// Days past due of each contract's newer invoice, cycling: not yet due, then one in each
/// overdue bucket.
const DAYS_LATE: [i64; 5] = [-20, 12, 45, 75, 130];

fn day(today: Date, offset: i64) -> Result<String> {
    today
        .checked_add(offset.days())
        .map(|d| d.to_string())
        .map_err(|e| Error::Internal(e.to_string()))
}

/// `fen` as the yuan text the use cases read.
fn yuan(fen: i64) -> String {
    format_yuan(fen).replace(',', "")
}

impl App {
    /// Demo receivables on `contracts` (ids of signed / in-execution demo contracts, in a
    /// stable order): two invoices per contract (30 % issued a month before 40 %), payments
    /// on some, dunning on the overdue ones by the contract's rep. Run by the demo loader
    /// after the contracts demo.
    pub async fn load_receivables_demo(&self, contracts: &[i64]) -> Result<()> {
        let app = self;
        let finance = app.ctx_as("finance", "demo").await?;
        let system = Ctx::system("demo");
        let today = today();
        for (n, id) in contracts.iter().enumerate() {
            let detail = app.contract(&finance, *id).await?;
            let total = detail.record.total_fen;
            let late = DAYS_LATE[n % DAYS_LATE.len()];
            let newer_issued = -detail.terms.payment_days - late;
            let older = InvoiceInput {
                contract_id: *id,
                number: format!("{:08}", 31_000_000 + id * 10 + 1),
                issued_on: day(today, newer_issued.min(0) - 30)?,
                amount: yuan(total * 3 / 10),
                cost: Some(yuan(total * 3 / 10 * 7 / 10)),
            };
            let newer = InvoiceInput {
                number: format!("{:08}", 31_000_000 + id * 10 + 2),
                issued_on: day(today, newer_issued.min(0))?,
                amount: yuan(total * 4 / 10),
                cost: Some(yuan(total * 4 / 10 * 65 / 100)),
                ..older.clone()
            };
            let older = app.create_invoice(&finance, older).await?;
            let newer = app.create_invoice(&finance, newer).await?;
            // Every third contract is paid in full, every third in part (the older invoice first).
            let paid = match n % 3 {
                2 => older.amount_fen + newer.amount_fen,
                1 => older.amount_fen / 2,
                _ => 0,
            };
            if paid > 0 {
                let payment = PaymentInput {
                    contract_id: *id,
                    received_on: day(today, -3)?,
                    amount: yuan(paid),
                    method: "transfer".into(),
                    reference: format!("CMB-{:06}", 880_000 + id),
                    allocations: Vec::new(),
                };
                app.record_payment(&finance, payment).await?;
            }
            if paid == 0 && late > 0 {
                let owner = app.user(&system, detail.record.owner_id).await?;
                let rep = app.ctx_as(&owner.user.username, "demo").await?;
                let call = DunningInput {
                    institution_id: detail.record.institution_id,
                    invoice_id: Some(newer.id),
                    kind: "phone".into(),
                    note: "致电设备科及财务处，对方称付款审批流程中".into(),
                    promised_on: Some(day(today, 14)?),
                };
                app.log_dunning(&rep, call).await?;
                if late > 60 {
                    let letter = DunningInput {
                        institution_id: detail.record.institution_id,
                        invoice_id: Some(older.id),
                        kind: "letter".into(),
                        note: "已寄送书面催款函（EMS），附对账单".into(),
                        promised_on: None,
                    };
                    app.log_dunning(&rep, letter).await?;
                }
            }
        }
        Ok(())
    }
}
