//! Large uploads: a presigned PUT reserves `FILE#<fid>/PENDING` (the record to be, `ttl` when
//! the PUT URL expires); completion turns it into `FILE#<fid>/META` in one transaction.

use super::{from_item_at, item, valid_id};
use crate::domain::files::FileRecord;
use crate::error::{AppError, AppResult};
use crate::store::keys::{file_pk, FILE_PENDING_SK, FILE_SK};
use crate::store::{failed_conditions, n, s, Db, Item};
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};

/// Reserve `f.id` until `ttl` (epoch s). One PutItem.
pub async fn put_pending(db: &Db, f: &FileRecord, ttl: i64) -> AppResult<()> {
    let mut it: Item = item(f).into_iter().filter(|(k, _)| !k.starts_with("gsi")).collect();
    it.insert("sk".into(), s(FILE_PENDING_SK));
    it.insert("ttl".into(), n(ttl));
    db.client
        .put_item()
        .table_name(&db.table)
        .set_item(Some(it))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await?;
    Ok(())
}

/// A live reservation (None: unknown, completed or expired). One GetItem.
pub async fn get_pending(db: &Db, fid: &str, now_s: i64) -> AppResult<Option<FileRecord>> {
    if !valid_id(fid) {
        return Ok(None);
    }
    let Some(mut it) = db.get(file_pk(fid), FILE_PENDING_SK).await? else { return Ok(None) };
    it.insert("sk".into(), s(FILE_SK));
    let mut f = from_item_at(&it, now_s);
    if let Some(f) = f.as_mut() {
        f.ttl = None;
    }
    Ok(f)
}

/// Complete: delete the reservation and create the record, in one TransactWriteItems; false
/// when the reservation is gone (completed by a concurrent call).
pub async fn complete(db: &Db, f: &FileRecord) -> AppResult<bool> {
    let del = Delete::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(file_pk(&f.id), FILE_PENDING_SK)))
        .condition_expression("attribute_exists(pk)")
        .build()
        .map_err(AppError::internal)?;
    let put = Put::builder()
        .table_name(&db.table)
        .set_item(Some(item(f)))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(AppError::internal)?;
    let r = db
        .client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().delete(del).build())
        .transact_items(TransactWriteItem::builder().put(put).build())
        .send()
        .await;
    match r {
        Ok(_) => Ok(true),
        Err(e) => match failed_conditions(&e) {
            Some(f) if !f.is_empty() => Ok(false),
            _ => Err(e.into()),
        },
    }
}
