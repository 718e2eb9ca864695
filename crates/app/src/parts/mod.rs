//! PRT-1…3: spare parts. The catalog with the products each part fits, warehouses (central,
//! regional, each engineer's own stock), stock per part and location with min/max levels,
//! the ledger every movement writes ([`ledger::post`]), transfers, and issues and returns
//! against the engineers' part requests (SVC-5).

pub mod ledger;
