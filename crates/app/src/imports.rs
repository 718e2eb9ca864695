//! SYS-3: import and export of institutions, departments and contacts (CUS-1) as .xlsx or
//! .csv.
//!
//! An import is all or nothing. Every row is checked first — with the same rules as a
//! customer typed into the form (`create_institution`, `add_department`, `add_contact`),
//! duplicates within the file and against the database, and the caller's scope — and every
//! bad row is reported with its row number (as Excel shows it: the header is row 1), the
//! column and the reason. Only a file without a single bad row is written, in one
//! transaction, each record audited as if typed; a dry run stops after the check.
//!
//! The check runs first in a read transaction, so a file with mistakes never holds up other
//! writers; a clean file is then checked again inside the write transaction (nothing can slip
//! in between) and written.
//!
//! Two kinds of file (columns in [`columns`]):
//! - `institutions`: one row per institution. Owner and region default to the caller and
//!   their first region; a manager or director may name another owner by username and a
//!   region by code or name, within their scope. A rep files only in their own territory,
//!   as the owner.
//! - `contacts`: one row per contact, or per department when the contact's name is blank.
//!   The institution is found by `institution_id`, else its credit code, else its name and
//!   city, among the caller's own customers only. A department is created the first time a
//!   row names one the institution does not have. A contact with the same name and phone as
//!   one the institution already has is refused as a duplicate.
//!
//! An export is what the caller's customer list shows with the same filters (their scope
//! only), with every importable column, so an exported file can be edited and imported into
//! another installation.

mod columns;
mod parts;
mod table;

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use medcrm_domain::org::Scope;
use medcrm_store::customers::{self as store, InstitutionFields};
use medcrm_store::products as product_store;
use medcrm_store::regions::RegionRecord;
use medcrm_store::{Tx, regions, users};

use self::columns::YES_NO_LABELS;
use self::columns::{CATEGORY_LABELS, choices};
pub use self::columns::{
    CONTACT_COLUMNS, Column, INSTITUTION_COLUMNS, KIND_LABELS, LEVEL_LABELS, LINE_LABELS,
    MOVEMENT_COLUMNS, PART_COLUMNS, PRODUCT_COLUMNS, ROLE_LABELS, STOCK_COLUMNS,
};
pub use self::columns::{code_of, label_of};
pub use self::parts::OPENING_REASON;
pub use self::table::{
    Format, MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS, Row, Table, parse_table, write_table,
};
use crate::customers::{
    ContactInput, InstitutionInput, InstitutionQuery, InstitutionView, check_owner,
    check_territory, contact_fields, insert_contact, insert_department, insert_institution,
    institution_fields, refuse_duplicate, rules,
};
use crate::error::Fields;
use crate::org::region_tree;
use crate::parts::{PartInput, check_part, insert_part};
use crate::policy::{self, Action, Visible};
use crate::products::{ProductInput, ProductQuery, check_product, insert_product};
use crate::{App, Ctx, Error, MAX_PAGE_SIZE, Result, audit};

/// Most row errors listed in a report; the rest are counted. A file whose every row is wrong
/// (a wrong column, say) says so in the first thousand as well as in fifty thousand.
pub const MAX_REPORTED_ERRORS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Institutions,
    Contacts,
    /// PRD-1: the product catalog.
    Products,
    /// PRT-1: the spare parts catalog.
    Parts,
    /// PRT-1/2: opening stock per part and location.
    Stock,
}

impl ImportKind {
    pub fn code(self) -> &'static str {
        match self {
            ImportKind::Institutions => "institutions",
            ImportKind::Contacts => "contacts",
            ImportKind::Products => "products",
            ImportKind::Parts => "parts",
            ImportKind::Stock => "stock",
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            ImportKind::Institutions => INSTITUTION_COLUMNS,
            ImportKind::Contacts => CONTACT_COLUMNS,
            ImportKind::Products => PRODUCT_COLUMNS,
            ImportKind::Parts => PART_COLUMNS,
            ImportKind::Stock => STOCK_COLUMNS,
        }
    }

    /// What the importer must be allowed to do.
    pub fn action(self) -> Action {
        match self {
            ImportKind::Institutions | ImportKind::Contacts => Action::ManageCustomers,
            ImportKind::Products => Action::ManageProducts,
            ImportKind::Parts => Action::ManageParts,
            ImportKind::Stock => Action::ManageStock,
        }
    }
}

impl FromStr for ImportKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "institutions" => Ok(ImportKind::Institutions),
            "contacts" => Ok(ImportKind::Contacts),
            "products" => Ok(ImportKind::Products),
            "parts" => Ok(ImportKind::Parts),
            "stock" => Ok(ImportKind::Stock),
            other => Err(format!(
                "`{other}` is not a kind of file; use institutions, contacts, products, parts \
                 or stock"
            )),
        }
    }
}

/// The words an exported file uses for headers and coded values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Labels {
    /// `名称`, `公立医院`, region names: for people (the default UI language).
    Chinese,
    /// `name`, `hospital`, region codes: for scripts.
    Codes,
}

impl Labels {
    /// How an export writes a coded value: its Chinese label, or the code itself.
    fn word(self, table: &[(&'static str, &'static [&'static str])], code: &str) -> String {
        match self {
            Labels::Chinese => label_of(table, code),
            Labels::Codes => code.to_owned(),
        }
    }
}

/// One reason a row was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// As Excel shows it: the header is row 1.
    pub row: u32,
    /// The field at fault (`credit_code`), or the header itself for a header problem.
    pub field: String,
    /// The column as headed in the file (`统一社会信用代码`), or its usual header when the
    /// file has no such column.
    pub column: String,
    pub message: String,
}

/// What was (or, in a dry run, would be) created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Created {
    pub institutions: u32,
    pub departments: u32,
    pub contacts: u32,
    pub products: u32,
    pub parts: u32,
    /// Stock rows (part and location) given an opening balance or levels.
    pub stock: u32,
}

#[derive(Debug, Clone)]
pub struct ImportReport {
    pub kind: ImportKind,
    pub dry_run: bool,
    /// Data rows in the file (blank rows not counted).
    pub rows: u32,
    /// Rows without a mistake.
    pub rows_ok: u32,
    /// True only when every row was written.
    pub imported: bool,
    /// Written (import) or to be written (a clean dry run); zero when refused.
    pub created: Created,
    /// Bad rows in row order, at most [`MAX_REPORTED_ERRORS`].
    pub errors: Vec<RowError>,
    /// Errors beyond those listed.
    pub more_errors: u32,
}

impl ImportReport {
    /// Nothing is wrong with the file.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Where a long import is, for a progress bar. Every method has a do-nothing default.
pub trait Progress: Sync {
    fn start(&self, _phase: Phase, _total: u64) {}
    fn advance(&self, _done: u64) {}
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Parsing the file (no total known).
    Reading,
    /// Checking every row.
    Checking,
    /// Writing the rows.
    Writing,
}

/// No progress shown.
pub struct Quiet;

impl Progress for Quiet {}

/// Collects row errors up to the bound.
#[derive(Default)]
struct Errors {
    list: Vec<RowError>,
    more: u32,
    /// Rows with at least one error (0 when the header itself is wrong).
    bad_rows: u32,
}

impl Errors {
    fn push(&mut self, e: RowError) {
        if self.list.len() < MAX_REPORTED_ERRORS {
            self.list.push(e);
        } else {
            self.more = self.more.saturating_add(1);
        }
    }

    fn is_empty(&self) -> bool {
        self.list.is_empty() && self.more == 0
    }
}

/// Which column of the file holds which field.
struct Mapping {
    index: HashMap<&'static str, usize>,
    headers: Vec<String>,
    columns: &'static [Column],
}

impl Mapping {
    /// Maps the header row; unknown or repeated headers and missing columns are errors on
    /// the header row. `required`: each entry lists fields of which one must be present.
    fn new(
        table: &Table,
        columns: &'static [Column],
        required: &[&[&'static str]],
        errors: &mut Errors,
    ) -> Mapping {
        let mut index = HashMap::new();
        let at = table.header_row;
        for (i, header) in table.headers.iter().enumerate() {
            if header.trim().is_empty() {
                // A blank header over a blank column is harmless; over data it is refused
                // below when its row is read.
                continue;
            }
            match columns::column_of(columns, header) {
                None => errors.push(RowError {
                    row: at,
                    field: header.clone(),
                    column: header.clone(),
                    message: format!(
                        "unknown column; the columns are: {}",
                        columns
                            .iter()
                            .filter(|c| c.imported)
                            .map(|c| format!("{} ({})", c.zh, c.field))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }),
                Some(c) if index.contains_key(c.field) => errors.push(RowError {
                    row: at,
                    field: c.field.to_owned(),
                    column: header.clone(),
                    message: "this column appears twice".into(),
                }),
                // Read-only columns of an export (grade, due date …) are ignored.
                Some(c) if !c.imported => {}
                Some(c) => {
                    index.insert(c.field, i);
                }
            }
        }
        let mapping = Mapping {
            index,
            headers: table.headers.clone(),
            columns,
        };
        for one_of in required {
            if !one_of.iter().any(|f| mapping.index.contains_key(f)) {
                let names: Vec<String> = one_of.iter().map(|f| mapping.column(f)).collect();
                errors.push(RowError {
                    row: at,
                    field: one_of.first().copied().unwrap_or_default().to_owned(),
                    column: names.join(" / "),
                    message: format!("the file needs a column {}", names.join(" or ")),
                });
            }
        }
        mapping
    }

    /// The trimmed text of `field` in `row`; `None` when the file has no such column or the
    /// cell is blank.
    fn text<'r>(&self, row: &'r Row, field: &str) -> Option<&'r str> {
        let i = *self.index.get(field)?;
        Some(row.cell(i)).filter(|t| !t.is_empty())
    }

    /// The column of `field` as the file heads it, else its usual (Chinese) header.
    fn column(&self, field: &str) -> String {
        if let Some(h) = self.index.get(field).and_then(|i| self.headers.get(*i)) {
            return h.clone();
        }
        self.columns
            .iter()
            .find(|c| c.field == field)
            .map_or_else(|| field.to_owned(), |c| c.zh.to_owned())
    }

    /// Cells under a blank header: data nobody can tell the meaning of.
    fn orphan_cells(&self, row: &Row) -> bool {
        row.cells.iter().enumerate().any(|(i, c)| {
            !c.trim().is_empty() && self.headers.get(i).is_none_or(|h| h.trim().is_empty())
        })
    }
}

/// App field names that differ from the file's column names.
fn column_field(field: &str) -> &str {
    match field {
        "region_id" => "region",
        "owner_id" => "owner",
        "department_id" => "department",
        other => other,
    }
}

/// Moves a row's field errors into the report; true when there were none.
fn settle(errors: &mut Errors, mapping: &Mapping, row: u32, fields: Fields) -> bool {
    match fields.finish() {
        Ok(()) => true,
        Err(Error::Invalid(map)) => {
            errors.bad_rows += 1;
            // Left to right, as the row reads in the file.
            let mut found: Vec<(&str, String)> =
                map.into_iter().map(|(f, m)| (column_field(f), m)).collect();
            found.sort_by_key(|(f, _)| mapping.index.get(f).copied().unwrap_or(usize::MAX));
            for (field, message) in found {
                errors.push(RowError {
                    row,
                    field: field.to_owned(),
                    column: mapping.column(field),
                    message,
                });
            }
            false
        }
        Err(_) => false,
    }
}

/// A coded value (kind, level, role) from its code or label; an unknown one is an error
/// listing the choices. Blank → `None`.
fn coded(
    fields: &mut Fields,
    field: &'static str,
    text: Option<&str>,
    labels: &[(&'static str, &'static [&'static str])],
) -> Option<String> {
    let text = text?;
    match code_of(labels, text) {
        Some(code) => Some(code.to_owned()),
        None => {
            fields.add(
                field,
                format!("`{text}` is not one of: {}", choices(labels)),
            );
            Some(text.to_owned())
        }
    }
}

/// Why `code` may not stand on `row`: an earlier row of the file has it. Remembers the
/// first row of each code.
fn repeated(codes: &mut HashMap<String, u32>, code: &str, row: u32) -> Option<String> {
    if code.is_empty() {
        return None;
    }
    match codes.get(code) {
        Some(first) => Some(format!("the same code as row {first} of this file")),
        None => {
            codes.insert(code.to_owned(), row);
            None
        }
    }
}

/// A whole number, or `None` when blank; anything else is an error on `field`.
fn whole(fields: &mut Fields, field: &'static str, text: Option<&str>) -> Option<i64> {
    let text = text?;
    match text.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            fields.add(field, format!("`{text}` is not a whole number"));
            None
        }
    }
}

/// Reference data an import looks names up in, loaded once and cached.
struct Lookups {
    regions: Vec<RegionRecord>,
    users: HashMap<String, Option<i64>>,
    /// Per owner id: why they cannot own customers, if they cannot.
    owners: HashMap<i64, Option<String>>,
}

impl Lookups {
    async fn load(tx: &mut Tx) -> Result<Lookups> {
        Ok(Lookups {
            regions: regions::all(tx).await?,
            users: HashMap::new(),
            owners: HashMap::new(),
        })
    }

    /// A region by its code, or by its Chinese or English name when only one has it.
    fn region(&self, text: &str) -> std::result::Result<i64, String> {
        if let Some(r) = self
            .regions
            .iter()
            .find(|r| r.code.eq_ignore_ascii_case(text))
        {
            return Ok(r.id);
        }
        let named: Vec<&RegionRecord> = self
            .regions
            .iter()
            .filter(|r| r.name_zh == text || r.name_en.eq_ignore_ascii_case(text))
            .collect();
        match named.as_slice() {
            [one] => Ok(one.id),
            [] => Err(format!(
                "no region `{text}`; give its code (e.g. EAST-SH) or its name as the regions page shows it"
            )),
            _ => Err(format!(
                "several regions are called `{text}`; give the region's code"
            )),
        }
    }

    async fn user(&mut self, tx: &mut Tx, username: &str) -> Result<Option<i64>> {
        if let Some(id) = self.users.get(username) {
            return Ok(*id);
        }
        let id = users::credentials(tx, username).await?.map(|(id, _, _)| id);
        self.users.insert(username.to_owned(), id);
        Ok(id)
    }

    async fn owner_problem(&mut self, tx: &mut Tx, owner_id: i64) -> Result<Option<String>> {
        if let Some(p) = self.owners.get(&owner_id) {
            return Ok(p.clone());
        }
        let mut f = Fields::default();
        check_owner(tx, &mut f, owner_id).await?;
        let problem = match f.finish() {
            Err(Error::Invalid(m)) => m.into_values().next(),
            _ => None,
        };
        self.owners.insert(owner_id, problem.clone());
        Ok(problem)
    }
}

/// A checked institution row, ready to write.
struct NewInstitution {
    row: u32,
    fields: InstitutionFields,
    region_id: i64,
    owner_id: i64,
}

/// A checked contact-file row, ready to write.
struct NewContactRow {
    row: u32,
    institution_id: i64,
    department: Option<String>,
    /// The institution has no such department yet: the import creates it.
    new_department: bool,
    /// The contact, with its phone and email as stored; `None` for a department-only row.
    contact: Option<(ContactInput, Option<String>, Option<String>)>,
}

enum Plan {
    Institutions(Vec<NewInstitution>),
    Contacts(Vec<NewContactRow>),
    /// `(row, product)`.
    Products(Vec<(u32, ProductInput)>),
    /// `(row, part)`.
    Parts(Vec<(u32, PartInput)>),
    Stock(Vec<parts::StockRow>),
}

/// PRD-1: every product row checked as the product form checks it, the manufacturer found by
/// name among the suppliers, codes unique in the file and in the catalog.
async fn check_products(
    tx: &mut Tx,
    table: &Table,
    progress: &dyn Progress,
) -> Result<(Plan, Errors)> {
    let mut errors = Errors::default();
    let required: &[&[&str]] = &[
        &["code"],
        &["name"],
        &["model"],
        &["product_line"],
        &["manufacturer"],
        &["unit"],
    ];
    let mapping = Mapping::new(table, PRODUCT_COLUMNS, required, &mut errors);
    if !errors.is_empty() {
        return Ok((Plan::Products(Vec::new()), errors));
    }
    let mut makers: HashMap<String, Option<(i64, String)>> = HashMap::new();
    let mut codes: HashMap<String, u32> = HashMap::new();
    let mut plan = Vec::new();
    progress.start(Phase::Checking, table.rows.len() as u64);
    for (i, row) in table.rows.iter().enumerate() {
        progress.advance(i as u64 + 1);
        let mut fields = Fields::default();
        let text = |f: &str| mapping.text(row, f);
        if mapping.orphan_cells(row) {
            fields.add("file", "a cell under a column without a header");
        }
        let maker_name = text("manufacturer").unwrap_or_default();
        if !makers.contains_key(maker_name) {
            let found = product_store::supplier_by_name(tx, maker_name)
                .await?
                .map(|s| (s.id, s.kind));
            makers.insert(maker_name.to_owned(), found);
        }
        let manufacturer_id = match makers.get(maker_name).cloned().flatten() {
            Some((id, kind)) if kind == "manufacturer" => id,
            Some(_) => {
                fields.add("manufacturer", "this supplier is not a manufacturer");
                0
            }
            None => {
                fields.add(
                    "manufacturer",
                    format!("no supplier `{maker_name}`; add it on the suppliers page first"),
                );
                0
            }
        };
        let flag = |fields: &mut Fields, field: &'static str, default: bool| {
            coded(fields, field, text(field), YES_NO_LABELS).map_or(default, |c| c == "yes")
        };
        let input = ProductInput {
            code: text("code").unwrap_or_default().to_owned(),
            name: text("name").unwrap_or_default().to_owned(),
            model: text("model").unwrap_or_default().to_owned(),
            product_line: coded(
                &mut fields,
                "product_line",
                text("product_line"),
                LINE_LABELS,
            )
            .unwrap_or_default(),
            manufacturer_id,
            unit: text("unit").unwrap_or_default().to_owned(),
            serialized: flag(&mut fields, "serialized", false),
            implantable: flag(&mut fields, "implantable", false),
            shelf_life_months: whole(&mut fields, "shelf_life_months", text("shelf_life_months")),
            active: flag(&mut fields, "active", true),
        };
        if let Err(Error::Invalid(map)) = check_product(&input) {
            for (field, message) in map {
                fields.add(field, message);
            }
        }
        let code = input.code.as_str();
        if let Some(e) = repeated(&mut codes, code, row.number) {
            fields.add("code", e);
        } else if !code.is_empty() && product_store::product_by_code(tx, code).await?.is_some() {
            fields.add("code", "a product with this code is already in the catalog");
        }
        if settle(&mut errors, &mapping, row.number, fields) {
            plan.push((row.number, input));
        }
    }
    Ok((Plan::Products(plan), errors))
}

async fn check_institutions(
    tx: &mut Tx,
    ctx: &Ctx,
    scope: Scope,
    table: &Table,
    progress: &dyn Progress,
) -> Result<(Plan, Errors)> {
    let mut errors = Errors::default();
    let mapping = Mapping::new(
        table,
        INSTITUTION_COLUMNS,
        &[&["name"], &["kind"], &["province"], &["city"]],
        &mut errors,
    );
    if !errors.is_empty() {
        return Ok((Plan::Institutions(Vec::new()), errors));
    }
    let tree = region_tree(tx).await?;
    let visible = policy::visible(&ctx.actor, scope, &tree);
    let mut lookups = Lookups::load(tx).await?;
    let mut by_code: HashMap<String, u32> = HashMap::new();
    let mut by_name: HashMap<(String, String), u32> = HashMap::new();
    let mut plan = Vec::new();
    progress.start(Phase::Checking, table.rows.len() as u64);
    for (i, row) in table.rows.iter().enumerate() {
        progress.advance(i as u64 + 1);
        let mut fields = Fields::default();
        let text = |f: &str| mapping.text(row, f);
        if mapping.orphan_cells(row) {
            fields.add("file", "a cell under a column without a header");
        }
        if text("kind").is_none() {
            fields.add("kind", format!("choose the kind: {}", choices(KIND_LABELS)));
        }
        let kind = coded(&mut fields, "kind", text("kind"), KIND_LABELS);
        let level = coded(&mut fields, "level", text("level"), LEVEL_LABELS);
        let input = InstitutionInput {
            name: Some(text("name").unwrap_or_default().to_owned()),
            credit_code: text("credit_code").map(str::to_owned),
            kind,
            level,
            province: Some(text("province").unwrap_or_default().to_owned()),
            city: Some(text("city").unwrap_or_default().to_owned()),
            address: text("address").map(str::to_owned),
            beds: Some(whole(&mut fields, "beds", text("beds"))),
            phone: text("phone").map(str::to_owned),
            scale_score: whole(&mut fields, "scale_score", text("scale_score")),
            demand_score: whole(&mut fields, "demand_score", text("demand_score")),
            willingness_score: whole(&mut fields, "willingness_score", text("willingness_score")),
            needs: text("needs").map(str::to_owned),
            preferences: text("preferences").map(str::to_owned),
            procurement_plan: text("procurement_plan").map(str::to_owned),
            region_id: None,
            owner_id: None,
        };
        // As on the form: the caller's first region and the caller, unless the file says.
        let region_id = match text("region") {
            Some(t) => lookups.region(t).map_err(|e| fields.add("region", e)).ok(),
            None => {
                let first = ctx.actor.region_ids.first().copied();
                if first.is_none() {
                    fields.add("region", "give the region (you have none of your own)");
                }
                first
            }
        };
        let owner_id = match text("owner") {
            Some(username) => {
                let id = lookups.user(tx, username).await?;
                if id.is_none() {
                    fields.add(
                        "owner",
                        format!("no user `{username}`; give the owner's username"),
                    );
                }
                id
            }
            None => Some(ctx.actor.user_id),
        };
        if let (Some(region), Some(owner)) = (region_id, owner_id) {
            check_territory(&mut fields, ctx, &visible, &tree, region, owner);
            if let Some(problem) = lookups.owner_problem(tx, owner).await? {
                fields.add("owner", problem);
            }
        }
        let checked = match institution_fields(input, None) {
            Ok(f) => Some(f),
            Err(Error::Invalid(map)) => {
                for (field, message) in map {
                    fields.add(field, message);
                }
                None
            }
            Err(e) => return Err(e),
        };
        if let Some(f) = &checked {
            // CUS-1 within the file: the first row wins, later ones name it.
            if let Some(code) = &f.credit_code {
                if let Some(first) = by_code.get(code) {
                    fields.add(
                        "credit_code",
                        format!("the same credit code as row {first} of this file"),
                    );
                } else {
                    by_code.insert(code.clone(), row.number);
                }
            }
            let key = (f.name.clone(), f.city.clone());
            if let Some(first) = by_name.get(&key) {
                fields.add(
                    "name",
                    format!("the same name and city as row {first} of this file"),
                );
            } else {
                by_name.insert(key, row.number);
            }
            // CUS-1 against the database, with the same message as the form.
            match refuse_duplicate(tx, f, None).await {
                Ok(()) => {}
                Err(Error::Conflict { field, message }) => {
                    fields.add(field.unwrap_or("name"), message);
                }
                Err(e) => return Err(e),
            }
        }
        if settle(&mut errors, &mapping, row.number, fields)
            && let (Some(fields), Some(region_id), Some(owner_id)) = (checked, region_id, owner_id)
        {
            plan.push(NewInstitution {
                row: row.number,
                fields,
                region_id,
                owner_id,
            });
        }
    }
    Ok((Plan::Institutions(plan), errors))
}

/// The institutions of one contact file: what is known about each, loaded once.
#[derive(Default)]
struct Institutions {
    /// Identifying text → the institution's id, or the reason it cannot be used.
    found: HashMap<String, std::result::Result<i64, (&'static str, String)>>,
    /// Per institution: its contacts as `(name, phone)`.
    contacts: HashMap<i64, Vec<(String, String)>>,
    /// Per institution: the names of its departments.
    departments: HashMap<i64, Vec<String>>,
}

impl Institutions {
    /// The institution a row names, if the caller may manage it. One that exists outside the
    /// caller's scope reads exactly like a missing one, as on its page.
    async fn find(
        &mut self,
        tx: &mut Tx,
        visible: &Visible,
        mapping: &Mapping,
        row: &Row,
    ) -> Result<std::result::Result<i64, (&'static str, String)>> {
        let text = |f: &str| mapping.text(row, f);
        let city = text("city").unwrap_or_default();
        let (key, field, missing) = if let Some(id) = text("institution_id") {
            let missing = format!("none of your customers has the ID {id}");
            (format!("id:{id}"), "institution_id", missing)
        } else if let Some(code) = text("credit_code") {
            let code = code.to_uppercase();
            let missing = format!("none of your customers has the credit code {code}");
            (format!("code:{code}"), "credit_code", missing)
        } else if let Some(name) = text("institution") {
            let missing = format!("none of your customers is called {name} in {city}");
            (format!("name:{name}\u{0}{city}"), "institution", missing)
        } else {
            return Ok(Err((
                "institution",
                "name the institution: its ID, its credit code, or its name and city".into(),
            )));
        };
        if let Some(found) = self.found.get(&key) {
            return Ok(found.clone());
        }
        let id = match field {
            "institution_id" => text("institution_id").and_then(|t| t.parse::<i64>().ok()),
            "credit_code" => {
                let code = text("credit_code").unwrap_or_default().to_uppercase();
                store::find_duplicate(tx, Some(&code), "", "", None)
                    .await?
                    .map(|(id, _, _)| id)
            }
            _ if city.is_empty() => {
                return Ok(Err((
                    "city",
                    "give the city with the institution's name (the same name can be in two cities)"
                        .into(),
                )));
            }
            _ => {
                let name = text("institution").unwrap_or_default();
                store::find_duplicate(tx, None, name, city, None)
                    .await?
                    .map(|(id, _, _)| id)
            }
        };
        let mine = match id {
            Some(id) => store::get(tx, id)
                .await?
                .filter(|r| policy::can_see(visible, Some(r.owner_id), &[r.region_id]))
                .map(|r| r.id),
            None => None,
        };
        let found = mine.ok_or((field, missing));
        self.found.insert(key, found.clone());
        Ok(found)
    }

    async fn departments_of(&mut self, tx: &mut Tx, id: i64) -> Result<&Vec<String>> {
        match self.departments.entry(id) {
            std::collections::hash_map::Entry::Occupied(known) => Ok(known.into_mut()),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let known = store::departments(tx, id)
                    .await?
                    .into_iter()
                    .map(|d| d.name)
                    .collect();
                Ok(slot.insert(known))
            }
        }
    }

    async fn contacts_of(&mut self, tx: &mut Tx, id: i64) -> Result<&mut Vec<(String, String)>> {
        match self.contacts.entry(id) {
            std::collections::hash_map::Entry::Occupied(known) => Ok(known.into_mut()),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let known = store::contacts(tx, id)
                    .await?
                    .into_iter()
                    .map(|c| (c.name, c.phone))
                    .collect();
                Ok(slot.insert(known))
            }
        }
    }
}

async fn check_contacts(
    tx: &mut Tx,
    ctx: &Ctx,
    scope: Scope,
    table: &Table,
    progress: &dyn Progress,
) -> Result<(Plan, Errors)> {
    let mut errors = Errors::default();
    let mapping = Mapping::new(
        table,
        CONTACT_COLUMNS,
        &[
            &["institution_id", "credit_code", "institution"],
            &["name", "department"],
        ],
        &mut errors,
    );
    if !errors.is_empty() {
        return Ok((Plan::Contacts(Vec::new()), errors));
    }
    let tree = region_tree(tx).await?;
    let visible = policy::visible(&ctx.actor, scope, &tree);
    let mut known = Institutions::default();
    let mut first_seen: HashMap<(i64, String, String), u32> = HashMap::new();
    let mut plan = Vec::new();
    progress.start(Phase::Checking, table.rows.len() as u64);
    for (i, row) in table.rows.iter().enumerate() {
        progress.advance(i as u64 + 1);
        let mut fields = Fields::default();
        let text = |f: &str| mapping.text(row, f);
        if mapping.orphan_cells(row) {
            fields.add("file", "a cell under a column without a header");
        }
        let institution = match known.find(tx, &visible, &mapping, row).await? {
            Ok(id) => Some(id),
            Err((field, message)) => {
                fields.add(field, message);
                None
            }
        };
        let department = text("department").map(str::to_owned);
        if let Some(d) = &department {
            crate::customers::check_text(&mut fields, "department", d, 1, 50);
        }
        let contact = match text("name") {
            None => {
                if department.is_none() {
                    fields.add("name", "give the contact's name, or a department to add");
                }
                None
            }
            Some(name) => {
                let role = coded(&mut fields, "role", text("role"), ROLE_LABELS)
                    .unwrap_or_else(|| "other".to_owned());
                let input = ContactInput {
                    department_id: None,
                    name: name.to_owned(),
                    role,
                    title: text("title").unwrap_or_default().to_owned(),
                    phone: text("phone").unwrap_or_default().to_owned(),
                    email: text("email").unwrap_or_default().to_owned(),
                };
                let (phone, email) = contact_fields(&mut fields, &input);
                Some((input, phone, email))
            }
        };
        if let (Some(id), Some((c, phone, _))) = (institution, &contact) {
            let name = c.name.trim().to_owned();
            let phone = phone.clone().unwrap_or_default();
            let key = (id, name.clone(), phone.clone());
            if known
                .contacts_of(tx, id)
                .await?
                .iter()
                .any(|(n, p)| *n == name && *p == phone)
            {
                fields.add(
                    "name",
                    format!(
                        "{name} is already a contact of this institution (same name and phone)"
                    ),
                );
            } else if let Some(first) = first_seen.get(&key) {
                fields.add(
                    "name",
                    format!("the same contact as row {first} of this file"),
                );
            } else {
                first_seen.insert(key, row.number);
            }
        }
        let new_department = match (institution, &department) {
            (Some(id), Some(name)) => !known.departments_of(tx, id).await?.contains(name),
            _ => false,
        };
        if settle(&mut errors, &mapping, row.number, fields)
            && let Some(institution_id) = institution
        {
            plan.push(NewContactRow {
                row: row.number,
                institution_id,
                department,
                new_department,
                contact,
            });
        }
    }
    Ok((Plan::Contacts(plan), errors))
}

async fn check(
    tx: &mut Tx,
    ctx: &Ctx,
    scope: Scope,
    kind: ImportKind,
    table: &Table,
    progress: &dyn Progress,
) -> Result<(Plan, Errors)> {
    match kind {
        ImportKind::Institutions => check_institutions(tx, ctx, scope, table, progress).await,
        ImportKind::Contacts => check_contacts(tx, ctx, scope, table, progress).await,
        ImportKind::Products => check_products(tx, table, progress).await,
        ImportKind::Parts => parts::check_parts(tx, table, progress).await,
        ImportKind::Stock => parts::check_stock(tx, table, progress).await,
    }
}

/// What the plan would create, counted before writing (a dry run reports it too).
fn planned(plan: &Plan) -> Created {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    match plan {
        Plan::Institutions(rows) => Created {
            institutions: count(rows.len()),
            ..Created::default()
        },
        Plan::Products(rows) => Created {
            products: count(rows.len()),
            ..Created::default()
        },
        Plan::Parts(rows) => Created {
            parts: count(rows.len()),
            ..Created::default()
        },
        Plan::Stock(rows) => Created {
            stock: count(rows.len()),
            ..Created::default()
        },
        Plan::Contacts(rows) => {
            let mut departments: Vec<(i64, &str)> = rows
                .iter()
                .filter(|r| r.new_department)
                .filter_map(|r| Some((r.institution_id, r.department.as_deref()?)))
                .collect();
            departments.sort_unstable();
            departments.dedup();
            Created {
                departments: count(departments.len()),
                contacts: count(rows.iter().filter(|r| r.contact.is_some()).count()),
                ..Created::default()
            }
        }
    }
}

/// A write refused by the database (a rule the check could not foresee) becomes the row's
/// error; anything else is an infrastructure failure and propagates.
fn refused(row: u32, e: Error) -> Result<RowError> {
    let (field, message) = match e {
        Error::Conflict { field, message } => (field.unwrap_or("row"), message),
        Error::Invalid(map) => match map.into_iter().next() {
            Some((f, m)) => (f, m),
            None => ("row", "refused".into()),
        },
        Error::NotFound(what) => ("row", format!("{what} not found")),
        other => return Err(other),
    };
    Ok(RowError {
        row,
        field: column_field(field).to_owned(),
        column: column_field(field).to_owned(),
        message,
    })
}

/// Writes a checked plan; `Ok(Err(row error))` when the database refused a row, after which
/// the caller must drop the transaction.
async fn write(
    tx: &mut Tx,
    ctx: &Ctx,
    plan: Plan,
    progress: &dyn Progress,
) -> Result<std::result::Result<Created, RowError>> {
    let mut created = Created::default();
    match plan {
        Plan::Institutions(rows) => {
            let (rule, visit_policy) = rules(tx).await?;
            progress.start(Phase::Writing, rows.len() as u64);
            for (i, r) in rows.into_iter().enumerate() {
                progress.advance(i as u64 + 1);
                let result = insert_institution(
                    tx,
                    ctx,
                    &r.fields,
                    r.region_id,
                    r.owner_id,
                    &rule,
                    &visit_policy,
                )
                .await;
                if let Err(e) = result {
                    return Ok(Err(refused(r.row, e)?));
                }
                created.institutions += 1;
            }
        }
        Plan::Products(rows) => {
            progress.start(Phase::Writing, rows.len() as u64);
            for (i, (row, input)) in rows.into_iter().enumerate() {
                progress.advance(i as u64 + 1);
                if let Err(e) = insert_product(tx, ctx, &input).await {
                    return Ok(Err(refused(row, e)?));
                }
                created.products += 1;
            }
        }
        Plan::Parts(rows) => {
            progress.start(Phase::Writing, rows.len() as u64);
            for (i, (row, input)) in rows.into_iter().enumerate() {
                progress.advance(i as u64 + 1);
                let written = match check_part(&input) {
                    Ok(tracking) => insert_part(tx, ctx, &input, tracking).await.map(|_| ()),
                    Err(e) => Err(e),
                };
                if let Err(e) = written {
                    return Ok(Err(refused(row, e)?));
                }
                created.parts += 1;
            }
        }
        Plan::Stock(rows) => {
            progress.start(Phase::Writing, rows.len() as u64);
            for (i, r) in rows.iter().enumerate() {
                progress.advance(i as u64 + 1);
                if let Err(e) = parts::write_stock(tx, ctx, r).await {
                    return Ok(Err(refused(r.row, e)?));
                }
                created.stock += 1;
            }
        }
        Plan::Contacts(rows) => {
            let mut departments: HashMap<i64, BTreeMap<String, i64>> = HashMap::new();
            progress.start(Phase::Writing, rows.len() as u64);
            for (i, r) in rows.into_iter().enumerate() {
                progress.advance(i as u64 + 1);
                let id = r.institution_id;
                if let std::collections::hash_map::Entry::Vacant(slot) = departments.entry(id) {
                    let known = store::departments(tx, id).await?;
                    slot.insert(known.into_iter().map(|d| (d.name, d.id)).collect());
                }
                let department_id = match &r.department {
                    None => None,
                    Some(name) => {
                        let existing = departments.get(&id).and_then(|d| d.get(name)).copied();
                        match existing {
                            Some(d) => Some(d),
                            None => match insert_department(tx, ctx, id, name).await {
                                Ok(d) => {
                                    created.departments += 1;
                                    departments.entry(id).or_default().insert(d.name, d.id);
                                    Some(d.id)
                                }
                                Err(e) => return Ok(Err(refused(r.row, e)?)),
                            },
                        }
                    }
                };
                if let Some((mut c, phone, email)) = r.contact {
                    c.department_id = department_id;
                    let inserted =
                        insert_contact(tx, ctx, id, &c, phone.as_deref(), email.as_deref()).await;
                    if let Err(e) = inserted {
                        return Ok(Err(refused(r.row, e)?));
                    }
                    created.contacts += 1;
                }
            }
        }
    }
    Ok(Ok(created))
}

/// The report of a refused file: nothing created, every listed error.
fn refuse(mut report: ImportReport, errors: Errors) -> ImportReport {
    // A wrong header row means no row was checked at all.
    let header_only = errors.bad_rows == 0;
    report.rows_ok = if header_only {
        0
    } else {
        report.rows.saturating_sub(errors.bad_rows)
    };
    report.created = Created::default();
    report.errors = errors.list;
    report.more_errors = errors.more;
    report
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl App {
    /// SYS-3: reads a file's bytes and imports its rows ([`App::import_customers`]). The
    /// caller's permission is checked before the file is looked at. A file that cannot be
    /// read is `Invalid` on the field `file`, saying why.
    pub async fn import_file(
        &self,
        ctx: &Ctx,
        kind: ImportKind,
        format: Option<Format>,
        bytes: impl AsRef<[u8]> + Send + 'static,
        dry_run: bool,
        progress: &dyn Progress,
    ) -> Result<ImportReport> {
        policy::require(&ctx.actor, kind.action())?;
        progress.start(Phase::Reading, 0);
        // Parsing 20 MiB is CPU work: off the async threads. A panic in a parser on a
        // hostile file is a file that cannot be read, not a crash.
        let table = tokio::task::spawn_blocking(move || parse_table(bytes.as_ref(), format))
            .await
            .map_err(|_| Error::invalid("file", "this file cannot be read"))??;
        self.import_customers(ctx, kind, &table, dry_run, progress)
            .await
    }

    /// SYS-3: checks every row of `table` and, unless `dry_run` or a row is bad, creates them
    /// all in one transaction, each audited. The report lists every bad row (up to
    /// [`MAX_REPORTED_ERRORS`]); when it has any, nothing was written.
    pub async fn import_customers(
        &self,
        ctx: &Ctx,
        kind: ImportKind,
        table: &Table,
        dry_run: bool,
        progress: &dyn Progress,
    ) -> Result<ImportReport> {
        let scope = policy::require(&ctx.actor, kind.action())?;
        if table.rows.len() > MAX_ROWS {
            return Err(Error::invalid(
                "file",
                format!("the file has more than {MAX_ROWS} rows; split it into smaller files"),
            ));
        }
        let mut report = ImportReport {
            kind,
            dry_run,
            rows: count(table.rows.len()),
            rows_ok: 0,
            imported: false,
            created: Created::default(),
            errors: Vec::new(),
            more_errors: 0,
        };
        // First pass in a read transaction: a file with mistakes never blocks writers.
        let mut tx = self.db.read().await?;
        let (plan, errors) = check(&mut tx, ctx, scope, kind, table, progress).await?;
        drop(tx);
        if !errors.is_empty() {
            return Ok(refuse(report, errors));
        }
        report.rows_ok = report.rows;
        report.created = planned(&plan);
        if dry_run {
            return Ok(report);
        }
        // Second pass inside the write transaction, so nothing changed in between.
        let mut tx = self.db.write().await?;
        let (plan, errors) = check(&mut tx, ctx, scope, kind, table, &Quiet).await?;
        if !errors.is_empty() {
            return Ok(refuse(report, errors));
        }
        let created = match write(&mut tx, ctx, plan, progress).await? {
            Ok(created) => created,
            Err(row_error) => {
                // Dropping the transaction rolls every row back.
                drop(tx);
                report.rows_ok = report.rows.saturating_sub(1);
                report.created = Created::default();
                report.errors = vec![row_error];
                return Ok(report);
            }
        };
        let summary = serde_json::json!({
            "kind": kind.code(),
            "rows": report.rows,
            "institutions": created.institutions,
            "departments": created.departments,
            "contacts": created.contacts,
            "products": created.products,
            "parts": created.parts,
            "stock": created.stock,
        });
        audit::record(
            &mut tx,
            ctx,
            "import",
            kind.code(),
            "import",
            None,
            Some(&summary),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(kind = kind.code(), rows = report.rows, "import committed");
        report.created = created;
        report.imported = true;
        Ok(report)
    }

    /// SYS-3, PRD-1: the catalog entries the product list shows for `query`, in the import's
    /// columns plus each product's latest registration (export only).
    pub async fn export_products(
        &self,
        ctx: &Ctx,
        query: &ProductQuery,
        labels: Labels,
    ) -> Result<Table> {
        let mut q = ProductQuery {
            cursor: None,
            limit: Some(MAX_PAGE_SIZE),
            ..query.clone()
        };
        let mut products = Vec::new();
        let max_pages = MAX_ROWS / MAX_PAGE_SIZE as usize + 2;
        for _ in 0..max_pages {
            let page = self.products(ctx, &q).await?;
            products.extend(page.items);
            match page.next_cursor {
                Some(c) if products.len() <= MAX_ROWS => q.cursor = Some(c),
                Some(_) => {
                    return Err(Error::invalid(
                        "filters",
                        format!(
                            "more than {MAX_ROWS} products match; narrow the filters to export"
                        ),
                    ));
                }
                None => break,
            }
        }
        let mut tx = self.db.read().await?;
        // Latest validity first: the first registration of each product is its current one.
        let mut current: HashMap<i64, product_store::DocumentRecord> = HashMap::new();
        for d in product_store::registrations(&mut tx).await? {
            if let Some(p) = d.product_id {
                current.entry(p).or_insert(d);
            }
        }
        let coded = |table, code: &str| labels.word(table, code);
        let yes_no = |b: bool| coded(YES_NO_LABELS, if b { "yes" } else { "no" });
        let mut rows = Vec::with_capacity(products.len());
        for (i, p) in products.into_iter().enumerate() {
            let registration = current.get(&p.id);
            let cells = PRODUCT_COLUMNS
                .iter()
                .map(|c| match c.field {
                    "id" => p.id.to_string(),
                    "code" => p.code.clone(),
                    "name" => p.name.clone(),
                    "model" => p.model.clone(),
                    "product_line" => coded(LINE_LABELS, &p.product_line),
                    "manufacturer" => p.manufacturer_name.clone(),
                    "unit" => p.unit.clone(),
                    "serialized" => yes_no(p.serialized),
                    "implantable" => yes_no(p.implantable),
                    "shelf_life_months" => p
                        .shelf_life_months
                        .map(|m| m.to_string())
                        .unwrap_or_default(),
                    "active" => yes_no(p.active),
                    "registration" => registration.map(|d| d.number.clone()).unwrap_or_default(),
                    "registration_valid_to" => {
                        registration.map(|d| d.valid_to.clone()).unwrap_or_default()
                    }
                    _ => String::new(),
                })
                .collect();
            rows.push(Row {
                number: count(i + 2),
                cells,
            });
        }
        Ok(table_of(PRODUCT_COLUMNS, labels, rows, "products"))
    }

    /// Every institution the caller's list shows for `query` (their scope only), paging
    /// through the same use case as the list. More than [`MAX_ROWS`] is refused: narrow the
    /// filters.
    async fn all_institutions(
        &self,
        ctx: &Ctx,
        query: &InstitutionQuery,
    ) -> Result<Vec<InstitutionView>> {
        let mut q = InstitutionQuery {
            cursor: None,
            limit: Some(MAX_PAGE_SIZE),
            ..query.clone()
        };
        let too_many = || {
            Error::invalid(
                "filters",
                format!("more than {MAX_ROWS} customers match; narrow the filters to export"),
            )
        };
        let mut out = Vec::new();
        // Bounded: one page more than the limit allows is already an error.
        let max_pages = MAX_ROWS / MAX_PAGE_SIZE as usize + 2;
        for _ in 0..max_pages {
            let page = self.institutions(ctx, &q).await?;
            out.extend(page.items);
            if out.len() > MAX_ROWS {
                return Err(too_many());
            }
            match page.next_cursor {
                Some(c) => q.cursor = Some(c),
                None => return Ok(out),
            }
        }
        Err(too_many())
    }

    /// SYS-3: the institutions of the caller's list for `query` as a table, with every
    /// importable column (owner as username, region by name or code) and the classification
    /// and visit dates (ignored when imported again).
    pub async fn export_institutions(
        &self,
        ctx: &Ctx,
        query: &InstitutionQuery,
        labels: Labels,
    ) -> Result<Table> {
        let views = self.all_institutions(ctx, query).await?;
        let mut tx = self.db.read().await?;
        let regions: HashMap<i64, RegionRecord> = regions::all(&mut tx)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let mut usernames: HashMap<i64, String> = HashMap::new();
        for v in &views {
            let owner = v.record.owner_id;
            if let std::collections::hash_map::Entry::Vacant(slot) = usernames.entry(owner) {
                let user = users::get(&mut tx, owner).await?;
                slot.insert(user.map(|u| u.username).unwrap_or_default());
            }
        }
        let coded = |table, code: &str| labels.word(table, code);
        let rows = views
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let r = v.record;
                let region = regions
                    .get(&r.region_id)
                    .map_or_else(String::new, |g| match labels {
                        Labels::Chinese => g.name_zh.clone(),
                        Labels::Codes => g.code.clone(),
                    });
                let cells = INSTITUTION_COLUMNS
                    .iter()
                    .map(|c| match c.field {
                        "id" => r.id.to_string(),
                        "name" => r.name.clone(),
                        "credit_code" => r.credit_code.clone().unwrap_or_default(),
                        "kind" => coded(KIND_LABELS, &r.kind),
                        "level" => coded(LEVEL_LABELS, &r.level),
                        "province" => r.province.clone(),
                        "city" => r.city.clone(),
                        "address" => r.address.clone(),
                        "beds" => r.beds.map(|b| b.to_string()).unwrap_or_default(),
                        "phone" => r.phone.clone(),
                        "scale_score" => r.scale_score.to_string(),
                        "demand_score" => r.demand_score.to_string(),
                        "willingness_score" => r.willingness_score.to_string(),
                        "needs" => r.needs.clone(),
                        "preferences" => r.preferences.clone(),
                        "procurement_plan" => r.procurement_plan.clone(),
                        "region" => region.clone(),
                        "owner" => usernames.get(&r.owner_id).cloned().unwrap_or_default(),
                        "grade" => r.grade.clone(),
                        "category" => coded(CATEGORY_LABELS, &r.category),
                        "last_visit_on" => r.last_visit_on.clone().unwrap_or_default(),
                        "next_visit_due" => r.next_visit_due.clone(),
                        _ => String::new(),
                    })
                    .collect();
                Row {
                    number: count(i + 2),
                    cells,
                }
            })
            .collect();
        Ok(table_of(INSTITUTION_COLUMNS, labels, rows, "institutions"))
    }

    /// SYS-3: the departments and contacts of the institutions of the caller's list for
    /// `query`, in the contact file's columns (a department without contacts is a row of its
    /// own). Importable as it is into another installation.
    pub async fn export_contacts(
        &self,
        ctx: &Ctx,
        query: &InstitutionQuery,
        labels: Labels,
    ) -> Result<Table> {
        let views = self.all_institutions(ctx, query).await?;
        let mut tx = self.db.read().await?;
        let mut rows = Vec::new();
        let role = |code: &str| match labels {
            Labels::Chinese => label_of(ROLE_LABELS, code),
            Labels::Codes => code.to_owned(),
        };
        for v in &views {
            let r = &v.record;
            let departments = store::departments(&mut tx, r.id).await?;
            let contacts = store::contacts(&mut tx, r.id).await?;
            let mut line = |department: &str, c: Option<&store::ContactRecord>| {
                let cells = CONTACT_COLUMNS
                    .iter()
                    .map(|col| match col.field {
                        "institution_id" => r.id.to_string(),
                        "credit_code" => r.credit_code.clone().unwrap_or_default(),
                        "institution" => r.name.clone(),
                        "city" => r.city.clone(),
                        "department" => department.to_owned(),
                        "name" => c.map(|c| c.name.clone()).unwrap_or_default(),
                        "role" => c.map(|c| role(&c.role)).unwrap_or_default(),
                        "title" => c.map(|c| c.title.clone()).unwrap_or_default(),
                        "phone" => c.map(|c| c.phone.clone()).unwrap_or_default(),
                        "email" => c.map(|c| c.email.clone()).unwrap_or_default(),
                        _ => String::new(),
                    })
                    .collect();
                rows.push(Row {
                    number: count(rows.len() + 2),
                    cells,
                });
            };
            for d in &departments {
                let staff: Vec<&store::ContactRecord> = contacts
                    .iter()
                    .filter(|c| c.department_id == Some(d.id))
                    .collect();
                if staff.is_empty() {
                    line(&d.name, None);
                }
                for c in staff {
                    line(&d.name, Some(c));
                }
            }
            for c in contacts.iter().filter(|c| {
                c.department_id
                    .is_none_or(|d| !departments.iter().any(|x| x.id == d))
            }) {
                line("", Some(c));
            }
            if rows.len() > MAX_ROWS {
                return Err(Error::invalid(
                    "filters",
                    format!("more than {MAX_ROWS} contacts match; narrow the filters to export"),
                ));
            }
        }
        Ok(table_of(CONTACT_COLUMNS, labels, rows, "contacts"))
    }

    /// The acting user `username` as a session of theirs would carry them: for the CLI's
    /// `--as`, so an operator's import gets that user's scope and is audited under their
    /// name. Unknown or deactivated users are refused.
    pub async fn ctx_as(&self, username: &str, request_id: &str) -> Result<Ctx> {
        let mut tx = self.db.read().await?;
        let not_found = || Error::invalid("as", format!("no active user `{username}`"));
        let (id, _, active) = users::credentials(&mut tx, username)
            .await?
            .ok_or_else(not_found)?;
        if !active {
            return Err(not_found());
        }
        let actor = crate::auth::load_actor(&mut tx, id, 0)
            .await
            .map_err(|_| not_found())?;
        Ok(Ctx {
            actor,
            request_id: request_id.to_owned(),
        })
    }
}

/// An empty file of `kind` with its headers, to fill in.
pub fn import_template(kind: ImportKind, labels: Labels) -> Table {
    let columns: Vec<&Column> = kind.columns().iter().filter(|c| c.imported).collect();
    Table {
        header_row: 1,
        headers: columns.iter().map(|c| header(c, labels)).collect(),
        rows: Vec::new(),
        numeric: Vec::new(),
        sheet: kind.code().to_owned(),
    }
}

fn header(c: &Column, labels: Labels) -> String {
    match labels {
        Labels::Chinese => c.zh.to_owned(),
        Labels::Codes => c.field.to_owned(),
    }
}

fn table_of(columns: &[Column], labels: Labels, rows: Vec<Row>, sheet: &str) -> Table {
    Table {
        header_row: 1,
        headers: columns.iter().map(|c| header(c, labels)).collect(),
        rows,
        numeric: columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.numeric)
            .map(|(i, _)| i)
            .collect(),
        sheet: sheet.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(headers: &[&str], rows: &[&[&str]]) -> Table {
        Table {
            header_row: 1,
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, r)| Row {
                    number: i as u32 + 2,
                    cells: r.iter().map(|c| (*c).to_owned()).collect(),
                })
                .collect(),
            ..Table::default()
        }
    }

    #[test]
    fn sys_3_header_problems_are_reported_on_the_header_row() {
        let t = table(&["名称", "nmae", "类型", "类型", "省份", "ABC分类"], &[]);
        let mut errors = Errors::default();
        let m = Mapping::new(
            &t,
            INSTITUTION_COLUMNS,
            &[&["name"], &["kind"], &["province"], &["city"]],
            &mut errors,
        );
        let messages: Vec<(u32, &str, &str)> = errors
            .list
            .iter()
            .map(|e| (e.row, e.column.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages[0].1 == "nmae" && messages[0].2.starts_with("unknown column"));
        assert!(messages[1].1 == "类型" && messages[1].2.contains("twice"));
        // ABC分类 is not a column; the grade column of an export is 等级 and is ignored.
        assert_eq!(messages[2].1, "ABC分类");
        assert!(messages[3].2.contains("城市"), "{messages:?}");
        assert_eq!(m.column("name"), "名称");
        assert_eq!(m.column("city"), "城市");
    }

    #[test]
    fn sys_3_an_export_header_row_is_a_valid_import_header_row() {
        for labels in [Labels::Chinese, Labels::Codes] {
            for (kind, columns) in [
                (ImportKind::Institutions, INSTITUTION_COLUMNS),
                (ImportKind::Contacts, CONTACT_COLUMNS),
            ] {
                let t = table_of(columns, labels, Vec::new(), "x");
                let mut errors = Errors::default();
                Mapping::new(&t, kind.columns(), &[], &mut errors);
                assert!(
                    errors.list.is_empty(),
                    "{kind:?} {labels:?}: {:?}",
                    errors.list
                );
                let tpl = import_template(kind, labels);
                Mapping::new(&tpl, kind.columns(), &[], &mut errors);
                assert!(errors.list.is_empty());
            }
        }
    }

    #[test]
    fn errors_are_bounded() {
        let mut e = Errors::default();
        for i in 0..(MAX_REPORTED_ERRORS + 5) {
            e.push(RowError {
                row: i as u32,
                field: String::new(),
                column: String::new(),
                message: String::new(),
            });
        }
        assert_eq!(e.list.len(), MAX_REPORTED_ERRORS);
        assert_eq!(e.more, 5);
    }
}
