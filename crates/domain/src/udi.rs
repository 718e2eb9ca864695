//! ORD-1: the GS1 UDI on a device label, as a scanner types it or as printed under the barcode.
//!
//! Two spellings are read:
//! - human-readable: `(01)06901234567892(11)250101(17)270101(10)LOT123(21)SN0001`;
//! - raw: what a scanner sends, optionally led by the symbology identifier `]d2` (DataMatrix)
//!   or `]C1` (GS1-128) and/or an FNC1 (GS, `\x1d`); variable-length values end at the next
//!   GS or at the end.
//!
//! The application identifiers understood are those of a device UDI: (01) GTIN-14 with its
//! check digit, (11) production date, (17) expiry date, (10) lot and (21) serial. Dates are
//! YYMMDD in 2000–2099; a day of `00` means the last day of the month (GS1 General
//! Specifications 7.12). Values use the GS1 character set 82.

use jiff::civil::Date;

const GS: char = '\u{1d}';
const MAX_VARIABLE: usize = 20;

/// What a UDI says about the item it labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Udi {
    /// The device identifier (UDI-DI): the GTIN-14.
    pub gtin: String,
    pub production_date: Option<Date>,
    pub expiry_date: Option<Date>,
    pub lot: Option<String>,
    pub serial: Option<String>,
}

impl std::fmt::Display for Udi {
    /// The human-readable form printed under a barcode: `(01)…(11)YYMMDD(17)YYMMDD(10)…(21)…`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let yymmdd = |d: Date| format!("{:02}{:02}{:02}", d.year() % 100, d.month(), d.day());
        write!(f, "(01){}", self.gtin)?;
        if let Some(d) = self.production_date {
            write!(f, "(11){}", yymmdd(d))?;
        }
        if let Some(d) = self.expiry_date {
            write!(f, "(17){}", yymmdd(d))?;
        }
        if let Some(lot) = &self.lot {
            write!(f, "(10){lot}")?;
        }
        if let Some(serial) = &self.serial {
            write!(f, "(21){serial}")?;
        }
        Ok(())
    }
}

/// Why a string is not a UDI; the text names the exact place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UdiError {
    #[error("the UDI is empty")]
    Empty,
    #[error("unknown application identifier ({0}); expected 01, 11, 17, 10 or 21")]
    UnknownAi(String),
    #[error("({0}) appears twice")]
    DuplicateAi(&'static str),
    #[error("(01) GTIN {gtin}: check digit should be {expected}")]
    BadCheckDigit { gtin: String, expected: u32 },
    #[error("({ai}) {value}: {why}")]
    BadDate {
        ai: &'static str,
        value: String,
        why: &'static str,
    },
    #[error("({ai}) must be {len} digits, got `{value}`")]
    BadLength {
        ai: &'static str,
        len: usize,
        value: String,
    },
    #[error("({ai}) is {len} characters; at most {MAX_VARIABLE}")]
    TooLong { ai: &'static str, len: usize },
    #[error("({0}) is empty")]
    EmptyValue(&'static str),
    #[error("({ai}) contains `{ch}`, which a GS1 barcode cannot carry")]
    BadCharacter { ai: &'static str, ch: char },
    #[error("no (01) GTIN: a UDI must name the device")]
    MissingGtin,
    #[error("{0}")]
    Malformed(&'static str),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ai {
    Gtin,
    Production,
    Expiry,
    Lot,
    Serial,
}

impl Ai {
    fn of(code: &str) -> Option<Ai> {
        Some(match code {
            "01" => Ai::Gtin,
            "11" => Ai::Production,
            "17" => Ai::Expiry,
            "10" => Ai::Lot,
            "21" => Ai::Serial,
            _ => return None,
        })
    }

    fn code(self) -> &'static str {
        match self {
            Ai::Gtin => "01",
            Ai::Production => "11",
            Ai::Expiry => "17",
            Ai::Lot => "10",
            Ai::Serial => "21",
        }
    }

    /// The length of a fixed-length value; `None` for a variable one.
    fn fixed(self) -> Option<usize> {
        match self {
            Ai::Gtin => Some(14),
            Ai::Production | Ai::Expiry => Some(6),
            Ai::Lot | Ai::Serial => None,
        }
    }
}

/// Reads a UDI in either spelling.
pub fn parse(text: &str) -> Result<Udi, UdiError> {
    let text = text.trim_matches(|c: char| c == ' ' || c == '\r' || c == '\n' || c == '\t');
    let body = text
        .strip_prefix("]d2")
        .or_else(|| text.strip_prefix("]C1"))
        .unwrap_or(text);
    let body = body.trim_start_matches(GS);
    if body.is_empty() {
        return Err(UdiError::Empty);
    }
    let pairs = if body.starts_with('(') {
        human_readable(body)?
    } else {
        raw(body)?
    };
    let mut udi = Udi {
        gtin: String::new(),
        production_date: None,
        expiry_date: None,
        lot: None,
        serial: None,
    };
    let mut seen: Vec<Ai> = Vec::new();
    for (ai, value) in pairs {
        if seen.contains(&ai) {
            return Err(UdiError::DuplicateAi(ai.code()));
        }
        seen.push(ai);
        check_value(ai, value)?;
        match ai {
            Ai::Gtin => udi.gtin = gtin(value)?,
            Ai::Production => udi.production_date = Some(date(ai, value)?),
            Ai::Expiry => udi.expiry_date = Some(date(ai, value)?),
            Ai::Lot => udi.lot = Some(value.to_owned()),
            Ai::Serial => udi.serial = Some(value.to_owned()),
        }
    }
    if udi.gtin.is_empty() {
        return Err(UdiError::MissingGtin);
    }
    Ok(udi)
}

/// `(AI)value(AI)value…`: each value runs to the next `(` or the end.
fn human_readable(body: &str) -> Result<Vec<(Ai, &str)>, UdiError> {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let after = rest.strip_prefix('(').ok_or(UdiError::Malformed(
            "expected `(` before an application identifier",
        ))?;
        let close = after.find(')').ok_or(UdiError::Malformed(
            "an application identifier lacks its `)`",
        ))?;
        let code = &after[..close];
        let ai = Ai::of(code).ok_or_else(|| UdiError::UnknownAi(code.to_owned()))?;
        let value_and_rest = &after[close + 1..];
        let end = value_and_rest.find('(').unwrap_or(value_and_rest.len());
        out.push((ai, &value_and_rest[..end]));
        rest = &value_and_rest[end..];
    }
    Ok(out)
}

/// Element strings back to back: fixed-length values take their length, variable ones run to
/// the next GS or the end.
fn raw(body: &str) -> Result<Vec<(Ai, &str)>, UdiError> {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let code = rest
            .get(..2)
            .ok_or_else(|| UdiError::UnknownAi(rest.to_owned()))?;
        let ai = Ai::of(code).ok_or_else(|| UdiError::UnknownAi(code.to_owned()))?;
        let after = &rest[2..];
        let (value, next) = match ai.fixed() {
            Some(len) => match after.char_indices().nth(len) {
                Some((i, _)) => (&after[..i], &after[i..]),
                None => (after, ""),
            },
            None => match after.find(GS) {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, ""),
            },
        };
        out.push((ai, value));
        // A GS may also follow a fixed-length value (allowed, not needed).
        rest = next.strip_prefix(GS).unwrap_or(next);
    }
    Ok(out)
}

fn check_value(ai: Ai, value: &str) -> Result<(), UdiError> {
    match ai.fixed() {
        Some(len) => {
            if value.len() != len || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(UdiError::BadLength {
                    ai: ai.code(),
                    len,
                    value: value.to_owned(),
                });
            }
        }
        None => {
            if value.is_empty() {
                return Err(UdiError::EmptyValue(ai.code()));
            }
            if let Some(ch) = value.chars().find(|c| !cset82(*c)) {
                return Err(UdiError::BadCharacter { ai: ai.code(), ch });
            }
            let len = value.chars().count();
            if len > MAX_VARIABLE {
                return Err(UdiError::TooLong { ai: ai.code(), len });
            }
        }
    }
    Ok(())
}

/// GS1 character set 82 (General Specifications 7.11, figure 7.11-1).
fn cset82(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!\"%&'()*+,-./:;<=>?_".contains(c)
}

/// The GTIN-14 whose last digit checks out (mod 10, weights 3 and 1 from the right).
fn gtin(value: &str) -> Result<String, UdiError> {
    let digits: Vec<u32> = value.chars().filter_map(|c| c.to_digit(10)).collect();
    let expected = check_digit(&digits[..13]);
    if digits[13] != expected {
        return Err(UdiError::BadCheckDigit {
            gtin: value.to_owned(),
            expected,
        });
    }
    Ok(value.to_owned())
}

/// The GS1 check digit of the digits before it.
pub fn check_digit(digits: &[u32]) -> u32 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    (10 - sum % 10) % 10
}

/// YYMMDD in 2000–2099; DD `00` is the month's last day.
fn date(ai: Ai, value: &str) -> Result<Date, UdiError> {
    let bad = |why| UdiError::BadDate {
        ai: ai.code(),
        value: value.to_owned(),
        why,
    };
    let n = |r: std::ops::Range<usize>| value[r].parse::<i8>().map_err(|_| bad("not a date"));
    let (yy, mm, dd) = (n(0..2)?, n(2..4)?, n(4..6)?);
    if !(1..=12).contains(&mm) {
        return Err(bad("no such month"));
    }
    let year = 2000 + i16::from(yy);
    if dd == 0 {
        let first = Date::new(year, mm, 1).map_err(|_| bad("no such day"))?;
        return Ok(first.last_of_month());
    }
    Date::new(year, mm, dd).map_err(|_| bad("no such day"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i16, m: i8, day: i8) -> Date {
        Date::new(y, m, day).unwrap()
    }

    const HR: &str = "(01)06901234567892(11)250101(17)270101(10)LOT123(21)SN0001";

    #[test]
    fn ord_1_reads_the_human_readable_form() {
        let u = parse(HR).unwrap();
        assert_eq!(u.gtin, "06901234567892");
        assert_eq!(u.production_date, Some(d(2025, 1, 1)));
        assert_eq!(u.expiry_date, Some(d(2027, 1, 1)));
        assert_eq!(u.lot.as_deref(), Some("LOT123"));
        assert_eq!(u.serial.as_deref(), Some("SN0001"));
        assert_eq!(u.to_string(), HR, "printed back as read");
    }

    #[test]
    fn ord_1_reads_the_raw_form_with_gs_and_symbology_prefixes() {
        let raw = "0106901234567892112501011727010110LOT123\u{1d}21SN0001";
        for prefix in ["", "]d2", "]C1", "]d2\u{1d}", "\u{1d}"] {
            assert_eq!(parse(&format!("{prefix}{raw}")), parse(HR), "{prefix:?}");
        }
    }

    #[test]
    fn ord_1_raw_variable_value_may_come_before_fixed_ones() {
        let u = parse("]d20106901234567892\u{1d}10A1B2\u{1d}17270100\u{1d}21X9").unwrap();
        assert_eq!(u.lot.as_deref(), Some("A1B2"));
        assert_eq!(u.serial.as_deref(), Some("X9"));
        assert_eq!(u.expiry_date, Some(d(2027, 1, 31)));
    }

    #[test]
    fn ord_1_only_gtin_is_required() {
        let u = parse("(01)06901234567892").unwrap();
        assert_eq!(u.lot, None);
        assert_eq!(u.serial, None);
        assert_eq!(u.production_date, None);
        assert_eq!(parse("0106901234567892").unwrap(), u);
    }

    #[test]
    fn ord_1_day_00_is_the_last_day_of_the_month() {
        let u = parse("(01)06901234567892(17)240200").unwrap();
        assert_eq!(u.expiry_date, Some(d(2024, 2, 29)));
        let u = parse("(01)06901234567892(17)250200").unwrap();
        assert_eq!(u.expiry_date, Some(d(2025, 2, 28)));
        let u = parse("(01)06901234567892(11)251200").unwrap();
        assert_eq!(u.production_date, Some(d(2025, 12, 31)));
    }

    #[test]
    fn ord_1_surrounding_whitespace_and_newline_from_a_scanner_are_ignored() {
        assert_eq!(parse(&format!("  {HR}\r\n")), parse(HR));
    }

    #[test]
    fn ord_1_check_digit_is_verified() {
        let e = parse("(01)06901234567891").unwrap_err();
        assert_eq!(
            e,
            UdiError::BadCheckDigit {
                gtin: "06901234567891".into(),
                expected: 2
            }
        );
        assert!(e.to_string().contains("check digit should be 2"));
        // Known-good GTINs.
        assert!(parse("(01)00012345600012").is_ok());
        assert!(parse("(01)04012345123456").is_ok());
    }

    #[test]
    fn ord_1_check_digit_algorithm() {
        let digits = |s: &str| {
            s.chars()
                .map(|c| c.to_digit(10).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(check_digit(&digits("0690123456789")), 2);
        assert_eq!(check_digit(&digits("0001234560001")), 2);
        assert_eq!(check_digit(&digits("0000000000000")), 0);
    }

    #[test]
    fn ord_1_unknown_ai_is_named() {
        assert_eq!(
            parse("(01)06901234567892(99)X").unwrap_err(),
            UdiError::UnknownAi("99".into())
        );
        assert_eq!(
            parse("0106901234567892240ABC").unwrap_err(),
            UdiError::UnknownAi("24".into())
        );
        assert_eq!(
            parse("(0A)1").unwrap_err(),
            UdiError::UnknownAi("0A".into())
        );
    }

    #[test]
    fn ord_1_bad_dates_are_refused() {
        for (text, why) in [
            ("(01)06901234567892(17)271301", "no such month"),
            ("(01)06901234567892(17)270230", "no such day"),
            ("(01)06901234567892(11)250001", "no such month"),
        ] {
            match parse(text).unwrap_err() {
                UdiError::BadDate { why: w, .. } => assert_eq!(w, why, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        assert!(matches!(
            parse("(01)06901234567892(17)2701").unwrap_err(),
            UdiError::BadLength {
                ai: "17",
                len: 6,
                ..
            }
        ));
        assert!(matches!(
            parse("(01)06901234567892(11)25AB01").unwrap_err(),
            UdiError::BadLength { ai: "11", .. }
        ));
    }

    #[test]
    fn ord_1_gtin_must_be_fourteen_digits() {
        assert!(matches!(
            parse("(01)0690123456789").unwrap_err(),
            UdiError::BadLength {
                ai: "01",
                len: 14,
                ..
            }
        ));
        assert!(matches!(
            parse("01069012345").unwrap_err(),
            UdiError::BadLength { ai: "01", .. }
        ));
    }

    #[test]
    fn ord_1_variable_values_are_at_most_twenty_characters() {
        let e = parse("(01)06901234567892(10)ABCDEFGHIJKLMNOPQRSTU").unwrap_err();
        assert_eq!(e, UdiError::TooLong { ai: "10", len: 21 });
        assert!(parse("(01)06901234567892(21)ABCDEFGHIJKLMNOPQRST").is_ok());
        let e = parse("0106901234567892\u{1d}21ABCDEFGHIJKLMNOPQRSTUVW").unwrap_err();
        assert_eq!(e, UdiError::TooLong { ai: "21", len: 23 });
    }

    #[test]
    fn ord_1_missing_gtin_is_refused() {
        assert_eq!(parse("(10)LOT1(21)S1").unwrap_err(), UdiError::MissingGtin);
        assert_eq!(parse("10LOT1").unwrap_err(), UdiError::MissingGtin);
    }

    #[test]
    fn ord_1_duplicate_ai_is_refused() {
        assert_eq!(
            parse("(01)06901234567892(10)A(10)B").unwrap_err(),
            UdiError::DuplicateAi("10")
        );
        assert_eq!(
            parse("0106901234567892010690123456789210A").unwrap_err(),
            UdiError::DuplicateAi("01")
        );
    }

    #[test]
    fn ord_1_empty_and_malformed_strings_are_refused() {
        assert_eq!(parse("").unwrap_err(), UdiError::Empty);
        assert_eq!(parse("]d2").unwrap_err(), UdiError::Empty);
        assert_eq!(parse("  \u{1d}").unwrap_err(), UdiError::Empty);
        assert_eq!(
            parse("(01").unwrap_err(),
            UdiError::Malformed("an application identifier lacks its `)`")
        );
        assert_eq!(
            parse("(01)06901234567892(10)").unwrap_err(),
            UdiError::EmptyValue("10")
        );
        assert!(matches!(
            parse("(01)06901234567892(10)批号").unwrap_err(),
            UdiError::BadCharacter {
                ai: "10", ch: '批'
            }
        ));
        assert!(matches!(
            parse("(01)06901234567892(21)A B").unwrap_err(),
            UdiError::BadCharacter { ch: ' ', .. }
        ));
        assert_eq!(parse("1").unwrap_err(), UdiError::UnknownAi("1".into()));
    }

    #[test]
    fn ord_1_a_gs_after_a_fixed_value_is_tolerated() {
        let u = parse("0106901234567892\u{1d}17270101\u{1d}10L1").unwrap();
        assert_eq!(u.lot.as_deref(), Some("L1"));
        assert_eq!(u.expiry_date, Some(d(2027, 1, 1)));
    }
}
