//! Relations between two users (friend / follow / blacklist) and friend requests, typed.
//!
//! One relation per ordered pair says how `owner` stands to `other`: a [`Status`] (stranger,
//! following, friends — friends on both sides), whether `owner` blacklisted `other`, remark,
//! per-chat flags and `other`'s nickname/avatar (denormalised so lists need no profile reads).
//! A friend [`Request`] from `from` to `to` is one per pair, [`ReqState`] pending / accepted /
//! ignored. Stored codes are parsed here once ("parse, don't validate").

use super::ids::UserId;

/// The Shiku system account ("System", `/friends/addAllFriendsSys`).
pub const SYSTEM_UID: UserId = UserId(10000);
/// Longest friend request message (characters).
pub const MAX_MESSAGE: usize = 64;
/// Longest remark / display name (characters).
pub const MAX_REMARK: usize = 32;

/// How the owner of a relation stands to the other user. Ordered: `Friends` > `Following` >
/// `Stranger` ("at least following" is `status >= FOLLOWING`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Status {
    #[default]
    Stranger = 0,
    /// The owner follows the other (one-way, or waiting for a friend request to be accepted).
    Following = 1,
    /// Friends (both relations of the pair say so).
    Friends = 2,
}

pub const STRANGER: Status = Status::Stranger;
pub const FOLLOWING: Status = Status::Following;
pub const FRIENDS: Status = Status::Friends;

impl Status {
    /// The stored / wire code (0, 1, 2).
    pub fn code(self) -> i64 {
        self as i64
    }

    /// From the stored code; anything unknown (or absent) is a stranger.
    pub fn from_code(code: Option<i64>) -> Status {
        match code {
            Some(1) => Status::Following,
            Some(2) => Status::Friends,
            _ => Status::Stranger,
        }
    }
}

/// Compare with a stored / wire code (`status == 2`), as code written before the enum does.
impl PartialEq<i64> for Status {
    fn eq(&self, code: &i64) -> bool {
        self.code() == *code
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    pub owner: UserId,
    pub other: UserId,
    pub status: Status,
    pub blacklist: bool,
    pub remark: String,
    pub to_nickname: String,
    pub to_avatar: Option<String>,
    /// Epoch ms.
    pub create_time: i64,
    pub modify_time: i64,
    pub offline_no_push_msg: bool,
    pub is_open_snapchat: bool,
    pub is_open_top_chat: bool,
    /// Days; -1 keeps chat history forever.
    pub chat_record_timeout: f64,
    /// Version of the stored item (optimistic concurrency; 0 = never stored).
    pub ver: i64,
    /// `other` is a public account and this follow is a subscription (indexed apart from
    /// friends and follows, store/relations).
    pub ocu: bool,
}

impl Relation {
    /// A fresh stranger relation of `owner` to `other` (whose nickname/avatar it copies).
    pub fn new(owner: UserId, other: UserId, nickname: &str, avatar: Option<&str>, now: i64) -> Relation {
        Relation {
            owner,
            other,
            status: STRANGER,
            blacklist: false,
            remark: String::new(),
            to_nickname: nickname.to_string(),
            to_avatar: avatar.map(str::to_string),
            create_time: now,
            modify_time: now,
            offline_no_push_msg: false,
            is_open_snapchat: false,
            is_open_top_chat: false,
            chat_record_timeout: -1.0,
            ver: 0,
            ocu: false,
        }
    }

    /// A relation that says nothing (stranger, not blocked, no remark or flags): deleted.
    pub fn is_empty(&self) -> bool {
        self.status == STRANGER
            && !self.blacklist
            && self.remark.is_empty()
            && !self.offline_no_push_msg
            && !self.is_open_snapchat
            && !self.is_open_top_chat
    }

    /// Does this (the target's relation to a viewer) make the viewer a friend of the owner?
    pub fn counts_as_friend(&self) -> bool {
        self.status == FRIENDS && !self.blacklist
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReqState {
    Pending = 0,
    Accepted = 1,
    Ignored = 2,
}

impl ReqState {
    /// From the stored code; anything unknown (or absent) is pending.
    pub fn from_code(code: Option<i64>) -> ReqState {
        match code {
            Some(1) => ReqState::Accepted,
            Some(2) => ReqState::Ignored,
            _ => ReqState::Pending,
        }
    }

    pub fn code(self) -> i64 {
        self as i64
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub to: UserId,
    pub from: UserId,
    pub state: ReqState,
    pub message: String,
    pub from_nickname: String,
    pub from_avatar: Option<String>,
    pub time: i64,
    pub modify_time: i64,
    /// When the requester last sent it (epoch ms; SealTalk re-send windows count from here).
    pub sent: i64,
    /// Version of the stored item (optimistic concurrency; 0 = never stored).
    pub ver: i64,
}

/// What a change turned into (dialects map it to their own codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Now following; a friend request waits for the other's verification.
    Requested,
    /// Now friends.
    Friends,
    /// Was already following / request already pending (nothing new).
    AlreadyFollowing,
    /// Were already friends.
    AlreadyFriends,
    /// Now subscribed to a public account (a follow that never becomes a friendship).
    Subscribed,
    /// Any other change (remark, blacklist, delete, …).
    Done,
}

/// Which relations of a user a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// status 2, not blocked
    Friends,
    /// status 1, not blocked (one-way follows)
    FollowOnly,
    /// status ≥ 1, not blocked (follow-only first, then friends)
    Following,
    /// blocked by the owner
    Blacklist,
    /// subscriptions to public accounts (status 1, not blocked)
    Subscriptions,
}

/// What one may change on one's own relation with someone one follows (or is friends with).
#[derive(Debug, Clone, Default)]
pub struct Patch {
    pub remark: Option<String>,
    pub chat_record_timeout: Option<f64>,
    pub offline_no_push_msg: Option<bool>,
    pub is_open_snapchat: Option<bool>,
    pub is_open_top_chat: Option<bool>,
}

/// One change a user asks for on their relation with another, in any dialect.
#[derive(Debug, Clone)]
pub enum Op {
    /// Follow / add friend (Shiku, Minxing), with the request message.
    Follow(String),
    /// SealTalk `friendship/invite`: always a request the other answers, re-sent only after
    /// the original server's windows (services::relations::rules::op_invite).
    Invite(String),
    Accept,
    Ignore,
    Unfriend,
    Unfollow,
    Block,
    Unblock,
    /// Change my side only; the relation must be at least the given status.
    Patch(Patch, Status),
}

/// Kinds of [`Gone`]: an ended friendship, a lifted block, a lost group membership.
pub const GONE_FRIEND: &str = "friend";
pub const GONE_BLOCK: &str = "block";
pub const GONE_GROUP: &str = "group";

/// A tombstone: what a user lost and when (SealTalk `/user/sync` reports removals from them;
/// store/gone.rs keeps them 30 days).
#[derive(Debug, Clone, PartialEq)]
pub struct Gone {
    /// [`GONE_FRIEND`], [`GONE_BLOCK`] or [`GONE_GROUP`].
    pub kind: String,
    /// The other user's id, or the group's conversation id.
    pub other: String,
    /// When it went (epoch ms).
    pub at: i64,
    /// The other user's nickname / the group's name, as known at removal ("" unknown).
    pub name: String,
    pub avatar: Option<String>,
    /// The membership's role at removal (groups: "owner" or "member").
    pub role: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_codes_parse() {
        assert_eq!(Status::from_code(Some(2)), FRIENDS);
        assert_eq!(Status::from_code(Some(1)), FOLLOWING);
        assert_eq!(Status::from_code(None), STRANGER);
        assert_eq!(Status::from_code(Some(7)), STRANGER);
        assert!(FRIENDS > FOLLOWING && FOLLOWING > STRANGER);
        assert_eq!(FRIENDS.code(), 2);
        assert_eq!(ReqState::from_code(Some(2)), ReqState::Ignored);
        assert_eq!(ReqState::from_code(Some(9)), ReqState::Pending);
        let r = Relation::new(UserId(1), UserId(2), "B", None, 5);
        assert!(r.is_empty() && !r.counts_as_friend());
        assert!(Relation { status: FRIENDS, ..r.clone() }.counts_as_friend());
        assert!(!Relation { status: FRIENDS, blacklist: true, ..r }.counts_as_friend());
    }
}
