//! Shiku resultCode values (docs/errors.md), the one place they are defined.

pub use crate::error::refused::*;
