//! Live WebSocket connections. CONN#<id> maps a connection to its user;
//! USER#<uid>/CONNS holds the set of that user's connection ids, so fan-out
//! to N members is ⌈N/100⌉ BatchGetItem calls, never a query per member.

use super::{n, Db, Item, ItemExt};
use crate::error::AppResult;
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use std::collections::HashMap;

/// API Gateway closes connections after 2 hours; keep records a little longer.
pub const CONN_TTL: i64 = 3 * 3600;

fn conn_pk(id: &str) -> String {
    format!("CONN#{id}")
}

fn presence_key(uid: UserId) -> Item {
    Db::key(super::users::pk(uid), "CONNS")
}

pub async fn connect(db: &Db, now_secs: i64, conn_id: &str, uid: UserId) -> AppResult<()> {
    let mut it = Db::key(conn_pk(conn_id), "CONN");
    it.insert("uid".into(), n(uid.0));
    it.insert("connectedAt".into(), n(now_secs));
    it.insert("ttl".into(), n(now_secs + CONN_TTL));
    let put = Put::builder()
        .table_name(&db.table)
        .set_item(Some(it))
        .build()
        .expect("set");
    let upd = Update::builder()
        .table_name(&db.table)
        .set_key(Some(presence_key(uid)))
        .update_expression("ADD c :c SET uid = :u")
        .expression_attribute_values(":c", AttributeValue::Ss(vec![conn_id.to_string()]))
        .expression_attribute_values(":u", n(uid.0))
        .build()
        .expect("set");
    db.client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().put(put).build())
        .transact_items(TransactWriteItem::builder().update(upd).build())
        .send()
        .await?;
    Ok(())
}

/// The user behind a connection, if the connection is known and not expired.
pub async fn user_of(db: &Db, now_secs: i64, conn_id: &str) -> AppResult<Option<UserId>> {
    let it = db.get(conn_pk(conn_id), "CONN").await?;
    Ok(it
        .filter(|it| !super::expired(it, now_secs))
        .and_then(|it| it.i64("uid"))
        .map(UserId))
}

/// Forget a connection (disconnect, or 410 Gone from `@connections`).
pub async fn remove(db: &Db, conn_id: &str, uid: UserId) -> AppResult<()> {
    let del = Delete::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(conn_pk(conn_id), "CONN")))
        .build()
        .expect("set");
    let upd = Update::builder()
        .table_name(&db.table)
        .set_key(Some(presence_key(uid)))
        .update_expression("DELETE c :c")
        .expression_attribute_values(":c", AttributeValue::Ss(vec![conn_id.to_string()]))
        .build()
        .expect("set");
    db.client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().delete(del).build())
        .transact_items(TransactWriteItem::builder().update(upd).build())
        .send()
        .await?;
    Ok(())
}

/// Connection ids of each user that has any (⌈users/100⌉ BatchGetItem calls).
pub async fn of_users(db: &Db, uids: &[UserId]) -> AppResult<HashMap<UserId, Vec<String>>> {
    let keys = uids.iter().map(|u| presence_key(*u)).collect();
    let items = super::batch_get(db, keys).await?;
    Ok(items
        .iter()
        .filter_map(|it| {
            let uid = UserId(it.i64("uid")?);
            let c = it.strings("c");
            (!c.is_empty()).then_some((uid, c))
        })
        .collect())
}

pub async fn is_online(db: &Db, uid: UserId) -> AppResult<bool> {
    Ok(db
        .get(super::users::pk(uid), "CONNS")
        .await?
        .is_some_and(|it| !it.strings("c").is_empty()))
}
