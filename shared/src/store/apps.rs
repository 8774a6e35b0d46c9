//! Xuanxuan third-party apps (XXAPP#<code>): the key that signs their requests.

use super::{s, Db, ItemExt};
use crate::error::AppResult;

pub async fn key(db: &Db, code: &str) -> AppResult<Option<String>> {
    if code.is_empty() || code.len() > 64 {
        return Ok(None);
    }
    Ok(db.get(format!("XXAPP#{code}"), "APP").await?.and_then(|it| it.str("key").map(str::to_string)))
}

pub async fn put(db: &Db, code: &str, key: &str, name: &str) -> AppResult<()> {
    let mut it = Db::key(format!("XXAPP#{code}"), "APP");
    it.insert("key".into(), s(key));
    it.insert("name".into(), s(name));
    db.client.put_item().table_name(&db.table).set_item(Some(it)).send().await?;
    Ok(())
}
