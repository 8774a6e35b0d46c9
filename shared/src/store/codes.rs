//! Verification codes sent by SMS, their per-phone rate limit and SealTalk
//! verification tokens.
//!
//! - code: `CODE#<area>:<number>` / `<purpose>`: salted SHA-256 of the 6 digits,
//!   `attempts`, `ttl` (5 minutes). A new code for the same purpose replaces the old one.
//! - rate limit: `CODE#<area>:<number>` / `RATE`: `last` send, window start `win`,
//!   `cnt` sends in the window, `ttl` = end of the 24 h window.
//! - verification token: `VTOKEN#<sha256(token)>` / `VTOKEN`: the phone it was issued
//!   for, `ttl` 30 minutes, deleted on use.
//!
//! Expired items count as absent (DynamoDB deletes them late): every read and
//! every condition compares `ttl` with `now`.

use super::{is_condition_failure, n, s, Db, Item, ItemExt};
use crate::domain::secrets::token_hash;
use crate::error::{AppError, AppResult};
use crate::ids::Telephone;
use aws_sdk_dynamodb::types::ReturnValue;
use sha2::Digest;

/// Lifetime of a code.
pub const CODE_TTL: i64 = 300;
/// Wrong tries after which a code is dead.
pub const MAX_ATTEMPTS: i64 = 5;
/// Minimum seconds between two sends to one phone.
pub const SEND_INTERVAL: i64 = 60;
/// Sends per phone per 24 h window (the window starts at its first send).
pub const SENDS_PER_DAY: i64 = 10;
const DAY: i64 = 86_400;
/// Lifetime of a SealTalk verification token.
pub const VTOKEN_TTL: i64 = 1_800;

/// What a code may be used for; `as_str` is the item's sort key.
pub use crate::domain::sessions::Purpose;

use super::keys::{code_pk as pk, vtoken_pk};

fn code_hash(salt: &str, code: &str) -> String {
    hex::encode(sha2::Sha256::digest(format!("{salt}:{code}").as_bytes()))
}

/// Six random digits.
pub fn new_code() -> String {
    format!("{:06}", rand::random_range(0..1_000_000u32))
}

/// Take one send slot of `phone`: at most one send per [`SEND_INTERVAL`] and
/// [`SENDS_PER_DAY`] per 24 h. Conditional updates, so concurrent sends cannot
/// both pass. `RateLimited` when no slot is free.
pub async fn reserve_send(db: &Db, phone: &Telephone, now: i64) -> AppResult<()> {
    let key = Db::key(pk(phone), "RATE");
    // Same window: count one more send.
    let same = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(key.clone()))
        .update_expression("SET #last = :now ADD cnt :one")
        .condition_expression("win > :daycut AND #last <= :cut AND cnt < :max")
        .expression_attribute_names("#last", "last")
        .expression_attribute_values(":now", n(now))
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":daycut", n(now - DAY))
        .expression_attribute_values(":cut", n(now - SEND_INTERVAL))
        .expression_attribute_values(":max", n(SENDS_PER_DAY))
        .send()
        .await;
    match same {
        Ok(_) => return Ok(()),
        Err(e) if is_condition_failure(&e) => {}
        Err(e) => return Err(e.into()),
    }
    // No item, or its window is over: start a new window.
    let fresh = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(key))
        .update_expression("SET #last = :now, win = :now, cnt = :one, #ttl = :end")
        .condition_expression("attribute_not_exists(pk) OR (win <= :daycut AND #last <= :cut)")
        .expression_attribute_names("#last", "last")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":now", n(now))
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":end", n(now + DAY))
        .expression_attribute_values(":daycut", n(now - DAY))
        .expression_attribute_values(":cut", n(now - SEND_INTERVAL))
        .send()
        .await;
    match fresh {
        Ok(_) => Ok(()),
        Err(e) if is_condition_failure(&e) => {
            // Rare path: one read to say which limit was hit.
            let it = db.get(pk(phone), "RATE").await?.unwrap_or_default();
            if it.i64("last").is_some_and(|l| l > now - SEND_INTERVAL) {
                Err(AppError::RateLimited(format!(
                    "one verification code per {SEND_INTERVAL} seconds, try again later"
                )))
            } else {
                Err(AppError::RateLimited(format!(
                    "at most {SENDS_PER_DAY} verification codes per day for this number"
                )))
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Store a new code for `phone` and `purpose` (replacing an earlier one),
/// valid until `expires_at`. Only a salted hash is stored.
pub async fn put_code(
    db: &Db,
    phone: &Telephone,
    purpose: Purpose,
    code: &str,
    now: i64,
    expires_at: i64,
) -> AppResult<()> {
    let salt = hex::encode(rand::random::<[u8; 16]>());
    let mut it = Db::key(pk(phone), purpose.as_str());
    it.insert("hash".into(), s(code_hash(&salt, code)));
    it.insert("salt".into(), s(salt));
    it.insert("attempts".into(), n(0));
    it.insert("sentAt".into(), n(now));
    it.insert("ttl".into(), n(expires_at));
    db.client.put_item().table_name(&db.table).set_item(Some(it)).send().await?;
    Ok(())
}

/// Rate-limit, generate and store a code; returns the plaintext to send.
pub async fn issue(db: &Db, phone: &Telephone, purpose: Purpose, now: i64) -> AppResult<String> {
    reserve_send(db, phone, now).await?;
    let code = new_code();
    put_code(db, phone, purpose, &code, now, now + CODE_TTL).await?;
    Ok(code)
}

/// Check a code and consume it.
///
/// Every try first takes one attempt atomically (`attempts < MAX_ATTEMPTS`, not
/// expired), so parallel guesses cannot exceed the limit; a right code is then
/// deleted under a condition on its hash, so two concurrent verifications
/// cannot both succeed. `WrongCode` for a wrong code; `CodeExpired` when no
/// live code exists (never sent, expired, used, or out of attempts).
pub async fn verify(db: &Db, phone: &Telephone, purpose: Purpose, code: &str, now: i64) -> AppResult<()> {
    let code = code.trim();
    if code.is_empty() || code.len() > 16 {
        return Err(AppError::WrongCode);
    }
    let key = Db::key(pk(phone), purpose.as_str());
    let out = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(key.clone()))
        .update_expression("ADD attempts :one")
        .condition_expression("attribute_exists(pk) AND attempts < :max AND #ttl > :now")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":max", n(MAX_ATTEMPTS))
        .expression_attribute_values(":now", n(now))
        .return_values(ReturnValue::AllNew)
        .send()
        .await;
    let it: Item = match out {
        Ok(o) => o.attributes.unwrap_or_default(),
        Err(e) if is_condition_failure(&e) => return Err(AppError::CodeExpired),
        Err(e) => return Err(e.into()),
    };
    let stored = it.string("hash");
    if code_hash(it.str("salt").unwrap_or_default(), code) != stored {
        return Err(AppError::WrongCode);
    }
    let del = db
        .client
        .delete_item()
        .table_name(&db.table)
        .set_key(Some(key))
        .condition_expression("#hash = :h")
        .expression_attribute_names("#hash", "hash")
        .expression_attribute_values(":h", s(stored))
        .send()
        .await;
    match del {
        Ok(_) => Ok(()),
        Err(e) if is_condition_failure(&e) => Err(AppError::CodeExpired),
        Err(e) => Err(e.into()),
    }
}

/// Whether `phone` ever asked for a code of `purpose` lately: its code item (live, expired or
/// out of tries) or its send-rate item (kept for the 24 h window, so a used code counts too)
/// exists. Read only after a failed verification (SealTalk: never sent → 404).
pub async fn ever_sent(db: &Db, phone: &Telephone, purpose: Purpose) -> AppResult<bool> {
    let pk = pk(phone);
    if db.get(&pk, purpose.as_str()).await?.is_some() {
        return Ok(true);
    }
    Ok(db.get(&pk, "RATE").await?.is_some())
}

/// A SealTalk verification token for `phone` (random UUID, stored hashed).
pub async fn issue_vtoken(db: &Db, phone: &Telephone, now: i64) -> AppResult<String> {
    let token = uuid::Uuid::new_v4().to_string();
    let mut it = Db::key(vtoken_pk(&token_hash(&token)), "VTOKEN");
    it.insert("areaCode".into(), s(&phone.area));
    it.insert("telephone".into(), s(&phone.number));
    it.insert("createdAt".into(), n(now));
    it.insert("ttl".into(), n(now + VTOKEN_TTL));
    db.client.put_item().table_name(&db.table).set_item(Some(it)).send().await?;
    Ok(token)
}

fn vtoken_phone(it: &Item) -> Option<Telephone> {
    Some(Telephone { area: it.str("areaCode")?.to_string(), number: it.str("telephone")?.to_string() })
}

fn check_vtoken_shape(token: &str) -> AppResult<()> {
    if token.is_empty() || token.len() > 64 {
        return Err(AppError::not_found("verification_token"));
    }
    Ok(())
}

/// The phone a live token was issued for, without using it up.
pub async fn peek_vtoken(db: &Db, token: &str, now: i64) -> AppResult<Telephone> {
    check_vtoken_shape(token)?;
    db.get(vtoken_pk(&token_hash(token)), "VTOKEN")
        .await?
        .filter(|it| !super::expired(it, now))
        .as_ref()
        .and_then(vtoken_phone)
        .ok_or_else(|| AppError::not_found("verification_token"))
}

/// Use a token up (conditional delete: only one caller gets its phone).
pub async fn consume_vtoken(db: &Db, token: &str, now: i64) -> AppResult<Telephone> {
    check_vtoken_shape(token)?;
    let out = db
        .client
        .delete_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(vtoken_pk(&token_hash(token)), "VTOKEN")))
        .condition_expression("attribute_exists(pk) AND #ttl > :now")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":now", n(now))
        .return_values(ReturnValue::AllOld)
        .send()
        .await;
    match out {
        Ok(o) => o.attributes.as_ref().and_then(vtoken_phone).ok_or_else(|| AppError::not_found("verification_token")),
        Err(e) if is_condition_failure(&e) => Err(AppError::not_found("verification_token")),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_hashes_salted() {
        for _ in 0..100 {
            let c = new_code();
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
        assert_ne!(code_hash("a", "123456"), code_hash("b", "123456"));
        assert_eq!(code_hash("a", "123456"), code_hash("a", "123456"));
        let p = Telephone::parse(Some("86"), "13800000000").unwrap();
        assert_eq!(pk(&p), "CODE#86:13800000000");
        assert_eq!(Purpose::Reset.as_str(), "reset");
    }
}
