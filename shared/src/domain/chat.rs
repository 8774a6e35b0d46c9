//! Conversations and messages: Message, MessageKind, conversation ids ("parse, don't
//! validate"). No DynamoDB types, no JSON, no I/O.

use crate::ids::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Single,
    Group,
}

#[derive(Debug, Clone)]
pub struct Conversation {
    pub id: String,
    pub kind: Kind,
    pub name: String,
    pub owner: Option<UserId>,
    pub last_seq: i64,
    pub last_ts: i64,
    pub last_preview: String,
    pub last_sender: Option<UserId>,
    pub created_at: i64,
    /// Both participants of a 1:1 conversation (empty for groups: query members).
    pub pair: Vec<UserId>,
    /// Room setting `showRead` (1/true): read receipts are pushed to the other members.
    pub show_read: bool,
    /// SealTalk screen-capture notification (0 off, 1 on), one value per conversation.
    pub screen_capture: i64,
    /// A 1:1 chat with a public account: that account (messages to it are indexed for /mp/msg).
    pub ocu: Option<UserId>,
    /// Someone other than that account wrote in it (META `ocuIn`): the account may answer.
    pub ocu_in: bool,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub uid: UserId,
    pub role: String,
    pub read_seq: i64,
    pub joined_at: i64,
    /// Messages up to this seq are hidden for this member (conversation "deleted for me").
    pub cleared_seq: i64,
    /// How many single messages this member hid ("delete own copy"); 0 = no HIDE# Query needed.
    pub hidden_count: i64,
    /// Room DND (`offlineNoPushMsg` = 1 on the MEMBER item): no offline push jobs.
    pub offline_no_push: bool,
    /// Muted until this time (epoch seconds, Shiku member `talkTime`; 0 = not muted).
    pub talk_time: i64,
}

impl Member {
    /// Owner or admin of a room (may recall others' messages, remove members, rename).
    pub fn is_admin(&self) -> bool {
        self.role == "owner" || self.role == "admin"
    }
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub sender: UserId,
    /// Shiku message type: 1 text, 2 image, 3 voice, 4 location, 5 gif, 6 video, 8 card, 9 file, 10 notice.
    pub kind: i64,
    pub content: String,
    /// Client message id; resending the same id stores nothing new.
    pub client_id: Option<String>,
    /// SealTalk/RongCloud object name (`RC:TxtMsg`, `ST:ConNtf`, `XX:Notify`…); None for plain sends.
    pub object_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub conversation_id: String,
    pub seq: i64,
    pub id: String,
    pub sender: UserId,
    pub kind: i64,
    pub content: String,
    pub ts: i64,
    pub recalled: bool,
    pub object_name: Option<String>,
}

pub const MAX_CONTENT: usize = 64 * 1024;

/// The 1:1 conversation of two people has a fixed id, so every dialect finds the same one.
pub fn single_id(a: UserId, b: UserId) -> String {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    format!("s_{lo}_{hi}")
}

/// Group conversations; 1:1 ids are `s_<a>_<b>` ([`single_id`]).
pub fn is_group(cid: &str) -> bool {
    !cid.starts_with("s_")
}

/// The other participant of a 1:1 conversation id `s_<a>_<b>` (None for groups / non-participants).
pub fn single_peer(cid: &str, me: UserId) -> Option<UserId> {
    let (a, b) = cid.strip_prefix("s_")?.split_once('_')?;
    let (a, b) = (UserId(a.parse().ok()?), UserId(b.parse().ok()?));
    if me == a {
        Some(b)
    } else if me == b {
        Some(a)
    } else {
        None
    }
}

/// Conversation ids are client-supplied path segments: check before building keys.
pub fn valid_id(cid: &str) -> bool {
    !cid.is_empty() && cid.len() <= 80 && cid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Message ids (client or server): 1–64 letters, digits, `-`, `_`.
pub fn valid_mid(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// SealTalk/RongCloud object names: 1–32 letters, digits, `:` or `_`.
pub fn valid_object_name(o: &str) -> bool {
    !o.is_empty() && o.len() <= 32 && o.bytes().all(|b| b.is_ascii_alphanumeric() || b == b':' || b == b'_')
}

/// A conversation id, parsed: a 1:1 conversation `s_<lo>_<hi>` names both people; any other
/// valid id is a group (room) id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversationId {
    Single(UserId, UserId),
    Group(String),
}

impl ConversationId {
    /// None for ids that are not valid path segments ([`valid_id`]).
    pub fn parse(cid: &str) -> Option<ConversationId> {
        if !valid_id(cid) {
            return None;
        }
        if !is_group(cid) {
            let (a, b) = cid.strip_prefix("s_")?.split_once('_')?;
            return Some(ConversationId::Single(UserId(a.parse().ok()?), UserId(b.parse().ok()?)));
        }
        Some(ConversationId::Group(cid.to_string()))
    }

    pub fn is_group(&self) -> bool {
        matches!(self, ConversationId::Group(_))
    }
}

/// Shiku message types (`type` of a message): the ones the server treats specially.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Text,
    Image,
    Voice,
    Location,
    Video,
    File,
    Other(i64),
}

impl MessageKind {
    pub fn of(kind: i64) -> MessageKind {
        match kind {
            1 => MessageKind::Text,
            2 => MessageKind::Image,
            3 => MessageKind::Voice,
            4 => MessageKind::Location,
            6 => MessageKind::Video,
            9 => MessageKind::File,
            k => MessageKind::Other(k),
        }
    }
}

/// A member as fan-out needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct FanMember {
    pub uid: UserId,
    /// Room DND (`offlineNoPushMsg` = 1): no offline push job.
    pub dnd: bool,
    /// Live connection ids kept on the member item (large rooms' stamped members only).
    pub conns: Vec<String>,
    /// When `$connect`/`$disconnect` started keeping `conns` on this item (epoch ms; the
    /// item's `UCONVL#` index key, written for members of rooms over [`LARGE_ROOM`]).
    /// None: fan-out reads the member's presence item instead.
    pub stamped_at: Option<i64>,
}

/// Rooms with more members than this keep their members' live connections on the member
/// items (so fan-out is one member Query); smaller rooms read the members' presence items at
/// fan-out (one BatchGetItem per 100), so `$connect` writes nothing per small room.
pub const LARGE_ROOM: usize = 100;

/// A member stamped this recently (ms) and showing no connection may have connected while
/// the stamp was still invisible to the connect's GSI2 Query: fan-out reads their presence.
pub const RECENT_STAMP_MS: i64 = 10_000;

/// Rooms with more members than this fan a message out in parts of this many members, each
/// delivered by its own stream record (store/fanout.rs, docs/realtime.md "Chunked fan-out"):
/// the parts' posts run in parallel instead of one invocation posting to every member.
pub const FANOUT_CHUNK: usize = 1000;

/// One part of a chunked room's fan-out of one message: the members whose item's sort key is
/// in `[from, to)` (None: from the first member / to the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FanChunk {
    pub cid: String,
    pub seq: i64,
    pub part: u32,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl FanMember {
    /// Fan-out must read this member's presence item: not stamped, or stamped so recently
    /// that a connect may have missed the stamp (see [`RECENT_STAMP_MS`]).
    pub fn needs_presence(&self, now_ms: i64) -> bool {
        match self.stamped_at {
            None => true,
            Some(at) => self.conns.is_empty() && at > now_ms - RECENT_STAMP_MS,
        }
    }
}

/// Most messages one Shiku course records.
pub const MAX_COURSE_MESSAGES: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ids_name_both_people_and_are_not_groups() {
        let cid = single_id(UserId(9), UserId(2));
        assert_eq!(cid, "s_2_9");
        assert_eq!((single_peer(&cid, UserId(2)), single_peer(&cid, UserId(9))), (Some(UserId(9)), Some(UserId(2))));
        assert_eq!(single_peer(&cid, UserId(3)), None);
        assert!(!is_group(&cid));
        assert!(is_group("5f0c1d2e3a4b5c6d7e8f901234567890"));
    }

    #[test]
    fn conversation_ids_parse() {
        assert_eq!(ConversationId::parse("s_2_9"), Some(ConversationId::Single(UserId(2), UserId(9))));
        assert_eq!(ConversationId::parse("room-1"), Some(ConversationId::Group("room-1".into())));
        assert!(ConversationId::parse("").is_none());
        assert!(ConversationId::parse("a/b").is_none());
        assert!(ConversationId::parse("s_x_1").is_none());
        assert!(!ConversationId::parse("s_1_2").unwrap().is_group());
    }

    #[test]
    fn message_kinds() {
        assert_eq!(MessageKind::of(1), MessageKind::Text);
        assert_eq!(MessageKind::of(10), MessageKind::Other(10));
    }
}
