//! Pure business rules of medcrm. No I/O, no async, no database or HTTP types: every function
//! here is deterministic and cannot fail for infrastructure reasons.

pub mod audit;
pub mod auth;
pub mod calendar;
pub mod customers;
pub mod org;
pub mod pipeline;
