//! Per-caller allowance of telephone → account lookups (Shiku `/user/getByAccount` by
//! telephone or its md5, SealTalk `/user/find/{region}/{phone}`), so nobody can walk the
//! number space: `LOOKUP#<uid>` / `H#<hour>` and `D#<day>` (epoch hours / days), attribute `n`
//! (lookups in that window), `ttl` = the window's end + 1 h. Both counters move in one
//! TransactWriteItems conditioned on `n < max`, so a refused lookup counts nowhere and
//! concurrent lookups cannot pass the limit.

use super::keys::{lookup_day_sk, lookup_hour_sk, lookup_pk};
use super::{is_condition_failure, n, Db};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

/// Lookups per caller per clock hour.
pub const PER_HOUR: i64 = 20;
/// Lookups per caller per UTC day.
pub const PER_DAY: i64 = 60;

const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

fn count(db: &Db, uid: UserId, sk: String, max: i64, window_end: i64) -> TransactWriteItem {
    let u = Update::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(lookup_pk(uid), sk)))
        .update_expression("ADD n :one SET #ttl = :ttl")
        .condition_expression("attribute_not_exists(n) OR n < :max")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":max", n(max))
        .expression_attribute_values(":ttl", n(window_end + HOUR))
        .build()
        .expect("key and expression set");
    TransactWriteItem::builder().update(u).build()
}

/// Take one lookup of `uid`'s allowance (one TransactWriteItems), or `RateLimited`.
pub async fn take(db: &Db, uid: UserId, now_secs: i64) -> AppResult<()> {
    let (hour, day) = (now_secs.div_euclid(HOUR), now_secs.div_euclid(DAY));
    let r = db
        .client
        .transact_write_items()
        .transact_items(count(db, uid, lookup_hour_sk(hour), PER_HOUR, (hour + 1) * HOUR))
        .transact_items(count(db, uid, lookup_day_sk(day), PER_DAY, (day + 1) * DAY))
        .send()
        .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) if is_condition_failure(&e) => {
            Err(AppError::RateLimited("too many lookups by telephone; try again later".into()))
        }
        Err(e) => Err(e.into()),
    }
}
