//! A public account's side of its chats (`/mp/fans`, `/mp/msg*`): its fans, the messages
//! others sent it (GSI1 `MPIN#<ocu>`, indexed by the send itself), and sending to a user —
//! only to a fan or to someone who wrote to it (the 1:1 META's `ocuIn`, set by their send).

use super::{is_public_account, require_account};
use crate::domain::chat::{single_id, Message, NewMessage, MAX_CONTENT};
use crate::domain::relations::{Relation, FOLLOWING};
use crate::domain::users::User;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::services::relations::{self as rel, page_slice};
use crate::store::{conversations as convs, messages, ocus, users};
use crate::Ctx;

/// Largest page a `/mp` list serves (`pageIndex`·`pageSize` + `pageSize` items read).
pub const MAX_READ: usize = 1000;

fn window(index: usize, size: usize) -> AppResult<usize> {
    let n = (index + 1) * size;
    if n > MAX_READ {
        return Err(AppError::invalid("pageIndex", format!("pages reach at most {MAX_READ} items")));
    }
    Ok(n)
}

/// `/mp/fans`: fans in id order with their profiles (one Query + one BatchGetItem).
pub async fn fans(ctx: &Ctx, me: UserId, index: usize, size: usize) -> AppResult<Vec<(Relation, Option<User>)>> {
    require_account(ctx, me).await?;
    let page = rel::fans(&ctx.db, me, None, Some(window(index, size)?)).await?;
    let rels = page_slice(page.items, index, size);
    let uids: Vec<UserId> = rels.iter().map(|r| r.owner).collect();
    let profiles = if uids.is_empty() { vec![] } else { users::get_many(&ctx.db, &uids).await? };
    Ok(rels
        .into_iter()
        .map(|r| {
            let u = profiles.iter().find(|u| u.uid == r.owner).cloned();
            (r, u)
        })
        .collect())
}

/// `/mp/fans/delete`: end that user's subscription (no block). Not a fan → not found.
pub async fn drop_fan(ctx: &Ctx, me: UserId, fan: UserId) -> AppResult<()> {
    require_account(ctx, me).await?;
    rel::change(&ctx.db, ctx.now_ms(), me, fan, rel::rules::op_drop_fan).await?;
    Ok(())
}

/// `/mp/msg`: messages others sent the account, newest first; reading it marks them read.
pub async fn received(ctx: &Ctx, me: UserId, index: usize, size: usize) -> AppResult<Vec<Message>> {
    require_account(ctx, me).await?;
    let all = ocus::inbox(&ctx.db, me, window(index, size)?).await?;
    if index == 0 {
        if let Some(m) = all.first() {
            ocus::mark_read(&ctx.db, me, m.ts).await?;
        }
    }
    Ok(page_slice(all, index, size))
}

/// The user the account talks with: an existing account other than itself.
async fn peer(ctx: &Ctx, me: UserId, to: UserId) -> AppResult<User> {
    if to == me {
        return Err(AppError::invalid("toUserId", "cannot be yourself"));
    }
    users::require(&ctx.db, to).await
}

/// `/mp/msg/list`, `/mp/msg/reply`: the 1:1 history with `to`, newest first (one Query).
pub async fn history(ctx: &Ctx, me: UserId, to: UserId, index: usize, size: usize) -> AppResult<(User, Vec<Message>)> {
    require_account(ctx, me).await?;
    let u = peer(ctx, me, to).await?;
    let n = window(index, size)?;
    let msgs = messages::history(&ctx.db, &single_id(me, to), None, None, n as i32).await?;
    Ok((u, page_slice(msgs, index, size)))
}

/// `/mp/msg/send`: a text from the account to a fan, or to a user who wrote to it.
pub async fn send(ctx: &Ctx, me: UserId, to: UserId, body: String) -> AppResult<Message> {
    if body.len() > MAX_CONTENT {
        return Err(AppError::invalid("body", format!("longer than {MAX_CONTENT} bytes")));
    }
    if to == me {
        return Err(AppError::invalid("toUserId", "cannot be yourself"));
    }
    let (account, u, their) = ocus::pair(&ctx.db, me, to).await?;
    if !account.as_ref().is_some_and(is_public_account) {
        return Err(AppError::forbidden("only a public account's own session may use /mp"));
    }
    let u = u.ok_or_else(|| AppError::not_found(format!("user {to}")))?;
    if is_public_account(&u) {
        return Err(AppError::forbidden("public accounts do not write to each other"));
    }
    let fan = their.is_some_and(|r| r.status >= FOLLOWING && r.ocu);
    // "Wrote to it": the user sent at least one message in the 1:1 chat (META `ocuIn`).
    let wrote =
        || async { Ok::<_, AppError>(convs::get(&ctx.db, &single_id(me, to)).await?.is_some_and(|c| c.ocu_in)) };
    if !fan && !wrote().await? {
        return Err(AppError::forbidden("only fans and users who wrote to the account can be written to"));
    }
    let (conv, _) = convs::ensure_single_ocu(&ctx.db, ctx.now_ms(), me, to, Some(me)).await?;
    let m = NewMessage { sender: me, kind: 1, content: body, client_id: None, object_name: None };
    Ok(crate::services::chat::send(ctx, &conv.id, m).await?.0)
}
