//! Emoji and collection favourites: USER#<uid>/FAV#<type>#<id>. The id starts
//! with the creation time, so one type's favourites Query newest first; the id
//! ends with the type (`<ts:013><rand:6>-<type>`), so a delete by id needs no lookup.
//! Only the owner's partition is ever read or written: nobody reaches another
//! user's favourites by id.

use super::{n, s, Db, Item, ItemExt};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;

pub use crate::domain::favorites::{new_id, parse_id, Favorite, EMOJI, TYPES};

use super::keys::favorite_sk as sk;

fn from_item(it: &Item) -> Option<Favorite> {
    let sk = it.str("sk")?;
    let mut parts = sk.splitn(3, '#');
    let (_, kind, id) = (parts.next()?, parts.next()?, parts.next()?);
    Some(Favorite {
        id: id.to_string(),
        owner: UserId(it.i64("uid")?),
        kind: kind.parse().ok()?,
        url: it.str("url").map(str::to_string),
        msg: it.str("msg").map(str::to_string),
        msg_id: it.str("msgId").map(str::to_string),
        room_jid: it.str("roomJid").map(str::to_string),
        file_name: it.str("fileName").map(str::to_string),
        file_size: it.i64("fileSize"),
        created_at: it.i64("createdAt").unwrap_or(0),
    })
}

pub async fn add(db: &Db, f: &Favorite) -> AppResult<()> {
    let mut it = Db::key(super::keys::user_pk(f.owner), sk(f.kind, &f.id));
    it.insert("uid".into(), n(f.owner.0));
    it.insert("createdAt".into(), n(f.created_at));
    for (k, v) in
        [("url", &f.url), ("msg", &f.msg), ("msgId", &f.msg_id), ("roomJid", &f.room_jid), ("fileName", &f.file_name)]
    {
        if let Some(v) = v {
            it.insert(k.into(), s(v));
        }
    }
    if let Some(sz) = f.file_size {
        it.insert("fileSize".into(), n(sz));
    }
    db.client
        .put_item()
        .table_name(&db.table)
        .set_item(Some(it))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await?;
    Ok(())
}

/// A page of the owner's favourites of one type (or of all types), newest first:
/// one Query of at most `skip + limit` items, the first `skip` dropped.
pub async fn list(db: &Db, owner: UserId, kind: Option<i64>, skip: usize, limit: usize) -> AppResult<Vec<Favorite>> {
    let prefix = super::keys::favorites_prefix(kind);
    let out = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression("pk = :p AND begins_with(sk, :f)")
        .expression_attribute_values(":p", s(super::keys::user_pk(owner)))
        .expression_attribute_values(":f", s(prefix))
        .scan_index_forward(false)
        .limit((skip + limit).min(1000) as i32)
        .send()
        .await?;
    let mut v: Vec<Favorite> = out.items().iter().filter_map(from_item).collect();
    if kind.is_none() {
        // Across types the sort key orders by type first; order by time instead.
        v.sort_by(|a, b| b.id.cmp(&a.id));
    }
    Ok(v.into_iter().skip(skip).take(limit).collect())
}

/// Delete one of the owner's favourites; NotFound for malformed, unknown or
/// someone else's ids (they are not in the owner's partition).
pub async fn delete(db: &Db, owner: UserId, id: &str) -> AppResult<()> {
    let kind = parse_id(id).ok_or_else(|| AppError::not_found(format!("favourite {id}")))?;
    let r = db
        .client
        .delete_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(super::keys::user_pk(owner), sk(kind, id))))
        .condition_expression("attribute_exists(pk)")
        .send()
        .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
            Err(AppError::not_found(format!("favourite {id}")))
        }
        Err(e) => Err(e.into()),
    }
}

/// Delete several of the owner's favourites: all or none (one TransactWriteItems,
/// each delete conditional on the item existing in the owner's partition).
pub async fn delete_many(db: &Db, owner: UserId, ids: &[String]) -> AppResult<()> {
    use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
    let mut uniq: Vec<&String> = vec![];
    for id in ids {
        if !uniq.contains(&id) {
            uniq.push(id);
        }
    }
    if let [one] = uniq.as_slice() {
        return delete(db, owner, one).await;
    }
    let mut tx = db.client.transact_write_items();
    for id in &uniq {
        let kind = parse_id(id).ok_or_else(|| AppError::not_found(format!("favourite {id}")))?;
        let d = Delete::builder()
            .table_name(&db.table)
            .set_key(Some(Db::key(super::keys::user_pk(owner), sk(kind, id))))
            .condition_expression("attribute_exists(pk)")
            .build()
            .expect("set");
        tx = tx.transact_items(TransactWriteItem::builder().delete(d).build());
    }
    match tx.send().await {
        Ok(_) => Ok(()),
        Err(e) if super::is_condition_failure(&e) => Err(AppError::not_found("favourite")),
        Err(e) => Err(e.into()),
    }
}
