//! CUS: institutions (hospitals, partners …), their classification (CUS-3), visit frequency
//! (CUS-4), identity checks (unified social credit code) and pinyin search keys.

use jiff::ToSpan;
use jiff::civil::Date;
use pinyin::ToPinyin;

codes!(
    /// CUS-1, CUS-8: the kinds of institution a company sells to or through.
    InstitutionKind {
        Hospital = "hospital",
        PrivateHospital = "private_hospital",
        PrimaryCare = "primary_care",
        Research = "research",
        Partner = "partner",
    }
);

codes!(
    /// Hospital level under the national grading (三级甲等 …).
    HospitalLevel {
        ThreeA = "3A",
        ThreeB = "3B",
        ThreeC = "3C",
        TwoA = "2A",
        TwoB = "2B",
        TwoC = "2C",
        One = "1",
        Unrated = "unrated",
    }
);

codes!(
    /// CUS-1: who a contact is at the institution.
    ContactRole {
        Doctor = "doctor",
        DepartmentHead = "department_head",
        Equipment = "equipment",
        Procurement = "procurement",
        Finance = "finance",
        Kol = "kol",
        Other = "other",
    }
);

codes!(
    /// CUS-3: 重点 / 普通 / 潜在.
    Category {
        Key = "key",
        Normal = "normal",
        Potential = "potential",
    }
);

codes!(
    /// CUS-3: ABC grade.
    Grade {
        A = "A",
        B = "B",
        C = "C",
    }
);

/// CUS-3 inputs, each scored 1 (low) to 5 (high) by the rep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assessment {
    pub scale: u8,
    pub demand: u8,
    pub willingness: u8,
}

impl Assessment {
    pub fn new(scale: i64, demand: i64, willingness: i64) -> Result<Self, &'static str> {
        let score = |v: i64| u8::try_from(v).ok().filter(|v| (1..=5).contains(v));
        match (score(scale), score(demand), score(willingness)) {
            (Some(scale), Some(demand), Some(willingness)) => Ok(Assessment {
                scale,
                demand,
                willingness,
            }),
            _ => Err("scores are whole numbers from 1 to 5"),
        }
    }
}

/// CUS-3's configurable rule: weights (percent, summing to 100) of the three scores, and the
/// weighted score (on the 1–5 scale, in hundredths) a grade needs. A → key, B → normal,
/// C → potential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GradeRule {
    pub scale_weight: u32,
    pub demand_weight: u32,
    pub willingness_weight: u32,
    /// Weighted score × 100 at or above which the grade is A (default 400 = 4.00).
    pub a_from: u32,
    /// … and B (default 280 = 2.80); below is C.
    pub b_from: u32,
}

impl Default for GradeRule {
    fn default() -> Self {
        GradeRule {
            scale_weight: 40,
            demand_weight: 40,
            willingness_weight: 20,
            a_from: 400,
            b_from: 280,
        }
    }
}

impl GradeRule {
    pub fn validate(&self) -> Result<(), &'static str> {
        // Summed wide: weights come from users, and three large ones must not overflow.
        let total = u64::from(self.scale_weight)
            + u64::from(self.demand_weight)
            + u64::from(self.willingness_weight);
        if total != 100 {
            return Err("the three weights must add up to 100");
        }
        if !(100..=500).contains(&self.b_from) || !(self.b_from..=500).contains(&self.a_from) {
            return Err("thresholds must satisfy 100 ≤ B ≤ A ≤ 500");
        }
        Ok(())
    }

    /// Weighted score × 100 (100–500).
    pub fn score(&self, a: Assessment) -> u32 {
        u32::from(a.scale) * self.scale_weight
            + u32::from(a.demand) * self.demand_weight
            + u32::from(a.willingness) * self.willingness_weight
    }

    pub fn classify(&self, a: Assessment) -> (Category, Grade) {
        let score = self.score(a);
        if score >= self.a_from {
            (Category::Key, Grade::A)
        } else if score >= self.b_from {
            (Category::Normal, Grade::B)
        } else {
            (Category::Potential, Grade::C)
        }
    }
}

/// CUS-4: months between visits per grade. No customer may go longer than a quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitPolicy {
    pub a_months: u8,
    pub b_months: u8,
    pub c_months: u8,
}

/// 000: existing customers are visited at least once per quarter.
pub const MAX_VISIT_INTERVAL_MONTHS: u8 = 3;

impl Default for VisitPolicy {
    fn default() -> Self {
        VisitPolicy {
            a_months: 1,
            b_months: 2,
            c_months: 3,
        }
    }
}

impl VisitPolicy {
    pub fn validate(&self) -> Result<(), &'static str> {
        let ok = |m: u8| (1..=MAX_VISIT_INTERVAL_MONTHS).contains(&m);
        if ok(self.a_months) && ok(self.b_months) && ok(self.c_months) {
            Ok(())
        } else {
            Err("every grade must be visited at least once per quarter (1 to 3 months)")
        }
    }

    pub fn interval_months(&self, grade: Grade) -> u8 {
        let m = match grade {
            Grade::A => self.a_months,
            Grade::B => self.b_months,
            Grade::C => self.c_months,
        };
        m.clamp(1, MAX_VISIT_INTERVAL_MONTHS)
    }

    /// The date the next visit is due: one interval after the last visit, or after the
    /// customer was taken on when never visited. Month ends clamp (31 Jan + 1 month = 28 Feb).
    pub fn next_due(&self, grade: Grade, last_visit_or_start: Date) -> Date {
        let months = i64::from(self.interval_months(grade));
        last_visit_or_start
            .checked_add(months.months())
            .unwrap_or(last_visit_or_start)
    }
}

/// Pinyin initials of a name, for search: 北京协和医院 → `bjxhyy`. ASCII letters and digits
/// are kept (lowercased); other characters are dropped.
pub fn initials(name: &str) -> String {
    name.chars()
        .zip(name.to_pinyin())
        .filter_map(|(ch, py)| match py {
            Some(p) => p.first_letter().chars().next(),
            None if ch.is_ascii_alphanumeric() => Some(ch.to_ascii_lowercase()),
            None => None,
        })
        .collect()
}

/// The 31 characters of a unified social credit code (GB 32100-2015), no I, O, S, V, Z.
const CREDIT_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn credit_value(c: char) -> Option<u32> {
    CREDIT_CHARS.find(c).and_then(|i| u32::try_from(i).ok())
}

/// The check character for the first 17 characters of a credit code.
pub fn credit_check_char(first17: &str) -> Option<char> {
    if first17.chars().count() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(CREDIT_WEIGHTS) {
        sum += credit_value(c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    CREDIT_CHARS.chars().nth(usize::try_from(check).ok()?)
}

/// Validates a unified social credit code (统一社会信用代码): 18 characters with a check digit.
pub fn check_credit_code(code: &str) -> Result<(), &'static str> {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 18 || chars.iter().any(|c| credit_value(*c).is_none()) {
        return Err(
            "a unified social credit code is 18 digits or capital letters (no I, O, S, V, Z)",
        );
    }
    let first17: String = chars[..17].iter().collect();
    if credit_check_char(&first17) != Some(chars[17]) {
        return Err("the check character of this credit code is wrong; please re-check it");
    }
    Ok(())
}

/// CUS-7: what is known about an institution, for its information-completeness score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    pub credit_code: bool,
    pub level_rated: bool,
    pub address: bool,
    pub beds: bool,
    pub phone: bool,
    pub needs: bool,
    pub procurement_plan: bool,
    pub departments: bool,
    /// A contact in the equipment department (设备科), who runs every purchase.
    pub equipment_contact: bool,
    pub decision_maker_with_phone: bool,
}

/// How many facts CUS-7 counts (the fields of [`Facts`]).
pub const FACT_COUNT: i64 = 10;

/// CUS-7 over a rep's whole book: `known` facts summed over `institutions` → average 0–100.
pub fn book_completeness(known: i64, institutions: i64) -> u8 {
    if institutions <= 0 {
        return 0;
    }
    let score = (known.clamp(0, FACT_COUNT * institutions) * 100) / (FACT_COUNT * institutions);
    u8::try_from(score).unwrap_or(100)
}

/// CUS-7: the share of `Facts` that are known (0–100) and the keys of those missing.
pub fn completeness(f: &Facts) -> (u8, Vec<&'static str>) {
    let items = [
        ("credit_code", f.credit_code),
        ("level", f.level_rated),
        ("address", f.address),
        ("beds", f.beds),
        ("phone", f.phone),
        ("needs", f.needs),
        ("procurement_plan", f.procurement_plan),
        ("departments", f.departments),
        ("equipment_contact", f.equipment_contact),
        ("decision_maker", f.decision_maker_with_phone),
    ];
    let missing: Vec<&'static str> = items
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(k, _)| *k)
        .collect();
    let known = items.len() - missing.len();
    let score = u8::try_from(known * 100 / items.len()).unwrap_or(100);
    (score, missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn search_key_is_the_pinyin_initials_of_the_name() {
        assert_eq!(initials("北京协和医院"), "bjxhyy");
        assert_eq!(initials("复旦大学附属中山医院"), "fddxfszsyy");
        assert_eq!(initials("301 医院 (总院)"), "301yyzy");
    }

    #[test]
    fn cus_1_credit_code_check_digit() {
        // The example code in GB 32100-2015 publicity material.
        assert_eq!(check_credit_code("91350100M000100Y43"), Ok(()));
        assert!(check_credit_code("91350100M000100Y44").is_err());
        assert!(check_credit_code("91350100M000100Y4").is_err());
        assert!(
            check_credit_code("91350100M0001O0Y43").is_err(),
            "O is not allowed"
        );
        let body = "12100000400000624";
        let full = format!("{body}{}", credit_check_char(body).unwrap());
        assert_eq!(check_credit_code(&full), Ok(()));
    }

    #[test]
    fn cus_3_default_rule_grades_by_weighted_score() {
        let rule = GradeRule::default();
        let a = |s, d, w| Assessment::new(s, d, w).unwrap();
        assert_eq!(rule.classify(a(5, 5, 3)), (Category::Key, Grade::A));
        assert_eq!(rule.score(a(4, 4, 4)), 400);
        assert_eq!(rule.classify(a(4, 4, 4)), (Category::Key, Grade::A));
        assert_eq!(rule.classify(a(3, 3, 2)), (Category::Normal, Grade::B));
        assert_eq!(rule.classify(a(2, 2, 3)), (Category::Potential, Grade::C));
        assert!(Assessment::new(0, 3, 3).is_err());
        assert!(Assessment::new(3, 6, 3).is_err());
    }

    #[test]
    fn cus_3_rule_is_configurable_and_validated() {
        let willing = GradeRule {
            scale_weight: 0,
            demand_weight: 0,
            willingness_weight: 100,
            ..GradeRule::default()
        };
        let a = Assessment::new(1, 1, 5).unwrap();
        assert_eq!(willing.classify(a).1, Grade::A);
        assert!(
            GradeRule {
                scale_weight: 50,
                ..GradeRule::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            GradeRule {
                scale_weight: u32::MAX,
                demand_weight: u32::MAX,
                ..GradeRule::default()
            }
            .validate()
            .is_err(),
            "huge weights are refused, not overflowed"
        );
        assert!(
            GradeRule {
                a_from: 200,
                b_from: 300,
                ..GradeRule::default()
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn cus_7_completeness_counts_known_facts() {
        assert_eq!(completeness(&Facts::default()).0, 0);
        let some = Facts {
            credit_code: true,
            address: true,
            phone: true,
            ..Facts::default()
        };
        let (score, missing) = completeness(&some);
        assert_eq!(score, 30);
        assert!(missing.contains(&"equipment_contact"));
        assert!(!missing.contains(&"phone"));
    }

    #[test]
    fn cus_7_a_books_completeness_is_the_average_over_its_customers() {
        assert_eq!(book_completeness(0, 0), 0);
        // Two customers: one complete (10 facts), one with 3 → 65 %.
        assert_eq!(book_completeness(13, 2), 65);
        assert_eq!(book_completeness(99, 2), 100, "never above 100");
    }

    #[test]
    fn cus_4_visit_interval_per_grade_and_never_beyond_a_quarter() {
        let p = VisitPolicy::default();
        assert_eq!(p.next_due(Grade::A, date(2026, 1, 31)), date(2026, 2, 28));
        assert_eq!(p.next_due(Grade::B, date(2026, 11, 25)), date(2027, 1, 25));
        assert_eq!(p.next_due(Grade::C, date(2026, 11, 25)), date(2027, 2, 25));
        let lax = VisitPolicy {
            c_months: 6,
            ..VisitPolicy::default()
        };
        assert!(lax.validate().is_err());
        assert_eq!(lax.interval_months(Grade::C), 3, "clamped to a quarter");
    }
}
