//! The rules of relations as pure functions: from what was read ([`Pair`]) to what to write
//! ([`Edit`]). No I/O.

use crate::domain::relations::{
    Op, Outcome, Patch, Relation, ReqState, Request, Status, FOLLOWING, FRIENDS, STRANGER, SYSTEM_UID,
};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::services::ocus::is_public_account;
use crate::store::users::User;
use serde_json::{json, Value};

/// Everything one change between `me` and `other` depends on.
#[derive(Debug, Clone)]
pub struct Pair {
    pub me: User,
    pub other: User,
    /// me → other
    pub mine: Option<Relation>,
    /// other → me
    pub theirs: Option<Relation>,
    /// request from other to me
    pub req_to_me: Option<Request>,
    /// request from me to other
    pub req_to_them: Option<Request>,
    /// other requires verification of friend requests (settings `friendsVerify`)
    pub other_verify: bool,
    /// other accepts followers at all (settings `allowAtt`, default yes)
    pub other_allows: bool,
}

/// Refusal code (Shiku `1100802`): the target blacklisted the caller.
pub const REFUSED_BLOCKED: i64 = 1_100_802;
/// Refusal code (Shiku `1100801`): the target refuses followers (settings `allowAtt` = 0).
pub const REFUSED_BY_TARGET: i64 = 1_100_801;

fn blocked_by_target() -> AppError {
    AppError::Refused { code: REFUSED_BLOCKED, message: "the user has blacklisted you".into() }
}

/// A change to write: `None` = unchanged, `Some(None)` = delete, `Some(Some(x))` = put.
#[derive(Debug, Default)]
pub struct Edit {
    pub mine: Option<Option<Relation>>,
    pub theirs: Option<Option<Relation>>,
    pub req_to_me: Option<Option<Request>>,
    pub req_to_them: Option<Option<Request>>,
    /// (recipient, event type, extra fields of the frame)
    pub events: Vec<(UserId, &'static str, Value)>,
    pub outcome: Option<Outcome>,
}

impl Edit {
    fn done(outcome: Outcome) -> Edit {
        Edit { outcome: Some(outcome), ..Default::default() }
    }
    fn event(&mut self, to: UserId, kind: &'static str) {
        self.events.push((to, kind, json!({})));
    }
}

/// The rule of one [`Op`].
pub fn decide(p: &Pair, now: i64, op: &Op) -> AppResult<Edit> {
    if matches!(op, Op::Follow(_) | Op::Invite(_)) {
        if is_public_account(&p.me) {
            return Err(AppError::forbidden("a public account does not follow or befriend users"));
        }
        if is_public_account(&p.other) {
            return op_subscribe(p, now);
        }
    }
    match op {
        Op::Follow(message) => op_follow(p, now, message),
        Op::Invite(message) => op_invite(p, now, message),
        Op::Accept => op_accept(p, now),
        Op::Ignore => op_ignore(p, now),
        Op::Unfriend => op_unfriend(p, now),
        Op::Unfollow => op_unfollow(p, now),
        Op::Block => op_block(p, now),
        Op::Unblock => op_unblock(p, now),
        Op::Patch(patch, min) => op_patch(p, now, patch, *min),
    }
}

fn rel_or_new(r: &Option<Relation>, owner: UserId, other: &User, now: i64) -> Relation {
    let mut x =
        r.clone().unwrap_or_else(|| Relation::new(owner, other.uid, &other.nickname, other.avatar.as_deref(), now));
    // Refresh the denormalised profile on every write.
    x.to_nickname = other.nickname.clone();
    x.to_avatar = other.avatar.clone();
    x.modify_time = now;
    x
}

fn keep_or_delete(r: Relation) -> Option<Relation> {
    (!r.is_empty()).then_some(r)
}

fn make_friends(p: &Pair, now: i64, e: &mut Edit) {
    let mut mine = rel_or_new(&p.mine, p.me.uid, &p.other, now);
    let mut theirs = rel_or_new(&p.theirs, p.other.uid, &p.me, now);
    mine.status = FRIENDS;
    mine.blacklist = false;
    theirs.status = FRIENDS;
    e.mine = Some(Some(mine));
    e.theirs = Some(Some(theirs));
    for (slot, req) in [(&mut e.req_to_me, &p.req_to_me), (&mut e.req_to_them, &p.req_to_them)] {
        if let Some(r) = req.as_ref().filter(|r| r.state != ReqState::Accepted) {
            let mut r = r.clone();
            r.state = ReqState::Accepted;
            r.modify_time = now;
            *slot = Some(Some(r));
        }
    }
}
/// Follow / add friend (Shiku, Minxing): friends at once unless the other verifies requests,
/// in which case `me` follows `other` and a friend request waits. A follow back, or a request
/// from the other side, makes them friends. Adding someone you blocked unblocks them.
pub fn op_follow(p: &Pair, now: i64, message: &str) -> AppResult<Edit> {
    if p.theirs.as_ref().is_some_and(|r| r.blacklist) {
        return Err(blocked_by_target());
    }
    let mine_status = p.mine.as_ref().map_or(STRANGER, |r| r.status);
    let i_blocked = p.mine.as_ref().is_some_and(|r| r.blacklist);
    let their_status = p.theirs.as_ref().map_or(STRANGER, |r| r.status);
    let they_asked = p.req_to_me.as_ref().is_some_and(|r| r.state == ReqState::Pending);
    if mine_status == FRIENDS && their_status == FRIENDS {
        if !i_blocked {
            return Ok(Edit::done(Outcome::AlreadyFriends));
        }
        let mut mine = rel_or_new(&p.mine, p.me.uid, &p.other, now);
        mine.blacklist = false;
        return Ok(Edit { mine: Some(Some(mine)), outcome: Some(Outcome::AlreadyFriends), ..Default::default() });
    }
    let wanted = their_status >= FOLLOWING || they_asked;
    if !wanted && !p.other_allows {
        return Err(refused_by_target());
    }
    if wanted || !p.other_verify || p.other.uid == SYSTEM_UID {
        return Ok(befriend(p, now, they_asked));
    }
    let pending = p.req_to_them.as_ref().is_some_and(|r| r.state == ReqState::Pending);
    if mine_status == FOLLOWING && pending && !i_blocked {
        return Ok(Edit::done(Outcome::AlreadyFollowing));
    }
    Ok(send_request(p, now, message))
}

/// Follow / add friend / invite aimed at a public account = subscribe: my relation says
/// following with `ocu` (indexed as a subscription, never friends), no request, no event.
pub fn op_subscribe(p: &Pair, now: i64) -> AppResult<Edit> {
    if p.theirs.as_ref().is_some_and(|r| r.blacklist) {
        return Err(blocked_by_target());
    }
    let mine = p.mine.as_ref();
    if mine.is_some_and(|r| r.status == FOLLOWING && r.ocu && !r.blacklist) {
        return Ok(Edit::done(Outcome::AlreadyFollowing));
    }
    let mut r = rel_or_new(&p.mine, p.me.uid, &p.other, now);
    r.status = FOLLOWING;
    r.ocu = true;
    r.blacklist = false;
    Ok(Edit { mine: Some(Some(r)), outcome: Some(Outcome::Subscribed), ..Default::default() })
}

/// A public account ends `p.other`'s subscription to it (`/mp/fans/delete`): the fan's
/// relation back to a stranger (kept when it still holds a remark or flags). Not a fan → 404.
pub fn op_drop_fan(p: &Pair, now: i64) -> AppResult<Edit> {
    let Some(theirs) = p.theirs.as_ref().filter(|r| r.status >= FOLLOWING && r.ocu) else {
        return Err(AppError::not_found(format!("fan {}", p.other.uid)));
    };
    let mut r = theirs.clone();
    r.status = STRANGER;
    r.ocu = false;
    r.modify_time = now;
    Ok(Edit { theirs: Some(keep_or_delete(r)), outcome: Some(Outcome::Done), ..Default::default() })
}

/// SealTalk `friendship/invite` re-sends a pending request only after 3 days and an ignored one
/// after 1 day, counted from when it was last sent (the original's friendship.coffee:119-123,
/// `fg.updatedAt`).
pub const RESEND_PENDING_MS: i64 = 3 * 86_400_000;
pub const RESEND_IGNORED_MS: i64 = 86_400_000;

/// SealTalk `friendship/invite` (the original's friendship.coffee:58-237): always a request the
/// other answers, whatever their `friendsVerify`, unless they already want me (they follow me
/// or asked me, even if I ignored it) or are the system account: then friends at once.
/// Already friends → `AlreadyFriends` with no change (the dialect answers 400). My request
/// again within the re-send windows → `AlreadyFollowing`, nothing sent. Blacklisted by the
/// target → the same refusal as follow (the dialect decides what the caller sees).
pub fn op_invite(p: &Pair, now: i64, message: &str) -> AppResult<Edit> {
    if p.theirs.as_ref().is_some_and(|r| r.blacklist) {
        return Err(blocked_by_target());
    }
    let mine_status = p.mine.as_ref().map_or(STRANGER, |r| r.status);
    let their_status = p.theirs.as_ref().map_or(STRANGER, |r| r.status);
    if mine_status == FRIENDS && their_status == FRIENDS {
        return Ok(Edit::done(Outcome::AlreadyFriends));
    }
    let they_asked = p.req_to_me.as_ref().is_some_and(|r| r.state != ReqState::Accepted);
    if their_status >= FOLLOWING || they_asked || p.other.uid == SYSTEM_UID {
        return Ok(befriend(p, now, they_asked));
    }
    if !p.other_allows {
        return Err(refused_by_target());
    }
    if let Some(r) = &p.req_to_them {
        let window = match r.state {
            ReqState::Pending => Some(RESEND_PENDING_MS),
            ReqState::Ignored => Some(RESEND_IGNORED_MS),
            ReqState::Accepted => None,
        };
        if window.is_some_and(|w| now - r.sent <= w) {
            return Ok(Edit::done(Outcome::AlreadyFollowing));
        }
    }
    Ok(send_request(p, now, message))
}

fn refused_by_target() -> AppError {
    AppError::Refused { code: REFUSED_BY_TARGET, message: "the user does not accept friend requests".into() }
}

/// Friends now; the other is told `accepted` (they had asked) or `added`.
fn befriend(p: &Pair, now: i64, they_asked: bool) -> Edit {
    let mut e = Edit::default();
    make_friends(p, now, &mut e);
    e.event(p.other.uid, if they_asked { "accepted" } else { "added" });
    e.outcome = Some(Outcome::Friends);
    e
}

/// `me` follows `other` and a (new or re-sent) pending request with `message` waits for them.
fn send_request(p: &Pair, now: i64, message: &str) -> Edit {
    let mut e = Edit::default();
    let mut mine = rel_or_new(&p.mine, p.me.uid, &p.other, now);
    mine.status = FOLLOWING;
    mine.blacklist = false;
    e.mine = Some(Some(mine));
    let req = Request {
        to: p.other.uid,
        from: p.me.uid,
        state: ReqState::Pending,
        message: message.to_string(),
        from_nickname: p.me.nickname.clone(),
        from_avatar: p.me.avatar.clone(),
        time: p.req_to_them.as_ref().map_or(now, |r| r.time),
        modify_time: now,
        sent: now,
        ver: p.req_to_them.as_ref().map_or(0, |r| r.ver),
    };
    e.req_to_them = Some(Some(req));
    e.events.push((p.other.uid, "requested", json!({"message": message})));
    e.outcome = Some(Outcome::Requested);
    e
}

/// Accept the other's pending request (SealTalk `friendship/agree`, the original's
/// friendship.coffee:240-292): already friends is a no-op; an ignored request or none → not
/// found. No blacklist check (as the original): a requester who blocked me since stays blocked,
/// and the block is not revealed.
pub fn op_accept(p: &Pair, now: i64) -> AppResult<Edit> {
    let friends = p.mine.as_ref().is_some_and(|r| r.status == FRIENDS);
    if friends {
        return Ok(Edit::done(Outcome::AlreadyFriends));
    }
    let asked = p.req_to_me.as_ref().is_some_and(|r| r.state == ReqState::Pending);
    if !asked {
        return Err(AppError::not_found(format!("friend request from {}", p.other.uid)));
    }
    Ok(befriend(p, now, true))
}

/// Ignore the other's pending request (SealTalk `friendship/ignore`).
pub fn op_ignore(p: &Pair, now: i64) -> AppResult<Edit> {
    match p.req_to_me.as_ref().filter(|r| r.state == ReqState::Pending) {
        None => Err(AppError::not_found(format!("friend request from {}", p.other.uid))),
        Some(r) => {
            let mut r = r.clone();
            r.state = ReqState::Ignored;
            r.modify_time = now;
            Ok(Edit { req_to_me: Some(Some(r)), outcome: Some(Outcome::Done), ..Default::default() })
        }
    }
}

/// End a friendship on both sides (requests between them are forgotten, so a new one can be made).
pub fn op_unfriend(p: &Pair, now: i64) -> AppResult<Edit> {
    if p.mine.as_ref().is_none_or(|r| r.status != FRIENDS) {
        return Err(AppError::not_found(format!("friend {}", p.other.uid)));
    }
    let mut e = Edit::default();
    let mut mine = rel_or_new(&p.mine, p.me.uid, &p.other, now);
    mine.status = STRANGER;
    e.mine = Some(keep_or_delete(mine));
    if p.theirs.is_some() {
        let mut theirs = rel_or_new(&p.theirs, p.other.uid, &p.me, now);
        theirs.status = STRANGER;
        e.theirs = Some(keep_or_delete(theirs));
    }
    if p.req_to_me.is_some() {
        e.req_to_me = Some(None);
    }
    if p.req_to_them.is_some() {
        e.req_to_them = Some(None);
    }
    e.event(p.other.uid, "deleted");
    e.outcome = Some(Outcome::Done);
    Ok(e)
}

/// Stop following: a friendship becomes the other's one-way follow; my pending request is withdrawn.
pub fn op_unfollow(p: &Pair, now: i64) -> AppResult<Edit> {
    let Some(status) = p.mine.as_ref().map(|r| r.status).filter(|s| *s >= FOLLOWING) else {
        return Err(AppError::not_found(format!("followed user {}", p.other.uid)));
    };
    let mut e = Edit::default();
    let mut mine = rel_or_new(&p.mine, p.me.uid, &p.other, now);
    mine.status = STRANGER;
    e.mine = Some(keep_or_delete(mine));
    if status == FRIENDS {
        if p.theirs.is_some() {
            let mut theirs = rel_or_new(&p.theirs, p.other.uid, &p.me, now);
            theirs.status = FOLLOWING;
            e.theirs = Some(Some(theirs));
        }
        e.event(p.other.uid, "deleted");
    } else {
        e.event(p.other.uid, "unfollowed");
    }
    if p.req_to_them.as_ref().is_some_and(|r| r.state != ReqState::Accepted) {
        e.req_to_them = Some(None);
    }
    e.outcome = Some(Outcome::Done);
    Ok(e)
}

/// Block: my relation keeps its status (unblocking restores it) but lists show the user only
/// in the blacklist; their pending request to me is ignored; they can no longer message me,
/// follow me or send me requests.
pub fn op_block(p: &Pair, now: i64) -> AppResult<Edit> {
    if p.mine.as_ref().is_some_and(|r| r.blacklist) {
        return Ok(Edit::done(Outcome::Done));
    }
    let mut e = Edit::default();
    let mut mine = rel_or_new(&p.mine, p.me.uid, &p.other, now);
    mine.blacklist = true;
    e.mine = Some(Some(mine));
    if let Some(r) = p.req_to_me.as_ref().filter(|r| r.state == ReqState::Pending) {
        let mut r = r.clone();
        r.state = ReqState::Ignored;
        r.modify_time = now;
        e.req_to_me = Some(Some(r));
    }
    e.event(p.other.uid, "blacklisted");
    e.outcome = Some(Outcome::Done);
    Ok(e)
}

/// Unblock (idempotent: not blocked is a no-op).
pub fn op_unblock(p: &Pair, now: i64) -> AppResult<Edit> {
    if !p.mine.as_ref().is_some_and(|r| r.blacklist) {
        return Ok(Edit::done(Outcome::Done));
    }
    let mut e = Edit::default();
    let mut mine = rel_or_new(&p.mine, p.me.uid, &p.other, now);
    mine.blacklist = false;
    e.mine = Some(keep_or_delete(mine));
    e.event(p.other.uid, "unblacklisted");
    e.outcome = Some(Outcome::Done);
    Ok(e)
}

/// Change my side only; the relation must be at least `min_status`.
pub fn op_patch(p: &Pair, now: i64, patch: &Patch, min_status: Status) -> AppResult<Edit> {
    let Some(cur) = p.mine.as_ref().filter(|r| r.status >= min_status.max(FOLLOWING)) else {
        return Err(AppError::not_found(format!("friend {}", p.other.uid)));
    };
    let mut mine = rel_or_new(&Some(cur.clone()), p.me.uid, &p.other, now);
    if let Some(r) = &patch.remark {
        mine.remark = r.clone();
    }
    if let Some(t) = patch.chat_record_timeout {
        mine.chat_record_timeout = t;
    }
    if let Some(v) = patch.offline_no_push_msg {
        mine.offline_no_push_msg = v;
    }
    if let Some(v) = patch.is_open_snapchat {
        mine.is_open_snapchat = v;
    }
    if let Some(v) = patch.is_open_top_chat {
        mine.is_open_top_chat = v;
    }
    Ok(Edit { mine: Some(Some(mine)), outcome: Some(Outcome::Done), ..Default::default() })
}
