//! Money in integer fen (1 yuan = 100 fen): parsing the Shiku amounts, the withdrawal fee,
//! rendering yuan. Never a float in the store; floats appear only in rendered JSON.

use crate::error::{AppError, AppResult};

/// An amount in fen (cents of a yuan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Fen(pub i64);

/// Largest single recharge: 50 000 yuan (anything above is refused as "huge").
pub const MAX_RECHARGE: Fen = Fen(5_000_000);
/// Smallest withdrawal: 0.50 yuan (seed: "最少提现 0.5").
pub const MIN_WITHDRAW: Fen = Fen(50);
/// Largest single withdrawal: 20 000 yuan.
pub const MAX_WITHDRAW: Fen = Fen(2_000_000);
/// Allowed difference between a withdrawal's `time` and the server clock (seed: 5 minutes).
pub const TIME_SKEW_MS: i64 = 5 * 60 * 1000;

/// How a recharge is paid (Shiku `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayMethod {
    Alipay,
    WeChat,
}

impl PayMethod {
    pub fn from_code(code: i64) -> Option<PayMethod> {
        match code {
            1 => Some(PayMethod::Alipay),
            2 => Some(PayMethod::WeChat),
            _ => None,
        }
    }
    pub fn code(self) -> i64 {
        match self {
            PayMethod::Alipay => 1,
            PayMethod::WeChat => 2,
        }
    }
    /// The clearing account the journal debits for a recharge paid this way.
    pub fn clearing_account(self) -> &'static str {
        match self {
            PayMethod::Alipay => "clearing:alipay",
            PayMethod::WeChat => "clearing:wechat",
        }
    }
}

impl Fen {
    /// Parse yuan as decimal text ("12", "12.5", "12.50"): at most 2 decimals, > 0, ≤ `max`.
    /// No float on the way: "0.1" is exactly 10 fen; NaN, exponents, signs, "1e3" are refused.
    pub fn parse_yuan(name: &str, raw: &str, max: Fen) -> AppResult<Fen> {
        let raw = raw.trim();
        let bad = || AppError::invalid(name, "an amount in yuan with at most 2 decimals, e.g. 12.50");
        let (int, frac) = raw.split_once('.').unwrap_or((raw, ""));
        if int.is_empty() && frac.is_empty() {
            return Err(bad());
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
            return Err(bad());
        }
        if int.len() > 12 {
            return Err(too_big(name, max));
        }
        let yuan: i64 = if int.is_empty() { 0 } else { int.parse().map_err(|_| bad())? };
        let cents: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        Fen(yuan * 100 + cents).checked(name, Fen(1), max)
    }

    /// Parse whole fen as decimal digits ("30" = 0.30 yuan); `min..=max`.
    pub fn parse_fen(name: &str, raw: &str, min: Fen, max: Fen) -> AppResult<Fen> {
        let raw = raw.trim();
        if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::invalid(name, "an amount in fen: whole digits, e.g. 50 = 0.50 yuan"));
        }
        if raw.len() > 12 {
            return Err(too_big(name, max));
        }
        Fen(raw.parse().map_err(|_| too_big(name, max))?).checked(name, min, max)
    }

    fn checked(self, name: &str, min: Fen, max: Fen) -> AppResult<Fen> {
        if self < min {
            return Err(AppError::invalid(name, format!("at least {} yuan", min.yuan_text())));
        }
        if self > max {
            return Err(too_big(name, max));
        }
        Ok(self)
    }

    /// Withdrawal fee: ⌈0.6 %⌉ of the amount, in whole fen (seed: 千分之六).
    pub fn withdraw_fee(self) -> Fen {
        Fen((self.0 * 6 + 999) / 1000)
    }

    /// Yuan with 2 decimals as text ("12.50").
    pub fn yuan_text(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", self.0.abs() / 100, self.0.abs() % 100)
    }

    /// Yuan as a JSON number (Shiku clients read a double): the nearest double to fen/100.
    pub fn yuan(self) -> f64 {
        self.yuan_text().parse().unwrap_or(0.0)
    }
}

fn too_big(name: &str, max: Fen) -> AppError {
    AppError::invalid(name, format!("at most {} yuan", max.yuan_text()))
}

/// A user's wallet: balance and total recharged, in fen; `ver` counts changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Wallet {
    pub balance: Fen,
    pub total: Fen,
    pub ver: i64,
}

/// One ledger leg: `account` ("user:<uid>", "clearing:alipay", "payout:wechat", "fees")
/// changes by `amount` (signed fen). The legs of one transfer sum to zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    pub account: String,
    pub amount: i64,
}

/// One wallet transaction of a user (TX item): kind "recharge" / "withdraw" / "reversal",
/// the signed change of the balance, the fee, the provider's reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tx {
    pub id: String,
    pub kind: String,
    pub delta: i64,
    pub fee: i64,
    pub reference: String,
    pub at_ms: i64,
}

pub fn user_account(uid: crate::ids::UserId) -> String {
    format!("user:{uid}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_parsing_is_exact_and_strict() {
        let p = |s: &str| Fen::parse_yuan("money", s, MAX_RECHARGE).map(|f| f.0).ok();
        assert_eq!(p("12"), Some(1200));
        assert_eq!(p("12.5"), Some(1250));
        assert_eq!(p("0.1"), Some(10));
        assert_eq!(p(".01"), Some(1));
        assert_eq!(p("50000.00"), Some(5_000_000));
        for bad in ["", ".", "0", "0.00", "-1", "+1", "1.234", "NaN", "inf", "1e3", "50000.01", "99999999999999999999"]
        {
            assert_eq!(p(bad), None, "{bad}");
        }
    }

    #[test]
    fn fen_parsing_and_fee() {
        let p = |s: &str| Fen::parse_fen("amount", s, MIN_WITHDRAW, MAX_WITHDRAW).map(|f| f.0).ok();
        assert_eq!(p("50"), Some(50));
        for bad in ["49", "0", "-50", "5.5", "abc", "", "2000001"] {
            assert_eq!(p(bad), None, "{bad}");
        }
        assert_eq!(Fen(50).withdraw_fee(), Fen(1));
        assert_eq!(Fen(1000).withdraw_fee(), Fen(6));
        assert_eq!(Fen(1001).withdraw_fee(), Fen(7));
        assert_eq!(Fen(1250).yuan_text(), "12.50");
        assert_eq!(Fen(5).yuan(), 0.05);
    }
}

/// Which payment (recharge) and payout (withdrawal) providers this stack has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Providers {
    pub payment: Option<ProviderKind>,
    pub payout: Option<ProviderKind>,
    /// `apiKey` of the withdrawal secret (md5(apiKey + openid + userid) + …).
    pub payout_api_key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// Confirms at once (the local stack only: never built from the environment).
    Local,
}

/// The local stack's payout `apiKey` (tests compute withdrawal secrets with it).
pub const LOCAL_PAYOUT_API_KEY: &str = "local-payout-api-key";

impl Providers {
    /// The local stack: both providers confirm at once.
    pub fn local() -> Providers {
        Providers {
            payment: Some(ProviderKind::Local),
            payout: Some(ProviderKind::Local),
            payout_api_key: LOCAL_PAYOUT_API_KEY.to_string(),
        }
    }
}
