//! PRD: the catalog, suppliers, documents with their scans (PRD-2/3), first-time reviews
//! (首营, PRD-3), expiry alerts (PRD-4) and the one gate every sale passes: may this product
//! be sold to this customer on this date? Quotes ask it now; contracts and shipments will.

use jiff::ToSpan;
use jiff::civil::Date;
use medcrm_domain::customers::{InstitutionKind, check_credit_code, initials};
use medcrm_domain::products::{
    DeviceClass, DocumentFacts, DocumentKind, Holder, ProductLine, Refusal, ReviewStatus, Sale,
    due_alert, parse_thresholds, refusals,
};
use medcrm_store::customers::InstitutionRecord;
use medcrm_store::notifications::{self as inbox, NewNotification};
use medcrm_store::products::{self as store, CustomerDocs, Owner, Subject};
pub use medcrm_store::products::{DocumentRecord, ProductRecord, ReviewRecord, SupplierRecord};
use medcrm_store::{Page, Tx, settings, users};
use sha2::{Digest, Sha256};

use crate::customers::{check_text, parse_date, today, visible_institution};
use crate::error::Fields;
use crate::org::{blank_to_none, visibility};
use crate::policy::{self, Action, Visible};
use crate::{App, Ctx, Error, Result, audit, now_ms};

/// Largest scan accepted (PRD-2): a multi-page certificate scanned at 300 dpi fits.
pub const MAX_SCAN_BYTES: usize = 10 * 1024 * 1024;
const EXPIRY_DAYS_KEY: &str = "products.expiry_alert_days";
const DEFAULT_EXPIRY_DAYS: [u16; 3] = [90, 30, 7];
/// The longest look-ahead of the expiring-documents list.
const MAX_EXPIRY_WINDOW_DAYS: i64 = 366;

#[derive(Debug, Clone, Default)]
pub struct SupplierInput {
    pub name: String,
    pub credit_code: Option<String>,
    pub kind: String,
    pub contact: String,
    pub phone: String,
}

#[derive(Debug, Clone, Default)]
pub struct ProductInput {
    pub code: String,
    pub name: String,
    pub model: String,
    pub product_line: String,
    pub manufacturer_id: i64,
    pub unit: String,
    pub serialized: bool,
    pub implantable: bool,
    pub shelf_life_months: Option<i64>,
    pub active: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ProductQuery {
    pub query: Option<String>,
    pub product_line: Option<String>,
    pub manufacturer_id: Option<i64>,
    pub active: Option<bool>,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct DocumentInput {
    pub kind: String,
    pub number: String,
    pub device_class: Option<String>,
    pub holder: String,
    pub scope: String,
    pub valid_from: String,
    pub valid_to: String,
}

/// An uploaded scan as received; its type is decided from its bytes, never from the client.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct ProductDetail {
    pub record: ProductRecord,
    pub documents: Vec<DocumentRecord>,
    pub manufacturer: SupplierRecord,
    pub manufacturer_documents: Vec<DocumentRecord>,
}

#[derive(Debug, Clone)]
pub struct SupplierDetail {
    pub record: SupplierRecord,
    pub documents: Vec<DocumentRecord>,
    pub reviews: Vec<ReviewRecord>,
}

/// The compliance side of a customer: its licences and first-time reviews.
#[derive(Debug, Clone)]
pub struct CustomerQualification {
    pub documents: Vec<DocumentRecord>,
    pub reviews: Vec<ReviewRecord>,
}

/// One page of the expiring-documents list; the cursor is `<valid_to>.<id>` of the last row.
#[derive(Debug, Clone)]
pub struct ExpiringPage {
    pub items: Vec<DocumentRecord>,
    pub next_cursor: Option<String>,
}

/// Where a document is filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentOwner {
    Product(i64),
    Supplier(i64),
    Institution(i64),
}

/// The scan's content type from its first bytes: PDF, PNG or JPEG, nothing else.
pub fn sniff_scan(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// The file name without any path, control characters or quotes, at most 120 characters.
fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';'))
        .take(120)
        .collect();
    if clean.trim().is_empty() {
        "scan".into()
    } else {
        clean.trim().to_owned()
    }
}

fn check_code<T: std::str::FromStr<Err = String>>(
    fields: &mut Fields,
    field: &'static str,
    code: &str,
) -> Option<T> {
    code.parse::<T>().map_err(|e| fields.add(field, e)).ok()
}

fn facts(documents: &[DocumentRecord]) -> Vec<DocumentFacts> {
    documents
        .iter()
        .filter_map(|d| {
            Some(DocumentFacts {
                kind: d.kind.parse().ok()?,
                number: d.number.clone(),
                valid_from: d.valid_from.parse().ok()?,
                valid_to: d.valid_to.parse().ok()?,
            })
        })
        .collect()
}

/// What the sale gate needs to know about a customer: read once, then checked against every
/// product of a quote.
pub(crate) struct Buyer {
    documents: Vec<DocumentFacts>,
    licence: DocumentKind,
    review: Option<ReviewStatus>,
}

/// The customer's licences, the licence its kind must hold, and its latest first-time review.
pub(crate) async fn buyer(tx: &mut Tx, institution: &InstitutionRecord) -> Result<Buyer> {
    let documents = store::documents_of(tx, Owner::Institution(institution.id)).await?;
    let review = store::reviews_of(tx, Subject::Institution(institution.id))
        .await?
        .first()
        .and_then(|r| r.status.parse::<ReviewStatus>().ok());
    let licence = if institution.kind == InstitutionKind::Partner.code() {
        DocumentKind::BusinessLicence
    } else {
        DocumentKind::InstitutionLicence
    };
    Ok(Buyer {
        documents: facts(&documents),
        licence,
        review,
    })
}

/// PRD-2/3: every reason `product` may not be sold to `buyer` on `date`.
pub(crate) async fn sale_refusals(
    tx: &mut Tx,
    product: &ProductRecord,
    buyer: &Buyer,
    date: Date,
) -> Result<Vec<Refusal>> {
    let product_docs = store::documents_of(tx, Owner::Product(product.id)).await?;
    let maker_docs = store::documents_of(tx, Owner::Supplier(product.manufacturer_id)).await?;
    Ok(refusals(&Sale {
        date,
        product_active: product.active,
        product_documents: &facts(&product_docs),
        manufacturer_documents: &facts(&maker_docs),
        customer_documents: &buyer.documents,
        customer_licence: buyer.licence,
        customer_review: buyer.review,
    }))
}

/// The error that refuses a sale, naming the product and every reason.
pub(crate) fn not_sellable(field: &'static str, product: &ProductRecord, why: &[Refusal]) -> Error {
    // Chinese first for the pages, English after it for scripts and logs.
    let zh: Vec<String> = why.iter().map(Refusal::zh).collect();
    let en: Vec<String> = why.iter().map(ToString::to_string).collect();
    Error::Refused {
        code: "not_sellable",
        field,
        message: format!(
            "{} {} 不可销售：{}。May not be sold: {}",
            product.code,
            product.name,
            zh.join("；"),
            en.join("; ")
        ),
    }
}

pub(crate) async fn product_record(tx: &mut Tx, id: i64) -> Result<ProductRecord> {
    store::get_product(tx, id)
        .await?
        .ok_or(Error::NotFound("product"))
}

async fn supplier_record(tx: &mut Tx, id: i64) -> Result<SupplierRecord> {
    store::get_supplier(tx, id)
        .await?
        .ok_or(Error::NotFound("supplier"))
}

fn product_fields<'a>(
    input: &'a ProductInput,
    name_initials: &'a str,
) -> Result<store::ProductFields<'a>> {
    let mut fields = Fields::default();
    check_text(&mut fields, "code", &input.code, 1, 40);
    check_text(&mut fields, "name", &input.name, 2, 100);
    check_text(&mut fields, "model", &input.model, 1, 100);
    check_text(&mut fields, "unit", &input.unit, 1, 10);
    check_code::<ProductLine>(&mut fields, "product_line", &input.product_line);
    if input
        .shelf_life_months
        .is_some_and(|m| !(1..=240).contains(&m))
    {
        fields.add("shelf_life_months", "1 to 240 months, or empty");
    }
    fields.finish()?;
    Ok(store::ProductFields {
        code: input.code.trim(),
        name: input.name.trim(),
        name_initials,
        model: input.model.trim(),
        product_line: input.product_line.trim(),
        manufacturer_id: input.manufacturer_id,
        unit: input.unit.trim(),
        serialized: input.serialized,
        implantable: input.implantable,
        shelf_life_months: input.shelf_life_months,
        active: input.active,
    })
}

/// PRD-1: whether `input` would be accepted, every bad field at once (the import checks rows
/// with it).
pub(crate) fn check_product(input: &ProductInput) -> Result<()> {
    product_fields(input, "").map(drop)
}

/// PRD-1: writes a new catalog entry with its audit entry, in the caller's transaction.
pub(crate) async fn insert_product(
    tx: &mut Tx,
    ctx: &Ctx,
    input: &ProductInput,
) -> Result<ProductRecord> {
    let name_initials = initials(&input.name);
    let fields = product_fields(input, &name_initials)?;
    check_manufacturer(tx, input.manufacturer_id).await?;
    let id = store::insert_product(tx, &fields, now_ms())
        .await
        .map_err(|e| code_conflict(e.into()))?;
    let record = product_record(tx, id).await?;
    audit::record(tx, ctx, "product", id, "create", None, Some(&record)).await?;
    Ok(record)
}

/// A manufacturer to make products for: it must exist and be a manufacturer.
async fn check_manufacturer(tx: &mut Tx, id: i64) -> Result<()> {
    match store::get_supplier(tx, id).await? {
        Some(s) if s.kind == "manufacturer" => Ok(()),
        Some(_) => Err(Error::invalid(
            "manufacturer_id",
            "this supplier is not a manufacturer",
        )),
        None => Err(Error::invalid("manufacturer_id", "no such supplier")),
    }
}

fn code_conflict(e: Error) -> Error {
    match e {
        Error::Conflict { .. } => {
            Error::conflict(Some("code"), "a product with this code already exists")
        }
        other => other,
    }
}

/// The checked fields of a document, or every bad field at once.
fn document_fields(input: &DocumentInput, holder: Holder) -> Result<(DocumentKind, Date, Date)> {
    let mut fields = Fields::default();
    let kind = check_code::<DocumentKind>(&mut fields, "kind", &input.kind);
    if let Some(k) = kind.filter(|k| !k.fits(holder)) {
        fields.add(
            "kind",
            format!("a {} cannot hold a {}", holder.code(), k.code()),
        );
    }
    check_text(&mut fields, "number", &input.number, 2, 60);
    check_text(&mut fields, "holder", &input.holder, 0, 100);
    check_text(&mut fields, "scope", &input.scope, 0, 500);
    if let Some(c) = blank_to_none(input.device_class.clone()) {
        check_code::<DeviceClass>(&mut fields, "device_class", &c);
    }
    let from = parse_date(&mut fields, "valid_from", Some(&input.valid_from));
    let to = parse_date(&mut fields, "valid_to", Some(&input.valid_to));
    if input.valid_from.trim().is_empty() {
        fields.add("valid_from", "required");
    }
    if input.valid_to.trim().is_empty() {
        fields.add("valid_to", "required");
    }
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        fields.add("valid_to", "ends before it starts");
    }
    fields.finish()?;
    match (kind, from, to) {
        (Some(k), Some(f), Some(t)) => Ok((k, f, t)),
        _ => Err(Error::invalid("kind", "required")),
    }
}

/// Checks the caller may file documents for `owner` (which must exist): product and supplier
/// documents are the compliance team's; a customer's licence may also be filed by whoever may
/// edit that customer.
async fn may_file(tx: &mut Tx, ctx: &Ctx, owner: DocumentOwner) -> Result<Owner> {
    Ok(match owner {
        DocumentOwner::Product(id) => {
            policy::require(&ctx.actor, Action::ManageProducts)?;
            product_record(tx, id).await?;
            Owner::Product(id)
        }
        DocumentOwner::Supplier(id) => {
            policy::require(&ctx.actor, Action::ManageProducts)?;
            supplier_record(tx, id).await?;
            Owner::Supplier(id)
        }
        DocumentOwner::Institution(id) => {
            if policy::scope(&ctx.actor, Action::ReviewQualifications).is_none() {
                visible_institution(tx, ctx, Action::ManageCustomers, id).await?;
            } else {
                crate::customers::institution_record(tx, id).await?;
            }
            Owner::Institution(id)
        }
    })
}

fn owner_of(d: &DocumentRecord) -> Result<DocumentOwner> {
    match (d.product_id, d.supplier_id, d.institution_id) {
        (Some(p), _, _) => Ok(DocumentOwner::Product(p)),
        (_, Some(s), _) => Ok(DocumentOwner::Supplier(s)),
        (_, _, Some(i)) => Ok(DocumentOwner::Institution(i)),
        _ => Err(Error::Internal(format!("document {} has no owner", d.id))),
    }
}

/// An upload that passed [`check_scan`], with what is stored about it.
struct CheckedScan<'a> {
    upload: &'a Upload,
    name: String,
    content_type: &'static str,
    sha256: String,
}

impl CheckedScan<'_> {
    fn stored(&self) -> store::Scan<'_> {
        store::Scan {
            name: &self.name,
            content_type: self.content_type,
            sha256: &self.sha256,
            bytes: &self.upload.bytes,
        }
    }
}

/// The scan checked for size and type (PRD-2): PDF, PNG or JPEG up to [`MAX_SCAN_BYTES`].
fn check_scan(upload: &Upload) -> Result<CheckedScan<'_>> {
    if upload.bytes.is_empty() {
        return Err(Error::invalid("file", "the file is empty"));
    }
    if upload.bytes.len() > MAX_SCAN_BYTES {
        return Err(Error::invalid(
            "file",
            format!(
                "the file is larger than {} MiB",
                MAX_SCAN_BYTES / 1024 / 1024
            ),
        ));
    }
    let content_type = sniff_scan(&upload.bytes)
        .ok_or_else(|| Error::invalid("file", "only PDF, PNG or JPEG scans are accepted"))?;
    Ok(CheckedScan {
        upload,
        name: clean_file_name(&upload.name),
        content_type,
        sha256: hex::encode(Sha256::digest(&upload.bytes)),
    })
}

/// The configured alert thresholds (days ahead), or 90/30/7.
async fn expiry_days(tx: &mut Tx) -> Result<Vec<u16>> {
    Ok(settings::get(tx, EXPIRY_DAYS_KEY)
        .await?
        .and_then(|t| parse_thresholds(&t).ok())
        .unwrap_or_else(|| DEFAULT_EXPIRY_DAYS.to_vec()))
}

fn parse_cursor(cursor: Option<&str>) -> Result<Option<(String, i64)>> {
    let Some(c) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    c.split_once('.')
        .and_then(|(d, id)| Some((d.parse::<Date>().ok()?.to_string(), id.parse().ok()?)))
        .map(Some)
        .ok_or_else(|| Error::invalid("cursor", "not a cursor this list gave out"))
}

impl App {
    pub async fn suppliers(
        &self,
        ctx: &Ctx,
        query: Option<String>,
        cursor: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Page<SupplierRecord>> {
        policy::require(&ctx.actor, Action::ReadProducts)?;
        let limit = crate::page_size(limit)?;
        let mut tx = self.db.read().await?;
        let query = blank_to_none(query);
        Ok(store::list_suppliers(&mut tx, query.as_deref(), cursor.unwrap_or(0), limit).await?)
    }

    pub async fn supplier(&self, ctx: &Ctx, id: i64) -> Result<SupplierDetail> {
        policy::require(&ctx.actor, Action::ReadProducts)?;
        let mut tx = self.db.read().await?;
        Ok(SupplierDetail {
            record: supplier_record(&mut tx, id).await?,
            documents: store::documents_of(&mut tx, Owner::Supplier(id)).await?,
            reviews: store::reviews_of(&mut tx, Subject::Supplier(id)).await?,
        })
    }

    /// A manufacturer or distributor we buy from; it must pass first-time review before the
    /// first purchase (PRD-3).
    pub async fn create_supplier(&self, ctx: &Ctx, input: SupplierInput) -> Result<SupplierRecord> {
        policy::require(&ctx.actor, Action::ManageProducts)?;
        let mut fields = Fields::default();
        check_text(&mut fields, "name", &input.name, 2, 100);
        let credit_code = blank_to_none(input.credit_code.map(|c| c.to_uppercase()));
        if let Some(code) = &credit_code {
            fields.check("credit_code", check_credit_code(code));
        }
        if !matches!(input.kind.as_str(), "manufacturer" | "distributor") {
            fields.add("kind", "one of: manufacturer, distributor");
        }
        check_text(&mut fields, "contact", &input.contact, 0, 50);
        check_text(&mut fields, "phone", &input.phone, 0, 30);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let s = store::SupplierFields {
            name: input.name.trim(),
            credit_code: credit_code.as_deref(),
            kind: &input.kind,
            contact: input.contact.trim(),
            phone: input.phone.trim(),
        };
        let id = store::insert_supplier(&mut tx, &s, now_ms())
            .await
            .map_err(|e| match Error::from(e) {
                Error::Conflict { .. } => Error::conflict(
                    Some("name"),
                    "a supplier with this name or credit code already exists",
                ),
                other => other,
            })?;
        let record = supplier_record(&mut tx, id).await?;
        audit::record(&mut tx, ctx, "supplier", id, "create", None, Some(&record)).await?;
        tx.commit().await?;
        Ok(record)
    }

    pub async fn products(&self, ctx: &Ctx, q: &ProductQuery) -> Result<Page<ProductRecord>> {
        policy::require(&ctx.actor, Action::ReadProducts)?;
        let limit = crate::page_size(q.limit)?;
        let mut fields = Fields::default();
        let product_line = blank_to_none(q.product_line.clone());
        if let Some(line) = &product_line {
            check_code::<ProductLine>(&mut fields, "product_line", line);
        }
        fields.finish()?;
        let filter = store::ProductFilter {
            query: blank_to_none(q.query.clone()),
            product_line,
            manufacturer_id: q.manufacturer_id,
            active: q.active,
        };
        let mut tx = self.db.read().await?;
        Ok(store::list_products(&mut tx, &filter, q.cursor.unwrap_or(0), limit).await?)
    }

    pub async fn product(&self, ctx: &Ctx, id: i64) -> Result<ProductDetail> {
        policy::require(&ctx.actor, Action::ReadProducts)?;
        let mut tx = self.db.read().await?;
        let record = product_record(&mut tx, id).await?;
        let manufacturer = supplier_record(&mut tx, record.manufacturer_id).await?;
        Ok(ProductDetail {
            documents: store::documents_of(&mut tx, Owner::Product(id)).await?,
            manufacturer_documents: store::documents_of(&mut tx, Owner::Supplier(manufacturer.id))
                .await?,
            record,
            manufacturer,
        })
    }

    pub async fn create_product(&self, ctx: &Ctx, input: ProductInput) -> Result<ProductRecord> {
        policy::require(&ctx.actor, Action::ManageProducts)?;
        check_product(&input)?;
        let mut tx = self.db.write().await?;
        let record = insert_product(&mut tx, ctx, &input).await?;
        tx.commit().await?;
        Ok(record)
    }

    pub async fn update_product(
        &self,
        ctx: &Ctx,
        id: i64,
        input: ProductInput,
    ) -> Result<ProductRecord> {
        policy::require(&ctx.actor, Action::ManageProducts)?;
        let name_initials = initials(&input.name);
        let fields = product_fields(&input, &name_initials)?;
        let mut tx = self.db.write().await?;
        let before = product_record(&mut tx, id).await?;
        check_manufacturer(&mut tx, input.manufacturer_id).await?;
        store::update_product(&mut tx, id, &fields, now_ms())
            .await
            .map_err(|e| code_conflict(e.into()))?;
        let after = product_record(&mut tx, id).await?;
        audit::record(
            &mut tx,
            ctx,
            "product",
            id,
            "update",
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// PRD-2/3: files a certificate, licence or qualification with an optional scan.
    pub async fn add_document(
        &self,
        ctx: &Ctx,
        owner: DocumentOwner,
        input: DocumentInput,
        scan: Option<Upload>,
    ) -> Result<DocumentRecord> {
        let holder = match owner {
            DocumentOwner::Product(_) => Holder::Product,
            DocumentOwner::Supplier(_) => Holder::Supplier,
            DocumentOwner::Institution(_) => Holder::Institution,
        };
        let (kind, from, to) = document_fields(&input, holder)?;
        let checked = scan.as_ref().map(check_scan).transpose()?;
        let mut tx = self.db.write().await?;
        let owner = may_file(&mut tx, ctx, owner).await?;
        let device_class = blank_to_none(input.device_class.clone());
        let d = store::DocumentFields {
            kind: kind.code(),
            owner,
            number: input.number.trim(),
            device_class: device_class.as_deref(),
            holder: input.holder.trim(),
            scope: input.scope.trim(),
            valid_from: &from.to_string(),
            valid_to: &to.to_string(),
        };
        let stored = checked.as_ref().map(CheckedScan::stored);
        let id = store::insert_document(&mut tx, &d, stored.as_ref(), ctx.actor.user_id, now_ms())
            .await?;
        let record = store::get_document(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("document"))?;
        audit::record(&mut tx, ctx, "document", id, "create", None, Some(&record)).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Attaches the scan to a document filed without one. A scan is never replaced: a
    /// corrected document is filed anew, so what was on file on a given day stays provable.
    pub async fn attach_scan(&self, ctx: &Ctx, id: i64, upload: Upload) -> Result<DocumentRecord> {
        let checked = check_scan(&upload)?;
        let mut tx = self.db.write().await?;
        let before = store::get_document(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("document"))?;
        may_file(&mut tx, ctx, owner_of(&before)?)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => Error::NotFound("document"),
                other => other,
            })?;
        let already = || {
            Error::conflict(
                Some("file"),
                "this document already has its scan; file a new document to replace it",
            )
        };
        if before.file_sha256.is_some() {
            return Err(already());
        }
        store::attach_scan(&mut tx, id, &checked.stored())
            .await
            .map_err(|e| match e {
                medcrm_store::Error::NotFound => already(),
                other => other.into(),
            })?;
        let after = store::get_document(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("document"))?;
        audit::record(
            &mut tx,
            ctx,
            "document",
            id,
            "attach_scan",
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// A document and its scan, for whoever may see its owner.
    pub async fn document_scan(&self, ctx: &Ctx, id: i64) -> Result<(DocumentRecord, Vec<u8>)> {
        policy::require(&ctx.actor, Action::ReadProducts)?;
        let mut tx = self.db.read().await?;
        let record = store::get_document(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("document"))?;
        if let Some(inst) = record.institution_id {
            visible_institution(&mut tx, ctx, Action::ReadCustomers, inst)
                .await
                .map_err(|_| Error::NotFound("document"))?;
        }
        let bytes = store::document_file(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("scan"))?;
        Ok((record, bytes))
    }

    /// A customer's licences and first-time reviews, for whoever may see the customer.
    pub async fn customer_qualification(
        &self,
        ctx: &Ctx,
        institution_id: i64,
    ) -> Result<CustomerQualification> {
        let mut tx = self.db.read().await?;
        visible_institution(&mut tx, ctx, Action::ReadCustomers, institution_id).await?;
        Ok(CustomerQualification {
            documents: store::documents_of(&mut tx, Owner::Institution(institution_id)).await?,
            reviews: store::reviews_of(&mut tx, Subject::Institution(institution_id)).await?,
        })
    }

    /// PRD-4: documents expiring from today within `days` (default: the longest alert
    /// threshold), soonest first. Customers' documents show only within the caller's customer
    /// scope.
    pub async fn expiring_documents(
        &self,
        ctx: &Ctx,
        days: Option<i64>,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> Result<ExpiringPage> {
        policy::require(&ctx.actor, Action::ReadProducts)?;
        let limit = crate::page_size(limit)?;
        let after = parse_cursor(cursor)?;
        if days.is_some_and(|d| !(0..=MAX_EXPIRY_WINDOW_DAYS).contains(&d)) {
            return Err(Error::invalid(
                "days",
                format!("0 to {MAX_EXPIRY_WINDOW_DAYS} days"),
            ));
        }
        let mut tx = self.db.read().await?;
        let days = match days {
            Some(d) => d,
            None => i64::from(expiry_days(&mut tx).await?.first().copied().unwrap_or(90)),
        };
        let customers = match visibility(&mut tx, ctx, Action::ReadCustomers).await {
            Ok((Visible::All, _)) => CustomerDocs::All,
            Ok((Visible::Regions(r), _)) => CustomerDocs::Regions(r),
            Ok((Visible::OnlyUser(u), _)) => CustomerDocs::Owner(u),
            Err(Error::Forbidden) => CustomerDocs::None,
            Err(e) => return Err(e),
        };
        let today = today();
        let until = today.checked_add(days.days()).unwrap_or(today);
        let mut items = store::expiring(
            &mut tx,
            &today.to_string(),
            &until.to_string(),
            &customers,
            after,
            limit + 1,
        )
        .await?;
        let next_cursor = if items.len() > usize::try_from(limit).unwrap_or(0) {
            items.truncate(usize::try_from(limit).unwrap_or(0));
            items.last().map(|d| format!("{}.{}", d.valid_to, d.id))
        } else {
            None
        };
        Ok(ExpiringPage { items, next_cursor })
    }

    /// PRD-4: sets the alert thresholds (e.g. `90,30,7`).
    pub async fn set_expiry_alert_days(&self, ctx: &Ctx, text: &str) -> Result<Vec<u16>> {
        policy::require(&ctx.actor, Action::ReviewQualifications)?;
        let days = parse_thresholds(text).map_err(|e| Error::invalid("days", e))?;
        let value = days
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let mut tx = self.db.write().await?;
        let before = settings::get(&mut tx, EXPIRY_DAYS_KEY).await?;
        settings::set(&mut tx, EXPIRY_DAYS_KEY, &value).await?;
        audit::record(
            &mut tx,
            ctx,
            "setting",
            EXPIRY_DAYS_KEY,
            "update",
            before.as_ref().map(|b| b as &dyn audit::ErasedJson),
            Some(&value),
        )
        .await?;
        tx.commit().await?;
        Ok(days)
    }

    pub async fn expiry_alert_days(&self, ctx: &Ctx) -> Result<Vec<u16>> {
        policy::require(&ctx.actor, Action::ReadProducts)?;
        let mut tx = self.db.read().await?;
        expiry_days(&mut tx).await
    }

    /// PRD-4: one in-app alert per document and threshold crossed, to quality and (for a
    /// customer's licence) the customer's owner. Returns how many were new.
    pub async fn send_expiry_alerts(&self) -> Result<u64> {
        let mut tx = self.db.write().await?;
        let thresholds = expiry_days(&mut tx).await?;
        let today = today();
        let longest = i64::from(thresholds.first().copied().unwrap_or(90));
        let until = today.checked_add(longest.days()).unwrap_or(today);
        let quality = users::list(
            &mut tx,
            &users::Filter {
                role: Some("quality".into()),
                ..Default::default()
            },
            0,
            crate::MAX_PAGE_SIZE,
        )
        .await?
        .items;
        let mut added = 0;
        let mut after = None;
        loop {
            let batch = store::expiring(
                &mut tx,
                &today.to_string(),
                &until.to_string(),
                &CustomerDocs::All,
                after.clone(),
                crate::MAX_PAGE_SIZE,
            )
            .await?;
            let Some(last) = batch.last() else { break };
            after = Some((last.valid_to.clone(), last.id));
            for d in &batch {
                let Some(valid_to) = d.valid_to.parse::<Date>().ok() else {
                    continue;
                };
                let Some(threshold) = due_alert(valid_to, today, &thresholds) else {
                    continue;
                };
                let mut to: Vec<i64> = quality.iter().map(|u| u.id).collect();
                if let Some(inst) = d.institution_id {
                    to.push(
                        crate::customers::institution_record(&mut tx, inst)
                            .await?
                            .owner_id,
                    );
                }
                let link = match (d.product_id, d.supplier_id, d.institution_id) {
                    (Some(p), _, _) => format!("/products/{p}"),
                    (_, Some(s), _) => format!("/suppliers/{s}"),
                    (_, _, Some(i)) => format!("/customers/{i}"),
                    _ => "/documents/expiring".into(),
                };
                for user_id in to {
                    let n = NewNotification {
                        user_id,
                        kind: "document_expiring",
                        subject: &format!("{} {}", d.owner_name, d.number),
                        detail: &format!("{}|{}", d.kind, d.valid_to),
                        link: &link,
                        dedupe_key: &format!("document_expiring:{}:{threshold}:{user_id}", d.id),
                    };
                    added += u64::from(inbox::add(&mut tx, &n, now_ms()).await?);
                }
            }
        }
        tx.commit().await?;
        Ok(added)
    }

    /// PRD-3: submits a customer for first-time review (首营), by whoever may edit it.
    pub async fn submit_customer_review(
        &self,
        ctx: &Ctx,
        institution_id: i64,
        note: &str,
    ) -> Result<ReviewRecord> {
        let mut tx = self.db.write().await?;
        visible_institution(&mut tx, ctx, Action::ManageCustomers, institution_id).await?;
        self.submit(tx, ctx, Subject::Institution(institution_id), note)
            .await
    }

    /// PRD-3: submits a supplier for first-time review.
    pub async fn submit_supplier_review(
        &self,
        ctx: &Ctx,
        supplier_id: i64,
        note: &str,
    ) -> Result<ReviewRecord> {
        policy::require(&ctx.actor, Action::ManageProducts)?;
        let mut tx = self.db.write().await?;
        supplier_record(&mut tx, supplier_id).await?;
        self.submit(tx, ctx, Subject::Supplier(supplier_id), note)
            .await
    }

    async fn submit(
        &self,
        mut tx: Tx,
        ctx: &Ctx,
        subject: Subject,
        note: &str,
    ) -> Result<ReviewRecord> {
        let mut fields = Fields::default();
        check_text(&mut fields, "note", note, 0, 500);
        fields.finish()?;
        if store::reviews_of(&mut tx, subject)
            .await?
            .first()
            .is_some_and(|r| r.status == ReviewStatus::Approved.code())
        {
            return Err(Error::conflict(
                None,
                "already approved in first-time review",
            ));
        }
        let id = store::submit_review(&mut tx, subject, note.trim(), ctx.actor.user_id, now_ms())
            .await
            .map_err(|e| match Error::from(e) {
                Error::Conflict { .. } => Error::conflict(
                    None,
                    "a first-time review is already waiting for a decision",
                ),
                other => other,
            })?;
        let record = store::get_review(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("review"))?;
        audit::record(
            &mut tx,
            ctx,
            "qualification_review",
            id,
            "submit",
            None,
            Some(&record),
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// PRD-3: quality approves or rejects a submission, with comments (required to reject).
    /// Nobody decides their own submission; of two decisions at once, one wins (409).
    pub async fn decide_review(
        &self,
        ctx: &Ctx,
        id: i64,
        approve: bool,
        comment: &str,
    ) -> Result<ReviewRecord> {
        policy::require(&ctx.actor, Action::ReviewQualifications)?;
        let mut fields = Fields::default();
        check_text(&mut fields, "comment", comment, usize::from(!approve), 500);
        fields.finish()?;
        let mut tx = self.db.write().await?;
        let before = store::get_review(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("review"))?;
        if before.submitted_by == ctx.actor.user_id {
            return Err(Error::Refused {
                code: "own_request",
                field: "submitted_by",
                message: "nobody decides their own submission".into(),
            });
        }
        let status = if approve {
            ReviewStatus::Approved
        } else {
            ReviewStatus::Rejected
        };
        store::decide_review(
            &mut tx,
            id,
            status.code(),
            comment.trim(),
            ctx.actor.user_id,
            now_ms(),
        )
        .await
        .map_err(|_| Error::conflict(None, "this review has already been decided"))?;
        let after = store::get_review(&mut tx, id)
            .await?
            .ok_or(Error::NotFound("review"))?;
        audit::record(
            &mut tx,
            ctx,
            "qualification_review",
            id,
            status.code(),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The quality team's queue: reviews in `status` (default: submitted), oldest first.
    pub async fn reviews(
        &self,
        ctx: &Ctx,
        status: Option<String>,
        cursor: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Page<ReviewRecord>> {
        policy::require(&ctx.actor, Action::ReviewQualifications)?;
        let limit = crate::page_size(limit)?;
        let status = blank_to_none(status).unwrap_or_else(|| "submitted".into());
        status
            .parse::<ReviewStatus>()
            .map_err(|e| Error::invalid("status", e))?;
        let mut tx = self.db.read().await?;
        Ok(store::reviews_in(&mut tx, &status, cursor.unwrap_or(0), limit).await?)
    }

    /// PRD-2/3, the gate itself: every reason `product_id` may not be sold to the customer on
    /// `date` (default today); empty means it may.
    pub async fn sale_check(
        &self,
        ctx: &Ctx,
        product_id: i64,
        institution_id: i64,
        date: Option<&str>,
    ) -> Result<Vec<Refusal>> {
        policy::require(&ctx.actor, Action::ReadProducts)?;
        let mut fields = Fields::default();
        let date = parse_date(&mut fields, "date", date).unwrap_or_else(today);
        fields.finish()?;
        let mut tx = self.db.read().await?;
        let (institution, _) =
            visible_institution(&mut tx, ctx, Action::ReadCustomers, institution_id).await?;
        let product = product_record(&mut tx, product_id).await?;
        let buyer = buyer(&mut tx, &institution).await?;
        sale_refusals(&mut tx, &product, &buyer, date).await
    }
}
