//! Minxing `POST /api/v1/mails`, `GET /api/v1/mails/{mail_id}` (docs/dialects.md "Minxing" →
//! "Mail").

use lambda_http::request::RequestContext;
use lambda_http::RequestExt;
use serde_json::Value;
use shared::dialects::minxing::mail::mail_json;
use shared::domain::mail::{Addr, Draft};
use shared::http::Call;
use shared::services::{files, mail};
use shared::{AppError, AppResult, Reply};

/// This deployment's API base (attachments' stable URLs are `<base>/files/<fid>`).
fn base(c: &Call<'_>) -> String {
    let domain = match c.req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(rc)) => rc.domain_name.clone(),
        _ => None,
    };
    files::api_base(c.ctx, domain.as_deref())
}

/// Recipients from a user-id list (`to_user_ids`) and a list of ids or login names (`to`).
fn addrs(c: &Call<'_>, ids: &str, names: &str) -> AppResult<Vec<Addr>> {
    let mut out = vec![];
    for raw in c.params.list(ids)? {
        out.push(Addr::parse_id(ids, &raw)?);
        if out.len() > mail::MAX_RECIPIENTS {
            return Err(AppError::invalid(ids, format!("at most {} recipients", mail::MAX_RECIPIENTS)));
        }
    }
    for raw in c.params.list(names)? {
        out.push(Addr::parse(names, &raw)?);
        if out.len() > mail::MAX_RECIPIENTS {
            return Err(AppError::invalid(names, format!("at most {} recipients", mail::MAX_RECIPIENTS)));
        }
    }
    Ok(out)
}

/// Text as sent (not trimmed: a mail body keeps its spacing); absent or null = empty.
fn text(c: &Call<'_>, name: &str) -> AppResult<String> {
    match c.params.raw(name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(AppError::invalid(name, "must be a string")),
    }
}

/// `POST /api/v1/mails`: `to_user_ids` and/or `to` (ids or login names: username, email),
/// `cc_user_ids` / `cc`, `subject` (≤ 200 characters), `body` (≤ 100 KB), `attachment_ids`
/// (≤ 10 of my files), `client_id`. 201 with the mail; 200 with the first mail for a resend
/// of the same `client_id`.
pub async fn send(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let attachment_ids = c.params.list("attachment_ids")?;
    if attachment_ids.len() > mail::MAX_ATTACHMENTS {
        return Err(AppError::invalid("attachment_ids", format!("at most {} files", mail::MAX_ATTACHMENTS)));
    }
    let d = Draft {
        to: addrs(c, "to_user_ids", "to")?,
        cc: addrs(c, "cc_user_ids", "cc")?,
        subject: text(c, "subject")?,
        body: text(c, "body")?,
        attachment_ids,
        client_id: c.params.str("client_id")?,
    };
    let (shown, new) = mail::send(c.ctx, me, d).await?;
    Ok(Reply::data(mail_json(&base(c), &shown)).status(if new { 201 } else { 200 }))
}

/// `GET /api/v1/mails/{mail_id}`: sender or recipients only (others 404); marks it read for a
/// recipient.
pub async fn get(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let id = c.path_param("mail_id")?;
    let shown = mail::open(c.ctx, me, &id).await?;
    Ok(Reply::data(mail_json(&base(c), &shown)))
}
