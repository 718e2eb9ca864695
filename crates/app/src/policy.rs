//! The one place that decides who may do what (role × action) and how far it reaches (data
//! scope: own records / region subtree / company). Web and store never decide access.

use std::collections::BTreeSet;

use medcrm_domain::auth::Role;
use medcrm_domain::org::{RegionTree, Scope};
use medcrm_domain::pricing::ApprovalLevel;

use crate::auth::Actor;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ReadUsers,
    ManageUsers,
    ReadRegions,
    ManageRegions,
    ReadCalendar,
    ManageCalendar,
    ReadAudit,
    /// CUS: institutions with their departments, contacts and visits.
    ReadCustomers,
    /// Create and edit institutions, departments, contacts; plan and log visits.
    ManageCustomers,
    /// Move an institution to another owner or territory; override its grade (CUS-3).
    AssignCustomers,
    /// The CUS-3 grading rule and CUS-4 visit frequencies.
    ConfigureCustomers,
    /// OPP: opportunities, the board and the funnel.
    ReadPipeline,
    /// Create opportunities and move them through the stages.
    ManagePipeline,
    /// PRD: the catalog, suppliers and product documents.
    ReadProducts,
    /// Edit the catalog and suppliers; add product and supplier documents (PRD-1, PRD-2).
    ManageProducts,
    /// PRD-3: decide first-time reviews (首营审核).
    ReviewQualifications,
    /// PRC-1: read price lists.
    ReadPrices,
    /// PRC-1: propose a price-list change (it waits for management approval).
    ProposePrices,
    /// PRC-3: quotes, in the same scope as the pipeline.
    ReadQuotes,
    ManageQuotes,
    /// PRC-2: the discount depths that route a request to each approval level.
    ConfigurePricing,
    /// PRC-1/2: decide approvals; how deep a discount the actor may approve is
    /// [`approval_authority`].
    DecideApprovals,
    /// CON: contracts and the ledger, in the sales scope; the back office reads them all.
    ReadContracts,
    /// Draft contracts and amendments, submit them for review, sign, log problems (CON-1…4).
    ManageContracts,
    /// CON-2: legal review (法务审核).
    ReviewContracts,
    /// Terminate a contract; complete it early.
    CloseContracts,
    /// CON-4: how long a problem may stay open before it escalates.
    ConfigureContracts,
    /// CON-6: read a customer's credit rating and limit.
    ReadCredit,
    /// CON-6: set ratings and limits; approve contracts over the limit.
    ManageCredit,
    /// ORD-1: orders and deliveries.
    ReadOrders,
    /// Call off orders from signed contracts; confirm receipt.
    ManageOrders,
    /// Ship deliveries with lot/serial/UDI (the warehouse).
    ShipDeliveries,
    /// ORD-2: the installed base.
    ReadInstalledBase,
    /// Record installation, department and status of a device.
    ManageInstalledBase,
    /// ORD-3: GSP sales records and the inspector export.
    ReadSalesRecords,
    /// ORD-3: add a correction to a sales record.
    CorrectSalesRecords,
    /// ORD-4: traceability / recall search.
    TraceDevices,
    /// FIN-1…3: invoices, payments, aging, statements, reports.
    ReadReceivables,
    /// Record invoices and payments (finance).
    ManageReceivables,
    /// FIN-2: the dunning log (the rep owns collection).
    LogDunning,
    /// FIN-2: the overdue thresholds for reminders and escalation.
    ConfigureReceivables,
    /// SVC: service tickets with their clocks, events, records and part requests.
    ReadTickets,
    /// SVC-1/2: open tickets, claim them, log the first contact, solve by phone, cancel.
    ManageTickets,
    /// SVC-4/5: the engineer's side: arrival, service record, customer confirmation, parts.
    /// An engineer works only tickets assigned to them.
    WorkTickets,
    /// SVC-8: send (or re-send) an engineer.
    DispatchTickets,
    /// SVC-7: correct the time of a ticket event (the clocks follow).
    CorrectTicketEvents,
    /// SVC-6: the follow-up survey (回访).
    FollowUpTickets,
    /// SVC-6: improvement actions opened by unsatisfied customers.
    ManageImprovements,
    /// SVC-7: the SLA board.
    ReadSlaBoard,
    /// SVC-7/8: SLA targets and engineer certifications.
    ConfigureService,
    /// SVC-9: maintenance plans and their due list.
    ReadMaintenance,
    ManageMaintenance,
    /// SVC-10: engineer evaluation and the review of service records.
    EvaluateEngineers,
    /// SVC-5: the warehouse provides requested parts.
    FulfilPartRequests,
    /// PRT-1: the parts catalog and which products each part fits.
    ReadParts,
    /// PRT-1: edit the catalog and the warehouses.
    ManageParts,
    /// PRT-1/2: stock, the ledger and transfers. An engineer reads their own stock, a
    /// service manager their region's locations (and central stock).
    ReadStock,
    /// PRT-2: receipts, adjustments, transfers, min/max levels.
    ManageStock,
    /// PRT-3: issue parts against a request (the warehouse from central or regional stock,
    /// an engineer from their own stock only) and take returns.
    IssueParts,
    /// PRT-2: receive a transfer (an engineer only into their own stock).
    ReceiveTransfers,
    /// PRT-4: open count sheets, record what was counted, submit them (the warehouse).
    CountStock,
    /// PRT-4: approve or reject a submitted count, which adjusts the book to what was counted;
    /// never the count's own counter.
    ApproveCounts,
    /// PRT-5: purchase orders, their receipts and acceptance records.
    ReadPurchasing,
    /// PRT-5: order from qualified suppliers, receive against orders, close orders.
    ManagePurchasing,
}

/// The widest scope any of the actor's roles grants for `action`; `None` = not allowed.
pub fn scope(actor: &Actor, action: Action) -> Option<Scope> {
    actor
        .roles
        .iter()
        .filter_map(|role| role_scope(*role, action))
        .max()
}

fn role_scope(role: Role, action: Action) -> Option<Scope> {
    use Action::*;
    use Role::*;
    match (action, role) {
        // Reference data every signed-in user needs to read.
        (ReadRegions | ReadCalendar, _) => Some(Scope::Company),
        (ManageUsers | ManageRegions | ManageCalendar, Admin) => Some(Scope::Company),
        (ManageUsers | ManageRegions | ManageCalendar, _) => None,
        (ReadAudit, Admin | Quality) => Some(Scope::Company),
        (ReadAudit, _) => None,
        (ReadUsers, Admin | SalesDirector | Executive) => Some(Scope::Company),
        (ReadUsers, SalesManager | ServiceManager) => Some(Scope::Region),
        // Everyone can see their own profile.
        (ReadUsers, _) => Some(Scope::Own),
        // Customers: a rep works their own book, a manager the region subtree, the top the
        // company. The hotline and the back office look customers up company-wide; service
        // engineers and managers within their region.
        (ReadCustomers | ManageCustomers, SalesRep) => Some(Scope::Own),
        (ReadCustomers | ManageCustomers | AssignCustomers, SalesManager) => Some(Scope::Region),
        (ReadCustomers | ManageCustomers | AssignCustomers, SalesDirector | Executive) => {
            Some(Scope::Company)
        }
        (ReadCustomers, ServiceEngineer | ServiceManager) => Some(Scope::Region),
        (ReadCustomers, Admin | ServiceAgent | Finance | Legal | Quality) => Some(Scope::Company),
        (ReadCustomers | ManageCustomers | AssignCustomers, _) => None,
        (ConfigureCustomers, Admin | SalesDirector | Executive) => Some(Scope::Company),
        (ConfigureCustomers, _) => None,
        // The pipeline is the sales team's: a rep's own, a manager's region, the top all.
        (ReadPipeline | ManagePipeline, SalesRep) => Some(Scope::Own),
        (ReadPipeline | ManagePipeline, SalesManager) => Some(Scope::Region),
        (ReadPipeline | ManagePipeline, SalesDirector | Executive) => Some(Scope::Company),
        (ReadPipeline | ManagePipeline, _) => None,
        // The catalog is reference data for everyone; quality owns its compliance documents.
        (ReadProducts, _) => Some(Scope::Company),
        (ManageProducts, Admin | Quality | SalesDirector | Executive) => Some(Scope::Company),
        (ManageProducts, _) => None,
        (ReviewQualifications, Quality) => Some(Scope::Company),
        (ReviewQualifications, _) => None,
        // Prices are commercial: the sales line, finance and legal; changes from the top.
        (
            ReadPrices,
            SalesRep | SalesManager | SalesDirector | Executive | Finance | Legal | Admin,
        ) => Some(Scope::Company),
        (ReadPrices, _) => None,
        (ProposePrices, SalesDirector | Executive | Finance) => Some(Scope::Company),
        (ProposePrices, _) => None,
        (ReadQuotes | ManageQuotes, SalesRep) => Some(Scope::Own),
        (ReadQuotes | ManageQuotes, SalesManager) => Some(Scope::Region),
        (ReadQuotes | ManageQuotes, SalesDirector | Executive) => Some(Scope::Company),
        (ReadQuotes, Finance | Legal) => Some(Scope::Company),
        (ReadQuotes | ManageQuotes, _) => None,
        (DecideApprovals, SalesManager) => Some(Scope::Region),
        (DecideApprovals, SalesDirector | Executive) => Some(Scope::Company),
        (DecideApprovals, _) => None,
        (ConfigurePricing, Admin | SalesDirector | Executive) => Some(Scope::Company),
        (ConfigurePricing, _) => None,
        // Contracts follow the sales scope; legal, finance, quality and the warehouse (which
        // ships against them) read every contract.
        (ReadContracts | ManageContracts | ReadCredit, SalesRep) => Some(Scope::Own),
        (ReadContracts | ManageContracts | ReadCredit | CloseContracts, SalesManager) => {
            Some(Scope::Region)
        }
        (
            ReadContracts | ManageContracts | ReadCredit | CloseContracts,
            SalesDirector | Executive,
        ) => Some(Scope::Company),
        (ReadContracts, Finance | Legal | Quality | Warehouse) => Some(Scope::Company),
        (ReadCredit | ManageCredit, Finance) => Some(Scope::Company),
        (ReviewContracts, Legal) => Some(Scope::Company),
        (ConfigureContracts, Admin | SalesDirector | Executive) => Some(Scope::Company),
        (
            ReadContracts | ManageContracts | ReviewContracts | CloseContracts | ConfigureContracts
            | ReadCredit | ManageCredit,
            _,
        ) => None,
        // Orders are the sales team's; the warehouse ships them and reads them all.
        (ReadOrders | ManageOrders, SalesRep) => Some(Scope::Own),
        (ReadOrders | ManageOrders, SalesManager) => Some(Scope::Region),
        (ReadOrders | ManageOrders, SalesDirector | Executive) => Some(Scope::Company),
        (ReadOrders | ShipDeliveries, Warehouse) => Some(Scope::Company),
        (ReadOrders, Finance | Quality) => Some(Scope::Company),
        (ReadOrders | ManageOrders | ShipDeliveries, _) => None,
        // The installed base is service's working set as much as sales'.
        (ReadInstalledBase, SalesRep) => Some(Scope::Own),
        (ReadInstalledBase, SalesManager | ServiceEngineer) => Some(Scope::Region),
        (ReadInstalledBase | ManageInstalledBase, ServiceManager) => Some(Scope::Region),
        (ReadInstalledBase, SalesDirector | Executive | ServiceAgent | Quality | Warehouse) => {
            Some(Scope::Company)
        }
        (ManageInstalledBase, ServiceEngineer) => Some(Scope::Region),
        (ReadInstalledBase | ManageInstalledBase, _) => None,
        // ORD-3/4 are the quality team's regulatory duty; the top and service managers trace.
        (ReadSalesRecords, Quality | Warehouse | SalesDirector | Executive) => Some(Scope::Company),
        (ReadSalesRecords, SalesManager) => Some(Scope::Region),
        (CorrectSalesRecords, Quality) => Some(Scope::Company),
        (TraceDevices, Quality | SalesDirector | Executive) => Some(Scope::Company),
        (TraceDevices, ServiceManager) => Some(Scope::Region),
        (ReadSalesRecords | CorrectSalesRecords | TraceDevices, _) => None,
        // Receivables: the rep collects from their own customers, finance keeps the books.
        (ReadReceivables | LogDunning, SalesRep) => Some(Scope::Own),
        (ReadReceivables | LogDunning, SalesManager) => Some(Scope::Region),
        (ReadReceivables, SalesDirector | Executive) => Some(Scope::Company),
        (ReadReceivables | ManageReceivables | LogDunning | ConfigureReceivables, Finance) => {
            Some(Scope::Company)
        }
        (ConfigureReceivables, Admin) => Some(Scope::Company),
        (ReadReceivables | ManageReceivables | LogDunning | ConfigureReceivables, _) => None,
        // Service: the hotline takes calls for the whole company; engineers and their manager
        // work their region; the top, quality (complaints) and sales managers read.
        (ReadTickets | ManageTickets | FollowUpTickets, ServiceAgent) => Some(Scope::Company),
        (ReadTickets | ManageTickets | WorkTickets, ServiceEngineer) => Some(Scope::Region),
        (ReadMaintenance, ServiceEngineer) => Some(Scope::Region),
        (
            ReadTickets | ManageTickets | WorkTickets | DispatchTickets | CorrectTicketEvents
            | FollowUpTickets | ManageImprovements | ReadSlaBoard | ReadMaintenance
            | ManageMaintenance | EvaluateEngineers,
            ServiceManager,
        ) => Some(Scope::Region),
        (ConfigureService, ServiceManager | Admin) => Some(Scope::Company),
        (ReadTickets | ReadSlaBoard | EvaluateEngineers, SalesDirector | Executive) => {
            Some(Scope::Company)
        }
        (ReadTickets, Quality) => Some(Scope::Company),
        (ReadTickets, SalesManager) => Some(Scope::Region),
        (ReadTickets | FulfilPartRequests, Warehouse) => Some(Scope::Company),
        (
            ReadTickets | ManageTickets | WorkTickets | DispatchTickets | CorrectTicketEvents
            | FollowUpTickets | ManageImprovements | ReadSlaBoard | ConfigureService
            | ReadMaintenance | ManageMaintenance | EvaluateEngineers | FulfilPartRequests,
            _,
        ) => None,
        // Spare parts (PRT): the warehouse keeps the stock; service reads the catalog, an
        // engineer their own stock (issuing from it against their requests), a service manager
        // their region's locations.
        (ReadParts, Warehouse | Admin | ServiceAgent | ServiceEngineer | ServiceManager) => {
            Some(Scope::Company)
        }
        (ReadParts, SalesDirector | Executive | Finance | Quality) => Some(Scope::Company),
        (ReadParts, _) => None,
        (ManageParts | ManageStock, Warehouse | Admin) => Some(Scope::Company),
        (ManageParts | ManageStock, _) => None,
        (ReadStock, Warehouse | Admin | SalesDirector | Executive | Finance) => {
            Some(Scope::Company)
        }
        (ReadStock, ServiceManager) => Some(Scope::Region),
        (ReadStock | IssueParts | ReceiveTransfers, ServiceEngineer) => Some(Scope::Own),
        (IssueParts | ReceiveTransfers, Warehouse) => Some(Scope::Company),
        (ReadStock | IssueParts | ReceiveTransfers, _) => None,
        // PRT-4: the warehouse counts; a service manager (their region's locations and central
        // stock) or an admin approves, so nobody adjusts the book on their own word.
        (CountStock, Warehouse | Admin) => Some(Scope::Company),
        (CountStock, _) => None,
        (ApproveCounts, Admin) => Some(Scope::Company),
        (ApproveCounts, ServiceManager) => Some(Scope::Region),
        (ApproveCounts, _) => None,
        // PRT-5: the warehouse buys and receives; finance, quality and the top read.
        (ReadPurchasing | ManagePurchasing, Warehouse | Admin) => Some(Scope::Company),
        (ReadPurchasing, Finance | Quality | SalesDirector | Executive) => Some(Scope::Company),
        (ReadPurchasing | ManagePurchasing, _) => None,
    }
}

/// PRC-2: the highest approval level any of the actor's roles may decide.
pub fn approval_authority(actor: &Actor) -> Option<ApprovalLevel> {
    actor
        .roles
        .iter()
        .filter_map(|role| match role {
            Role::SalesManager => Some(ApprovalLevel::Manager),
            Role::SalesDirector => Some(ApprovalLevel::Director),
            Role::Executive => Some(ApprovalLevel::Executive),
            _ => None,
        })
        .max()
}

/// Refuses with 403 when no role allows `action`.
pub fn require(actor: &Actor, action: Action) -> Result<Scope> {
    scope(actor, action).ok_or(Error::Forbidden)
}

/// What a scoped list query is narrowed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visible {
    All,
    Regions(Vec<i64>),
    OnlyUser(i64),
}

/// Translates a scope into the rows the actor may see.
pub fn visible(actor: &Actor, scope: Scope, tree: &RegionTree) -> Visible {
    match scope {
        Scope::Company => Visible::All,
        Scope::Region => Visible::Regions(
            tree.subtree(actor.region_ids.iter().copied())
                .into_iter()
                .collect(),
        ),
        Scope::Own => Visible::OnlyUser(actor.user_id),
    }
}

impl Visible {
    /// The regions a list is narrowed to under region scope; `None` otherwise.
    pub fn regions(&self) -> Option<Vec<i64>> {
        match self {
            Visible::Regions(ids) => Some(ids.clone()),
            Visible::All | Visible::OnlyUser(_) => None,
        }
    }

    /// The one user a list is narrowed to under own scope; `None` otherwise.
    pub fn only_user(&self) -> Option<i64> {
        match self {
            Visible::OnlyUser(id) => Some(*id),
            Visible::All | Visible::Regions(_) => None,
        }
    }
}

/// Whether a record owned by `owner` in `regions` is within what the actor may see.
pub fn can_see(visible: &Visible, owner: Option<i64>, regions: &[i64]) -> bool {
    match visible {
        Visible::All => true,
        Visible::Regions(ids) => {
            let ids: BTreeSet<&i64> = ids.iter().collect();
            regions.iter().any(|r| ids.contains(r))
        }
        Visible::OnlyUser(me) => owner == Some(*me),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(roles: &[Role], regions: &[i64]) -> Actor {
        Actor {
            user_id: 10,
            username: "t".into(),
            display_name: "t".into(),
            roles: roles.iter().copied().collect(),
            region_ids: regions.to_vec(),
            locale: "zh-CN".into(),
            session_id: 1,
        }
    }

    fn tree() -> RegionTree {
        RegionTree::new([(1, None), (2, Some(1)), (3, Some(1)), (4, Some(2))])
    }

    #[test]
    fn admin_only_manages_users() {
        assert_eq!(
            scope(&actor(&[Role::Admin], &[]), Action::ManageUsers),
            Some(Scope::Company)
        );
        for role in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
            assert_eq!(
                scope(&actor(&[role], &[]), Action::ManageUsers),
                None,
                "{role}"
            );
        }
    }

    #[test]
    fn sys_1_audit_is_read_by_admin_and_quality_only() {
        assert!(require(&actor(&[Role::Quality], &[]), Action::ReadAudit).is_ok());
        assert!(matches!(
            require(&actor(&[Role::SalesDirector], &[]), Action::ReadAudit),
            Err(Error::Forbidden)
        ));
    }

    #[test]
    fn customers_scope_per_role() {
        let scope_of = |role| scope(&actor(&[role], &[2]), Action::ReadCustomers);
        assert_eq!(scope_of(Role::SalesRep), Some(Scope::Own));
        assert_eq!(scope_of(Role::SalesManager), Some(Scope::Region));
        assert_eq!(scope_of(Role::SalesDirector), Some(Scope::Company));
        assert_eq!(scope_of(Role::Warehouse), None);
        let rep = actor(&[Role::SalesRep], &[2]);
        assert_eq!(scope(&rep, Action::AssignCustomers), None);
        assert_eq!(scope(&rep, Action::ConfigureCustomers), None);
        let agent = actor(&[Role::ServiceAgent], &[]);
        assert_eq!(scope(&agent, Action::ManageCustomers), None);
    }

    #[test]
    fn prt_1_parts_and_stock_scope_per_role() {
        let scope_of = |role, action| scope(&actor(&[role], &[2]), action);
        assert_eq!(
            scope_of(Role::Warehouse, Action::ManageStock),
            Some(Scope::Company)
        );
        assert_eq!(
            scope_of(Role::ServiceEngineer, Action::ReadStock),
            Some(Scope::Own)
        );
        assert_eq!(
            scope_of(Role::ServiceEngineer, Action::IssueParts),
            Some(Scope::Own)
        );
        assert_eq!(scope_of(Role::ServiceEngineer, Action::ManageStock), None);
        assert_eq!(
            scope_of(Role::ServiceManager, Action::ReadStock),
            Some(Scope::Region)
        );
        assert_eq!(scope_of(Role::ServiceManager, Action::IssueParts), None);
        assert_eq!(scope_of(Role::SalesRep, Action::ReadParts), None);
        assert_eq!(scope_of(Role::SalesRep, Action::ReadStock), None);
    }

    #[test]
    fn prt_4_counts_are_kept_by_the_warehouse_and_approved_by_a_manager_or_admin() {
        let scope_of = |role, action| scope(&actor(&[role], &[2]), action);
        assert_eq!(
            scope_of(Role::Warehouse, Action::CountStock),
            Some(Scope::Company)
        );
        assert_eq!(scope_of(Role::Warehouse, Action::ApproveCounts), None);
        assert_eq!(
            scope_of(Role::ServiceManager, Action::ApproveCounts),
            Some(Scope::Region)
        );
        assert_eq!(scope_of(Role::ServiceManager, Action::CountStock), None);
        assert_eq!(
            scope_of(Role::Admin, Action::ApproveCounts),
            Some(Scope::Company)
        );
        assert_eq!(scope_of(Role::ServiceEngineer, Action::CountStock), None);
        assert_eq!(scope_of(Role::ServiceEngineer, Action::ApproveCounts), None);
    }

    #[test]
    fn prt_5_purchasing_scope_per_role() {
        let scope_of = |role, action| scope(&actor(&[role], &[2]), action);
        assert_eq!(
            scope_of(Role::Warehouse, Action::ManagePurchasing),
            Some(Scope::Company)
        );
        assert_eq!(
            scope_of(Role::Finance, Action::ReadPurchasing),
            Some(Scope::Company)
        );
        assert_eq!(scope_of(Role::Finance, Action::ManagePurchasing), None);
        assert_eq!(scope_of(Role::Quality, Action::ManagePurchasing), None);
        assert_eq!(
            scope_of(Role::ServiceEngineer, Action::ReadPurchasing),
            None
        );
        assert_eq!(scope_of(Role::SalesRep, Action::ReadPurchasing), None);
    }

    #[test]
    fn widest_role_wins_and_scopes_narrow_rows() {
        let manager = actor(&[Role::SalesRep, Role::SalesManager], &[2]);
        assert_eq!(scope(&manager, Action::ReadUsers), Some(Scope::Region));
        let v = visible(&manager, Scope::Region, &tree());
        assert_eq!(v, Visible::Regions(vec![2, 4]));
        assert!(can_see(&v, None, &[4]));
        assert_eq!((v.regions(), v.only_user()), (Some(vec![2, 4]), None));
        assert!(!can_see(&v, None, &[3]));
        let rep = actor(&[Role::SalesRep], &[2]);
        let own = visible(&rep, Scope::Own, &tree());
        assert!(can_see(&own, Some(10), &[3]));
        assert!(!can_see(&own, Some(11), &[2]));
    }
}
