//! Privacy and chat settings: reading them (defaults filled in) and changing them (the flags
//! that change what others see are mirrored onto the profile in the same transaction).

use crate::domain::settings::{Change, Settings};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::{profiles, settings};
use crate::Ctx;

/// The settings of `uid`; NotFound for unknown users (profile and settings: one BatchGetItem).
pub async fn get(ctx: &Ctx, uid: UserId) -> AppResult<Settings> {
    let (p, st) = profiles::get_with_settings(&ctx.db, uid).await?;
    p.ok_or_else(|| AppError::not_found(format!("user {uid}")))?;
    Ok(st)
}

/// Apply a validated change to my settings (the profile must exist).
pub async fn update(ctx: &Ctx, me: UserId, change: &Change) -> AppResult<()> {
    settings::update(&ctx.db, me, ctx.now_ms(), change).await
}
