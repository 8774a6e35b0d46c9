//! The operator console's sends and user edit (`/console/sendMessage`, `/console/pushToAll`,
//! `/console/updateUser` POST; issue #14; docs/dialects.md "Shiku console").
//!
//! Sends are resumable jobs (services::jobs): the request checks the accounts (one
//! BatchGetItem) and writes the job item with its audit entry (one TransactWriteItems),
//! then answers. The worker (functions/delivery) runs the pages: sendMessage's copies are
//! ordinary 1:1 text sends through the chat service (services::broadcasts::send_copy),
//! pushToAll's are written in batches (services::broadcasts::send_copies), with deterministic
//! client ids `job-<job>-<n>` (sendMessage, copy n) or `job-<job>-<uid>` (pushToAll), so a
//! replayed page stores nothing twice.

use crate::domain::broadcasts::TEXT_KIND;
use crate::domain::chat::{NewMessage, MAX_CONTENT};
use crate::domain::idempotency::IdemKey;
use crate::domain::jobs::{Job, JobKind, Step};
use crate::domain::relations::SYSTEM_UID;
use crate::domain::sessions::Session;
use crate::domain::users::{Edit, User};
use crate::error::{refused, AppError, AppResult};
use crate::ids::UserId;
use crate::services::operators::{audit, is_protected, SERVICE_UID};
use crate::services::{accounts, broadcasts, jobs, profiles};
use crate::store::{self, users};
use crate::Ctx;
use serde::{Deserialize, Serialize};

/// The owner list console jobs are filed under (GSI1 `JOBS#<operator>`).
pub const LIST: &str = "console";
/// Most copies of one `/console/sendMessage`.
pub const MAX_COUNT: i64 = 100;
/// Accounts per `/console/pushToAll` page (one Query, one checkpoint; copies written in
/// batches, services::broadcasts::send_copies).
pub const PAGE: i32 = 100;
/// `/console/pushToAll` jobs a UTC day for the whole console (each reaches every account).
pub const MAX_PUSHES_PER_DAY: i64 = 20;
const DAY: i64 = 86_400;

#[derive(Debug, Serialize, Deserialize)]
struct SendPayload {
    from: i64,
    to: i64,
    body: String,
    count: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct PushPayload {
    from: i64,
    body: String,
}

fn target(uid: UserId) -> String {
    format!("user:{uid}")
}

/// The text of a console send: not empty, at most the chat content limit.
fn check_body(body: &str) -> AppResult<()> {
    if body.trim().is_empty() {
        return Err(AppError::missing("body"));
    }
    if body.len() > MAX_CONTENT {
        return Err(AppError::invalid("body", format!("longer than {MAX_CONTENT} bytes")));
    }
    Ok(())
}

/// The sender of a console send: an existing, enabled account (the built-in 10000/10005
/// exist once `/console/initSysUser` made them).
fn check_sender(user: Option<&User>, uid: UserId) -> AppResult<&User> {
    let user = user.ok_or_else(|| AppError::not_found(format!("user {uid}")))?;
    if user.disabled {
        return Err(AppError::forbidden("the sender account is disabled"));
    }
    Ok(user)
}

async fn start(
    ctx: &Ctx,
    (op, route, idem): (&Session, &str, Option<&IdemKey>),
    kind: JobKind,
    payload: String,
    targets: Vec<String>,
) -> AppResult<Job> {
    let id = jobs::new_id();
    let mut targets = targets;
    targets.push(format!("job:{id}"));
    let entry = audit(ctx, op, route, targets);
    // The key's claim first: a replay fails on it before the day counter is looked at.
    let mut extra: Vec<_> =
        idem.map(|k| store::idempotency::claim(&ctx.db, k, &id, ctx.now_secs())).into_iter().collect();
    let first = extra.len();
    extra.push(store::audit::put(&ctx.db, &entry));
    if kind == JobKind::ConsolePush {
        // Counted in the job's transaction: a refused broadcast counts nothing.
        let rule = store::limits::Rule { max: MAX_PUSHES_PER_DAY, window: DAY };
        extra.push(store::limits::console_window_item(&ctx.db, "PUSHALL", ctx.now_secs(), rule));
    }
    match jobs::start_as(ctx, id, kind, op.uid, LIST, payload, extra).await? {
        Ok(job) => Ok(job),
        Err(0) if first == 1 => replayed(ctx, idem.expect("claimed")).await,
        Err(i) if i == first + 1 => Err(AppError::Refused {
            code: refused::CONSOLE_PUSHES_PER_DAY,
            message: format!("at most {MAX_PUSHES_PER_DAY} broadcasts to every account a day"),
        }),
        Err(_) => Err(AppError::Conflict("audit entry collision, try again".into())),
    }
}

/// The job a replayed key made (one GetItem for the key, one for the job); nothing written.
async fn replayed(ctx: &Ctx, k: &IdemKey) -> AppResult<Job> {
    let Some(id) = store::idempotency::result(&ctx.db, k, ctx.now_secs()).await? else {
        return Err(AppError::Conflict("idempotency key changed meanwhile, try again".into()));
    };
    jobs::get(ctx, &id).await?.ok_or_else(|| AppError::not_found(format!("job {id}")))
}

/// `/console/sendMessage`: `count` (1–[`MAX_COUNT`]) copies of `body` from `from` to `to`.
/// Calls: one BatchGetItem (both accounts) + one TransactWriteItems (job + audit + the
/// key's claim); a replayed `idem` key: + one GetItem (key) + one GetItem (job), nothing
/// written, the first job answered.
#[allow(clippy::too_many_arguments)]
pub async fn send_message(
    ctx: &Ctx,
    op: &Session,
    route: &str,
    idem: Option<&IdemKey>,
    from: UserId,
    to: UserId,
    body: String,
    count: i64,
) -> AppResult<Job> {
    if !(1..=MAX_COUNT).contains(&count) {
        return Err(AppError::invalid("count", format!("must be 1-{MAX_COUNT}")));
    }
    check_body(&body)?;
    if from == to {
        return Err(AppError::invalid("to", "must differ from from"));
    }
    let found = users::get_many(&ctx.db, &[from, to]).await?;
    check_sender(found.iter().find(|u| u.uid == from), from)?;
    if !found.iter().any(|u| u.uid == to) {
        return Err(AppError::not_found(format!("user {to}")));
    }
    let payload =
        serde_json::to_string(&SendPayload { from: from.0, to: to.0, body, count }).map_err(AppError::internal)?;
    start(ctx, (op, route, idem), JobKind::ConsoleSend, payload, vec![target(from), target(to)]).await
}

/// `/console/pushToAll`: `body` from `from` to every enabled account but `from`, at most
/// [`MAX_PUSHES_PER_DAY`] a UTC day for the whole console. Calls: one GetItem + one
/// TransactWriteItems (job + audit + the console's day counter + the key's claim); a replayed
/// `idem` key: + two GetItem, nothing written (the day counter not consumed again).
pub async fn push_to_all(
    ctx: &Ctx,
    op: &Session,
    route: &str,
    idem: Option<&IdemKey>,
    from: UserId,
    body: String,
) -> AppResult<Job> {
    check_body(&body)?;
    let user = users::get(&ctx.db, from).await?;
    check_sender(user.as_ref(), from)?;
    let payload = serde_json::to_string(&PushPayload { from: from.0, body }).map_err(AppError::internal)?;
    start(ctx, (op, route, idem), JobKind::ConsolePush, payload, vec![target(from)]).await
}

/// A console job by id (one GetItem); other kinds and unknown ids are `NotFound`.
pub async fn progress(ctx: &Ctx, id: &str) -> AppResult<Job> {
    match jobs::get(ctx, id).await? {
        Some(j) if matches!(j.kind, JobKind::ConsoleSend | JobKind::ConsolePush) => Ok(j),
        _ => Err(AppError::not_found(format!("job {id}"))),
    }
}

/// The worker's part: run the page the job is at and checkpoint it.
pub async fn step(ctx: &Ctx, job: &Job) -> AppResult<Option<jobs::Ran>> {
    match job.kind {
        JobKind::ConsoleSend => match serde_json::from_str::<SendPayload>(&job.payload) {
            Ok(p) => jobs::advance(ctx, job, |_| send_page(ctx, job, p)).await,
            Err(_) => unreadable(ctx, job).await,
        },
        JobKind::ConsolePush => match serde_json::from_str::<PushPayload>(&job.payload) {
            Ok(p) => jobs::advance(ctx, job, |cursor| push_page(ctx, job, p, cursor)).await,
            Err(_) => unreadable(ctx, job).await,
        },
        JobKind::Broadcast | JobKind::LiveMembers => Ok(None),
    }
}

/// An unreadable payload never becomes readable: end the job with nothing sent.
async fn unreadable(ctx: &Ctx, job: &Job) -> AppResult<Option<jobs::Ran>> {
    tracing::warn!(job = job.id, "unreadable console job payload");
    jobs::advance(ctx, job, |_| async { Ok(Step::default()) }).await
}

fn text(job: &Job, from: UserId, body: &str, n: i64) -> NewMessage {
    NewMessage {
        sender: from,
        kind: TEXT_KIND,
        content: body.to_string(),
        client_id: Some(format!("job-{}-{n}", job.id)),
        object_name: None,
    }
}

/// sendMessage: one page, the copies in order (copy n has client id `job-<job>-<n>`).
async fn send_page(ctx: &Ctx, job: &Job, p: SendPayload) -> AppResult<Step> {
    let (from, to) = (UserId(p.from), UserId(p.to));
    let mut step = Step::default();
    for n in 1..=p.count.clamp(0, MAX_COUNT) {
        if broadcasts::send_copy(ctx, &job.id, to, text(job, from, &p.body, n)).await? {
            step.done += 1;
        } else {
            step.failed += 1;
        }
    }
    Ok(step)
}

/// pushToAll: one page of [`PAGE`] accounts in id order (GSI1 `USERS`, one Query; the cursor
/// is the last id), disabled accounts and the sender skipped (not counted).
async fn push_page(ctx: &Ctx, job: &Job, p: PushPayload, cursor: Option<String>) -> AppResult<Step> {
    let from = UserId(p.from);
    let after = match cursor {
        Some(c) => Some(UserId(c.parse().map_err(|_| AppError::internal("bad console job cursor"))?)),
        None => None,
    };
    let page = users::list_page(&ctx.db, after, PAGE).await?;
    let next = if page.len() == PAGE as usize { page.last().map(|u| u.uid.0.to_string()) } else { None };
    let to: Vec<UserId> = page.iter().filter(|u| !u.disabled && u.uid != from).map(|u| u.uid).collect();
    let body = &p.body;
    let sent = broadcasts::send_copies(ctx, &job.id, from, to, false, |uid| text(job, from, body, uid.0)).await?;
    let done = sent.iter().filter(|ok| **ok).count() as i64;
    Ok(Step { done, failed: sent.len() as i64 - done, next })
}

/// What `/console/updateUser` POST changes; `None` leaves a part as it is.
#[derive(Debug, Default)]
pub struct UserUpdate {
    /// false disables (tokens revoked), true enables (services::console::set_enabled).
    pub enabled: Option<bool>,
    pub edit: Edit,
    /// Canonical password (shared::auth::canonical_password); revokes the user's tokens.
    pub password: Option<String>,
}

/// `/console/updateUser` POST: profile fields through services::profiles (their edit and
/// its aftermath), the password through services::accounts (tokens revoked), status through
/// services::console; each part in its own transaction WITH its own audit entry. Public
/// accounts keep their type; operators' and the built-in accounts' passwords are not
/// changed here.
pub async fn update_user(ctx: &Ctx, op: &Session, route: &str, uid: UserId, u: UserUpdate) -> AppResult<()> {
    if u.enabled.is_none() && u.edit.is_empty() && u.password.is_none() {
        return Err(AppError::missing("nickname"));
    }
    // The account is read only for the rules that need it (status alone: services::console).
    if u.edit.user_type.is_some() || u.password.is_some() {
        let user = users::require(&ctx.db, uid).await?;
        if u.edit.user_type.is_some() && crate::services::ocus::is_public_account(&user) {
            return Err(AppError::forbidden("a public account keeps its type"));
        }
        if u.password.is_some() && (uid == SYSTEM_UID || uid == SERVICE_UID || is_protected(ctx, &user)) {
            return Err(AppError::forbidden("operators and the system accounts change their password themselves"));
        }
    }
    if !u.edit.is_empty() {
        let entry = audit(ctx, op, route, vec![target(uid), "profile".into()]);
        profiles::edit_with(ctx, uid, &u.edit, vec![store::audit::put(&ctx.db, &entry)]).await?;
    }
    if let Some(canonical) = u.password {
        let entry = audit(ctx, op, route, vec![target(uid), "password".into()]);
        accounts::set_password(ctx, uid, canonical, vec![store::audit::put(&ctx.db, &entry)]).await?;
    }
    if let Some(enabled) = u.enabled {
        crate::services::console::set_enabled(ctx, op, route, uid, enabled).await?;
    }
    Ok(())
}
