//! Offline push notifications.
//!
//! No push provider (APNs, FCM, Baidu, JPush) is reachable from this deployment, so the
//! only sender is [`TableSender`], which records each job (one notification, all its
//! recipients) in the table (`store::pushes`, `PUSHQ#<shard>`, kept 7 days) where an
//! operator tool or a future provider worker can pick them up. A provider plugs in by implementing [`PushSender`]
//! and returning it from [`sender`]; callers only call `push::sender(ctx).send(..)`.
//!
//! Callers decide *who* is offline (no live WebSocket connection) and leave out users
//! with DND (`offlineNoPushMsg`: global setting, per-contact relation flag, or room
//! member flag); [`offline_job`] does both for a list of recipients.

use crate::error::AppResult;
use crate::ids::UserId;
use crate::store::{connections, pushes};
use crate::Ctx;
use std::future::Future;

pub use crate::store::pushes::PushJob;

/// Delivers push jobs to devices.
pub trait PushSender: Send + Sync {
    fn send(&self, jobs: &[PushJob]) -> impl Future<Output = AppResult<()>> + Send;
}

/// Records jobs in the table (one item per job, ⌈jobs/25⌉ BatchWriteItem).
#[derive(Debug, Clone)]
pub struct TableSender {
    db: crate::store::Db,
}

impl PushSender for TableSender {
    async fn send(&self, jobs: &[PushJob]) -> AppResult<()> {
        if jobs.iter().all(|j| j.to.is_empty()) {
            return Ok(());
        }
        tracing::info!(jobs = jobs.len(), "push jobs recorded (no push provider configured)");
        pushes::record(&self.db, jobs).await
    }
}

/// The sender for this deployment (see the module docs for plugging in a provider).
pub fn sender(ctx: &Ctx) -> TableSender {
    TableSender { db: ctx.db.clone() }
}

/// Of `recipients`, those with no live connection and no DND for `from` (None: only the
/// global setting counts). ⌈n/100⌉ BatchGetItem for presence + ⌈offline/50⌉ for DND.
pub async fn offline_recipients(ctx: &Ctx, recipients: &[UserId], from: Option<UserId>) -> AppResult<Vec<UserId>> {
    let online = connections::of_users(&ctx.db, recipients).await?;
    let mut offline: Vec<UserId> = recipients.iter().copied().filter(|u| !online.contains_key(u)).collect();
    offline.sort();
    offline.dedup();
    let muted = pushes::muted(&ctx.db, &offline, from).await?;
    offline.retain(|u| !muted.contains(u));
    Ok(offline)
}

/// Record `job` for the offline, non-DND ones of `recipients` (one job, all of them as its
/// audience); returns who it went to.
pub async fn offline_job(
    ctx: &Ctx,
    recipients: &[UserId],
    from: Option<UserId>,
    mut job: PushJob,
) -> AppResult<Vec<UserId>> {
    job.to = offline_recipients(ctx, recipients, from).await?;
    sender(ctx).send(std::slice::from_ref(&job)).await?;
    Ok(job.to)
}
