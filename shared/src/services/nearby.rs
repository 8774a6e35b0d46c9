//! People nearby: others are placed and measured at their coarse point (`Point::coarse`), so
//! the exact one never leaves the server, whatever points the caller queries from.

use super::profiles::{cards, Card};
use crate::domain::geo::Point;
use crate::error::AppResult;
use crate::ids::UserId;
use crate::store::{geo, profiles};
use crate::Ctx;

/// People located around `here` (the 9 geohash cells around it: 9 parallel Queries), but not
/// me; only `only` when given; only those located within `active_secs` when given. Their
/// profiles in one BatchGetItem, nearest first, each with its distance in metres.
pub async fn around(
    ctx: &Ctx,
    me: UserId,
    here: Point,
    only: Option<UserId>,
    active_secs: Option<i64>,
) -> AppResult<Vec<(Card, f64)>> {
    let now = ctx.now_secs();
    let mut near: Vec<(f64, UserId)> = geo::around(&ctx.db, here)
        .await?
        .into_iter()
        .filter(|l| l.uid != me && only.is_none_or(|u| u == l.uid))
        .filter(|l| active_secs.is_none_or(|a| now - l.at <= a))
        .map(|l| (here.distance_m(&l.point.coarse()), l.uid))
        .collect();
    near.sort_by(|a, b| a.0.total_cmp(&b.0));
    let uids: Vec<UserId> = near.iter().map(|(_, u)| *u).collect();
    let found = cards(ctx, profiles::get_profiles(&ctx.db, &uids).await?).await;
    Ok(found
        .into_iter()
        .map(|c| {
            let d = near.iter().find(|(_, u)| *u == c.user.uid).map(|(d, _)| *d).unwrap_or(0.0);
            (c, d)
        })
        .collect())
}
