//! Minxing mail (docs/dialects.md "Minxing" → "Mail"): internal mail between accounts, no
//! SMTP. A mail is written once and never edited; the only state that changes is each
//! recipient's read flag.

use crate::domain::feed::valid_client_id;
use crate::error::{AppError, AppResult};
use crate::ids::{LoginName, UserId};

pub use crate::domain::feed::Attachment;

/// Longest subject, in characters.
pub const MAX_SUBJECT: usize = 200;
/// Largest body, in UTF-8 bytes (100 KB keeps the mail's META item far below 400 KB).
pub const MAX_BODY: usize = 100 * 1024;
/// Most attachments of one mail (the sender's own files).
pub const MAX_ATTACHMENTS: usize = 10;
/// Most recipients (to and cc together, after removing repeats).
pub const MAX_RECIPIENTS: usize = 200;

/// An account as the mail keeps it: copied when the mail is sent (a mail is a document: the
/// names it was sent with stay), the avatar as stored (a key or a URL).
#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    pub id: UserId,
    pub name: String,
    pub avatar: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    /// 32 lowercase hex digits.
    pub id: String,
    pub sender: Party,
    pub to: Vec<Party>,
    pub cc: Vec<Party>,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub created_at: i64,
}

impl Mail {
    /// Whether `uid` may read the mail: its sender and its recipients, no one else.
    pub fn readable_by(&self, uid: UserId) -> bool {
        self.sender.id == uid || self.is_recipient(uid)
    }

    pub fn is_recipient(&self, uid: UserId) -> bool {
        self.to.iter().chain(self.cc.iter()).any(|p| p.id == uid)
    }

    /// Recipients, to first, each once.
    pub fn recipients(&self) -> Vec<UserId> {
        self.to.iter().chain(self.cc.iter()).map(|p| p.id).collect()
    }
}

/// Which box a participant's copy is in: `in` for recipients, `sent` for the sender (a sender
/// who mails themselves has it `in`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailBox {
    In,
    Sent,
}

impl MailBox {
    pub fn as_str(self) -> &'static str {
        match self {
            MailBox::In => "in",
            MailBox::Sent => "sent",
        }
    }
    pub fn parse(s: &str) -> Option<MailBox> {
        match s {
            "in" => Some(MailBox::In),
            "sent" => Some(MailBox::Sent),
            _ => None,
        }
    }
}

/// One participant's copy: `MAIL#<id>/RCPT#<uid>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copy {
    pub uid: UserId,
    pub mailbox: MailBox,
    pub read: bool,
}

/// A recipient as a client names it: a user id (digits only) or a login name (username or
/// email). Telephone numbers are refused: they are found only through the privacy-checked
/// search, never by mailing them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addr {
    Id(UserId),
    Login(LoginName),
}

impl Addr {
    /// `name` is the parameter, for the error.
    pub fn parse(name: &str, raw: &str) -> AppResult<Addr> {
        let t = raw.trim();
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            return UserId::parse(name, t).map(Addr::Id);
        }
        if t.contains('@') {
            return LoginName::email(t)
                .map(Addr::Login)
                .map_err(|_| AppError::invalid(name, format!("{t:?} is not an email")));
        }
        if t.starts_with('+') {
            return Err(AppError::invalid(name, "telephone numbers are not mail addresses: use the user id"));
        }
        LoginName::username(t)
            .map(Addr::Login)
            .map_err(|_| AppError::invalid(name, format!("{t:?} is neither a user id nor a login name")))
    }

    /// A user id only (`to_user_ids`, `cc_user_ids`).
    pub fn parse_id(name: &str, raw: &str) -> AppResult<Addr> {
        UserId::parse(name, raw).map(Addr::Id)
    }
}

/// What a client asks to send, parsed.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub to: Vec<Addr>,
    pub cc: Vec<Addr>,
    pub subject: String,
    pub body: String,
    pub attachment_ids: Vec<String>,
    pub client_id: Option<String>,
}

impl Draft {
    /// The limits that need no reading: a `to`, sizes, counts, the client id.
    pub fn check(&self) -> AppResult<()> {
        if self.to.is_empty() {
            return Err(AppError::missing("to_user_ids"));
        }
        if self.to.len() + self.cc.len() > MAX_RECIPIENTS {
            return Err(AppError::invalid("to_user_ids", format!("at most {MAX_RECIPIENTS} recipients (to and cc)")));
        }
        if self.subject.chars().count() > MAX_SUBJECT {
            return Err(AppError::invalid("subject", format!("longer than {MAX_SUBJECT} characters")));
        }
        if self.body.len() > MAX_BODY {
            return Err(AppError::invalid("body", format!("larger than {MAX_BODY} bytes")));
        }
        if self.attachment_ids.len() > MAX_ATTACHMENTS {
            return Err(AppError::invalid("attachment_ids", format!("at most {MAX_ATTACHMENTS} files")));
        }
        if self.subject.trim().is_empty() && self.body.trim().is_empty() && self.attachment_ids.is_empty() {
            return Err(AppError::missing("subject"));
        }
        if let Some(c) = &self.client_id {
            if !valid_client_id(c) {
                return Err(AppError::invalid("client_id", "1-64 letters, digits, '-', '_', '.'"));
            }
        }
        Ok(())
    }
}

/// A mail id: 32 lowercase hex digits.
pub fn valid_id(raw: &str) -> bool {
    raw.len() == 32 && raw.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The id of a mail sent with a client id: the same sender and client id always name the
/// same mail (a resend answers the first), and no one else can produce it.
pub fn id_for_client(sender: UserId, client_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("mail:{}:{client_id}", sender.0).as_bytes());
    hex::encode(&h[..16])
}

/// Recipients each once, in order, a `cc` that is also in `to` dropped from `cc`.
pub fn dedupe(to: &[UserId], cc: &[UserId]) -> (Vec<UserId>, Vec<UserId>) {
    let mut seen = std::collections::HashSet::new();
    let to: Vec<UserId> = to.iter().copied().filter(|u| seen.insert(*u)).collect();
    let cc: Vec<UserId> = cc.iter().copied().filter(|u| seen.insert(*u)).collect();
    (to, cc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(Addr::parse("to", "42").unwrap(), Addr::Id(UserId(42)));
        assert!(Addr::parse("to", "0").is_err());
        assert!(
            matches!(Addr::parse("to", "Bob.Smith").unwrap(), Addr::Login(LoginName::Username(u)) if u == "bob.smith")
        );
        assert!(matches!(Addr::parse("to", "a@b.co").unwrap(), Addr::Login(LoginName::Email(_))));
        assert!(Addr::parse("to", "+8613800000000").is_err());
        assert!(Addr::parse("to", "a b").is_err());
        assert!(Addr::parse_id("to_user_ids", "bob").is_err());
    }

    #[test]
    fn ids_are_stable_per_sender() {
        let a = id_for_client(UserId(1), "x");
        assert!(valid_id(&a));
        assert_eq!(a, id_for_client(UserId(1), "x"));
        assert_ne!(a, id_for_client(UserId(2), "x"));
        assert!(!valid_id("ABC"));
    }

    #[test]
    fn dedupes_to_before_cc() {
        let (to, cc) = dedupe(&[UserId(1), UserId(2), UserId(1)], &[UserId(2), UserId(3)]);
        assert_eq!((to, cc), (vec![UserId(1), UserId(2)], vec![UserId(3)]));
    }

    #[test]
    fn draft_limits() {
        let ok = Draft { to: vec![Addr::Id(UserId(1))], subject: "s".into(), ..Default::default() };
        assert!(ok.check().is_ok());
        assert!(Draft { to: vec![], ..ok.clone() }.check().is_err());
        assert!(Draft { subject: "x".repeat(201), ..ok.clone() }.check().is_err());
        assert!(Draft { subject: "é".repeat(200), ..ok.clone() }.check().is_ok());
        assert!(Draft { body: "x".repeat(MAX_BODY + 1), ..ok.clone() }.check().is_err());
        assert!(Draft { attachment_ids: vec!["f".into(); 11], ..ok.clone() }.check().is_err());
        assert!(Draft { cc: vec![Addr::Id(UserId(2)); 200], ..ok.clone() }.check().is_err());
        assert!(Draft { client_id: Some("bad id".into()), ..ok.clone() }.check().is_err());
        assert!(Draft { subject: " ".into(), ..ok }.check().is_err());
    }
}
