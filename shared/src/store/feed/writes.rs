//! Feed writes: a post (one TransactWriteItems), likes and bookmarks (one TransactWriteItems:
//! the marker and the counter together, so repeats never drift), deletions.

use super::{post_item, replies_text};
use crate::domain::feed::{Mark, Post, ReplySummary, LAST_REPLIES};
use crate::error::AppResult;
use crate::ids::UserId;
use crate::store::keys::{
    bookmark_sk, conv_pk, feed_client_sk, feed_pk, feed_reply_sk, feed_sort, friend_event_key, like_sk, likes_gsi1pk,
    member_sk, user_pk, FEEDNET_GSI2PK, FEED_META_SK, FEED_NET_SK, FEED_REPLY_PREFIX,
};
use crate::store::{failed_conditions, n, s, Db, Item, ItemExt};
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, DeleteRequest, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
    Update, WriteRequest,
};
use serde_json::Value;

/// Client id claims are kept a week (a resend after that makes a new post).
const CLIENT_ID_TTL_SECS: i64 = 7 * 86_400;
/// Live events (the `{"event":"feed"}` frames) expire after a day, as every EVENT# item.
const EVENT_TTL_SECS: i64 = 86_400;

fn put(db: &Db, it: Item, cond: Option<&str>) -> TransactWriteItem {
    let mut p = Put::builder().table_name(&db.table).set_item(Some(it));
    if let Some(c) = cond {
        p = p
            .condition_expression(c)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
    }
    TransactWriteItem::builder().put(p.build().expect("table and item set")).build()
}

/// A live event for `to` (`EVENT#<to>`, `ev = user`: delivery posts `frame` to their sockets).
fn event_item(now_ms: i64, to: UserId, frame: &Value) -> Item {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (pk, sk) = friend_event_key(to, now_ms, &id);
    let mut it = Db::key(pk, sk);
    it.insert("ev".into(), s("user"));
    it.insert("evTo".into(), n(to.0));
    it.insert("frame".into(), s(frame.to_string()));
    it.insert("ttl".into(), n(now_ms / 1000 + EVENT_TTL_SECS));
    it
}

/// A reply: the starter's counter and `lastReplies` move in the post's transaction,
/// conditioned on the reply count read (a concurrent reply makes the caller re-read).
#[derive(Debug, Clone)]
pub struct RootUpdate {
    pub root: i64,
    pub old_replies: i64,
    pub last: Vec<ReplySummary>,
}

/// Everything a post writes.
pub struct NewPost<'a> {
    pub post: &'a Post,
    pub client_id: Option<&'a str>,
    pub root: Option<RootUpdate>,
    /// A `{"event":"feed"}` frame for the author of the post replied to.
    pub event: Option<(UserId, Value)>,
    pub now_ms: i64,
}

#[derive(Debug, PartialEq)]
pub enum Created {
    Done,
    /// The id was taken (the same ms and random bits): try another.
    IdTaken,
    /// The client id was used before: the post it made.
    Duplicate(i64),
    /// The thread changed (another reply) or is gone: read it again.
    RootChanged,
}

/// Write a post in one TransactWriteItems: META (`attribute_not_exists`), the client id
/// claim, the `NET` ref (network-visible starters) or the reply's ref and the starter's
/// counter, and the event for the author replied to.
pub async fn create(db: &Db, np: &NewPost<'_>) -> AppResult<Created> {
    let p = np.post;
    let mut items = vec![put(db, post_item(p), Some("attribute_not_exists(pk)"))];
    let mut claim_at = None;
    if let Some(cid) = np.client_id {
        let mut it = Db::key(user_pk(p.sender), feed_client_sk(cid));
        it.insert("mid".into(), n(p.id));
        it.insert("ttl".into(), n(np.now_ms / 1000 + CLIENT_ID_TTL_SECS));
        claim_at = Some(items.len());
        items.push(put(db, it, Some("attribute_not_exists(pk)")));
    }
    let mut root_at = None;
    if p.is_starter() {
        if p.network_visible() {
            let mut it = Db::key(feed_pk(p.id), FEED_NET_SK);
            it.insert("mid".into(), n(p.id));
            it.insert("sender".into(), n(p.sender.0));
            if let Some(g) = &p.group_id {
                it.insert("gid".into(), s(g));
            }
            it.insert("gsi2pk".into(), s(FEEDNET_GSI2PK));
            it.insert("gsi2sk".into(), s(feed_sort(p.id)));
            items.push(put(db, it, None));
        }
    } else if let Some(r) = &np.root {
        let mut it = Db::key(feed_pk(r.root), feed_reply_sk(p.id));
        it.insert("mid".into(), n(p.id));
        it.insert("sender".into(), n(p.sender.0));
        it.insert("body".into(), s(&p.body));
        it.insert("createdAt".into(), n(p.created_at));
        items.push(put(db, it, None));
        let cond = if r.old_replies == 0 {
            "attribute_exists(pk) AND (attribute_not_exists(replies) OR replies = :old)"
        } else {
            "attribute_exists(pk) AND replies = :old"
        };
        let u = Update::builder()
            .table_name(&db.table)
            .set_key(Some(Db::key(feed_pk(r.root), FEED_META_SK)))
            .update_expression("SET lastReplies = :lr ADD replies :one")
            .condition_expression(cond)
            .expression_attribute_values(":lr", s(replies_text(&r.last)))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":old", n(r.old_replies))
            .build()
            .expect("update set");
        root_at = Some(items.len());
        items.push(TransactWriteItem::builder().update(u).build());
    }
    if let Some((to, frame)) = &np.event {
        items.push(put(db, event_item(np.now_ms, *to, frame), None));
    }
    let res = db.client.transact_write_items().set_transact_items(Some(items)).send().await;
    let Err(e) = res else { return Ok(Created::Done) };
    let Some(failed) = failed_conditions(&e) else { return Err(e.into()) };
    if let Some((_, old)) = failed.iter().find(|(i, _)| Some(*i) == claim_at) {
        if let Some(mid) = old.as_ref().and_then(|o| o.i64("mid")) {
            return Ok(Created::Duplicate(mid));
        }
    }
    if failed.iter().any(|(i, _)| Some(*i) == root_at) {
        return Ok(Created::RootChanged);
    }
    if failed.iter().any(|(i, _)| *i == 0) {
        return Ok(Created::IdTaken);
    }
    Err(e.into())
}

/// Who may mark a post, checked inside the marking transaction (no read of the room).
#[derive(Debug, Clone, PartialEq)]
pub enum Guard {
    /// Not in a group: anyone.
    None,
    /// A private room: the caller's MEMBER item exists.
    Member(String),
    /// A public room: its META exists with `isNeedVerify` 0 (or absent).
    Public(String),
}

#[derive(Debug, PartialEq)]
pub enum Marked {
    Done,
    /// The marker was already there (on) or already gone (off): nothing changed.
    Already,
    /// The post is gone.
    Gone,
    /// The guard failed: the caller must check the room as it is now.
    GuardFailed,
}

/// One like/bookmark change by `me` (`on`: put, else take back).
#[derive(Clone, Copy)]
pub struct Marking<'a> {
    pub me: UserId,
    pub post: &'a Post,
    pub mark: Mark,
    pub on: bool,
    pub now_ms: i64,
}

/// Like/bookmark (`on`) or take it back: one TransactWriteItems — the marker (conditional),
/// `likes ADD ±1` on the post (likes) or a check that the post exists (bookmarks), the
/// room guard, and the author's event (likes). Repeats change nothing.
pub async fn mark(db: &Db, m: &Marking<'_>, guard: &Guard, event: Option<&Value>) -> AppResult<Marked> {
    let Marking { me, post, mark, on, now_ms } = *m;
    let sk = match mark {
        Mark::Like => like_sk(post.id),
        Mark::Bookmark => bookmark_sk(post.id),
    };
    let mut items = vec![];
    if on {
        let mut it = Db::key(user_pk(me), sk);
        it.insert("mid".into(), n(post.id));
        it.insert("at".into(), n(now_ms));
        if let Some(g) = &post.group_id {
            it.insert("gid".into(), s(g));
        }
        if mark == Mark::Like {
            it.insert("gsi1pk".into(), s(likes_gsi1pk(post.id)));
            it.insert("gsi1sk".into(), s(format!("{:012}", me.0)));
        }
        items.push(put(db, it, Some("attribute_not_exists(pk)")));
    } else {
        let d = Delete::builder()
            .table_name(&db.table)
            .set_key(Some(Db::key(user_pk(me), sk)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .expect("delete set");
        items.push(TransactWriteItem::builder().delete(d).build());
    }
    let post_key = Db::key(feed_pk(post.id), FEED_META_SK);
    items.push(match mark {
        Mark::Like => TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name(&db.table)
                    .set_key(Some(post_key))
                    .update_expression("ADD likes :d")
                    .condition_expression("attribute_exists(pk)")
                    .expression_attribute_values(":d", n(if on { 1 } else { -1 }))
                    .build()
                    .expect("update set"),
            )
            .build(),
        Mark::Bookmark => check(db, post_key, "attribute_exists(pk)", None),
    });
    let guard_at = items.len();
    match guard {
        Guard::None => {}
        Guard::Member(g) => items.push(check(db, Db::key(conv_pk(g), member_sk(me)), "attribute_exists(pk)", None)),
        Guard::Public(g) => items.push(check(
            db,
            Db::key(conv_pk(g), "META"),
            "attribute_exists(pk) AND (attribute_not_exists(isNeedVerify) OR isNeedVerify = :z)",
            Some((":z", n(0))),
        )),
    }
    if let Some(frame) = event.filter(|_| on && post.sender != me) {
        items.push(put(db, event_item(now_ms, post.sender, frame), None));
    }
    let Err(e) = db.client.transact_write_items().set_transact_items(Some(items)).send().await else {
        return Ok(Marked::Done);
    };
    let Some(failed) = failed_conditions(&e) else { return Err(e.into()) };
    let failed: Vec<usize> = failed.into_iter().map(|(i, _)| i).collect();
    Ok(if failed.contains(&1) {
        Marked::Gone
    } else if *guard != Guard::None && failed.contains(&guard_at) {
        Marked::GuardFailed
    } else {
        Marked::Already
    })
}

fn check(db: &Db, key: Item, cond: &str, value: Option<(&str, AttributeValue)>) -> TransactWriteItem {
    let mut c = ConditionCheck::builder().table_name(&db.table).set_key(Some(key)).condition_expression(cond);
    if let Some((k, v)) = value {
        c = c.expression_attribute_values(k, v);
    }
    TransactWriteItem::builder().condition_check(c.build().expect("check set")).build()
}

/// Delete a thread: its starter, the `NET` ref, every reply ref and every reply's META
/// (one Query of the thread partition, then ⌈n/25⌉ BatchWriteItem). Others' like and
/// bookmark markers and inbox refs stay: reads skip posts that are gone.
pub async fn delete_thread(db: &Db, root: i64) -> AppResult<usize> {
    let items = crate::store::query_all(db, None, feed_pk(root), None, Some("pk, sk, mid")).await?;
    let mut keys: Vec<Item> = vec![];
    for it in &items {
        keys.push(Db::key(it.string("pk"), it.string("sk")));
        if it.str("sk").is_some_and(|k| k.starts_with(FEED_REPLY_PREFIX)) {
            if let Some(m) = it.i64("mid") {
                keys.push(Db::key(feed_pk(m), FEED_META_SK));
            }
        }
    }
    let count = keys.len();
    let requests = keys
        .into_iter()
        .map(|k| {
            WriteRequest::builder()
                .delete_request(DeleteRequest::builder().set_key(Some(k)).build().expect("key set"))
                .build()
        })
        .collect();
    crate::store::batch_write(db, requests).await?;
    Ok(count)
}

/// The newest replies of a thread, newest last (one Query of the reply refs, newest first),
/// leaving out `except`.
pub async fn last_replies(db: &Db, root: i64, except: i64) -> AppResult<Vec<ReplySummary>> {
    let out = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression("pk = :p AND begins_with(sk, :r)")
        .expression_attribute_values(":p", s(feed_pk(root)))
        .expression_attribute_values(":r", s(FEED_REPLY_PREFIX))
        .scan_index_forward(false)
        .limit((LAST_REPLIES + 1) as i32)
        .send()
        .await?;
    let mut last: Vec<ReplySummary> = out
        .items
        .unwrap_or_default()
        .iter()
        .filter_map(|it| {
            Some(ReplySummary {
                id: it.i64("mid")?,
                sender: UserId(it.i64("sender")?),
                body: it.string("body"),
                created_at: it.i64("createdAt").unwrap_or(0),
            })
        })
        .filter(|r| r.id != except)
        .take(LAST_REPLIES)
        .collect();
    last.reverse();
    Ok(last)
}

/// Delete one reply: its META, its ref, and the starter's count and `lastReplies` in one
/// TransactWriteItems. False: it was already gone.
pub async fn delete_reply(db: &Db, reply: &Post, last: &[ReplySummary]) -> AppResult<bool> {
    let del = |k: Item, cond: bool| {
        let d = Delete::builder().table_name(&db.table).set_key(Some(k));
        let d = if cond { d.condition_expression("attribute_exists(pk)") } else { d };
        TransactWriteItem::builder().delete(d.build().expect("delete set")).build()
    };
    let u = Update::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(feed_pk(reply.thread_id), FEED_META_SK)))
        .update_expression("SET lastReplies = :lr ADD replies :d")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":lr", s(replies_text(last)))
        .expression_attribute_values(":d", n(-1))
        .build()
        .expect("update set");
    let res = db
        .client
        .transact_write_items()
        .transact_items(del(Db::key(feed_pk(reply.id), FEED_META_SK), true))
        .transact_items(del(Db::key(feed_pk(reply.thread_id), feed_reply_sk(reply.id)), false))
        .transact_items(TransactWriteItem::builder().update(u).build())
        .send()
        .await;
    match res {
        Ok(_) => Ok(true),
        Err(e) if failed_conditions(&e).is_some() => Ok(false),
        Err(e) => Err(e.into()),
    }
}
