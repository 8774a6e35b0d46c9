//! SealTalk `/sealtalk/misc/*` messaging: the server-API send and the screen-capture
//! notification (`ST:ConNtf`). Messages carry their RongCloud `objectName`.

use serde_json::{json, Value};
use shared::domain::chat::NewMessage;
use shared::http::Call;
use shared::ids::UserId;
use shared::services::chat;
use shared::{AppError, AppResult, Reply};

/// Shiku message type of a RongCloud object name (history in the other dialects shows it).
pub fn kind_of(object_name: &str) -> i64 {
    match object_name {
        "RC:TxtMsg" => 1,
        "RC:ImgMsg" => 2,
        "RC:VcMsg" | "RC:HQVCMsg" => 3,
        "RC:LBSMsg" => 4,
        "RC:GIFMsg" => 5,
        "RC:SightMsg" => 6,
        "RC:CardMsg" => 8,
        "RC:FileMsg" => 9,
        _ => 10,
    }
}

/// Message kinds a client may send through `/misc/send_message` (RongCloud content messages);
/// notifications and commands (`RC:GrpNtf`, `RC:RcCmd`, `ST:ConNtf`, `XX:Notify`, …) come only
/// from the server.
const CLIENT_KINDS: &[&str] = &[
    "RC:TxtMsg",
    "RC:ImgMsg",
    "RC:VcMsg",
    "RC:HQVCMsg",
    "RC:FileMsg",
    "RC:LBSMsg",
    "RC:SightMsg",
    "RC:GIFMsg",
    "RC:CardMsg",
    "RC:ReferenceMsg",
    "RC:CombineMsg",
    "RC:ImgTextMsg",
];

/// `content` as stored: text as given, a JSON object/array as its JSON text.
fn content(c: &Call<'_>) -> AppResult<String> {
    match c.params.raw("content") {
        Some(Value::Object(_) | Value::Array(_)) => {
            Ok(c.params.raw("content").map(Value::to_string).unwrap_or_default())
        }
        _ => c.params.req_str("content"),
    }
}

/// `POST /misc/send_message` (`conversationType` PRIVATE|GROUP, `targetId`, `objectName`,
/// `content`, `pushContent`): PRIVATE only to a friend, GROUP only by a member, any other
/// type: 403 — as the original. `pushContent` is not kept (push jobs use the content).
pub async fn send_message(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    // Absent: the original's "Unsupported conversation type." (403, misc.coffee:143-144).
    let ctype = c.params.str("conversationType")?.unwrap_or_default();
    let target = c.params.req_str("targetId")?;
    let object_name = c.params.req_str("objectName")?;
    if !CLIENT_KINDS.contains(&object_name.as_str()) {
        return Err(AppError::invalid("objectName", format!("one of {}", CLIENT_KINDS.join(", "))));
    }
    let text = content(c)?;
    let cid = match ctype.as_str() {
        "PRIVATE" => {
            let to = UserId::parse("targetId", &target)?;
            chat::friend_chat(c.ctx, me, to).await?
        }
        "GROUP" => chat::group_chat(c.ctx, me, target).await?,
        _ => return Err(AppError::forbidden("unknown conversation type; PRIVATE or GROUP")),
    };
    let msg = NewMessage {
        sender: me,
        kind: kind_of(&object_name),
        content: text,
        client_id: None,
        object_name: Some(object_name),
    };
    chat::send(c.ctx, &cid, msg).await?;
    Ok(Reply::empty())
}

/// The conversation of `conversationType` 1 (private, created on first use) or 3 (group,
/// members only); others are invalid.
async fn screen_conversation(c: &Call<'_>, me: UserId, create: bool) -> AppResult<Option<String>> {
    let ctype = c.params.req_i64("conversationType")?;
    let target = c.params.req_str("targetId")?;
    match ctype {
        1 => {
            let to = UserId::parse("targetId", &target)?;
            chat::private_chat(c.ctx, me, to, create).await
        }
        3 => {
            chat::require_member(c.ctx, &target, me).await?;
            Ok(Some(target))
        }
        _ => Err(AppError::invalid("conversationType", "1 (private) or 3 (group)")),
    }
}

/// An `ST:ConNtf` notification message from the caller into the conversation.
async fn con_ntf(c: &Call<'_>, me: UserId, cid: &str, operation: &str) -> AppResult<()> {
    let body = json!({"operatorUserId": me.to_string(), "operation": operation});
    let msg = NewMessage {
        sender: me,
        kind: 10,
        content: body.to_string(),
        client_id: None,
        object_name: Some("ST:ConNtf".into()),
    };
    chat::send(c.ctx, cid, msg).await?;
    Ok(())
}

/// `POST /misc/set_screen_capture` (`conversationType` 1|3, `targetId`, `noticeStatus` 0|1):
/// one state per conversation (both sides of a private chat see it), then an `ST:ConNtf`
/// `openScreenNtf` / `closeScreenNtf` message so the other side learns it.
pub async fn set_screen_capture(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let status = c.params.req_i64("noticeStatus")?;
    if status != 0 && status != 1 {
        return Err(AppError::invalid("noticeStatus", "0 (off) or 1 (on)"));
    }
    let cid = screen_conversation(c, me, true).await?.ok_or_else(|| AppError::internal("no conversation"))?;
    chat::set_screen_capture(c.ctx, &cid, status).await?;
    con_ntf(c, me, &cid, if status == 1 { "openScreenNtf" } else { "closeScreenNtf" }).await?;
    Ok(Reply::empty())
}

/// `POST /misc/get_screen_capture` → `{status}` (0 for a private chat never started).
pub async fn get_screen_capture(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let status = match screen_conversation(c, me, false).await? {
        Some(cid) => chat::screen_capture(c.ctx, &cid).await?,
        None => 0,
    };
    Ok(Reply::data(json!({"status": status})))
}

/// `POST /misc/send_sc_msg`: tell the conversation the caller took a screenshot (`sendScreenNtf`).
pub async fn send_sc_msg(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = screen_conversation(c, me, true).await?.ok_or_else(|| AppError::internal("no conversation"))?;
    con_ntf(c, me, &cid, "sendScreenNtf").await?;
    Ok(Reply::empty())
}

#[cfg(test)]
mod tests {
    #[test]
    fn object_names_map_to_shiku_types() {
        assert_eq!(super::kind_of("RC:TxtMsg"), 1);
        assert_eq!(super::kind_of("RC:ImgMsg"), 2);
        assert_eq!(super::kind_of("ST:ConNtf"), 10);
    }
}
