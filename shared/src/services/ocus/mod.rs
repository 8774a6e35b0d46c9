//! Public accounts (Shiku `/mp`, Minxing ocu): an account whose `userType` is 2. The rules both
//! dialects share live here; mass sends (broadcast jobs) are services::broadcasts.

use crate::domain::users::User;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::users;
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
