//! SVC-8: engineer certifications per product line, and whom to send: every active
//! engineer ranked by certification, region and current load.

use std::collections::{BTreeMap, BTreeSet};

use medcrm_domain::auth::Role;
use medcrm_domain::org::RegionTree;
use medcrm_domain::products::ProductLine;
use medcrm_domain::service::{Candidate, rank};
use medcrm_store::service::dispatch as store;
pub use medcrm_store::service::dispatch::CertificationRecord;
use medcrm_store::service::{self as tickets, AssignmentRecord, TicketRecord};
use medcrm_store::users;

use crate::customers::{parse_date, today};
use crate::error::Fields;
use crate::org::region_tree;
use crate::policy::{self, Action};
use crate::service::visible_ticket;
use crate::{App, Ctx, Error, Result, audit};

#[derive(Debug, Clone, Default)]
pub struct CertificationInput {
    pub user_id: i64,
    pub product_line: String,
    /// `YYYY-MM-DD`, the last valid day.
    pub valid_until: String,
}

/// An engineer dispatch may send, with what the ranking used.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Suggestion {
    pub user_id: i64,
    pub name: String,
    pub in_region: bool,
    pub certified: bool,
    pub open_tickets: i64,
}

/// A ticket's dispatch page: the ticket, the ranked engineers and who was sent before.
#[derive(Debug, Clone)]
pub struct DispatchView {
    pub ticket: TicketRecord,
    pub suggestions: Vec<Suggestion>,
    pub assignments: Vec<AssignmentRecord>,
}

/// Whether any of `regions` is the ticket's region, above it or below it.
fn reaches(tree: &RegionTree, regions: &[i64], ticket_region: i64) -> bool {
    let above = tree.ancestors(ticket_region);
    regions.iter().any(|r| {
        *r == ticket_region || above.contains(r) || tree.ancestors(*r).contains(&ticket_region)
    })
}

async fn is_active_engineer(tx: &mut medcrm_store::Tx, id: i64) -> Result<bool> {
    let active = users::get(tx, id).await?.is_some_and(|u| u.active);
    let roles = users::roles(tx, id).await?;
    Ok(active && roles.iter().any(|r| r == Role::ServiceEngineer.code()))
}

impl App {
    /// SVC-8: every engineer's certifications.
    pub async fn certifications(&self, ctx: &Ctx) -> Result<Vec<CertificationRecord>> {
        policy::require(&ctx.actor, Action::ConfigureService)?;
        let mut tx = self.db.read().await?;
        Ok(store::certifications(&mut tx).await?)
    }

    /// SVC-8: certifies an active service engineer for a product line until a date (or
    /// renews the certification).
    pub async fn set_certification(
        &self,
        ctx: &Ctx,
        input: CertificationInput,
    ) -> Result<CertificationRecord> {
        policy::require(&ctx.actor, Action::ConfigureService)?;
        let mut fields = Fields::default();
        fields.check(
            "product_line",
            input.product_line.trim().parse::<ProductLine>().map(drop),
        );
        let until = parse_date(&mut fields, "valid_until", Some(&input.valid_until));
        if until.is_none() {
            fields.add(
                "valid_until",
                "required: the last day the certification is valid",
            );
        }
        let mut tx = self.db.write().await?;
        if !is_active_engineer(&mut tx, input.user_id).await? {
            fields.add("user_id", "not an active service engineer");
        }
        fields.finish()?;
        let line = input.product_line.trim();
        let until = until.map(|d| d.to_string()).unwrap_or_default();
        let find = |list: Vec<CertificationRecord>| {
            list.into_iter()
                .find(|c| c.user_id == input.user_id && c.product_line == line)
        };
        let before = find(store::certifications(&mut tx).await?);
        store::set_certification(&mut tx, input.user_id, line, &until).await?;
        let after = find(store::certifications(&mut tx).await?)
            .ok_or(Error::Internal("certification not saved".into()))?;
        audit::record(
            &mut tx,
            ctx,
            "engineer_certification",
            format!("{}:{line}", input.user_id),
            "set",
            before.as_ref().map(|b| b as &dyn audit::ErasedJson),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// SVC-8: withdraws a certification.
    pub async fn remove_certification(
        &self,
        ctx: &Ctx,
        user_id: i64,
        product_line: &str,
    ) -> Result<()> {
        policy::require(&ctx.actor, Action::ConfigureService)?;
        let mut tx = self.db.write().await?;
        let before = store::certifications(&mut tx)
            .await?
            .into_iter()
            .find(|c| c.user_id == user_id && c.product_line == product_line)
            .ok_or(Error::NotFound("certification"))?;
        store::remove_certification(&mut tx, user_id, product_line)
            .await
            .map_err(|_| Error::NotFound("certification"))?;
        audit::record(
            &mut tx,
            ctx,
            "engineer_certification",
            format!("{user_id}:{product_line}"),
            "remove",
            Some(&before),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// SVC-8: every active engineer for a ticket, certified for the device's product line
    /// and working in the ticket's region first, then the least loaded.
    pub async fn dispatch_suggestions(&self, ctx: &Ctx, ticket_id: i64) -> Result<DispatchView> {
        let mut tx = self.db.read().await?;
        let ticket = visible_ticket(&mut tx, ctx, Action::DispatchTickets, ticket_id).await?;
        let engineers = store::active_with_role(&mut tx, Role::ServiceEngineer.code()).await?;
        let ids: Vec<i64> = engineers.iter().map(|(id, _)| *id).collect();
        let tree = region_tree(&mut tx).await?;
        let mut regions: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for (user, region) in users::regions_of(&mut tx, &ids).await? {
            regions.entry(user).or_default().push(region);
        }
        let certified: BTreeSet<i64> = match &ticket.product_line {
            Some(line) => store::certified_on(&mut tx, line, &today().to_string())
                .await?
                .into_iter()
                .collect(),
            None => BTreeSet::new(),
        };
        let load: BTreeMap<i64, i64> = tickets::open_load(&mut tx, &ids)
            .await?
            .into_iter()
            .collect();
        let names: BTreeMap<i64, String> = engineers.into_iter().collect();
        let candidates = ids
            .iter()
            .map(|id| Candidate {
                user_id: *id,
                in_region: reaches(
                    &tree,
                    regions.get(id).map_or(&[][..], Vec::as_slice),
                    ticket.region_id,
                ),
                certified: certified.contains(id),
                open_tickets: load.get(id).copied().unwrap_or(0),
            })
            .collect();
        let suggestions = rank(candidates)
            .into_iter()
            .map(|c| Suggestion {
                name: names.get(&c.user_id).cloned().unwrap_or_default(),
                user_id: c.user_id,
                in_region: c.in_region,
                certified: c.certified,
                open_tickets: c.open_tickets,
            })
            .collect();
        Ok(DispatchView {
            assignments: tickets::assignments(&mut tx, ticket_id).await?,
            ticket,
            suggestions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svc_8_a_region_above_or_below_the_ticket_counts_as_in_region() {
        // 1 company → 2 east → 3 shanghai; 4 north.
        let tree = RegionTree::new([(1, None), (2, Some(1)), (3, Some(2)), (4, Some(1))]);
        assert!(reaches(&tree, &[2], 3));
        assert!(reaches(&tree, &[3], 2));
        assert!(reaches(&tree, &[3], 3));
        assert!(!reaches(&tree, &[4], 3));
        assert!(!reaches(&tree, &[], 3));
    }
}
