//! Bulk rows for `medcrm bench contracts`: contracts in execution with their terms, orders,
//! deliveries, delivered serialized devices (the installed base) and invoices, written by
//! `INSERT … SELECT` over a generated number series, so a million devices never cross the wire.
//! Ids are explicit (from the current maxima) so every table can point at the rows of the same
//! batch; [`after_bulk_insert`] moves PostgreSQL's sequences past them.

use crate::{Backend, Classify, Db, Result, Tx, exec, on};

/// One batch of generated contracts.
#[derive(Debug, Clone)]
pub struct ContractBatch {
    /// Contract numbers `first..first + contracts` of the generated book (0-based, stable).
    pub first: i64,
    pub contracts: i64,
    pub devices_per_contract: i64,
    pub invoices_per_contract: i64,
    /// Devices per lot: a recall by lot finds this many devices.
    pub lot_size: i64,
    /// Serialized products the devices are spread over, by lot.
    pub products: Vec<i64>,
    /// Bench institutions, `first_institution..first_institution + institutions` (contiguous).
    pub first_institution: i64,
    pub institutions: i64,
    pub created_by: i64,
    /// Today, `YYYY-MM-DD`: dates are spread back from it.
    pub today: String,
    pub now_ms: i64,
}

/// The highest ids of the generated tables (0 when empty), in the order contracts, orders,
/// order lines, deliveries, delivery items, installed devices, invoices.
pub async fn max_ids(tx: &mut Tx) -> Result<[i64; 7]> {
    let row: (i64, i64, i64, i64, i64, i64, i64) = on!(tx, c => sqlx::query_as(
        "SELECT (SELECT COALESCE(MAX(id), 0) FROM contracts),
                (SELECT COALESCE(MAX(id), 0) FROM orders),
                (SELECT COALESCE(MAX(id), 0) FROM order_lines),
                (SELECT COALESCE(MAX(id), 0) FROM deliveries),
                (SELECT COALESCE(MAX(id), 0) FROM delivery_items),
                (SELECT COALESCE(MAX(id), 0) FROM installed_devices),
                (SELECT COALESCE(MAX(id), 0) FROM invoices)")
        .fetch_one(c).await)
    .db()?;
    Ok([row.0, row.1, row.2, row.3, row.4, row.5, row.6])
}

/// `day` minus `days` (an SQL integer expression) as `YYYY-MM-DD`, in the backend's dialect.
fn days_before(backend: Backend, day: &str, days: &str) -> String {
    match backend {
        Backend::Sqlite => format!("date('{day}', '-' || ({days}) || ' days')"),
        Backend::Postgres => {
            format!("to_char(CAST('{day}' AS date) - CAST({days} AS integer), 'YYYY-MM-DD')")
        }
    }
}

/// Writes one batch. Contract `k` of the book (k = first + x) belongs to institution
/// `k mod institutions`; its devices are numbered `k × devices_per_contract + d`, and device
/// `n` is in lot `n / lot_size` of product `lot mod products`.
pub async fn insert_batch(tx: &mut Tx, b: &ContractBatch) -> Result<()> {
    let [contract, order, order_line, delivery, item, device, invoice] = max_ids(tx).await?;
    let backend = tx.backend();
    let n = b.contracts;
    let per = b.devices_per_contract;
    let series = format!(
        "WITH RECURSIVE s(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM s WHERE x + 1 < {n})"
    );
    // The product of contract x: every device of one contract is of one lot's product.
    let product_case = {
        let mut case = String::from("CASE");
        let count = i64::try_from(b.products.len()).unwrap_or(1).max(1);
        for (i, p) in (0_i64..).zip(&b.products) {
            case.push_str(&format!(
                " WHEN ((({first} + s.x) * {per}) / {lot}) % {count} = {i} THEN {p}",
                first = b.first,
                lot = b.lot_size
            ));
        }
        case.push_str(" END");
        case
    };
    let signed_on = days_before(backend, &b.today, "(s.x * 7) % 1000 + 30");
    let shipped_on = days_before(backend, &b.today, "(s.x * 7) % 1000");
    let institution = format!(
        "{} + (({} + s.x) % {})",
        b.first_institution, b.first, b.institutions
    );
    let price = 50_000_000_i64;
    let total = price * per;
    let statements = [
        format!(
            "{series} INSERT INTO contracts (id, number, title, institution_id, owner_id, region_id,
                status, version, effective_version, signed_on, total_fen, delivered_fen,
                invoiced_fen, collected_fen, created_by, created_at_ms, updated_at_ms)
             SELECT {contract} + 1 + s.x, 'BENCH-HT-' || ({first} + s.x), '设备采购合同', i.id,
                i.owner_id, i.region_id, 'in_execution', 1, 1, {signed_on}, {total}, {total}, 0, 0,
                {by}, {now}, {now}
             FROM s JOIN institutions i ON i.id = {institution}",
            first = b.first,
            by = b.created_by,
            now = b.now_ms
        ),
        format!(
            "{series} INSERT INTO contract_versions (contract_id, version, delivery_date,
                delivery_place, quality_standard, payment_terms, payment_days, after_sales_terms,
                warranty_months, total_fen, created_by, created_at_ms)
             SELECT {contract} + 1 + s.x, 1, {shipped_on}, '医院设备科', '国家标准', '验收后付款',
                (s.x % 4) * 30 + 30, '保修 24 个月', 24, {total}, {by}, {now} FROM s",
            by = b.created_by,
            now = b.now_ms
        ),
        format!(
            "{series} INSERT INTO contract_lines (contract_id, version, line_no, product_id,
                spec_model, quantity, unit_price_fen)
             SELECT {contract} + 1 + s.x, 1, 1, {product_case}, 'BENCH', {per}, {price} FROM s"
        ),
        format!(
            "{series} INSERT INTO orders (id, number, contract_id, institution_id, owner_id,
                region_id, requested_date, status, created_by, created_at_ms)
             SELECT {order} + 1 + s.x, 'BENCH-DD-' || ({first} + s.x), k.id, k.institution_id,
                k.owner_id, k.region_id, {shipped_on}, 'delivered', {by}, {now}
             FROM s JOIN contracts k ON k.id = {contract} + 1 + s.x",
            first = b.first,
            by = b.created_by,
            now = b.now_ms
        ),
        format!(
            "{series} INSERT INTO order_lines (id, order_id, contract_id, line_no, product_id,
                quantity, delivered_qty, unit_price_fen)
             SELECT {order_line} + 1 + s.x, {order} + 1 + s.x, {contract} + 1 + s.x, 1,
                {product_case}, {per}, {per}, {price} FROM s"
        ),
        format!(
            "{series} INSERT INTO deliveries (id, number, order_id, contract_id, institution_id,
                owner_id, region_id, address, ship_date, received_date, manual_provided,
                label_provided, certificate_provided, status, created_by, created_at_ms)
             SELECT {delivery} + 1 + s.x, 'BENCH-FH-' || ({first} + s.x), {order} + 1 + s.x, k.id,
                k.institution_id, k.owner_id, k.region_id, '医院设备科', {shipped_on}, {shipped_on},
                TRUE, TRUE, TRUE, 'received', {by}, {now}
             FROM s JOIN contracts k ON k.id = {contract} + 1 + s.x",
            first = b.first,
            by = b.created_by,
            now = b.now_ms
        ),
    ];
    for sql in statements {
        let sql = sqlx::AssertSqlSafe(sql);
        exec!(tx, c => sqlx::query(sql).execute(c).await).db()?;
    }
    // One item and one installed device per serial: the series runs over devices.
    let devices = n * per;
    let series = format!(
        "WITH RECURSIVE s(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM s WHERE x + 1 < {devices})"
    );
    let device_no = format!("({} * {per} + s.x)", b.first);
    let produced = days_before(backend, &b.today, "((s.x / 10) * 7) % 1000 + 60");
    let per_device = [
        format!(
            "{series} INSERT INTO delivery_items (id, delivery_id, order_line_id, product_id,
                quantity, unit_price_fen, lot, serial, udi_di, production_date)
             SELECT {item} + 1 + s.x, {delivery} + 1 + s.x / {per}, {order_line} + 1 + s.x / {per},
                l.product_id, 1, {price}, 'L' || ({device_no} / {lot}), 'SN' || {device_no},
                '0690000000000' || (l.product_id % 10), {produced}
             FROM s JOIN order_lines l ON l.id = {order_line} + 1 + s.x / {per}",
            lot = b.lot_size
        ),
        format!(
            "{series} INSERT INTO installed_devices (id, product_id, serial, lot, institution_id,
                owner_id, region_id, contract_id, delivery_item_id, delivered_on, installed_on,
                warranty_end, status, created_at_ms)
             SELECT {device} + 1 + s.x, t.product_id, t.serial, t.lot, d.institution_id,
                d.owner_id, d.region_id, d.contract_id, t.id, d.ship_date, d.ship_date,
                d.ship_date, 'installed', {now}
             FROM s JOIN delivery_items t ON t.id = {item} + 1 + s.x
                JOIN deliveries d ON d.id = t.delivery_id",
            now = b.now_ms
        ),
    ];
    for sql in per_device {
        let sql = sqlx::AssertSqlSafe(sql);
        exec!(tx, c => sqlx::query(sql).execute(c).await).db()?;
    }
    insert_invoices(tx, b, contract, invoice).await
}

/// `invoices_per_contract` invoices of each contract, due over the last ~200 days so every
/// aging bucket is filled; one in three paid, one in three half paid.
async fn insert_invoices(
    tx: &mut Tx,
    b: &ContractBatch,
    contract: i64,
    invoice: i64,
) -> Result<()> {
    let backend = tx.backend();
    let per = b.invoices_per_contract;
    let count = b.contracts * per;
    let series = format!(
        "WITH RECURSIVE s(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM s WHERE x + 1 < {count})"
    );
    let issued = days_before(backend, &b.today, "(s.x * 13) % 240 + 30");
    let due = days_before(backend, &b.today, "(s.x * 13) % 240");
    let amount = 50_000_000_i64;
    let sql = format!(
        "{series} INSERT INTO invoices (id, number, contract_id, institution_id, owner_id,
            region_id, issued_on, due_on, amount_fen, paid_fen, cost_fen, status, created_by,
            created_at_ms)
         SELECT {invoice} + 1 + s.x, 'BENCH-FP-' || ({first} * {per} + s.x), k.id,
            k.institution_id, k.owner_id, k.region_id, {issued}, {due}, {amount},
            CASE s.x % 3 WHEN 0 THEN {amount} WHEN 1 THEN {half} ELSE 0 END, {cost},
            CASE s.x % 3 WHEN 0 THEN 'paid' ELSE 'open' END, {by}, {now}
         FROM s JOIN contracts k ON k.id = {contract} + 1 + s.x / {per}",
        first = b.first,
        half = amount / 2,
        cost = amount / 2,
        by = b.created_by,
        now = b.now_ms
    );
    let sql = sqlx::AssertSqlSafe(sql);
    exec!(tx, c => sqlx::query(sql).execute(c).await).db()?;
    Ok(())
}

/// Moves PostgreSQL's identity sequences past the explicit ids.
pub async fn after_bulk_insert(tx: &mut Tx) -> Result<()> {
    if tx.backend() == Backend::Postgres {
        for table in [
            "contracts",
            "contract_lines",
            "orders",
            "order_lines",
            "deliveries",
            "delivery_items",
            "installed_devices",
            "invoices",
        ] {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST(MAX(id), 1)) FROM {table}"
            ));
            exec!(tx, c => sqlx::query(sql).execute(c).await).db()?;
        }
    }
    Ok(())
}

/// Planner statistics after the load (PostgreSQL; see `bench::settle`).
pub async fn settle(db: &Db) -> Result<()> {
    if let Db::Postgres(pool) = db {
        sqlx::query(
            "VACUUM ANALYZE contracts, contract_versions, contract_lines, orders, order_lines, \
             deliveries, delivery_items, installed_devices, invoices",
        )
        .execute(pool)
        .await
        .db()?;
    }
    Ok(())
}
