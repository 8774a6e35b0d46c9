//! Sessions and what guards them: tokens of each dialect and their lifetimes, verification
//! code purposes, and the kinds of per-source-IP limits. Typed values, no DynamoDB, no JSON.

use crate::ids::UserId;

/// Shiku access tokens (`/user/login`, `/user/register`).
pub const SHIKU_TTL: i64 = 604_800;
/// Minxing OAuth2 access tokens.
pub const MINXING_ACCESS_TTL: i64 = 604_800;
/// Minxing OAuth2 refresh tokens.
pub const MINXING_REFRESH_TTL: i64 = 30 * 86_400;
/// SealTalk session cookies.
pub const SEALTALK_TTL: i64 = 30 * 86_400;
/// Operator console tokens (`/console/login`): good on `/console/*` only.
pub const CONSOLE_TTL: i64 = 8 * 3_600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
    /// An operator's console token: authenticates `/console/*` and nothing else.
    Console,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
            TokenKind::Console => "console",
        }
    }
}

/// A live token's record: who it authenticates until when.
#[derive(Debug, Clone)]
pub struct Session {
    pub uid: UserId,
    pub kind: TokenKind,
    pub hash: String,
    pub expires_at: i64,
    /// Device serial given at login (Shiku `/user/login/auto` compares it).
    pub serial: Option<String>,
    /// Hash of the paired token (access <-> refresh), revoked together.
    pub pair: Option<String>,
}

/// A token just issued: the plaintext is returned once and never stored.
pub struct Issued {
    pub token: String,
    pub session: Session,
}

/// What a verification code may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Shiku `sendSms` with `isRegister=1`: the number must be free.
    Register,
    /// Shiku `sendSms` with `isRegister=0`: the number must belong to an account.
    Reset,
    /// SealTalk `send_code`: purpose-less; the verification token it yields is
    /// accepted by `/user/register` and `/user/reset_password`.
    Verify,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::Reset => "reset",
            Purpose::Verify => "verify",
        }
    }
}

/// What a per-source-IP counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpKind {
    /// Failed password logins.
    Login,
    /// Verification code sends.
    Sms,
    /// Answers to "is this phone / username registered?".
    Exists,
}

impl IpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IpKind::Login => "login",
            IpKind::Sms => "sms",
            IpKind::Exists => "exists",
        }
    }
}

/// Shiku `/user/login/auto`: whether a token is still a live session of the user, and how
/// the device serial compares with the one the session was opened with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceCheck {
    pub live: bool,
    pub serial: SerialMatch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerialMatch {
    /// No live session, or it was opened without a serial.
    Unknown,
    /// The session was opened with this serial.
    Same,
    /// The session was opened with another serial (or the client sent none).
    Other,
}
