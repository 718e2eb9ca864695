//! CUS-7: information completeness summed over a book of customers, per owner rep, in one
//! query so the figure stays cheap for a whole region.

use crate::{Classify, Result, Tx, on};

/// For one owner: how many institutions, and how many of them have each CUS-7 fact.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct OwnerFacts {
    pub owner_id: i64,
    pub institutions: i64,
    pub credit_code: i64,
    pub level_rated: i64,
    pub address: i64,
    pub beds: i64,
    pub phone: i64,
    pub needs: i64,
    pub procurement_plan: i64,
    pub departments: i64,
    pub equipment_contact: i64,
    pub decision_maker: i64,
}

/// Per owner within `regions` (all when `None`) or of `only_owner`.
pub async fn facts_by_owner(
    tx: &mut Tx,
    regions: Option<&[i64]>,
    only_owner: Option<i64>,
) -> Result<Vec<OwnerFacts>> {
    on!(tx, c => {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT i.owner_id, COUNT(*) AS institutions,
                SUM(CASE WHEN i.credit_code IS NOT NULL THEN 1 ELSE 0 END) AS credit_code,
                SUM(CASE WHEN i.level <> 'unrated' THEN 1 ELSE 0 END) AS level_rated,
                SUM(CASE WHEN i.address <> '' THEN 1 ELSE 0 END) AS address,
                SUM(CASE WHEN i.beds IS NOT NULL THEN 1 ELSE 0 END) AS beds,
                SUM(CASE WHEN i.phone <> '' THEN 1 ELSE 0 END) AS phone,
                SUM(CASE WHEN i.needs <> '' THEN 1 ELSE 0 END) AS needs,
                SUM(CASE WHEN i.procurement_plan <> '' THEN 1 ELSE 0 END) AS procurement_plan,
                SUM(CASE WHEN EXISTS (SELECT 1 FROM departments d WHERE d.institution_id = i.id)
                    THEN 1 ELSE 0 END) AS departments,
                SUM(CASE WHEN EXISTS (SELECT 1 FROM contacts c LEFT JOIN departments d ON d.id = c.department_id
                    WHERE c.institution_id = i.id AND (c.role = 'equipment' OR d.name LIKE '%设备%'))
                    THEN 1 ELSE 0 END) AS equipment_contact,
                SUM(CASE WHEN EXISTS (SELECT 1 FROM contacts c WHERE c.institution_id = i.id
                    AND c.role IN ('department_head', 'kol') AND c.phone <> '')
                    THEN 1 ELSE 0 END) AS decision_maker
             FROM institutions i WHERE 1 = 1");
        if let Some(regions) = regions {
            q.push(" AND i.region_id IN (");
            let mut sep = q.separated(", ");
            sep.push("NULL");
            for r in regions {
                sep.push_bind(*r);
            }
            q.push(")");
        }
        if let Some(owner) = only_owner {
            q.push(" AND i.owner_id = ").push_bind(owner);
        }
        q.push(" GROUP BY i.owner_id ORDER BY i.owner_id");
        q.build_query_as().fetch_all(c).await
    })
    .db()
}
