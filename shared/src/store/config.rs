//! Server configuration documents (CONFIG/<name>), each one JSON object read
//! with one GetItem and replaced whole by the operator.

use super::{n, s, Db, ItemExt};
use crate::error::AppResult;
use serde_json::Value;

/// Shiku `/config` fields (versions, URLs, limits).
pub const SHIKU: &str = "shiku";
/// SealTalk `/misc/demo_square` list (a JSON array of `{type: group|chatroom, id, name?}`).
pub const DEMO_SQUARE: &str = "demo_square";
/// Client version data served by Minxing update_info and SealTalk misc routes.
pub const VERSIONS: &str = "versions";

pub async fn get(db: &Db, name: &str) -> AppResult<Option<Value>> {
    let it = db.get("CONFIG", name).await?;
    Ok(it.and_then(|it| it.str("doc").and_then(|d| serde_json::from_str(d).ok())))
}

pub async fn put(db: &Db, name: &str, doc: &Value, now_ms: i64) -> AppResult<()> {
    let mut it = Db::key("CONFIG", name);
    it.insert("doc".into(), s(doc.to_string()));
    it.insert("modifiedAt".into(), n(now_ms));
    db.client.put_item().table_name(&db.table).set_item(Some(it)).send().await?;
    Ok(())
}

/// Write only if absent (first-start provisioning must not clobber operator edits).
pub async fn put_if_absent(db: &Db, name: &str, doc: &Value, now_ms: i64) -> AppResult<bool> {
    let mut it = Db::key("CONFIG", name);
    it.insert("doc".into(), s(doc.to_string()));
    it.insert("modifiedAt".into(), n(now_ms));
    let r = db
        .client
        .put_item()
        .table_name(&db.table)
        .set_item(Some(it))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    match r {
        Ok(_) => Ok(true),
        Err(e) if super::is_condition_failure(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
