//! Demo catalog and pricing: three product lines with their certificates (one expiring in 20
//! days, one expired), suppliers and customers in every first-time review state, approved and
//! pending price lists, and quotes in every approval state — all through the use cases, acting
//! as the demo people who would really do each step.

use jiff::ToSpan;
use jiff::civil::Date;

use crate::customers::today;
use crate::pipeline::OpportunityQuery;
use crate::pricing::{LineInput, PriceInput, QuoteInput};
use crate::products::{DocumentInput, DocumentOwner, ProductInput, SupplierInput};
use crate::{App, Ctx, Error, Result};

/// `(name, kind, licence number)`.
const SUPPLIERS: &[(&str, &str, &str)] = &[
    (
        "瑞康医疗器械（苏州）有限公司",
        "manufacturer",
        "苏食药监械生产许20170042号",
    ),
    (
        "深圳安科影像设备有限公司",
        "manufacturer",
        "粤食药监械生产许20150318号",
    ),
    (
        "上海联检生物科技有限公司",
        "manufacturer",
        "沪食药监械生产许20180027号",
    ),
    (
        "华东医药器械供应链有限公司",
        "distributor",
        "浙杭食药监械经营许20190311号",
    ),
];

/// `(code, name, model, line, manufacturer index, unit, serialized, implantable, shelf life
/// months, certificate number, class, certificate valid to (days from today), list price)`.
type DemoProduct = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    usize,
    &'static str,
    bool,
    bool,
    Option<i64>,
    &'static str,
    &'static str,
    i64,
    &'static str,
);

const PRODUCTS: &[DemoProduct] = &[
    (
        "RK-US-8000",
        "彩色多普勒超声诊断系统",
        "US-8000 Pro",
        "large_equipment",
        0,
        "台",
        true,
        false,
        None,
        "国械注准20233060581",
        "II",
        1400,
        "1380000",
    ),
    (
        "AK-DR-600",
        "数字化医用X射线摄影系统",
        "DR-600",
        "large_equipment",
        1,
        "台",
        true,
        false,
        None,
        "国械注准20213060212",
        "II",
        20,
        "960000",
    ),
    (
        "RK-PTCA-25",
        "冠状动脉球囊扩张导管",
        "2.5×20mm",
        "consumables",
        0,
        "支",
        false,
        false,
        Some(36),
        "国械注准20223030447",
        "III",
        900,
        "2800",
    ),
    (
        "RK-DES-30",
        "药物洗脱冠脉支架系统",
        "3.0×18mm",
        "consumables",
        0,
        "套",
        false,
        true,
        Some(24),
        "国械注准20193130123",
        "III",
        -10,
        "7800",
    ),
    (
        "LJ-CLIA-1000",
        "全自动化学发光免疫分析仪",
        "CLIA-1000",
        "ivd",
        2,
        "台",
        true,
        false,
        None,
        "沪械注准20222400156",
        "II",
        1200,
        "650000",
    ),
    (
        "LJ-TNI-100",
        "心肌肌钙蛋白I测定试剂盒（化学发光法）",
        "100人份/盒",
        "ivd",
        2,
        "盒",
        false,
        false,
        Some(12),
        "沪械注准20232400389",
        "II",
        1600,
        "3600",
    ),
];

fn day(today: Date, days: i64) -> String {
    today.checked_add(days.days()).unwrap_or(today).to_string()
}

fn licence(kind: &str, number: &str, from: &str, to: &str) -> DocumentInput {
    DocumentInput {
        kind: kind.into(),
        number: number.into(),
        valid_from: from.into(),
        valid_to: to.into(),
        ..Default::default()
    }
}

pub(super) async fn load(app: &App, institutions: &[i64]) -> Result<()> {
    let quality = app.ctx_as("quality", "demo").await?;
    let director = app.ctx_as("director", "demo").await?;
    let finance = app.ctx_as("finance", "demo").await?;
    let manager = app.ctx_as("manager.east", "demo").await?;
    let rep = app.ctx_as("rep.east", "demo").await?;
    let today = today();
    let since = day(today, -800);

    let mut suppliers = Vec::new();
    for (n, (name, kind, number)) in SUPPLIERS.iter().enumerate() {
        let s = app
            .create_supplier(
                &quality,
                SupplierInput {
                    name: (*name).into(),
                    kind: (*kind).into(),
                    contact: "质量部 孙经理".into(),
                    phone: format!("0512-6288{:04}", 1000 + n),
                    ..Default::default()
                },
            )
            .await?;
        let kind = if *kind == "manufacturer" {
            "production_licence"
        } else {
            "business_licence"
        };
        let doc = licence(kind, number, &since, &day(today, 1500));
        app.add_document(&quality, DocumentOwner::Supplier(s.id), doc, None)
            .await?;
        // Submitted by the buyer's side, decided by quality: never by the submitter.
        let review = app
            .submit_supplier_review(&director, s.id, "首次采购前资质审核")
            .await?;
        // The last supplier waits in the queue; the others are approved.
        if n + 1 < SUPPLIERS.len() {
            app.decide_review(&quality, review.id, true, "资质齐全")
                .await?;
        }
        suppliers.push(s.id);
    }

    let mut products = Vec::new();
    for (
        code,
        name,
        model,
        line,
        maker,
        unit,
        serialized,
        implantable,
        shelf,
        cert,
        class,
        valid_days,
        price,
    ) in PRODUCTS
    {
        let p = app
            .create_product(
                &quality,
                ProductInput {
                    code: (*code).into(),
                    name: (*name).into(),
                    model: (*model).into(),
                    product_line: (*line).into(),
                    manufacturer_id: suppliers[*maker],
                    unit: (*unit).into(),
                    serialized: *serialized,
                    implantable: *implantable,
                    shelf_life_months: *shelf,
                    active: true,
                },
            )
            .await?;
        let doc = DocumentInput {
            kind: "registration_certificate".into(),
            number: (*cert).into(),
            device_class: Some((*class).into()),
            holder: SUPPLIERS[*maker].0.into(),
            scope: "用于临床诊断与治疗，详见注册证附件".into(),
            valid_from: day(today, *valid_days - 1825),
            valid_to: day(today, *valid_days),
        };
        app.add_document(&quality, DocumentOwner::Product(p.id), doc, None)
            .await?;
        // Prices are proposed by finance and approved by the director (PRC-1).
        let proposed = app
            .propose_price(
                &finance,
                PriceInput {
                    product_id: p.id,
                    price: (*price).into(),
                    effective_from: today.to_string(),
                    reason: "按成本加成及竞品价格核定".into(),
                    ..Default::default()
                },
            )
            .await?;
        if let Some(a) = proposed.approval {
            app.decide_approval(&director, a.id, true, "同意").await?;
        }
        products.push(p.id);
    }
    // A price change for next month waits in the director's inbox.
    app.propose_price(
        &finance,
        PriceInput {
            product_id: products[2],
            price: "2650".into(),
            effective_from: day(today, 30),
            reason: "集采降价，跟进竞品".into(),
            ..Default::default()
        },
    )
    .await?;

    // Customers' licences and first-time reviews: approved, submitted, rejected (PRD-3).
    for (n, id) in institutions.iter().enumerate() {
        let kind = if n == 5 {
            "business_licence"
        } else {
            "institution_licence"
        };
        let number = format!("PDY{:08}", 41_000_000 + n);
        app.add_document(
            &quality,
            DocumentOwner::Institution(*id),
            licence(
                kind,
                &number,
                &since,
                &day(today, 900 + 30 * i64::try_from(n).unwrap_or(0)),
            ),
            None,
        )
        .await?;
        let review = app
            .submit_customer_review(&director, *id, "首营资料已收齐")
            .await?;
        match n {
            2 => {}
            3 => {
                app.decide_review(&quality, review.id, false, "执业许可证副本模糊，请重新提供")
                    .await?;
            }
            _ => {
                app.decide_review(&quality, review.id, true, "资料齐全，同意首营")
                    .await?;
            }
        }
    }

    quotes(app, &rep, &manager, &director, institutions, &products).await
}

/// `(product index, quantity, unit price in yuan or list)`.
type DemoLine = (usize, i64, Option<&'static str>);

fn quote_input(institution_id: i64, products: &[i64], lines: &[DemoLine]) -> QuoteInput {
    QuoteInput {
        institution_id,
        opportunity_id: None,
        valid_until: day(today(), 30),
        note: "含运输、安装及培训；质保期满后提供维保方案".into(),
        lines: lines
            .iter()
            .map(|(p, quantity, price)| LineInput {
                product_id: products[*p],
                quantity: *quantity,
                unit_price: price.map(Into::into),
            })
            .collect(),
    }
}

/// Quotes in every state of PRC-2/3 for the East rep's hospitals.
async fn quotes(
    app: &App,
    rep: &Ctx,
    manager: &Ctx,
    director: &Ctx,
    institutions: &[i64],
    products: &[i64],
) -> Result<()> {
    let (zhongshan, ruijin) = (institutions[0], institutions[1]);
    // A draft at list price.
    app.create_quote(rep, quote_input(zhongshan, products, &[(0, 1, None)]))
        .await?;
    // At list: no approval needed, sent to the customer.
    let q = app
        .create_quote(
            rep,
            quote_input(ruijin, products, &[(4, 1, None), (5, 60, None)]),
        )
        .await?;
    app.submit_quote(rep, q.id).await?;
    app.send_quote(rep, q.id).await?;
    // 3.6 % off: waits for the region manager.
    let q = app
        .create_quote(
            rep,
            quote_input(zhongshan, products, &[(2, 200, Some("2700"))]),
        )
        .await?;
    app.submit_quote(rep, q.id).await?;
    // 12 % off: beyond a manager, waits for the director.
    let q = app
        .create_quote(
            rep,
            quote_input(ruijin, products, &[(0, 2, Some("1214400"))]),
        )
        .await?;
    app.submit_quote(rep, q.id).await?;
    // 10 % off, rejected by the director, then revised into a new draft version.
    let q = app
        .create_quote(
            rep,
            quote_input(zhongshan, products, &[(0, 1, Some("1242000"))]),
        )
        .await?;
    let pending = app.submit_quote(rep, q.id).await?;
    reject_pending(app, director, pending.id, "折扣过大，请先申请区域特价").await?;
    app.revise_quote(rep, q.id).await?;
    // 2 % off on the DR deal: approved by the manager, sent and accepted, which moves the
    // opportunity from proposal to negotiation.
    let deal = app
        .opportunities(
            rep,
            &OpportunityQuery {
                institution_id: Some(ruijin),
                stage: Some("proposal".into()),
                ..Default::default()
            },
        )
        .await?
        .items
        .into_iter()
        .next();
    let mut input = quote_input(ruijin, products, &[(1, 1, Some("940000"))]);
    input.opportunity_id = deal.map(|d| d.id);
    let q = app.create_quote(rep, input).await?;
    app.submit_quote(rep, q.id).await?;
    approve_pending(app, manager, q.id).await?;
    app.send_quote(rep, q.id).await?;
    app.answer_quote(rep, q.id, true).await?;
    Ok(())
}

async fn pending_of(app: &App, who: &Ctx, quote_id: i64) -> Result<i64> {
    app.quote(who, quote_id)
        .await?
        .approvals
        .into_iter()
        .find(|a| a.status == "pending")
        .map(|a| a.id)
        .ok_or_else(|| Error::Internal(format!("demo quote {quote_id} has no pending approval")))
}

async fn approve_pending(app: &App, approver: &Ctx, quote_id: i64) -> Result<()> {
    let id = pending_of(app, approver, quote_id).await?;
    app.decide_approval(approver, id, true, "同意").await?;
    Ok(())
}

async fn reject_pending(app: &App, approver: &Ctx, quote_id: i64, why: &str) -> Result<()> {
    let id = pending_of(app, approver, quote_id).await?;
    app.decide_approval(approver, id, false, why).await?;
    Ok(())
}
