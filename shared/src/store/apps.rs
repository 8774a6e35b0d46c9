//! Xuanxuan third-party apps: XXAPP#<code>/APP holds the key that signs their requests and
//! the app's limits; XXAPP#<code>/RATE#<minute start> counts its calls per minute (TTL 2 min).

use super::{n, s, Db, ItemExt};
use crate::error::{AppError, AppResult};

pub use crate::domain::apps::{App, DEFAULT_PER_MINUTE};

fn pk(code: &str) -> String {
    format!("XXAPP#{code}")
}

pub async fn get(db: &Db, code: &str) -> AppResult<Option<App>> {
    if code.is_empty() || code.len() > 64 {
        return Ok(None);
    }
    let Some(it) = db.get(pk(code), "APP").await? else {
        return Ok(None);
    };
    Ok(it.str("key").map(|key| App {
        code: code.to_string(),
        key: key.to_string(),
        name: it.string("name"),
        require_time: it.bool("requireTime").unwrap_or(false),
        per_minute: it.i64("perMinute").unwrap_or(DEFAULT_PER_MINUTE),
    }))
}

pub async fn put(db: &Db, app: &App) -> AppResult<()> {
    let mut it = Db::key(pk(&app.code), "APP");
    it.insert("key".into(), s(&app.key));
    it.insert("name".into(), s(&app.name));
    it.insert("requireTime".into(), aws_sdk_dynamodb::types::AttributeValue::Bool(app.require_time));
    it.insert("perMinute".into(), n(app.per_minute));
    db.client.put_item().table_name(&db.table).set_item(Some(it)).send().await?;
    Ok(())
}

/// Count one call in the app's current minute (`XXAPP#<code>` / `RATE#<minute start>`, one
/// conditional UpdateItem), refused with `RateLimited` once the minute holds `per_minute` calls.
pub async fn count_call(db: &Db, app: &App, now_secs: i64) -> AppResult<()> {
    let rule = super::limits::Rule { max: app.per_minute, window: 60 };
    if super::limits::hit_window(db, pk(&app.code), "RATE", now_secs, rule, 60).await? {
        Ok(())
    } else {
        Err(AppError::RateLimited(format!("app {} is limited to {} calls per minute", app.code, app.per_minute)))
    }
}
