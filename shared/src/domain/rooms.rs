//! Rooms (group conversations): Room, RoomMember, roles, settings and notices as typed
//! values. A room's settings are named fields (Shiku's Room entity names them) whose values
//! are [`Field`]s; the store turns them into item attributes and back.

use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use std::collections::HashMap;

/// Largest room (Shiku `maxUserSize` default and ceiling).
pub const MAX_USERS: i64 = 1000;
pub const OWNER: &str = "owner";
pub const ADMIN: &str = "admin";
pub const MEMBER: &str = "member";
/// Longest notice, in characters.
pub const MAX_NOTICE: usize = 1024;

/// 0/1 room flags and their defaults (Shiku Room entity).
pub const FLAGS: &[(&str, i64)] = &[
    ("isLook", 0),
    ("showRead", 0),
    ("isNeedVerify", 0),
    ("showMember", 1),
    ("allowSendCard", 1),
    ("allowHostUpdate", 1),
    ("allowInviteFriend", 1),
    ("allowUploadFile", 1),
    ("allowConference", 1),
    ("allowSpeakCourse", 1),
];
/// Integer room fields (region ids, category), 0 when absent.
pub const INTS: &[&str] = &["countryId", "provinceId", "cityId", "areaId", "category"];
/// Text room fields and their longest length in characters.
pub const TEXTS: &[(&str, usize)] = &[("desc", 500), ("subject", 100)];

/// One stored value of a room or member setting.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Int(i64),
    Num(f64),
    Text(String),
    Texts(Vec<String>),
    Bool(bool),
}

impl Field {
    pub fn int(&self) -> Option<i64> {
        match self {
            Field::Int(v) => Some(*v),
            _ => None,
        }
    }
    /// Any number (an integer reads as a float too).
    pub fn num(&self) -> Option<f64> {
        match self {
            Field::Int(v) => Some(*v as f64),
            Field::Num(v) => Some(*v),
            _ => None,
        }
    }
    pub fn text(&self) -> Option<&str> {
        match self {
            Field::Text(v) => Some(v),
            _ => None,
        }
    }
}

impl From<i64> for Field {
    fn from(v: i64) -> Self {
        Field::Int(v)
    }
}
impl From<f64> for Field {
    fn from(v: f64) -> Self {
        Field::Num(v)
    }
}
impl From<&str> for Field {
    fn from(v: &str) -> Self {
        Field::Text(v.to_string())
    }
}
impl From<String> for Field {
    fn from(v: String) -> Self {
        Field::Text(v)
    }
}

/// Named settings (a new room's, or everything a room's META holds).
pub type Settings = HashMap<String, Field>;

/// Setting changes of an update: `None` removes the setting.
pub type Changes = Vec<(String, Option<Field>)>;

/// A flag's value from a loose integer: must be 0 or 1.
pub fn flag_value(name: &str, v: i64) -> AppResult<Field> {
    if !(0..=1).contains(&v) {
        return Err(AppError::invalid(name, "must be 0 or 1"));
    }
    Ok(Field::Int(v))
}

#[derive(Debug, Clone)]
pub struct Room {
    pub id: String,
    /// Every stored field of the room's META.
    pub fields: Settings,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub id: String,
    pub text: String,
    pub by: UserId,
    pub nickname: String,
    /// Epoch milliseconds.
    pub time: i64,
}

impl Room {
    fn i64(&self, k: &str) -> Option<i64> {
        self.fields.get(k).and_then(Field::int)
    }
    fn string(&self, k: &str) -> String {
        self.fields.get(k).and_then(Field::text).unwrap_or_default().to_string()
    }
    pub fn field(&self, k: &str) -> Option<&Field> {
        self.fields.get(k)
    }
    pub fn name(&self) -> String {
        self.string("name")
    }
    pub fn owner(&self) -> UserId {
        UserId(self.i64("owner").unwrap_or(0))
    }
    pub fn flag(&self, name: &str) -> i64 {
        let default = FLAGS.iter().find(|(f, _)| *f == name).map(|(_, d)| *d).unwrap_or(0);
        self.i64(name).unwrap_or(default)
    }
    pub fn int(&self, name: &str) -> i64 {
        self.i64(name).unwrap_or(0)
    }
    pub fn text(&self, name: &str) -> String {
        self.string(name)
    }
    pub fn f64(&self, name: &str) -> f64 {
        self.fields.get(name).and_then(Field::num).unwrap_or(0.0)
    }
    pub fn member_count(&self) -> i64 {
        self.i64("memberCount").unwrap_or(0)
    }
    pub fn max_users(&self) -> i64 {
        self.i64("maxUserSize").unwrap_or(MAX_USERS)
    }
    /// Mute all until (epoch seconds).
    pub fn talk_time(&self) -> i64 {
        self.i64("talkTime").unwrap_or(0)
    }
    pub fn created_at(&self) -> i64 {
        self.i64("createdAt").unwrap_or(0)
    }
    pub fn modified_at(&self) -> i64 {
        self.i64("modifyTime").unwrap_or_else(|| self.created_at())
    }
    pub fn modifier(&self) -> Option<UserId> {
        self.i64("modifier").map(UserId)
    }
    pub fn tags(&self) -> Vec<String> {
        match self.fields.get("tags") {
            Some(Field::Texts(t)) => t.clone(),
            _ => vec![],
        }
    }
    pub fn chat_record_timeout(&self) -> f64 {
        self.fields.get("chatRecordTimeOut").and_then(Field::num).unwrap_or(-1.0)
    }
    pub fn notice(&self) -> Option<Notice> {
        Some(Notice {
            id: self.fields.get("noticeId")?.text()?.to_string(),
            text: self.string("noticeText"),
            by: UserId(self.i64("noticeBy").unwrap_or(0)),
            nickname: self.string("noticeNick"),
            time: self.i64("noticeTime").unwrap_or(0),
        })
    }
    pub fn last_seq(&self) -> i64 {
        self.i64("lastSeq").unwrap_or(0)
    }
    /// The call identifiers, once allocated (`call`, `videoMeetingNo`).
    pub fn call(&self) -> Option<(String, String)> {
        Some((self.fields.get("call")?.text()?.to_string(), self.fields.get("videoMeetingNo")?.text()?.to_string()))
    }
}

/// What is left of a dismissed group (its `DISMISSED` marker): enough for a former member's
/// client to show it (SealTalk answers `GET /group/{id}` with `deletedAt` after dismissal).
#[derive(Debug, Clone, PartialEq)]
pub struct DismissedRoom {
    pub id: String,
    /// When it was dismissed (epoch ms) and by whom.
    pub at: i64,
    pub by: UserId,
    pub name: String,
    pub portrait: String,
    pub owner: UserId,
    pub max_users: i64,
    pub bulletin: String,
    /// The members when it was dismissed.
    pub members: Vec<UserId>,
}

#[derive(Debug, Clone)]
pub struct RoomMember {
    pub uid: UserId,
    pub role: String,
    /// Name in this room (Shiku member nickname, SealTalk displayName); "" = the profile's.
    pub nickname: String,
    /// Muted until (epoch seconds).
    pub talk_time: i64,
    pub offline_no_push: i64,
    pub top: i64,
    pub top_time: i64,
    pub joined_at: i64,
    pub modified_at: i64,
    pub read_seq: i64,
}

impl RoomMember {
    pub fn is_owner(&self) -> bool {
        self.role == OWNER
    }
    pub fn is_admin(&self) -> bool {
        self.role == OWNER || self.role == ADMIN
    }
    /// Listing order: owner, admins, members.
    pub fn rank(&self) -> u8 {
        match self.role.as_str() {
            OWNER => 0,
            ADMIN => 1,
            _ => 2,
        }
    }
}

/// Settings of a new room (Shiku `/room/add`, SealTalk `group/create`, `/room/copyRoom`).
#[derive(Debug, Clone)]
pub struct NewRoom {
    pub id: Option<String>,
    pub name: String,
    pub owner: UserId,
    pub owner_nickname: String,
    /// Other members (the owner is added anyway); at most `max_users - 1`.
    pub members: Vec<UserId>,
    /// Flags, ints, texts, coordinates… as the dialect parsed them.
    pub settings: Settings,
    /// A console creation's idempotency key, claimed in the creating transaction.
    pub idem: Option<crate::domain::idempotency::IdemKey>,
}

/// A group change's event (`ev = "group"`): its type, who made it, its fields, and the people
/// told besides the members at delivery time (those who just left or were removed, every
/// former member of a dismissed group). The store writes it in the same transaction as the
/// change (store/groups.rs); `delivery` posts its frame.
#[derive(Debug, Clone)]
pub struct GroupEvent {
    pub kind: String,
    pub by: UserId,
    pub extra: serde_json::Value,
    pub also_to: Vec<UserId>,
    /// An operator console change's audit entry: written in every transaction that writes
    /// this event (store/groups.rs), so a console change through a rooms rule is audited
    /// atomically with it.
    pub audit: Option<crate::domain::audit::AuditEntry>,
}

impl GroupEvent {
    pub fn new(kind: &str, by: UserId, extra: serde_json::Value) -> GroupEvent {
        GroupEvent { kind: kind.to_string(), by, extra, also_to: vec![], audit: None }
    }

    /// The event of an operator console change, audited in its transaction.
    pub fn audited(mut self, entry: Option<&crate::domain::audit::AuditEntry>) -> GroupEvent {
        self.audit = entry.cloned();
        self
    }

    pub fn also_to(mut self, uids: &[UserId]) -> GroupEvent {
        self.also_to = uids.to_vec();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_zero_or_one_and_default_per_flag() {
        assert!(flag_value("isLook", 2).is_err());
        let r = Room { id: "x".into(), fields: Settings::from([("isLook".into(), Field::Int(1))]) };
        assert_eq!((r.flag("isLook"), r.flag("showMember"), r.flag("showRead")), (1, 1, 0));
        assert_eq!(r.max_users(), MAX_USERS);
    }
}
