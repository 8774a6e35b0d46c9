//! Shiku mass sends of a public account (shared::services::broadcasts; views
//! shared::dialects::shiku::broadcasts; decisions docs/dialects.md "Mass sends").

use serde_json::Value;
use shared::dialects::shiku::broadcasts::{sent_json, started_json};
use shared::domain::broadcasts::{Broadcast, LIST_MANY, LIST_SINGLE, MAX_ARTICLES};
use shared::http::Call;
use shared::services::broadcasts;
use shared::{AppError, AppResult, Reply};

/// Every value of a list parameter: repeated (`title=a&title=b`), `title[]=…`, or a JSON
/// array (`title=["a","b"]`); a plain single value is a list of one. Values are kept whole
/// (titles may hold commas).
fn strings(c: &Call<'_>, name: &str) -> AppResult<Vec<String>> {
    let bracket = format!("{name}[]");
    let raw = c.params.raw(name).filter(|v| !v.is_null()).or_else(|| c.params.raw(&bracket));
    let parsed;
    let v = match raw {
        None | Some(Value::Null) => return Ok(vec![]),
        Some(Value::String(s)) if s.trim_start().starts_with('[') => {
            parsed = serde_json::from_str::<Value>(s).map_err(|_| AppError::invalid(name, "malformed JSON list"))?;
            &parsed
        }
        Some(v) => v,
    };
    let one = |x: &Value| match x {
        Value::String(s) => Ok(s.clone()),
        _ => Err(AppError::invalid(name, "must be a list of strings")),
    };
    let out: Vec<String> = match v {
        Value::Array(a) => a.iter().map(one).collect::<AppResult<_>>()?,
        other => vec![one(other)?],
    };
    // A bound before any further work (at most 8 articles are accepted anyway).
    if out.len() > 4 * MAX_ARTICLES {
        return Err(AppError::invalid(name, format!("at most {MAX_ARTICLES} articles")));
    }
    Ok(out)
}

fn text(c: &Call<'_>, name: &str) -> AppResult<String> {
    c.params.str(name).map(Option::unwrap_or_default)
}

async fn start(c: &Call<'_>, me: shared::UserId, b: Broadcast) -> AppResult<Reply> {
    let job = broadcasts::start(c.ctx, me, &b).await?;
    Ok(Reply::data(started_json(&job)))
}

/// `/mp/textToAll`: `title` = the text.
pub async fn text_to_all(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let b = Broadcast::text(&text(c, "title")?)?;
    start(c, me, b).await
}

/// `/mp/pushToAll`: one article (`title, sub, img, url`).
pub async fn push_to_all(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let b = Broadcast::article(&text(c, "title")?, &text(c, "sub")?, &text(c, "img")?, &text(c, "url")?)?;
    start(c, me, b).await
}

/// `/mp/manyToAll`: 2–8 articles (`title[]`, `url[]`, `img[]`, optional `sub[]`).
pub async fn many_to_all(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let (t, s, i, u) = (strings(c, "title")?, strings(c, "sub")?, strings(c, "img")?, strings(c, "url")?);
    let b = Broadcast::articles(&t, &s, &i, &u)?;
    start(c, me, b).await
}

async fn list(c: &Call<'_>, which: &str) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let index = c.params.i64_in("pageIndex", 0, 99, 0)? as usize;
    let size = c.params.i64_in("pageSize", 1, 50, 10)? as usize;
    if (index + 1) * size > 1000 {
        return Err(AppError::invalid("pageIndex", "at most the newest 1000 sends are listed"));
    }
    let v = broadcasts::sent(c.ctx, me, which, index, size).await?;
    Ok(Reply::data(Value::Array(v.iter().map(sent_json).collect())))
}

/// `/mp/push`: past text and single-article sends, newest first.
pub async fn push_list(c: &Call<'_>) -> AppResult<Reply> {
    list(c, LIST_SINGLE).await
}

/// `/mp/many`: past multi-article sends, newest first.
pub async fn many_list(c: &Call<'_>) -> AppResult<Reply> {
    list(c, LIST_MANY).await
}
