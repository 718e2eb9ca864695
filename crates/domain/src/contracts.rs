//! CON: a contract's states and what moves it (CON-2/3), the terms it must state before review
//! (CON-1), and when credit needs finance's approval (CON-6).

codes!(
    /// CON-3 states (合同台账).
    ContractStatus {
        Draft = "draft",
        InReview = "in_review",
        Signed = "signed",
        InExecution = "in_execution",
        /// An amendment of a signed contract is being written or reviewed.
        Changed = "changed",
        Completed = "completed",
        Terminated = "terminated",
    }
);

codes!(
    ReviewKind {
        /// CON-2 法务审核.
        Legal = "legal",
        /// CON-6: finance approves a contract beyond the customer's credit limit.
        Credit = "credit",
    }
);

codes!(
    ReviewStatus {
        Pending = "pending",
        Approved = "approved",
        Returned = "returned",
        /// Closed without a decision because the contract was returned by the other review.
        Withdrawn = "withdrawn",
    }
);

codes!(
    /// CON-6 credit rating, best first.
    CreditRating {
        Aaa = "AAA",
        Aa = "AA",
        A = "A",
        B = "B",
        C = "C",
    }
);

/// What can happen to a contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractEvent {
    /// Terms or lines edited.
    Edit,
    Submit,
    /// A review returned it with comments.
    Return,
    /// Signed after every review of the version approved; `amended` when it was an amendment
    /// (back to where it was: in execution once anything shipped).
    Sign {
        amended: bool,
        delivered: bool,
    },
    /// A change of a signed contract starts (a new version).
    Amend,
    Complete,
    Terminate,
}

impl ContractStatus {
    /// The state after `event`, or why it may not happen.
    pub fn apply(self, event: ContractEvent) -> Result<ContractStatus, &'static str> {
        use ContractEvent as E;
        use ContractStatus as S;
        match (self, event) {
            (S::Draft | S::Changed, E::Edit) => Ok(self),
            (S::Draft | S::Changed, E::Submit) => Ok(S::InReview),
            (S::InReview, E::Return) => Ok(S::Draft),
            (S::InReview, E::Sign { amended, delivered }) => Ok(match (amended, delivered) {
                (true, true) => S::InExecution,
                _ => S::Signed,
            }),
            (S::Signed | S::InExecution, E::Amend) => Ok(S::Changed),
            (S::Signed | S::InExecution, E::Complete) => Ok(S::Completed),
            (S::Draft | S::InReview | S::Signed | S::InExecution | S::Changed, E::Terminate) => {
                Ok(S::Terminated)
            }
            (S::InReview, E::Edit) => Err("the contract is in review: wait for the decision"),
            (S::Draft | S::Changed, E::Sign { .. }) => Err("submit the contract for review first"),
            (S::Completed | S::Terminated, _) => Err("the contract is closed"),
            (S::Signed | S::InExecution, E::Edit | E::Submit) => {
                Err("a signed contract changes only by an amendment")
            }
            _ => Err("not possible in this state"),
        }
    }

    /// The ledger's word for the state (台账 exports are in Chinese).
    pub fn label_zh(self) -> &'static str {
        match self {
            ContractStatus::Draft => "草稿",
            ContractStatus::InReview => "审核中",
            ContractStatus::Signed => "已签订",
            ContractStatus::InExecution => "执行中",
            ContractStatus::Changed => "变更中",
            ContractStatus::Completed => "已完成",
            ContractStatus::Terminated => "已终止",
        }
    }

    /// Whether the contract binds (goods may be ordered, invoices issued).
    pub fn binding(self) -> bool {
        matches!(
            self,
            ContractStatus::Signed | ContractStatus::InExecution | ContractStatus::Changed
        )
    }
}

/// The CON-1 terms of one version as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Terms {
    pub delivery_date: Option<String>,
    pub delivery_place: String,
    pub quality_standard: String,
    pub payment_terms: String,
    pub after_sales_terms: String,
}

/// A line as CON-1 sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermLine {
    pub product_name: String,
    pub spec_model: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
}

/// CON-1: the fields a contract must state before it may go to review, by API field name;
/// empty when complete.
pub fn missing_terms(terms: &Terms, lines: &[TermLine]) -> Vec<&'static str> {
    let blank = |s: &str| s.trim().is_empty();
    let mut missing = Vec::new();
    if terms.delivery_date.as_deref().is_none_or(blank) {
        missing.push("delivery_date");
    }
    for (field, text) in [
        ("delivery_place", &terms.delivery_place),
        ("quality_standard", &terms.quality_standard),
        ("payment_terms", &terms.payment_terms),
        ("after_sales_terms", &terms.after_sales_terms),
    ] {
        if blank(text) {
            missing.push(field);
        }
    }
    let line_gap = lines.is_empty()
        || lines
            .iter()
            .any(|l| blank(&l.product_name) || blank(&l.spec_model) || l.quantity <= 0);
    if line_gap {
        missing.push("lines");
    }
    missing
}

/// CON-6: exposure after this contract (open contracts not yet collected plus this one)
/// against the limit; no evaluated credit means finance must look.
pub fn needs_credit_approval(limit_fen: Option<i64>, exposure_fen: i64) -> bool {
    limit_fen.is_none_or(|limit| exposure_fen > limit)
}

/// One version as the diff sees it: its CON-1 terms and its lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionFacts {
    pub terms: Terms,
    pub payment_days: i64,
    pub warranty_months: i64,
    pub lines: Vec<VersionLine>,
}

/// A line of a version; `line_no` is stable across versions (orders refer to it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionLine {
    pub line_no: i64,
    pub product_id: i64,
    pub product_name: String,
    pub spec_model: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
}

/// A term that differs between two versions, by API field name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermChange {
    pub field: &'static str,
    pub old: String,
    pub new: String,
}

/// How one line differs: present in only one version, or changed in place. A line whose
/// product changed counts as removed and added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineChange {
    Added(VersionLine),
    Removed(VersionLine),
    Changed { old: VersionLine, new: VersionLine },
}

/// CON-3: what changed from `old` to `new`: terms field by field, then lines by line number.
pub fn diff(old: &VersionFacts, new: &VersionFacts) -> (Vec<TermChange>, Vec<LineChange>) {
    let date = |t: &Terms| t.delivery_date.clone().unwrap_or_default();
    let texts = [
        ("delivery_date", date(&old.terms), date(&new.terms)),
        (
            "delivery_place",
            old.terms.delivery_place.clone(),
            new.terms.delivery_place.clone(),
        ),
        (
            "quality_standard",
            old.terms.quality_standard.clone(),
            new.terms.quality_standard.clone(),
        ),
        (
            "payment_terms",
            old.terms.payment_terms.clone(),
            new.terms.payment_terms.clone(),
        ),
        (
            "payment_days",
            old.payment_days.to_string(),
            new.payment_days.to_string(),
        ),
        (
            "after_sales_terms",
            old.terms.after_sales_terms.clone(),
            new.terms.after_sales_terms.clone(),
        ),
        (
            "warranty_months",
            old.warranty_months.to_string(),
            new.warranty_months.to_string(),
        ),
    ];
    let terms = texts
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(field, old, new)| TermChange { field, old, new })
        .collect();
    let mut numbers: Vec<i64> = old
        .lines
        .iter()
        .chain(&new.lines)
        .map(|l| l.line_no)
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    let find = |lines: &[VersionLine], no: i64| lines.iter().find(|l| l.line_no == no).cloned();
    let mut lines = Vec::new();
    for no in numbers {
        match (find(&old.lines, no), find(&new.lines, no)) {
            (Some(a), Some(b)) if a.product_id != b.product_id => {
                lines.push(LineChange::Removed(a));
                lines.push(LineChange::Added(b));
            }
            (Some(a), Some(b)) if a != b => lines.push(LineChange::Changed { old: a, new: b }),
            (Some(a), None) => lines.push(LineChange::Removed(a)),
            (None, Some(b)) => lines.push(LineChange::Added(b)),
            _ => {}
        }
    }
    (terms, lines)
}

/// CON-3: the first line of an amendment that would fall below what was already ordered
/// (or delivered), as `(line_no, ordered)`. `ordered` is `(line_no, product_id, quantity)`;
/// a line that was ordered must stay, with its product.
pub fn below_ordered(lines: &[VersionLine], ordered: &[(i64, i64, i64)]) -> Option<(i64, i64)> {
    ordered
        .iter()
        .find(|(no, product, quantity)| {
            !lines
                .iter()
                .any(|l| l.line_no == *no && l.product_id == *product && l.quantity >= *quantity)
        })
        .map(|(no, _, quantity)| (*no, *quantity))
}

/// CON-5 share in basis points (`part` of `whole`, rounded down); `None` for an empty period.
pub fn rate_bp(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| part.saturating_mul(10_000) / whole)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContractEvent as E;
    use ContractStatus as S;

    fn complete() -> (Terms, Vec<TermLine>) {
        let terms = Terms {
            delivery_date: Some("2026-12-31".into()),
            delivery_place: "上海市徐汇区 设备科".into(),
            quality_standard: "GB 9706.1-2020".into(),
            payment_terms: "验收后 90 天付清".into(),
            after_sales_terms: "保修 12 个月".into(),
        };
        let lines = vec![TermLine {
            product_name: "彩色超声诊断仪".into(),
            spec_model: "RK-U8".into(),
            quantity: 1,
            unit_price_fen: 100,
        }];
        (terms, lines)
    }

    #[test]
    fn con_1_every_term_is_required_before_review() {
        let (terms, lines) = complete();
        assert!(missing_terms(&terms, &lines).is_empty());
        let mut no_place = terms.clone();
        no_place.delivery_place = "  ".into();
        assert_eq!(missing_terms(&no_place, &lines), vec!["delivery_place"]);
        let bare = Terms {
            delivery_date: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(
            missing_terms(&bare, &[]),
            vec![
                "delivery_date",
                "delivery_place",
                "quality_standard",
                "payment_terms",
                "after_sales_terms",
                "lines"
            ]
        );
        let mut no_model = lines.clone();
        no_model[0].spec_model = String::new();
        assert_eq!(missing_terms(&terms, &no_model), vec!["lines"]);
    }

    #[test]
    fn con_3_states_move_only_as_the_ledger_allows() {
        assert_eq!(S::Draft.apply(E::Edit), Ok(S::Draft));
        assert_eq!(S::Draft.apply(E::Submit), Ok(S::InReview));
        assert_eq!(S::InReview.apply(E::Return), Ok(S::Draft));
        let sign = |amended, delivered| E::Sign { amended, delivered };
        assert_eq!(S::InReview.apply(sign(false, false)), Ok(S::Signed));
        assert_eq!(S::InReview.apply(sign(true, true)), Ok(S::InExecution));
        assert_eq!(S::InReview.apply(sign(true, false)), Ok(S::Signed));
        assert_eq!(S::InExecution.apply(E::Amend), Ok(S::Changed));
        assert_eq!(S::Changed.apply(E::Edit), Ok(S::Changed));
        assert_eq!(S::Changed.apply(E::Submit), Ok(S::InReview));
        assert!(S::Draft.apply(sign(false, false)).is_err());
        assert!(S::Signed.apply(E::Edit).is_err());
        assert!(S::InReview.apply(E::Edit).is_err());
        assert!(S::Completed.apply(E::Amend).is_err());
        assert!(S::Terminated.apply(E::Terminate).is_err());
        assert_eq!(S::Signed.apply(E::Terminate), Ok(S::Terminated));
        assert!(S::Signed.binding() && !S::Draft.binding() && !S::Completed.binding());
    }

    #[test]
    fn con_6_over_the_limit_or_unrated_needs_finance() {
        assert!(needs_credit_approval(None, 0));
        assert!(!needs_credit_approval(Some(1_000), 1_000));
        assert!(needs_credit_approval(Some(1_000), 1_001));
    }

    fn line(no: i64, product: i64, quantity: i64, price: i64) -> VersionLine {
        VersionLine {
            line_no: no,
            product_id: product,
            product_name: format!("P{product}"),
            spec_model: "M".into(),
            quantity,
            unit_price_fen: price,
        }
    }

    #[test]
    fn con_3_diff_names_changed_terms_and_lines() {
        let (terms, _) = complete();
        let old = VersionFacts {
            terms: terms.clone(),
            payment_days: 30,
            warranty_months: 12,
            lines: vec![line(1, 7, 2, 100), line(2, 8, 1, 50), line(3, 9, 1, 10)],
        };
        let mut new = old.clone();
        new.terms.delivery_place = "北京".into();
        new.payment_days = 60;
        new.lines = vec![line(1, 7, 3, 90), line(3, 4, 1, 10), line(4, 5, 1, 1)];
        let (t, l) = diff(&old, &new);
        let fields: Vec<_> = t
            .iter()
            .map(|c| (c.field, c.old.as_str(), c.new.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("delivery_place", "上海市徐汇区 设备科", "北京"),
                ("payment_days", "30", "60")
            ]
        );
        assert_eq!(
            l,
            [
                LineChange::Changed {
                    old: line(1, 7, 2, 100),
                    new: line(1, 7, 3, 90)
                },
                LineChange::Removed(line(2, 8, 1, 50)),
                LineChange::Removed(line(3, 9, 1, 10)),
                LineChange::Added(line(3, 4, 1, 10)),
                LineChange::Added(line(4, 5, 1, 1)),
            ]
        );
        assert_eq!(diff(&old, &old), (vec![], vec![]));
    }

    #[test]
    fn con_3_an_amendment_keeps_what_was_ordered() {
        let lines = [line(1, 7, 5, 100), line(2, 8, 1, 50)];
        assert_eq!(below_ordered(&lines, &[(1, 7, 5), (2, 8, 1)]), None);
        assert_eq!(below_ordered(&lines, &[(1, 7, 6)]), Some((1, 6)));
        assert_eq!(below_ordered(&lines, &[(3, 7, 1)]), Some((3, 1)), "removed");
        assert_eq!(
            below_ordered(&lines, &[(2, 9, 1)]),
            Some((2, 1)),
            "other product"
        );
    }

    #[test]
    fn con_5_rate_in_basis_points() {
        assert_eq!(rate_bp(2, 3), Some(6_666));
        assert_eq!(rate_bp(0, 0), None);
        assert_eq!(rate_bp(4, 4), Some(10_000));
    }
}
