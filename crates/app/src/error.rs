//! The one error of the use cases. Web renders it as HTTP; CLI as a message and exit code.

use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No or no longer valid credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// Wrong username or password; deliberately does not say which.
    #[error("invalid username or password")]
    InvalidCredentials,
    #[error("you do not have permission to do this")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict {
        message: String,
        field: Option<&'static str>,
    },
    /// Field → message for every invalid field.
    #[error("validation failed")]
    Invalid(BTreeMap<&'static str, String>),
    /// A business rule refuses the action (PRD-2: not sellable …); `code` is stable.
    #[error("{message}")]
    Refused {
        code: &'static str,
        field: &'static str,
        message: String,
    },
    /// Too little of something left for the action, found by a guarded write under
    /// concurrent use (PRT-2: `insufficient_stock`); 409, `code` is stable.
    #[error("{message}")]
    Insufficient {
        code: &'static str,
        field: &'static str,
        message: String,
    },
    #[error("too many failed attempts; try again in {retry_after_s} seconds")]
    RateLimited { retry_after_s: i64 },
    /// Anything the caller cannot fix; the detail goes to the log, never to the caller.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Error {
        Error::Invalid(BTreeMap::from([(field, message.into())]))
    }

    pub fn conflict(field: Option<&'static str>, message: impl Into<String>) -> Error {
        Error::Conflict {
            message: message.into(),
            field,
        }
    }

    /// The stable code the API returns for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthenticated => "unauthenticated",
            Error::InvalidCredentials => "invalid_credentials",
            Error::Forbidden => "forbidden",
            Error::NotFound(_) => "not_found",
            Error::Conflict { .. } => "conflict",
            Error::Invalid(_) => "validation_failed",
            Error::Refused { code, .. } | Error::Insufficient { code, .. } => code,
            Error::RateLimited { .. } => "rate_limited",
            Error::Internal(_) => "internal_error",
        }
    }
}

impl From<medcrm_store::Error> for Error {
    fn from(e: medcrm_store::Error) -> Self {
        use medcrm_store::Error as S;
        match e {
            S::Conflict(what) => Error::conflict(None, format!("already exists ({what})")),
            S::MissingReference(what) => Error::Invalid(BTreeMap::from([(
                "reference",
                format!("refers to a record that does not exist ({what})"),
            )])),
            S::NotFound => Error::NotFound("record"),
            other => Error::Internal(other.to_string()),
        }
    }
}

/// Collects field errors, to report every bad field of a form at once.
#[derive(Debug, Default)]
pub struct Fields(BTreeMap<&'static str, String>);

impl Fields {
    pub fn check(&mut self, field: &'static str, result: std::result::Result<(), impl ToString>) {
        if let Err(e) = result {
            self.0.entry(field).or_insert_with(|| e.to_string());
        }
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.0))
        }
    }
}
