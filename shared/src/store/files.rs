//! Uploaded files: FILE#<id>/META records pointing at S3 objects; GSI1
//! `UFILES#<uid>` lists a user's uploads newest first.

use super::{n, s, Db, Item, ItemExt};
use crate::error::AppResult;
use crate::ids::UserId;

pub use crate::domain::files::FileRecord;

pub fn from_item(it: &Item) -> Option<FileRecord> {
    Some(FileRecord {
        id: it.str("pk")?.strip_prefix("FILE#")?.to_string(),
        name: it.string("name"),
        content_type: it.string("contentType"),
        size: it.i64("size").unwrap_or(0),
        s3_key: it.string("s3key"),
        owner: UserId(it.i64("owner")?),
        created_at: it.i64("createdAt").unwrap_or(0),
    })
}

pub async fn put(db: &Db, f: &FileRecord) -> AppResult<()> {
    let mut it = Db::key(format!("FILE#{}", f.id), "META");
    it.insert("name".into(), s(&f.name));
    it.insert("contentType".into(), s(&f.content_type));
    it.insert("size".into(), n(f.size));
    it.insert("s3key".into(), s(&f.s3_key));
    it.insert("owner".into(), n(f.owner.0));
    it.insert("createdAt".into(), n(f.created_at));
    it.insert("gsi1pk".into(), s(format!("UFILES#{}", f.owner)));
    it.insert("gsi1sk".into(), s(format!("{:015}#{}", f.created_at, f.id)));
    db.client
        .put_item()
        .table_name(&db.table)
        .set_item(Some(it))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await?;
    Ok(())
}

pub async fn get(db: &Db, id: &str) -> AppResult<Option<FileRecord>> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    Ok(db.get(format!("FILE#{id}"), "META").await?.as_ref().and_then(from_item))
}
