//! One error type for every endpoint. `dialect.rs` maps each variant to the
//! four envelopes; the table is documented in docs/errors.md.

pub type AppResult<T> = Result<T, AppError>;

/// Codes of [`AppError::Refused`]: Shiku `resultCode`s (HTTP 403 in the other dialects),
/// defined once here because services and the store refuse with them
/// (dialects/shiku/codes.rs re-exports them for handlers; docs/errors.md).
pub mod refused {
    /// The room is full (`maxUserSize`).
    pub const ROOM_FULL: i64 = 1100901;
    /// The sender is muted in the room.
    pub const MUTED: i64 = 1100902;
    /// The whole room is muted.
    pub const ALL_MUTED: i64 = 1100903;
    /// Joining needs an admin's invitation (`isNeedVerify = 1`).
    pub const NEEDS_VERIFY: i64 = 1100904;
    /// The user is in too many groups.
    pub const TOO_MANY_GROUPS: i64 = 1100905;
    /// A public account's mass sends for today are used up (services::broadcasts).
    pub const BROADCASTS_PER_DAY: i64 = 1101101;
    /// The operator console's broadcasts (`/console/pushToAll`) for today are used up.
    pub const CONSOLE_PUSHES_PER_DAY: i64 = 1101102;
    // ---- wallet (issue 14) ----
    /// The balance does not cover the withdrawal.
    pub const WALLET_INSUFFICIENT: i64 = 1101001;
    /// The withdrawal `secret` does not match.
    pub const WALLET_BAD_SECRET: i64 = 1101002;
    /// The withdrawal `time` is more than 5 minutes off the server clock.
    pub const WALLET_STALE_TIME: i64 = 1101003;
    /// The withdrawal `secret` was used before (a replay).
    pub const WALLET_REPLAYED: i64 = 1101004;
    /// No WeChat binding (`/user/bind/wxcode`) to pay out to.
    pub const WALLET_NO_WX: i64 = 1101005;
    /// The payout provider refused; the debit was reversed.
    pub const WALLET_PAYOUT_FAILED: i64 = 1101006;
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("missing parameter: {0}")]
    MissingParam(String),
    #[error("invalid parameter {name}: {reason}")]
    InvalidParam { name: String, reason: String },
    #[error("request body exceeds {0} bytes")]
    PayloadTooLarge(usize),
    #[error("access token missing")]
    TokenMissing,
    #[error("access token invalid or expired")]
    TokenInvalid,
    #[error("wrong account or password")]
    BadCredentials,
    #[error("account does not exist")]
    AccountNotFound,
    #[error("account already exists")]
    AccountExists,
    /// Wrong SMS verification code (the try counts against the code's attempts).
    #[error("wrong verification code")]
    WrongCode,
    /// No live verification code: never sent, expired, used, or out of attempts.
    #[error("verification code expired or not requested, request a new one")]
    CodeExpired,
    /// Too many requests of one kind (verification code sends per phone or per
    /// source IP, account existence checks per source IP).
    #[error("{0}")]
    RateLimited(String),
    /// Password login locked: too many failed attempts for the account or from the
    /// source IP (store/limits.rs). `retry_after` in seconds.
    #[error("too many failed attempts, try again in {retry_after} seconds")]
    TooManyAttempts { retry_after: i64 },
    #[error("{0}")]
    Forbidden(String),
    /// A refusal with its own Shiku `resultCode` (e.g. 1100802 "the user blacklisted you");
    /// HTTP 403 in the other dialects.
    #[error("{message}")]
    Refused { code: i64, message: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("no such endpoint: {0}")]
    RouteNotFound(String),
    /// Detail is logged, never sent to clients.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    pub fn invalid(name: &str, reason: impl Into<String>) -> Self {
        AppError::InvalidParam { name: name.to_string(), reason: reason.into() }
    }
    pub fn missing(name: &str) -> Self {
        AppError::MissingParam(name.to_string())
    }
    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound(what.into())
    }
    pub fn forbidden(why: impl Into<String>) -> Self {
        AppError::Forbidden(why.into())
    }
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        AppError::Internal(detail.to_string())
    }
}

/// AWS SDK errors are infrastructure failures: log the detail, answer "internal error".
impl<E, R> From<aws_smithy_runtime_api::client::result::SdkError<E, R>> for AppError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    fn from(e: aws_smithy_runtime_api::client::result::SdkError<E, R>) -> Self {
        let detail = format!("{}", aws_smithy_types::error::display::DisplayErrorContext(&e));
        tracing::error!(error = %detail, "aws sdk call failed");
        AppError::Internal(detail)
    }
}
