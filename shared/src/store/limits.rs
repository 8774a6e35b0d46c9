//! Abuse limits: counters kept by conditional writes with a TTL (no other service).
//!
//! - per source IP, fixed windows: `LIMIT#ip:<ip>` / `<kind>#<window start:010>`: `n`,
//!   `ttl` = window end. A new window is a new item, so an expired window is fresh even
//!   before DynamoDB deletes it. One conditional UpdateItem per check ([`hit_ip`], through
//!   [`hit_window`], which the per-app and per-connection counters use as well).
//! - password attempts of an account, `LIMIT#user:<uid>` (or `LIMIT#login:<login name>`
//!   for a name without an account, so a lock does not reveal which names exist):
//!   - `LOGIN#<window start:010>`: `n` = attempts in this window that did not succeed,
//!     taken BEFORE the password is compared (so parallel guesses cannot exceed the limit),
//!     deleted by a success; `ttl` = window end.
//!   - `LOCK`: `lockUntil`, `lockSecs` (the last lock's length: each new lock doubles it),
//!     `ttl` = lockUntil + [`BACKOFF_MEMORY`]; deleted by a success.
//!   - `BCAST#<day start:010>`: `n` = mass sends of a public account that day
//!     ([`user_window_item`], in the job's own transaction: services::broadcasts).
//!
//! Fixed windows let a burst straddle two windows (at most twice the limit in a short
//! time); the account lock then takes over with its back-off.

use super::{n, Db, Item, ItemExt};
use crate::error::{AppError, AppResult};
use crate::ids::{LoginName, UserId};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};

/// How long a lock's length is remembered for the next lock's doubling.
pub const BACKOFF_MEMORY: i64 = 86_400;

/// At most `max` events per fixed window of `window` seconds.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub max: i64,
    pub window: i64,
}

pub use crate::domain::sessions::IpKind;

fn window_start(now: i64, window: i64) -> i64 {
    now - now.rem_euclid(window.max(1))
}

/// The counted source: an IPv4 address, or the /64 of an IPv6 address (one subscriber
/// usually holds a whole /64, so per-address counting would be trivial to dodge).
fn source(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(v4) => v4.to_string(),
        Err(_) => ip.chars().take(64).collect(),
    }
}

fn window_sk(label: &str, now: i64, window: i64) -> String {
    format!("{label}#{:010}", window_start(now, window))
}

fn ip_pk(ip: &str) -> String {
    format!("LIMIT#ip:{}", source(ip))
}

fn ip_key(ip: &str, kind: IpKind, now: i64, rule: Rule) -> Item {
    Db::key(ip_pk(ip), window_sk(kind.as_str(), now, rule.window))
}

fn window_end(now: i64, rule: Rule) -> i64 {
    window_start(now, rule.window) + rule.window
}

/// Count one event in the fixed window of `rule` that holds `now`, on the counter item
/// `pk` / `<label>#<window start:010>` (`n`, `ttl` = window end + `linger`): one conditional
/// UpdateItem. False (and nothing counted) when the window already holds `rule.max` events.
/// Every fixed-window counter of the table goes through here (per IP, per Xuanxuan app, per
/// WebSocket connection); the callers own their `pk` formats.
pub async fn hit_window(db: &Db, pk: String, label: &str, now: i64, rule: Rule, linger: i64) -> AppResult<bool> {
    let sk = window_sk(label, now, rule.window);
    let out = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk, sk)))
        .update_expression("ADD n :one SET #ttl = :end")
        .condition_expression("attribute_not_exists(n) OR n < :max")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":end", n(window_end(now, rule) + linger))
        .expression_attribute_values(":max", n(rule.max))
        .send()
        .await;
    super::applied(out)
}

/// The counter update of [`hit_window`] on `LIMIT#user:<uid>` / `<label>#<window start:010>`
/// as one item of a caller's TransactWriteItems (e.g. a mass send counted in the same
/// transaction as its job): the transaction fails on this item's condition when the window
/// already holds `rule.max` events.
pub fn user_window_item(db: &Db, uid: UserId, label: &str, now: i64, rule: Rule) -> TransactWriteItem {
    window_item(db, Subject::User(uid).pk(), label, now, rule)
}

/// [`user_window_item`] for the operator console as a whole (`LIMIT#console`): a limit no
/// number of operators multiplies (console broadcasts).
pub fn console_window_item(db: &Db, label: &str, now: i64, rule: Rule) -> TransactWriteItem {
    window_item(db, "LIMIT#console".to_string(), label, now, rule)
}

fn window_item(db: &Db, pk: String, label: &str, now: i64, rule: Rule) -> TransactWriteItem {
    let key = Db::key(pk, window_sk(label, now, rule.window));
    let up = Update::builder()
        .table_name(&db.table)
        .set_key(Some(key))
        .update_expression("ADD n :one SET #ttl = :end")
        .condition_expression("attribute_not_exists(n) OR n < :max")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":end", n(window_end(now, rule)))
        .expression_attribute_values(":max", n(rule.max))
        .build()
        .expect("table, key and expression set");
    TransactWriteItem::builder().update(up).build()
}

/// Count one event of `kind` from `ip`: one conditional UpdateItem. `RateLimited` when
/// the window already holds `rule.max` events (nothing is counted then).
pub async fn hit_ip(db: &Db, now: i64, ip: &str, kind: IpKind, rule: Rule) -> AppResult<()> {
    if hit_window(db, ip_pk(ip), kind.as_str(), now, rule, 0).await? {
        return Ok(());
    }
    let wait = window_end(now, rule) - now;
    Err(AppError::RateLimited(match kind {
        IpKind::Sms => format!("too many verification codes from this network, try again in {wait} seconds"),
        IpKind::Exists | IpKind::Login => format!("too many requests from this network, try again in {wait} seconds"),
    }))
}

/// Whose password is being tried.
#[derive(Debug, Clone)]
pub enum Subject {
    User(UserId),
    /// A login name with no account: it locks like an account would.
    Name(String),
}

impl Subject {
    pub fn of(uid: Option<UserId>, name: &LoginName) -> Subject {
        match uid {
            Some(u) => Subject::User(u),
            None => Subject::Name(name.key()),
        }
    }

    fn pk(&self) -> String {
        match self {
            Subject::User(u) => format!("LIMIT#user:{u}"),
            Subject::Name(k) => format!("LIMIT#login:{}", k.chars().take(200).collect::<String>()),
        }
    }
}

/// Limits of password checks (ctx settings).
#[derive(Debug, Clone, Copy)]
pub struct LoginRules {
    pub account: Rule,
    pub ip: Rule,
    pub lock_secs: i64,
    pub lock_max_secs: i64,
}

/// A password attempt in progress: end it with [`Attempt::success_items`] (in the
/// transaction that issues the token) or [`Attempt::succeeded`], or with [`Attempt::failed`].
#[derive(Debug)]
pub struct Attempt {
    pk: String,
    counter: Item,
    ip: String,
    now: i64,
    rules: LoginRules,
}

/// Take one attempt for `subject` from `ip` before the password is compared: one
/// TransactWriteItems that counts the attempt (fewer than `account.max` in the window),
/// checks the account is not locked and that `ip` has fewer than `ip.max` failures in
/// its window. `TooManyAttempts` otherwise (nothing counted).
pub async fn begin(db: &Db, now: i64, ip: &str, subject: &Subject, rules: LoginRules) -> AppResult<Attempt> {
    let pk = subject.pk();
    let counter = Db::key(pk.clone(), format!("LOGIN#{:010}", window_start(now, rules.account.window)));
    let take = Update::builder()
        .table_name(&db.table)
        .set_key(Some(counter.clone()))
        .update_expression("ADD n :one SET #ttl = :end")
        .condition_expression("attribute_not_exists(n) OR n < :max")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":end", n(window_end(now, rules.account)))
        .expression_attribute_values(":max", n(rules.account.max))
        .build()
        .expect("key and expression set");
    let unlocked = ConditionCheck::builder()
        .table_name(&db.table)
        .set_key(Some(Db::key(pk.clone(), "LOCK")))
        .condition_expression("attribute_not_exists(lockUntil) OR lockUntil <= :now")
        .expression_attribute_values(":now", n(now))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .expect("key and condition set");
    let ip_ok = ConditionCheck::builder()
        .table_name(&db.table)
        .set_key(Some(ip_key(ip, IpKind::Login, now, rules.ip)))
        .condition_expression("attribute_not_exists(n) OR n < :max")
        .expression_attribute_values(":max", n(rules.ip.max))
        .build()
        .expect("key and condition set");
    let out = db
        .client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().update(take).build())
        .transact_items(TransactWriteItem::builder().condition_check(unlocked).build())
        .transact_items(TransactWriteItem::builder().condition_check(ip_ok).build())
        .send()
        .await;
    let attempt = Attempt { pk, counter, ip: ip.to_string(), now, rules };
    match out {
        Ok(_) => Ok(attempt),
        Err(e) if super::is_condition_failure(&e) => {
            Err(AppError::TooManyAttempts { retry_after: attempt.retry_after(e.as_service_error()) })
        }
        Err(e) => Err(e.into()),
    }
}

impl Attempt {
    /// Seconds until the refused attempt could pass: the lock's end, else the end of the
    /// window that is full (the account's or the IP's).
    fn retry_after(&self, e: Option<&TransactWriteItemsError>) -> i64 {
        let reasons = match e {
            Some(TransactWriteItemsError::TransactionCanceledException(c)) => c.cancellation_reasons().to_vec(),
            _ => vec![],
        };
        let failed = |i: usize| reasons.get(i).and_then(|r| r.code()) == Some("ConditionalCheckFailed");
        let lock_until = reasons.get(1).and_then(|r| r.item()).and_then(|it| it.i64("lockUntil"));
        let wait = match (failed(1), lock_until, failed(0)) {
            (true, Some(until), _) => until - self.now,
            (_, _, true) => window_end(self.now, self.rules.account) - self.now,
            _ if failed(2) => window_end(self.now, self.rules.ip) - self.now,
            _ => self.rules.account.window,
        };
        wait.max(1)
    }

    fn clear(&self, db: &Db) -> [Delete; 2] {
        let del = |key: Item| Delete::builder().table_name(&db.table).set_key(Some(key)).build().expect("key set");
        [del(self.counter.clone()), del(Db::key(self.pk.clone(), "LOCK"))]
    }

    /// A success clears the attempts and the back-off: items for the caller's own
    /// transaction (the one issuing the token), so a login costs no extra call for it.
    pub fn success_items(&self, db: &Db) -> Vec<TransactWriteItem> {
        self.clear(db).into_iter().map(|d| TransactWriteItem::builder().delete(d).build()).collect()
    }

    /// [`Attempt::success_items`] on their own (one TransactWriteItems).
    pub async fn succeeded(&self, db: &Db) -> AppResult<()> {
        db.client.transact_write_items().set_transact_items(Some(self.success_items(db))).send().await?;
        Ok(())
    }

    /// The password was wrong (or the name unknown): the attempt stays counted, the IP
    /// gets one failure, and the attempt that fills the window locks the account (for
    /// `lock_secs`, doubled at each further lock, at most `lock_max_secs`).
    /// One BatchGetItem and one UpdateItem in parallel, plus one TransactWriteItems to lock.
    pub async fn failed(&self, db: &Db) -> AppResult<()> {
        let lock_key = Db::key(self.pk.clone(), "LOCK");
        let ip_fail = hit_ip(db, self.now, &self.ip, IpKind::Login, Rule { max: i64::MAX, ..self.rules.ip });
        let read = super::batch_get_consistent(db, vec![self.counter.clone(), lock_key.clone()]);
        let (ip_fail, items) = tokio::join!(ip_fail, read);
        ip_fail?;
        let items = items?;
        let find =
            |sk: &str| items.iter().find(|it| it.str("sk") == Some(sk)).filter(|it| !super::expired(it, self.now));
        let counter_sk = self.counter.get("sk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
        let attempts = find(&counter_sk).and_then(|it| it.i64("n")).unwrap_or(0);
        if attempts < self.rules.account.max {
            return Ok(());
        }
        let last = find("LOCK").and_then(|it| it.i64("lockSecs"));
        let secs = last.map_or(self.rules.lock_secs, |l| l.saturating_mul(2)).min(self.rules.lock_max_secs);
        let until = self.now + secs;
        let lock = Update::builder()
            .table_name(&db.table)
            .set_key(Some(lock_key))
            .update_expression("SET lockUntil = :until, lockSecs = :secs, #ttl = :ttl")
            .condition_expression("attribute_not_exists(lockUntil) OR lockUntil <= :now")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":until", n(until))
            .expression_attribute_values(":secs", n(secs))
            .expression_attribute_values(":ttl", n(until + BACKOFF_MEMORY))
            .expression_attribute_values(":now", n(self.now))
            .build()
            .expect("key and expression set");
        let [reset, _] = self.clear(db);
        let out = db
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(lock).build())
            .transact_items(TransactWriteItem::builder().delete(reset).build())
            .send()
            .await;
        // A concurrent failure locked it first: nothing more to do.
        super::applied(out).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_windows() {
        let r = Rule { max: 3, window: 600 };
        assert_eq!(window_start(1_000_123, 600), 999_600);
        assert_eq!(window_end(1_000_123, r), 1_000_200);
        let k = ip_key("10.0.0.1", IpKind::Sms, 1_000_123, r);
        assert_eq!(k["pk"].as_s().unwrap(), "LIMIT#ip:10.0.0.1");
        assert_eq!(k["sk"].as_s().unwrap(), "sms#0000999600");
        assert_eq!(source("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(source("2001:db8:1:2:bbbb::9"), source("2001:db8:1:2:aaaa::1"));

        assert_eq!(Subject::User(UserId(10000001)).pk(), "LIMIT#user:10000001");
        let name = LoginName::username("alice").unwrap();
        assert_eq!(Subject::of(None, &name).pk(), format!("LIMIT#login:{}", name.key()));
    }
}
