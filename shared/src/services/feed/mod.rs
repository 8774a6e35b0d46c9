//! The Minxing work circle (docs/dialects.md "Minxing feed"): who may post, see, mark and
//! delete what. A post in a group (a room) is seen by its members, and by everyone while the
//! room is public (`isNeedVerify = 0`); a post with no group by everyone. Invisible posts are
//! unknown (not-found); visible but not allowed is forbidden.
//!
//! Every list is one Query page + one BatchGetItem (posts, the reader's marks, the rooms'
//! META and the reader's MEMBER items, relations for following) + one BatchGetItem of the
//! senders' profiles.

pub mod following;
mod marks;

pub use marks::set_mark;

use crate::domain::feed::{self as rules, Post, RoomAccess, MAX_ATTACHMENTS};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::realtime::frames;
use crate::services::profiles::{self, Card};
use crate::store::feed::{self as store, writes, Loaded, Need, Row, Source};
use crate::Ctx;
use std::collections::HashMap;

pub use crate::domain::feed::Mark;

/// A post as one reader sees it.
#[derive(Debug, Clone)]
pub struct Shown {
    pub post: Post,
    pub liked: bool,
    pub bookmarked: bool,
}

/// A page: the posts, the cursor of the next page, the senders' (and last repliers') cards.
#[derive(Debug, Default)]
pub struct Page {
    pub items: Vec<Shown>,
    pub next: Option<i64>,
    pub cards: HashMap<UserId, Card>,
}

/// Paging of a list: ids below `older_than` / above `newer_than`, `limit` (1–50).
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub older_than: Option<i64>,
    pub newer_than: Option<i64>,
    pub limit: i64,
    /// Fill `last_replies` (their senders' cards are read too).
    pub extended: bool,
}

/// What the caller asked to post.
#[derive(Debug, Default)]
pub struct Draft {
    pub body: String,
    pub group_id: Option<String>,
    pub replied_to_id: Option<i64>,
    pub attachment_ids: Vec<String>,
    pub client_id: Option<String>,
}

fn not_found(mid: i64) -> AppError {
    AppError::not_found(format!("message {mid}"))
}

fn group_not_found(gid: &str) -> AppError {
    AppError::not_found(format!("group {gid}"))
}

/// Cards of `uids` (one BatchGetItem).
pub async fn cards_of(ctx: &Ctx, uids: &[UserId]) -> AppResult<HashMap<UserId, Card>> {
    Ok(profiles::many(ctx, uids).await?.into_iter().map(|c| (c.user.uid, c)).collect())
}

/// Cards of every sender on the page (and of the last repliers when `extended`): one
/// BatchGetItem, none for an empty page.
async fn cards(ctx: &Ctx, items: &[Shown], extended: bool) -> AppResult<HashMap<UserId, Card>> {
    let mut uids: Vec<UserId> = items.iter().map(|s| s.post.sender).collect();
    if extended {
        uids.extend(items.iter().flat_map(|s| s.post.last_replies.iter().map(|r| r.sender)));
    }
    uids.sort();
    uids.dedup();
    if uids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(profiles::many(ctx, &uids).await?.into_iter().map(|c| (c.user.uid, c)).collect())
}

fn shown(post: Post, l: &Loaded) -> Shown {
    Shown { liked: l.liked.contains(&post.id), bookmarked: l.bookmarked.contains(&post.id), post }
}

/// The page of `rows` a reader may see (`keep` decides), newest first, with its cards.
async fn finish(
    ctx: &Ctx,
    rows: Vec<Row>,
    more: bool,
    l: &Loaded,
    p: Paging,
    keep: impl Fn(&Post, Option<&RoomAccess>) -> bool,
) -> AppResult<Page> {
    let next = if more { rows.last().map(|r| r.mid) } else { None };
    let mut items = vec![];
    for r in rows {
        let Some(post) = r.post.or_else(|| l.posts.get(&r.mid).cloned()) else { continue };
        let room = post.group_id.as_ref().and_then(|g| l.rooms.get(g));
        if keep(&post, room) {
            items.push(shown(post, l));
        }
    }
    let cards = cards(ctx, &items, p.extended).await?;
    Ok(Page { items, next, cards })
}

pub(crate) fn need_for(rows: &[Row], read_posts: bool) -> Need {
    let mut need = Need::default();
    for r in rows {
        need.marks.push(r.mid);
        if read_posts && r.post.is_none() {
            need.posts.push(r.mid);
        }
        let group = r.post.as_ref().and_then(|p| p.group_id.clone()).or_else(|| r.group.clone());
        if let Some(g) = group {
            if !need.rooms.contains(&g) {
                need.rooms.push(g);
            }
        }
    }
    need
}

/// A list whose entries are visible by the usual rule (network, user, likes, bookmarks).
async fn list(ctx: &Ctx, me: UserId, src: Source, p: Paging) -> AppResult<Page> {
    let db = &ctx.db;
    let (rows, more) = store::page(db, &src, p.older_than, p.newer_than, p.limit as i32, ctx.now_secs()).await?;
    let l = store::load(db, me, &need_for(&rows, true)).await?;
    finish(ctx, rows, more, &l, p, rules::visible).await
}

/// `GET /messages`: the network feed (starters with no group or in a public room).
pub async fn network(ctx: &Ctx, me: UserId, p: Paging) -> AppResult<Page> {
    list(ctx, me, Source::Network, p).await
}

/// A user's posts (starters and replies) that the reader may see.
pub async fn from_user(ctx: &Ctx, me: UserId, uid: UserId, p: Paging) -> AppResult<Page> {
    list(ctx, me, Source::User(uid), p).await
}

/// The reader's liked or bookmarked posts (newest post first), invisible ones skipped.
pub async fn marked(ctx: &Ctx, me: UserId, mark: Mark, p: Paging) -> AppResult<Page> {
    list(ctx, me, Source::Marks(me, mark), p).await
}

/// A group's starters: the room must be readable (member, or public), else not-found. One
/// Query, then the room and the marks in one BatchGetItem.
pub async fn in_group(ctx: &Ctx, me: UserId, gid: &str, p: Paging) -> AppResult<Page> {
    if !crate::domain::chat::valid_id(gid) || !crate::domain::chat::is_group(gid) {
        return Err(group_not_found(gid));
    }
    let db = &ctx.db;
    let src = Source::Group(gid.to_string());
    let (rows, more) = store::page(db, &src, p.older_than, p.newer_than, p.limit as i32, ctx.now_secs()).await?;
    let mut need = need_for(&rows, false);
    need.rooms = vec![gid.to_string()];
    let l = store::load(db, me, &need).await?;
    if !l.rooms.get(gid).is_some_and(RoomAccess::readable) {
        return Err(group_not_found(gid));
    }
    finish(ctx, rows, more, &l, p, rules::visible).await
}

/// A thread from any of its ids: the starter (first page only) then replies oldest first,
/// `after` = the last reply of the previous page. GetItem, one Query of the reply refs, one
/// BatchGetItem (posts, marks, room), the cards.
pub async fn thread(ctx: &Ctx, me: UserId, mid: i64, after: Option<i64>, p: Paging) -> AppResult<Page> {
    let db = &ctx.db;
    let first = store::get(db, mid).await?.ok_or_else(|| not_found(mid))?;
    let root = first.thread_id;
    let (replies, more) = store::replies(db, root, after, p.limit as i32).await?;
    let mut need = Need { posts: replies.clone(), marks: replies.clone(), ..Default::default() };
    if after.is_none() {
        need.posts.push(root);
        need.marks.push(root);
    }
    if let Some(g) = &first.group_id {
        need.rooms.push(g.clone());
    }
    let l = store::load(db, me, &need).await?;
    if !rules::visible(&first, first.group_id.as_ref().and_then(|g| l.rooms.get(g))) {
        return Err(not_found(mid));
    }
    let mut ids = vec![];
    if after.is_none() {
        ids.push(root);
    }
    ids.extend(replies);
    let items: Vec<Shown> = ids.iter().filter_map(|m| l.posts.get(m).cloned()).map(|post| shown(post, &l)).collect();
    if after.is_none() && items.first().is_none_or(|s| s.post.id != root) {
        // The starter is gone (its thread is being deleted): the thread is gone.
        return Err(not_found(mid));
    }
    let next = if more { items.last().map(|s| s.post.id) } else { None };
    let cards = cards(ctx, &items, p.extended).await?;
    Ok(Page { items, next, cards })
}

/// Post a starter (in `group_id`, which I must be a member of, or in no group) or a reply
/// (to a post I can see; the group is the thread's). Attachments: my own files (≤ 9).
/// `client_id` makes a resend answer the first post (`false`: not new). Starter: BatchGetItem
/// (room, membership, files) + TransactWriteItems; reply: + one BatchGetItem of the thread.
pub async fn post(ctx: &Ctx, me: UserId, d: Draft) -> AppResult<(Shown, bool, HashMap<UserId, Card>)> {
    let db = &ctx.db;
    if d.body.trim().is_empty() && d.attachment_ids.is_empty() {
        return Err(AppError::missing("body"));
    }
    if d.attachment_ids.len() > MAX_ATTACHMENTS {
        return Err(AppError::invalid("attachment_ids", format!("at most {MAX_ATTACHMENTS} files")));
    }
    if let Some(g) = &d.group_id {
        if !crate::domain::chat::valid_id(g) || !crate::domain::chat::is_group(g) {
            return Err(group_not_found(g));
        }
    }
    let mut need = Need { files: d.attachment_ids.clone(), users: vec![me], ..Default::default() };
    match (d.replied_to_id, &d.group_id) {
        (Some(r), _) => need.posts.push(r),
        (None, Some(g)) => need.rooms.push(g.clone()),
        (None, None) => {}
    }
    let l = store::load(db, me, &need).await?;
    let cards: HashMap<UserId, Card> =
        profiles::cards(ctx, l.profiles.clone()).await.into_iter().map(|c| (c.user.uid, c)).collect();
    let attachments = crate::services::files::own_attachments(&l.files, me, &d.attachment_ids)?;
    let now = ctx.now_ms();
    let mut post = Post {
        id: 0,
        thread_id: 0,
        replied_to_id: d.replied_to_id,
        sender: me,
        group_id: d.group_id.clone(),
        private_group: false,
        body: d.body,
        attachments,
        likes: 0,
        replies: 0,
        last_replies: vec![],
        created_at: now,
    };
    let mut parent = None;
    if let Some(r) = d.replied_to_id {
        let p = l.posts.get(&r).cloned().ok_or_else(|| not_found(r))?;
        if d.group_id.is_some() && d.group_id != p.group_id {
            return Err(AppError::invalid("group_id", "a reply is in its thread's group"));
        }
        post.group_id = p.group_id.clone();
        post.private_group = p.private_group;
        parent = Some(p);
    } else if let Some(g) = &d.group_id {
        let acc = l.rooms.get(g).copied().unwrap_or_default();
        if !acc.readable() {
            return Err(group_not_found(g));
        }
        if !acc.member {
            return Err(AppError::forbidden(format!("not a member of group {g}")));
        }
        post.private_group = !acc.public;
    }
    for attempt in 0..8 {
        if attempt > 0 {
            // Concurrent replies to one thread: spread the retries out.
            let ms = rand::random::<u64>() % (10 << attempt.min(4));
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        post.id = rules::new_id(now, rand::random::<u16>());
        post.thread_id = post.id;
        let mut root = None;
        let mut event = None;
        if let Some(p) = &parent {
            let (r, acc) = thread_root(ctx, me, p).await?;
            if !rules::visible(&r, acc.as_ref()) {
                return Err(not_found(p.id));
            }
            post.thread_id = r.id;
            root = Some(writes::RootUpdate {
                root: r.id,
                old_replies: r.replies,
                last: rules::push_reply(r.last_replies.clone(), post.summary()),
            });
            if p.sender != me {
                let f = frames::feed_event("reply", post.id, r.id, Some(p.id), me, now);
                event = Some((p.sender, f));
            }
        }
        let np = writes::NewPost { post: &post, client_id: d.client_id.as_deref(), root, event, now_ms: now };
        match writes::create(db, &np).await? {
            writes::Created::Done => return Ok((Shown { post, liked: false, bookmarked: false }, true, cards)),
            writes::Created::Duplicate(mid) => {
                let first = store::get(db, mid).await?.ok_or_else(|| not_found(mid))?;
                return Ok((Shown { post: first, liked: false, bookmarked: false }, false, cards));
            }
            writes::Created::IdTaken => continue,
            writes::Created::RootChanged => {
                // Another reply moved the thread: read it again (`parent` stays, its root is re-read).
                if let Some(p) = parent.as_mut() {
                    if p.is_starter() {
                        *p = store::get(db, p.id).await?.ok_or_else(|| not_found(p.id))?;
                    }
                }
                continue;
            }
        }
    }
    Err(AppError::Conflict("the thread is busy; try again".into()))
}

/// The starter of `p`'s thread and the room as the caller sees it: none read when `p` is a
/// starter in no group; else one BatchGetItem.
async fn thread_root(ctx: &Ctx, me: UserId, p: &Post) -> AppResult<(Post, Option<RoomAccess>)> {
    let mut need = Need::default();
    if !p.is_starter() {
        need.posts.push(p.thread_id);
    }
    if let Some(g) = &p.group_id {
        need.rooms.push(g.clone());
    }
    if need.posts.is_empty() && need.rooms.is_empty() {
        return Ok((p.clone(), None));
    }
    let l = store::load(&ctx.db, me, &need).await?;
    let root =
        if p.is_starter() { p.clone() } else { l.posts.get(&p.thread_id).cloned().ok_or_else(|| not_found(p.id))? };
    let acc = p.group_id.as_ref().and_then(|g| l.rooms.get(g).copied());
    Ok((root, acc))
}

/// Delete a post: its sender, the owner/an admin of its room, or an operator. A starter takes
/// its whole thread. Invisible → not-found, visible but not allowed → forbidden.
pub async fn delete(ctx: &Ctx, me: UserId, mid: i64) -> AppResult<()> {
    let db = &ctx.db;
    let post = store::get(db, mid).await?.ok_or_else(|| not_found(mid))?;
    // The room and, for someone else's post, my profile (the operator role): one BatchGetItem.
    let mut need = Need { rooms: post.group_id.iter().cloned().collect(), ..Default::default() };
    if post.sender != me {
        need.users.push(me);
    }
    let l = store::load(db, me, &need).await?;
    let operator = l.profiles.iter().any(|p| p.user.uid == me && p.user.role == crate::domain::users::Role::Operator);
    let acc = post.group_id.as_ref().and_then(|g| l.rooms.get(g).copied());
    if !rules::visible(&post, acc.as_ref()) && !operator {
        return Err(not_found(mid));
    }
    let admin = acc.is_some_and(|a| a.member && a.admin);
    if post.sender != me && !admin && !operator {
        return Err(AppError::forbidden(format!("message {mid} is not yours to delete")));
    }
    if post.is_starter() {
        writes::delete_thread(db, mid).await?;
    } else {
        let last = writes::last_replies(db, post.thread_id, mid).await?;
        writes::delete_reply(db, &post, &last).await?;
    }
    Ok(())
}

/// Presigned download links of the attachments on `items` (valid an hour, signed locally:
/// no call), by file id.
pub async fn attachment_urls(ctx: &Ctx, items: &[&Shown]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for a in items.iter().flat_map(|s| s.post.attachments.iter()) {
        if out.contains_key(&a.id) {
            continue;
        }
        if let Some(url) = crate::services::files::presign_get(ctx, &a.s3_key).await {
            out.insert(a.id.clone(), url);
        }
    }
    out
}
