//! WebSocket API routes (docs/realtime.md): `$connect` checks the token of any
//! dialect (`?access_token=`), `$disconnect` forgets the connection, and JSON
//! frames `{"action": …}` are answered through `@connections`.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use serde_json::{json, Value};
use shared::ids::UserId;
use shared::realtime::{message_frame, post};
use shared::store::conversations::{self as convs, NewMessage};
use shared::store::{connections, tokens};
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
        "$connect" => match connect(ctx, &ev, &conn).await {
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
    let sess = tokens::resolve(&ctx.db, ctx.now_secs(), &token).await?;
    connections::connect(&ctx.db, ctx.now_secs(), conn, sess.uid).await
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
    match action.as_str() {
        "send" => send(ctx, me, &p).await.map(Some),
        "sync" => sync(ctx, me, &p).await.map(Some),
        "read" => {
            let cid = p.req_str("conversationId")?;
            convs::require_member(&ctx.db, &cid, me).await?;
            let seq = p.req_i64("seq")?;
            convs::mark_read(&ctx.db, &cid, me, seq).await?;
            Ok(Some(json!({"event": "ack", "action": "read", "conversationId": cid, "seq": seq})))
        }
        other => Err(AppError::invalid("action", format!("unknown action {other}"))),
    }
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
    let (m, duplicate) = convs::send(&ctx.db, ctx.now_ms(), &cid, msg).await?;
    Ok(
        json!({"event": "ack", "action": "send", "conversationId": cid, "messageId": m.id, "seq": m.seq, "ts": m.ts, "duplicate": duplicate}),
    )
}

/// Messages after `seq`, oldest first, one Query per page; `hasMore` asks for another page.
async fn sync(ctx: &Ctx, me: UserId, p: &Params) -> AppResult<Value> {
    let cid = p.req_str("conversationId")?;
    convs::require_member(&ctx.db, &cid, me).await?;
    let after = p.i64_in("seq", 0, i64::MAX, 0)?;
    let limit = p.i64_in("limit", 1, 200, 100)?;
    let msgs = convs::history(&ctx.db, &cid, None, Some(after), limit as i32 + 1).await?;
    let has_more = msgs.len() > limit as usize;
    let frames: Vec<Value> = msgs.iter().take(limit as usize).map(message_frame).collect();
    Ok(json!({"event": "sync", "conversationId": cid, "messages": frames, "hasMore": has_more}))
}
