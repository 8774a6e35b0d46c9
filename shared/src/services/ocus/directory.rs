//! Subscribing to public accounts (Minxing `subscriptions/ocus`, Shiku `/friends/attention/add`
//! to an account): the follow relation, indexed as a subscription (store/relations GSI2
//! `P#<ocu>`), never a friendship. The directory of listed accounts, one account's page and
//! its menu actions.

use super::is_public_account;
use crate::domain::chat::{single_id, single_peer, NewMessage};
use crate::domain::ocus::{MenuItem, MenuKind, Ocu};
use crate::domain::relations::{ListKind, Outcome, Relation, FOLLOWING};
use crate::domain::users::User;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::services::relations as rel;
use crate::store::{conversations as convs, ocus};
use crate::Ctx;
use serde_json::json;

fn unknown(ocu: UserId) -> AppError {
    AppError::not_found(format!("ocu {ocu}"))
}

/// Subscribe (token + BatchGetItem + TransactWriteItems): `Subscribed` when new,
/// `AlreadyFollowing` when it was. Not a public account → not found.
pub async fn subscribe(ctx: &Ctx, me: UserId, ocu: UserId) -> AppResult<(Outcome, Relation)> {
    if me == ocu {
        return Err(unknown(ocu));
    }
    let r = rel::change(&ctx.db, ctx.now_ms(), me, ocu, |p, now| {
        if !is_public_account(&p.other) {
            return Err(unknown(ocu));
        }
        rel::rules::decide(p, now, &crate::domain::relations::Op::Follow(String::new()))
    })
    .await?;
    let mine = r.mine.ok_or_else(|| AppError::internal("subscription not written"))?;
    Ok((r.outcome, mine))
}

/// Unsubscribe. Not a public account, or not subscribed → not found.
pub async fn unsubscribe(ctx: &Ctx, me: UserId, ocu: UserId) -> AppResult<()> {
    if me == ocu {
        return Err(unknown(ocu));
    }
    rel::change(&ctx.db, ctx.now_ms(), me, ocu, |p, now| {
        if !is_public_account(&p.other) || !p.mine.as_ref().is_some_and(|r| r.ocu && r.status >= FOLLOWING) {
            return Err(unknown(ocu));
        }
        rel::rules::op_unfollow(p, now)
    })
    .await?;
    Ok(())
}

/// A subscribed account as a list shows it: my relation (name, avatar copies) and its record.
pub struct Subscribed {
    pub rel: Relation,
    pub ocu: Ocu,
}

/// My subscriptions, one page (token + Query + BatchGetItem of the records).
pub async fn subscribed(
    ctx: &Ctx,
    me: UserId,
    cursor: Option<&str>,
    limit: usize,
) -> AppResult<(Vec<Subscribed>, Option<String>)> {
    let page = rel::list(&ctx.db, me, ListKind::Subscriptions, cursor, Some(limit)).await?;
    let uids: Vec<UserId> = page.items.iter().map(|r| r.other).collect();
    let records = ocus::get_many(&ctx.db, &uids).await?;
    let now = ctx.now_ms();
    let items = page
        .items
        .into_iter()
        .map(|r| {
            let ocu = records.iter().find(|o| o.uid == r.other).cloned().unwrap_or_else(|| Ocu::new(r.other, now));
            Subscribed { rel: r, ocu }
        })
        .collect();
    Ok((items, page.next))
}

/// A listed account I have not subscribed to.
pub struct Listed {
    pub user: User,
    pub ocu: Ocu,
}

/// Listed accounts minus mine, one directory page (token + Query + one BatchGetItem of their
/// profiles and my relations to them): a page may hold fewer than `limit`; `next` goes on.
pub async fn unsubscribed(
    ctx: &Ctx,
    me: UserId,
    after: Option<UserId>,
    limit: usize,
) -> AppResult<(Vec<Listed>, Option<UserId>)> {
    let (records, next) = ocus::listed_page(&ctx.db, after, limit).await?;
    let uids: Vec<UserId> = records.iter().map(|o| o.uid).filter(|u| *u != me).collect();
    let seen = ocus::seen(&ctx.db, me, &uids, false).await?;
    let items = records
        .into_iter()
        .filter(|o| o.uid != me)
        .filter(|o| !seen.rels.iter().any(|r| r.other == o.uid && r.ocu && r.status >= FOLLOWING))
        .filter_map(|o| {
            let user = seen.users.iter().find(|u| u.uid == o.uid && is_public_account(u))?.clone();
            Some(Listed { user, ocu: o })
        })
        .collect();
    Ok((items, next))
}

/// One account as a subscriber sees it.
pub struct Page {
    pub user: User,
    pub ocu: Ocu,
    pub subscribed: bool,
    pub fans: i64,
    /// The caller's 1:1 conversation id with the account (it exists once either side wrote).
    pub conversation_id: String,
}

/// `GET /api/v1/ocus/{id}` (token + BatchGetItem + COUNT Query). Anyone signed in may look at
/// a public account; anything else is not found.
pub async fn page(ctx: &Ctx, me: UserId, ocu: UserId) -> AppResult<Page> {
    let seen = ocus::seen(&ctx.db, me, &[ocu], true).await?;
    let user = seen.users.into_iter().find(|u| u.uid == ocu && is_public_account(u)).ok_or_else(|| unknown(ocu))?;
    let record = seen.ocus.into_iter().next().unwrap_or_else(|| Ocu::new(ocu, user.created_at));
    let subscribed = seen.rels.iter().any(|r| r.ocu && r.status >= FOLLOWING && !r.blacklist);
    let fans = ocus::fan_count(&ctx.db, ocu).await?;
    Ok(Page { user, ocu: record, subscribed, fans, conversation_id: single_id(me, ocu) })
}

/// What tapping a menu entry does.
pub struct Action {
    pub item: MenuItem,
    pub kind: MenuKind,
}

/// `GET /api/v1/conversations/{cid}/ocu_menus/{menu_id}`: the caller's 1:1 chat with an
/// account, an entry of that account's menu (else not found). A click entry records an
/// `MP:Click` message to the account (idempotent per `client_id`).
pub async fn menu_action(
    ctx: &Ctx,
    me: UserId,
    cid: &str,
    menu_id: i64,
    client_id: Option<String>,
) -> AppResult<Action> {
    let gone = || AppError::not_found(format!("menu {menu_id} of conversation {cid}"));
    let ocu = single_peer(cid, me).filter(|p| *p != me).ok_or_else(gone)?;
    let seen = ocus::seen(&ctx.db, me, &[ocu], true).await?;
    if !seen.users.iter().any(|u| u.uid == ocu && is_public_account(u)) {
        return Err(gone());
    }
    let record = seen.ocus.into_iter().next().ok_or_else(gone)?;
    let item = record.menu(menu_id).cloned().ok_or_else(gone)?;
    let kind = record.kind(&item);
    if kind == MenuKind::Click {
        let (conv, _) = convs::ensure_single_ocu(&ctx.db, ctx.now_ms(), me, ocu, Some(ocu)).await?;
        let content = json!({"key": item.key, "menuId": item.id, "name": item.name}).to_string();
        let m = NewMessage { sender: me, kind: 1, content, client_id, object_name: Some("MP:Click".into()) };
        crate::services::chat::send(ctx, &conv.id, m).await?;
    }
    Ok(Action { item, kind })
}
