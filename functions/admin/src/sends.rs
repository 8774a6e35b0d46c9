//! Shiku `/console/*` sends and user edit: `/console/sendMessage`, `/console/pushToAll`
//! (jobs, answered `{jobId}` at once; a `jobId` parameter on either route answers the job's
//! progress `{jobId, status, done, failed}`) and `/console/updateUser` POST
//! (shared::services::console_sends; decisions docs/dialects.md "Shiku console").

use serde_json::json;
use shared::auth::canonical_password;
use shared::dialects::shiku::console::console_user_json;
use shared::domain::jobs::Job;
use shared::domain::users::Edit;
use shared::http::Call;
use shared::ids::UserId;
use shared::services::console_sends::{self, UserUpdate};
use shared::services::profiles::check;
use shared::{AppError, AppResult, Reply};

use crate::console::{idem_key, operator};

fn uid(c: &Call<'_>, name: &str) -> AppResult<UserId> {
    UserId::parse(name, &c.params.req_str(name)?)
}

fn progress_json(j: &Job) -> serde_json::Value {
    json!({"jobId": j.id, "status": j.status.as_str(), "done": j.done, "failed": j.failed})
}

/// `jobId` given: that console job's progress (one GetItem), else None.
async fn progress(c: &Call<'_>) -> AppResult<Option<Reply>> {
    let Some(id) = c.params.str("jobId")? else { return Ok(None) };
    let job = console_sends::progress(c.ctx, &id).await?;
    Ok(Some(Reply::data(progress_json(&job))))
}

/// from, to (user ids), body (text), count (1–100), header `Idempotency-Key` (optional; a
/// replay answers the first job's progress) → `{jobId}`; or jobId → progress.
pub async fn send_message(c: &Call<'_>) -> AppResult<Reply> {
    let op = operator(c).await?;
    if let Some(r) = progress(c).await? {
        return Ok(r);
    }
    let (from, to) = (uid(c, "from")?, uid(c, "to")?);
    let body = c.params.req_str("body")?;
    let count = c.params.req_i64("count")?;
    let idem = idem_key(c, &op)?;
    let job = console_sends::send_message(c.ctx, &op, &c.route, idem.as_ref(), from, to, body, count).await?;
    Ok(Reply::data(progress_json(&job)))
}

/// fromUserId, body, header `Idempotency-Key` (optional, as sendMessage) → `{jobId}`; or
/// jobId (GET or POST) → progress.
pub async fn push_to_all(c: &Call<'_>) -> AppResult<Reply> {
    let op = operator(c).await?;
    if let Some(r) = progress(c).await? {
        return Ok(r);
    }
    if c.method == http::Method::GET {
        return Err(AppError::missing("jobId"));
    }
    let from = uid(c, "fromUserId")?;
    let body = c.params.req_str("body")?;
    let idem = idem_key(c, &op)?;
    let job = console_sends::push_to_all(c.ctx, &op, &c.route, idem.as_ref(), from, body).await?;
    Ok(Reply::data(progress_json(&job)))
}

/// POST userId and any of status (0/1), nickname, description, sex (0/1), birthday
/// (seconds), userType (0/1: ordinary), password (md5 as Shiku clients send it, or plain)
/// → the account as the console lists it. None given: missing-param error.
pub async fn update_user(c: &Call<'_>) -> AppResult<Reply> {
    let op = operator(c).await?;
    let p = &c.params;
    let uid = uid(c, "userId")?;
    let enabled = match p.i64("status")? {
        None => None,
        Some(s @ (0 | 1)) => Some(s == 1),
        Some(_) => return Err(AppError::invalid("status", "must be 0 or 1")),
    };
    let user_type = match p.i64("userType")? {
        None => None,
        Some(0 | 1) => Some(1),
        Some(_) => return Err(AppError::invalid("userType", "must be 0 or 1 (public accounts are made through /mp)")),
    };
    let edit = Edit {
        nickname: check::nickname("nickname", p.str("nickname")?, check::NICKNAME_MAX)?,
        description: check::nickname("description", p.str("description")?, check::DESCRIPTION_MAX)?,
        sex: check::sex("sex", p.i64("sex")?)?,
        birthday: check::birthday("birthday", p.i64("birthday")?, c.ctx.now_secs())?,
        user_type,
        ..Default::default()
    };
    let password = match p.str("password")? {
        Some(pw) => Some(canonical_password(c.dialect, &pw)?),
        None => None,
    };
    if enabled.is_none() && edit.is_empty() && password.is_none() {
        return Err(AppError::missing("status"));
    }
    console_sends::update_user(c.ctx, &op, &c.route, uid, UserUpdate { enabled, edit, password }).await?;
    let user = shared::services::console::user(c.ctx, uid).await?;
    let online = shared::services::profiles::online(c.ctx, uid).await?;
    Ok(Reply::data(console_user_json(&user, online, c.ctx.now_secs())))
}
