//! Kept for existing callers: the privacy rules live in `services::privacy`.

pub use crate::services::privacy::*;
