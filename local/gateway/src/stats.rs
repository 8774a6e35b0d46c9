//! `GET /_local/stats` on the HTTP API port: the local stack's own counters over loopback, for
//! a load generator in another process (`make load` runs `local-stack` as a child so that the
//! stack's memory is measured apart from the generator's). Answered by the gateway before
//! route selection, like `/openapi/<dialect>.json`: not a template route, no function sees it,
//! the deployed API has nothing like it.

use crate::streams::{Counters, StreamStats};
use crate::ws_api::WsState;
use serde::{Deserialize, Serialize};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

pub const PATH: &str = "/_local/stats";

/// Panic messages kept (the count goes on): the answer stays small however many there are.
const KEPT_PANICS: usize = 20;

/// What `GET /_local/stats` answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalStats {
    /// The stack's process id (its memory is read from `/proc/<pid>/status`).
    pub pid: u32,
    /// What the stream consumer delivered so far.
    pub stream: StreamStats,
    /// Stream batches given up on and kept (they are never pruned).
    pub dead_letters: usize,
    /// Open WebSocket connections in the gateway's registry.
    pub ws_connections: usize,
    /// WebSocket connection tasks still running.
    pub ws_tasks: usize,
    /// Whether this process counts its panics ([`count_panics`]; `local-stack` does).
    pub panics_counted: bool,
    /// Panics of any thread of this process (gateway, functions, poller).
    pub panics: u64,
    /// The first of them, `[thread] message`.
    pub first_panics: Vec<String>,
}

/// What the gateway reads its answer from.
pub(crate) struct Source {
    pub counters: Arc<Counters>,
    pub ws: Option<Arc<WsState>>,
}

struct Panics {
    counted: bool,
    n: u64,
    first: Vec<String>,
}

static PANICS: Mutex<Panics> = Mutex::new(Panics { counted: false, n: 0, first: Vec::new() });

/// Count every panic of this process from now on (the previous hook still runs: the message
/// is printed as before). For the `local-stack` binary; a library never installs a hook.
pub fn count_panics() {
    if let Ok(mut p) = PANICS.lock() {
        p.counted = true;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current().name().unwrap_or("?").to_string();
        // try_lock: a panic while the lock is held (never expected) must not deadlock.
        if let Ok(mut p) = PANICS.try_lock() {
            p.n += 1;
            if p.first.len() < KEPT_PANICS {
                p.first.push(format!("[{thread}] {info}"));
            }
        }
        previous(info);
    }));
}

impl Source {
    pub(crate) fn snapshot(&self) -> LocalStats {
        let (panics_counted, panics, first_panics) = match PANICS.lock() {
            Ok(p) => (p.counted, p.n, p.first.clone()),
            Err(_) => (true, u64::MAX, vec!["the panic counter's lock is poisoned".into()]),
        };
        let ws = self.ws.as_ref();
        LocalStats {
            pid: std::process::id(),
            stream: self.counters.snapshot(),
            dead_letters: self.counters.dead_letter_count(),
            ws_connections: ws.map_or(0, |w| w.conns.lock().map(|c| c.len()).unwrap_or(0)),
            ws_tasks: ws.map_or(0, |w| w.active.load(Ordering::Relaxed)),
            panics_counted,
            panics,
            first_panics,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_panics_keep_their_thread_and_message() {
        let before = PANICS.lock().unwrap().n;
        count_panics();
        let joined = std::thread::Builder::new().name("doomed".into()).spawn(|| panic!("stats test panic")).unwrap();
        assert!(joined.join().is_err());
        let p = PANICS.lock().unwrap();
        assert!(p.counted);
        assert!(p.n > before, "{}", p.n);
        assert!(p.first.iter().any(|m| m.starts_with("[doomed]") && m.contains("stats test panic")), "{:?}", p.first);
    }
}
