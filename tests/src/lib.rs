//! Test clients for the four dialects and the WebSocket API, on top of
//! `local_gateway::testing::spawn_app` (fresh table, bucket and gateway per test).

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::auth::md5_hex;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

pub use local_gateway::testing::{spawn_app, spawn_app_with, AppOptions, TestApp};

pub mod soak;

/// A response: status, headers, parsed JSON body (Null when empty or not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    async fn from(r: reqwest::Response) -> Resp {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, headers, body, text }
    }
    pub fn ddb_calls(&self) -> u32 {
        self.headers.get("x-ddb-calls").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0)
    }
    /// Shiku success: HTTP 200 and resultCode 1.
    pub fn shiku_ok(&self) -> &Value {
        assert_eq!(self.status, 200, "{}", self.text);
        assert_eq!(self.body["resultCode"], 1, "{}", self.text);
        &self.body["data"]
    }
    pub fn shiku_code(&self) -> i64 {
        assert_eq!(self.status, 200, "{}", self.text);
        self.body["resultCode"].as_i64().unwrap_or_else(|| panic!("no resultCode: {}", self.text))
    }
}

pub struct Http {
    pub base: String,
    pub client: reqwest::Client,
}

impl Http {
    pub fn new(app: &TestApp) -> Http {
        Http::at(&app.http_url)
    }

    /// A client of the HTTP API at `base` (`http://127.0.0.1:<port>`; a stack in another process).
    pub fn at(base: &str) -> Http {
        Http { base: base.to_string(), client: reqwest::Client::builder().cookie_store(true).build().unwrap() }
    }

    pub async fn send(&self, rb: reqwest::RequestBuilder) -> Resp {
        Resp::from(rb.send().await.expect("request failed")).await
    }

    /// Shiku style: POST urlencoded form.
    pub async fn shiku(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        self.send(self.client.post(format!("{}{path}", self.base)).form(form)).await
    }

    /// Shiku style with the caller's `access_token` first.
    pub async fn shiku_as(&self, path: &str, token: &str, form: &[(&str, &str)]) -> Resp {
        let mut f = vec![("access_token", token)];
        f.extend_from_slice(form);
        self.shiku(path, &f).await
    }

    /// Shiku style: GET with query.
    pub async fn shiku_get(&self, path: &str, query: &[(&str, &str)]) -> Resp {
        self.send(self.client.get(format!("{}{path}", self.base)).query(query)).await
    }

    pub async fn get(&self, path: &str, bearer: Option<&str>) -> Resp {
        let mut rb = self.client.get(format!("{}{path}", self.base));
        if let Some(t) = bearer {
            rb = rb.bearer_auth(t);
        }
        self.send(rb).await
    }

    pub async fn json(&self, method: &str, path: &str, bearer: Option<&str>, body: Value) -> Resp {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self.client.request(m, format!("{}{path}", self.base)).json(&body);
        if let Some(t) = bearer {
            rb = rb.bearer_auth(t);
        }
        self.send(rb).await
    }

    /// Xuanxuan: `/api.php?<query>&token=<signature>`.
    pub async fn xuanxuan(&self, method: &str, query: &str, key: &str, form: &[(&str, &str)]) -> Resp {
        let token = md5_hex(&(md5_hex(query) + key));
        let url = format!("{}/api.php?{query}&token={token}", self.base);
        let rb = match method {
            "GET" => self.client.get(url),
            _ => self.client.post(url).form(form),
        };
        self.send(rb).await
    }
}

/// A public account (Shiku `userType` 2) registered through Shiku, password `secret1`.
pub async fn public_account(http: &Http, nickname: &str) -> Person {
    let phone = phone();
    let pw = md5_hex("secret1");
    let r = http
        .shiku(
            "/user/register",
            &[("telephone", &phone), ("areaCode", "86"), ("password", &pw), ("nickname", nickname), ("userType", "2")],
        )
        .await;
    let d = r.shiku_ok();
    Person {
        uid: d["userId"].as_i64().unwrap(),
        token: d["access_token"].as_str().unwrap().to_string(),
        phone,
        password: "secret1".into(),
    }
}

/// A person registered through Shiku.
pub struct Person {
    pub uid: i64,
    pub token: String,
    pub phone: String,
    pub password: String,
}

/// Register through Shiku (md5 password, as its clients send it).
pub async fn register(http: &Http, phone: &str, password: &str, nickname: &str) -> Person {
    let pw = md5_hex(password);
    let r = http
        .shiku("/user/register", &[("telephone", phone), ("areaCode", "86"), ("password", &pw), ("nickname", nickname)])
        .await;
    let d = r.shiku_ok();
    Person {
        uid: d["userId"].as_i64().unwrap(),
        token: d["access_token"].as_str().unwrap().to_string(),
        phone: phone.to_string(),
        password: password.to_string(),
    }
}

/// A client logged in through SealTalk (the session cookie is in its cookie store).
pub async fn sealtalk_login(app: &TestApp, p: &Person) -> Http {
    let http = Http::new(app);
    let r = http
        .json("POST", "/sealtalk/user/login", None, json!({"region": "86", "phone": p.phone, "password": p.password}))
        .await;
    assert_eq!(r.body["code"], 200, "{}", r.text);
    http
}

/// `n` people registered through Shiku, nicknamed P0, P1, …
pub async fn people(http: &Http, n: usize) -> Vec<Person> {
    let mut out = vec![];
    for i in 0..n {
        out.push(register(http, &phone(), "secret1", &format!("P{i}")).await);
    }
    out
}

/// Minxing OAuth2 password grant; returns (access, refresh).
pub async fn minxing_login(http: &Http, login_name: &str, password: &str) -> (String, String) {
    let r = http
        .send(http.client.post(format!("{}/oauth2/token", http.base)).form(&[
            ("grant_type", "password"),
            ("login_name", login_name),
            ("password", password),
        ]))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    (r.body["access_token"].as_str().unwrap().into(), r.body["refresh_token"].as_str().unwrap().into())
}

pub struct Ws {
    stream: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
}

impl Ws {
    pub async fn connect(app: &TestApp, token: &str) -> Result<Ws, String> {
        Ws::connect_to(&app.ws_url, token).await
    }

    /// A socket on the WebSocket API at `ws_url` (`ws://127.0.0.1:<port>`).
    pub async fn connect_to(ws_url: &str, token: &str) -> Result<Ws, String> {
        let url = format!("{ws_url}/?access_token={token}");
        match tokio_tungstenite::connect_async(url).await {
            Ok((stream, _)) => Ok(Ws { stream }),
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(format!("http {}", r.status().as_u16())),
            Err(e) => Err(e.to_string()),
        }
    }

    pub async fn send(&mut self, v: Value) {
        self.stream.send(Message::text(v.to_string())).await.expect("ws send");
    }

    /// Next JSON frame, or None after `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.stream.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    return Some(serde_json::from_str(&t).unwrap_or(json!({"raw": t.to_string()})))
                }
                Ok(Some(Ok(_))) => continue,
                _ => return None,
            }
        }
    }

    /// Next frame whose `event` is `event` (others are skipped), within `wait`.
    pub async fn next_event(&mut self, event: &str, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let f = self.next(left).await?;
            if f["event"] == event {
                return Some(f);
            }
        }
    }

    /// Next `{"event":"group","type":kind}` frame within `wait`.
    pub async fn next_group(&mut self, kind: &str, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let f = self.next_event("group", left).await?;
            if f["type"] == kind {
                return Some(f);
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

/// Unique 11-digit mobile numbers per test process.
pub fn phone() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("139{:08}", (std::process::id() as u64 * 1000 + n) % 100_000_000)
}

/// How long a test waits for a frame or a stream effect before failing.
pub const WAIT: Duration = Duration::from_secs(10);
/// How long "nothing more arrives" is watched (files that need longer declare their own).
pub const QUIET: Duration = Duration::from_millis(700);

/// The next ack (live message frames may come first).
pub async fn ack(ws: &mut Ws) -> Value {
    ws.next_event("ack", WAIT).await.expect("an ack")
}

/// The next frame matching `pred` (others skipped).
pub async fn next_where(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let f = ws.next(left).await.expect("the expected frame");
        if pred(&f) {
            return f;
        }
    }
}

/// A Minxing group conversation (`POST /api/v1/conversations2`); answers its id.
pub async fn group(http: &Http, owner: &Person, members: &[&Person], name: &str) -> String {
    let ids: Vec<i64> = members.iter().map(|p| p.uid).collect();
    let r =
        http.json("POST", "/api/v1/conversations2", Some(&owner.token), json!({"user_ids": ids, "name": name})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

/// A Minxing message send that must succeed; answers the created message.
pub async fn send_http(http: &Http, p: &Person, cid: &str, body: &str) -> Value {
    let r = http
        .json("POST", &format!("/api/v1/conversations2/{cid}/messages"), Some(&p.token), json!({"body": body}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

/// Push jobs of `uid` now.
pub async fn jobs(app: &TestApp, uid: i64) -> Vec<shared::store::pushes::PushJob> {
    use shared::clock::Clock;
    shared::store::pushes::list(&app.ctx.db, shared::UserId(uid), shared::clock::SystemClock.now_secs(), 100)
        .await
        .unwrap()
}

/// Push jobs of `uid` once there are at least `n` (delivery runs behind the stream).
pub async fn wait_jobs(app: &TestApp, uid: i64, n: usize) -> Vec<shared::store::pushes::PushJob> {
    for _ in 0..100 {
        let j = jobs(app, uid).await;
        if j.len() >= n {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no push job for {uid}");
}

/// A Shiku form with the caller's `access_token` first.
pub fn sh<'a>(tok: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![("access_token", tok)];
    v.extend_from_slice(extra);
    v
}

/// Room helpers of the `groups` tests (groups_rooms.rs, hard_rooms.rs).
pub mod rooms {
    use super::{Http, Person, Resp};
    use serde_json::{json, Value};

    /// Shiku call as `p`.
    pub async fn shiku(http: &Http, path: &str, p: &Person, form: &[(&str, &str)]) -> Resp {
        http.shiku_as(path, &p.token, form).await
    }

    /// A Shiku room owned by `owner` with `members` (`extra`: more form fields, e.g. `jid` or
    /// flags); answers its id.
    pub async fn room(http: &Http, owner: &Person, members: &[&Person], extra: &[(&str, &str)]) -> String {
        let ids: Vec<i64> = members.iter().map(|m| m.uid).collect();
        let text = json!(ids).to_string();
        let mut form = vec![("name", "Room"), ("text", text.as_str())];
        form.extend_from_slice(extra);
        let r = shiku(http, "/room/add", owner, &form).await;
        r.shiku_ok()["id"].as_str().unwrap().to_string()
    }

    /// SealTalk POST as `p`.
    pub async fn sealtalk(http: &Http, p: &Person, path: &str, body: Value) -> Resp {
        http.json("POST", &format!("/sealtalk{path}"), Some(&p.token), body).await
    }

    /// A SealTalk group "Seals" created by `owner` with `members`; answers its id.
    pub async fn sealtalk_group(http: &Http, owner: &Person, members: &[&Person]) -> String {
        let mut ids: Vec<String> = vec![owner.uid.to_string()];
        ids.extend(members.iter().map(|p| p.uid.to_string()));
        let r = sealtalk(http, owner, "/group/create", json!({"name": "Seals", "memberIds": ids})).await;
        assert_eq!(r.body["code"], 200, "{}", r.text);
        r.body["result"]["id"].as_str().unwrap().to_string()
    }
}

/// SealTalk POST without a token (the client's cookie store carries the session).
pub async fn st(http: &Http, path: &str, body: Value) -> Resp {
    http.json("POST", &format!("/sealtalk{path}"), None, body).await
}

/// SealTalk business answer: HTTP 200 and the body `code`.
pub fn st_code(r: &Resp) -> i64 {
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["code"].as_i64().unwrap_or_else(|| panic!("no code: {}", r.text))
}

/// Operator console helpers (console*.rs).
pub mod console {
    use super::{Http, Resp, TestApp};

    /// The provisioned operator `admin` / `admin123` (shared::provision) logs in.
    pub async fn login_resp(http: &Http) -> Resp {
        let pw = shared::auth::md5_hex("admin123");
        http.shiku("/console/login", &[("telephone", "admin"), ("password", &pw)]).await
    }

    /// A console token of the provisioned operator.
    pub async fn login(http: &Http) -> String {
        let r = login_resp(http).await;
        r.shiku_ok()["access_token"].as_str().unwrap().to_string()
    }

    /// The targets of today's (UTC) audit entries for `route`.
    pub async fn audit_targets(app: &TestApp, route: &str) -> Vec<Vec<String>> {
        let day = shared::domain::audit::day(app.ctx.now_ms());
        let all = shared::store::audit::of_day(&app.ctx.db, &day, 1000).await.unwrap();
        all.into_iter().filter(|e| e.route == route).map(|e| e.targets).collect()
    }

    /// How many of today's audit entries for `route` name `target`.
    pub async fn audited(app: &TestApp, route: &str, target: &str) -> usize {
        audit_targets(app, route).await.iter().filter(|t| t.iter().any(|x| x == target)).count()
    }
}
