//! OPP: the sales pipeline. Stages and the moves allowed between them (OPP-1), how long each
//! stage may take (OPP-1 "each step has a responsible person and time node", OPP-3 quote due
//! after needs analysis), and the funnel arithmetic (OPP-2).

use std::str::FromStr;

/// Declares the stages once: code, order on the board, whether the opportunity is still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Lead,
    Qualified,
    NeedsAnalysis,
    Proposal,
    TenderAnnounced,
    BidSubmitted,
    TenderWon,
    TenderLost,
    Negotiation,
    Contract,
    Won,
    Lost,
}

impl Stage {
    pub const ALL: [Stage; 12] = [
        Stage::Lead,
        Stage::Qualified,
        Stage::NeedsAnalysis,
        Stage::Proposal,
        Stage::TenderAnnounced,
        Stage::BidSubmitted,
        Stage::TenderWon,
        Stage::TenderLost,
        Stage::Negotiation,
        Stage::Contract,
        Stage::Won,
        Stage::Lost,
    ];

    /// The stages an open opportunity can sit in, in board order.
    pub const OPEN: [Stage; 9] = [
        Stage::Lead,
        Stage::Qualified,
        Stage::NeedsAnalysis,
        Stage::Proposal,
        Stage::TenderAnnounced,
        Stage::BidSubmitted,
        Stage::TenderWon,
        Stage::Negotiation,
        Stage::Contract,
    ];

    /// The main path of the funnel (tender steps are optional, so not on it).
    pub const FUNNEL: [Stage; 7] = [
        Stage::Lead,
        Stage::Qualified,
        Stage::NeedsAnalysis,
        Stage::Proposal,
        Stage::Negotiation,
        Stage::Contract,
        Stage::Won,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Stage::Lead => "lead",
            Stage::Qualified => "qualified",
            Stage::NeedsAnalysis => "needs_analysis",
            Stage::Proposal => "proposal",
            Stage::TenderAnnounced => "tender_announced",
            Stage::BidSubmitted => "bid_submitted",
            Stage::TenderWon => "tender_won",
            Stage::TenderLost => "tender_lost",
            Stage::Negotiation => "negotiation",
            Stage::Contract => "contract",
            Stage::Won => "won",
            Stage::Lost => "lost",
        }
    }

    pub fn is_open(self) -> bool {
        Stage::OPEN.contains(&self)
    }

    /// Where an opportunity may go from here. Any open stage may also be lost; a lost tender
    /// ends as lost. Needs analysis is never skipped: the quote depends on it (OPP-3).
    pub fn next(self) -> &'static [Stage] {
        match self {
            Stage::Lead => &[Stage::Qualified, Stage::Lost],
            Stage::Qualified => &[Stage::NeedsAnalysis, Stage::Lost],
            Stage::NeedsAnalysis => &[Stage::Proposal, Stage::Lost],
            Stage::Proposal => &[Stage::TenderAnnounced, Stage::Negotiation, Stage::Lost],
            Stage::TenderAnnounced => &[Stage::BidSubmitted, Stage::Lost],
            Stage::BidSubmitted => &[Stage::TenderWon, Stage::TenderLost],
            Stage::TenderWon => &[Stage::Negotiation, Stage::Contract, Stage::Lost],
            Stage::TenderLost => &[Stage::Lost],
            Stage::Negotiation => &[Stage::Contract, Stage::Lost],
            Stage::Contract => &[Stage::Won, Stage::Lost],
            Stage::Won | Stage::Lost => &[],
        }
    }

    pub fn can_move_to(self, to: Stage) -> bool {
        self.next().contains(&to)
    }

    /// PRC-3: where an accepted quote takes the opportunity — one step along the main path
    /// towards the contract (needs analysis is never skipped, so from there to proposal).
    pub fn after_quote_accepted(self) -> Option<Stage> {
        match self {
            Stage::NeedsAnalysis => Some(Stage::Proposal),
            Stage::Proposal | Stage::TenderWon => Some(Stage::Negotiation),
            _ => None,
        }
    }

    /// CON-1: a contract drafted for the deal puts it in the contract stage.
    pub fn after_contract_drafted(self) -> Option<Stage> {
        match self {
            Stage::TenderWon | Stage::Negotiation => Some(Stage::Contract),
            _ => None,
        }
    }

    /// CON-2: the signed contract wins the deal.
    pub fn after_contract_signed(self) -> Option<Stage> {
        match self {
            Stage::Contract => Some(Stage::Won),
            _ => None,
        }
    }
}

impl FromStr for Stage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Stage::ALL
            .into_iter()
            .find(|st| st.code() == s)
            .ok_or_else(|| format!("`{s}` is not a pipeline stage"))
    }
}

/// Days each stage may take before it is overdue (OPP-1); `proposal` is OPP-3's "quote due
/// within N days after needs analysis". Configurable; these are the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageTimes {
    pub lead: u16,
    pub qualified: u16,
    pub needs_analysis: u16,
    pub proposal: u16,
    pub tender: u16,
    pub negotiation: u16,
    pub contract: u16,
}

impl Default for StageTimes {
    fn default() -> Self {
        StageTimes {
            lead: 7,
            qualified: 14,
            needs_analysis: 14,
            proposal: 7,
            tender: 45,
            negotiation: 21,
            contract: 30,
        }
    }
}

impl StageTimes {
    /// Days allowed in `stage`; `None` for a closed stage, which has no due time.
    pub fn days(&self, stage: Stage) -> Option<u16> {
        match stage {
            Stage::Lead => Some(self.lead),
            Stage::Qualified => Some(self.qualified),
            Stage::NeedsAnalysis => Some(self.needs_analysis),
            Stage::Proposal => Some(self.proposal),
            Stage::TenderAnnounced | Stage::BidSubmitted | Stage::TenderWon => Some(self.tender),
            Stage::Negotiation => Some(self.negotiation),
            Stage::Contract => Some(self.contract),
            Stage::TenderLost | Stage::Won | Stage::Lost => None,
        }
    }
}

/// What the store aggregates per stage for the funnel (OPP-2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageFigures {
    /// Opportunities in this stage now.
    pub current: i64,
    /// Their amount, in fen.
    pub current_amount_fen: i64,
    /// Opportunities that ever reached this stage.
    pub reached: i64,
    /// Total and count of completed stays, in milliseconds, for the average time in stage.
    pub stay_ms_total: i64,
    pub stays: i64,
    /// Opportunities lost straight from this stage.
    pub lost_here: i64,
}

/// One funnel row.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelRow {
    pub stage: Stage,
    pub figures: StageFigures,
    /// Share (per mille) of those that reached this stage which moved on (to the next stage
    /// or into a tender), rather than being lost here or still sitting here; `None` for the
    /// last stage.
    pub conversion_permille: Option<i64>,
    pub avg_days_in_stage: Option<i64>,
}

/// OPP-2: conversion between consecutive funnel stages, average time in stage, and the
/// bottleneck — the step with the lowest conversion among those with enough volume to judge.
pub fn funnel(figures: impl Fn(Stage) -> StageFigures) -> (Vec<FunnelRow>, Option<Stage>) {
    const DAY_MS: i64 = 24 * 60 * 60 * 1000;
    /// Fewer entries than this and a conversion rate says nothing.
    const MIN_VOLUME: i64 = 3;
    let rows: Vec<FunnelRow> = Stage::FUNNEL
        .iter()
        .enumerate()
        .map(|(i, stage)| {
            let f = figures(*stage);
            let next = Stage::FUNNEL.get(i + 1).map(|s| figures(*s).reached);
            FunnelRow {
                stage: *stage,
                figures: f,
                conversion_permille: next.filter(|_| f.reached > 0).map(|n| n * 1000 / f.reached),
                avg_days_in_stage: (f.stays > 0).then(|| f.stay_ms_total / f.stays / DAY_MS),
            }
        })
        .collect();
    let bottleneck = rows
        .iter()
        .filter(|r| r.figures.reached >= MIN_VOLUME)
        .filter_map(|r| r.conversion_permille.map(|c| (c, r.stage)))
        .min()
        .map(|(_, stage)| stage);
    (rows, bottleneck)
}

/// Parses an amount in yuan (`1234.5`, `1,234.56`, `1234`) into fen, exactly — never through
/// a float. At most two decimals; no negatives.
pub fn parse_yuan(text: &str) -> Result<i64, &'static str> {
    const BAD: &str = "an amount in yuan, e.g. 1280000 or 1280000.50";
    let clean: String = text.trim().chars().filter(|c| *c != ',').collect();
    let (whole, frac) = clean.split_once('.').unwrap_or((&clean, ""));
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err(BAD);
    }
    let yuan: i64 = whole.parse().map_err(|_| BAD)?;
    let fen: i64 = format!("{frac:0<2}").parse().map_err(|_| BAD)?;
    yuan.checked_mul(100)
        .and_then(|f| f.checked_add(fen))
        .ok_or("the amount is too large")
}

/// Fen as yuan with two decimals and thousands separators: 128000050 → `1,280,000.50`.
pub fn format_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", fen % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prc_3_con_2_quotes_and_contracts_move_the_deal_only_along_allowed_steps() {
        let rules: [fn(Stage) -> Option<Stage>; 3] = [
            Stage::after_quote_accepted,
            Stage::after_contract_drafted,
            Stage::after_contract_signed,
        ];
        for (stage, rule) in Stage::ALL.into_iter().flat_map(|s| rules.map(|r| (s, r))) {
            if let Some(to) = rule(stage) {
                assert!(
                    stage.can_move_to(to),
                    "{stage:?} → {to:?} must be an allowed move"
                );
            }
        }
        assert_eq!(
            Stage::Proposal.after_quote_accepted(),
            Some(Stage::Negotiation)
        );
        assert_eq!(Stage::Lead.after_quote_accepted(), None);
    }

    #[test]
    fn opp_1_moves_follow_the_path_and_any_open_stage_can_be_lost() {
        assert!(Stage::Lead.can_move_to(Stage::Qualified));
        assert!(!Stage::Lead.can_move_to(Stage::Proposal), "no skipping");
        assert!(
            !Stage::Qualified.can_move_to(Stage::Proposal),
            "OPP-3: needs analysis comes before the quote"
        );
        assert!(Stage::Proposal.can_move_to(Stage::TenderAnnounced));
        assert!(Stage::Proposal.can_move_to(Stage::Negotiation));
        assert!(Stage::BidSubmitted.can_move_to(Stage::TenderLost));
        assert!(!Stage::Won.can_move_to(Stage::Lost), "closed is closed");
        for s in Stage::OPEN
            .into_iter()
            .filter(|s| *s != Stage::BidSubmitted)
        {
            assert!(s.can_move_to(Stage::Lost), "{s:?}");
        }
        assert_eq!("needs_analysis".parse::<Stage>(), Ok(Stage::NeedsAnalysis));
        assert!("closing".parse::<Stage>().is_err());
    }

    #[test]
    fn opp_3_quote_due_days_after_needs_analysis() {
        let t = StageTimes::default();
        assert_eq!(t.days(Stage::Proposal), Some(7));
        assert_eq!(t.days(Stage::Won), None);
    }

    #[test]
    fn opp_2_funnel_conversion_time_and_bottleneck() {
        let reached = |s: Stage| match s {
            Stage::Lead => 100,
            Stage::Qualified => 60,
            Stage::NeedsAnalysis => 50,
            Stage::Proposal => 40,
            Stage::Negotiation => 10,
            Stage::Contract => 8,
            Stage::Won => 6,
            _ => 0,
        };
        let (rows, bottleneck) = funnel(|s| StageFigures {
            reached: reached(s),
            stays: 2,
            stay_ms_total: 2 * 3 * 24 * 60 * 60 * 1000,
            ..StageFigures::default()
        });
        assert_eq!(rows[0].conversion_permille, Some(600));
        assert_eq!(
            rows[3].conversion_permille,
            Some(250),
            "proposal → negotiation"
        );
        assert_eq!(rows[6].conversion_permille, None);
        assert_eq!(rows[0].avg_days_in_stage, Some(3));
        assert_eq!(bottleneck, Some(Stage::Proposal));
    }

    #[test]
    fn money_parses_to_fen_exactly() {
        assert_eq!(parse_yuan("1280000"), Ok(128_000_000));
        assert_eq!(parse_yuan("1,280,000.5"), Ok(128_000_050));
        assert_eq!(parse_yuan("0.07"), Ok(7));
        assert!(parse_yuan("-5").is_err());
        assert!(parse_yuan("1.234").is_err());
        assert!(parse_yuan("1e6").is_err());
        assert!(parse_yuan("").is_err());
        assert!(parse_yuan("99999999999999999999").is_err());
        assert_eq!(format_yuan(128_000_050), "1,280,000.50");
        assert_eq!(format_yuan(7), "0.07");
    }
}
