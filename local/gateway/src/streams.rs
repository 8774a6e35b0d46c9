//! DynamoDB Streams → Lambda event source mapping emulation.
//!
//! Polls every open shard of the table's stream (GetRecords every 50 ms,
//! DescribeStream every 2 s for new shards), converts records to the Lambda
//! DynamoDB event, applies the template's FilterCriteria, and calls the
//! delivery function with batches of up to BatchSize records, in shard order,
//! under the template's retry contract (partial batch response, bisect on
//! function error, MaximumRetryAttempts, MaximumRecordAgeInSeconds; given-up
//! batches are kept as [`DeadLetter`]s: the SQS on-failure queue is not emulated).

use crate::filter::FilterSet;
use crate::iam::Grants;
use crate::template::StreamConsumerDef;
use crate::{ddb_json, functions};
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use serde_json::{json, Value};
use shared::Ctx;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

const POLL_INTERVAL: Duration = Duration::from_millis(50);
const DESCRIBE_INTERVAL: Duration = Duration::from_secs(2);

/// What the stream consumer did so far (a test hook; also in `GET /_local/stats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StreamStats {
    /// Batches the delivery function accepted.
    pub batches: u64,
    /// Records in those batches.
    pub records: u64,
    /// Records dropped by the FilterCriteria.
    pub filtered_out: u64,
    /// Batches given up on ([`DeadLetter`]s: retries exhausted or records too old).
    pub failed_batches: u64,
    /// Records in those batches.
    pub dead_lettered_records: u64,
    /// Partial batch responses (`batchItemFailures`) the function answered.
    pub item_failures: u64,
    /// Function errors (error answer, panic, timeout).
    pub function_errors: u64,
    /// Batches split in two after a function error.
    pub bisections: u64,
    /// DynamoDB calls the delivery function made in accepted batches
    /// (`shared::metrics::count_ddb_calls`; PostToConnection is not one).
    pub ddb_calls: u64,
    /// DynamoDB calls of the last accepted batch.
    pub last_batch_ddb_calls: u64,
}

/// A batch the consumer gave up on (AWS sends its description to the mapping's on-failure
/// destination; SQS is not emulated, so the local stack keeps it here and logs a warning).
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// `RetryAttemptsExhausted` or `RecordAgeExceeded` (AWS's `requestContext.condition`).
    pub condition: String,
    pub shard_id: String,
    pub start_sequence_number: String,
    pub end_sequence_number: String,
    /// The Lambda event records given up on (AWS's message carries only their range).
    pub records: Vec<Value>,
    /// The last error the function answered.
    pub error: String,
}

/// A cloneable view of a gateway's [`StreamStats`], usable from any thread.
#[derive(Debug, Clone)]
pub struct StreamStatsHandle(pub(crate) std::sync::Arc<Counters>);

impl StreamStatsHandle {
    pub fn get(&self) -> StreamStats {
        self.0.snapshot()
    }
}

/// A test-only fault ([`StreamStatsHandle::fail_delivery`]): the delivery of the first record
/// of a batch that matches fails, `left` more times.
pub(crate) struct DeliveryFault {
    matches: Box<dyn Fn(&Value) -> bool + Send + Sync>,
    left: AtomicU32,
}

impl std::fmt::Debug for DeliveryFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryFault").field("left", &self.left).finish()
    }
}

impl StreamStatsHandle {
    /// Stop (true) or resume (false) reading the stream; records written meanwhile are
    /// read together at resume, so a test can put several records in one batch.
    pub fn pause(&self, paused: bool) {
        self.0.paused.store(paused, Ordering::Relaxed);
    }

    /// Make the delivery of records matching `matches` (the Lambda event record as JSON) fail,
    /// the first `times` times an invocation reaches one: records before it in the batch are
    /// delivered, then DynamoDB is unreachable for the function from that record on (as in an
    /// outage), so `delivery` itself meets the error. Test hook; no effect on the functions.
    pub fn fail_delivery(&self, times: u32, matches: impl Fn(&Value) -> bool + Send + Sync + 'static) {
        let fault = DeliveryFault { matches: Box::new(matches), left: AtomicU32::new(times) };
        self.0.faults.lock().expect("faults lock").push(Arc::new(fault));
    }

    /// The batches given up on so far, oldest first.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.0.dead_letters.lock().expect("dead letters lock").clone()
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    paused: AtomicBool,
    faults: Mutex<Vec<Arc<DeliveryFault>>>,
    dead_letters: Mutex<Vec<DeadLetter>>,
    batches: AtomicU64,
    records: AtomicU64,
    filtered_out: AtomicU64,
    failed_batches: AtomicU64,
    dead_lettered_records: AtomicU64,
    item_failures: AtomicU64,
    function_errors: AtomicU64,
    bisections: AtomicU64,
    ddb_calls: AtomicU64,
    last_batch_ddb_calls: AtomicU64,
}

impl Counters {
    pub(crate) fn dead_letter_count(&self) -> usize {
        self.dead_letters.lock().map(|d| d.len()).unwrap_or(0)
    }

    pub(crate) fn snapshot(&self) -> StreamStats {
        StreamStats {
            batches: self.batches.load(Ordering::Relaxed),
            records: self.records.load(Ordering::Relaxed),
            filtered_out: self.filtered_out.load(Ordering::Relaxed),
            failed_batches: self.failed_batches.load(Ordering::Relaxed),
            dead_lettered_records: self.dead_lettered_records.load(Ordering::Relaxed),
            item_failures: self.item_failures.load(Ordering::Relaxed),
            function_errors: self.function_errors.load(Ordering::Relaxed),
            bisections: self.bisections.load(Ordering::Relaxed),
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
    /// BatchSize, FilterCriteria aside, and the retry contract.
    pub consumer: StreamConsumerDef,
    /// The function's Timeout: a longer invocation is a function error.
    pub timeout: Duration,
    /// The consumer function's DynamoDB grants, enforced while it runs.
    pub grants: Arc<Grants>,
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
            if self.counters.paused.load(Ordering::Relaxed) {
                tokio::time::sleep(POLL_INTERVAL).await;
                continue;
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
        tracing::debug!(stream = %self.stream_arn, "{what} failed: {e}");
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

    /// Records of the first fault that matches (its count taken), as an index into `records`.
    fn fault_at(&self, records: &[Value]) -> Option<usize> {
        let faults = self.counters.faults.lock().expect("faults lock").clone();
        for (i, r) in records.iter().enumerate() {
            for f in &faults {
                if (f.matches)(r)
                    && f.left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok()
                {
                    return Some(i);
                }
            }
        }
        None
    }

    /// One invocation of the delivery function on `records`; with a test fault, the records
    /// from the faulty one on see an unreachable DynamoDB (what one invocation would meet).
    async fn invoke(&self, records: &[Value]) -> Outcome {
        let Some(i) = self.fault_at(records) else {
            return call(self.ctx.clone(), self.grants.clone(), records, self.timeout).await;
        };
        let mut calls = 0;
        if i > 0 {
            match call(self.ctx.clone(), self.grants.clone(), &records[..i], self.timeout).await {
                Outcome::Done(c) => calls = c,
                other => return other,
            }
        }
        match call(Arc::new(unreachable_ctx(&self.ctx)), self.grants.clone(), &records[i..], self.timeout).await {
            Outcome::Done(c) => Outcome::Done(calls + c),
            Outcome::Failed(at) => Outcome::Failed(i + at),
            // The function fails on the first record it got; in one invocation that is record i.
            Outcome::Error(_) if i > 0 => Outcome::Failed(i),
            Outcome::Error(e) => Outcome::Error(e),
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
                    // Any other answer (an iterator DynamoDB Local no longer takes after a
                    // restart: "Invalid ShardIterator", an internal error): ask for a new
                    // one after the last record delivered (AfterSequenceNumber), so nothing
                    // is skipped or delivered twice. A transport error (the endpoint is down,
                    // timed out) keeps the iterator: it still works once the endpoint is back.
                    Some(_) => shard.iterator = None,
                    None => {}
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
        self.deliver(id, &records).await;
        Ok(true)
    }

    async fn deliver(&self, shard_id: &str, records: &[Record]) {
        let mut kept: Vec<Value> = Vec::with_capacity(records.len());
        for r in records {
            let v = ddb_json::record(r, &self.stream_arn, crate::apigw::REGION);
            if self.filters.matches(&v) {
                kept.push(v);
            } else {
                self.counters.filtered_out.fetch_add(1, Ordering::Relaxed);
            }
        }
        for batch in kept.chunks(self.consumer.batch_size) {
            self.deliver_batch(shard_id, batch.to_vec()).await;
        }
    }

    /// One batch under the event source mapping's contract: a partial batch response resumes
    /// from the reported record (the records before it are done), a function error splits the
    /// batch in two (BisectBatchOnFunctionError; a split is not a retry), a record past
    /// MaximumRecordAgeInSeconds or a batch past MaximumRetryAttempts is given up and recorded
    /// ([`DeadLetter`]). The shard waits meanwhile, as on AWS.
    async fn deliver_batch(&self, shard_id: &str, batch: Vec<Value>) {
        let c = &self.consumer;
        let mut queue: VecDeque<(Vec<Value>, u32)> = VecDeque::from([(batch, 0)]);
        while let Some((mut records, retries)) = queue.pop_front() {
            if *self.shutdown.borrow() {
                return;
            }
            if let Some(max_age) = c.max_record_age_secs {
                let now = shared::clock::Clock::now_secs(&shared::clock::SystemClock);
                let old = records
                    .iter()
                    .take_while(|r| {
                        r["dynamodb"]["ApproximateCreationDateTime"].as_i64().unwrap_or(now) + (max_age as i64) < now
                    })
                    .count();
                if old > 0 {
                    let rest = records.split_off(old);
                    self.dead_letter(
                        shard_id,
                        "RecordAgeExceeded",
                        records,
                        "record older than MaximumRecordAgeInSeconds",
                    );
                    records = rest;
                }
                if records.is_empty() {
                    continue;
                }
            }
            let n = records.len();
            let error = match self.invoke(&records).await {
                Outcome::Done(calls) => {
                    self.accepted(n, calls);
                    continue;
                }
                // Without ReportBatchItemFailures the answer is not read: the batch is done.
                Outcome::Failed(_) if !c.report_item_failures => {
                    self.accepted(n, 0);
                    continue;
                }
                Outcome::Failed(at) => {
                    self.counters.item_failures.fetch_add(1, Ordering::Relaxed);
                    self.accepted(at, 0);
                    let rest = records.split_off(at);
                    let error = format!("delivery reported record {at} of {n} as failed");
                    if c.max_retries.is_some_and(|m| retries >= m) {
                        self.dead_letter(shard_id, "RetryAttemptsExhausted", rest, &error);
                    } else {
                        tracing::warn!(records = rest.len(), retry = retries + 1, "{error}; retrying from it");
                        self.backoff(retries).await;
                        queue.push_front((rest, retries + 1));
                    }
                    continue;
                }
                Outcome::Error(e) => e,
            };
            self.counters.function_errors.fetch_add(1, Ordering::Relaxed);
            if c.bisect_on_error && n > 1 {
                tracing::warn!(records = n, %error, "delivery failed; splitting the batch");
                self.counters.bisections.fetch_add(1, Ordering::Relaxed);
                let second = records.split_off(n / 2);
                queue.push_front((second, retries));
                queue.push_front((records, retries));
            } else if c.max_retries.is_some_and(|m| retries >= m) {
                self.dead_letter(shard_id, "RetryAttemptsExhausted", records, &error);
            } else {
                tracing::warn!(records = n, retry = retries + 1, %error, "delivery failed; retrying");
                self.backoff(retries).await;
                queue.push_front((records, retries + 1));
            }
        }
    }

    fn accepted(&self, records: usize, calls: u32) {
        self.counters.ddb_calls.fetch_add(u64::from(calls), Ordering::Relaxed);
        self.counters.last_batch_ddb_calls.store(u64::from(calls), Ordering::Relaxed);
        self.counters.batches.fetch_add(1, Ordering::Relaxed);
        self.counters.records.fetch_add(records as u64, Ordering::Relaxed);
    }

    async fn backoff(&self, retries: u32) {
        let mut shutdown = self.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(100 << retries.min(3))) => {}
            _ = shutdown.changed() => {}
        }
    }

    /// AWS sends the batch's description to the OnFailure destination (SQS); here it is kept.
    fn dead_letter(&self, shard_id: &str, condition: &str, records: Vec<Value>, error: &str) {
        let seq =
            |r: Option<&Value>| r.and_then(|r| r["dynamodb"]["SequenceNumber"].as_str()).unwrap_or("").to_string();
        let dl = DeadLetter {
            condition: condition.to_string(),
            shard_id: shard_id.to_string(),
            start_sequence_number: seq(records.first()),
            end_sequence_number: seq(records.last()),
            records,
            error: error.to_string(),
        };
        tracing::warn!(
            destination = ?self.consumer.on_failure,
            condition,
            records = dl.records.len(),
            start = dl.start_sequence_number,
            end = dl.end_sequence_number,
            error,
            "delivery gave up on stream records (on-failure destination not emulated: kept in the stream stats)"
        );
        self.counters.failed_batches.fetch_add(1, Ordering::Relaxed);
        self.counters.dead_lettered_records.fetch_add(dl.records.len() as u64, Ordering::Relaxed);
        self.counters.dead_letters.lock().expect("dead letters lock").push(dl);
    }
}

/// What one invocation of the delivery function answered.
#[derive(Debug)]
enum Outcome {
    /// Every record done; the DynamoDB calls it made.
    Done(u32),
    /// A partial batch response: the index of the first failed record.
    Failed(usize),
    /// A function error (error answer, panic, unreadable response).
    Error(String),
}

async fn call(ctx: Arc<Ctx>, grants: Arc<Grants>, records: &[Value], timeout: Duration) -> Outcome {
    let event: aws_lambda_events::dynamodb::Event = match serde_json::from_value(json!({ "Records": records })) {
        Ok(ev) => ev,
        Err(e) => return Outcome::Error(format!("stream batch does not deserialize into a DynamoDB event: {e}")),
    };
    let task = tokio::spawn(crate::iam::scope(
        grants,
        shared::metrics::count_ddb_calls(async move { functions::delivery(&ctx, event).await }),
    ));
    let abort = task.abort_handle();
    let result = match tokio::time::timeout(timeout, task).await {
        Ok(r) => r,
        Err(_) => {
            abort.abort();
            return Outcome::Error(format!("Task timed out after {} seconds", timeout.as_secs()));
        }
    };
    let (res, calls) = match result {
        Ok(r) => r,
        Err(join) if join.is_panic() => return Outcome::Error("delivery panicked".to_string()),
        Err(join) => return Outcome::Error(join.to_string()),
    };
    let res = match res {
        Ok(res) => res,
        Err(e) => return Outcome::Error(e.to_string()),
    };
    // Lambda checkpoints at the lowest reported sequence number; a missing or unknown
    // identifier makes the whole batch a failure.
    let mut first: Option<usize> = None;
    for f in &res.batch_item_failures {
        let Some(i) = f
            .item_identifier
            .as_deref()
            .filter(|id| !id.is_empty())
            .and_then(|id| records.iter().position(|r| r["dynamodb"]["SequenceNumber"].as_str() == Some(id)))
        else {
            return Outcome::Error(format!("invalid itemIdentifier {:?} in batchItemFailures", f.item_identifier));
        };
        first = Some(first.map_or(i, |f| f.min(i)));
    }
    match first {
        Some(i) => Outcome::Failed(i),
        None => Outcome::Done(calls),
    }
}

/// `ctx` with a DynamoDB client whose endpoint refuses connections (no retries): a test fault.
fn unreachable_ctx(ctx: &Ctx) -> Ctx {
    let mut c = ctx.clone();
    let conf =
        c.db.client
            .config()
            .to_builder()
            .endpoint_url("http://127.0.0.1:9")
            .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
            .build();
    c.db.client = aws_sdk_dynamodb::Client::from_conf(conf);
    c
}
