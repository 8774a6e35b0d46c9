//! Pending requests (Minxing `/api/v1/pendings/requests/{id}/approve|reject`). One kind so
//! far: a request to join a private group (a room with `isNeedVerify = 1`, store/rooms.rs).
//!
//! Item: `CONV#<cid>` / `JOINREQ#<uid>`, one per (room, user), in the room's partition so the
//! room's admins list them with one Query. `JOINREQ#` sorts before `MEMBER#`, `META` and `MSG#`,
//! so member, head and history Queries never read it. Attributes: `cid`, `uid`, `state`
//! (`pending` | `approved` | `rejected`), `at` (when it was asked, ms), `message`, `roomAt` (the
//! room's `createdAt`: a dismissed room leaves its requests behind, and a later room under the
//! same id must not honour them), `updatedAt`, `decidedBy`, and once decided `ttl` (30 days).
//!
//! The request id is `<cid>.<uid>.<at>` (conversation ids have no `.`): it decodes to the key,
//! so finding a request is one GetItem. Asking again after a decision replaces the item with a
//! newer `at`, so an older id is known to be decided (conflict) and a made-up one is unknown.
//! Every state change is a conditional write: one decision wins, the others see a conflict.

use super::conversations::{pk, valid_id};
use super::rooms::{ADMIN, OWNER};
use super::{applied, expired, n, s, Db, Item, ItemExt};
use crate::error::AppResult;
use crate::ids::UserId;

pub use crate::domain::join_requests::{parse_id, JoinRequest, APPROVED, MAX_MESSAGE, PENDING, REJECTED};
/// Decided requests are kept this long (then DynamoDB's TTL removes them).
pub const DECIDED_TTL_SECS: i64 = 30 * 86_400;

fn from_item(it: &Item) -> Option<JoinRequest> {
    if !it.str("sk")?.starts_with("JOINREQ#") {
        return None;
    }
    let at = it.i64("at")?;
    Some(JoinRequest {
        cid: it.str("cid")?.to_string(),
        uid: UserId(it.i64("uid")?),
        state: it.string("state"),
        at,
        message: it.string("message"),
        room_at: it.i64("roomAt").unwrap_or(0),
        updated_at: it.i64("updatedAt").unwrap_or(at),
        decided_by: it.i64("decidedBy").map(UserId),
    })
}

fn sk(uid: UserId) -> String {
    format!("JOINREQ#{uid}")
}

/// The current request of `uid` for room `cid` (one consistent GetItem); expired ones are absent.
pub async fn current(db: &Db, now_ms: i64, cid: &str, uid: UserId) -> AppResult<Option<JoinRequest>> {
    if !valid_id(cid) {
        return Ok(None);
    }
    let it = db.get(pk(cid), sk(uid)).await?;
    Ok(it.filter(|it| !expired(it, now_ms / 1000)).as_ref().and_then(from_item))
}

/// Ask to join room `cid` (created at `room_at`): a new pending request, unless one is already
/// pending (then that one, `false`). One conditional PutItem (+ one GetItem for a duplicate).
pub async fn ask(
    db: &Db,
    now_ms: i64,
    cid: &str,
    room_at: i64,
    uid: UserId,
    message: &str,
) -> AppResult<(JoinRequest, bool)> {
    let mut it = Db::key(pk(cid), sk(uid));
    it.insert("cid".into(), s(cid));
    it.insert("uid".into(), n(uid.0));
    it.insert("state".into(), s(PENDING));
    it.insert("at".into(), n(now_ms));
    it.insert("message".into(), s(message));
    it.insert("roomAt".into(), n(room_at));
    it.insert("updatedAt".into(), n(now_ms));
    // A lost race (the pending one was decided between the two calls) is retried.
    for _ in 0..3 {
        let r = db
            .client
            .put_item()
            .table_name(&db.table)
            .set_item(Some(it.clone()))
            // A pending request for this room (not for an earlier room with the same id) stays.
            .condition_expression("attribute_not_exists(pk) OR #st <> :p OR roomAt <> :ra OR #ttl <= :now")
            .expression_attribute_names("#st", "state")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":p", s(PENDING))
            .expression_attribute_values(":ra", n(room_at))
            .expression_attribute_values(":now", n(now_ms / 1000))
            .send()
            .await;
        if applied(r)? {
            return Ok((from_item(&it).expect("item just built"), true));
        }
        if let Some(existing) = current(db, now_ms, cid, uid).await?.filter(|r| r.is_pending()) {
            return Ok((existing, false));
        }
    }
    Err(crate::error::AppError::Conflict("the request changed meanwhile, try again".into()))
}

/// Decide a pending request (`approved` or `rejected`): one UpdateItem conditioned on it still
/// being this pending request. Ok(false): decided meanwhile, or asked again since.
pub async fn decide(db: &Db, now_ms: i64, req: &JoinRequest, state: &str, by: UserId) -> AppResult<bool> {
    let r = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(&req.cid), sk(req.uid))))
        .update_expression("SET #st = :s, decidedBy = :by, updatedAt = :now, #ttl = :ttl")
        .condition_expression("#st = :p AND #at = :at")
        .expression_attribute_names("#st", "state")
        .expression_attribute_names("#at", "at")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":s", s(state))
        .expression_attribute_values(":p", s(PENDING))
        .expression_attribute_values(":at", n(req.at))
        .expression_attribute_values(":by", n(by.0))
        .expression_attribute_values(":now", n(now_ms))
        .expression_attribute_values(":ttl", n(now_ms / 1000 + DECIDED_TTL_SECS))
        .send()
        .await;
    applied(r)
}

/// Undo an approval whose join failed (room full or gone): back to pending, only if it is still
/// the approval `by` made. Best effort for the caller: Ok(false) when it changed meanwhile.
pub async fn reopen(db: &Db, req: &JoinRequest, by: UserId) -> AppResult<bool> {
    let r = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(&req.cid), sk(req.uid))))
        .update_expression("SET #st = :p, updatedAt = :u REMOVE decidedBy, #ttl")
        .condition_expression("#st = :a AND #at = :at AND decidedBy = :by")
        .expression_attribute_names("#st", "state")
        .expression_attribute_names("#at", "at")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":p", s(PENDING))
        .expression_attribute_values(":a", s(APPROVED))
        .expression_attribute_values(":at", n(req.at))
        .expression_attribute_values(":by", n(by.0))
        .expression_attribute_values(":u", n(req.updated_at))
        .send()
        .await;
    applied(r)
}

/// Pending requests of room `cid` (created at `room_at`), oldest first: one consistent Query
/// over `JOINREQ#` (one item per user who ever asked and was not yet forgotten), pending only.
pub async fn pending(db: &Db, cid: &str, room_at: i64) -> AppResult<Vec<JoinRequest>> {
    if !valid_id(cid) {
        return Ok(vec![]);
    }
    let out = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression("pk = :p AND begins_with(sk, :r)")
        .filter_expression("#st = :s AND roomAt = :ra")
        .expression_attribute_names("#st", "state")
        .expression_attribute_values(":p", s(pk(cid)))
        .expression_attribute_values(":r", s("JOINREQ#"))
        .expression_attribute_values(":s", s(PENDING))
        .expression_attribute_values(":ra", n(room_at))
        .consistent_read(true)
        .into_paginator()
        .items()
        .send();
    let mut list = vec![];
    let mut pages = out;
    while let Some(it) = pages.next().await {
        if let Some(r) = from_item(&it?) {
            list.push(r);
        }
    }
    list.sort_by_key(|r| (r.at, r.uid));
    Ok(list)
}

/// Who decides requests of room `cid`: its owner and admins. One Query over the `MEMBER#`
/// items, filtered on the role and projected to `uid` (only those items cross the wire).
pub async fn approvers(db: &Db, cid: &str) -> AppResult<Vec<UserId>> {
    if !valid_id(cid) {
        return Ok(vec![]);
    }
    let out = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression("pk = :p AND begins_with(sk, :m)")
        .filter_expression("#r IN (:o, :a)")
        .projection_expression("uid")
        .expression_attribute_names("#r", "role")
        .expression_attribute_values(":p", s(pk(cid)))
        .expression_attribute_values(":m", s("MEMBER#"))
        .expression_attribute_values(":o", s(OWNER))
        .expression_attribute_values(":a", s(ADMIN))
        .into_paginator()
        .items()
        .send();
    let mut uids = vec![];
    let mut pages = out;
    while let Some(it) = pages.next().await {
        if let Some(u) = it?.i64("uid") {
            uids.push(UserId(u));
        }
    }
    Ok(uids)
}
