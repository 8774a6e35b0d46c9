//! Shiku JSON views and codes of relations: `Friends` records (`userId`, `toUserId`,
//! `toNickname`, `remarkName`, `status` 0/1/2, `blacklist` 0/1, times in seconds, …),
//! `NewFriends` records and `AddAttentionResult.type` 1–4 (docs/dialects.md).

use crate::domain::relations::{Outcome, Relation, ReqState, Request};
use crate::ids::UserId;
use serde_json::{json, Value};

/// `AddAttentionResult.type`: 1 request sent (following, waiting for verification),
/// 2 friends now, 3 already following / requested, 4 already friends; 0 anything else.
pub fn add_type(o: Outcome) -> i64 {
    match o {
        // A public account subscribed: following, which never turns into a friendship.
        Outcome::Requested | Outcome::Subscribed => 1,
        Outcome::Friends => 2,
        Outcome::AlreadyFollowing => 3,
        Outcome::AlreadyFriends => 4,
        Outcome::Done => 0,
    }
}

/// `type` of a `/friends/attention/batchAdd` entry that failed (the Shiku client's "follow failed").
pub const ADD_FAILED: i64 = 5;

pub fn friend_json(r: &Relation) -> Value {
    json!({
        "userId": r.owner.0,
        "toUserId": r.other.0,
        "toNickname": r.to_nickname,
        "remarkName": r.remark,
        "status": r.status.code(),
        "blacklist": i32::from(r.blacklist),
        "createTime": r.create_time / 1000,
        "modifyTime": r.modify_time / 1000,
        "offlineNoPushMsg": i32::from(r.offline_no_push_msg),
        "isOpenSnapchat": i32::from(r.is_open_snapchat),
        "openTopChatTime": if r.is_open_top_chat { r.modify_time / 1000 } else { 0 },
        "chatRecordTimeOut": r.chat_record_timeout,
        "companyId": 0,
        "lastTalkTime": 0,
        "msgNum": 0,
    })
}

/// A received friend request as a `NewFriends` record.
pub fn new_friend_json(r: &Request) -> Value {
    json!({
        "userId": r.to.0,
        "toUserId": r.from.0,
        "toNickname": r.from_nickname,
        "content": r.message,
        "message": r.message,
        // 1 = received (Shiku's direction of a NewFriends record)
        "direction": 1,
        // XMPP types of the Shiku client: 500 say-hello (pending), 501 passed, 502 feedback/ignored
        "type": match r.state {
            ReqState::Pending => 500,
            ReqState::Accepted => 501,
            ReqState::Ignored => 502,
        },
        "status": r.state.code(),
        "createTime": r.time / 1000,
        "modifyTime": r.modify_time / 1000,
    })
}

/// A fan of `me` (`r` is the fan's relation to me) with the fan's current nickname.
pub fn fan_json(me: UserId, r: &Relation, nickname: Option<&str>) -> Value {
    json!({
        "userId": me.0,
        "toUserId": r.owner.0,
        "toNickname": nickname.unwrap_or_default(),
        "status": r.status.code(),
        "createTime": r.create_time / 1000,
    })
}

/// The `keyword` filter of the friend lists: nickname or remark (case-insensitive), or the id.
pub fn matches(r: &Relation, keyword: &Option<String>) -> bool {
    match keyword {
        None => true,
        Some(k) => {
            let k = k.to_lowercase();
            r.to_nickname.to_lowercase().contains(&k)
                || r.remark.to_lowercase().contains(&k)
                || r.other.0.to_string() == k
        }
    }
}
