//! Live WebSocket connections. CONN#<id> maps a connection to its user;
//! USER#<uid>/CONNS holds the set of that user's connection ids, so fan-out
//! to N users is ⌈N/100⌉ BatchGetItem calls, never a query per user. Group
//! members also carry their connection ids on the member item (store/live.rs),
//! so a group message needs only its member Query.

use super::{n, Db, Item, ItemExt};
use crate::error::AppResult;
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};

/// API Gateway closes connections after 2 hours; keep records a little longer.
pub const CONN_TTL: i64 = 3 * 3600;

use super::keys::{conn_pk, online_counter_shard as online_key};
pub use super::live::{of_users, of_users_consistent};

fn presence_key(uid: UserId) -> Item {
    super::live::presence_key(uid)
}

/// Record a new connection of `uid` with no token attached (fixtures); `$connect` uses
/// [`connect_session`].
pub async fn connect(db: &Db, now_secs: i64, conn_id: &str, uid: UserId) -> AppResult<()> {
    connect_session(db, now_secs, conn_id, uid, None).await
}

/// Record a new connection of `uid` opened with the token whose hash is `token_hash`
/// (`tok`: revoking that token closes the connection, shared::auth::close_sockets).
/// `TokenInvalid` when that token is gone (a logout racing this connect): the check is in
/// the connection's transaction, so either the logout deleted the token first and nothing is
/// written, or the record exists before the logout reads the user's connections and closes
/// them. Calls: the transaction, then the online counter and the stamped rooms together.
pub async fn connect_session(
    db: &Db,
    now_secs: i64,
    conn_id: &str,
    uid: UserId,
    token_hash: Option<&str>,
) -> AppResult<()> {
    let mut it = Db::key(conn_pk(conn_id), "CONN");
    it.insert("uid".into(), n(uid.0));
    if let Some(h) = token_hash {
        it.insert("tok".into(), super::s(h));
    }
    it.insert("connectedAt".into(), n(now_secs));
    it.insert("ttl".into(), n(now_secs + CONN_TTL));
    let put = Put::builder().table_name(&db.table).set_item(Some(it)).build().expect("set");
    let upd = Update::builder()
        .table_name(&db.table)
        .set_key(Some(presence_key(uid)))
        // A new connection ends an "appear offline" state set with `set_state`.
        .update_expression("ADD c :c SET uid = :u REMOVE onlineState")
        .expression_attribute_values(":c", AttributeValue::Ss(vec![conn_id.to_string()]))
        .expression_attribute_values(":u", n(uid.0))
        .build()
        .expect("set");
    let mut tx = db
        .client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().put(put).build())
        .transact_items(TransactWriteItem::builder().update(upd).build());
    if let Some(h) = token_hash {
        tx = tx.transact_items(
            TransactWriteItem::builder().condition_check(super::tokens::live_check(db, now_secs, h)).build(),
        );
    }
    match tx.send().await {
        Ok(_) => {}
        Err(e) if super::failed_conditions(&e).is_some_and(|f| !f.is_empty()) => {
            return Err(crate::error::AppError::TokenInvalid)
        }
        Err(e) => return Err(e.into()),
    }
    // Group fan-out reads connections from the member items (store/live.rs).
    let (_, rooms) = tokio::join!(count_online(db, conn_id, 1), super::live::set_on_groups(db, uid, conn_id, true));
    rooms?;
    Ok(())
}

/// `COUNTER/online#<shard>`: live connections, +1 after a connect, -1 after a connection
/// record is actually deleted (so a double remove does not count twice). Outside the
/// connection's transaction and sharded by connection id: one counter item in every
/// connect's transaction made a reconnect storm's transactions cancel each other
/// (TransactionConflict) until they timed out (bench `storm`). Best effort: a failure is
/// logged. Connections that expire by TTL without a `$disconnect` are not subtracted.
async fn count_online(db: &Db, conn_id: &str, delta: i64) {
    let (pk, sk) = online_key(conn_id);
    let r = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk, sk)))
        .update_expression("ADD v :d")
        .expression_attribute_values(":d", n(delta))
        .send()
        .await;
    if let Err(e) = r {
        tracing::warn!(delta, error = %crate::error::AppError::from(e), "online counter not moved");
    }
}

/// The user behind a connection, if the connection is known and not expired.
pub async fn user_of(db: &Db, now_secs: i64, conn_id: &str) -> AppResult<Option<UserId>> {
    let it = db.get(conn_pk(conn_id), "CONN").await?;
    Ok(it.filter(|it| !super::expired(it, now_secs)).and_then(|it| it.i64("uid")).map(UserId))
}

/// Per-connection limit on a kind of frame (`typing`, `read`): at most `max` per fixed window of
/// `window_secs`. One conditional UpdateItem on a counter item in the connection's partition
/// (`CONN#<id>` / `RL#<kind>#<window start>`, TTL a minute after the window, store/limits.rs
/// `hit_window`). True when this frame is within the limit.
pub async fn frame_allowed(
    db: &Db,
    now_secs: i64,
    conn_id: &str,
    kind: &str,
    max: i64,
    window_secs: i64,
) -> AppResult<bool> {
    let rule = super::limits::Rule { max, window: window_secs };
    super::limits::hit_window(db, conn_pk(conn_id), &format!("RL#{kind}"), now_secs, rule, 60).await
}

/// Live connections of `uid` with the hash of the token each was opened with (None for
/// records older than that attribute): one consistent GetItem of the presence item, then
/// one consistent BatchGetItem of the connection records when there are any.
pub async fn of_user_with_tokens(db: &Db, now_secs: i64, uid: UserId) -> AppResult<Vec<(String, Option<String>)>> {
    let ids = db.get(super::keys::presence(uid).0, "CONNS").await?.map(|it| it.strings("c")).unwrap_or_default();
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let keys = ids.iter().map(|id| Db::key(conn_pk(id), "CONN")).collect();
    let items = super::batch_get_consistent(db, keys).await?;
    Ok(items
        .iter()
        .filter(|it| !super::expired(it, now_secs) && it.i64("uid") == Some(uid.0))
        .filter_map(|it| {
            let id = it.str("pk")?.strip_prefix("CONN#")?.to_string();
            Some((id, it.str("tok").map(str::to_string)))
        })
        .collect())
}

/// A connection younger than this (s) may still be inside its `$connect`: API Gateway answers
/// 410 Gone to posts until `$connect` returns, so such a 410 does not remove it.
pub const CONNECT_GRACE_SECS: i64 = 10;

/// After a 410 Gone from `@connections`: [`remove`] the connection, unless it is younger than
/// [`CONNECT_GRACE_SECS`]. One GetItem first. True when it was removed.
pub async fn remove_gone(db: &Db, now_secs: i64, conn_id: &str, uid: UserId) -> AppResult<bool> {
    let connected = db.get(conn_pk(conn_id), "CONN").await?.and_then(|it| it.i64("connectedAt"));
    if connected.is_some_and(|t| t > now_secs - CONNECT_GRACE_SECS) {
        return Ok(false);
    }
    remove(db, conn_id, uid).await?;
    Ok(true)
}

/// Forget a connection (disconnect, or 410 Gone from `@connections`): its record, the
/// presence set and every group member item of the user.
pub async fn remove(db: &Db, conn_id: &str, uid: UserId) -> AppResult<()> {
    let counted = forget(db, conn_id, uid).await?;
    let count = async {
        if counted {
            count_online(db, conn_id, -1).await;
        }
    };
    let (_, rooms) = tokio::join!(count, super::live::set_on_groups(db, uid, conn_id, false));
    rooms?;
    Ok(())
}

/// Delete the record and take the id out of the presence set. True when this call deleted
/// the record (so the online counter moves once per connection).
async fn forget(db: &Db, conn_id: &str, uid: UserId) -> AppResult<bool> {
    let del = |cond: bool| {
        let d = Delete::builder().table_name(&db.table).set_key(Some(Db::key(conn_pk(conn_id), "CONN")));
        let d = if cond { d.condition_expression("attribute_exists(pk)") } else { d };
        d.build().expect("set")
    };
    let upd = Update::builder()
        .table_name(&db.table)
        .set_key(Some(presence_key(uid)))
        .update_expression("DELETE c :c")
        .expression_attribute_values(":c", AttributeValue::Ss(vec![conn_id.to_string()]))
        .build()
        .expect("set");
    let counted = db
        .client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().delete(del(true)).build())
        .transact_items(TransactWriteItem::builder().update(upd.clone()).build())
        .send()
        .await;
    match counted {
        Ok(_) => Ok(true),
        // Already removed (a racing disconnect): clean the set, leave the counter alone.
        Err(e) if super::is_condition_failure(&e) => {
            db.client
                .transact_write_items()
                .transact_items(TransactWriteItem::builder().delete(del(false)).build())
                .transact_items(TransactWriteItem::builder().update(upd).build())
                .send()
                .await?;
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Load-test fixture (benchmarks): one connection per user, written like [`connect`]
/// (CONN item + presence set) but with BatchWriteItem, 25 items per call, and
/// without touching the online counter.
pub async fn load_fixture(db: &Db, now_secs: i64, conns: &[(String, UserId)]) -> AppResult<()> {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    let mut requests = vec![];
    for (conn_id, uid) in conns {
        let mut c = Db::key(conn_pk(conn_id), "CONN");
        c.insert("uid".into(), n(uid.0));
        c.insert("connectedAt".into(), n(now_secs));
        c.insert("ttl".into(), n(now_secs + CONN_TTL));
        let mut p = presence_key(*uid);
        p.insert("c".into(), AttributeValue::Ss(vec![conn_id.clone()]));
        p.insert("uid".into(), n(uid.0));
        for it in [c, p] {
            let put = PutRequest::builder().set_item(Some(it)).build().expect("item set");
            requests.push(WriteRequest::builder().put_request(put).build());
        }
    }
    for chunk in requests.chunks(25) {
        let mut pending = chunk.to_vec();
        for attempt in 0.. {
            let out = db.client.batch_write_item().request_items(&db.table, pending).send().await?;
            pending = out.unprocessed_items.and_then(|mut u| u.remove(&db.table)).unwrap_or_default();
            if pending.is_empty() {
                break;
            }
            if attempt > 8 {
                return Err(crate::AppError::internal("batch write kept throttling"));
            }
            tokio::time::sleep(std::time::Duration::from_millis(20 << attempt.min(5))).await;
        }
    }
    Ok(())
}

/// Online = a live connection and not "appear offline" (Shiku `/tigase/OnlineState` 0).
pub async fn is_online(db: &Db, uid: UserId) -> AppResult<bool> {
    Ok(db
        .get(super::keys::presence(uid).0, "CONNS")
        .await?
        .is_some_and(|it| !it.strings("c").is_empty() && it.i64("onlineState") != Some(0)))
}

/// Shiku `/tigase/OnlineState`: 0 appear offline, 1 online (attribute on the presence item;
/// cleared by the next connect). One UpdateItem.
pub async fn set_state(db: &Db, uid: UserId, state: i64) -> AppResult<()> {
    db.client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(presence_key(uid)))
        .update_expression("SET uid = :u, onlineState = :s")
        .expression_attribute_values(":u", n(uid.0))
        .expression_attribute_values(":s", n(state))
        .send()
        .await?;
    Ok(())
}
