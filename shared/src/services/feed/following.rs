//! The following feed, fanned out on write: a starter's META carries `ev = feed`; the stream
//! consumer (functions/delivery → [`fan_out`]) writes an inbox ref `FEEDIN#<uid>/<mid:016>`
//! for the author, the author's fans (network-visible posts) and the room's members (group
//! posts): 1 Query of `FANS#<author>` (GSI1) + 1 Query of the members + ⌈F/25⌉ BatchWriteItem.
//! A page is then 1 Query of my inbox + 1 BatchGetItem that re-checks everything (the posts,
//! my relations to their senders, my rooms, my marks) + the cards + the seen mark, whatever
//! the number of people I follow. Reading instead would be one Query per followed person
//! (500 follows = 500 Queries a page).
//!
//! Not built: authors with more than [`MAX_FANOUT`] fans would not be fanned out but pulled
//! on read (≤ 10 such authors per reader); today their fans beyond the cap get no inbox ref.

use super::{finish, Page, Paging};
use crate::domain::feed::{self as rules, Post, MAX_FANOUT, MAX_UNSEEN};
use crate::error::AppResult;
use crate::ids::UserId;
use crate::store::feed::{self as store, inbox, Need, Source};
use crate::store::{conversations, relations, requests};
use crate::Ctx;

/// `GET /messages/following`: my inbox, each post re-checked (deleted, unfollowed, blocked,
/// left or private room → skipped). The first page (no `older_than`/`newer_than`) moves my
/// seen mark to its newest entry.
pub async fn following(ctx: &Ctx, me: UserId, p: Paging) -> AppResult<Page> {
    let db = &ctx.db;
    let src = Source::Inbox(me);
    let (rows, more) = store::page(db, &src, p.older_than, p.newer_than, p.limit as i32, ctx.now_secs()).await?;
    let mut need = Need::default();
    for r in &rows {
        need.posts.push(r.mid);
        need.marks.push(r.mid);
        if let Some(g) = &r.group {
            if !need.rooms.contains(g) {
                need.rooms.push(g.clone());
            }
        } else if let Some(s) = r.sender.filter(|s| *s != me && !need.follows.contains(s)) {
            need.follows.push(s);
        }
    }
    // Group posts by people I follow in public rooms I am not in: their relation is needed too.
    for r in &rows {
        if let (Some(_), Some(s)) = (&r.group, r.sender) {
            if s != me && !need.follows.contains(&s) {
                need.follows.push(s);
            }
        }
    }
    let l = store::load(db, me, &need).await?;
    let newest = rows.first().map(|r| r.mid);
    let follows = l.follows.clone();
    let page = finish(ctx, rows, more, &l, p, |post, room| {
        rules::in_following(me, post, room, follows.contains(&post.sender))
    })
    .await?;
    if p.older_than.is_none() && p.newer_than.is_none() {
        if let Some(m) = newest {
            inbox::see(db, me, m).await?;
        }
    }
    Ok(page)
}

/// Who gets a starter in their following inbox: the author, the author's fans when the post
/// is network-visible (at most [`MAX_FANOUT`]), the room's members for group posts.
pub async fn audience(ctx: &Ctx, post: &Post) -> AppResult<Vec<UserId>> {
    let db = &ctx.db;
    let mut to = vec![post.sender];
    if post.network_visible() {
        let fans = relations::fans(db, post.sender, None, Some(MAX_FANOUT + 1)).await?;
        if fans.items.len() <= MAX_FANOUT {
            to.extend(fans.items.iter().map(|r| r.owner));
        } else {
            tracing::warn!(author = post.sender.0, "more fans than the fan-out cap: not fanned out");
        }
    }
    if let Some(g) = &post.group_id {
        to.extend(conversations::member_ids(db, g).await?);
    }
    to.sort();
    to.dedup();
    Ok(to)
}

/// The stream consumer's part (functions/delivery): write the inbox refs of a new starter.
/// Retry-safe (the same keys are rewritten).
pub async fn fan_out(ctx: &Ctx, post: &Post) -> AppResult<usize> {
    if !post.is_starter() {
        return Ok(0);
    }
    let to = audience(ctx, post).await?;
    inbox::fan_out(&ctx.db, post, &to).await?;
    Ok(to.len())
}

/// `notification_counts` for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Σ lastSeq − readSeq over my conversations.
    pub unread_messages: i64,
    /// Following posts by others newer than my seen mark, at most 99.
    pub unseen_feed: i64,
    /// Pending join requests in rooms I own or administer.
    pub pending_requests: i64,
}

/// Counts: Query of my conversations + their METAs (⌈n/100⌉ BatchGetItem) ∥ GetItem seen
/// mark → Query of my inbox (COUNT), then one Query per room I own/administer (16 at once).
pub async fn counts(ctx: &Ctx, me: UserId) -> AppResult<Counts> {
    let db = &ctx.db;
    let unseen = async {
        let since = inbox::seen(db, me).await?;
        inbox::unseen(db, me, since, MAX_UNSEEN, ctx.now_secs()).await
    };
    let (convs, unseen) = tokio::join!(conversations::of_user(db, me), unseen);
    let convs = convs?;
    let unread = convs.iter().map(|(c, m)| (c.last_seq - m.read_seq).max(0)).sum();
    let admin: Vec<(String, i64)> = convs
        .iter()
        .filter(|(c, m)| c.kind == crate::domain::chat::Kind::Group && (m.role == "owner" || m.role == "admin"))
        .map(|(c, _)| (c.id.clone(), c.created_at))
        .collect();
    let mut pending = 0;
    for chunk in admin.chunks(16) {
        let found = futures_util::future::join_all(chunk.iter().map(|(cid, at)| requests::pending(db, cid, *at))).await;
        for f in found {
            pending += f?.len() as i64;
        }
    }
    Ok(Counts { unread_messages: unread, unseen_feed: unseen?, pending_requests: pending })
}
