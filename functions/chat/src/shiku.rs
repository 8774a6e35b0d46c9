//! Shiku `/tigase/*` history: records shaped like the Tigase message archive
//! (`_id`, `body`, `sender`, `receiver`, `ts`, `type`, …).

use serde_json::{json, Value};
use shared::http::Call;
use shared::ids::UserId;
use shared::store::conversations::{self as convs, Kind, Message};
use shared::{AppError, AppResult, Reply};

fn record(m: &Message, receiver: Option<UserId>) -> Value {
    let body = if m.recalled { "" } else { m.content.as_str() };
    let mut r = json!({
        "_id": m.id,
        "messageId": m.id,
        "body": body,
        "content": body,
        "message": "",
        "direction": 0,
        "sender": m.sender.0,
        "fromUserId": m.sender.0,
        "sender_jid": format!("{}@im", m.sender.0),
        "ts": m.ts,
        "timeSend": m.ts / 1000,
        "type": m.kind,
        "contentType": m.kind,
        "seq": m.seq,
        "isRecall": i32::from(m.recalled),
    });
    match receiver {
        Some(to) => {
            r["receiver"] = json!(to.0);
            r["toUserId"] = json!(to.0);
            r["receiver_jid"] = json!(format!("{}@im", to.0));
        }
        None => {
            r["room_jid_id"] = json!(m.conversation_id);
            r["room_jid"] = json!(format!("{}@muc.im", m.conversation_id));
            r["event_type"] = json!(1);
        }
    }
    r
}

/// pageIndex/pageSize over a dense seq range: one Query whatever the page.
async fn page(c: &Call<'_>, cid: &str, last_seq: i64, default_size: i64) -> AppResult<Vec<Message>> {
    let size = c.params.i64_in("pageSize", 1, 500, default_size)?;
    let index = c.params.i64_in("pageIndex", 0, 1_000_000, 0)?;
    let before = last_seq - index * size + 1;
    if before <= 1 {
        return Ok(vec![]);
    }
    let mut msgs = convs::history(&c.ctx.db, cid, Some(before), None, size as i32).await?;
    // startTime/endTime are seconds.
    let start = c.params.i64("startTime")?.filter(|t| *t > 0).map(|t| t * 1000);
    let end = c.params.i64("endTime")?.filter(|t| *t > 0).map(|t| t * 1000);
    msgs.retain(|m| start.is_none_or(|s| m.ts >= s) && end.is_none_or(|e| m.ts <= e));
    Ok(msgs)
}

pub async fn single_history(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let other = UserId::parse("receiver", &c.params.req_str("receiver")?)?;
    // The id is derived from both users, so the caller is a member by construction.
    let cid = convs::single_id(me, other);
    let Some(conv) = convs::get(&c.ctx.db, &cid).await? else {
        return Ok(Reply::data(json!([])));
    };
    let msgs = page(c, &cid, conv.last_seq, 50).await?;
    let out: Vec<Value> = msgs.iter().map(|m| record(m, Some(if m.sender == me { other } else { me }))).collect();
    Ok(Reply::data(Value::Array(out)))
}

pub async fn room_history(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let room = c.params.req_str("roomId")?;
    convs::require_member(&c.ctx.db, &room, me).await?;
    let conv = convs::get(&c.ctx.db, &room).await?.ok_or_else(|| AppError::not_found(format!("room {room}")))?;
    let msgs = page(c, &room, conv.last_seq, 20).await?;
    Ok(Reply::data(msgs.iter().map(|m| record(m, None)).collect()))
}

pub async fn get_message(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let mid = c.params.req_str("messageId")?;
    let m = convs::by_id(&c.ctx.db, &mid).await?.ok_or_else(|| AppError::not_found(format!("message {mid}")))?;
    // Same answer for "no such message" and "not yours": ids are not probeable.
    convs::member(&c.ctx.db, &m.conversation_id, me)
        .await?
        .ok_or_else(|| AppError::not_found(format!("message {mid}")))?;
    let receiver = single_peer(&m.conversation_id, m.sender);
    let mut r = record(&m, receiver);
    r["type"] = json!(if receiver.is_some() { 1 } else { 2 });
    Ok(Reply::data(r))
}

fn single_peer(cid: &str, sender: UserId) -> Option<UserId> {
    let rest = cid.strip_prefix("s_")?;
    let (a, b) = rest.split_once('_')?;
    let (a, b) = (UserId(a.parse().ok()?), UserId(b.parse().ok()?));
    Some(if sender == a { b } else { a })
}

/// Recent chats for the home screen: one entry per conversation with its last message.
pub async fn last_chat_list(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let mut list = convs::of_user(&c.ctx.db, me).await?;
    list.retain(|(conv, _)| conv.last_seq > 0);
    list.sort_by_key(|(conv, _)| std::cmp::Reverse(conv.last_ts));
    let out: Vec<Value> = list
        .iter()
        .map(|(conv, m)| {
            let is_room = conv.kind == Kind::Group;
            let peer = conv.pair.iter().copied().find(|u| *u != me).unwrap_or(me);
            json!({
                "jid": if is_room { conv.id.clone() } else { peer.0.to_string() },
                "isRoom": i32::from(is_room),
                "roomId": if is_room { json!(conv.id) } else { Value::Null },
                "toUserName": conv.name,
                "content": conv.last_preview,
                "fromUserId": conv.last_sender.map(|u| u.0),
                "timeSend": conv.last_ts / 1000,
                "seq": conv.last_seq,
                "msgNum": (conv.last_seq - m.read_seq).max(0),
            })
        })
        .collect();
    Ok(Reply::data(Value::Array(out)))
}
