//! Roles (SPEC "Who uses it") and the password rule `medcrm init` and the admin pages enforce.

use std::fmt;
use std::str::FromStr;

/// A role from the SPEC role list. A user may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Admin,
    SalesRep,
    SalesManager,
    SalesDirector,
    Executive,
    ServiceAgent,
    ServiceEngineer,
    ServiceManager,
    Warehouse,
    Finance,
    Legal,
    Quality,
}

impl Role {
    pub const ALL: [Role; 12] = [
        Role::Admin,
        Role::SalesRep,
        Role::SalesManager,
        Role::SalesDirector,
        Role::Executive,
        Role::ServiceAgent,
        Role::ServiceEngineer,
        Role::ServiceManager,
        Role::Warehouse,
        Role::Finance,
        Role::Legal,
        Role::Quality,
    ];

    /// The stable code used in the database and the API.
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::SalesRep => "sales_rep",
            Role::SalesManager => "sales_manager",
            Role::SalesDirector => "sales_director",
            Role::Executive => "executive",
            Role::ServiceAgent => "service_agent",
            Role::ServiceEngineer => "service_engineer",
            Role::ServiceManager => "service_manager",
            Role::Warehouse => "warehouse",
            Role::Finance => "finance",
            Role::Legal => "legal",
            Role::Quality => "quality",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::SalesRep => "销售代表",
            Role::SalesManager => "区域经理",
            Role::SalesDirector => "销售总监",
            Role::Executive => "总经理",
            Role::ServiceAgent => "客服专员",
            Role::ServiceEngineer => "售后工程师",
            Role::ServiceManager => "服务经理",
            Role::Warehouse => "仓库管理员",
            Role::Finance => "财务",
            Role::Legal => "法务",
            Role::Quality => "质量合规",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::SalesRep => "Sales rep",
            Role::SalesManager => "Sales manager",
            Role::SalesDirector => "Sales director",
            Role::Executive => "Executive",
            Role::ServiceAgent => "Service agent",
            Role::ServiceEngineer => "Service engineer",
            Role::ServiceManager => "Service manager",
            Role::Warehouse => "Warehouse",
            Role::Finance => "Finance",
            Role::Legal => "Legal",
            Role::Quality => "Quality & compliance",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// Why a password was refused. Messages are shown to the admin as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("password must be at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("password must be at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
    #[error("password must mix at least two of: letters, digits, other characters")]
    TooSimple,
    #[error("password must not contain the username")]
    ContainsUsername,
}

pub const MIN_PASSWORD_CHARS: usize = 10;
/// Bounded so argon2 never hashes megabytes sent by an attacker.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A password strong enough for a system holding patient-adjacent and commercial data.
/// The demo password `medcrm-demo` passes (letters + other characters, 11 chars).
pub fn check_password(username: &str, password: &str) -> Result<(), WeakPassword> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(WeakPassword::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(WeakPassword::TooLong);
    }
    let letters = password.chars().any(char::is_alphabetic);
    let digits = password.chars().any(|c| c.is_ascii_digit());
    let others = password.chars().any(|c| !c.is_alphanumeric());
    if [letters, digits, others].into_iter().filter(|x| *x).count() < 2 {
        return Err(WeakPassword::TooSimple);
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(WeakPassword::ContainsUsername);
    }
    Ok(())
}

/// A username: 3–64 chars of lowercase ASCII letters, digits, `.`, `_`, `-`.
pub fn check_username(username: &str) -> Result<(), &'static str> {
    let len = username.len();
    if !(3..=64).contains(&len) {
        return Err("username must be 3 to 64 characters");
    }
    let ok = username
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !ok {
        return Err("username may contain only lowercase letters, digits, '.', '_' and '-'");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.code().parse::<Role>(), Ok(role));
        }
        assert!("boss".parse::<Role>().is_err());
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert_eq!(
            check_password("admin", "short1!"),
            Err(WeakPassword::TooShort)
        );
        assert_eq!(
            check_password("admin", "abcdefghijkl"),
            Err(WeakPassword::TooSimple)
        );
        assert_eq!(
            check_password("admin", "1234567890"),
            Err(WeakPassword::TooSimple)
        );
        assert_eq!(
            check_password("admin", "myadmin-2026"),
            Err(WeakPassword::ContainsUsername)
        );
        assert_eq!(
            check_password("admin", &"a1".repeat(65)),
            Err(WeakPassword::TooLong)
        );
        assert_eq!(check_password("admin", "medcrm-demo"), Ok(()));
        assert_eq!(check_password("admin", "correct horse 7"), Ok(()));
    }

    #[test]
    fn usernames_are_restricted() {
        assert!(check_username("rep.east").is_ok());
        assert!(check_username("ab").is_err());
        assert!(check_username("Rep East").is_err());
    }
}
