//! Mass sends of a public account to all its fans (Shiku `/mp/textToAll`, `pushToAll`,
//! `manyToAll`; listed by `/mp/push`, `/mp/many`) as resumable jobs (services::jobs).
//!
//! The request: the account check (one GetItem) and one TransactWriteItems (the day's
//! counter `LIMIT#user:<uid>` / `BCAST#<day>` ≤ [`MAX_PER_DAY`], and the job item), then the
//! answer. The worker, per page of [`PAGE`] fans (GSI1 `FANS#<account>`, one Query): one
//! ordinary 1:1 send per fan from the account ([`COPIES_IN_FLIGHT`] at once), its 1:1
//! conversation made when the send finds none, client id `job-<job>-<fan>` (the message store's claim:
//! a page run twice stores nothing twice), then the checkpoint.

use crate::domain::broadcasts::{copy_client_id, Broadcast, Sent, MAX_PER_DAY};
use crate::domain::chat::{single_id, NewMessage};
use crate::domain::jobs::{Job, JobKind, Step};
use crate::error::{refused, AppError, AppResult};
use crate::ids::UserId;
use crate::services::{chat, jobs, ocus};
use crate::store::{conversations as convs, limits, relations};
use crate::Ctx;

/// Fans per page (one checkpoint each).
pub const PAGE: usize = 200;
/// Copies being stored at once within a page.
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
    let sent = jobs::bounded(to, COPIES_IN_FLIGHT, |fan| copy(ctx, job, b, fan)).await?;
    let done = sent.iter().filter(|ok| **ok).count() as i64;
    Ok(Step { done, failed: sent.len() as i64 - done, next: fans.next })
}

/// One fan's copy: true when stored (now or by an earlier try), false when this fan cannot
/// get it (gone, blocked the account). Infrastructure errors fail the page.
async fn copy(ctx: &Ctx, job: &Job, b: &Broadcast, fan: UserId) -> AppResult<bool> {
    let (kind, content, object_name) = b.message();
    let m = NewMessage { sender: job.owner, kind, content, client_id: Some(copy_client_id(&job.id, fan)), object_name };
    send_copy(ctx, &job.id, fan, m).await
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
