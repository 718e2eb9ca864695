//! Demo pipeline: opportunities on the demo hospitals in every stage, so the board, the
//! overdue flags and the funnel have something true to show.

use jiff::ToSpan;
use medcrm_domain::pipeline::Stage;

use crate::customers::today;
use crate::pipeline::{MoveInput, OpportunityInput};
use crate::{App, Ctx, Result};

/// `(institution index, title, product line, amount in yuan, path of stages after lead)`.
const OPPORTUNITIES: &[(usize, &str, &str, &str, &[Stage])] = &[
    (
        0,
        "心内科彩超更新 2 台",
        "large_equipment",
        "2860000",
        &[
            Stage::Qualified,
            Stage::NeedsAnalysis,
            Stage::Proposal,
            Stage::TenderAnnounced,
        ],
    ),
    (
        0,
        "导管室介入耗材年度供货",
        "consumables",
        "1200000",
        &[
            Stage::Qualified,
            Stage::NeedsAnalysis,
            Stage::Proposal,
            Stage::Negotiation,
            Stage::Contract,
            Stage::Won,
        ],
    ),
    (
        1,
        "检验科化学发光试剂",
        "ivd",
        "680000",
        &[Stage::Qualified, Stage::NeedsAnalysis],
    ),
    (
        1,
        "放射科 DR 采购",
        "large_equipment",
        "1950000",
        &[Stage::Qualified, Stage::NeedsAnalysis, Stage::Proposal],
    ),
    (
        2,
        "骨科手术动力系统",
        "large_equipment",
        "880000",
        &[Stage::Qualified],
    ),
    (
        2,
        "超声维保服务合同",
        "service",
        "260000",
        &[
            Stage::Qualified,
            Stage::NeedsAnalysis,
            Stage::Proposal,
            Stage::Negotiation,
        ],
    ),
    (3, "血透耗材", "consumables", "320000", &[Stage::Lost]),
    (4, "社区随访便携超声", "large_equipment", "150000", &[]),
    (
        6,
        "全院监护仪集中采购",
        "large_equipment",
        "5600000",
        &[
            Stage::Qualified,
            Stage::NeedsAnalysis,
            Stage::Proposal,
            Stage::TenderAnnounced,
            Stage::BidSubmitted,
        ],
    ),
    (
        7,
        "心外科体外循环耗材",
        "consumables",
        "2100000",
        &[
            Stage::Qualified,
            Stage::NeedsAnalysis,
            Stage::Proposal,
            Stage::TenderAnnounced,
            Stage::BidSubmitted,
            Stage::TenderWon,
            Stage::Contract,
            Stage::Won,
        ],
    ),
    (
        7,
        "检验科流水线",
        "ivd",
        "7800000",
        &[
            Stage::Qualified,
            Stage::NeedsAnalysis,
            Stage::Proposal,
            Stage::Negotiation,
        ],
    ),
    (
        8,
        "内镜中心设备升级",
        "large_equipment",
        "3400000",
        &[
            Stage::Qualified,
            Stage::NeedsAnalysis,
            Stage::Proposal,
            Stage::TenderAnnounced,
            Stage::BidSubmitted,
            Stage::TenderLost,
            Stage::Lost,
        ],
    ),
    (
        9,
        "神经外科导航",
        "large_equipment",
        "4200000",
        &[Stage::Qualified, Stage::NeedsAnalysis],
    ),
    (
        10,
        "体检中心超声",
        "large_equipment",
        "900000",
        &[Stage::Qualified],
    ),
    (
        12,
        "急诊科呼吸机",
        "large_equipment",
        "1600000",
        &[
            Stage::Qualified,
            Stage::NeedsAnalysis,
            Stage::Proposal,
            Stage::Negotiation,
            Stage::Contract,
        ],
    ),
    (
        13,
        "病理科试剂年度合同",
        "ivd",
        "450000",
        &[Stage::Qualified, Stage::Lost],
    ),
];

pub(super) async fn load(app: &App, ctx: &Ctx, institutions: &[i64]) -> Result<()> {
    let close = today()
        .checked_add(90.days())
        .unwrap_or(today())
        .to_string();
    for (inst, title, line, amount, path) in OPPORTUNITIES {
        let Some(institution_id) = institutions.get(*inst).copied() else {
            continue;
        };
        let input = OpportunityInput {
            institution_id,
            title: (*title).into(),
            product_line: (*line).into(),
            amount: (*amount).into(),
            expected_close: close.clone(),
        };
        let id = app.create_opportunity(ctx, input).await?.id;
        for stage in *path {
            let m = MoveInput {
                to: stage.code().into(),
                lost_reason: if *stage == Stage::Lost {
                    "预算取消".into()
                } else {
                    String::new()
                },
                ..Default::default()
            };
            app.move_opportunity(ctx, id, m).await?;
        }
    }
    Ok(())
}
