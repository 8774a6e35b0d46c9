//! SealTalk JSON views and codes of relations, in the original server's shapes: friendship
//! status 10 requesting, 11 requested, 20 friends, 21 ignored; ids as strings; `updatedAt`
//! ISO 8601.

use super::iso;
use crate::domain::relations::{Outcome, Relation, ReqState, Request, FRIENDS};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use serde_json::{json, Value};

pub const REQUESTING: i64 = 10;
pub const REQUESTED: i64 = 11;
pub const AGREED: i64 = 20;
pub const IGNORED: i64 = 21;

/// One row of `friendship/all` before the user view is added.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub uid: UserId,
    pub status: i64,
    pub display_name: String,
    pub message: String,
    pub updated: i64,
}

/// Friends (20), users I follow / requested (10) and requests I received (11 pending,
/// 21 ignored; a request from a friend is not shown, a request replaces a follow row). A friend
/// whose request I accepted keeps its message, as the original's row does.
pub fn friendship_rows(following: &[Relation], received: &[Request]) -> Vec<Row> {
    let mut rows: Vec<Row> = following
        .iter()
        .map(|r| Row {
            uid: r.other,
            status: if r.status == FRIENDS { AGREED } else { REQUESTING },
            display_name: r.remark.clone(),
            message: String::new(),
            updated: r.modify_time,
        })
        .collect();
    for q in received {
        let status = match q.state {
            ReqState::Pending => REQUESTED,
            ReqState::Ignored => IGNORED,
            ReqState::Accepted => {
                if let Some(r) = rows.iter_mut().find(|r| r.uid == q.from && r.status == AGREED) {
                    r.message = q.message.clone();
                }
                continue;
            }
        };
        if rows.iter().any(|r| r.uid == q.from && r.status == AGREED) {
            continue;
        }
        rows.retain(|r| r.uid != q.from);
        rows.push(Row {
            uid: q.from,
            status,
            display_name: String::new(),
            message: q.message.clone(),
            updated: q.modify_time,
        });
    }
    rows
}

/// A `friendship/all` entry with its `user` view.
pub fn friendship_json(row: &Row, user: Value) -> Value {
    json!({
        "displayName": row.display_name,
        "message": row.message,
        "status": row.status,
        "updatedAt": iso(row.updated),
        "user": user,
    })
}

/// `{id, nickname, portraitUri, updatedAt, user: {id, nickname, portraitUri}}`.
pub fn blacklist_json(r: &Relation) -> Value {
    let portrait = r.to_avatar.clone().unwrap_or_default();
    json!({
        "id": r.other.to_string(),
        "nickname": r.to_nickname,
        "portraitUri": portrait,
        "updatedAt": iso(r.modify_time),
        "user": {"id": r.other.to_string(), "nickname": r.to_nickname, "portraitUri": portrait},
    })
}

/// `friendship/invite`: (`result.action`, message) as the original (friendship.coffee:58-237):
/// "Added" (friends now), "Sent" (request waits for `agree`), "None" (nothing done: a request
/// still inside its re-send window). Already friends → 400 "User <id> is already your friend."
pub fn invite_action(o: Outcome, friend: UserId) -> AppResult<(&'static str, &'static str)> {
    match o {
        Outcome::Friends => Ok(ADDED),
        Outcome::Requested => Ok(("Sent", "Request sent.")),
        Outcome::AlreadyFriends => Err(AppError::invalid("friendId", format!("User {friend} is already your friend."))),
        _ => Ok(NOTHING),
    }
}

/// The invite answer "Added" (also inviting yourself, which the original answers so).
pub const ADDED: (&str, &str) = ("Added", "Friend added.");
/// The invite answer "None" (also when the friend has blacklisted the caller: not revealed).
pub const NOTHING: (&str, &str) = ("None", "Do nothing.");
