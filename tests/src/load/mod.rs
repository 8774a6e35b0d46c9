//! `make load` parts (tests/src/bin/load.rs drives them): reconnectable WebSocket clients
//! whose frames land in one channel, and the tracker that turns those frames into the checks
//! (lost, duplicated, out of order, misdelivered) and the latency figures. The stack runs in
//! a child process ([`stack`]).
//!
//! Every message the load sends carries a marker `ld#<n>#` in its content, so a frame is
//! matched to its send whichever dialect sent it (Xuanxuan notifications and SealTalk sends
//! answer no message id).

pub mod fault;
pub mod stack;

use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::mpsc;

pub use crate::bench::Arrival;
use crate::bench::{connect_socket, spawn_socket};

/// One socket per user, reconnectable; every frame goes to one channel.
pub struct Sockets {
    url: String,
    tokens: Vec<String>,
    out: Vec<Option<mpsc::UnboundedSender<String>>>,
    tx: mpsc::UnboundedSender<Arrival>,
}

impl Sockets {
    pub fn new(ws_url: &str, tokens: Vec<String>) -> (Sockets, mpsc::UnboundedReceiver<Arrival>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let out = tokens.iter().map(|_| None).collect();
        (Sockets { url: ws_url.to_string(), tokens, out, tx }, rx)
    }

    /// Open user `i`'s socket (closing the old one); retried a few times.
    pub async fn open(&mut self, i: usize) -> Result<(), String> {
        self.close(i);
        let url = format!("{}/?access_token={}", self.url, self.tokens[i]);
        let s = connect_socket(&url).await.map_err(|e| format!("user {i}: {e}"))?;
        // The task ends on its own once the sender is dropped (close).
        self.out[i] = Some(spawn_socket(s, i, self.tx.clone()).0);
        Ok(())
    }

    pub fn close(&mut self, i: usize) {
        // Dropping the sender ends the task, which closes the socket.
        self.out[i] = None;
    }

    /// Open on our side and not closed by the server (its task ended).
    pub fn is_open(&self, i: usize) -> bool {
        self.out[i].as_ref().is_some_and(|o| !o.is_closed())
    }

    /// Send a JSON frame on user `i`'s socket; false when it is closed.
    pub fn send(&self, i: usize, frame: &Value) -> bool {
        self.out[i].as_ref().is_some_and(|o| o.send(frame.to_string()).is_ok())
    }

    pub fn close_all(&mut self) {
        for o in &mut self.out {
            *o = None;
        }
    }
}

/// The marker of message `n` (in its content).
pub fn marker(n: u64) -> String {
    format!("ld#{n}#")
}

/// The message number in a content holding a marker.
pub fn marker_of(content: &str) -> Option<u64> {
    let i = content.find("ld#")? + 3;
    let rest = &content[i..];
    rest[..rest.find('#')?].parse().ok()
}

/// A message the load sent, as the tracker knows it.
pub struct Sent {
    pub class: &'static str,
    pub cid: String,
    pub at: Instant,
    /// Users that must receive it (members other than the sender, excluding churners).
    pub expected: Vec<usize>,
    /// Users the frame may reach without being expected (churn members, the sender).
    pub tolerated: Vec<usize>,
}

/// What the frames said, per message number.
#[derive(Default)]
pub struct Tracker {
    pub sent: HashMap<u64, Sent>,
    /// (message, user) → live arrival times (more than one = duplicate).
    pub live: HashMap<(u64, usize), Vec<Instant>>,
    /// (message, user) recovered through a `sync` frame.
    pub synced: HashSet<(u64, usize)>,
    /// (user, conversation) → last live seq, and the count of seqs that went backwards.
    pub last_seq: HashMap<(usize, String), i64>,
    pub out_of_order: u64,
    /// Message ids by number (from frames), for recalls and syncs.
    pub mid: HashMap<u64, String>,
    /// Message number by id (a recalled message's tombstone has no content to match).
    pub n_by_mid: HashMap<String, u64>,
    pub seq: HashMap<u64, i64>,
    pub recall_frames: u64,
    pub acks: HashMap<String, Value>,
    pub error_frames: Vec<Value>,
}

pub type Shared = Arc<Mutex<Tracker>>;

/// Read frames until the channel ends, recording them in `t`.
pub async fn collect(mut rx: mpsc::UnboundedReceiver<Arrival>, t: Shared) {
    while let Some(a) = rx.recv().await {
        let mut t = t.lock().unwrap();
        record(&mut t, a);
    }
}

fn record(t: &mut Tracker, a: Arrival) {
    let f = &a.frame;
    match f["event"].as_str() {
        Some("message") => {
            let Some(n) = f["content"].as_str().and_then(marker_of) else { return };
            let cid = f["conversationId"].as_str().unwrap_or_default().to_string();
            let seq = f["seq"].as_i64().unwrap_or(0);
            if let Some(mid) = f["messageId"].as_str() {
                t.mid.insert(n, mid.to_string());
                t.n_by_mid.insert(mid.to_string(), n);
            }
            t.seq.insert(n, seq);
            let last = t.last_seq.entry((a.socket, cid)).or_insert(0);
            if seq <= *last {
                t.out_of_order += 1;
            }
            *last = (*last).max(seq);
            t.live.entry((n, a.socket)).or_default().push(a.at);
        }
        Some("sync") => {
            for m in f["messages"].as_array().into_iter().flatten() {
                let by_id = || m["messageId"].as_str().and_then(|id| t.n_by_mid.get(id).copied());
                if let Some(n) = m["content"].as_str().and_then(marker_of).or_else(by_id) {
                    t.synced.insert((n, a.socket));
                }
            }
        }
        Some("recall") => t.recall_frames += 1,
        Some("ack") => {
            if let Some(id) = f["messageId"].as_str() {
                t.acks.insert(id.to_string(), f.clone());
            }
        }
        Some("error") => t.error_frames.push(f.clone()),
        _ => {}
    }
}

/// The checks and latencies of a finished run.
#[derive(Default)]
pub struct Outcome {
    /// class → per-recipient latencies (ms) and last-recipient latencies (ms).
    pub latency: BTreeMap<&'static str, (Vec<f64>, Vec<f64>)>,
    pub sent: BTreeMap<&'static str, u64>,
    pub delivered: u64,
    pub duplicates: u64,
    pub missed_live: u64,
    pub recovered_by_sync: u64,
    /// (message, user) pairs still missing after the final sync.
    pub lost: Vec<(u64, usize)>,
    pub misdelivered: u64,
}

/// Compare what was sent with what arrived; `missing` pairs are the caller's to sync.
pub fn outcome(t: &Tracker) -> Outcome {
    let mut o = Outcome::default();
    for (n, s) in &t.sent {
        *o.sent.entry(s.class).or_default() += 1;
        let entry = o.latency.entry(s.class).or_default();
        let mut last: Option<f64> = None;
        for u in &s.expected {
            match t.live.get(&(*n, *u)) {
                Some(times) => {
                    let ms = times[0].saturating_duration_since(s.at).as_secs_f64() * 1000.0;
                    entry.0.push(ms);
                    last = Some(last.map_or(ms, |l: f64| l.max(ms)));
                    o.delivered += 1;
                    o.duplicates += times.len() as u64 - 1;
                }
                None => {
                    o.missed_live += 1;
                    if t.synced.contains(&(*n, *u)) {
                        o.recovered_by_sync += 1;
                    } else {
                        o.lost.push((*n, *u));
                    }
                }
            }
        }
        if let Some(l) = last {
            entry.1.push(l);
        }
    }
    for (n, u) in t.live.keys() {
        if let Some(s) = t.sent.get(n) {
            if !s.expected.contains(u) && !s.tolerated.contains(u) {
                o.misdelivered += 1;
            }
        }
    }
    o
}
