//! `IDEM#<operator>#<route>#<key>` / `IDEM`: console idempotency keys (domain::idempotency).
//! The claim rides IN THE TRANSACTION of the creation ([`claim`]); a replay's transaction
//! fails on it and [`result`] reads the id the first request made. An item whose `ttl`
//! passed is absent (and may be claimed again).

use super::keys::{idem_pk, IDEM_SK};
use super::{n, s, Db, ItemExt};
use crate::domain::idempotency::{IdemKey, TTL_SECS};
use crate::error::AppResult;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

/// The conflict message of a creation whose key is claimed already (the caller reads
/// [`result`]).
pub const TAKEN: &str = "idempotency key claimed already";

/// Claim `k` for `result` (the id being made): a conditional Put, failing while a live claim
/// of `k` exists.
pub fn claim(db: &Db, k: &IdemKey, result: &str, now_secs: i64) -> TransactWriteItem {
    let mut it = Db::key(idem_pk(k.operator, &k.route, &k.key), IDEM_SK);
    it.insert("result".into(), s(result));
    it.insert("ttl".into(), n(now_secs + TTL_SECS));
    let put = Put::builder()
        .table_name(&db.table)
        .set_item(Some(it))
        .condition_expression("attribute_not_exists(pk) OR #ttl <= :now")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":now", n(now_secs))
        .build()
        .expect("table and item set");
    TransactWriteItem::builder().put(put).build()
}

/// The id a live claim of `k` holds (one consistent GetItem); None: unclaimed or expired.
pub async fn result(db: &Db, k: &IdemKey, now_secs: i64) -> AppResult<Option<String>> {
    let Some(it) = db.get(idem_pk(k.operator, &k.route, &k.key), IDEM_SK).await? else { return Ok(None) };
    if it.i64("ttl").is_some_and(|t| t <= now_secs) {
        return Ok(None);
    }
    Ok(it.str("result").map(str::to_string))
}
