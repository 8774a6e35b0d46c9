//! Mass sends of a public account to all its fans (Shiku `/mp/textToAll`, `pushToAll`,
//! `manyToAll`; listed by `/mp/push`, `/mp/many`) as resumable jobs (services::jobs).
//!
//! The request: the account check (one GetItem) and one TransactWriteItems (the day's
//! counter `LIMIT#user:<uid>` / `BCAST#<day>` ≤ [`MAX_PER_DAY`], and the job item), then the
//! answer. The worker, per page of [`PAGE`] fans (GSI1 `FANS#<account>`, one Query), writes
//! the copies in batches ([`send_copies`], store/copies.rs): one consistent BatchGetItem per
//! 20 fans (conversation, DND, blacklist, presence), TransactWriteItems of up to 100 items
//! (33 copies into existing conversations, 20 into new ones), the live frames posted to the
//! fans online and one offline push job for the others; then the checkpoint. Each copy's
//! client id is `job-<job>-<fan>` (its MID item is in the copy's transaction): a page run
//! twice stores nothing twice. About 0.1 DynamoDB calls per fan instead of an ordinary send's
//! ~11 (docs/realtime.md "Mass sends").

use crate::domain::broadcasts::{copy_client_id, Broadcast, Sent, MAX_PER_DAY};
use crate::domain::chat::{single_id, Message, NewMessage};
use crate::domain::jobs::{Job, JobKind, Step};
use crate::error::{refused, AppError, AppResult};
use crate::ids::UserId;
use crate::push::{self, PushJob, PushSender};
use crate::realtime::{message_frame_within, push_to_targets, FanOut, MAX_WS_MESSAGE};
use crate::services::{chat, delivery, jobs, ocus};
use crate::store::{conversations as convs, copies, limits, relations};
use crate::Ctx;
use futures_util::StreamExt;
use serde_json::Value;

/// Fans per page (one checkpoint each).
pub const PAGE: usize = 500;
/// Copies sent the ordinary way at once (those whose conversation changed while their page
/// was written; the console's sendMessage).
pub const COPIES_IN_FLIGHT: usize = 32;
const DAY: i64 = 86_400;

/// Start a mass send of `me` (a public account): the job, answered at once.
pub async fn start(ctx: &Ctx, me: UserId, b: &Broadcast) -> AppResult<Job> {
    ocus::require_account(ctx, me).await?;
    let rule = limits::Rule { max: MAX_PER_DAY, window: DAY };
    let counter = limits::user_window_item(&ctx.db, me, "BCAST", ctx.now_secs(), rule);
    let payload = serde_json::to_string(b).map_err(AppError::internal)?;
    match jobs::start(ctx, JobKind::Broadcast, me, b.list(), payload, vec![counter]).await? {
        Ok(job) => Ok(job),
        Err(_) => Err(AppError::Refused {
            code: refused::BROADCASTS_PER_DAY,
            message: format!("at most {MAX_PER_DAY} mass sends a day"),
        }),
    }
}

/// The worker's part: run the page the job is at and checkpoint it (services::jobs).
pub async fn step(ctx: &Ctx, job: &Job) -> AppResult<Option<jobs::Ran>> {
    let Ok(b) = serde_json::from_str::<Broadcast>(&job.payload) else {
        // An unreadable payload never becomes readable: end the job with nothing sent.
        tracing::warn!(job = job.id, "unreadable broadcast payload");
        return jobs::advance(ctx, job, |_| async { Ok(Step::default()) }).await;
    };
    jobs::advance(ctx, job, |cursor| page(ctx, job, &b, cursor)).await
}

/// One page of fans: a copy each.
async fn page(ctx: &Ctx, job: &Job, b: &Broadcast, cursor: Option<String>) -> AppResult<Step> {
    let fans = relations::fans(&ctx.db, job.owner, cursor.as_deref(), Some(PAGE)).await?;
    let to: Vec<UserId> = fans.items.iter().map(|r| r.owner).filter(|u| *u != job.owner).collect();
    let (kind, content, object_name) = b.message();
    let sent = send_copies(ctx, &job.id, job.owner, to, true, |fan| NewMessage {
        sender: job.owner,
        kind,
        content: content.clone(),
        client_id: Some(copy_client_id(&job.id, fan)),
        object_name: object_name.clone(),
    })
    .await?;
    let done = sent.iter().filter(|ok| **ok).count() as i64;
    Ok(Step { done, failed: sent.len() as i64 - done, next: fans.next })
}

/// One job's copies of a message from `from` to each of `tos` (`make` gives the message for a
/// recipient, its deterministic client id set), written in batches (store/copies.rs) and
/// delivered here: frames to those online, one offline push job for the others (not to
/// those with DND). True for a recipient whose copy is stored (now or by an earlier try),
/// false when they cannot get it (they blacklisted the sender). `ocu`: `from` is a public
/// account (its conversations carry `ocu`). Infrastructure errors fail the page.
pub(crate) async fn send_copies(
    ctx: &Ctx,
    job_id: &str,
    from: UserId,
    tos: Vec<UserId>,
    ocu: bool,
    make: impl Fn(UserId) -> NewMessage,
) -> AppResult<Vec<bool>> {
    let started = std::time::Instant::now();
    let contexts = copies::contexts(&ctx.db, from, &tos).await?;
    let read_ms = started.elapsed().as_millis() as u64;
    let mut plan = vec![];
    for c in contexts.iter().filter(|c| !c.blocked) {
        plan.push(copies::Copy { m: make(c.to), ctx: c.clone(), ocu });
    }
    let written = copies::write(&ctx.db, ctx.now_ms(), plan.clone()).await?;
    let write_ms = started.elapsed().as_millis() as u64 - read_ms;
    let mut stored = vec![];
    let mut again = vec![];
    for (c, w) in plan.into_iter().zip(written) {
        match w {
            copies::Written::Stored(m) => stored.push((c.ctx, m)),
            copies::Written::Earlier => {}
            copies::Written::Changed => again.push(c),
        }
    }
    // Rare: the conversation moved since it was read: the ordinary send (stream-delivered).
    let resent = jobs::bounded(again, COPIES_IN_FLIGHT, |c| async move {
        Ok((c.ctx.to, send_copy(ctx, job_id, c.ctx.to, c.m).await?))
    })
    .await?;
    let refused: Vec<UserId> = resent.iter().filter(|(_, ok)| !ok).map(|(to, _)| *to).collect();
    deliver(ctx, job_id, from, &stored).await;
    let ms = started.elapsed().as_millis() as u64;
    tracing::info!(job = job_id, copies = tos.len(), stored = stored.len(), read_ms, write_ms, ms, "copies written");
    Ok(contexts.iter().map(|c| !c.blocked && !refused.contains(&c.to)).collect())
}

/// Copies just stored: their frames to the recipients online (the sender's own connections
/// are left out: an account would hear every copy), one push job for the others, the
/// dashboard's message counter.
async fn deliver(ctx: &Ctx, job_id: &str, from: UserId, stored: &[(copies::CopyContext, Message)]) {
    let Some((_, first)) = stored.first() else { return };
    let online: Vec<(Vec<(UserId, String)>, Value)> = stored
        .iter()
        .filter(|(c, _)| !c.conns.is_empty())
        .map(|(c, m)| {
            (c.conns.iter().map(|conn| (c.to, conn.clone())).collect(), message_frame_within(m, MAX_WS_MESSAGE).0)
        })
        .collect();
    let posts: Vec<FanOut> = futures_util::stream::iter(online)
        .map(|(targets, frame)| async move { push_to_targets(ctx, targets, &frame).await.0 })
        .buffer_unordered(COPIES_IN_FLIGHT)
        .collect()
        .await;
    let text = if first.kind == 1 { first.content.as_str() } else { "[new message]" };
    let mut job = PushJob::new("message", text, first.ts);
    job.from = Some(from);
    job.to = stored.iter().filter(|(c, _)| c.conns.is_empty() && !c.no_push).map(|(c, _)| c.to).collect();
    // Deterministic: a page retried after this point rewrites the same job.
    job.id = format!("bc:{job_id}:{}", stored[0].0.to.0);
    // Best effort, like the frames: the copies are stored (a retried page would find them
    // stored and deliver nothing), clients find them on their next sync.
    if let Err(e) = push::sender(ctx).send(std::slice::from_ref(&job)).await {
        tracing::warn!(job = job_id, error = %e, "offline push job of a page not recorded");
    }
    delivery::count_delivered(ctx, &stored.iter().map(|(_, m)| m.ts).collect::<Vec<_>>()).await;
    let sent: usize = posts.iter().map(|p| p.sent).sum();
    tracing::info!(job = job_id, stored = stored.len(), sent, pushed = job.to.len(), "copies delivered");
}

/// One job's 1:1 copy `m` (its deterministic client id set) from `m.sender` to `to`: true
/// when stored (now or by an earlier try), false when `to` cannot get it (gone, blocked the
/// sender). Infrastructure errors fail the page. Also the console's sends
/// (services::console_sends).
pub(crate) async fn send_copy(ctx: &Ctx, job_id: &str, to: UserId, m: NewMessage) -> AppResult<bool> {
    // The 1:1 conversation id is known; it is made only when the send finds none (an
    // account's later sends to the same fans save the conversation read).
    let from = m.sender;
    let cid = single_id(from, to);
    let sent = match chat::send(ctx, &cid, m.clone()).await {
        Err(AppError::NotFound(_)) => match convs::ensure_single(&ctx.db, ctx.now_ms(), from, to).await {
            Ok(_) => chat::send(ctx, &cid, m).await,
            Err(e) => Err(e),
        },
        other => other,
    };
    match sent {
        Ok(_) => Ok(true),
        Err(e @ (AppError::Internal(_) | AppError::RateLimited(_))) => Err(e),
        Err(e) => {
            tracing::info!(job = job_id, to = to.0, error = %e, "no copy for this target");
            Ok(false)
        }
    }
}

/// The account's past mass sends of one list (`/mp/push`: text and single article;
/// `/mp/many`: multi-article), newest first: page `index` of `size` (one Query).
pub async fn sent(ctx: &Ctx, me: UserId, list: &str, index: usize, size: usize) -> AppResult<Vec<Sent>> {
    ocus::require_account(ctx, me).await?;
    let all = jobs::list(ctx, me, list, (index + 1) * size).await?;
    Ok(all
        .into_iter()
        .skip(index * size)
        .map(|job| Sent { broadcast: serde_json::from_str(&job.payload).ok(), job })
        .collect())
}
