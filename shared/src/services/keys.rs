//! Users' key pairs: stored with the private half sealed (the caller seals it), a private
//! key read only by its owner, public keys readable by anyone signed in.

use crate::domain::keypairs::{KeyPair, Kind};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::keypairs;
use crate::Ctx;

/// Most users one public-key list may ask for.
pub const MAX_USERS: usize = 100;

/// Store my key pairs (several at once in one transaction).
pub async fn upload(ctx: &Ctx, me: UserId, pairs: &[KeyPair]) -> AppResult<()> {
    keypairs::put(&ctx.db, me, pairs).await
}

/// My own pair of `kind` with its sealed private half: Forbidden when `asked` is someone
/// else (the read is only ever in my partition), NotFound without one.
pub async fn own_private(ctx: &Ctx, me: UserId, asked: Option<UserId>, kind: Kind) -> AppResult<(KeyPair, String)> {
    if asked.is_some_and(|u| u != me) {
        return Err(AppError::forbidden("only your own private key"));
    }
    let what = format!("{} key", kind.name());
    let k = keypairs::get(&ctx.db, me, kind).await?.ok_or_else(|| AppError::not_found(what.clone()))?;
    let sealed = k.private_sealed.clone().ok_or_else(|| AppError::not_found(what))?;
    Ok((k, sealed))
}

/// Public keys of `kind` of the given users (default: me), at most [`MAX_USERS`]; one
/// BatchGetItem; users without one left out, private halves never returned.
pub async fn public_keys(
    ctx: &Ctx,
    me: UserId,
    mut uids: Vec<UserId>,
    kind: Kind,
) -> AppResult<Vec<(UserId, KeyPair)>> {
    if uids.is_empty() {
        uids.push(me);
    }
    if uids.len() > MAX_USERS {
        return Err(AppError::invalid("userId", "at most 100 users"));
    }
    keypairs::public_keys(&ctx.db, &uids, kind).await
}
