//! The Minxing work circle (feed): posts (thread starters and replies), likes, bookmarks and
//! who may see what, as typed values. No DynamoDB, no JSON, no I/O.
//!
//! A post id is a number < 2^53 (safe in JavaScript) ordered by time: `ms × 1024 + 10 random
//! bits` ([`new_id`]), so `older_than`/`newer_than` are key conditions on `<mid:016>` sort keys.

use crate::error::{AppError, AppResult};
use crate::ids::UserId;

/// Longest post body, in characters.
pub const MAX_BODY: usize = 10_000;
/// Most attachments of one post (the caller's own files).
pub const MAX_ATTACHMENTS: usize = 9;
/// Longest client id (`client_id`, idempotent posting).
pub const MAX_CLIENT_ID: usize = 64;
/// Replies kept on the starter for `threaded=extended`.
pub const LAST_REPLIES: usize = 2;
/// Page size of the lists: 1–50, default 20.
pub const MAX_LIMIT: i64 = 50;
pub const DEFAULT_LIMIT: i64 = 20;
/// `unseen_feed_count` is capped here.
pub const MAX_UNSEEN: i64 = 99;
/// Inbox refs (`FEEDIN#`) live this long (180 days).
pub const INBOX_TTL_SECS: i64 = 180 * 86_400;
/// Authors with more fans are not fanned out on write (documented, not built: see
/// docs/dialects.md "Minxing feed").
pub const MAX_FANOUT: usize = 10_000;
/// Largest id: 2^53 − 1.
pub const MAX_ID: i64 = (1 << 53) - 1;

/// A new post id for `now_ms` with 10 random bits (`rand` in 0..1024).
pub fn new_id(now_ms: i64, rand: u16) -> i64 {
    now_ms * 1024 + i64::from(rand & 1023)
}

/// The creation time (ms) encoded in an id.
pub fn id_time(id: i64) -> i64 {
    id / 1024
}

/// A post id from a path or parameter: 1–16 digits, positive, < 2^53. Anything else is
/// `None` (callers answer not-found for a path id, 400 for a cursor).
pub fn parse_id(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 16 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse::<i64>().ok().filter(|v| *v > 0 && *v <= MAX_ID)
}

/// A post id parameter (`older_than`, `newer_than`, `cursor`, `message_id`): 400 when
/// malformed.
pub fn id_param(name: &str, raw: Option<String>) -> AppResult<Option<i64>> {
    match raw {
        None => Ok(None),
        Some(r) => parse_id(&r).map(Some).ok_or_else(|| AppError::invalid(name, "must be a message id")),
    }
}

/// A client id: 1–64 letters, digits, `-`, `_`, `.`.
pub fn valid_client_id(raw: &str) -> bool {
    !raw.is_empty()
        && raw.len() <= MAX_CLIENT_ID
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// One attached file, as copied onto the post when it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub s3_key: String,
}

/// A reply as the starter keeps it for `last_replies`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplySummary {
    pub id: i64,
    pub sender: UserId,
    pub body: String,
    pub created_at: i64,
}

/// A post: a thread starter (`thread_id == id`) or a reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub id: i64,
    pub thread_id: i64,
    pub replied_to_id: Option<i64>,
    pub sender: UserId,
    /// The room (Minxing group) it was posted in.
    pub group_id: Option<String>,
    /// The room was private (`isNeedVerify ≠ 0`) when the post was written (a hint for the
    /// conditional like path; reads always check the room as it is now).
    pub private_group: bool,
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub likes: i64,
    pub replies: i64,
    /// Newest last, at most [`LAST_REPLIES`] (starters only).
    pub last_replies: Vec<ReplySummary>,
    pub created_at: i64,
}

impl Post {
    pub fn is_starter(&self) -> bool {
        self.thread_id == self.id
    }

    /// Network-visible: no group, or a group that was public when written (it gets a
    /// `FEEDNET` ref; reads re-check the room).
    pub fn network_visible(&self) -> bool {
        self.group_id.is_none() || !self.private_group
    }

    pub fn summary(&self) -> ReplySummary {
        ReplySummary { id: self.id, sender: self.sender, body: self.body.clone(), created_at: self.created_at }
    }
}

/// A room as the feed sees it for one reader, now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoomAccess {
    /// The room exists (its META is there).
    pub exists: bool,
    /// `isNeedVerify = 0`: anyone may join and read its posts.
    pub public: bool,
    /// The reader is a member.
    pub member: bool,
    /// The reader is its owner or an admin.
    pub admin: bool,
}

impl RoomAccess {
    /// May the reader see the room's posts?
    pub fn readable(&self) -> bool {
        self.exists && (self.public || self.member)
    }
}

/// May a reader see `post`, given the room it is in (None: no group)? Invisible = unknown.
pub fn visible(post: &Post, room: Option<&RoomAccess>) -> bool {
    match (&post.group_id, room) {
        (None, _) => true,
        (Some(_), Some(r)) => r.readable(),
        (Some(_), None) => false,
    }
}

/// Does a post belong in `me`'s following feed? Mine, by someone I follow (relation status
/// ≥ 1 and not blocked: `follows`) where I may see it, or in a room I am a member of.
pub fn in_following(me: UserId, post: &Post, room: Option<&RoomAccess>, follows: bool) -> bool {
    if !visible(post, room) {
        return false;
    }
    post.sender == me || follows || room.is_some_and(|r| r.member)
}

/// The new `last_replies` after `reply` (newest last, at most [`LAST_REPLIES`]).
pub fn push_reply(mut last: Vec<ReplySummary>, reply: ReplySummary) -> Vec<ReplySummary> {
    last.retain(|r| r.id != reply.id);
    last.push(reply);
    last.sort_by_key(|r| r.id);
    let skip = last.len().saturating_sub(LAST_REPLIES);
    last.into_iter().skip(skip).collect()
}

/// A like or a bookmark (the two marks a user puts on a post).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Like,
    Bookmark,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(group: Option<&str>) -> Post {
        Post {
            id: 5,
            thread_id: 5,
            replied_to_id: None,
            sender: UserId(1),
            group_id: group.map(str::to_string),
            private_group: false,
            body: "b".into(),
            attachments: vec![],
            likes: 0,
            replies: 0,
            last_replies: vec![],
            created_at: 0,
        }
    }

    #[test]
    fn ids_are_time_ordered_and_safe_in_javascript() {
        let now = 1_800_000_000_000;
        assert!(new_id(now, 1023) < new_id(now + 1, 0));
        assert_eq!(id_time(new_id(now, 77)), now);
        assert!(new_id(4_000_000_000_000, 1023) <= MAX_ID, "good until year 2096");
        assert_eq!(parse_id("0012"), Some(12));
        for bad in ["", "0", "-1", "1e3", "12345678901234567", "9007199254740992", "a1"] {
            assert_eq!(parse_id(bad), None, "{bad}");
        }
        assert!(id_param("cursor", Some("x".into())).is_err());
    }

    #[test]
    fn private_rooms_hide_their_posts() {
        let p = post(Some("g"));
        let outsider_private = RoomAccess { exists: true, public: false, member: false, admin: false };
        let outsider_public = RoomAccess { public: true, ..outsider_private };
        let gone = RoomAccess { exists: false, public: true, member: true, admin: false };
        assert!(!visible(&p, Some(&outsider_private)));
        assert!(visible(&p, Some(&outsider_public)));
        assert!(!visible(&p, Some(&gone)));
        assert!(!visible(&p, None));
        assert!(visible(&post(None), None));
        // Following: a public room's post by someone I do not follow is not mine to follow.
        assert!(!in_following(UserId(2), &p, Some(&outsider_public), false));
        assert!(in_following(UserId(2), &p, Some(&outsider_public), true));
        assert!(in_following(UserId(1), &post(None), None, false));
    }

    #[test]
    fn last_replies_keep_the_newest_two() {
        let r = |id| ReplySummary { id, sender: UserId(1), body: String::new(), created_at: id };
        let last = push_reply(push_reply(push_reply(vec![], r(1)), r(3)), r(2));
        assert_eq!(last.iter().map(|r| r.id).collect::<Vec<_>>(), [2, 3]);
    }
}
