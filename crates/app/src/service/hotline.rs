//! SVC-1: the hotline's quick entry. An agent types a few keystrokes of a phone number, the
//! hospital's name or its pinyin initials, or a device serial, and sees the matching
//! customers with their contacts, installed devices and open tickets.

use medcrm_store::customers::{self as customer_store, ContactRecord};
use medcrm_store::deliveries::{self, DeviceFilter, DeviceRecord, Reach};
use medcrm_store::service::{self as store, TicketFilter, TicketRecord};

use super::scope_of;
use crate::customers::check_text;
use crate::error::Fields;
use crate::org::visibility;
use crate::policy::{self, Action};
use crate::{App, Ctx, Result};

/// Customers shown for one search.
const MAX_MATCHES: i64 = 8;
/// Devices and open tickets shown per customer.
const MAX_PER_CUSTOMER: i64 = 20;

#[derive(Debug, Clone)]
pub struct HotlineMatch {
    pub institution_id: i64,
    pub institution_name: String,
    pub phone: String,
    pub region_id: i64,
    pub contacts: Vec<ContactRecord>,
    pub devices: Vec<DeviceRecord>,
    pub open_tickets: Vec<TicketRecord>,
}

/// Digits only when `q` looks like a phone number (digits, spaces, `-`, `+`), at least 3.
fn phone_digits(q: &str) -> Option<String> {
    let looks = q.chars().all(|c| c.is_ascii_digit() || " -+()".contains(c));
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    (looks && digits.len() >= 3).then_some(digits)
}

impl App {
    pub async fn hotline_lookup(&self, ctx: &Ctx, q: &str) -> Result<Vec<HotlineMatch>> {
        let q = q.trim();
        let mut fields = Fields::default();
        check_text(&mut fields, "q", q, 1, 100);
        fields.finish()?;
        let mut tx = self.db.read().await?;
        let (visible, _) = visibility(&mut tx, ctx, Action::ManageTickets).await?;
        let regions = visible.regions();
        let mut ids: Vec<i64> = Vec::new();
        if let Some(digits) = phone_digits(q) {
            ids.extend(
                store::institutions_by_phone(&mut tx, &digits, regions.as_deref(), MAX_MATCHES)
                    .await?,
            );
        }
        let reach = Reach {
            regions: regions.clone(),
            owner: None,
        };
        let by_serial = deliveries::list_devices(
            &mut tx,
            &DeviceFilter {
                query: Some(q.to_owned()),
                reach: reach.clone(),
                ..Default::default()
            },
            None,
            MAX_MATCHES,
        )
        .await?;
        ids.extend(by_serial.items.iter().map(|d| d.institution_id));
        let by_name = customer_store::list(
            &mut tx,
            &customer_store::Filter {
                query: Some(q.to_owned()),
                visible_regions: regions.clone(),
                ..Default::default()
            },
            0,
            MAX_MATCHES,
        )
        .await?;
        ids.extend(by_name.items.iter().map(|i| i.id));
        let mut seen = std::collections::BTreeSet::new();
        ids.retain(|id| seen.insert(*id));
        ids.truncate(usize::try_from(MAX_MATCHES).unwrap_or(8));

        let digits = phone_digits(q);
        let mut out = Vec::new();
        for id in ids {
            let Some(inst) = customer_store::get(&mut tx, id).await? else {
                continue;
            };
            if !policy::can_see(&visible, None, &[inst.region_id]) {
                continue;
            }
            let mut contacts = customer_store::contacts(&mut tx, id).await?;
            if let Some(d) = &digits {
                let matching: Vec<ContactRecord> = contacts
                    .iter()
                    .filter(|c| {
                        c.phone
                            .chars()
                            .filter(char::is_ascii_digit)
                            .collect::<String>()
                            .contains(d.as_str())
                    })
                    .cloned()
                    .collect();
                if !matching.is_empty() {
                    contacts = matching;
                }
            }
            let devices = deliveries::list_devices(
                &mut tx,
                &DeviceFilter {
                    institution_id: Some(id),
                    reach: reach.clone(),
                    ..Default::default()
                },
                None,
                MAX_PER_CUSTOMER,
            )
            .await?
            .items;
            let open_tickets = store::list_tickets(
                &mut tx,
                &TicketFilter {
                    scope: scope_of(&visible),
                    statuses: ["new", "contacted", "dispatched", "on_site", "completed"]
                        .map(String::from)
                        .to_vec(),
                    institution_id: Some(id),
                    ..Default::default()
                },
                None,
                MAX_PER_CUSTOMER,
            )
            .await?
            .items;
            out.push(HotlineMatch {
                institution_id: inst.id,
                institution_name: inst.name,
                phone: inst.phone,
                region_id: inst.region_id,
                contacts,
                devices,
                open_tickets,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::phone_digits;

    #[test]
    fn svc_1_phone_numbers_are_told_apart_from_names_and_serials() {
        assert_eq!(phone_digits("021-6437"), Some("0216437".into()));
        assert_eq!(phone_digits("64"), None);
        assert_eq!(phone_digits("SN2610"), None);
        assert_eq!(phone_digits("瑞金"), None);
    }
}
