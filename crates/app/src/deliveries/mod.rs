//! ORD: orders called off signed contracts (ORD-1), shipments with lot/serial/UDI and the
//! PRD-5 documents, the installed base (ORD-2), the GSP sales records a regulator inspects
//! (ORD-3, never deleted) and the recall trace (ORD-4).

mod installed_base;
mod orders;
mod sales_records;
mod shipping;
mod trace;

pub use installed_base::{DeviceDetail, DeviceInput, DeviceQuery};
pub use medcrm_store::deliveries::{
    DeliveryRecord, DeviceRecord, GspRecord, ItemRecord, OrderLineRecord, OrderRecord,
    PurchaseRecord, TraceRow,
};
pub use orders::{OrderDetail, OrderForm, OrderInput, OrderLineInput, OrderQuery};
pub use sales_records::{Correction, GspQuery};
pub use shipping::{DeliveryDetail, ItemInput, ShipInput};
pub use trace::{TraceInput, TraceResult};

use medcrm_store::deliveries::Reach;

use crate::policy::Visible;

/// Longest lot or serial number kept (a UDI carries at most 20 characters).
const MAX_CODE_CHARS: usize = 40;
const MAX_QUANTITY: i64 = 1_000_000;

/// The rows a scope reaches, as the store filters them.
fn reach(visible: &Visible) -> Reach {
    Reach {
        regions: visible.regions(),
        owner: visible.only_user(),
    }
}
