//! Headless Chromium driven over WebDriver (chromedriver + fantoccini): the browser half of
//! the web console's tests. `make setup` installs Debian's `chromium` and `chromium-driver`;
//! CHROMIUM / CHROMEDRIVER override their paths.

use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A headless browser; chromedriver is killed on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn tool(var: &str, default: &str) -> String {
    let path = std::env::var(var).unwrap_or_else(|_| default.to_string());
    assert!(
        std::path::Path::new(&path).exists(),
        "{path} missing: run `make setup` (installs chromium and chromium-driver)"
    );
    path
}

impl Browser {
    /// A fresh headless Chromium at 1280×800 with an empty profile.
    pub async fn start() -> Browser {
        let chromium = tool("CHROMIUM", "/usr/bin/chromium");
        let chromedriver = tool("CHROMEDRIVER", "/usr/bin/chromedriver");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = std::env::temp_dir().join(format!("console-chromium-{port}"));
        // Background networking off: this machine's closed network refuses those connections.
        let caps = serde_json::json!({"goog:chromeOptions": {"binary": chromium, "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--window-size=1280,800", format!("--user-data-dir={}", profile.display()),
        ]}});
        let caps = caps.as_object().unwrap().clone();
        let url = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        let client = loop {
            match ClientBuilder::rustls().unwrap().capabilities(caps.clone()).connect(&url).await {
                Ok(c) => break c,
                Err(e) if start.elapsed() < Duration::from_secs(20) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("chromedriver session: {e}"),
            }
        };
        Browser { client, driver }
    }

    /// Type into the field labelled by `css` (cleared first).
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await.unwrap();
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    /// Find `css` and run `f` on it, finding it again when the page re-rendered it in between
    /// (a stale element): the page redraws its tables after every load.
    async fn on<T, F, Fut>(&self, css: &str, f: F) -> T
    where
        F: Fn(fantoccini::elements::Element) -> Fut,
        Fut: std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
    {
        let start = Instant::now();
        loop {
            let e = self.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await.unwrap();
            match f(e).await {
                Ok(v) => return v,
                Err(err) if start.elapsed() < Duration::from_secs(10) => {
                    let _ = err;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(err) => panic!("{css}: {err}"),
            }
        }
    }

    /// Press Enter in `css` (keyboard use: a form submits without the mouse).
    pub async fn press_enter(&self, css: &str) {
        self.on(css, |e| async move { e.send_keys("\u{E007}").await }).await
    }

    pub async fn click(&self, css: &str) {
        self.on(css, |e| async move { e.click().await }).await
    }

    /// Waits until the live status line (where the page reports every action) contains `want`.
    pub async fn status_contains(&self, want: &str) {
        let start = Instant::now();
        loop {
            let got = self.text("#status").await;
            if got.contains(want) {
                return;
            }
            assert!(start.elapsed() < Duration::from_secs(15), "status {got:?}, waiting for {want:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait_for(&self, css: &str) {
        self.client.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css(css)).await.unwrap();
    }

    pub async fn text(&self, css: &str) -> String {
        self.on(css, |e| async move { e.text().await }).await
    }

    /// A PNG of the window, written to `target/tmp/console/<name>.png` (returned).
    pub async fn screenshot(&self, name: &str) -> std::path::PathBuf {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("console");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, self.client.screenshot().await.unwrap()).unwrap();
        path
    }

    /// Ids of form controls that have neither a `<label for>` nor an aria-label.
    pub async fn unlabelled_controls(&self) -> Vec<String> {
        let js = r#"return [...document.querySelectorAll('input:not([type=hidden]),select,textarea')]
            .filter(e => !e.getAttribute('aria-label') && !(e.id && document.querySelector(`label[for="${e.id}"]`)))
            .map(e => e.id || e.name || e.outerHTML);"#;
        let v = self.client.execute(js, vec![]).await.unwrap();
        v.as_array().unwrap().iter().map(|x| x.as_str().unwrap_or_default().to_string()).collect()
    }
}
