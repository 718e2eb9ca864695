//! Pure business rules of medcrm. No I/O, no async, no database or HTTP types: every function
//! here is deterministic and cannot fail for infrastructure reasons.

/// Declares a closed set of codes stored as text: `code()`, `FromStr`, `ALL`.
macro_rules! codes {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($code => Ok($name::$variant),)+
                    other => Err(format!(
                        "`{other}` is not one of: {}",
                        [$($code),+].join(", ")
                    )),
                }
            }
        }
    };
}

pub mod audit;
pub mod auth;
pub mod calendar;
pub mod contracts;
pub mod customers;
pub mod deliveries;
pub mod org;
pub mod parts;
pub mod pipeline;
pub mod pricing;
pub mod products;
pub mod receivables;
pub mod service;
pub mod udi;
