//! Following inboxes: `FEEDIN#<uid>/<mid:016>` refs written by the stream fan-out
//! (functions/delivery), and the reader's seen mark `USER#<uid>/FEEDSEEN`.

use crate::domain::feed::{Post, INBOX_TTL_SECS};
use crate::error::AppResult;
use crate::ids::UserId;
use crate::store::keys::{feed_sort, feedin_pk, user_pk, FEEDBIG_PK, FEEDBIG_SK, FEEDSEEN_SK};
use crate::store::{n, s, Db, ItemExt};
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, Select, WriteRequest};

/// Authors pulled on read and the fan-out threshold (None: the default). One GetItem.
pub async fn bigs(db: &Db) -> AppResult<(Vec<UserId>, Option<usize>)> {
    let Some(it) = db.get(FEEDBIG_PK, FEEDBIG_SK).await? else { return Ok((vec![], None)) };
    let uids = it.strings("uids").iter().filter_map(|u| u.parse().ok()).map(UserId).collect();
    Ok((uids, it.i64("maxFanout").filter(|m| *m >= 0).map(|m| m as usize)))
}

/// Add `uid` to the authors pulled on read (idempotent `ADD` to a string set).
pub async fn add_big(db: &Db, uid: UserId) -> AppResult<()> {
    db.client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(FEEDBIG_PK, FEEDBIG_SK)))
        .update_expression("ADD uids :u")
        .expression_attribute_values(":u", AttributeValue::Ss(vec![uid.0.to_string()]))
        .send()
        .await?;
    Ok(())
}

/// One inbox ref per recipient: ⌈n/25⌉ BatchWriteItem. Retry-safe: a redelivered stream
/// record rewrites the same keys with the same values.
pub async fn fan_out(db: &Db, post: &Post, to: &[UserId]) -> AppResult<()> {
    let ttl = post.created_at / 1000 + INBOX_TTL_SECS;
    let requests = to
        .iter()
        .map(|u| {
            let mut it = Db::key(feedin_pk(*u), feed_sort(post.id));
            it.insert("mid".into(), n(post.id));
            it.insert("sender".into(), n(post.sender.0));
            if let Some(g) = &post.group_id {
                it.insert("gid".into(), s(g));
            }
            it.insert("ttl".into(), n(ttl));
            WriteRequest::builder().put_request(PutRequest::builder().set_item(Some(it)).build().expect("item")).build()
        })
        .collect();
    crate::store::batch_write(db, requests).await
}

/// Move the seen mark forward to `mid` (one conditional UpdateItem; never backwards).
pub async fn see(db: &Db, me: UserId, mid: i64) -> AppResult<()> {
    let r = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(user_pk(me), FEEDSEEN_SK)))
        .update_expression("SET seen = :m")
        .condition_expression("attribute_not_exists(seen) OR seen < :m")
        .expression_attribute_values(":m", n(mid))
        .send()
        .await;
    crate::store::applied(r)?;
    Ok(())
}

/// The newest following post seen (0: never). One GetItem.
pub async fn seen(db: &Db, me: UserId) -> AppResult<i64> {
    Ok(db.get(user_pk(me), FEEDSEEN_SK).await?.and_then(|it| it.i64("seen")).unwrap_or(0))
}

/// Inbox refs newer than `since` by others, counted up to `cap` (one Query, `Select COUNT`).
pub async fn unseen(db: &Db, me: UserId, since: i64, cap: i64, now_secs: i64) -> AppResult<i64> {
    let out = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression("pk = :p AND sk > :s")
        .filter_expression("(attribute_not_exists(#t) OR #t > :now) AND sender <> :me")
        .expression_attribute_names("#t", "ttl")
        .expression_attribute_values(":p", s(feedin_pk(me)))
        .expression_attribute_values(":s", s(feed_sort(since)))
        .expression_attribute_values(":now", n(now_secs))
        .expression_attribute_values(":me", n(me.0))
        .select(Select::Count)
        .limit(cap as i32)
        .send()
        .await?;
    Ok(i64::from(out.count).min(cap))
}
