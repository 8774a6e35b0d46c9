//! Counters the dashboards read (`COUNTER/*`, keys.rs): live connections, accounts ever
//! created, live rooms and messages delivered per UTC day. The day counter is bumped by the
//! delivery worker once per stream batch (not on the send path), so a send costs no extra
//! write. The rooms counter is moved AFTER a room's creation or dismissal commits, outside
//! its transaction: a shared item in every creation transaction would make concurrent
//! creations cancel each other (TransactionConflict); the price is a count that a crash
//! between the two writes leaves off by one.

use super::keys::{messages_day_counter, online_counter, online_counter_shards, rooms_counter, user_counter};
use super::{n, Db, ItemExt};
use crate::error::AppResult;

/// The dashboard counters at one read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Live WebSocket connections (never above `accounts`).
    pub online: i64,
    /// Accounts ever created.
    pub accounts: i64,
    /// Messages delivered on the day asked for.
    pub messages: i64,
    /// Live rooms (groups of every dialect).
    pub rooms: i64,
}

/// One BatchGetItem of the counters (absent = 0; 20 keys: the online shards summed).
pub async fn counts(db: &Db, day: &str) -> AppResult<Counts> {
    let (online, accounts, messages, rooms) =
        (online_counter(), user_counter(), messages_day_counter(day), rooms_counter());
    let mut keys = vec![
        Db::key(online.0, online.1),
        Db::key(accounts.0, accounts.1),
        Db::key(messages.0, &messages.1),
        Db::key(rooms.0, rooms.1),
    ];
    keys.extend(online_counter_shards().into_iter().map(|(pk, sk)| Db::key(pk, sk)));
    let mut c = Counts::default();
    for it in super::batch_get(db, keys).await? {
        let v = it.i64("v").unwrap_or(0);
        match it.str("sk") {
            // The unsharded item of older deployments and every shard.
            Some(sk) if sk == online.1 || sk.starts_with("online#") => c.online += v,
            Some(sk) if sk == accounts.1 => c.accounts = v,
            Some(sk) if sk == messages.1 => c.messages = v,
            Some(sk) if sk == rooms.1 => c.rooms = v,
            _ => {}
        }
    }
    // Connections that expired without a `$disconnect` are never subtracted: clamp.
    c.online = c.online.clamp(0, c.accounts.max(0));
    c.rooms = c.rooms.max(0);
    Ok(c)
}

/// Add `count` messages to `day`'s counter (one UpdateItem).
pub async fn add_messages(db: &Db, day: &str, count: i64) -> AppResult<()> {
    let (pk, sk) = messages_day_counter(day);
    db.client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk, sk)))
        .update_expression("ADD v :d")
        .expression_attribute_values(":d", n(count))
        .send()
        .await?;
    Ok(())
}

/// Move the live-rooms counter by `delta` after a creation (+1) or dismissal (-1) committed.
/// Best effort: a failure is logged, never undoes nor fails the change (a retried request
/// would make a second room).
pub async fn add_rooms(db: &Db, delta: i64) {
    let (pk, sk) = rooms_counter();
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
        tracing::warn!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(&e), delta, "rooms counter not moved");
    }
}
