//! The following feed, fanned out on write: a starter's META carries `ev = feed`; the stream
//! consumer (functions/delivery → [`fan_out`]) writes an inbox ref `FEEDIN#<uid>/<mid:016>`
//! for the author, the author's fans (network-visible posts) and the room's members (group
//! posts): 1 Query of `FANS#<author>` (GSI1) + 1 Query of the members + ⌈F/25⌉ BatchWriteItem.
//! A page is then 1 Query of my inbox + 1 BatchGetItem that re-checks everything (the posts,
//! my relations to their senders, my rooms, my marks) + the cards + the seen mark, whatever
//! the number of people I follow. Reading instead would be one Query per followed person
//! (500 follows = 500 Queries a page).
//!
//! Authors with more than [`MAX_FANOUT`] fans (threshold: `maxFanout` on `FEEDBIG/LIST`) are
//! not fanned out to their fans: the fan-out adds them to `FEEDBIG/LIST` and every following
//! read pulls the newest starters of those its reader follows (≤ [`MAX_PULLED`], one Query
//! each) and merges them with the inbox page.

use super::{finish, Page, Paging};
use crate::domain::feed::{self as rules, Post, MAX_FANOUT, MAX_UNSEEN};
use crate::error::AppResult;
use crate::ids::UserId;
use crate::store::feed::{self as store, inbox, Need, Source};
use crate::store::{conversations, relations, requests};
use crate::Ctx;

/// Most authors pulled on read per page (the rest stay unread: documented).
pub const MAX_PULLED: usize = 10;

/// `GET /messages/following`: my inbox, each post re-checked (deleted, unfollowed, blocked,
/// left or private room → skipped), merged with the starters of the authors I follow that are
/// pulled on read (too many fans to fan out, ≤ [`MAX_PULLED`]). The first page (no
/// `older_than`/`newer_than`) moves my seen mark to its newest entry.
pub async fn following(ctx: &Ctx, me: UserId, p: Paging) -> AppResult<Page> {
    let db = &ctx.db;
    let now = ctx.now_secs();
    let src = Source::Inbox(me);
    let (mut rows, mut more) = store::page(db, &src, p.older_than, p.newer_than, p.limit as i32, now).await?;
    let mut need = Need { following_meta: true, ..Default::default() };
    for r in &rows {
        need.posts.push(r.mid);
        need.marks.push(r.mid);
        if let Some(g) = r.group.as_ref().filter(|g| !need.rooms.contains(g)) {
            need.rooms.push(g.clone());
        }
        if let Some(s) = r.sender.filter(|s| *s != me && !need.follows.contains(s)) {
            need.follows.push(s);
        }
    }
    // My relations to the authors this container already knows are pulled on read ride along.
    let known = known_bigs(&db.table);
    for b in known.iter().filter(|b| **b != me) {
        if !need.follows.contains(b) {
            need.follows.push(*b);
        }
    }
    let mut l = store::load(db, me, &need).await?;
    // Authors pulled on read: which of them I follow (known ones: in the load above; new ones:
    // one more BatchGetItem), their newest starters (one Query each, in parallel), then those
    // posts' marks and rooms (one BatchGetItem).
    remember_bigs(&db.table, &l.bigs);
    let bigs: Vec<UserId> = l.bigs.iter().copied().filter(|b| *b != me).collect();
    if !bigs.is_empty() {
        let new: Vec<UserId> = bigs.iter().copied().filter(|b| !known.contains(b)).collect();
        if !new.is_empty() {
            let f = store::load(db, me, &Need { follows: new, ..Default::default() }).await?;
            l.follows.extend(f.follows);
        }
        let pulled: Vec<UserId> = bigs.into_iter().filter(|b| l.follows.contains(b)).take(MAX_PULLED).collect();
        let sources: Vec<Source> = pulled.iter().map(|b| Source::User(*b)).collect();
        let pages = futures_util::future::join_all(
            sources.iter().map(|s| store::page(db, s, p.older_than, p.newer_than, p.limit as i32, now)),
        )
        .await;
        let mut extra = vec![];
        for page in pages {
            let (got, m) = page?;
            more |= m;
            extra.extend(got.into_iter().filter(|r| r.post.as_ref().is_some_and(Post::is_starter)));
        }
        if !extra.is_empty() {
            let x = store::load(db, me, &super::need_for(&extra, false)).await?;
            l.liked.extend(x.liked);
            l.bookmarked.extend(x.bookmarked);
            for (g, acc) in x.rooms {
                l.rooms.entry(g).or_insert(acc);
            }
            rows.extend(extra);
            rows.sort_by_key(|r| std::cmp::Reverse(r.mid));
            rows.dedup_by_key(|r| r.mid);
            if rows.len() > p.limit as usize {
                rows.truncate(p.limit as usize);
                more = true;
            }
        }
    }
    let newest = rows.first().map(|r| r.mid);
    let follows = l.follows.clone();
    let seen = l.seen;
    let page = finish(ctx, rows, more, &l, p, |post, room| {
        rules::in_following(me, post, room, follows.contains(&post.sender))
    })
    .await?;
    if p.older_than.is_none() && p.newer_than.is_none() {
        if let Some(m) = newest.filter(|m| *m > seen) {
            inbox::see(db, me, m).await?;
        }
    }
    Ok(page)
}

/// Authors pulled on read, as last read in this container (per table): a page reads my
/// relations to them in its first BatchGetItem instead of a second one.
static KNOWN_BIGS: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, Vec<UserId>>>> =
    std::sync::OnceLock::new();

fn known_bigs(table: &str) -> Vec<UserId> {
    let m = KNOWN_BIGS.get_or_init(Default::default);
    m.lock().map(|m| m.get(table).cloned().unwrap_or_default()).unwrap_or_default()
}

fn remember_bigs(table: &str, bigs: &[UserId]) {
    let m = KNOWN_BIGS.get_or_init(Default::default);
    if let Ok(mut m) = m.lock() {
        m.insert(table.to_string(), bigs.to_vec());
    }
}

/// Who gets a starter in their following inbox: the author, the author's fans when the post
/// is network-visible (unless they are more than the threshold: the author is then pulled on
/// read), the room's members for group posts. One GetItem (threshold and the pulled authors),
/// one Query of the fans, one Query of the members.
pub async fn audience(ctx: &Ctx, post: &Post) -> AppResult<Vec<UserId>> {
    let db = &ctx.db;
    let mut to = vec![post.sender];
    if post.network_visible() {
        let (bigs, max) = inbox::bigs(db).await?;
        let max = max.unwrap_or(MAX_FANOUT);
        let fans = relations::fans(db, post.sender, None, Some(max + 1)).await?;
        if fans.items.len() <= max {
            to.extend(fans.items.iter().map(|r| r.owner));
        } else if !bigs.contains(&post.sender) {
            tracing::info!(author = post.sender.0, "more fans than the fan-out threshold: pulled on read from now on");
            inbox::add_big(db, post.sender).await?;
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
