//! CUS-7: information completeness aggregated per rep, for the rep (their own book), the
//! manager (the region's reps) and the director (everyone).

use medcrm_domain::customers::book_completeness;
use medcrm_store::customer_reports as store;

use crate::customers::display_names;
use crate::org::visibility;
use crate::policy::Action;
use crate::{App, Ctx, Result};

/// One rep's book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepCompleteness {
    pub owner_id: i64,
    pub owner_name: String,
    pub institutions: i64,
    /// Average completeness of their customers, 0–100.
    pub score: u8,
    /// How many of their customers lack each fact: `(fact key, count)`, most missing first.
    pub gaps: Vec<(&'static str, i64)>,
}

impl App {
    pub async fn completeness_by_rep(&self, ctx: &Ctx) -> Result<Vec<RepCompleteness>> {
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ReadCustomers).await?;
        let regions = visible.regions();
        let rows = store::facts_by_owner(&mut tx, regions.as_deref(), visible.only_user()).await?;
        let names = display_names(&mut tx, rows.iter().map(|r| r.owner_id).collect()).await?;
        let mut out: Vec<RepCompleteness> = rows
            .into_iter()
            .map(|r| {
                let have = [
                    ("credit_code", r.credit_code),
                    ("level", r.level_rated),
                    ("address", r.address),
                    ("beds", r.beds),
                    ("phone", r.phone),
                    ("needs", r.needs),
                    ("procurement_plan", r.procurement_plan),
                    ("departments", r.departments),
                    ("equipment_contact", r.equipment_contact),
                    ("decision_maker", r.decision_maker),
                ];
                let known = have.iter().map(|(_, n)| n).sum();
                let mut gaps: Vec<(&'static str, i64)> = have
                    .iter()
                    .map(|(k, n)| (*k, r.institutions - n))
                    .filter(|(_, missing)| *missing > 0)
                    .collect();
                gaps.sort_by_key(|g| std::cmp::Reverse(g.1));
                RepCompleteness {
                    owner_name: names.get(&r.owner_id).cloned().unwrap_or_default(),
                    owner_id: r.owner_id,
                    institutions: r.institutions,
                    score: book_completeness(known, r.institutions),
                    gaps,
                }
            })
            .collect();
        // Weakest books first: that is where a manager looks.
        out.sort_by_key(|r| (r.score, r.owner_id));
        Ok(out)
    }
}
