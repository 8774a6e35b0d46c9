//! Relations between two users (friend / follow / blacklist) and friend requests.
//!
//! One relation per ordered pair: `USER#<a>` / `REL#<b>` says how `a` stands to `b`:
//! `status` 0 stranger, 1 a follows b, 2 friends (both sides are 2), `blacklist` (a blocked b),
//! remark, per-chat flags, and b's nickname/avatar so lists need no per-friend reads.
//! Indexes (sparse, recomputed on every write):
//! - GSI1 `FANS#<b>` / `<a:012>` while a follows b (status ≥ 1): fans list = one Query.
//! - GSI2 `RELS#<a>` / `1#<b:012>` following only, `2#<b:012>` friend, `X#<b:012>` blocked:
//!   friend list, following list, blacklist = one Query page each.
//!
//! A friend request from `f` to `t` is `USER#<t>` / `NEWFRIEND#<f>` (one per pair, state
//! pending/accepted/ignored) with GSI2 `NEWFRIENDS#<t>` / `<time:013>#<f:012>` (newest first).
//!
//! Every change reads the pair once (one consistent BatchGetItem: both profiles, both
//! relations, both requests, the target's settings), computes the new state with a pure
//! function and writes everything, plus the live events, in one TransactWriteItems
//! conditioned on the versions it read (optimistic concurrency, retried on a lost race).

use super::{is_condition_failure, n, s, users, Db, Item, ItemExt, GSI1, GSI2};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::users::User;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use serde_json::{json, Value};

/// The Shiku system account ("System", `/friends/addAllFriendsSys`).
pub const SYSTEM_UID: UserId = UserId(10000);
/// Live events (`EVENT#<uid>` items) are kept one day.
pub const EVENT_TTL_SECS: i64 = 86_400;
pub const MAX_MESSAGE: usize = 64;
pub const MAX_REMARK: usize = 32;

pub const STRANGER: i64 = 0;
pub const FOLLOWING: i64 = 1;
pub const FRIENDS: i64 = 2;

#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    pub owner: UserId,
    pub other: UserId,
    pub status: i64,
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
    ver: i64,
}

impl Relation {
    pub fn new(owner: UserId, other: &User, now: i64) -> Relation {
        Relation {
            owner,
            other: other.uid,
            status: STRANGER,
            blacklist: false,
            remark: String::new(),
            to_nickname: other.nickname.clone(),
            to_avatar: other.avatar.clone(),
            create_time: now,
            modify_time: now,
            offline_no_push_msg: false,
            is_open_snapchat: false,
            is_open_top_chat: false,
            chat_record_timeout: -1.0,
            ver: 0,
        }
    }

    /// A relation item that says nothing (stranger, not blocked, no remark or flags) is deleted.
    fn is_empty(&self) -> bool {
        self.status == STRANGER
            && !self.blacklist
            && self.remark.is_empty()
            && !self.offline_no_push_msg
            && !self.is_open_snapchat
            && !self.is_open_top_chat
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReqState {
    Pending = 0,
    Accepted = 1,
    Ignored = 2,
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
    ver: i64,
}

fn pk(uid: UserId) -> String {
    users::pk(uid)
}

fn rel_sk(other: UserId) -> String {
    format!("REL#{other}")
}

/// Key of `owner`'s relation to `other` (push DND checks read it in a BatchGetItem).
pub fn key(owner: UserId, other: UserId) -> Item {
    Db::key(pk(owner), rel_sk(other))
}

fn req_sk(from: UserId) -> String {
    format!("NEWFRIEND#{from}")
}

fn rel_item(r: &Relation) -> Item {
    let mut it = Db::key(pk(r.owner), rel_sk(r.other));
    it.insert("uid".into(), n(r.owner.0));
    it.insert("toUid".into(), n(r.other.0));
    it.insert("status".into(), n(r.status));
    it.insert("blacklist".into(), AttributeValue::Bool(r.blacklist));
    it.insert("remarkName".into(), s(&r.remark));
    it.insert("toNickname".into(), s(&r.to_nickname));
    if let Some(a) = &r.to_avatar {
        it.insert("toAvatar".into(), s(a));
    }
    it.insert("createTime".into(), n(r.create_time));
    it.insert("modifyTime".into(), n(r.modify_time));
    it.insert("offlineNoPushMsg".into(), AttributeValue::Bool(r.offline_no_push_msg));
    it.insert("isOpenSnapchat".into(), AttributeValue::Bool(r.is_open_snapchat));
    it.insert("isOpenTopChat".into(), AttributeValue::Bool(r.is_open_top_chat));
    it.insert("chatRecordTimeOut".into(), n(r.chat_record_timeout));
    it.insert("ver".into(), n(r.ver));
    if r.status >= FOLLOWING {
        it.insert("gsi1pk".into(), s(format!("FANS#{}", r.other)));
        it.insert("gsi1sk".into(), s(format!("{:012}", r.owner.0)));
    }
    let tag = if r.blacklist {
        Some("X")
    } else {
        match r.status {
            FRIENDS => Some("2"),
            FOLLOWING => Some("1"),
            _ => None,
        }
    };
    if let Some(t) = tag {
        it.insert("gsi2pk".into(), s(format!("RELS#{}", r.owner)));
        it.insert("gsi2sk".into(), s(format!("{t}#{:012}", r.other.0)));
    }
    it
}

pub fn rel_from(it: &Item) -> Option<Relation> {
    Some(Relation {
        owner: UserId(it.i64("uid")?),
        other: UserId(it.i64("toUid")?),
        status: it.i64("status").unwrap_or(0),
        blacklist: it.bool("blacklist").unwrap_or(false),
        remark: it.string("remarkName"),
        to_nickname: it.string("toNickname"),
        to_avatar: it.str("toAvatar").map(str::to_string),
        create_time: it.i64("createTime").unwrap_or(0),
        modify_time: it.i64("modifyTime").unwrap_or(0),
        offline_no_push_msg: it.bool("offlineNoPushMsg").unwrap_or(false),
        is_open_snapchat: it.bool("isOpenSnapchat").unwrap_or(false),
        is_open_top_chat: it.bool("isOpenTopChat").unwrap_or(false),
        chat_record_timeout: it.f64("chatRecordTimeOut").unwrap_or(-1.0),
        ver: it.i64("ver").unwrap_or(0),
    })
}

fn req_item(r: &Request) -> Item {
    let mut it = Db::key(pk(r.to), req_sk(r.from));
    it.insert("to".into(), n(r.to.0));
    it.insert("from".into(), n(r.from.0));
    it.insert("state".into(), n(r.state as i64));
    it.insert("message".into(), s(&r.message));
    it.insert("fromNickname".into(), s(&r.from_nickname));
    if let Some(a) = &r.from_avatar {
        it.insert("fromAvatar".into(), s(a));
    }
    it.insert("time".into(), n(r.time));
    it.insert("modifyTime".into(), n(r.modify_time));
    it.insert("ver".into(), n(r.ver));
    it.insert("gsi2pk".into(), s(format!("NEWFRIENDS#{}", r.to)));
    it.insert("gsi2sk".into(), s(format!("{:013}#{:012}", r.modify_time, r.from.0)));
    it
}

pub fn req_from(it: &Item) -> Option<Request> {
    Some(Request {
        to: UserId(it.i64("to")?),
        from: UserId(it.i64("from")?),
        state: match it.i64("state") {
            Some(1) => ReqState::Accepted,
            Some(2) => ReqState::Ignored,
            _ => ReqState::Pending,
        },
        message: it.string("message"),
        from_nickname: it.string("fromNickname"),
        from_avatar: it.str("fromAvatar").map(str::to_string),
        time: it.i64("time").unwrap_or(0),
        modify_time: it.i64("modifyTime").unwrap_or(0),
        ver: it.i64("ver").unwrap_or(0),
    })
}

/// A 0/1 flag of a settings item (number, bool or string); absent → `default`.
/// (`friendsVerify`: 1 = requests need approval; `allowAtt`: 0 = nobody may follow me.)
fn settings_flag(it: Option<&Item>, name: &str, default: bool) -> bool {
    match it.and_then(|it| it.get(name)) {
        Some(AttributeValue::N(v)) => v.trim() != "0",
        Some(AttributeValue::Bool(b)) => *b,
        Some(AttributeValue::S(v)) => v == "1" || v.eq_ignore_ascii_case("true"),
        _ => default,
    }
}

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

/// One consistent BatchGetItem (7 keys).
async fn load_pair(db: &Db, me: UserId, other: UserId) -> AppResult<Option<Pair>> {
    let keys = vec![
        Db::key(pk(me), "PROFILE"),
        Db::key(pk(other), "PROFILE"),
        Db::key(pk(me), rel_sk(other)),
        Db::key(pk(other), rel_sk(me)),
        Db::key(pk(me), req_sk(other)),
        Db::key(pk(other), req_sk(me)),
        Db::key(pk(other), "SETTINGS"),
    ];
    let items = super::batch_get_consistent(db, keys).await?;
    let find = |p: &str, sk: &str| items.iter().find(|i| i.str("pk") == Some(p) && i.str("sk") == Some(sk));
    let (pm, po) = (pk(me), pk(other));
    let Some(me_u) = find(&pm, "PROFILE").and_then(users::from_item) else {
        return Err(AppError::not_found(format!("user {me}")));
    };
    let Some(other_u) = find(&po, "PROFILE").and_then(users::from_item) else {
        return Ok(None);
    };
    Ok(Some(Pair {
        me: me_u,
        other: other_u,
        mine: find(&pm, &rel_sk(other)).and_then(rel_from),
        theirs: find(&po, &rel_sk(me)).and_then(rel_from),
        req_to_me: find(&pm, &req_sk(other)).and_then(req_from),
        req_to_them: find(&po, &req_sk(me)).and_then(req_from),
        other_verify: settings_flag(find(&po, "SETTINGS"), "friendsVerify", false),
        other_allows: settings_flag(find(&po, "SETTINGS"), "allowAtt", true),
    }))
}

/// What the caller asked for turned into, in Shiku's `AddAttentionResult.type` terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 1: now following; a friend request waits for the other's verification.
    Requested,
    /// 2: now friends.
    Friends,
    /// 3: was already following / request already pending (nothing new).
    AlreadyFollowing,
    /// 4: were already friends.
    AlreadyFriends,
    /// A change with no Shiku type (remark, blacklist, delete, …).
    Done,
}

impl Outcome {
    pub fn shiku_type(self) -> i64 {
        match self {
            Outcome::Requested => 1,
            Outcome::Friends => 2,
            Outcome::AlreadyFollowing => 3,
            Outcome::AlreadyFriends => 4,
            Outcome::Done => 0,
        }
    }
}

/// Shiku `1100802`: the target blacklisted the caller.
pub const REFUSED_BLOCKED: i64 = 1_100_802;
/// Shiku `1100801`: the target refuses followers (settings `allowAtt` = 0).
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
    /// (recipient, event type, extra fields)
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

fn rel_or_new(r: &Option<Relation>, owner: UserId, other: &User, now: i64) -> Relation {
    let mut x = r.clone().unwrap_or_else(|| Relation::new(owner, other, now));
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

/// Follow / add friend / invite: friends at once unless the other verifies requests, in which
/// case `me` follows `other` and a friend request waits. A follow back, or a request from the
/// other side, makes them friends. Adding someone you blocked unblocks them.
pub fn op_follow(p: &Pair, now: i64, message: &str) -> AppResult<Edit> {
    if p.theirs.as_ref().is_some_and(|r| r.blacklist) {
        return Err(blocked_by_target());
    }
    let mine_status = p.mine.as_ref().map_or(STRANGER, |r| r.status);
    let i_blocked = p.mine.as_ref().is_some_and(|r| r.blacklist);
    let their_status = p.theirs.as_ref().map_or(STRANGER, |r| r.status);
    let they_asked = p.req_to_me.as_ref().is_some_and(|r| r.state == ReqState::Pending);
    let mut e = Edit::default();
    if mine_status == FRIENDS && their_status == FRIENDS {
        if !i_blocked {
            return Ok(Edit::done(Outcome::AlreadyFriends));
        }
        let mut mine = rel_or_new(&p.mine, p.me.uid, &p.other, now);
        mine.blacklist = false;
        e.mine = Some(Some(mine));
        e.outcome = Some(Outcome::AlreadyFriends);
        return Ok(e);
    }
    let wanted = their_status >= FOLLOWING || they_asked;
    if !wanted && !p.other_allows {
        return Err(AppError::Refused {
            code: REFUSED_BY_TARGET,
            message: "the user does not accept friend requests".into(),
        });
    }
    if wanted || !p.other_verify || p.other.uid == SYSTEM_UID {
        make_friends(p, now, &mut e);
        e.event(p.other.uid, if they_asked { "accepted" } else { "added" });
        e.outcome = Some(Outcome::Friends);
        return Ok(e);
    }
    let pending = p.req_to_them.as_ref().is_some_and(|r| r.state == ReqState::Pending);
    if mine_status == FOLLOWING && pending && !i_blocked {
        return Ok(Edit::done(Outcome::AlreadyFollowing));
    }
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
        ver: p.req_to_them.as_ref().map_or(0, |r| r.ver),
    };
    e.req_to_them = Some(Some(req));
    e.events.push((p.other.uid, "requested", json!({"message": message})));
    e.outcome = Some(Outcome::Requested);
    Ok(e)
}

/// Accept the other's pending (or earlier ignored) request; already friends is a no-op.
pub fn op_accept(p: &Pair, now: i64) -> AppResult<Edit> {
    let friends = p.mine.as_ref().is_some_and(|r| r.status == FRIENDS);
    if friends {
        return Ok(Edit::done(Outcome::AlreadyFriends));
    }
    let asked = p.req_to_me.as_ref().is_some_and(|r| r.state != ReqState::Accepted);
    if !asked {
        return Err(AppError::not_found(format!("friend request from {}", p.other.uid)));
    }
    if p.theirs.as_ref().is_some_and(|r| r.blacklist) {
        return Err(blocked_by_target());
    }
    let mut e = Edit::default();
    make_friends(p, now, &mut e);
    e.event(p.other.uid, "accepted");
    e.outcome = Some(Outcome::Friends);
    Ok(e)
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

/// What one may change on one's own relation with someone one follows (or is friends with).
#[derive(Debug, Clone, Default)]
pub struct Patch {
    pub remark: Option<String>,
    pub chat_record_timeout: Option<f64>,
    pub offline_no_push_msg: Option<bool>,
    pub is_open_snapchat: Option<bool>,
    pub is_open_top_chat: Option<bool>,
}

/// Change my side only; the relation must be at least `min_status`.
pub fn op_patch(p: &Pair, now: i64, patch: &Patch, min_status: i64) -> AppResult<Edit> {
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

fn tx_put(db: &Db, mut it: Item, prev_ver: Option<i64>) -> TransactWriteItem {
    let mut p = Put::builder().table_name(&db.table);
    match prev_ver {
        Some(v) => {
            it.insert("ver".into(), n(v + 1));
            p = p.condition_expression("ver = :v").expression_attribute_values(":v", n(v));
        }
        None => {
            it.insert("ver".into(), n(1));
            p = p.condition_expression("attribute_not_exists(pk)");
        }
    }
    TransactWriteItem::builder().put(p.set_item(Some(it)).build().expect("table and item set")).build()
}

fn tx_delete(db: &Db, key: Item, prev_ver: i64) -> TransactWriteItem {
    TransactWriteItem::builder()
        .delete(
            Delete::builder()
                .table_name(&db.table)
                .set_key(Some(key))
                .condition_expression("ver = :v")
                .expression_attribute_values(":v", n(prev_ver))
                .build()
                .expect("table and key set"),
        )
        .build()
}

/// The frame a friend event carries (docs/realtime.md).
pub fn event_frame(kind: &str, from: &User, to: UserId, now: i64, extra: &Value) -> Value {
    let mut f = json!({
        "event": "friend",
        "type": kind,
        "from": from.uid.0,
        "to": to.0,
        "fromNickname": from.nickname,
        "ts": now,
    });
    if let (Some(o), Some(x)) = (f.as_object_mut(), extra.as_object()) {
        for (k, v) in x {
            o.insert(k.clone(), v.clone());
        }
    }
    f
}

fn event_item(to: UserId, frame: &Value, now: i64) -> Item {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut it = Db::key(format!("EVENT#{to}"), format!("{now:013}#{id}"));
    // Marks items the delivery function pushes (stream filter in the template).
    it.insert("ev".into(), s("friend"));
    it.insert("evTo".into(), n(to.0));
    it.insert("frame".into(), s(frame.to_string()));
    it.insert("ttl".into(), n(now / 1000 + EVENT_TTL_SECS));
    it
}

/// Write an edit in one transaction, conditioned on the versions read. `Ok(false)`: lost a race.
async fn commit(db: &Db, now: i64, p: &Pair, e: &Edit) -> AppResult<bool> {
    let mut items = vec![];
    let rel_slots = [(&e.mine, &p.mine, p.me.uid, p.other.uid), (&e.theirs, &p.theirs, p.other.uid, p.me.uid)];
    for (change, prev, owner, other) in rel_slots {
        let prev_ver = prev.as_ref().map(|r| r.ver);
        match change {
            None => {}
            Some(Some(r)) => items.push(tx_put(db, rel_item(r), prev_ver)),
            Some(None) => {
                if let Some(v) = prev_ver {
                    items.push(tx_delete(db, Db::key(pk(owner), rel_sk(other)), v));
                }
            }
        }
    }
    let req_slots =
        [(&e.req_to_me, &p.req_to_me, p.me.uid, p.other.uid), (&e.req_to_them, &p.req_to_them, p.other.uid, p.me.uid)];
    for (change, prev, to, from) in req_slots {
        let prev_ver = prev.as_ref().map(|r| r.ver);
        match change {
            None => {}
            Some(Some(r)) => items.push(tx_put(db, req_item(r), prev_ver)),
            Some(None) => {
                if let Some(v) = prev_ver {
                    items.push(tx_delete(db, Db::key(pk(to), req_sk(from)), v));
                }
            }
        }
    }
    if items.is_empty() {
        return Ok(true);
    }
    for (to, kind, extra) in &e.events {
        let frame = event_frame(kind, &p.me, *to, now, extra);
        let put = Put::builder().table_name(&db.table).set_item(Some(event_item(*to, &frame, now)));
        items.push(TransactWriteItem::builder().put(put.build().expect("table and item set")).build());
    }
    match db.client.transact_write_items().set_transact_items(Some(items)).send().await {
        Ok(_) => Ok(true),
        Err(e) if is_condition_failure(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The result of a change: what happened and my relation to the other afterwards.
#[derive(Debug, Clone)]
pub struct Changed {
    pub outcome: Outcome,
    pub mine: Option<Relation>,
    pub other: User,
}

/// Read the pair, apply `op`, write the result; retried when a concurrent change wins.
/// Unknown `other` → NotFound; `other == me` → InvalidParam. Two calls when something changes
/// (BatchGetItem + TransactWriteItems), one when nothing does.
pub async fn change<F>(db: &Db, now: i64, me: UserId, other: UserId, op: F) -> AppResult<Changed>
where
    F: Fn(&Pair, i64) -> AppResult<Edit>,
{
    if me == other {
        return Err(AppError::invalid("toUserId", "cannot be yourself"));
    }
    for _ in 0..4 {
        let Some(pair) = load_pair(db, me, other).await? else {
            return Err(AppError::not_found(format!("user {other}")));
        };
        let edit = op(&pair, now)?;
        if commit(db, now, &pair, &edit).await? {
            let mine = match edit.mine {
                Some(x) => x,
                None => pair.mine,
            };
            return Ok(Changed { outcome: edit.outcome.unwrap_or(Outcome::Done), mine, other: pair.other });
        }
    }
    Err(AppError::Conflict("the relation changed concurrently; try again".into()))
}

/// My relation to `other` (one GetItem).
pub async fn get(db: &Db, me: UserId, other: UserId) -> AppResult<Option<Relation>> {
    Ok(db.get(pk(me), rel_sk(other)).await?.as_ref().and_then(rel_from))
}

/// Has `owner` blacklisted `other`? (the 1:1 send path: one GetItem)
pub async fn is_blocked(db: &Db, owner: UserId, other: UserId) -> AppResult<bool> {
    Ok(get(db, owner, other).await?.is_some_and(|r| r.blacklist))
}

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
}

/// One page of results and the cursor for the next (None at the end).
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

fn valid_cursor(c: &str) -> bool {
    !c.is_empty() && c.len() <= 40 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
}

/// Sort-key condition of an index Query.
enum Range {
    All,
    Between(String, String),
    Below(String),
}

/// Query pages until `limit` items (or the end); `limit` None = everything.
/// Normally one Query call: DynamoDB cuts pages only at 1 MB. The cursor returned is the
/// index sort key of the last item when more may follow.
async fn query_index(
    db: &Db,
    index: &str,
    pk_val: String,
    range: Range,
    limit: Option<usize>,
    forward: bool,
) -> AppResult<(Vec<Item>, Option<String>)> {
    let (pk_name, sk_name) = if index == GSI1 { ("gsi1pk", "gsi1sk") } else { ("gsi2pk", "gsi2sk") };
    let mut out: Vec<Item> = vec![];
    let mut start: Option<Item> = None;
    loop {
        let mut q = db
            .client
            .query()
            .table_name(&db.table)
            .index_name(index)
            .scan_index_forward(forward)
            .expression_attribute_values(":p", s(&pk_val));
        q = match &range {
            Range::All => q.key_condition_expression(format!("{pk_name} = :p")),
            Range::Between(lo, hi) => q
                .key_condition_expression(format!("{pk_name} = :p AND {sk_name} BETWEEN :lo AND :hi"))
                .expression_attribute_values(":lo", s(lo))
                .expression_attribute_values(":hi", s(hi)),
            Range::Below(v) => q
                .key_condition_expression(format!("{pk_name} = :p AND {sk_name} < :v"))
                .expression_attribute_values(":v", s(v)),
        };
        if let Some(l) = limit {
            q = q.limit((l - out.len()).clamp(1, 1000) as i32);
        }
        if let Some(st) = start.take() {
            q = q.set_exclusive_start_key(Some(st));
        }
        let resp = q.send().await?;
        out.extend(resp.items().iter().cloned());
        let last = resp.last_evaluated_key().cloned();
        let full = limit.is_some_and(|l| out.len() >= l);
        match last {
            Some(k) if !full => start = Some(k),
            _ => {
                let next = if last.is_some() {
                    out.last().and_then(|i| i.str(sk_name)).map(|k| k.replace('#', "."))
                } else {
                    None
                };
                return Ok((out, next));
            }
        }
    }
}

/// Cursors are index sort keys with '#' written as '.', so they travel in URLs unescaped.
fn cursor_sk(c: Option<&str>) -> AppResult<Option<String>> {
    match c {
        Some(c) if !valid_cursor(c) => Err(AppError::invalid("cursor", "malformed cursor")),
        Some(c) => Ok(Some(c.replace('.', "#"))),
        None => Ok(None),
    }
}

/// Sort-key range of one list kind, starting strictly after `after`.
fn rel_range(kind: ListKind, after: Option<&str>) -> (String, String) {
    let (lo, hi) = match kind {
        ListKind::Friends => ("2#", "2#~"),
        ListKind::FollowOnly => ("1#", "1#~"),
        ListKind::Following => ("1#", "2#~"),
        ListKind::Blacklist => ("X#", "X#~"),
    };
    let lo = match after {
        // "<after>$" sorts after "<after>" and before the next key (all keys have the same length).
        Some(a) if a > lo => format!("{a}$"),
        _ => lo.to_string(),
    };
    (lo, hi.to_string())
}

/// One page of a user's relations of one kind (one Query; `limit` None = all).
pub async fn list(
    db: &Db,
    owner: UserId,
    kind: ListKind,
    after: Option<&str>,
    limit: Option<usize>,
) -> AppResult<Page<Relation>> {
    let after = cursor_sk(after)?;
    let (lo, hi) = rel_range(kind, after.as_deref());
    let (items, next) = query_index(db, GSI2, format!("RELS#{owner}"), Range::Between(lo, hi), limit, true).await?;
    Ok(Page { items: items.iter().filter_map(rel_from).collect(), next })
}

/// Users following `uid` (their relation to `uid`), one Query page.
pub async fn fans(db: &Db, uid: UserId, after: Option<&str>, limit: Option<usize>) -> AppResult<Page<Relation>> {
    let range = match cursor_sk(after)? {
        Some(a) => Range::Between(format!("{a}$"), "~".into()),
        None => Range::All,
    };
    let (items, next) = query_index(db, GSI1, format!("FANS#{uid}"), range, limit, true).await?;
    Ok(Page { items: items.iter().filter_map(rel_from).collect(), next })
}

/// Friend requests received by `uid`, newest first, one Query page.
pub async fn requests(db: &Db, uid: UserId, before: Option<&str>, limit: Option<usize>) -> AppResult<Page<Request>> {
    let range = match cursor_sk(before)? {
        Some(b) => Range::Below(b),
        None => Range::All,
    };
    let (items, next) = query_index(db, GSI2, format!("NEWFRIENDS#{uid}"), range, limit, false).await?;
    Ok(Page { items: items.iter().filter_map(req_from).collect(), next })
}

/// After `uid` renamed or changed avatar: refresh the denormalised copy on the relations of
/// everyone who follows or befriended `uid` (Query GSI1 `FANS#<uid>` + one UpdateItem each;
/// blacklist-only relations keep the old name until their next change). Returns how many.
pub async fn refresh_profile(db: &Db, uid: UserId, nickname: &str, avatar: Option<&str>) -> AppResult<usize> {
    let (items, _) = query_index(db, GSI1, format!("FANS#{uid}"), Range::All, None, true).await?;
    let mut done = 0;
    for r in items.iter().filter_map(rel_from) {
        let mut u = db
            .client
            .update_item()
            .table_name(&db.table)
            .set_key(Some(Db::key(pk(r.owner), rel_sk(uid))))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":n", s(nickname))
            .expression_attribute_values(":one", n(1));
        // `ver` moves so a concurrent change (which rewrites the whole item) retries with the new name.
        u = match avatar {
            Some(a) => u
                .update_expression("SET toNickname = :n, toAvatar = :a ADD ver :one")
                .expression_attribute_values(":a", s(a)),
            None => u.update_expression("SET toNickname = :n REMOVE toAvatar ADD ver :one"),
        };
        match u.send().await {
            Ok(_) => done += 1,
            Err(e) if is_condition_failure(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(done)
}

/// Shiku-style `pageIndex`/`pageSize` on top of a cursor list: one Query of
/// (pageIndex+1)·pageSize items, the earlier pages dropped.
pub fn page_slice<T>(mut items: Vec<T>, page_index: usize, page_size: usize) -> Vec<T> {
    let start = (page_index * page_size).min(items.len());
    let mut rest = items.split_off(start);
    rest.truncate(page_size);
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(uid: i64, nick: &str) -> User {
        User {
            uid: UserId(uid),
            nickname: nick.into(),
            password_hash: String::new(),
            telephone: None,
            email: None,
            username: None,
            role: users::Role::User,
            profile: Default::default(),
            avatar: None,
            created_at: 0,
        }
    }

    fn pair() -> Pair {
        Pair {
            me: user(1, "A"),
            other: user(2, "B"),
            mine: None,
            theirs: None,
            req_to_me: None,
            req_to_them: None,
            other_verify: false,
            other_allows: true,
        }
    }

    fn apply(p: &mut Pair, e: Edit) {
        if let Some(x) = e.mine {
            p.mine = x;
        }
        if let Some(x) = e.theirs {
            p.theirs = x;
        }
        if let Some(x) = e.req_to_me {
            p.req_to_me = x;
        }
        if let Some(x) = e.req_to_them {
            p.req_to_them = x;
        }
    }

    fn flip(p: &Pair) -> Pair {
        Pair {
            me: p.other.clone(),
            other: p.me.clone(),
            mine: p.theirs.clone(),
            theirs: p.mine.clone(),
            req_to_me: p.req_to_them.clone(),
            req_to_them: p.req_to_me.clone(),
            other_verify: false,
            other_allows: true,
        }
    }

    #[test]
    fn follow_without_verification_makes_friends_and_is_idempotent() {
        let mut p = pair();
        let e = op_follow(&p, 5, "").unwrap();
        assert_eq!(e.outcome, Some(Outcome::Friends));
        assert_eq!(e.events[0].1, "added");
        apply(&mut p, e);
        assert_eq!(p.mine.as_ref().unwrap().status, FRIENDS);
        assert_eq!(p.theirs.as_ref().unwrap().status, FRIENDS);
        assert_eq!(p.theirs.as_ref().unwrap().to_nickname, "A");
        let again = op_follow(&p, 6, "").unwrap();
        assert_eq!(again.outcome, Some(Outcome::AlreadyFriends));
        assert!(again.mine.is_none() && again.theirs.is_none() && again.events.is_empty());
    }

    #[test]
    fn verification_creates_a_request_then_accept_makes_friends() {
        let mut p = pair();
        p.other_verify = true;
        let e = op_follow(&p, 5, "hi").unwrap();
        assert_eq!(e.outcome, Some(Outcome::Requested));
        apply(&mut p, e);
        assert_eq!(p.mine.as_ref().unwrap().status, FOLLOWING);
        assert!(p.theirs.is_none());
        assert_eq!(p.req_to_them.as_ref().unwrap().message, "hi");
        assert_eq!(op_follow(&p, 6, "hi").unwrap().outcome, Some(Outcome::AlreadyFollowing));
        // B accepts.
        let mut q = flip(&p);
        assert!(op_accept(&pair(), 7).is_err(), "nothing to accept");
        let e = op_accept(&q, 7).unwrap();
        assert_eq!(e.outcome, Some(Outcome::Friends));
        apply(&mut q, e);
        assert_eq!(q.mine.as_ref().unwrap().status, FRIENDS);
        assert_eq!(q.theirs.as_ref().unwrap().status, FRIENDS);
        assert_eq!(q.req_to_me.as_ref().unwrap().state, ReqState::Accepted);
    }

    #[test]
    fn follow_back_makes_friends_even_with_verification() {
        let mut p = pair();
        p.other_verify = true;
        p.theirs = Some(Relation { status: FOLLOWING, ..Relation::new(UserId(2), &user(1, "A"), 1) });
        assert_eq!(op_follow(&p, 5, "").unwrap().outcome, Some(Outcome::Friends));
    }

    #[test]
    fn blacklist_refuses_requests_and_survives_unfriend() {
        let mut p = pair();
        let e = op_follow(&p, 1, "").unwrap();
        apply(&mut p, e);
        let mut q = flip(&p);
        let e = op_block(&q, 2).unwrap();
        apply(&mut q, e);
        assert!(q.mine.as_ref().unwrap().blacklist);
        assert_eq!(q.mine.as_ref().unwrap().status, FRIENDS, "status kept for unblock");
        let p = flip(&q);
        match op_follow(&p, 3, "") {
            Err(AppError::Refused { code, .. }) => assert_eq!(code, REFUSED_BLOCKED),
            other => panic!("{other:?}"),
        }
        let mut q = flip(&p);
        let e = op_unfriend(&q, 4).unwrap();
        apply(&mut q, e);
        assert!(q.mine.as_ref().unwrap().blacklist, "still blocked");
        assert!(q.theirs.is_none(), "other side deleted");
        let e = op_unblock(&q, 5).unwrap();
        apply(&mut q, e);
        assert!(q.mine.is_none(), "empty relation removed");
    }

    #[test]
    fn unfollow_of_a_friend_leaves_their_follow() {
        let mut p = pair();
        let e = op_follow(&p, 1, "").unwrap();
        apply(&mut p, e);
        let e = op_unfollow(&p, 2).unwrap();
        apply(&mut p, e);
        assert!(p.mine.is_none());
        assert_eq!(p.theirs.as_ref().unwrap().status, FOLLOWING);
        assert!(op_unfollow(&p, 3).is_err());
        assert!(op_patch(&p, 3, &Patch::default(), FOLLOWING).is_err(), "no relation to remark");
    }

    #[test]
    fn index_keys_follow_the_state() {
        let mut r = Relation::new(UserId(1), &user(2, "B"), 0);
        assert!(!rel_item(&r).contains_key("gsi1pk"));
        r.status = FRIENDS;
        let it = rel_item(&r);
        assert_eq!(it.str("gsi1pk"), Some("FANS#2"));
        assert_eq!(it.str("gsi2sk"), Some("2#000000000002"));
        r.blacklist = true;
        assert_eq!(rel_item(&r).str("gsi2sk"), Some("X#000000000002"));
        assert_eq!(rel_from(&rel_item(&r)).unwrap(), r);
        let (lo, _) = rel_range(ListKind::Friends, Some("2#000000000002"));
        assert!(lo.as_str() > "2#000000000002" && lo.as_str() < "2#000000000003");
        assert_eq!(page_slice(vec![1, 2, 3, 4, 5], 1, 2), vec![3, 4]);
        assert!(page_slice(vec![1, 2], 3, 2).is_empty());
    }
}
