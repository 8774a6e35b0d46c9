//! Operators of the console: who is one, their console tokens, and the audit entry every
//! console mutation writes. Decisions: docs/dialects.md "Shiku console".
//!
//! An account is an operator when its role is `operator` (the provisioned `admin` account,
//! shared::provision) or when one of its login names is listed in the deployment's
//! `CONSOLE_OPERATORS` (template parameter `ConsoleOperators`). Console tokens
//! (`TokenKind::Console`, 8 h) authenticate `/console/*` only; user tokens are refused there.

use crate::domain::audit::AuditEntry;
use crate::domain::relations::SYSTEM_UID;
use crate::domain::sessions::{Issued, Session, TokenKind};
use crate::domain::users::{Role, User};
use crate::error::{AppError, AppResult};
use crate::ids::{LoginName, UserId};
use crate::store::tokens;
use crate::Ctx;

/// The Shiku "Service" account (`/console/initSysUser`).
pub const SERVICE_UID: UserId = UserId(10005);

/// Whether `user` may use the console.
pub fn is_operator(ctx: &Ctx, user: &User) -> bool {
    if user.role == Role::Operator {
        return true;
    }
    let listed = &ctx.settings.console_operators;
    let mut names: Vec<String> = vec![];
    if let Some(t) = &user.telephone {
        names.push(t.number.clone());
        names.push(t.full());
    }
    names.extend(user.username.clone());
    names.extend(user.email.clone());
    names.iter().any(|n| listed.iter().any(|l| l == n))
}

/// Accounts the console never deletes or disables: operators and the built-in accounts.
pub fn is_protected(ctx: &Ctx, user: &User) -> bool {
    user.uid == SYSTEM_UID || user.uid == SERVICE_UID || is_operator(ctx, user)
}

/// `/console/login`: a password login (limits as for users, services::sessions) that only
/// operators pass; issues a console token.
pub async fn login(ctx: &Ctx, ip: &str, name: &LoginName, canonical: String) -> AppResult<(User, Issued)> {
    crate::services::sessions::login_console(ctx, ip, name, canonical, |u| is_operator(ctx, u)).await
}

/// The caller's console session (one GetItem): `token` (shared::auth::token_from_request)
/// must be a live console token, nothing else.
pub async fn session(ctx: &Ctx, token: Option<String>) -> AppResult<Session> {
    let token = token.ok_or(AppError::TokenMissing)?;
    let sess = tokens::resolve_kind(&ctx.db, ctx.now_secs(), &token, TokenKind::Console).await?;
    crate::metrics::record_user(sess.uid);
    Ok(sess)
}

/// `/console/logout`: revoke the console token.
pub async fn logout(ctx: &Ctx, sess: &Session) -> AppResult<()> {
    crate::auth::logout(ctx, sess).await
}

/// The audit entry of a console mutation by `op` (store/audit.rs puts it in the change's
/// transaction).
pub fn audit(ctx: &Ctx, op: &Session, route: &str, targets: Vec<String>) -> AuditEntry {
    AuditEntry { operator: op.uid, route: route.to_string(), targets, at_ms: ctx.now_ms() }
}
