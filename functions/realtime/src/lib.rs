//! WebSocket API routes (docs/realtime.md): `$connect` checks the token of any
//! dialect (`?access_token=`), `$disconnect` forgets the connection, and JSON
//! frames `{"action": …}` are answered through `@connections`.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use serde_json::Value;
use shared::domain::chat::NewMessage;
use shared::ids::UserId;
use shared::realtime::frames::{self, error_frame};
use shared::realtime::post;
use shared::services::chat::{self, Recall, Target};
use shared::services::presence;
use shared::{AppError, AppResult, Ctx, Params};
use tracing::Instrument;

/// Largest frame accepted from a client (API Gateway's own limit is 128 KB).
pub const MAX_FRAME: usize = 96 * 1024;

fn response(status: i64) -> ApiGatewayProxyResponse {
    let mut r = ApiGatewayProxyResponse::default();
    r.status_code = status;
    r
}

/// One WebSocket invocation (`$connect`, `$disconnect`, or a frame on any route key), with one
/// structured log line `"message":"frame"` (JSON on Lambda, ctx::init_tracing): span
/// `request_id`, `route` (the route key), `connection_id` (not a secret) and `uid` once known;
/// `status` (the `$connect` answer, or 200 / the error frame's code), `ddb_calls`, `ms`, and
/// `error` for 5xx only. Never the token, the frame's body or a message's content.
pub async fn handle(ctx: &Ctx, ev: ApiGatewayWebsocketProxyRequest) -> ApiGatewayProxyResponse {
    let started = std::time::Instant::now();
    let route = ev.request_context.route_key.clone().unwrap_or_else(|| "$default".into());
    let span = tracing::info_span!(
        "frame",
        request_id = ev.request_context.request_id.as_deref().unwrap_or(""),
        route = route.as_str(),
        connection_id = ev.request_context.connection_id.as_deref().unwrap_or(""),
        uid = tracing::field::Empty,
    );
    // Boxed: the route table is one deep future type (rustc's layout query depth otherwise).
    let work = Box::pin(route_event(ctx, &ev, &route)).instrument(span.clone());
    let ((resp, status, error), calls) = shared::metrics::counted(Box::pin(work)).await;
    let ms = started.elapsed().as_millis() as u64;
    if status >= 500 {
        tracing::error!(parent: &span, status, ddb_calls = calls, ms, error, "frame");
    } else {
        tracing::info!(parent: &span, status, ddb_calls = calls, ms, "frame");
    }
    resp
}

/// The answer to API Gateway, the outcome's status and, for a 5xx, its cause.
async fn route_event(
    ctx: &Ctx,
    ev: &ApiGatewayWebsocketProxyRequest,
    route: &str,
) -> (ApiGatewayProxyResponse, u16, Option<String>) {
    let Some(conn) = ev.request_context.connection_id.clone() else {
        return (response(400), 400, None);
    };
    match route {
        "$connect" => match Box::pin(connect(ctx, ev, &conn)).await {
            Ok(()) => (response(200), 200, None),
            Err(AppError::TokenMissing | AppError::TokenInvalid) => (response(401), 401, None),
            Err(e) => {
                tracing::error!(error = %e, "connect failed");
                (response(500), 500, Some(e.to_string()))
            }
        },
        "$disconnect" => {
            if let Err(e) = disconnect(ctx, &conn).await {
                tracing::warn!(error = %e, "disconnect cleanup failed");
                return (response(200), 500, Some(e.to_string()));
            }
            (response(200), 200, None)
        }
        _ => {
            let (reply, status, error) = match frame(ctx, &conn, ev.body.as_deref().unwrap_or("")).await {
                Ok(Some(v)) => (v, 200, None),
                Ok(None) => return (response(200), 200, None),
                Err(e) => {
                    let f = error_frame(&e);
                    let code = f["code"].as_u64().unwrap_or(500) as u16;
                    let cause = (code >= 500).then(|| e.to_string());
                    (f, code, cause)
                }
            };
            post(ctx, &conn, &reply).await;
            (response(200), status, error)
        }
    }
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
    presence::connect(ctx, conn, &token).await
}

async fn disconnect(ctx: &Ctx, conn: &str) -> AppResult<()> {
    presence::disconnect(ctx, conn).await
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
        return Ok(Some(frames::pong(ctx.now_ms())));
    }
    let me = presence::user_of(ctx, conn).await?;
    shared::metrics::record_user(me);
    // `typing` / `read` past the connection's limit: a `429` error frame, nothing done.
    if let Some(e) = presence::throttle(ctx, conn, &action).await? {
        return Ok(Some(frames::throttled_frame(&e, &action)));
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

/// Move the read pointer; when it moved, tell the other side of a 1:1 chat, or the other
/// members of a room with `showRead`: `{"event":"read","conversationId","uid","seq"}`.
async fn read(ctx: &Ctx, me: UserId, p: &Params) -> AppResult<Value> {
    let cid = p.req_str("conversationId")?;
    let seq = presence::read(ctx, me, &cid, || p.i64_in("seq", 0, i64::MAX, 0)).await?;
    Ok(frames::read_ack(&cid, seq))
}

/// Recall for everyone (sender, or an owner/admin of a room): the message becomes a
/// tombstone; `delivery` pushes `{"event":"recall",…}` to every member from the stream.
async fn recall(ctx: &Ctx, me: UserId, p: &Params) -> AppResult<Value> {
    let cid = p.req_str("conversationId")?;
    let m = chat::recall(ctx, me, &cid, || {
        Ok(match (p.i64("seq")?, p.str("messageId")?) {
            (Some(seq), _) => Recall::Seq(seq),
            (None, Some(mid)) => Recall::Id(mid),
            (None, None) => return Err(AppError::missing("seq")),
        })
    })
    .await?;
    Ok(frames::recall_ack(&cid, &m))
}

/// Not stored: `{"event":"typing","conversationId","uid","typing","ts"}` straight to the other
/// members' connections (`typing: false` = stopped).
async fn typing(ctx: &Ctx, me: UserId, p: &Params) -> AppResult<()> {
    let cid = p.req_str("conversationId")?;
    presence::typing(ctx, me, &cid, || {
        Ok(match p.raw("typing") {
            Some(Value::Bool(b)) => *b,
            Some(_) => p.i64("typing")?.unwrap_or(1) != 0,
            None => true,
        })
    })
    .await
}

/// `conversationId`, or `to` (a user id) for a 1:1 chat created on first use.
fn target(p: &Params) -> AppResult<Target> {
    if let Some(cid) = p.str("conversationId")?.or(p.str("roomId")?) {
        return Ok(Target::Conversation(cid));
    }
    Ok(Target::User(UserId::parse("to", &p.req_str("to")?)?))
}

async fn send(ctx: &Ctx, me: UserId, p: &Params) -> AppResult<Value> {
    let cid = chat::resolve(ctx, me, target(p)?).await?;
    let msg = NewMessage {
        sender: me,
        kind: p.i64_in("type", 1, 99, 1)?,
        content: p.req_str("content")?,
        client_id: p.str("messageId")?,
        object_name: None,
    };
    let (m, duplicate) = chat::send(ctx, &cid, msg).await?;
    Ok(frames::send_ack(&cid, &m, duplicate))
}

/// Messages after `seq`, oldest first, one Query per page; `hasMore` asks for another page.
async fn sync(ctx: &Ctx, me: UserId, p: &Params) -> AppResult<Value> {
    let cid = p.req_str("conversationId")?;
    let page =
        chat::sync(ctx, me, &cid, || Ok((p.i64_in("seq", 0, i64::MAX, 0)?, p.i64_in("limit", 1, 200, 100)?))).await?;
    Ok(page.frame(&cid))
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
    let members = chat::memberships(ctx, me, &cids).await?;
    for (cid, after) in &wanted {
        let frame = match members.get(cid) {
            Some(m) => chat::sync_page(ctx, cid, m, *after, limit).await?.frame(cid),
            None => frames::conversation_error_frame(&AppError::not_found(format!("conversation {cid}")), cid),
        };
        post(ctx, conn, &frame).await;
    }
    Ok(frames::sync_ack(wanted.len()))
}
