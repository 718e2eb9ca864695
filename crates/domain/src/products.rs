//! PRD: the product catalog's codes, the documents that allow a sale, first-time review, and
//! the one gating rule (PRD-2, PRD-3) that quotes, contracts and shipments all ask: may this
//! product be sold to this customer on this date?

use std::fmt;

use jiff::civil::Date;

codes!(
    /// PRD-1: product lines.
    ProductLine {
        LargeEquipment = "large_equipment",
        Consumables = "consumables",
        Ivd = "ivd",
        Service = "service",
        Other = "other",
    }
);

codes!(
    /// PRD-2/3: the documents kept with validity dates.
    DocumentKind {
        /// 医疗器械注册证 (class II/III), held for a product.
        RegistrationCertificate = "registration_certificate",
        /// 备案凭证 (class I), held for a product.
        Filing = "filing",
        /// 生产许可证, held by a manufacturer.
        ProductionLicence = "production_licence",
        /// 医疗机构执业许可证, held by a hospital or other care institution.
        InstitutionLicence = "institution_licence",
        /// 经营许可证/备案凭证, held by a distributor (customer partner or supplier).
        BusinessLicence = "business_licence",
    }
);

codes!(
    /// Device risk class of a registration (I: filing; II and III: certificate).
    DeviceClass {
        I = "I",
        II = "II",
        III = "III",
    }
);

codes!(
    /// PRD-3: 首营审核 state.
    ReviewStatus {
        Submitted = "submitted",
        Approved = "approved",
        Rejected = "rejected",
    }
);

codes!(
    /// Who holds a document.
    Holder {
        Product = "product",
        Supplier = "supplier",
        Institution = "institution",
    }
);

impl DocumentKind {
    /// The kind of party that may hold this document.
    pub fn holder(self) -> Holder {
        match self {
            DocumentKind::RegistrationCertificate | DocumentKind::Filing => Holder::Product,
            DocumentKind::ProductionLicence => Holder::Supplier,
            DocumentKind::InstitutionLicence => Holder::Institution,
            // Distributors hold it both as our suppliers and as our customers (partners).
            DocumentKind::BusinessLicence => Holder::Supplier,
        }
    }

    /// Whether a party of kind `holder` may hold this document.
    pub fn fits(self, holder: Holder) -> bool {
        self.holder() == holder
            || (self == DocumentKind::BusinessLicence && holder == Holder::Institution)
    }
}

/// A document as the gate sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentFacts {
    pub kind: DocumentKind,
    pub number: String,
    pub valid_from: Date,
    pub valid_to: Date,
}

/// Why a sale is refused; `Display` names the document and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    ProductInactive,
    /// None of `kinds` is on file for the holder.
    Missing {
        kinds: Vec<DocumentKind>,
    },
    Expired {
        kind: DocumentKind,
        number: String,
        on: Date,
    },
    NotYetValid {
        kind: DocumentKind,
        number: String,
        from: Date,
    },
    /// The customer's first-time review is missing, pending or rejected.
    NotApproved {
        status: Option<ReviewStatus>,
    },
}

impl Refusal {
    /// A stable code per reason, for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::ProductInactive => "product_inactive",
            Refusal::Missing { .. } => "document_missing",
            Refusal::Expired { .. } => "document_expired",
            Refusal::NotYetValid { .. } => "document_not_yet_valid",
            Refusal::NotApproved { .. } => "first_review_not_approved",
        }
    }
}

fn label(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::RegistrationCertificate => "registration certificate",
        DocumentKind::Filing => "filing certificate",
        DocumentKind::ProductionLicence => "manufacturer's production licence",
        DocumentKind::InstitutionLicence => "customer's medical institution licence",
        DocumentKind::BusinessLicence => "business licence",
    }
}

fn label_zh(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::RegistrationCertificate => "医疗器械注册证",
        DocumentKind::Filing => "备案凭证",
        DocumentKind::ProductionLicence => "生产企业许可证",
        DocumentKind::InstitutionLicence => "客户医疗机构执业许可证",
        DocumentKind::BusinessLicence => "经营许可证",
    }
}

impl Refusal {
    /// The reason in Chinese, for the people who read the pages.
    pub fn zh(&self) -> String {
        match self {
            Refusal::ProductInactive => "产品已停售".into(),
            Refusal::Missing { kinds } => {
                let names: Vec<&str> = kinds.iter().map(|k| label_zh(*k)).collect();
                format!("缺少{}", names.join("或"))
            }
            Refusal::Expired { kind, number, on } => {
                format!("{} {number} 已于 {on} 过期", label_zh(*kind))
            }
            Refusal::NotYetValid { kind, number, from } => {
                format!("{} {number} 自 {from} 起才生效", label_zh(*kind))
            }
            Refusal::NotApproved { status: None } => "客户尚未提交首营审核".into(),
            Refusal::NotApproved {
                status: Some(ReviewStatus::Submitted),
            } => "客户首营审核尚未通过（审核中）".into(),
            Refusal::NotApproved { status: Some(_) } => "客户首营审核未通过".into(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::ProductInactive => write!(f, "the product is withdrawn from sale"),
            Refusal::Missing { kinds } => {
                let names: Vec<&str> = kinds.iter().map(|k| label(*k)).collect();
                write!(f, "no {} on file", names.join(" or "))
            }
            Refusal::Expired { kind, number, on } => {
                write!(f, "{} {number} expired on {on}", label(*kind))
            }
            Refusal::NotYetValid { kind, number, from } => {
                write!(f, "{} {number} is valid only from {from}", label(*kind))
            }
            Refusal::NotApproved { status: None } => {
                write!(
                    f,
                    "the customer has not been submitted for first-time review (首营)"
                )
            }
            Refusal::NotApproved {
                status: Some(status),
            } => write!(
                f,
                "the customer's first-time review (首营) is {}",
                status.code()
            ),
        }
    }
}

/// Everything the gate needs about one sale.
#[derive(Debug, Clone)]
pub struct Sale<'a> {
    pub date: Date,
    pub product_active: bool,
    /// The product's registration certificates and filings.
    pub product_documents: &'a [DocumentFacts],
    /// The manufacturer's production licences.
    pub manufacturer_documents: &'a [DocumentFacts],
    /// The customer's licences.
    pub customer_documents: &'a [DocumentFacts],
    /// The licence a customer of this kind must hold.
    pub customer_licence: DocumentKind,
    /// The latest first-time review of the customer.
    pub customer_review: Option<ReviewStatus>,
}

/// PRD-2, PRD-3: every reason this sale may not happen on `sale.date`; empty means yes.
pub fn refusals(sale: &Sale) -> Vec<Refusal> {
    let mut out = Vec::new();
    if !sale.product_active {
        out.push(Refusal::ProductInactive);
    }
    let checks = [
        (
            sale.product_documents,
            &[DocumentKind::RegistrationCertificate, DocumentKind::Filing][..],
        ),
        (
            sale.manufacturer_documents,
            &[DocumentKind::ProductionLicence][..],
        ),
        (sale.customer_documents, &[sale.customer_licence][..]),
    ];
    for (documents, kinds) in checks {
        if let Err(refusal) = valid_on(documents, kinds, sale.date) {
            out.push(refusal);
        }
    }
    if sale.customer_review != Some(ReviewStatus::Approved) {
        out.push(Refusal::NotApproved {
            status: sale.customer_review,
        });
    }
    out
}

/// Ok when one document of `kinds` covers `date`; otherwise the most telling refusal: the
/// latest expiry, else the earliest future start, else missing.
fn valid_on(
    documents: &[DocumentFacts],
    kinds: &[DocumentKind],
    date: Date,
) -> Result<(), Refusal> {
    let of_kind: Vec<&DocumentFacts> = documents
        .iter()
        .filter(|d| kinds.contains(&d.kind))
        .collect();
    if of_kind
        .iter()
        .any(|d| d.valid_from <= date && date <= d.valid_to)
    {
        return Ok(());
    }
    if let Some(d) = of_kind
        .iter()
        .filter(|d| d.valid_to < date)
        .max_by_key(|d| d.valid_to)
    {
        return Err(Refusal::Expired {
            kind: d.kind,
            number: d.number.clone(),
            on: d.valid_to,
        });
    }
    if let Some(d) = of_kind.iter().min_by_key(|d| d.valid_from) {
        return Err(Refusal::NotYetValid {
            kind: d.kind,
            number: d.number.clone(),
            from: d.valid_from,
        });
    }
    Err(Refusal::Missing {
        kinds: kinds.to_vec(),
    })
}

/// PRD-4: the alert thresholds (days ahead, descending) a document crossed by `today` and
/// has not yet been alerted for; the caller alerts the nearest one only.
pub fn due_alert(valid_to: Date, today: Date, thresholds: &[u16]) -> Option<u16> {
    let days_left = (valid_to - today).get_days();
    if days_left < 0 {
        return None;
    }
    thresholds
        .iter()
        .copied()
        .filter(|t| i32::from(*t) >= days_left)
        .min()
}

/// PRD-4: parses the thresholds setting (`90,30,7`); each 1–366 days.
pub fn parse_thresholds(text: &str) -> Result<Vec<u16>, &'static str> {
    const BAD: &str = "days ahead, comma-separated, each 1 to 366, e.g. 90,30,7";
    let mut out = Vec::new();
    for part in text.split(',') {
        let days: u16 = part.trim().parse().map_err(|_| BAD)?;
        if !(1..=366).contains(&days) {
            return Err(BAD);
        }
        out.push(days);
    }
    if out.is_empty() || out.len() > 8 {
        return Err(BAD);
    }
    out.sort_unstable_by(|a, b| b.cmp(a));
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn doc(kind: DocumentKind, number: &str, from: Date, to: Date) -> DocumentFacts {
        DocumentFacts {
            kind,
            number: number.into(),
            valid_from: from,
            valid_to: to,
        }
    }

    fn sale<'a>(
        product: &'a [DocumentFacts],
        maker: &'a [DocumentFacts],
        customer: &'a [DocumentFacts],
    ) -> Sale<'a> {
        Sale {
            date: date(2026, 11, 25),
            product_active: true,
            product_documents: product,
            manufacturer_documents: maker,
            customer_documents: customer,
            customer_licence: DocumentKind::InstitutionLicence,
            customer_review: Some(ReviewStatus::Approved),
        }
    }

    fn valid() -> [Vec<DocumentFacts>; 3] {
        let (from, to) = (date(2024, 1, 1), date(2028, 12, 31));
        [
            vec![doc(
                DocumentKind::RegistrationCertificate,
                "国械注准20243060001",
                from,
                to,
            )],
            vec![doc(
                DocumentKind::ProductionLicence,
                "沪食药监械生产许20150001号",
                from,
                to,
            )],
            vec![doc(DocumentKind::InstitutionLicence, "PDY00001", from, to)],
        ]
    }

    #[test]
    fn prd_2_all_documents_valid_and_approved_customer_may_buy() {
        let [p, m, c] = valid();
        assert_eq!(refusals(&sale(&p, &m, &c)), vec![]);
    }

    #[test]
    fn prd_2_expired_certificate_names_number_and_date() {
        let [_, m, c] = valid();
        let p = vec![doc(
            DocumentKind::RegistrationCertificate,
            "国械注准20193060123",
            date(2021, 1, 1),
            date(2026, 11, 24),
        )];
        let r = refusals(&sale(&p, &m, &c));
        assert_eq!(r.len(), 1);
        assert_eq!(
            r[0].to_string(),
            "registration certificate 国械注准20193060123 expired on 2026-11-24"
        );
        assert_eq!(r[0].code(), "document_expired");
        assert_eq!(
            r[0].zh(),
            "医疗器械注册证 国械注准20193060123 已于 2026-11-24 过期"
        );
    }

    #[test]
    fn prd_2_a_renewal_replaces_an_expired_certificate_and_the_last_day_still_counts() {
        let [_, m, c] = valid();
        let p = vec![
            doc(
                DocumentKind::RegistrationCertificate,
                "old",
                date(2020, 1, 1),
                date(2025, 1, 1),
            ),
            doc(
                DocumentKind::RegistrationCertificate,
                "new",
                date(2025, 1, 2),
                date(2026, 11, 25),
            ),
        ];
        assert_eq!(refusals(&sale(&p, &m, &c)), vec![]);
    }

    #[test]
    fn prd_2_missing_licence_and_future_certificate_are_both_reported() {
        let [_, _, c] = valid();
        let p = vec![doc(
            DocumentKind::Filing,
            "沪械备20260001",
            date(2026, 12, 1),
            date(2031, 1, 1),
        )];
        let r = refusals(&sale(&p, &[], &c));
        assert_eq!(
            r.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            [
                "filing certificate 沪械备20260001 is valid only from 2026-12-01",
                "no manufacturer's production licence on file",
            ]
        );
    }

    #[test]
    fn prd_3_customer_needs_an_approved_first_review_and_its_own_licence() {
        let [p, m, _] = valid();
        let partner_licence = vec![doc(
            DocumentKind::BusinessLicence,
            "沪药监械经营许20200001号",
            date(2024, 1, 1),
            date(2028, 1, 1),
        )];
        let mut s = sale(&p, &m, &partner_licence);
        s.customer_review = Some(ReviewStatus::Submitted);
        let r = refusals(&s);
        assert_eq!(
            r[0].code(),
            "document_missing",
            "a hospital needs an institution licence"
        );
        assert_eq!(
            r[1].to_string(),
            "the customer's first-time review (首营) is submitted"
        );
        s.customer_licence = DocumentKind::BusinessLicence;
        s.customer_review = None;
        assert_eq!(refusals(&s)[0].code(), "first_review_not_approved");
    }

    #[test]
    fn prd_4_alerts_at_the_nearest_threshold_crossed() {
        let t = [90, 30, 7];
        let today = date(2026, 11, 25);
        assert_eq!(
            due_alert(date(2027, 3, 1), today, &t),
            None,
            "96 days ahead"
        );
        assert_eq!(due_alert(date(2027, 2, 23), today, &t), Some(90));
        assert_eq!(due_alert(date(2026, 12, 15), today, &t), Some(30));
        assert_eq!(due_alert(date(2026, 12, 2), today, &t), Some(7));
        assert_eq!(due_alert(today, today, &t), Some(7), "expires today");
        assert_eq!(
            due_alert(date(2026, 11, 24), today, &t),
            None,
            "already expired"
        );
    }

    #[test]
    fn prd_4_thresholds_parse_sorted_and_bounded() {
        assert_eq!(parse_thresholds("7, 90,30,30"), Ok(vec![90, 30, 7]));
        assert!(parse_thresholds("0").is_err());
        assert!(parse_thresholds("400").is_err());
        assert!(parse_thresholds("").is_err());
        assert!(parse_thresholds("a").is_err());
    }
}
