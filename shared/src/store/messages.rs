//! Storing and finding messages (docs/data-model.md "message", "message id").
//!
//! - The seq comes from one atomic `ADD` on META (senders never contend, whatever the group
//!   size); the message and its id item follow in one transaction. A send whose write fails
//!   gives its seq back unless a later send took one ([`store_claimed`]), so `lastSeq − readSeq`
//!   never keeps counting a message that does not exist.
//! - Message ids are unique in the whole table: `MID#<id>` / `MID` (conversation, seq, sender)
//!   is claimed before the transaction (client ids) or written in it (server ids), so a route
//!   that gets only an id (Shiku getMessage, deleteMsg) finds the one message it names, and
//!   nobody can shadow someone else's message by reusing its id in another conversation.

use super::conversations::{
    member_from, member_sk, message_from, msg_sk, pk, put, Member, Message, NewMessage, REFUSED_ALL_MUTED,
};
use super::{applied, n, s, Db, Item, ItemExt};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

pub use crate::domain::chat::valid_mid;

fn preview(m: &NewMessage) -> String {
    match m.kind {
        1 => m.content.chars().take(64).collect(),
        2 => "[image]".into(),
        3 => "[voice]".into(),
        4 => "[location]".into(),
        6 => "[video]".into(),
        9 => "[file]".into(),
        _ => m.content.chars().take(64).collect(),
    }
}

fn mid_key(mid: &str) -> Item {
    Db::key(super::keys::mid_pk(mid), "MID")
}

/// What a send checks before writing, read in one consistent BatchGetItem: META, the
/// sender's MEMBER item (`member`), and for 1:1 the `peer`'s relation to the sender.
/// None when the conversation (or the sender's membership, when asked for) does not exist.
pub struct SendContext {
    /// The room's "mute all" until this time (META `talkTime`, epoch seconds; 0 = none).
    pub room_talk_time: i64,
    /// The sender as a member (None for service sends).
    pub sender: Option<Member>,
    /// The peer of a 1:1 chat blacklisted the sender.
    pub blocked: bool,
    /// A 1:1 chat with this public account (META `ocu`).
    pub ocu: Option<UserId>,
}

/// One consistent BatchGetItem: META, the sender's MEMBER item when `member`, the `peer`'s
/// relation item to the sender when given.
pub async fn send_context(
    db: &Db,
    cid: &str,
    sender: UserId,
    member: bool,
    peer: Option<UserId>,
) -> AppResult<Option<SendContext>> {
    let mut keys = vec![Db::key(pk(cid), "META")];
    if member {
        keys.push(Db::key(pk(cid), member_sk(sender)));
    }
    if let Some(p) = peer {
        keys.push(super::relations::key(p, sender));
    }
    let items = super::batch_get_consistent(db, keys).await?;
    let sk = |it: &Item| it.string("sk");
    let Some(meta) = items.iter().find(|it| sk(it) == "META") else {
        return Ok(None);
    };
    let sender = match member {
        true => match items.iter().filter(|it| sk(it).starts_with("MEMBER#")).find_map(member_from) {
            Some(m) => Some(m),
            None => return Ok(None),
        },
        false => None,
    };
    let blocked = items.iter().any(|it| sk(it).starts_with("REL#") && it.bool("blacklist") == Some(true));
    Ok(Some(SendContext {
        room_talk_time: meta.i64("talkTime").unwrap_or(0),
        sender,
        blocked,
        ocu: meta.i64("ocu").map(UserId),
    }))
}

/// Take the next seq (one atomic `ADD` on META: no contention between senders, whatever the
/// group size), then write the message and its id item in one transaction. If that write
/// fails, the seq is given back when nobody took a later one (META restored from the values
/// the `ADD` returned), so no failed send leaves a trailing seq without its message (which
/// `lastSeq − readSeq` would count as unread). A gap between two stored messages is never
/// counted: reading the later one moves `readSeq` past it.
pub async fn store_claimed(
    db: &Db,
    now: i64,
    cid: &str,
    m: &NewMessage,
    check_mute_all: bool,
    claim: Option<&str>,
    to_account: bool,
) -> AppResult<Message> {
    let now_secs = now / 1000;
    let mut cond = "attribute_exists(pk)".to_string();
    if check_mute_all {
        cond.push_str(" AND (attribute_not_exists(talkTime) OR talkTime <= :now)");
    }
    let mut update = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), "META")))
        .update_expression(if to_account {
            // A user wrote to the public account of this 1:1 chat: it may answer (/mp/msg/send).
            "ADD lastSeq :one SET lastTs = :t, lastPreview = :p, lastSender = :s, ocuIn = :one"
        } else {
            "ADD lastSeq :one SET lastTs = :t, lastPreview = :p, lastSender = :s"
        })
        .condition_expression(cond)
        .expression_attribute_values(":one", n(1));
    for (_, name, v) in last_message_values(now, m) {
        update = update.expression_attribute_values(name, v);
    }
    let mut update = update
        // All old attributes: `ocu` tells a 1:1 chat with a public account (inbox index below).
        .return_values(ReturnValue::AllOld);
    if check_mute_all {
        update = update.expression_attribute_values(":now", n(now_secs));
    }
    let old = match update.send().await {
        Ok(o) => o.attributes.unwrap_or_default(),
        Err(e) if super::is_condition_failure(&e) => {
            let meta = db.get(pk(cid), "META").await?;
            return Err(match meta {
                Some(meta) if check_mute_all && meta.i64("talkTime").unwrap_or(0) > now_secs => {
                    AppError::Refused { code: REFUSED_ALL_MUTED, message: "the room is muted".into() }
                }
                _ => AppError::not_found(format!("conversation {cid}")),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let seq = old.i64("lastSeq").unwrap_or(0) + 1;
    let mid = m.client_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let mut it = message_item(cid, seq, &mid, m, now);
    // To a public account from someone else: its /mp inbox (store/ocus.rs), no extra call.
    if let Some(ocu) = old.i64("ocu").map(UserId).filter(|o| *o != m.sender) {
        it.insert("gsi1pk".into(), s(super::keys::mpin_gsi1pk(ocu)));
        it.insert("gsi1sk".into(), s(super::keys::mpin_gsi1sk(now, cid, seq)));
    }
    let id_item = match claim {
        Some(token) => {
            let settle = Update::builder()
                .table_name(&db.table)
                .set_key(Some(mid_key(&mid)))
                .update_expression("SET seq = :seq REMOVE claim, claimedAt")
                .condition_expression("claim = :tok")
                .expression_attribute_values(":seq", n(seq))
                .expression_attribute_values(":tok", s(token))
                .build()
                .expect("key, expressions set");
            TransactWriteItem::builder().update(settle).build()
        }
        None => put(db, mid_item(&mid, cid, seq, m.sender), Some("attribute_not_exists(pk)")),
    };
    let writes = vec![put(db, it.clone(), Some("attribute_not_exists(pk)")), id_item];
    let err = match db.client.transact_write_items().set_transact_items(Some(writes)).send().await {
        Ok(_) => return Ok(message_from(&it).expect("item just built")),
        // The seq's key is taken (by hand), or the claim was taken over after its lease.
        Err(e) if super::is_condition_failure(&e) => {
            AppError::Conflict("the message changed meanwhile, try again".into())
        }
        Err(e) => e.into(),
    };
    give_back_seq(db, cid, seq, &old).await;
    Err(err)
}

/// A MSG item as a send stores it, marked `ev` for the delivery function (stream filter in
/// the template).
pub(crate) fn message_item(cid: &str, seq: i64, mid: &str, m: &NewMessage, now: i64) -> Item {
    let mut it = Db::key(pk(cid), msg_sk(seq));
    it.insert("cid".into(), s(cid));
    it.insert("seq".into(), n(seq));
    it.insert("mid".into(), s(mid));
    it.insert("sender".into(), n(m.sender.0));
    it.insert("type".into(), n(m.kind));
    it.insert("content".into(), s(&m.content));
    it.insert("ts".into(), n(now));
    if let Some(o) = &m.object_name {
        it.insert("objectName".into(), s(o));
    }
    it.insert("ev".into(), s("message"));
    it
}

/// A settled message id item: `MID#<mid>` / `MID` naming its conversation, seq and sender.
pub(crate) fn mid_item(mid: &str, cid: &str, seq: i64, sender: UserId) -> Item {
    let mut id = mid_key(mid);
    id.insert("cid".into(), s(cid));
    id.insert("seq".into(), n(seq));
    id.insert("sender".into(), n(sender.0));
    id
}

/// META's last-message summary after `m` as (attribute, expression placeholder, value):
/// `lastTs` `:t`, `lastPreview` `:p`, `lastSender` `:s`.
pub(crate) fn last_message_values(now: i64, m: &NewMessage) -> [(&'static str, &'static str, AttributeValue); 3] {
    [("lastTs", ":t", n(now)), ("lastPreview", ":p", s(preview(m))), ("lastSender", ":s", n(m.sender.0))]
}

/// Undo a seq whose message was not written, unless a later send took the next one:
/// META's `lastSeq` and last-message summary as they were before (one conditional UpdateItem).
async fn give_back_seq(db: &Db, cid: &str, seq: i64, old: &Item) {
    let mut sets = vec!["lastSeq = :prev".to_string()];
    let mut removes = vec![];
    let mut u = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk(cid), "META")))
        .condition_expression("lastSeq = :seq")
        .expression_attribute_values(":seq", n(seq))
        .expression_attribute_values(":prev", n(seq - 1));
    for (attr, value) in [("lastTs", ":t"), ("lastPreview", ":p"), ("lastSender", ":s")] {
        match old.get(attr) {
            Some(v) => {
                sets.push(format!("{attr} = {value}"));
                u = u.expression_attribute_values(value, v.clone());
            }
            None => removes.push(attr),
        }
    }
    let mut expr = format!("SET {}", sets.join(", "));
    if !removes.is_empty() {
        expr.push_str(&format!(" REMOVE {}", removes.join(", ")));
    }
    if let Err(e) = applied(u.update_expression(expr).send().await) {
        tracing::warn!(cid, seq, error = %e, "could not give back the seq of a failed send");
    }
}

/// How long a client-id claim may stay without its message before a resend takes it over
/// (its sender died between claiming and storing).
const CLAIM_LEASE_MS: i64 = 10_000;

pub enum Claimed {
    /// This request owns the client id (the claim token settles or releases it).
    Mine(String),
    /// An earlier send stored it: answer with that message.
    Stored(Message),
}

/// Claim `client_id` for this conversation and sender (one conditional Put when new). The id
/// used by someone else, or in another conversation, is a conflict. A racing send of the same
/// id waits, briefly, for the winner's message and answers with it.
pub async fn claim_client_id(db: &Db, now: i64, cid: &str, client_id: &str, sender: UserId) -> AppResult<Claimed> {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let mut wait_ms = 5;
    for _ in 0..12 {
        let mut c = mid_key(client_id);
        c.insert("cid".into(), s(cid));
        c.insert("sender".into(), n(sender.0));
        c.insert("claim".into(), s(&token));
        c.insert("claimedAt".into(), n(now));
        let put = db
            .client
            .put_item()
            .table_name(&db.table)
            .set_item(Some(c))
            .condition_expression(
                "attribute_not_exists(pk) OR (attribute_not_exists(seq) AND sender = :u AND cid = :c AND claimedAt < :stale)",
            )
            .expression_attribute_values(":u", n(sender.0))
            .expression_attribute_values(":c", s(cid))
            .expression_attribute_values(":stale", n(now - CLAIM_LEASE_MS));
        // On a lost race the failure carries the existing claim (no extra GetItem).
        let existing = match put
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await
        {
            Ok(_) => return Ok(Claimed::Mine(token)),
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(f)) => match f.item() {
                    Some(old) => Some(old.clone()),
                    None => db.get(super::keys::mid_pk(client_id), "MID").await?,
                },
                _ => return Err(e.into()),
            },
        };
        if let Some(c) = existing {
            if c.i64("sender") != Some(sender.0) || c.str("cid") != Some(cid) {
                return Err(AppError::Conflict(format!("message id {client_id} is already used")));
            }
            if let Some(seq) = c.i64("seq") {
                let prev = db.get(pk(cid), msg_sk(seq)).await?.as_ref().and_then(message_from);
                return prev.map(Claimed::Stored).ok_or_else(|| AppError::internal("message of a settled client id"));
            }
            // Still being stored by a racing request.
            tokio::time::sleep(std::time::Duration::from_millis(wait_ms)).await;
            wait_ms = (wait_ms * 2).min(200);
        }
    }
    Err(AppError::Conflict(format!("message id {client_id} is being stored; retry")))
}

/// Give a claim back after a failed send, so the client's retry can store it.
pub async fn release_claim(db: &Db, client_id: &str, token: &str) {
    let r = db
        .client
        .delete_item()
        .table_name(&db.table)
        .set_key(Some(mid_key(client_id)))
        .condition_expression("claim = :tok")
        .expression_attribute_values(":tok", s(token))
        .send()
        .await;
    if let Err(e) = applied(r) {
        // The lease lets a later resend take it over anyway.
        tracing::warn!(error = %e, client_id, "could not release a client-id claim");
    }
}

/// Largest seq the 12-digit `MSG#` keys hold.
const MAX_SEQ: i64 = 999_999_999_999;

/// One page of history: newest first below `before` (exclusive), or oldest
/// first above `after` (exclusive, for sync). One Query per page.
pub async fn history(
    db: &Db,
    cid: &str,
    before: Option<i64>,
    after: Option<i64>,
    limit: i32,
) -> AppResult<Vec<Message>> {
    // Seqs are 1..=MAX_SEQ: bounds outside give nothing (and never an inverted key range).
    match (after, before) {
        (Some(a), _) if a >= MAX_SEQ => return Ok(vec![]),
        (None, Some(b)) if b <= 1 => return Ok(vec![]),
        _ => {}
    }
    let (cond, forward, bound) = match (after, before) {
        (Some(a), _) => ("pk = :p AND sk BETWEEN :b AND :hi", true, msg_sk(a.max(0) + 1)),
        (None, Some(b)) => ("pk = :p AND sk BETWEEN :lo AND :b", false, msg_sk(b.min(MAX_SEQ + 1) - 1)),
        (None, None) => ("pk = :p AND sk BETWEEN :lo AND :b", false, msg_sk(MAX_SEQ)),
    };
    let mut q = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression(cond)
        .expression_attribute_values(":p", s(pk(cid)))
        .expression_attribute_values(":b", s(bound))
        .scan_index_forward(forward)
        .limit(limit.clamp(1, 500));
    q = match after {
        None => q.expression_attribute_values(":lo", s(msg_sk(0))),
        // Only MSG# keys, whatever sorts after them.
        Some(_) => q.expression_attribute_values(":hi", s(msg_sk(MAX_SEQ))),
    };
    let out = q.send().await?;
    Ok(out.items().iter().filter_map(message_from).collect())
}

/// A message by its id (Shiku `getMessage`): the id item, then the message (2 GetItem).
pub async fn by_id(db: &Db, mid: &str) -> AppResult<Option<Message>> {
    Ok(by_ids(db, &[mid.to_string()]).await?.into_iter().next())
}

/// Messages by id (one consistent BatchGetItem of the id items, one of the messages; 100
/// ids per call). Unknown ids (or ids still being stored) are left out.
pub async fn by_ids(db: &Db, mids: &[String]) -> AppResult<Vec<Message>> {
    let keys: Vec<Item> = mids.iter().filter(|m| valid_mid(m)).map(|m| mid_key(m)).collect();
    if keys.is_empty() {
        return Ok(vec![]);
    }
    let ids = super::batch_get_consistent(db, keys).await?;
    let keys: Vec<Item> =
        ids.iter().filter_map(|it| Some(Db::key(pk(it.str("cid")?), msg_sk(it.i64("seq")?)))).collect();
    if keys.is_empty() {
        return Ok(vec![]);
    }
    let mut msgs: Vec<Message> = super::batch_get_consistent(db, keys).await?.iter().filter_map(message_from).collect();
    msgs.sort_by_key(|m| mids.iter().position(|x| *x == m.id));
    Ok(msgs)
}
