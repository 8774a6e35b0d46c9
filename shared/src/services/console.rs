//! The operator console's account rules (`/console/*` users part): disable, enable, soft
//! delete. Each change writes its audit entry in the same transaction (store/audit.rs);
//! operators and the built-in accounts are protected (services::operators).

use crate::domain::relations::SYSTEM_UID;
use crate::domain::sessions::Session;
use crate::domain::users::User;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::services::operators::{audit, is_protected, SERVICE_UID};
use crate::store::{self, users};
use crate::Ctx;

fn target(uid: UserId) -> String {
    format!("user:{uid}")
}

/// The account of `uid`, `NotFound` when unknown.
pub async fn user(ctx: &Ctx, uid: UserId) -> AppResult<User> {
    users::require(&ctx.db, uid).await
}

/// The account of `uid` if the console may disable or delete it: the built-in ids are
/// refused whether or not they exist yet, operators too.
async fn changeable(ctx: &Ctx, uid: UserId) -> AppResult<User> {
    let refused = || AppError::forbidden("operators and the system accounts cannot be disabled or deleted");
    if uid == SYSTEM_UID || uid == SERVICE_UID {
        return Err(refused());
    }
    let user = user(ctx, uid).await?;
    if is_protected(ctx, &user) {
        return Err(refused());
    }
    Ok(user)
}

/// `/console/deleteUser`: disable the account, free its login names, revoke its tokens and
/// close its sockets. Audit and change in one transaction. Calls: GetItem + BatchGetItem +
/// TransactWriteItems + token Query/BatchWrite + presence GetItem (+ per socket).
pub async fn delete_user(ctx: &Ctx, op: &Session, route: &str, uid: UserId) -> AppResult<()> {
    let user = changeable(ctx, uid).await?;
    let entry = audit(ctx, op, route, vec![target(uid)]);
    let extra = vec![store::audit::put(&ctx.db, &entry)];
    store::console::set_disabled(&ctx.db, &user, true, true, ctx.now_ms(), extra).await?;
    crate::auth::revoke_all(ctx, uid, None).await
}

/// `/console/updateUser` `status`: 0 disables (tokens revoked, sockets closed, password
/// logins refused), 1 enables.
pub async fn set_enabled(ctx: &Ctx, op: &Session, route: &str, uid: UserId, enabled: bool) -> AppResult<()> {
    let user = changeable(ctx, uid).await?;
    let entry = audit(ctx, op, route, vec![target(uid)]);
    let extra = vec![store::audit::put(&ctx.db, &entry)];
    store::console::set_disabled(&ctx.db, &user, !enabled, false, ctx.now_ms(), extra).await?;
    if !enabled {
        crate::auth::revoke_all(ctx, uid, None).await?;
    }
    Ok(())
}

/// Largest `pageSize` of console lists.
pub const MAX_PAGE: usize = 50;
/// Deepest position a console list pages to (one Query reads `offset + pageSize` items).
pub const MAX_OFFSET: usize = 1000;

/// One page of a console list: `(pageIndex, pageSize)` → (offset, size), `InvalidParam` past
/// [`MAX_OFFSET`] (narrow the list with a search instead).
pub fn page(index: i64, size: i64) -> AppResult<(usize, usize)> {
    if index < 0 {
        return Err(AppError::invalid("pageIndex", "must be 0 or more"));
    }
    if !(1..=MAX_PAGE as i64).contains(&size) {
        return Err(AppError::invalid("pageSize", format!("must be 1-{MAX_PAGE}")));
    }
    let offset = (index as usize).saturating_mul(size as usize);
    if offset > MAX_OFFSET {
        return Err(AppError::invalid("pageIndex", format!("pages reach {MAX_OFFSET} items; search by nickname")));
    }
    Ok((offset, size as usize))
}

/// An account as the console lists it.
pub struct Listed {
    pub user: User,
    pub online: bool,
}

/// `/console/userList`: one Query (+ one BatchGetItem of presence when the page is not
/// empty). `online`: Some(true/false) keeps only online/offline accounts OF THE PAGE.
pub async fn user_list(
    ctx: &Ctx,
    nickname: Option<&str>,
    online: Option<bool>,
    offset: usize,
    size: usize,
) -> AppResult<(Vec<Listed>, bool)> {
    let (users, more) = store::console::user_page(&ctx.db, nickname, offset, size).await?;
    let uids: Vec<UserId> = users.iter().map(|u| u.uid).collect();
    let on = store::console::online_of(&ctx.db, &uids).await?;
    let list = users
        .into_iter()
        .map(|u| Listed { online: on.contains(&u.uid), user: u })
        .filter(|l| online.is_none_or(|o| o == l.online))
        .collect();
    Ok((list, more))
}

/// `/console/userStatus`: online now, all accounts and messages delivered today (UTC): one
/// BatchGetItem of the counters.
pub async fn user_status(ctx: &Ctx) -> AppResult<crate::store::stats::Counts> {
    crate::store::stats::counts(&ctx.db, &crate::clock::utc_day(ctx.now_ms())).await
}

/// `/console/useralladd`: an account made by an operator, through the registration rule
/// (services::accounts), its audit entry in the creation transaction.
pub async fn add_user(
    ctx: &Ctx,
    op: &Session,
    route: &str,
    ip: &str,
    new: crate::domain::users::NewUser,
    canonical: String,
) -> AppResult<User> {
    // The id is known only once created: the entry names the login telephone.
    let who = new.telephone.as_ref().map(|t| format!("phone:{}", t.full())).unwrap_or_default();
    let entry = audit(ctx, op, route, vec![who]);
    crate::services::accounts::register_with(ctx, ip, new, canonical, Some(&entry)).await
}

/// `/console/initSysUser`: the built-in accounts 10000 "System" and 10005 "Service"
/// (`which` = one of them, None = both), idempotent; each creation with its audit entry in
/// its transaction. Answers the ids created now.
pub async fn init_system_users(ctx: &Ctx, op: &Session, route: &str, which: Option<UserId>) -> AppResult<Vec<UserId>> {
    let all = [(SYSTEM_UID, "System", "system"), (SERVICE_UID, "Service", "service")];
    let mut created = vec![];
    for (uid, nickname, username) in all.into_iter().filter(|(u, ..)| which.is_none_or(|w| w == *u)) {
        let entry = audit(ctx, op, route, vec![target(uid)]);
        let extra = vec![store::audit::put(&ctx.db, &entry)];
        if users::create_fixed_with(&ctx.db, ctx.now_ms(), uid, nickname, username, extra).await? {
            created.push(uid);
        }
    }
    Ok(created)
}
