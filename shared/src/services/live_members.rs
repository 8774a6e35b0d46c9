//! Stamping the members of large rooms (store/live.rs): a room of more than [`LARGE_ROOM`]
//! members keeps its members' live connections on their member items, so its fan-out is one
//! member Query; everyone else is reached through presence items at fan-out time.
//!
//! Delivery meets a large room with unstamped members (a room that grew past the threshold,
//! members who joined since) and starts a job ([`start_if_needed`]: one conditional Put, its
//! id derived from the room and those members, so later batches meeting the same members
//! start nothing). The worker (functions/delivery, services::jobs) pages through the members
//! ([`PAGE`] a page): for the unstamped ones one consistent presence read, one UpdateItem
//! each (stamp + connections, [`STAMPS_IN_FLIGHT`] at once), then presence again for
//! connections made meanwhile. Meanwhile fan-out reads those members' presence, so nobody
//! misses a message while the job runs; a page run twice stamps nothing wrong (a stamp is
//! a SET plus ADD of connections that are live).

use crate::domain::chat::{FanMember, LARGE_ROOM};
use crate::domain::jobs::{Job, JobKind, Step};
use crate::domain::relations::SYSTEM_UID;
use crate::error::AppResult;
use crate::ids::UserId;
use crate::services::jobs;
use crate::store::live;
use crate::Ctx;
use futures_util::stream::{StreamExt, TryStreamExt};

/// Members read per page (one Query, one checkpoint).
pub const PAGE: i32 = 500;
/// UpdateItems in flight within a page.
const STAMPS_IN_FLIGHT: usize = 16;
/// The owner list stamping jobs are filed under (the system account's `live` list).
const LIST: &str = "live";

/// Start stamping `cid` when it is large and has unstamped members (delivery calls this with
/// the members it has just read). One conditional Put when it starts a job, else nothing.
pub async fn start_if_needed(ctx: &Ctx, cid: &str, members: &[FanMember]) -> AppResult<()> {
    if members.len() <= LARGE_ROOM {
        return Ok(());
    }
    let mut unstamped: Vec<i64> = members.iter().filter(|m| m.stamped_at.is_none()).map(|m| m.uid.0).collect();
    if unstamped.is_empty() {
        return Ok(());
    }
    unstamped.sort_unstable();
    // The same room and unstamped members give the same id: a job already started (or done
    // while these members stayed unstamped, e.g. they left) is not started again.
    let id = format!("live-{}", fnv64(format!("{cid}:{unstamped:?}").as_bytes()));
    let payload = serde_json::json!({ "cid": cid }).to_string();
    let started = jobs::start_as(ctx, id.clone(), JobKind::LiveMembers, SYSTEM_UID, LIST, payload, vec![]).await;
    match started {
        Ok(Ok(_)) => tracing::info!(cid, job = id, unstamped = unstamped.len(), "stamping a large room"),
        Ok(Err(_)) => {}
        // The job exists: its condition failed (store::jobs maps that to a conflict).
        Err(crate::AppError::Conflict(_)) => {}
        Err(e) => return Err(e),
    }
    Ok(())
}

/// FNV-1a, 64 bits, hex: a short stable id.
fn fnv64(bytes: &[u8]) -> String {
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3));
    format!("{h:016x}")
}

/// The worker's part: stamp the page of members the job is at and checkpoint it.
pub async fn step(ctx: &Ctx, job: &Job) -> AppResult<Option<jobs::Ran>> {
    let cid = serde_json::from_str::<serde_json::Value>(&job.payload)
        .ok()
        .and_then(|v| v["cid"].as_str().map(str::to_string));
    let Some(cid) = cid else {
        tracing::warn!(job = job.id, "unreadable stamping payload");
        return jobs::advance(ctx, job, |_| async { Ok(Step::default()) }).await;
    };
    jobs::advance(ctx, job, |cursor| page(ctx, cid, cursor)).await
}

async fn page(ctx: &Ctx, cid: String, cursor: Option<String>) -> AppResult<Step> {
    let (members, next) = live::member_page(&ctx.db, &cid, cursor.as_deref(), PAGE).await?;
    let todo: Vec<UserId> = members.iter().filter(|m| m.stamped_at.is_none()).map(|m| m.uid).collect();
    // Presence first, stamp after, presence again (store/live.rs: the connect side writes
    // presence first and queries stamps after).
    let known = live::presence_of(&ctx.db, &todo).await?;
    let now = ctx.now_ms();
    let stamped: Vec<bool> = futures_util::stream::iter(todo.clone())
        .map(|uid| {
            let conns = known.get(&uid).cloned().unwrap_or_default();
            let (db, cid) = (&ctx.db, cid.as_str());
            async move { live::stamp(db, now, cid, uid, &conns).await }
        })
        .buffer_unordered(STAMPS_IN_FLIGHT)
        .try_collect()
        .await?;
    live::attach_new_members(&ctx.db, &cid, &todo, &known).await?;
    let done = stamped.iter().filter(|s| **s).count() as i64;
    Ok(Step { done, failed: stamped.len() as i64 - done, next })
}
