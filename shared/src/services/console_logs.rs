//! The operator console's message logs (`/console/chat_logs_all`, `/console/groupchat_logs_all`
//! and their `/del`): read a person's, a pair's or a room's messages in a time window; delete
//! them through the chat recall rule (services::chat::recall_as_operator: tombstones, members'
//! sockets hear `recall`). Never a table-wide read: a scope is always named.
//! Decisions: docs/dialects.md "Shiku console: message logs".

use crate::domain::chat::{is_group, single_id, single_peer, valid_id, Kind, Message};
use crate::domain::sessions::Session;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::services::operators::audit;
pub use crate::store::console_logs::Window;
use crate::store::console_logs::{live_in_window, put_audit};
use crate::store::{conversations as convs, messages, users};
use crate::Ctx;
use futures_util::{stream, StreamExt, TryStreamExt};

/// Messages one `/del` call tombstones at most; `more` tells the caller to call again.
pub const DELETE_LIMIT: usize = 1000;
/// Conversations of one person a call looks into (their newest by last message).
pub const MAX_CONVERSATIONS: usize = 50;
/// Items evaluated beyond the wanted ones before a read stops (a window far behind the
/// newest messages): the page then ends early with `more`.
const EXTRA_EVAL: usize = 2000;
/// Tombstones written at once.
const PARALLEL: usize = 8;

/// Whose messages.
#[derive(Debug, Clone)]
pub enum Scope {
    /// The 1:1 conversation of two people (both directions).
    Pair(UserId, UserId),
    /// Every 1:1 conversation of one person (the newest [`MAX_CONVERSATIONS`]).
    User(UserId),
    /// A room (its conversation id).
    Room(String),
}

impl Scope {
    /// The scope of sender/receiver: one of them required (never a table-wide read).
    pub fn people(sender: Option<UserId>, receiver: Option<UserId>) -> AppResult<Scope> {
        match (sender, receiver) {
            (Some(a), Some(b)) if a == b => Err(AppError::invalid("receiver", "must differ from sender")),
            (Some(a), Some(b)) => Ok(Scope::Pair(a, b)),
            (Some(u), None) | (None, Some(u)) => Ok(Scope::User(u)),
            (None, None) => Err(AppError::missing("sender")),
        }
    }

    fn targets(&self) -> Vec<String> {
        match self {
            Scope::Pair(a, b) => vec![format!("user:{a}"), format!("user:{b}")],
            Scope::User(u) => vec![format!("user:{u}")],
            Scope::Room(r) => vec![format!("room:{r}")],
        }
    }

    fn holds(&self, cid: &str) -> bool {
        match self {
            Scope::Pair(a, b) => cid == single_id(*a, *b),
            Scope::User(u) => single_peer(cid, *u).is_some(),
            Scope::Room(r) => cid == r,
        }
    }
}

/// NotFound unless the scope's people / room exist (asked only when nothing matched, so a
/// non-empty page costs no extra read).
async fn require_scope(ctx: &Ctx, scope: &Scope) -> AppResult<()> {
    match scope {
        Scope::Pair(a, b) => {
            tokio::try_join!(users::require(&ctx.db, *a), users::require(&ctx.db, *b))?;
        }
        Scope::User(u) => {
            users::require(&ctx.db, *u).await?;
        }
        Scope::Room(r) => {
            let gone = || AppError::not_found(format!("room {r}"));
            if !valid_id(r) || !is_group(r) {
                return Err(gone());
            }
            convs::get(&ctx.db, r).await?.filter(|c| c.kind == Kind::Group).ok_or_else(gone)?;
        }
    }
    Ok(())
}

/// The conversations of a scope: (ids, whether some were left out).
async fn conversations(ctx: &Ctx, scope: &Scope, w: Window) -> AppResult<(Vec<String>, bool)> {
    match scope {
        Scope::Pair(a, b) => Ok((vec![single_id(*a, *b)], false)),
        Scope::Room(r) if valid_id(r) && is_group(r) => Ok((vec![r.clone()], false)),
        Scope::Room(_) => Ok((vec![], false)),
        Scope::User(u) => {
            let mut list = convs::of_user(&ctx.db, *u).await?;
            list.retain(|(c, _)| c.kind != Kind::Group && w.start_ms.is_none_or(|s| c.last_ts >= s));
            list.sort_by_key(|(c, _)| std::cmp::Reverse(c.last_ts));
            let cut = list.len() > MAX_CONVERSATIONS;
            Ok((list.into_iter().take(MAX_CONVERSATIONS).map(|(c, _)| c.id).collect(), cut))
        }
    }
}

/// The newest `want` live messages of the scope in `w`, newest first, and whether more may
/// exist. One conversation: 1 Query (more when the window lies far behind the newest
/// messages). A person: their conversation list (Query + BatchGetItem) + 1 Query per
/// conversation (≤ [`MAX_CONVERSATIONS`], concurrently), merged.
async fn newest(ctx: &Ctx, scope: &Scope, w: Window, want: usize) -> AppResult<(Vec<Message>, bool)> {
    let (cids, mut more) = conversations(ctx, scope, w).await?;
    let max_eval = want + 1 + EXTRA_EVAL;
    let pages =
        futures_util::future::try_join_all(cids.iter().map(|cid| live_in_window(&ctx.db, cid, w, want, max_eval)))
            .await?;
    let mut all: Vec<Message> = vec![];
    for (msgs, m) in pages {
        more |= m;
        all.extend(msgs);
    }
    all.sort_by_key(|m| std::cmp::Reverse((m.ts, m.seq)));
    if all.len() > want {
        all.truncate(want);
        more = true;
    }
    Ok((all, more))
}

/// One console page (`offset`, `size` from services::console::page): (messages newest first,
/// more). Unknown person / room → NotFound.
pub async fn list(ctx: &Ctx, scope: &Scope, w: Window, offset: usize, size: usize) -> AppResult<(Vec<Message>, bool)> {
    let (mut all, more) = newest(ctx, scope, w, offset + size).await?;
    if all.is_empty() {
        require_scope(ctx, scope).await?;
    }
    let page = all.split_off(offset.min(all.len()));
    Ok((page, more))
}

/// `/del`: tombstone the scope's live messages in `w` (at most `limit` per call; `more` =
/// call again), or only `message_id` (which must lie in the scope, else NotFound). The audit
/// entry (operator, route, scope targets, `count:<n>`, `msg:<id>` for one message) is
/// written BEFORE the tombstones, in its own transaction: no audit, no action. Nothing to
/// delete → `(0, false)` and no entry (idempotent).
pub async fn delete(
    ctx: &Ctx,
    op: &Session,
    route: &str,
    scope: &Scope,
    w: Window,
    message_id: Option<&str>,
    limit: usize,
) -> AppResult<(usize, bool)> {
    let (found, more, mut targets) = match message_id {
        Some(mid) => {
            let gone = || AppError::not_found(format!("message {mid}"));
            let m = messages::by_id(&ctx.db, mid).await?.filter(|m| scope.holds(&m.conversation_id));
            let m = m.ok_or_else(gone)?;
            let found = if m.recalled { vec![] } else { vec![m] };
            (found, false, vec![format!("msg:{mid}")])
        }
        None => {
            let (found, more) = newest(ctx, scope, w, limit).await?;
            (found, more, vec![])
        }
    };
    if found.is_empty() {
        if message_id.is_none() {
            require_scope(ctx, scope).await?;
        }
        return Ok((0, more));
    }
    targets.splice(0..0, scope.targets());
    targets.push(format!("count:{}", found.len()));
    put_audit(&ctx.db, &audit(ctx, op, route, targets)).await?;
    let n = found.len();
    stream::iter(found.into_iter().map(|m| async move {
        crate::services::chat::recall_as_operator(ctx, op.uid, &m.conversation_id, m.seq).await
    }))
    .buffer_unordered(PARALLEL)
    .try_for_each(|_| async { Ok(()) })
    .await?;
    Ok((n, more))
}
