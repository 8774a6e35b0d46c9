//! Issue #9 hardening of authentication: refresh tokens authenticate only the
//! token endpoint and their reuse revokes the rotated pair (item 7), revoking a
//! token closes its WebSocket connections (item 8), login / SMS / existence-check
//! abuse limits per account and per source IP (item 6), the SealTalk cookie flags.

use e2e::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::auth::md5_hex;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type WsStream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A client whose requests come from another loopback address: the local gateway
/// reports the peer address as API Gateway's `sourceIp`, so per-IP limits see a
/// different source without trusting any header.
fn http_from(app: &TestApp, last_octet: u8) -> Http {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last_octet)))
        .build()
        .unwrap();
    Http { base: app.http_url.clone(), client }
}

async fn ws(app: &TestApp, token: &str) -> Result<WsStream, String> {
    match tokio_tungstenite::connect_async(format!("{}/?access_token={token}", app.ws_url)).await {
        Ok((s, _)) => Ok(s),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(format!("http {}", r.status().as_u16())),
        Err(e) => Err(e.to_string()),
    }
}

/// True when the server closes the socket within `wait` (a close frame, the end of
/// the stream or an error); false when it is still open then.
async fn closed_within(s: &mut WsStream, wait: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, s.next()).await {
            Err(_) => return false,
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

/// The socket still answers a ping frame.
async fn alive(s: &mut WsStream) -> bool {
    if s.send(Message::text(json!({"action": "ping"}).to_string())).await.is_err() {
        return false;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, s.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                let v: Value = serde_json::from_str(&t).unwrap_or_default();
                if v["event"] == "pong" {
                    return true;
                }
            }
            Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) | Err(_) => return false,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

async fn refresh(http: &Http, token: &str) -> Resp {
    http.json("POST", "/oauth2/token", None, json!({"grant_type": "refresh_token", "refresh_token": token})).await
}

fn pair(r: &Resp) -> (String, String) {
    assert_eq!(r.status, 200, "{}", r.text);
    (r.body["access_token"].as_str().unwrap().into(), r.body["refresh_token"].as_str().unwrap().into())
}

// ---------------------------------------------------------------- item 7

#[tokio::test]
async fn refresh_tokens_authenticate_only_the_token_endpoint() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "Rita").await;
    let (access, refresh_tok) = minxing_login(&http, &p.phone, "secret1").await;

    let r = http.get("/api/v1/users/current", Some(&access)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = http.get("/api/v1/users/current", Some(&refresh_tok)).await;
    assert_eq!((r.status, r.body["error"].clone()), (401, json!("invalid_token")), "Minxing: {}", r.text);
    let r = http.shiku("/user/get", &[("access_token", &refresh_tok)]).await;
    assert_eq!(r.shiku_code(), 1030102, "Shiku");
    let r = http.get(&format!("/sealtalk/user/{}", p.uid), Some(&refresh_tok)).await;
    assert_eq!(r.status, 403, "SealTalk: {}", r.text);
    let r = http.json("DELETE", "/api/v1/users/current/devices", Some(&refresh_tok), json!({})).await;
    assert_eq!(r.status, 401, "a refresh token cannot sign a device out: {}", r.text);
    let r = http.shiku("/user/login/auto", &[("access_token", &refresh_tok), ("userId", &p.uid.to_string())]).await;
    assert_eq!(r.shiku_ok()["tokenExists"], 0, "a refresh token is not a live session");
    assert_eq!(ws(&app, &refresh_tok).await.err().as_deref(), Some("http 401"), "$connect refuses it");
    let mut s = ws(&app, &access).await.expect("access token connects");
    assert!(alive(&mut s).await);
    // The refresh token still does its own job.
    pair(&refresh(&http, &refresh_tok).await);
}

#[tokio::test]
async fn refresh_token_reuse_revokes_the_rotated_pair() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "Reuse").await;
    let (_a0, r0) = minxing_login(&http, &p.phone, "secret1").await;
    let first = refresh(&http, &r0).await;
    assert_eq!(first.ddb_calls(), 2, "refresh grant: GetItem + TransactWriteItems (as before)");
    let (a1, r1) = pair(&first);
    assert_eq!(http.get("/api/v1/users/current", Some(&a1)).await.status, 200);

    // The old refresh token again: refused, and the pair it produced is revoked.
    let again = refresh(&http, &r0).await;
    assert_eq!((again.status, again.body["error"].clone()), (400, json!("invalid_grant")), "{}", again.text);
    assert_eq!(again.ddb_calls(), 3, "reuse: GetItem + GetItem of the next refresh token + BatchWriteItem");
    let r = http.get("/api/v1/users/current", Some(&a1)).await;
    assert_eq!(r.status, 401, "access token of the rotated pair revoked: {}", r.text);
    let r = refresh(&http, &r1).await;
    assert_eq!((r.status, r.body["error"].clone()), (400, json!("invalid_grant")), "refresh token of the pair revoked");

    // Longer chain: the thief rotated once more before the replay; the whole family goes.
    let (_b0, s0) = minxing_login(&http, &p.phone, "secret1").await;
    let (_b1, s1) = pair(&refresh(&http, &s0).await);
    let (b2, s2) = pair(&refresh(&http, &s1).await);
    assert_eq!(refresh(&http, &s0).await.status, 400);
    assert_eq!(http.get("/api/v1/users/current", Some(&b2)).await.status, 401, "newest access token revoked");
    assert_eq!(refresh(&http, &s2).await.status, 400, "newest refresh token revoked");
    // Other sessions of the user are untouched.
    assert_eq!(http.shiku("/user/get", &[("access_token", &p.token)]).await.shiku_code(), 1);
}

// ---------------------------------------------------------------- item 8

#[tokio::test]
async fn logout_closes_the_tokens_sockets_and_reset_closes_all() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "Sockets").await;
    let r = http.shiku("/user/login", &[("telephone", &p.phone), ("password", &md5_hex("secret1"))]).await;
    let t2 = r.shiku_ok()["access_token"].as_str().unwrap().to_string();
    let mut w1 = ws(&app, &p.token).await.unwrap();
    let mut w2 = ws(&app, &t2).await.unwrap();
    assert!(alive(&mut w1).await && alive(&mut w2).await);

    let r = http.shiku("/user/logout", &[("access_token", &p.token)]).await;
    r.shiku_ok();
    // token GetItem + DeleteItem, presence GetItem + records BatchGetItem, the closed
    // connection's removal (TransactWriteItems, its online-counter shard UpdateItem, its
    // stamped large rooms Query; none here).
    assert_eq!(r.ddb_calls(), 7, "Shiku logout with 2 sockets open (was 2)");
    assert!(closed_within(&mut w1, Duration::from_secs(2)).await, "Shiku logout closes that token's socket");
    assert!(alive(&mut w2).await, "another token's socket stays open");

    // Password reset (SMS code) closes every socket of the account.
    let r = http.shiku("/basic/randcode/sendSms", &[("telephone", &p.phone), ("isRegister", "0")]).await;
    let code = r.shiku_ok()["code"].as_str().unwrap().to_string();
    let r = http
        .shiku("/user/password/reset", &[("telephone", &p.phone), ("randcode", &code), ("newPassword", &md5_hex("n2"))])
        .await;
    r.shiku_ok();
    assert!(closed_within(&mut w2, Duration::from_secs(2)).await, "reset closes every socket");
}

#[tokio::test]
async fn sealtalk_logout_and_password_change_close_sockets() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "StSockets").await;
    let r = st(&http, "/user/login", json!({"region": 86, "phone": p.phone, "password": "secret1"})).await;
    assert_eq!(st_code(&r), 200);
    let session = r.body["result"]["token"].as_str().unwrap().to_string();
    let mut mine = ws(&app, &session).await.unwrap();
    let mut other = ws(&app, &p.token).await.unwrap();
    let (mx, _) = minxing_login(&http, &p.phone, "secret1").await;
    let mut third = ws(&app, &mx).await.unwrap();

    // Change keeps the calling session's socket, closes the others.
    let r = st(&http, "/user/change_password", json!({"oldPassword": "secret1", "newPassword": "secret2"})).await;
    assert_eq!(st_code(&r), 200);
    assert!(closed_within(&mut other, Duration::from_secs(2)).await, "password change closes other sessions' sockets");
    assert!(closed_within(&mut third, Duration::from_secs(2)).await, "…every other session");
    assert!(alive(&mut mine).await, "the session that changed it stays connected");

    let r = st(&http, "/user/logout", json!({})).await;
    assert_eq!(st_code(&r), 200);
    assert!(closed_within(&mut mine, Duration::from_secs(2)).await, "SealTalk logout closes its socket");
}

#[tokio::test]
async fn minxing_device_delete_closes_its_socket_only() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "MxSockets").await;
    let (access, _) = minxing_login(&http, &p.phone, "secret1").await;
    let mut mine = ws(&app, &access).await.unwrap();
    let mut other = ws(&app, &p.token).await.unwrap();
    let r = http.json("DELETE", "/api/v1/users/current/devices", Some(&access), json!({})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(r.ddb_calls(), 8, "Minxing logout, 2 sockets open: as Shiku + the refresh token's DeleteItem (was 3)");
    assert!(closed_within(&mut mine, Duration::from_secs(2)).await, "device delete closes its socket");
    assert!(alive(&mut other).await);
    // Shiku password change: the calling token's socket stays, the rest close.
    let (mx2, _) = minxing_login(&http, &p.phone, "secret1").await;
    let mut third = ws(&app, &mx2).await.unwrap();
    let r = http
        .shiku(
            "/user/password/update",
            &[("access_token", &p.token), ("oldPassword", &md5_hex("secret1")), ("newPassword", &md5_hex("s2"))],
        )
        .await;
    r.shiku_ok();
    assert!(closed_within(&mut third, Duration::from_secs(2)).await);
    assert!(alive(&mut other).await, "the changing session keeps its socket");
}

// ---------------------------------------------------------------- item 6

const SHIKU_TOO_MANY: i64 = 1040106;

async fn shiku_login(http: &Http, name: &str, pw: &str) -> Resp {
    http.shiku("/user/login", &[("telephone", name), ("password", &md5_hex(pw))]).await
}

#[tokio::test]
async fn five_failed_logins_lock_the_account_in_every_dialect() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "Locked").await;
    let q = register(&http, &phone(), "secret1", "Bystander").await;
    // Four failures, then a success clears the count.
    for _ in 0..4 {
        assert_eq!(shiku_login(&http, &p.phone, "wrong").await.shiku_code(), 1040102);
    }
    let ok = shiku_login(&http, &p.phone, "secret1").await;
    ok.shiku_ok();
    // LOGIN GetItem, attempt TransactWriteItems ∥ PROFILE GetItem, token TransactWriteItems
    // (token + attempt cleared), GSI1 `UORG#` Query for the seed's `companyId` (issue 13; a
    // BatchGetItem more when the user works for a company).
    assert_eq!(ok.ddb_calls(), 5, "Shiku login (was 4)");
    // Five failures across dialects lock password login, even with the right password.
    let r = shiku_login(&http, &p.phone, "wrong").await;
    assert_eq!((r.shiku_code(), r.ddb_calls()), (1040102, 5), "a failed login: 5 calls (was 2)");
    assert_eq!(shiku_login(&http, &p.phone, "wrong").await.shiku_code(), 1040102);
    let r = st(&http, "/user/login", json!({"region": 86, "phone": p.phone, "password": "wrong12"})).await;
    assert_eq!(st_code(&r), 1000);
    let r = http
        .json("POST", "/oauth2/token", None, json!({"grant_type": "password", "login_name": p.phone, "password": "x"}))
        .await;
    assert_eq!(r.status, 400);
    let fail = shiku_login(&http, &p.phone, "wrong").await;
    assert_eq!(fail.shiku_code(), 1040102, "the fifth failure still answers bad credentials");
    // LOGIN, attempt ∥ PROFILE, counters BatchGetItem ∥ IP UpdateItem, lock TransactWriteItems.
    assert_eq!(fail.ddb_calls(), 6, "failed Shiku login that sets the lock (was 2)");

    let r = shiku_login(&http, &p.phone, "secret1").await;
    assert_eq!(r.shiku_code(), SHIKU_TOO_MANY, "locked: {}", r.text);
    let r = http
        .json(
            "POST",
            "/oauth2/token",
            None,
            json!({"grant_type": "password", "login_name": p.phone, "password": "secret1"}),
        )
        .await;
    assert_eq!(r.status, 429, "Minxing: {}", r.text);
    let retry: i64 = r.headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((200..=300).contains(&retry), "Minxing 429 tells when the 5-min lock ends: {retry}");
    let r = st(&http, "/user/login", json!({"region": 86, "phone": p.phone, "password": "secret1"})).await;
    assert_eq!(st_code(&r), 5000, "SealTalk");
    // Any password check is gated: a session cannot brute-force the old password either.
    let r = http
        .shiku(
            "/user/password/update",
            &[("access_token", &p.token), ("oldPassword", &md5_hex("secret1")), ("newPassword", &md5_hex("z"))],
        )
        .await;
    assert_eq!(r.shiku_code(), SHIKU_TOO_MANY);
    // Other accounts log in as usual.
    shiku_login(&http, &q.phone, "secret1").await.shiku_ok();
}

#[tokio::test]
async fn unknown_login_names_lock_like_real_ones() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let ghost = phone();
    for _ in 0..5 {
        assert_eq!(shiku_login(&http, &ghost, "wrong").await.shiku_code(), 1040102);
    }
    // Same answer as for an existing account: the lock does not reveal existence.
    assert_eq!(shiku_login(&http, &ghost, "wrong").await.shiku_code(), SHIKU_TOO_MANY);
}

#[tokio::test]
async fn login_failures_are_limited_per_source_ip() {
    let app = spawn_app().await;
    let local = Http::new(&app);
    let p = register(&local, &phone(), "secret1", "IpVictim").await;
    let attacker = http_from(&app, 23);
    // 49 failures on as many names (no name reaches its own lock).
    for _ in 0..49 {
        assert_eq!(shiku_login(&attacker, &phone(), "guess").await.shiku_code(), 1040102);
    }
    // A success from that IP does not clear the IP's count.
    shiku_login(&attacker, &p.phone, "secret1").await.shiku_ok();
    assert_eq!(shiku_login(&attacker, &phone(), "guess").await.shiku_code(), 1040102, "the 50th failure");
    let r = shiku_login(&attacker, &p.phone, "secret1").await;
    assert_eq!(r.shiku_code(), SHIKU_TOO_MANY, "51st attempt from the IP: {}", r.text);
    let r = st(&attacker, "/user/login", json!({"region": 86, "phone": p.phone, "password": "secret1"})).await;
    assert_eq!(st_code(&r), 5000);
    let r = attacker
        .json(
            "POST",
            "/oauth2/token",
            None,
            json!({"grant_type": "password", "login_name": p.phone, "password": "secret1"}),
        )
        .await;
    assert_eq!(r.status, 429);
    // The account itself is not locked: from another address it logs in.
    shiku_login(&local, &p.phone, "secret1").await.shiku_ok();
}

#[tokio::test]
async fn sms_sends_are_limited_per_source_ip() {
    let app = spawn_app().await;
    let sender = http_from(&app, 24);
    for i in 0..10 {
        let ph = phone();
        if i % 2 == 0 {
            sender.shiku("/basic/randcode/sendSms", &[("telephone", &ph)]).await.shiku_ok();
        } else {
            assert_eq!(st_code(&st(&sender, "/user/send_code", json!({"region": 86, "phone": ph})).await), 200);
        }
    }
    let r = sender.shiku("/basic/randcode/sendSms", &[("telephone", &phone())]).await;
    assert_eq!(r.shiku_code(), 1010107, "11th send from one IP within the hour: {}", r.text);
    let r = st(&sender, "/user/send_code", json!({"region": 86, "phone": phone()})).await;
    assert_eq!(st_code(&r), 5000);
    // Another address is not affected.
    Http::new(&app).shiku("/basic/randcode/sendSms", &[("telephone", &phone())]).await.shiku_ok();
}

#[tokio::test]
async fn existence_checks_are_limited_per_source_ip() {
    let app = spawn_app().await;
    let prober = http_from(&app, 25);
    for i in 0..30 {
        let ph = phone();
        match i % 3 {
            0 => {
                prober.shiku("/verify/telephone", &[("telephone", &ph)]).await.shiku_ok();
            }
            1 => {
                let r = st(&prober, "/user/check_phone_available", json!({"region": 86, "phone": ph})).await;
                assert_eq!(st_code(&r), 200);
            }
            _ => {
                let r = st(&prober, "/user/check_username_available", json!({"username": format!("u{ph}")})).await;
                assert_eq!(st_code(&r), 200);
            }
        }
    }
    let r = prober.shiku("/verify/telephone", &[("telephone", &phone())]).await;
    assert_eq!(r.shiku_code(), 1010107, "31st check within 10 minutes: {}", r.text);
    let r = st(&prober, "/user/check_phone_available", json!({"region": 86, "phone": phone()})).await;
    assert_eq!(st_code(&r), 5000);
    let r = st(&prober, "/user/check_username_available", json!({"username": "someone"})).await;
    assert_eq!(st_code(&r), 5000);
    // sendSms answers "registered / not registered" too: it counts as a check.
    let r = prober.shiku("/basic/randcode/sendSms", &[("telephone", &phone()), ("isRegister", "0")]).await;
    assert_eq!(r.shiku_code(), 1010107, "{}", r.text);
    Http::new(&app).shiku("/verify/telephone", &[("telephone", &phone())]).await.shiku_ok();
}

// ---------------------------------------------------------------- low: cookie

#[tokio::test]
async fn sealtalk_cookie_is_secure_httponly_samesite() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "Cookie").await;
    let r = st(&http, "/user/login", json!({"region": 86, "phone": p.phone, "password": "secret1"})).await;
    assert_eq!(st_code(&r), 200);
    let cookie = r.headers.get("set-cookie").unwrap().to_str().unwrap().to_string();
    for flag in ["rong_im_auth=", "Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing: {cookie}");
    }
    // The local stack is plain http on loopback: the cookie jar still sends a Secure cookie.
    let r = http.get(&format!("/sealtalk/user/{}", p.uid), None).await;
    assert_eq!(st_code(&r), 200, "{}", r.text);
    let r = st(&http, "/user/logout", json!({})).await;
    let cleared = r.headers.get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cleared.contains("Max-Age=0") && cleared.contains("Secure"), "{cleared}");
}

/// The lock's back-off and the windows, through the store API with explicit times.
#[tokio::test]
async fn lock_backoff_doubles_and_windows_expire() {
    use shared::store::limits::{self, IpKind, LoginRules, Rule, Subject};
    use shared::AppError;
    let app = spawn_app().await;
    let db = &app.ctx.db;
    let rules = LoginRules {
        account: Rule { max: 5, window: 900 },
        ip: Rule { max: 1000, window: 900 },
        lock_secs: 300,
        lock_max_secs: 1000,
    };
    let who = Subject::User(shared::UserId(10_000_001));
    let now = shared::clock::Clock::now_secs(&shared::clock::SystemClock);
    let fail5 = |t: i64| {
        let who = who.clone();
        async move {
            for i in 0..5 {
                limits::begin(db, t + i, "10.1.1.1", &who, rules)
                    .await
                    .expect("not locked yet")
                    .failed(db)
                    .await
                    .unwrap();
            }
        }
    };
    let locked_for = |t: i64| {
        let who = who.clone();
        async move {
            match limits::begin(db, t, "10.1.1.1", &who, rules).await {
                Err(AppError::TooManyAttempts { retry_after }) => retry_after,
                other => panic!("expected a lock at {t}: {other:?}"),
            }
        }
    };
    let t0 = now - now.rem_euclid(900) + 1; // all of a run inside one 900-s window
    fail5(t0).await;
    assert_eq!(locked_for(t0 + 5).await, 299, "first lock: 300 s from the fifth failure");
    let t1 = t0 + 4 + 300;
    fail5(t1).await;
    assert_eq!(locked_for(t1 + 4).await, 600, "second lock doubles");
    let t2 = t1 + 4 + 600;
    fail5(t2).await;
    assert_eq!(locked_for(t2 + 4).await, 1000, "capped at the maximum");
    // A success after the lock clears the back-off: the next lock is the first length again.
    let t3 = t2 + 4 + 1000;
    limits::begin(db, t3, "10.1.1.1", &who, rules).await.unwrap().succeeded(db).await.unwrap();
    fail5(t3 + 1).await;
    assert_eq!(locked_for(t3 + 5).await, 300);

    // Per-IP windows: full → refused; the next window is fresh.
    let rule = Rule { max: 2, window: 60 };
    let w = now - now.rem_euclid(60);
    for _ in 0..2 {
        limits::hit_ip(db, w, "10.2.2.2", IpKind::Sms, rule).await.unwrap();
    }
    let e = limits::hit_ip(db, w + 59, "10.2.2.2", IpKind::Sms, rule).await.unwrap_err();
    assert!(matches!(&e, AppError::RateLimited(m) if m.contains("1 seconds")), "{e:?}");
    limits::hit_ip(db, w + 60, "10.2.2.2", IpKind::Sms, rule).await.expect("a new window");
    limits::hit_ip(db, w, "10.2.2.3", IpKind::Sms, rule).await.expect("another address");
    limits::hit_ip(db, w, "10.2.2.2", IpKind::Exists, rule).await.expect("another kind");
}
