//! WebSocket API routes (docs/realtime.md): `$connect` checks the token of any
//! dialect (`?access_token=`), `$disconnect` forgets the connection, and JSON
//! frames `{"action": …}` are answered through `@connections`.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use serde_json::{json, Value};
use shared::ids::UserId;
use shared::realtime::{message_frame_within, post, push_to_members, MAX_WS_MESSAGE};
use shared::store::conversations::{self as convs, NewMessage};
use shared::store::{connections, messages, tokens};
use shared::{AppError, AppResult, Ctx, Params};

/// Largest frame accepted from a client (API Gateway's own limit is 128 KB).
pub const MAX_FRAME: usize = 96 * 1024;

fn response(status: i64) -> ApiGatewayProxyResponse {
    let mut r = ApiGatewayProxyResponse::default();
    r.status_code = status;
    r
}

pub async fn handle(ctx: &Ctx, ev: ApiGatewayWebsocketProxyRequest) -> ApiGatewayProxyResponse {
    let route = ev.request_context.route_key.clone().unwrap_or_else(|| "$default".into());
    let Some(conn) = ev.request_context.connection_id.clone() else {
        return response(400);
    };
    match route.as_str() {
        "$connect" => match Box::pin(connect(ctx, &ev, &conn)).await {
            Ok(()) => response(200),
            Err(AppError::TokenMissing | AppError::TokenInvalid) => response(401),
            Err(e) => {
                tracing::error!(error = %e, "connect failed");
                response(500)
            }
        },
        "$disconnect" => {
            if let Err(e) = disconnect(ctx, &conn).await {
                tracing::warn!(error = %e, "disconnect cleanup failed");
            }
            response(200)
        }
        _ => {
            let reply = match frame(ctx, &conn, ev.body.as_deref().unwrap_or("")).await {
                Ok(Some(v)) => v,
                Ok(None) => return response(200),
                Err(e) => error_frame(&e),
            };
            post(ctx, &conn, &reply).await;
            response(200)
        }
    }
}

fn error_frame(e: &AppError) -> Value {
    let code = match e {
        AppError::TokenMissing | AppError::TokenInvalid => 401,
        AppError::Forbidden(_) => 403,
        AppError::NotFound(_) | AppError::RouteNotFound(_) => 404,
        AppError::RateLimited(_) => 429,
        AppError::Internal(_) => 500,
        _ => 400,
    };
    json!({"event": "error", "code": code, "message": e.to_string()})
}

async fn connect(ctx: &Ctx, ev: &ApiGatewayWebsocketProxyRequest, conn: &str) -> AppResult<()> {
    let token = ev
        .query_string_parameters
        .first("access_token")
        .map(str::to_string)
        .or_else(|| {
            let h = ev.headers.get("authorization")?.to_str().ok()?;
            h.strip_prefix("Bearer ").map(str::to_string)
        })
        .ok_or(AppError::TokenMissing)?;
    // Access tokens only: a Minxing refresh token opens nothing but /oauth2/token.
    let sess = tokens::resolve_access(&ctx.db, ctx.now_secs(), &token).await?;
    connections::connect_session(&ctx.db, ctx.now_secs(), conn, sess.uid, Some(&sess.hash)).await?;
    // A logout racing this connect may have read the user's connections before ours was
    // written: look at the token again now that the record exists (one GetItem).
    if tokens::lookup(&ctx.db, ctx.now_secs(), &sess.hash).await?.is_none() {
        connections::remove(&ctx.db, conn, sess.uid).await?;
        return Err(AppError::TokenInvalid);
    }
    Ok(())
}

async fn disconnect(ctx: &Ctx, conn: &str) -> AppResult<()> {
    if let Some(uid) = connections::user_of(&ctx.db, ctx.now_secs(), conn).await? {
        connections::remove(&ctx.db, conn, uid).await?;
    }
    Ok(())
}

/// One client frame → the frame to send back (None: nothing to say).
async fn frame(ctx: &Ctx, conn: &str, body: &str) -> AppResult<Option<Value>> {
    if body.len() > MAX_FRAME {
        return Err(AppError::PayloadTooLarge(MAX_FRAME));
    }
    let v: Value = serde_json::from_str(body).map_err(|_| AppError::invalid("frame", "must be a JSON object"))?;
    let Value::Object(map) = v else {
        return Err(AppError::invalid("frame", "must be a JSON object"));
    };
    let p = Params::from_map(map);
    let action = p.req_str("action")?;
    if action == "ping" {
        return Ok(Some(json!({"event": "pong", "ts": ctx.now_ms()})));
    }
    let me = connections::user_of(&ctx.db, ctx.now_secs(), conn).await?.ok_or(AppError::TokenInvalid)?;
    if let Some(refused) = throttle(ctx, conn, &action).await? {
        return Ok(Some(refused));
    }
    match action.as_str() {
        "send" => send(ctx, me, &p).await.map(Some),
        "sync" if p.raw("conversations").is_some() => sync_many(ctx, conn, me, &p).await.map(Some),
        "sync" => sync(ctx, me, &p).await.map(Some),
        "read" => read(ctx, me, &p).await.map(Some),
        "recall" => recall(ctx, me, &p).await.map(Some),
        "typing" => typing(ctx, me, &p).await.map(|_| None),
        other => Err(AppError::invalid("action", format!("unknown action {other}"))),
    }
}

/// Frames a connection may send per [`FRAME_WINDOW_SECS`]: cheap to send, fanned out to others.
const FRAME_LIMITS: [(&str, i64); 2] = [("typing", 5), ("read", 20)];
const FRAME_WINDOW_SECS: i64 = 10;

/// `typing` / `read` past the connection's limit: the `429` error frame to answer (nothing is
/// done or fanned out). One conditional UpdateItem (store/connections.rs `frame_allowed`).
async fn throttle(ctx: &Ctx, conn: &str, action: &str) -> AppResult<Option<Value>> {
    let Some((kind, max)) = FRAME_LIMITS.into_iter().find(|(k, _)| *k == action) else {
        return Ok(None);
    };
    if connections::frame_allowed(&ctx.db, ctx.now_secs(), conn, kind, max, FRAME_WINDOW_SECS).await? {
        return Ok(None);
    }
    let e = AppError::RateLimited(format!("at most {max} {kind} frames per {FRAME_WINDOW_SECS} s"));
    let mut f = error_frame(&e);
    f["action"] = json!(kind);
    Ok(Some(f))
}

/// Move the read pointer; when it moved, tell the other side of a 1:1 chat, or the other
/// members of a room with `showRead`: `{"event":"read","conversationId","uid","seq"}`.
async fn read(ctx: &Ctx, me: UserId, p: &Params) -> AppResult<Value> {
    let cid = p.req_str("conversationId")?;
    convs::require_member(&ctx.db, &cid, me).await?;
    let seq = p.i64_in("seq", 0, i64::MAX, 0)?;
    let moved = convs::mark_read(&ctx.db, &cid, me, seq).await?;
    if moved {
        let tell = if convs::single_peer(&cid, me).is_some() {
            true
        } else {
            convs::get(&ctx.db, &cid).await?.is_some_and(|c| c.show_read)
        };
        if tell {
            let frame = json!({"event": "read", "conversationId": cid, "uid": me.0, "seq": seq});
            push_to_members(ctx, &cid, me, &frame).await?;
        }
    }
    Ok(json!({"event": "ack", "action": "read", "conversationId": cid, "seq": seq}))
}

/// Recall for everyone (sender, or an owner/admin of a room): the message becomes a
/// tombstone; `delivery` pushes `{"event":"recall",…}` to every member from the stream.
async fn recall(ctx: &Ctx, me: UserId, p: &Params) -> AppResult<Value> {
    let cid = p.req_str("conversationId")?;
    let member = convs::require_member(&ctx.db, &cid, me).await?;
    let seq = match (p.i64("seq")?, p.str("messageId")?) {
        (Some(seq), _) => seq,
        (None, Some(mid)) => {
            let m = messages::by_id(&ctx.db, &mid).await?.filter(|m| m.conversation_id == cid);
            m.ok_or_else(|| AppError::not_found(format!("message {mid}")))?.seq
        }
        (None, None) => return Err(AppError::missing("seq")),
    };
    let admin = member.is_admin() && convs::single_peer(&cid, me).is_none();
    let m = convs::recall(&ctx.db, ctx.now_ms(), &cid, seq, me, admin).await?;
    Ok(json!({"event": "ack", "action": "recall", "conversationId": cid, "seq": m.seq, "messageId": m.id}))
}

/// Not stored: `{"event":"typing","conversationId","uid","typing","ts"}` straight to the other
/// members' connections (`typing: false` = stopped).
async fn typing(ctx: &Ctx, me: UserId, p: &Params) -> AppResult<()> {
    let cid = p.req_str("conversationId")?;
    convs::require_member(&ctx.db, &cid, me).await?;
    let on = match p.raw("typing") {
        Some(Value::Bool(b)) => *b,
        Some(_) => p.i64("typing")?.unwrap_or(1) != 0,
        None => true,
    };
    let frame = json!({"event": "typing", "conversationId": cid, "uid": me.0, "typing": on, "ts": ctx.now_ms()});
    push_to_members(ctx, &cid, me, &frame).await?;
    Ok(())
}

/// `conversationId`, or `to` (a user id) for a 1:1 chat created on first use.
async fn target(ctx: &Ctx, me: UserId, p: &Params) -> AppResult<String> {
    if let Some(cid) = p.str("conversationId")?.or(p.str("roomId")?) {
        return Ok(cid);
    }
    let to = UserId::parse("to", &p.req_str("to")?)?;
    shared::store::users::require(&ctx.db, to).await?;
    Ok(convs::ensure_single(&ctx.db, ctx.now_ms(), me, to).await?.id)
}

async fn send(ctx: &Ctx, me: UserId, p: &Params) -> AppResult<Value> {
    let cid = target(ctx, me, p).await?;
    let msg = NewMessage {
        sender: me,
        kind: p.i64_in("type", 1, 99, 1)?,
        content: p.req_str("content")?,
        client_id: p.str("messageId")?,
        object_name: None,
    };
    let (m, duplicate) = messages::send(&ctx.db, ctx.now_ms(), &cid, msg).await?;
    Ok(
        json!({"event": "ack", "action": "send", "conversationId": cid, "messageId": m.id, "seq": m.seq, "ts": m.ts, "duplicate": duplicate}),
    )
}

/// Messages after `seq`, oldest first, one Query per page; `hasMore` asks for another page.
async fn sync(ctx: &Ctx, me: UserId, p: &Params) -> AppResult<Value> {
    let cid = p.req_str("conversationId")?;
    let member = convs::require_member(&ctx.db, &cid, me).await?;
    let after = p.i64_in("seq", 0, i64::MAX, 0)?;
    let limit = p.i64_in("limit", 1, 200, 100)?;
    sync_page(ctx, &cid, &member, after, limit).await
}

/// One page of a conversation after `after`. Recalled messages come as tombstones
/// (`recalled: true`, empty content); messages the member deleted for themselves are left
/// out, so `nextSeq` (the last seq looked at) is where the next page starts. The page also
/// stops early when the frame would exceed one WebSocket message ([`MAX_WS_MESSAGE`]):
/// `hasMore` then is true and `nextSeq` is the last message in it.
async fn sync_page(ctx: &Ctx, cid: &str, member: &convs::Member, after: i64, limit: i64) -> AppResult<Value> {
    let mut msgs = messages::history(&ctx.db, cid, None, Some(after), limit as i32 + 1).await?;
    let mut has_more = msgs.len() > limit as usize;
    msgs.truncate(limit as usize);
    let mut next = msgs.last().map(|m| m.seq).unwrap_or(after);
    let msgs = convs::visible_to(&ctx.db, cid, member, msgs).await?;
    // The envelope at its longest (hasMore false, a 19-digit nextSeq), then the frames.
    let envelope =
        json!({"event": "sync", "conversationId": cid, "messages": [], "hasMore": false, "nextSeq": i64::MAX});
    let budget = MAX_WS_MESSAGE.saturating_sub(envelope.to_string().len());
    let (mut frames, mut used) = (Vec::with_capacity(msgs.len()), 0);
    for m in &msgs {
        // A message too big for a frame of its own comes marked `tooLarge`, so the page moves on.
        let (f, len) = message_frame_within(m, budget);
        let len = len + usize::from(!frames.is_empty());
        if used + len > budget {
            has_more = true;
            next = frames.last().and_then(|f: &Value| f["seq"].as_i64()).unwrap_or(after);
            break;
        }
        used += len;
        frames.push(f);
    }
    Ok(json!({"event": "sync", "conversationId": cid, "messages": frames, "hasMore": has_more, "nextSeq": next}))
}

/// Largest number of conversations one multi-sync frame may name (one BatchGetItem).
pub const MAX_SYNC_CONVERSATIONS: usize = 100;

/// `{"action":"sync","conversations":{"<cid>":<lastSeq>,…},"limit"}`: one `sync` frame per
/// conversation (a page each; `hasMore` → sync that one again), posted in turn, then an ack.
/// Unknown or foreign conversations get an `error` frame (404) naming them.
/// Calls: one BatchGetItem for the memberships, one Query per conversation page.
async fn sync_many(ctx: &Ctx, conn: &str, me: UserId, p: &Params) -> AppResult<Value> {
    let Some(Value::Object(map)) = p.raw("conversations") else {
        return Err(AppError::invalid("conversations", "must be an object {conversationId: lastSeq}"));
    };
    if map.len() > MAX_SYNC_CONVERSATIONS {
        return Err(AppError::invalid("conversations", format!("at most {MAX_SYNC_CONVERSATIONS}")));
    }
    let mut wanted = Vec::with_capacity(map.len());
    for (cid, seq) in map {
        let seq = seq.as_i64().filter(|s| *s >= 0).ok_or_else(|| {
            AppError::invalid("conversations", format!("{cid}: last seq must be a non-negative integer"))
        })?;
        wanted.push((cid.clone(), seq));
    }
    let limit = p.i64_in("limit", 1, 200, 100)?;
    let cids: Vec<String> = wanted.iter().map(|(c, _)| c.clone()).collect();
    let members = convs::memberships(&ctx.db, me, &cids).await?;
    for (cid, after) in &wanted {
        let frame = match members.get(cid) {
            Some(m) => sync_page(ctx, cid, m, *after, limit).await?,
            None => {
                let e = AppError::not_found(format!("conversation {cid}"));
                let mut f = error_frame(&e);
                f["conversationId"] = json!(cid);
                f
            }
        };
        post(ctx, conn, &frame).await;
    }
    Ok(json!({"event": "ack", "action": "sync", "conversations": wanted.len()}))
}
