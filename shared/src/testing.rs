//! Test support shared by the crates' tests (cargo feature `testing`, enabled only through
//! dev-dependencies: never in a function's release build). A [`Ctx`] that reaches no service
//! and a capture of the JSON log lines written while a future runs.

use crate::ctx::{Ctx, LocalConfig};
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A context whose endpoints point where nothing listens (127.0.0.1:9): DynamoDB, S3 and
/// @connections calls fail fast (connection refused); code that makes no call runs as usual.
pub fn offline_ctx() -> Ctx {
    Ctx::local(&LocalConfig {
        table: "t".into(),
        bucket: "b".into(),
        ddb_endpoint: "http://127.0.0.1:9".into(),
        s3_endpoint: "http://127.0.0.1:9".into(),
        ws_management_endpoint: "http://127.0.0.1:9".into(),
        lambda_timeouts: true,
    })
}

/// An in-memory log sink.
#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The JSON lines written while `f` runs, one value a line, formatted as the subscriber of
/// [`crate::ctx::init_tracing`] writes them (flattened events, the current span). Installs a
/// thread-local subscriber: run it on a current-thread runtime.
pub async fn capture_json_logs<F: std::future::Future>(f: F) -> Vec<Value> {
    let buf = Buf::default();
    let w = buf.clone();
    let sub = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(move || w.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(sub);
    f.await;
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}
