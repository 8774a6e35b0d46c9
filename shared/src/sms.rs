//! Sending verification codes.
//!
//! Deployed stacks send them by SMS with Amazon SNS `Publish` to the phone number
//! ([`SnsSender`]; `Ctx::from_env` builds the SNS client, IAM `sns:Publish` on the auth
//! function only). The local stack has no SMS and keeps [`LogSender`], which writes the
//! text to the log. The SNS sender never logs the code, only a masked number. Another
//! provider plugs in by implementing [`CodeSender`] (build the text with [`message`])
//! and adding it to [`Sender`]. Handlers only call `sms::sender(ctx).send(..)`.

use crate::error::{AppError, AppResult};
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

/// Production sender: one SNS `Publish` straight to the phone (E.164), as a
/// transactional SMS. Errors are logged with the masked number and the SNS error code,
/// never the text.
#[derive(Debug, Clone)]
pub struct SnsSender {
    client: aws_sdk_sns::Client,
}

/// `+<area><number>` (E.164).
pub fn e164(phone: &Telephone) -> String {
    format!("+{}{}", phone.area, phone.number)
}

/// The number with all but its last 4 digits hidden, for logs.
pub fn masked(phone: &Telephone) -> String {
    let n = &phone.number;
    let keep = n.len().saturating_sub(4);
    format!("+{} {}{}", phone.area, "*".repeat(keep), &n[keep..])
}

impl SnsSender {
    pub fn new(client: aws_sdk_sns::Client) -> Self {
        SnsSender { client }
    }

    /// The Publish call for one code (not sent).
    pub fn request(
        &self,
        phone: &Telephone,
        code: &str,
        purpose: Purpose,
        lang: Lang,
    ) -> aws_sdk_sns::operation::publish::builders::PublishFluentBuilder {
        let sms_type = aws_sdk_sns::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value("Transactional")
            .build()
            .expect("data type set");
        self.client
            .publish()
            .phone_number(e164(phone))
            .message(message(code, purpose, lang))
            .message_attributes("AWS.SNS.SMS.SMSType", sms_type)
    }
}

impl CodeSender for SnsSender {
    async fn send(&self, phone: &Telephone, code: &str, purpose: Purpose, lang: Lang) -> AppResult<()> {
        match self.request(phone, code, purpose, lang).send().await {
            Ok(_) => {
                tracing::info!(phone = %masked(phone), purpose = purpose.as_str(), "verification code sent by SMS");
                Ok(())
            }
            Err(e) => {
                // Not `AppError::from(e)`: that logs the whole error, which need not be free of the request.
                let kind = e
                    .as_service_error()
                    .and_then(|s| aws_smithy_types::error::metadata::ProvideErrorMetadata::code(s))
                    .unwrap_or("transport");
                tracing::error!(phone = %masked(phone), error = kind, "SNS Publish failed");
                Err(AppError::internal("SMS send failed"))
            }
        }
    }
}

/// The sender of this deployment: SNS when the context has an SNS client (deployed
/// stacks), the log on the local stack.
#[derive(Debug, Clone)]
pub enum Sender {
    Log(LogSender),
    Sns(SnsSender),
}

impl CodeSender for Sender {
    async fn send(&self, phone: &Telephone, code: &str, purpose: Purpose, lang: Lang) -> AppResult<()> {
        match self {
            Sender::Log(s) => s.send(phone, code, purpose, lang).await,
            Sender::Sns(s) => s.send(phone, code, purpose, lang).await,
        }
    }
}

pub fn sender(ctx: &Ctx) -> Sender {
    match &ctx.sns {
        Some(client) => Sender::Sns(SnsSender::new(aws_sdk_sns::Client::clone(client))),
        None => Sender::Log(LogSender),
    }
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

    /// SNS is not emulated locally: the request is checked as built, not sent.
    #[test]
    fn sns_sender_publishes_a_transactional_sms_to_the_e164_number() {
        let conf = aws_sdk_sns::Config::builder()
            .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
            .region(aws_sdk_sns::config::Region::new("us-east-1"))
            .build();
        let sender = SnsSender::new(aws_sdk_sns::Client::from_conf(conf));
        let phone = Telephone::parse(Some("86"), "13800001234").unwrap();
        let req = sender.request(&phone, "654321", Purpose::Reset, Lang::En);
        let input = req.as_input();
        assert_eq!(input.get_phone_number().as_deref(), Some("+8613800001234"));
        assert_eq!(input.get_message().as_deref(), Some(message("654321", Purpose::Reset, Lang::En).as_str()));
        assert!(input.get_topic_arn().is_none() && input.get_target_arn().is_none(), "straight to the phone");
        let attrs = input.get_message_attributes().as_ref().unwrap();
        assert_eq!(attrs["AWS.SNS.SMS.SMSType"].string_value(), Some("Transactional"));
        assert_eq!(masked(&phone), "+86 *******1234");
        assert!(!masked(&phone).contains("13800"));
    }
}
