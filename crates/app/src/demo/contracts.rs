//! Demo contracts: the customers' credit (one with a small limit) and contracts in every state
//! of the ledger (CON-1…6), made through the use cases by the people who would really act.
//! "In execution" and "completed" need shipments: those contracts are left signed and handed
//! back so the deliveries demo can ship against them.

use jiff::ToSpan;

use crate::contracts::{
    ContractDetail, ContractInput, ContractLineInput, ContractQuery, CreditInput,
};
use crate::customers::today;
use crate::pricing::QuoteQuery;
use crate::products::ProductQuery;
use crate::{App, Ctx, Error, Result};

/// What the deliveries and receivables demos build on.
#[derive(Debug, Clone, Default)]
pub struct DemoContracts {
    /// Signed contracts: `[0]` to be put in execution (partly shipped), `[1]` to be completed
    /// (shipped in full), `[2]` stays signed, `[3]` (rep.north's) is shipped in full.
    pub signed: Vec<i64>,
}

/// Three weeks ahead, but within the year, so the fulfilment report of the current year
/// (its default period, CON-5) counts the demo contracts.
fn delivery_date(today: jiff::civil::Date) -> jiff::civil::Date {
    let ahead = today.checked_add(20.days()).unwrap_or(today);
    ahead.min(today.last_of_year())
}

fn input(institution_id: i64, title: &str, lines: &[(i64, i64, &str)]) -> ContractInput {
    let today = today();
    ContractInput {
        institution_id,
        title: title.into(),
        delivery_date: Some(delivery_date(today).to_string()),
        delivery_place: "医院设备科库房（院内指定地点）".into(),
        quality_standard: "符合国家标准、行业标准及产品注册技术要求".into(),
        payment_terms: "验收合格并开具发票后 60 天内付清".into(),
        payment_days: Some(60),
        after_sales_terms: "整机保修 24 个月，接报后 4 小时响应、48 小时到场".into(),
        warranty_months: Some(24),
        lines: lines
            .iter()
            .map(|(product_id, quantity, price)| ContractLineInput {
                product_id: *product_id,
                quantity: *quantity,
                unit_price: (*price).into(),
                spec_model: None,
                line_no: None,
            })
            .collect(),
        ..Default::default()
    }
}

async fn product(app: &App, ctx: &Ctx, code: &str) -> Result<i64> {
    let q = ProductQuery {
        query: Some(code.into()),
        ..Default::default()
    };
    app.products(ctx, &q)
        .await?
        .items
        .into_iter()
        .find(|p| p.code == code)
        .map(|p| p.id)
        .ok_or(Error::NotFound("demo product"))
}

/// Approves the pending reviews of `kind` of the contract.
async fn approve(app: &App, who: &Ctx, d: &ContractDetail, kind: &str) -> Result<()> {
    for r in d
        .reviews
        .iter()
        .filter(|r| r.status == "pending" && r.kind == kind)
    {
        app.decide_contract_review(who, r.id, true, "同意").await?;
    }
    Ok(())
}

/// Created, submitted, reviewed by legal (and finance where credit asks) and signed.
async fn signed(
    app: &App,
    people: &People,
    rep: &Ctx,
    input: ContractInput,
) -> Result<ContractDetail> {
    let d = app.create_contract(rep, input).await?;
    let d = app.submit_contract(rep, d.record.id).await?;
    approve(app, &people.legal, &d, "legal").await?;
    approve(app, &people.finance, &d, "credit").await?;
    app.sign_contract(rep, d.record.id, &today().to_string())
        .await
}

struct People {
    rep: Ctx,
    north: Ctx,
    manager: Ctx,
    legal: Ctx,
    finance: Ctx,
}

pub(super) async fn load(app: &App, institutions: &[i64]) -> Result<DemoContracts> {
    let people = People {
        rep: app.ctx_as("rep.east", "demo").await?,
        north: app.ctx_as("rep.north", "demo").await?,
        manager: app.ctx_as("manager.east", "demo").await?,
        legal: app.ctx_as("legal", "demo").await?,
        finance: app.ctx_as("finance", "demo").await?,
    };
    let rep = &people.rep;
    // Zhongshan (0) is left without contracts; the suite measures its credit exposure.
    let (ruijin, community, xiehe) = (institutions[1], institutions[4], institutions[7]);
    for (id, rating, limit, note) in [
        (ruijin, "AA", "8000000", "三甲医院，回款记录良好"),
        (
            community,
            "B",
            "200000",
            "社区机构，财政拨款周期长，限额从严",
        ),
        (xiehe, "AAA", "10000000", "长期合作，年度评估"),
    ] {
        let credit = CreditInput {
            rating: rating.into(),
            limit: limit.into(),
            note: note.into(),
        };
        app.set_credit(&people.finance, id, credit).await?;
    }
    let us = product(app, rep, "RK-US-8000").await?;
    let stent = product(app, rep, "RK-PTCA-25").await?;

    // Draft.
    app.create_contract(
        rep,
        input(
            ruijin,
            "超声诊断系统采购合同（草稿）",
            &[(us, 1, "1380000")],
        ),
    )
    .await?;
    // In legal review.
    let d = app
        .create_contract(
            rep,
            input(ruijin, "心内科耗材年度采购合同", &[(stent, 200, "2800")]),
        )
        .await?;
    app.submit_contract(rep, d.record.id).await?;
    // Over the community centre's limit: legal approved, waiting for finance.
    let d = app
        .create_contract(
            rep,
            input(community, "社区超声设备采购合同", &[(us, 1, "1380000")]),
        )
        .await?;
    let d = app.submit_contract(rep, d.record.id).await?;
    approve(app, &people.legal, &d, "legal").await?;
    // Returned by legal with a comment.
    let d = app
        .create_contract(
            rep,
            input(ruijin, "超声设备及培训服务合同", &[(us, 2, "1350000")]),
        )
        .await?;
    let d = app.submit_contract(rep, d.record.id).await?;
    for r in &d.reviews {
        app.decide_contract_review(
            &people.legal,
            r.id,
            false,
            "第九条违约责任约定不明确，请补充逾期交货违约金比例",
        )
        .await?;
    }
    // Signed: two for the deliveries demo (execution, completion), one staying signed.
    let mut out = DemoContracts::default();
    for (title, lines) in [
        ("瑞金医院超声设备采购合同", [(us, 2, "1360000")]),
        ("瑞金医院心内科球囊导管采购合同", [(stent, 100, "2800")]),
        ("瑞金医院超声设备补充采购合同", [(us, 1, "1380000")]),
    ] {
        let d = signed(app, &people, rep, input(ruijin, title, &lines)).await?;
        out.signed.push(d.record.id);
    }
    let d = signed(
        app,
        &people,
        &people.north,
        input(xiehe, "协和医院超声设备采购合同", &[(us, 1, "1380000")]),
    )
    .await?;
    out.signed.push(d.record.id);
    // An execution problem on the contract that stays signed.
    app.log_contract_problem(rep, out.signed[2], "客户要求提前两周交货，需协调生产排期")
        .await?;
    // Changed: an amendment in progress.
    let d = signed(
        app,
        &people,
        rep,
        input(ruijin, "瑞金医院耗材框架合同", &[(stent, 50, "2800")]),
    )
    .await?;
    app.amend_contract(rep, d.record.id, "客户增加采购数量至 80 条")
        .await?;
    // Terminated by the manager.
    let d = signed(
        app,
        &people,
        rep,
        input(ruijin, "瑞金医院旧型号设备合同", &[(us, 1, "1300000")]),
    )
    .await?;
    app.terminate_contract(&people.manager, d.record.id, "产品型号停产，双方协商解除")
        .await?;
    // From the accepted quote: a draft with the quote's lines and the terms filled in.
    let accepted = QuoteQuery {
        status: Some("accepted".into()),
        ..Default::default()
    };
    if let Some(q) = app.quotes(rep, &accepted).await?.items.into_iter().next() {
        let d = app.contract_from_quote(rep, q.id).await?;
        let mut terms = input(q.institution_id, &d.record.title, &[]);
        terms.lines = d
            .lines
            .iter()
            .map(|l| ContractLineInput {
                product_id: l.product_id,
                quantity: l.quantity,
                unit_price: medcrm_domain::pipeline::format_yuan(l.unit_price_fen).replace(',', ""),
                spec_model: Some(l.spec_model.clone()),
                line_no: Some(l.line_no),
            })
            .collect();
        app.update_contract(rep, d.record.id, terms).await?;
    }
    Ok(out)
}

/// The demo contracts that may be invoiced (FIN-1), oldest first: in execution, completed,
/// being amended or signed.
pub(super) async fn billable(app: &App) -> Result<Vec<i64>> {
    let director = app.ctx_as("director", "demo").await?;
    let mut ids = Vec::new();
    for status in ["in_execution", "completed", "changed", "signed"] {
        let query = ContractQuery {
            status: Some(status.into()),
            limit: Some(crate::MAX_PAGE_SIZE),
            ..Default::default()
        };
        ids.extend(
            app.contracts(&director, query)
                .await?
                .items
                .iter()
                .map(|k| k.id),
        );
    }
    ids.sort_unstable();
    Ok(ids)
}
