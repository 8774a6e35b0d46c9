//! Shiku `/nearby/user` and `/nearby/newUser`. Other users are placed and measured at their
//! coarse point (docs/dialects.md "Privacy", services::nearby).

use crate::shiku::{filters, page, user_json};
use serde_json::{json, Value};
use shared::domain::geo::Point;
use shared::http::Call;
use shared::privacy::Seen;
use shared::services::nearby;
use shared::services::profiles::{self, check};
use shared::{AppError, AppResult, Reply, UserId};

/// People around a point: the 9 geohash cells around it (9 parallel Queries),
/// one BatchGetItem of their profiles, then filters, nearest first, and the page.
pub async fn nearby(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let p = &c.params;
    let lat = p.f64("latitude")?.ok_or_else(|| AppError::missing("latitude"))?;
    let lng = p.f64("longitude")?.ok_or_else(|| AppError::missing("longitude"))?;
    let here = Point::new(lat, lng)?;
    let f = filters(c)?;
    let (skip, size) = page(c)?;
    let active = p.i64("active")?.filter(|a| *a > 0);
    let only = match p.str("userId")? {
        Some(v) => Some(UserId::parse("userId", &v)?),
        None => None,
    };
    let nick = check::nickname("nickname", p.str("nickname")?, check::NICKNAME_MAX)?.map(|n| n.to_lowercase());
    let (now, seen) = (c.ctx.now_secs(), Seen::own_only(me));
    let mut out = vec![];
    for (v, d) in nearby::around(c.ctx, me, here, only, active).await? {
        if !f.keep(&v) || nick.as_ref().is_some_and(|n| !v.user.nickname.to_lowercase().contains(n.as_str())) {
            continue;
        }
        let mut o = user_json(&v, &seen, now);
        o["distance"] = json!(d.round() as i64);
        out.push(o);
    }
    let page: Vec<Value> = out.into_iter().skip(skip).take(size).collect();
    Ok(Reply::data(Value::Array(page)))
}

/// Newest accounts first: one Query of GSI1 `USERS` descending
/// (`pageIndex` × `pageSize` ≤ 1000 items read), or after `userId` as a cursor.
pub async fn new_users(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let (skip, size) = page(c)?;
    let cursor = match c.params.str("userId")? {
        Some(v) => Some(UserId::parse("userId", &v)?),
        None => None,
    };
    let skip = if cursor.is_some() { 0 } else { skip };
    let (views, _) = profiles::newest(c.ctx, cursor, (skip + size).min(1000) as i32).await?;
    let (now, seen) = (c.ctx.now_secs(), Seen::own_only(me));
    Ok(Reply::data(Value::Array(views.iter().skip(skip).map(|v| user_json(v, &seen, now)).collect())))
}
