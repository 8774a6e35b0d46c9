//! Shiku `/nearby/user` and `/nearby/newUser`. Other users are placed and measured at their
//! coarse point (docs/dialects.md "Privacy").

use crate::shiku::{filters, page, user_json};
use crate::{check, View};
use serde_json::{json, Value};
use shared::http::Call;
use shared::privacy::Seen;
use shared::store::geo::{self, Point};
use shared::store::{profiles, Item};
use shared::{AppError, AppResult, Reply, UserId};

/// People around a point: the 9 geohash cells around it (9 parallel Queries),
/// one BatchGetItem of their profiles, then filters, nearest first, and the page.
/// Others are placed and measured at their coarse point (`Point::coarse`): the exact one
/// never leaves the server, whatever points the caller queries from.
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
    let mut near: Vec<(f64, geo::Located)> = geo::around(&c.ctx.db, here)
        .await?
        .into_iter()
        .filter(|l| l.uid != me && only.is_none_or(|u| u == l.uid))
        .filter(|l| active.is_none_or(|a| now - l.at <= a))
        .map(|l| (here.distance_m(&l.point.coarse()), l))
        .collect();
    near.sort_by(|a, b| a.0.total_cmp(&b.0));
    let uids: Vec<UserId> = near.iter().map(|(_, l)| l.uid).collect();
    let items: Vec<Item> = profiles::get_many(&c.ctx.db, &uids).await?;
    let mut out = vec![];
    for it in items {
        let v = View::of(c.ctx, it).await?;
        if !f.keep(&v) || nick.as_ref().is_some_and(|n| !v.user.nickname.to_lowercase().contains(n.as_str())) {
            continue;
        }
        let d = near.iter().find(|(_, l)| l.uid == v.user.uid).map(|(d, _)| *d).unwrap_or(0.0);
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
    let (items, _) = profiles::newest(&c.ctx.db, cursor, (skip + size).min(1000) as i32).await?;
    let views = View::many(c.ctx, items.into_iter().skip(skip).collect()).await?;
    let (now, seen) = (c.ctx.now_secs(), Seen::own_only(me));
    Ok(Reply::data(Value::Array(views.iter().map(|v| user_json(v, &seen, now)).collect())))
}
