//! Public accounts (Shiku `/mp`, Minxing ocu): an account whose `userType` is 2, plus its OCU
//! record (`domain::ocus`, `store::ocus`). The rules both dialects share live here: the
//! account's own session for `/mp/*` and its record ([`record`], menus, home); fans and the
//! inbox ([`inbox`]); subscriptions and the directory ([`directory`]). Mass sends (broadcast
//! jobs) are services::broadcasts.

pub mod directory;
pub mod inbox;

use crate::domain::ocus::{MenuEdit, Ocu, MAX_DESCRIPTION};
use crate::domain::sessions::Issued;
use crate::domain::users::User;
use crate::error::{AppError, AppResult};
use crate::ids::{LoginName, UserId};
use crate::store::{ocus, users};
use crate::Ctx;

/// `userType` of a public account (seed 001: 0/1 ordinary, 2 公众号).
pub const PUBLIC_ACCOUNT: i64 = 2;

pub fn is_public_account(u: &User) -> bool {
    u.profile.user_type == Some(PUBLIC_ACCOUNT)
}

/// The `/mp/*` session rule: the caller must be a public account (one GetItem).
pub async fn require_account(ctx: &Ctx, me: UserId) -> AppResult<User> {
    let u = users::require(&ctx.db, me).await?;
    if !is_public_account(&u) {
        return Err(AppError::forbidden("only a public account's own session may use /mp"));
    }
    Ok(u)
}

/// `/mp/login`: the password login, for public accounts only (anyone else: BadCredentials,
/// counted as a failed attempt).
pub async fn login(
    ctx: &Ctx,
    ip: &str,
    name: &LoginName,
    canonical: String,
    ttl: i64,
    serial: Option<String>,
) -> AppResult<(User, Issued)> {
    crate::services::sessions::login_where(ctx, ip, name, canonical, ttl, serial, is_public_account).await
}

/// An account's OCU record, its defaults when never written (created lazily on first write).
pub async fn record(ctx: &Ctx, uid: UserId, consistent: bool) -> AppResult<Ocu> {
    Ok(ocus::get(&ctx.db, uid, consistent).await?.unwrap_or_else(|| Ocu::new(uid, ctx.now_ms())))
}

/// The caller's own record (`/mp/*`): must be a public account.
pub async fn own(ctx: &Ctx, me: UserId) -> AppResult<(User, Ocu)> {
    let u = require_account(ctx, me).await?;
    Ok((u, record(ctx, me, false).await?))
}

/// Read-modify-write of the caller's record, retried when a concurrent change wins.
async fn change(ctx: &Ctx, me: UserId, f: impl Fn(&mut Ocu) -> AppResult<()>) -> AppResult<Ocu> {
    require_account(ctx, me).await?;
    for _ in 0..4 {
        let mut o = record(ctx, me, true).await?;
        f(&mut o)?;
        match ocus::put(&ctx.db, &o).await {
            Ok(()) => {
                o.ver += 1;
                return Ok(o);
            }
            Err(AppError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(AppError::Conflict("the public account changed concurrently; try again".into()))
}

/// `/mp/menu/save`: create (`id` None) or change one entry; the whole record after.
pub async fn save_menu(ctx: &Ctx, me: UserId, e: MenuEdit) -> AppResult<Ocu> {
    change(ctx, me, |o| o.save_menu(e.clone()).map(|_| ())).await
}

/// `/mp/menu/delete`: one entry with its children.
pub async fn delete_menu(ctx: &Ctx, me: UserId, id: i64) -> AppResult<Ocu> {
    change(ctx, me, |o| o.delete_menu(id)).await
}

/// What `/mp/home` may change: the description, and whether the account is listed in
/// Minxing's directory of accounts to subscribe to (the account's own choice).
#[derive(Debug, Default, Clone)]
pub struct HomeEdit {
    pub description: Option<String>,
    pub listed: Option<bool>,
}

/// `/mp/home`: the account, its record (changed first when `edit` says so), fan count and
/// messages received since it last read `/mp/msg`.
pub struct Home {
    pub user: User,
    pub ocu: Ocu,
    pub fans: i64,
    pub unread: i64,
}

pub async fn home(ctx: &Ctx, me: UserId, edit: HomeEdit) -> AppResult<Home> {
    if edit.description.as_ref().is_some_and(|d| d.chars().count() > MAX_DESCRIPTION) {
        return Err(AppError::invalid("description", format!("longer than {MAX_DESCRIPTION} characters")));
    }
    let (user, ocu) = if edit.description.is_some() || edit.listed.is_some() {
        let o = change(ctx, me, |o| {
            if let Some(d) = &edit.description {
                o.description = d.clone();
            }
            if let Some(l) = edit.listed {
                o.listed = l;
            }
            Ok(())
        })
        .await?;
        (users::require(&ctx.db, me).await?, o)
    } else {
        own(ctx, me).await?
    };
    let fans = ocus::fan_count(&ctx.db, me).await?;
    let unread = ocus::inbox_count_since(&ctx.db, me, ocu.msg_read_at).await?;
    Ok(Home { user, ocu, fans, unread })
}

/// `/public/menu/list`: the menu of any public account (anyone signed in); an unknown id or an
/// ordinary account is not found.
pub async fn public_menu(ctx: &Ctx, uid: UserId) -> AppResult<Ocu> {
    let u = users::get(&ctx.db, uid).await?;
    if !u.as_ref().is_some_and(is_public_account) {
        return Err(AppError::not_found(format!("public account {uid}")));
    }
    record(ctx, uid, false).await
}
