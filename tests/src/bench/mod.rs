//! Messaging benchmarks of `make bench` (sizes from the environment, defaults
//! runnable in a few minutes on a 2-core machine):
//! - [`group_send`]: send latency to a big group vs 1:1, with DynamoDB calls
//! - [`fanout`]: send → last WebSocket delivery in a big group, delivery's DynamoDB calls
//! - [`scan_compare`]: our fan-out vs "Scan every connection per message" (RCUs, time)
//! - [`sync`]: Queries of a sync after N missed messages
//! - [`feed`]: following page with 500 follows, a post's fan-out to 500 fans (not in the default run)
//! - [`broadcast`]: a public account's mass send to 10 000 fans, interrupted worker (not in the default run)
//! - [`connect`]: `$connect`/`$disconnect` cost of a user in 10 … 2000 groups (not in the default run)

pub mod baseline;
pub mod big_room;
pub mod broadcast;
pub mod connect;
pub mod fanout;
pub mod feed;
pub mod group_send;
pub mod scan_compare;
pub mod storm;
pub mod sync;

use e2e::TestApp;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::ids::UserId;
use shared::store::{tokens, users, Db, Item};
use shared::Ctx;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// The repository (the workspace root).
pub fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// `name` from the environment, else `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

pub fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// (p50, p99) of unsorted samples.
pub fn p50_p99(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (pct(&v, 0.5), pct(&v, 0.99))
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Raise the soft open-files limit to the hard limit (1000+ sockets, both ends in this process).
pub fn raise_fd_limit() -> u64 {
    unsafe {
        let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) != 0 {
            return 0;
        }
        if r.rlim_cur < r.rlim_max {
            let want = libc::rlimit { rlim_cur: r.rlim_max, rlim_max: r.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                r.rlim_cur = r.rlim_max;
            }
        }
        r.rlim_cur
    }
}

/// Accounts written straight into the table (no password hashing), each with a
/// WebSocket-capable access token: (uid, token). `par` creations in flight.
pub async fn bench_users(ctx: &Ctx, n: usize, par: usize) -> Vec<(UserId, String)> {
    let tag = format!("{}_{}", std::process::id(), shared::clock::Clock::now_ms(&shared::clock::SystemClock));
    futures_util::stream::iter(0..n)
        .map(|i| {
            let ctx = ctx.clone();
            let tag = tag.clone();
            async move {
                let u = users::create(
                    &ctx.db,
                    ctx.now_ms(),
                    users::NewUser {
                        nickname: format!("b{i}"),
                        password_hash: "bench-no-login".into(),
                        username: Some(format!("bench_{tag}_{i}")),
                        ..Default::default()
                    },
                )
                .await
                .expect("create bench user");
                let t = tokens::issue(&ctx.db, ctx.now_secs(), u.uid, tokens::SHIKU_TTL, None).await.expect("token");
                (u.uid, t.token)
            }
        })
        .buffered(par)
        .collect()
        .await
}

/// A group of `owner` + `members`: the first 98 in the creating transaction, the rest in batches.
pub async fn bench_group(ctx: &Ctx, owner: UserId, members: &[UserId]) -> String {
    let first: Vec<UserId> =
        members.iter().copied().filter(|m| *m != owner).take(shared::store::groups::MAX_IN_CREATION).collect();
    let conv = shared::store::groups::create_group(&ctx.db, ctx.now_ms(), owner, "bench", &first).await.expect("group");
    let rest: Vec<UserId> = members.iter().copied().filter(|m| *m != owner && !first.contains(m)).collect();
    if !rest.is_empty() {
        shared::store::invites::add_members_within(&ctx.db, ctx.now_ms(), &conv.id, &rest, "member", 1000, None)
            .await
            .expect("add members");
    }
    conv.id
}

/// Wait until the gateway's stream consumer has been idle for 1.5 s (earlier
/// sends' deliveries must not land in a measured batch); false after a minute.
pub async fn wait_stream_idle(app: &TestApp) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = app.stream_stats();
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let now = app.stream_stats();
        if now == last {
            return true;
        }
        last = now;
    }
    false
}

/// A frame one of the fleet's sockets received, with its arrival time.
#[derive(Debug)]
pub struct Arrival {
    pub socket: usize,
    pub frame: Value,
    pub at: Instant,
}

pub type Stream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket handshake with `url`, tried 5 times 200 ms apart.
pub async fn connect_socket(url: &str) -> Result<Stream, String> {
    let mut last = String::new();
    for attempt in 0..5 {
        match tokio_tungstenite::connect_async(url).await {
            Ok((s, _)) => return Ok(s),
            Err(e) => last = e.to_string(),
        }
        if attempt < 4 {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Err(format!("websocket connect: {last}"))
}

/// The task of one client socket (the bench's [`Fleet`] and the load's `Sockets`): every text
/// frame received goes to `tx` as an [`Arrival`] of `socket` (JSON, else `{"raw": text}`);
/// every string sent on the answered sender goes out as a text frame. Dropping that sender
/// closes the socket and ends the task, as do the server's close and `tx`'s receiver going.
pub fn spawn_socket(
    s: Stream,
    socket: usize,
    tx: mpsc::UnboundedSender<Arrival>,
) -> (mpsc::UnboundedSender<String>, tokio::task::JoinHandle<()>) {
    let (mut sink, mut stream) = s.split();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<String>();
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                m = stream.next() => match m {
                    Some(Ok(WsMessage::Text(t))) => {
                        let at = Instant::now();
                        let frame = serde_json::from_str(&t).unwrap_or(json!({"raw": t.to_string()}));
                        if tx.send(Arrival { socket, frame, at }).is_err() {
                            break;
                        }
                    }
                    Some(Ok(_)) => {}
                    _ => break,
                },
                o = out_rx.recv() => match o {
                    Some(text) => { let _ = sink.send(WsMessage::text(text)).await; }
                    None => { let _ = sink.close().await; break; }
                },
            }
        }
    });
    (out_tx, task)
}

/// Many WebSocket clients; every received JSON frame lands in one channel.
pub struct Fleet {
    pub rx: mpsc::UnboundedReceiver<Arrival>,
    senders: Vec<mpsc::UnboundedSender<String>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Fleet {
    /// Connect one socket per token, `par` handshakes in flight.
    pub async fn connect(app: &TestApp, tokens: &[String], par: usize) -> Fleet {
        let (tx, rx) = mpsc::unbounded_channel();
        let urls: Vec<String> = tokens.iter().map(|t| format!("{}/?access_token={t}", app.ws_url)).collect();
        let streams: Vec<_> = futures_util::stream::iter(urls)
            .map(|url| async move { connect_socket(&url).await.unwrap_or_else(|e| panic!("{e}")) })
            .buffered(par)
            .collect()
            .await;
        let mut senders = vec![];
        let mut tasks = vec![];
        for (i, s) in streams.into_iter().enumerate() {
            let (out, task) = spawn_socket(s, i, tx.clone());
            senders.push(out);
            tasks.push(task);
        }
        Fleet { rx, senders, tasks }
    }

    /// Drop frames already received.
    pub fn drain(&mut self) {
        while self.rx.try_recv().is_ok() {}
    }

    /// Wait until `count` frames matching `pred` arrived (on any sockets); arrivals in order.
    pub async fn collect(&mut self, count: usize, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Vec<Arrival> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut got = vec![];
        while got.len() < count {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(a)) if pred(&a.frame) => got.push(a),
                Ok(Some(_)) => {}
                _ => break,
            }
        }
        got
    }

    /// Close every socket and wait for the readers to end.
    pub async fn close(self) {
        drop(self.senders);
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
    }
}

/// Per-operation DynamoDB call counts and consumed read capacity, for calls
/// made through a [`counting_ctx`] (ReturnConsumedCapacity=TOTAL is forced on reads).
#[derive(Debug, Default, Clone)]
pub struct OpStats {
    pub calls: HashMap<&'static str, u32>,
    pub rcu: f64,
}

impl OpStats {
    pub fn get(&self, op: &str) -> u32 {
        self.calls.get(op).copied().unwrap_or(0)
    }
    /// "Query 1, BatchGetItem 10" in a stable order.
    pub fn breakdown(&self) -> String {
        let mut v: Vec<_> = self.calls.iter().collect();
        v.sort();
        v.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ")
    }
}

#[derive(Debug, Clone, Default)]
pub struct OpCounter(Arc<Mutex<OpStats>>);

impl OpCounter {
    pub fn take(&self) -> OpStats {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl aws_sdk_dynamodb::config::Intercept for OpCounter {
    fn name(&self) -> &'static str {
        "BenchOpCounter"
    }

    fn modify_before_serialization(
        &self,
        context: &mut aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextMut<'_>,
        _rc: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        use aws_sdk_dynamodb::operation::*;
        use aws_sdk_dynamodb::types::ReturnConsumedCapacity::Total;
        let input = context.input_mut();
        let op = if let Some(i) = input.downcast_mut::<query::QueryInput>() {
            i.return_consumed_capacity = Some(Total);
            "Query"
        } else if let Some(i) = input.downcast_mut::<scan::ScanInput>() {
            i.return_consumed_capacity = Some(Total);
            "Scan"
        } else if let Some(i) = input.downcast_mut::<batch_get_item::BatchGetItemInput>() {
            i.return_consumed_capacity = Some(Total);
            "BatchGetItem"
        } else if let Some(i) = input.downcast_mut::<get_item::GetItemInput>() {
            i.return_consumed_capacity = Some(Total);
            "GetItem"
        } else if input.downcast_ref::<put_item::PutItemInput>().is_some() {
            "PutItem"
        } else if input.downcast_ref::<update_item::UpdateItemInput>().is_some() {
            "UpdateItem"
        } else if input.downcast_ref::<transact_write_items::TransactWriteItemsInput>().is_some() {
            "TransactWriteItems"
        } else if input.downcast_ref::<batch_write_item::BatchWriteItemInput>().is_some() {
            "BatchWriteItem"
        } else if input.downcast_ref::<delete_item::DeleteItemInput>().is_some() {
            "DeleteItem"
        } else {
            "other"
        };
        *self.0.lock().unwrap().calls.entry(op).or_default() += 1;
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::AfterDeserializationInterceptorContextRef<'_>,
        _rc: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        use aws_sdk_dynamodb::operation::*;
        let Ok(out) = context.output_or_error() else { return Ok(()) };
        let units =
            |c: Option<&aws_sdk_dynamodb::types::ConsumedCapacity>| c.and_then(|c| c.capacity_units).unwrap_or(0.0);
        let rcu = if let Some(o) = out.downcast_ref::<query::QueryOutput>() {
            units(o.consumed_capacity.as_ref())
        } else if let Some(o) = out.downcast_ref::<scan::ScanOutput>() {
            units(o.consumed_capacity.as_ref())
        } else if let Some(o) = out.downcast_ref::<get_item::GetItemOutput>() {
            units(o.consumed_capacity.as_ref())
        } else if let Some(o) = out.downcast_ref::<batch_get_item::BatchGetItemOutput>() {
            o.consumed_capacity.iter().flatten().map(|c| c.capacity_units.unwrap_or(0.0)).sum()
        } else {
            0.0
        };
        self.0.lock().unwrap().rcu += rcu;
        Ok(())
    }
}

/// `app.ctx` with a DynamoDB client that also counts per operation and read capacity.
pub fn counting_ctx(app: &TestApp) -> (Ctx, OpCounter) {
    let counter = OpCounter::default();
    let mut ctx = app.ctx.clone();
    let conf = ctx.db.client.config().to_builder().interceptor(counter.clone()).build();
    ctx.db = Db::new(aws_sdk_dynamodb::Client::from_conf(conf), ctx.db.table.clone());
    (ctx, counter)
}

/// A DynamoDB Streams event with one INSERT per item, as the template's event source mapping sends it.
pub fn stream_event(items: &[Item]) -> aws_lambda_events::dynamodb::Event {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    fn attr(v: &A) -> Value {
        match v {
            A::S(s) => json!({"S": s}),
            A::N(n) => json!({"N": n}),
            A::Bool(b) => json!({"BOOL": b}),
            A::Ss(v) => json!({"SS": v}),
            A::Ns(v) => json!({"NS": v}),
            A::L(v) => json!({"L": v.iter().map(attr).collect::<Vec<_>>()}),
            A::M(m) => json!({"M": m.iter().map(|(k, v)| (k.clone(), attr(v))).collect::<serde_json::Map<_, _>>()}),
            _ => json!({"NULL": true}),
        }
    }
    let records: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            let image: serde_json::Map<String, Value> = it.iter().map(|(k, v)| (k.clone(), attr(v))).collect();
            json!({
                "eventID": format!("bench-{i}"), "eventName": "INSERT", "eventVersion": "1.1",
                "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/bench/stream/bench",
                "dynamodb": {
                    "Keys": {},
                    "NewImage": image, "SequenceNumber": format!("{}", 1000 + i), "SizeBytes": 100,
                    "StreamViewType": "NEW_AND_OLD_IMAGES"
                }
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).expect("stream event")
}

/// A message's stream image (`ev = "message"`, the attributes delivery reads).
pub fn message_image(cid: &str, seq: i64, id: &str, sender: UserId, content: &str, ts: i64) -> Item {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    HashMap::from([
        ("cid".to_string(), A::S(cid.into())),
        ("seq".to_string(), A::N(seq.to_string())),
        ("mid".to_string(), A::S(id.into())),
        ("sender".to_string(), A::N(sender.0.to_string())),
        ("type".to_string(), A::N("1".into())),
        ("content".to_string(), A::S(content.into())),
        ("ts".to_string(), A::N(ts.to_string())),
        ("ev".to_string(), A::S("message".into())),
    ])
}
