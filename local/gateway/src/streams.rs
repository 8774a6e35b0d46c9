//! DynamoDB Streams → Lambda event source mapping emulation.
//!
//! Polls every open shard of the table's stream (GetRecords every 50 ms,
//! DescribeStream every 2 s for new shards), converts records to the Lambda
//! DynamoDB event, applies the template's FilterCriteria, and calls the
//! delivery function with batches of up to BatchSize records, in shard order.
//! A failing batch is retried 3 times with backoff, then logged and skipped.

use crate::filter::FilterSet;
use crate::{ddb_json, functions};
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use serde_json::{json, Value};
use shared::Ctx;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

const POLL_INTERVAL: Duration = Duration::from_millis(50);
const DESCRIBE_INTERVAL: Duration = Duration::from_secs(2);
const RETRIES: u32 = 3;

/// What the stream consumer did so far (a test hook).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Batches the delivery function accepted.
    pub batches: u64,
    /// Records in those batches.
    pub records: u64,
    /// Records dropped by the FilterCriteria.
    pub filtered_out: u64,
    /// Batches skipped after the last retry failed.
    pub failed_batches: u64,
    /// DynamoDB calls the delivery function made in accepted batches
    /// (`shared::metrics::count_ddb_calls`; PostToConnection is not one).
    pub ddb_calls: u64,
    /// DynamoDB calls of the last accepted batch.
    pub last_batch_ddb_calls: u64,
}

/// A cloneable view of a gateway's [`StreamStats`], usable from any thread.
#[derive(Debug, Clone)]
pub struct StreamStatsHandle(pub(crate) std::sync::Arc<Counters>);

impl StreamStatsHandle {
    pub fn get(&self) -> StreamStats {
        self.0.snapshot()
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    batches: AtomicU64,
    records: AtomicU64,
    filtered_out: AtomicU64,
    failed_batches: AtomicU64,
    ddb_calls: AtomicU64,
    last_batch_ddb_calls: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> StreamStats {
        StreamStats {
            batches: self.batches.load(Ordering::Relaxed),
            records: self.records.load(Ordering::Relaxed),
            filtered_out: self.filtered_out.load(Ordering::Relaxed),
            failed_batches: self.failed_batches.load(Ordering::Relaxed),
            ddb_calls: self.ddb_calls.load(Ordering::Relaxed),
            last_batch_ddb_calls: self.last_batch_ddb_calls.load(Ordering::Relaxed),
        }
    }
}

pub(crate) struct Poller {
    pub client: aws_sdk_dynamodbstreams::Client,
    pub stream_arn: String,
    pub ctx: Arc<Ctx>,
    pub filters: FilterSet,
    pub batch_size: usize,
    /// The table was created by this start: read shards from their beginning.
    /// Otherwise (dev restart) shards that already exist start at LATEST.
    pub fresh_table: bool,
    pub counters: Arc<Counters>,
    pub shutdown: watch::Receiver<bool>,
}

#[derive(Debug)]
struct Shard {
    parent: Option<String>,
    start: ShardIteratorType,
    iterator: Option<String>,
    last_seq: Option<String>,
    finished: bool,
}

impl Poller {
    pub(crate) async fn run(mut self) {
        let mut shards: BTreeMap<String, Shard> = BTreeMap::new();
        let mut first = true;
        let mut last_describe: Option<Instant> = None;
        let mut last_error_log: Option<Instant> = None;
        loop {
            if *self.shutdown.borrow() {
                break;
            }
            if last_describe.is_none_or(|t| t.elapsed() >= DESCRIBE_INTERVAL) {
                match self.describe(&mut shards, first).await {
                    Ok(()) => first = false,
                    Err(e) => self.log_error(&mut last_error_log, "DescribeStream", &e),
                }
                last_describe = Some(Instant::now());
            }
            let mut busy = false;
            let ids: Vec<String> = shards.keys().cloned().collect();
            for id in ids {
                if *self.shutdown.borrow() {
                    break;
                }
                let parent_open = {
                    let s = &shards[&id];
                    s.finished || s.parent.as_ref().is_some_and(|p| shards.get(p).is_some_and(|ps| !ps.finished))
                };
                if parent_open {
                    continue;
                }
                match self.poll_shard(&id, shards.get_mut(&id).expect("known shard")).await {
                    Ok(had_records) => busy |= had_records,
                    Err(e) => self.log_error(&mut last_error_log, "GetRecords", &e),
                }
            }
            if !busy {
                tokio::select! {
                    _ = tokio::time::sleep(POLL_INTERVAL) => {}
                    _ = self.shutdown.changed() => {}
                }
            }
        }
    }

    fn log_error(&self, last: &mut Option<Instant>, what: &str, e: &str) {
        if last.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
            tracing::warn!(stream = %self.stream_arn, "{what} failed: {e}");
            *last = Some(Instant::now());
        }
    }

    async fn describe(&self, shards: &mut BTreeMap<String, Shard>, first: bool) -> Result<(), String> {
        let mut start: Option<String> = None;
        loop {
            let out = self
                .client
                .describe_stream()
                .stream_arn(&self.stream_arn)
                .set_exclusive_start_shard_id(start.clone())
                .send()
                .await
                .map_err(|e| aws_smithy_types::error::display::DisplayErrorContext(&e).to_string())?;
            let Some(desc) = out.stream_description else { return Ok(()) };
            for s in desc.shards() {
                let Some(id) = s.shard_id() else { continue };
                if shards.contains_key(id) {
                    continue;
                }
                let closed = s.sequence_number_range().and_then(|r| r.ending_sequence_number()).is_some();
                let pre_existing = first && !self.fresh_table;
                shards.insert(
                    id.to_string(),
                    Shard {
                        parent: s.parent_shard_id().map(str::to_string),
                        start: if pre_existing { ShardIteratorType::Latest } else { ShardIteratorType::TrimHorizon },
                        iterator: None,
                        last_seq: None,
                        // Old closed shards of existing data were consumed by earlier runs.
                        finished: pre_existing && closed,
                    },
                );
            }
            match desc.last_evaluated_shard_id {
                Some(next) => start = Some(next),
                None => return Ok(()),
            }
        }
    }

    /// One GetRecords on a shard; Ok(true) if it returned records.
    async fn poll_shard(&self, id: &str, shard: &mut Shard) -> Result<bool, String> {
        use aws_sdk_dynamodbstreams::operation::get_records::GetRecordsError;
        let iterator = match &shard.iterator {
            Some(it) => it.clone(),
            None => {
                let mut req = self.client.get_shard_iterator().stream_arn(&self.stream_arn).shard_id(id);
                req = match &shard.last_seq {
                    Some(seq) => req.shard_iterator_type(ShardIteratorType::AfterSequenceNumber).sequence_number(seq),
                    None => req.shard_iterator_type(shard.start.clone()),
                };
                let out = req
                    .send()
                    .await
                    .map_err(|e| aws_smithy_types::error::display::DisplayErrorContext(&e).to_string())?;
                match out.shard_iterator {
                    Some(it) => it,
                    None => {
                        shard.finished = true;
                        return Ok(false);
                    }
                }
            }
        };
        let out = match self.client.get_records().shard_iterator(iterator).limit(1000).send().await {
            Ok(out) => out,
            Err(e) => {
                match e.as_service_error() {
                    Some(GetRecordsError::ExpiredIteratorException(_)) => shard.iterator = None,
                    Some(GetRecordsError::TrimmedDataAccessException(_)) => {
                        shard.iterator = None;
                        shard.last_seq = None;
                        shard.start = ShardIteratorType::TrimHorizon;
                    }
                    Some(GetRecordsError::ResourceNotFoundException(_)) => shard.finished = true,
                    _ => {}
                }
                return Err(aws_smithy_types::error::display::DisplayErrorContext(&e).to_string());
            }
        };
        shard.iterator = out.next_shard_iterator;
        if shard.iterator.is_none() {
            shard.finished = true;
        }
        let records = out.records.unwrap_or_default();
        if let Some(seq) = records.last().and_then(|r| r.dynamodb.as_ref()).and_then(|d| d.sequence_number.clone()) {
            shard.last_seq = Some(seq);
        }
        if records.is_empty() {
            return Ok(false);
        }
        self.deliver(&records).await;
        Ok(true)
    }

    async fn deliver(&self, records: &[Record]) {
        let mut kept: Vec<Value> = Vec::with_capacity(records.len());
        for r in records {
            let v = ddb_json::record(r, &self.stream_arn, crate::apigw::REGION);
            if self.filters.matches(&v) {
                kept.push(v);
            } else {
                self.counters.filtered_out.fetch_add(1, Ordering::Relaxed);
            }
        }
        for batch in kept.chunks(self.batch_size) {
            let n = batch.len() as u64;
            let event: aws_lambda_events::dynamodb::Event = match serde_json::from_value(json!({ "Records": batch })) {
                Ok(ev) => ev,
                Err(e) => {
                    tracing::error!(error = %e, "stream batch does not deserialize into a DynamoDB event; skipped");
                    self.counters.failed_batches.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            };
            let mut attempt = 0;
            loop {
                let ctx = self.ctx.clone();
                let ev = event.clone();
                let result =
                    tokio::spawn(shared::metrics::count_ddb_calls(async move { functions::delivery(&ctx, ev).await }))
                        .await;
                let err = match result {
                    Ok((Ok(()), calls)) => {
                        self.counters.ddb_calls.fetch_add(u64::from(calls), Ordering::Relaxed);
                        self.counters.last_batch_ddb_calls.store(u64::from(calls), Ordering::Relaxed);
                        self.counters.batches.fetch_add(1, Ordering::Relaxed);
                        self.counters.records.fetch_add(n, Ordering::Relaxed);
                        tracing::debug!(records = n, "delivery batch done");
                        break;
                    }
                    Ok((Err(e), _)) => e.to_string(),
                    Err(join) if join.is_panic() => "delivery panicked".to_string(),
                    Err(join) => join.to_string(),
                };
                if attempt >= RETRIES || *self.shutdown.borrow() {
                    tracing::error!(records = n, attempts = attempt + 1, error = %err, "delivery batch failed; skipped");
                    self.counters.failed_batches.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                tracing::warn!(records = n, attempt = attempt + 1, error = %err, "delivery batch failed; retrying");
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                attempt += 1;
            }
        }
    }
}
