//! DynamoDB single-table data model (docs/data-model.md). Each submodule owns
//! one entity's keys and operations; nothing outside `store` builds keys.

pub mod apps;
pub mod audit;
pub mod codes;
pub mod config;
pub mod connections;
pub mod console;
pub mod console_logs;
pub mod console_rooms;
pub mod conversations;
pub mod copies;
pub mod courses;
pub mod events;
pub mod fanout;
pub mod favorites;
pub mod feed;
pub mod files;
pub mod geo;
pub mod gone;
pub mod group_counts;
pub mod groups;
pub mod idempotency;
pub mod invites;
pub mod jobs;
pub mod keypairs;
pub mod keys;
pub mod limits;
pub mod live;
pub mod lookups;
pub mod mail;
pub mod messages;
pub mod notices;
pub mod ocus;
pub mod org;
pub mod profiles;
pub mod pushes;
pub mod relations;
pub mod requests;
pub mod room_writes;
pub mod rooms;
pub mod settings;
pub mod stats;
pub mod stream;
pub mod tokens;
pub mod users;
pub mod wallet;

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

pub const GSI1: &str = "GSI1";
pub const GSI2: &str = "GSI2";

#[derive(Clone, Debug)]
pub struct Db {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
}

impl Db {
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        Db { client, table }
    }

    pub fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
        HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
    }

    /// GetItem, strongly consistent: auth and membership checks must see the latest write.
    pub async fn get(&self, pk: impl Into<String>, sk: impl Into<String>) -> crate::AppResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Db::key(pk, sk)))
            .consistent_read(true)
            .send()
            .await?;
        Ok(out.item)
    }
}

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// Typed reads of item attributes; missing or mistyped attributes read as None.
pub trait ItemExt {
    fn str(&self, k: &str) -> Option<&str>;
    fn string(&self, k: &str) -> String {
        self.str(k).unwrap_or_default().to_string()
    }
    fn i64(&self, k: &str) -> Option<i64>;
    fn f64(&self, k: &str) -> Option<f64>;
    fn bool(&self, k: &str) -> Option<bool>;
    fn strings(&self, k: &str) -> Vec<String>;
}

impl ItemExt for Item {
    fn str(&self, k: &str) -> Option<&str> {
        self.get(k).and_then(|v| v.as_s().ok()).map(String::as_str)
    }
    fn i64(&self, k: &str) -> Option<i64> {
        self.get(k).and_then(|v| v.as_n().ok()).and_then(|x| x.parse().ok())
    }
    fn f64(&self, k: &str) -> Option<f64> {
        self.get(k).and_then(|v| v.as_n().ok()).and_then(|x| x.parse().ok())
    }
    fn bool(&self, k: &str) -> Option<bool> {
        self.get(k).and_then(|v| v.as_bool().ok()).copied()
    }
    fn strings(&self, k: &str) -> Vec<String> {
        match self.get(k) {
            Some(AttributeValue::Ss(v)) => v.clone(),
            Some(AttributeValue::L(v)) => v.iter().filter_map(|x| x.as_s().ok().cloned()).collect(),
            _ => vec![],
        }
    }
}

/// True when a TransactWriteItems failure was a condition check (a lost race or
/// a duplicate), as opposed to an infrastructure error.
pub fn is_condition_failure<E: std::fmt::Debug>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> bool {
    let text = format!("{e:?}");
    text.contains("ConditionalCheckFailed")
}

/// The items whose condition failed in a cancelled TransactWriteItems, in order: (index,
/// the item as it was when `ReturnValuesOnConditionCheckFailure` asked for it). None: the
/// call failed for another reason (a conflicting transaction, throttling, …).
pub fn failed_conditions(
    e: &aws_smithy_runtime_api::client::result::SdkError<
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
        aws_smithy_runtime_api::http::Response,
    >,
) -> Option<Vec<(usize, Option<Item>)>> {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    let Some(TransactWriteItemsError::TransactionCanceledException(c)) = e.as_service_error() else {
        return None;
    };
    let reasons = c.cancellation_reasons();
    if reasons.iter().any(|r| r.code().is_some_and(|c| c != "None" && c != "ConditionalCheckFailed")) {
        return None;
    }
    Some(
        reasons
            .iter()
            .enumerate()
            .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
            .map(|(i, r)| (i, r.item().cloned()))
            .collect(),
    )
}

/// Outcome of a conditional write: `true` applied, `false` its condition did not
/// hold (a lost race, a duplicate, a missing item); other failures are errors.
pub fn applied<T, E>(
    r: Result<T, aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::http::Response>>,
) -> crate::AppResult<bool>
where
    E: std::error::Error + 'static,
{
    match r {
        Ok(_) => Ok(true),
        Err(e) if is_condition_failure(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Items whose `ttl` has passed are absent, even before DynamoDB deletes them.
pub fn expired(item: &Item, now_secs: i64) -> bool {
    item.i64("ttl").is_some_and(|t| t <= now_secs)
}

/// Every item of one partition, all Query pages (≈1 MB each), on the table or
/// a GSI, optionally one sort-key prefix and a projection. For lists that are
/// read whole (members of a room, a user's conversations, directories).
pub async fn query_all(
    db: &Db,
    index: Option<&str>,
    partition: String,
    sk_prefix: Option<&str>,
    projection: Option<&str>,
) -> crate::AppResult<Vec<Item>> {
    let (pk_attr, sk_attr) = match index {
        None => ("pk", "sk"),
        Some(GSI1) => ("gsi1pk", "gsi1sk"),
        Some(_) => ("gsi2pk", "gsi2sk"),
    };
    let mut q = db
        .client
        .query()
        .table_name(&db.table)
        .set_index_name(index.map(str::to_string))
        .expression_attribute_values(":p", s(partition))
        .set_projection_expression(projection.map(str::to_string));
    q = match sk_prefix {
        Some(prefix) => q
            .key_condition_expression(format!("{pk_attr} = :p AND begins_with({sk_attr}, :m)"))
            .expression_attribute_values(":m", s(prefix)),
        None => q.key_condition_expression(format!("{pk_attr} = :p")),
    };
    let mut out = vec![];
    let mut pages = q.into_paginator().items().send();
    while let Some(it) = pages.next().await {
        out.push(it?);
    }
    Ok(out)
}

/// BatchGetItem in chunks of 100 keys, retrying unprocessed keys.
pub async fn batch_get(db: &Db, keys: Vec<Item>) -> crate::AppResult<Vec<Item>> {
    batch_get_with(db, keys, false).await
}

/// BatchGetItem with strongly consistent reads (read-modify-write paths).
pub async fn batch_get_consistent(db: &Db, keys: Vec<Item>) -> crate::AppResult<Vec<Item>> {
    batch_get_with(db, keys, true).await
}

async fn batch_get_with(db: &Db, keys: Vec<Item>, consistent: bool) -> crate::AppResult<Vec<Item>> {
    use aws_sdk_dynamodb::types::KeysAndAttributes;
    let mut out = vec![];
    for chunk in keys.chunks(100) {
        let mut pending = chunk.to_vec();
        let mut backoff = Backoff::default();
        while !pending.is_empty() {
            let ka = KeysAndAttributes::builder()
                .set_keys(Some(pending))
                .consistent_read(consistent)
                .build()
                .expect("keys set");
            let resp = db.client.batch_get_item().request_items(&db.table, ka).send().await?;
            if let Some(mut r) = resp.responses {
                out.extend(r.remove(&db.table).unwrap_or_default());
            }
            pending = resp.unprocessed_keys.and_then(|mut u| u.remove(&db.table)).map(|k| k.keys).unwrap_or_default();
            backoff.wait_if(!pending.is_empty(), "batch get").await?;
        }
    }
    Ok(out)
}

/// BatchWriteItem in chunks of 25 requests, retrying unprocessed ones.
pub async fn batch_write(db: &Db, requests: Vec<aws_sdk_dynamodb::types::WriteRequest>) -> crate::AppResult<()> {
    for chunk in requests.chunks(25) {
        let mut pending = chunk.to_vec();
        let mut backoff = Backoff::default();
        while !pending.is_empty() {
            let out = db.client.batch_write_item().request_items(&db.table, pending).send().await?;
            pending = out.unprocessed_items.and_then(|mut u| u.remove(&db.table)).unwrap_or_default();
            backoff.wait_if(!pending.is_empty(), "batch write").await?;
        }
    }
    Ok(())
}

/// Exponential backoff for unprocessed batch items (throttling); gives up after 8 rounds.
#[derive(Default)]
struct Backoff {
    attempts: u32,
}

impl Backoff {
    async fn wait_if(&mut self, pending: bool, what: &str) -> crate::AppResult<()> {
        if !pending {
            return Ok(());
        }
        self.attempts += 1;
        if self.attempts > 8 {
            return Err(crate::AppError::internal(format!("{what} kept throttling")));
        }
        tokio::time::sleep(std::time::Duration::from_millis(20 << self.attempts.min(5))).await;
        Ok(())
    }
}
