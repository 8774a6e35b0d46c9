//! Wallets (issue 14): USER#<uid>/WALLET (balance, total, ver in fen), the user's TX#
//! items and the day-partitioned double-entry journal, always changed together in one
//! TransactWriteItems; a debit is conditioned on `balance >= :debit`, so a balance is
//! never negative.

use super::keys::{
    journal_pk, journal_sk, pay_secret_sk, user_pk, wallet_tx_sk, PROFILE_SK, WALLET_SK, WALLET_TX_PREFIX,
};
use super::{failed_conditions, n, query_all, s, Db, Item, ItemExt};
use crate::domain::wallet::{Fen, Leg, Tx, Wallet};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use std::time::Duration;

/// The wallet (one strongly consistent GetItem); none yet = all zero.
pub async fn get(db: &Db, uid: UserId) -> AppResult<Wallet> {
    Ok(db.get(user_pk(uid), WALLET_SK).await?.map(|it| from_item(&it)).unwrap_or_default())
}

/// The WALLET item's key, for a caller's BatchGetItem (own `/user/get`).
pub fn key(uid: UserId) -> Item {
    Db::key(user_pk(uid), WALLET_SK)
}

/// Whether an item read in such a batch is a WALLET item.
pub fn is_wallet(it: &Item) -> bool {
    it.str("sk") == Some(WALLET_SK)
}

/// The wallet among items read in a batch (none = all zero).
pub fn find(items: &[Item]) -> Wallet {
    items.iter().find(|it| is_wallet(it)).map(from_item).unwrap_or_default()
}

fn from_item(it: &Item) -> Wallet {
    Wallet {
        balance: Fen(it.i64("balance").unwrap_or(0)),
        total: Fen(it.i64("total").unwrap_or(0)),
        ver: it.i64("ver").unwrap_or(0),
    }
}

/// One change of a wallet: the balance moves by `delta` (negative = a debit, conditioned
/// on the balance covering it), `total` by `recharged`; the TX item and the journal legs
/// (which sum to zero) are written with it; `secret` (hash, ttl secs) is a used withdrawal
/// secret that must not exist yet.
pub struct Change<'a> {
    pub txid: &'a str,
    pub kind: &'a str,
    pub delta: i64,
    pub fee: i64,
    pub recharged: i64,
    pub reference: &'a str,
    pub legs: &'a [Leg],
    pub secret: Option<(&'a str, i64)>,
}

/// Why a change was not applied.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The balance does not cover the debit.
    Insufficient,
    /// The withdrawal secret was used before.
    Replayed,
}

/// Attempts of a transaction that lost to a concurrent one on the same wallet
/// (TransactionConflict): retried with a growing, jittered pause.
const ATTEMPTS: u32 = 40;

/// Apply `change` in one TransactWriteItems (one call unless it collides with a concurrent
/// change of the same wallet, then retried). Ok(Err(refusal)): a condition did not hold,
/// nothing was written.
pub async fn apply(db: &Db, uid: UserId, now_ms: i64, change: &Change<'_>) -> AppResult<Result<(), Refusal>> {
    debug_assert_eq!(change.legs.iter().map(|l| l.amount).sum::<i64>(), 0, "journal legs balance");
    let writes = writes(db, uid, now_ms, change);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let r = db.client.transact_write_items().set_transact_items(Some(writes.clone())).send().await;
        let e = match r {
            Ok(_) => return Ok(Ok(())),
            Err(e) => e,
        };
        match failed_conditions(&e) {
            Some(failed) if !failed.is_empty() => {
                let secret_index = change.secret.map(|_| writes.len() - 1);
                return match failed.first().map(|(i, _)| *i) {
                    Some(0) => Ok(Err(Refusal::Insufficient)),
                    Some(i) if Some(i) == secret_index => Ok(Err(Refusal::Replayed)),
                    _ => Err(AppError::internal(format!("wallet tx {}: a new item existed", change.txid))),
                };
            }
            _ if attempt < ATTEMPTS && is_conflict(&e) => {
                // A debit that lost a race: when the balance no longer covers it, refuse now
                // instead of contending again (a run on one wallet drains in one round).
                if c_debit(change) > 0 && get(db, uid).await?.balance.0 < c_debit(change) {
                    return Ok(Err(Refusal::Insufficient));
                }
                let base = 5u64 * u64::from(attempt.min(10));
                tokio::time::sleep(Duration::from_millis(base + rand::random::<u64>() % (base * 2 + 1))).await;
            }
            _ => return Err(e.into()),
        }
    }
}

fn is_conflict<E: std::fmt::Debug, R: std::fmt::Debug>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> bool {
    let text = format!("{e:?}");
    // DynamoDB Local answers a transaction that waited too long for an item lock with a
    // 500 ("will succeed in actual DynamoDB"): the same contention, retried the same way.
    text.contains("TransactionConflict")
        || text.contains("TransactionInProgress")
        || text.contains("too long waiting for a lock")
}

/// The fen a change takes from the balance (0 for a credit).
fn c_debit(c: &Change<'_>) -> i64 {
    (-c.delta).max(0)
}

fn writes(db: &Db, uid: UserId, now_ms: i64, c: &Change<'_>) -> Vec<TransactWriteItem> {
    let mut wallet = Update::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(user_pk(uid), WALLET_SK)))
        .update_expression(
            "SET balance = if_not_exists(balance, :z) + :d, #t = if_not_exists(#t, :z) + :r, \
             ver = if_not_exists(ver, :z) + :one, modifyTime = :now",
        )
        .expression_attribute_names("#t", "total")
        .expression_attribute_values(":z", n(0))
        .expression_attribute_values(":d", n(c.delta))
        .expression_attribute_values(":r", n(c.recharged))
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":now", n(now_ms));
    if c.delta < 0 {
        wallet = wallet.condition_expression("balance >= :debit").expression_attribute_values(":debit", n(-c.delta));
    }
    let mut out = vec![TransactWriteItem::builder().update(wallet.build().expect("table and key set")).build()];
    let mut tx = Db::key(user_pk(uid), wallet_tx_sk(now_ms, c.txid));
    tx.insert("txid".into(), s(c.txid));
    tx.insert("kind".into(), s(c.kind));
    tx.insert("delta".into(), n(c.delta));
    tx.insert("fee".into(), n(c.fee));
    tx.insert("ref".into(), s(c.reference));
    tx.insert("createdAt".into(), n(now_ms));
    out.push(put_new(db, tx));
    for (i, leg) in c.legs.iter().enumerate() {
        let mut it = Db::key(journal_pk(now_ms), journal_sk(now_ms, c.txid, i));
        it.insert("txid".into(), s(c.txid));
        it.insert("account".into(), s(&leg.account));
        it.insert("amount".into(), n(leg.amount));
        it.insert("uid".into(), n(uid.0));
        it.insert("createdAt".into(), n(now_ms));
        out.push(put_new(db, it));
    }
    if let Some((hash, ttl)) = c.secret {
        let mut it = Db::key(user_pk(uid), pay_secret_sk(hash));
        it.insert("ttl".into(), n(ttl));
        it.insert("txid".into(), s(c.txid));
        let put = Put::builder()
            .table_name(&db.table)
            .set_item(Some(it))
            .condition_expression("attribute_not_exists(pk) OR #ttl <= :nows")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":nows", n(now_ms / 1000))
            .build()
            .expect("table and item set");
        out.push(TransactWriteItem::builder().put(put).build());
    }
    out
}

fn put_new(db: &Db, item: Item) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(&db.table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .expect("table and item set");
    TransactWriteItem::builder().put(put).build()
}

/// The WeChat code the user bound (`/user/bind/wxcode`, profile `wxCode`): the openid of
/// a withdrawal. One GetItem of the profile, projected.
pub async fn wx_binding(db: &Db, uid: UserId) -> AppResult<Option<String>> {
    let out = db
        .client
        .get_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(user_pk(uid), PROFILE_SK)))
        .projection_expression("wxCode")
        .consistent_read(true)
        .send()
        .await?;
    Ok(out.item.and_then(|it| it.str("wxCode").map(str::to_string)).filter(|c| !c.is_empty()))
}

/// Every TX item of the user, oldest first (operators' and tests' read; not a request path).
pub async fn transactions(db: &Db, uid: UserId) -> AppResult<Vec<Tx>> {
    let items = query_all(db, None, user_pk(uid), Some(WALLET_TX_PREFIX), None).await?;
    Ok(items
        .iter()
        .map(|it| Tx {
            id: it.string("txid"),
            kind: it.string("kind"),
            delta: it.i64("delta").unwrap_or(0),
            fee: it.i64("fee").unwrap_or(0),
            reference: it.string("ref"),
            at_ms: it.i64("createdAt").unwrap_or(0),
        })
        .collect())
}

/// The journal legs of the UTC day containing `day_ms`: (txid, leg).
pub async fn journal(db: &Db, day_ms: i64) -> AppResult<Vec<(String, Leg)>> {
    let items = query_all(db, None, journal_pk(day_ms), None, None).await?;
    Ok(items
        .iter()
        .map(|it| (it.string("txid"), Leg { account: it.string("account"), amount: it.i64("amount").unwrap_or(0) }))
        .collect())
}
