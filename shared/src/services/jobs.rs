//! Resumable jobs (domain::jobs, store/jobs.rs): the generic part of every job kind.
//!
//! A request writes the job item (with its own checks in the same transaction) and answers
//! at once. The stream worker (functions/delivery) gets the item's INSERT and every
//! checkpoint's MODIFY (`ev = job`) and runs one page: the kind's page step, then one
//! conditional checkpoint (`page` n → n + 1, counts added, cursor moved; `done` after the
//! last page). Page steps must be idempotent per target (e.g. a deterministic client id per
//! copy): a retried or replayed page then stores nothing twice, and its checkpoint, applied
//! once, counts it once. A page that meets an infrastructure error fails the record, which
//! the stream retries.

use crate::domain::jobs::{Job, JobKind, JobStatus, Step};
use crate::error::AppResult;
use crate::ids::UserId;
use crate::store::jobs as store;
use crate::Ctx;
use aws_sdk_dynamodb::types::TransactWriteItem;
use futures_util::StreamExt;
use std::future::Future;

/// A new job of `kind` for `owner` (listed in `list`), written with `extra` (the caller's
/// other writes of the same transaction, e.g. a daily counter). `Ok(Err(i))`: `extra[i]`'s
/// condition failed and nothing was written.
pub async fn start(
    ctx: &Ctx,
    kind: JobKind,
    owner: UserId,
    list: &str,
    payload: String,
    extra: Vec<TransactWriteItem>,
) -> AppResult<Result<Job, usize>> {
    start_as(ctx, new_id(), kind, owner, list, payload, extra).await
}

/// A fresh job id (for callers whose `extra` items name the job, e.g. an audit entry).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// [`start`] with the id chosen by the caller ([`new_id`]).
pub async fn start_as(
    ctx: &Ctx,
    id: String,
    kind: JobKind,
    owner: UserId,
    list: &str,
    payload: String,
    extra: Vec<TransactWriteItem>,
) -> AppResult<Result<Job, usize>> {
    let now = ctx.now_ms();
    let job = Job {
        id,
        kind,
        owner,
        list: list.to_string(),
        payload,
        status: JobStatus::Running,
        page: 0,
        cursor: None,
        done: 0,
        failed: 0,
        created_at: now,
        updated_at: now,
    };
    Ok(store::create_with(&ctx.db, &job, extra).await?.map(|_| job))
}

/// What one run of a page did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub step: Step,
    /// False: another try of this page had checkpointed it already (nothing counted).
    pub checkpointed: bool,
}

/// Run the page `job` is at (`page` from its cursor) and checkpoint it. A job that is not
/// running does nothing.
pub async fn advance<F, Fut>(ctx: &Ctx, job: &Job, page: F) -> AppResult<Option<Ran>>
where
    F: FnOnce(Option<String>) -> Fut,
    Fut: Future<Output = AppResult<Step>>,
{
    if job.status != JobStatus::Running {
        return Ok(None);
    }
    let step = page(job.cursor.clone()).await?;
    let checkpointed = store::checkpoint(&ctx.db, ctx.now_ms(), job, &step).await?;
    tracing::info!(
        job = job.id,
        kind = job.kind.as_str(),
        page = job.page,
        done = step.done,
        failed = step.failed,
        last = step.next.is_none(),
        checkpointed,
        "job page"
    );
    Ok(Some(Ran { step, checkpointed }))
}

/// Run `f` over `items`, at most `limit` at once; the first error wins (the others finish).
pub async fn bounded<T, R, F, Fut>(items: Vec<T>, limit: usize, f: F) -> AppResult<Vec<R>>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = AppResult<R>>,
{
    let results: Vec<AppResult<R>> =
        futures_util::stream::iter(items.into_iter().map(f)).buffer_unordered(limit.max(1)).collect().await;
    results.into_iter().collect()
}

/// One job by id.
pub async fn get(ctx: &Ctx, id: &str) -> AppResult<Option<Job>> {
    store::get(&ctx.db, id).await
}

/// Put a job back at an earlier checkpoint (a replay: its pages run again, storing nothing
/// twice). For operators' tooling and tests; no route calls it.
pub async fn restore(ctx: &Ctx, job: &Job) -> AppResult<()> {
    store::restore(&ctx.db, job).await
}

/// The newest `limit` jobs of `owner`'s `list` (one Query).
pub async fn list(ctx: &Ctx, owner: UserId, list: &str, limit: usize) -> AppResult<Vec<Job>> {
    store::list(&ctx.db, owner, list, limit).await
}
