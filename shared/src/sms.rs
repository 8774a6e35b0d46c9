//! Sending verification codes.
//!
//! No SMS provider is reachable from this deployment, so the only sender is
//! [`LogSender`], which writes the code to the log. A real provider plugs in by
//! implementing [`CodeSender`] (e.g. an `SnsSender` around `aws-sdk-sns`
//! `Publish`, or a vendor HTTP API; build the text with [`message`]) and
//! returning it from [`sender`], selected by configuration such as an
//! `SMS_PROVIDER` environment variable read in `Ctx::from_env`. Handlers only
//! call `sms::sender(ctx).send(..)`, so nothing else changes.

use crate::error::AppResult;
use crate::ids::Telephone;
use crate::store::codes::{Purpose, CODE_TTL};
use crate::Ctx;
use std::future::Future;

/// Language of the text (Shiku `language`: `zh` or `en`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// `en*` is English, anything else Chinese (the Shiku default).
    pub fn parse(raw: Option<&str>) -> Lang {
        match raw {
            Some(l) if l.to_ascii_lowercase().starts_with("en") => Lang::En,
            _ => Lang::Zh,
        }
    }
}

/// Delivers a verification code to a phone.
pub trait CodeSender: Send + Sync {
    fn send(
        &self,
        phone: &Telephone,
        code: &str,
        purpose: Purpose,
        lang: Lang,
    ) -> impl Future<Output = AppResult<()>> + Send;
}

/// The SMS text of a code.
pub fn message(code: &str, purpose: Purpose, lang: Lang) -> String {
    let minutes = CODE_TTL / 60;
    match lang {
        Lang::Zh => format!(
            "您的验证码是 {code}，{minutes} 分钟内有效（{}）。",
            match purpose {
                Purpose::Register => "注册",
                Purpose::Reset => "重置密码",
                Purpose::Verify => "身份验证",
            }
        ),
        Lang::En => format!(
            "Your verification code is {code}, valid for {minutes} minutes ({}).",
            match purpose {
                Purpose::Register => "registration",
                Purpose::Reset => "password reset",
                Purpose::Verify => "verification",
            }
        ),
    }
}

/// Development sender: logs the code instead of sending it.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogSender;

impl CodeSender for LogSender {
    async fn send(&self, phone: &Telephone, code: &str, purpose: Purpose, lang: Lang) -> AppResult<()> {
        tracing::info!(
            area = %phone.area,
            phone = %phone.number,
            purpose = purpose.as_str(),
            text = %message(code, purpose, lang),
            "verification code (no SMS provider configured: logged, not sent)"
        );
        Ok(())
    }
}

/// The sender for this deployment (see the module docs for plugging in a provider).
pub fn sender(_ctx: &Ctx) -> LogSender {
    LogSender
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_in_both_languages() {
        assert!(message("123456", Purpose::Register, Lang::Zh).contains("123456"));
        assert!(message("123456", Purpose::Reset, Lang::En).starts_with("Your verification code is 123456"));
        assert_eq!(Lang::parse(Some("EN")), Lang::En);
        assert_eq!(Lang::parse(None), Lang::Zh);
    }
}
