use e2e::*;
use serde_json::json;
use shared::auth::md5_hex;
use shared::store::tokens;

#[tokio::test]
async fn shiku_register_login_auto_logout() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let ph = phone();
    let r = http.shiku("/verify/telephone", &[("telephone", &ph)]).await;
    assert_eq!(r.shiku_code(), 1, "free number");
    let p = register(&http, &ph, "secret1", "Alice").await;
    assert!(p.uid >= 10_000_000);
    assert_eq!(p.token.len(), 32);
    let r = http.shiku("/verify/telephone", &[("telephone", &ph), ("areaCode", "86")]).await;
    assert_eq!(r.shiku_code(), 1040103, "taken number");
    let r = http.shiku("/user/register", &[("telephone", &ph), ("password", &md5_hex("x")), ("nickname", "dup")]).await;
    assert_eq!(r.shiku_code(), 1040103, "registering twice keeps one account");

    let r =
        http.shiku("/user/login", &[("telephone", &ph), ("password", &md5_hex("secret1")), ("serial", "dev-1")]).await;
    let d = r.shiku_ok();
    assert_eq!(
        (d["userId"].as_i64(), d["nickname"].clone(), d["expires_in"].clone()),
        (Some(p.uid), json!("Alice"), json!(604800))
    );
    let token = d["access_token"].as_str().unwrap().to_string();
    // Clients that MD5 the telephone (area code + number) find the same account.
    let r = http
        .shiku("/user/login", &[("telephone", &md5_hex(&format!("86{ph}"))), ("password", &md5_hex("secret1"))])
        .await;
    assert_eq!(r.shiku_ok()["userId"].as_i64(), Some(p.uid));
    let r = http.shiku("/user/login", &[("telephone", &ph), ("password", &md5_hex("wrong"))]).await;
    assert_eq!(r.shiku_code(), 1040102);
    let r = http.shiku("/user/login", &[("telephone", "13000000000"), ("password", &md5_hex("secret1"))]).await;
    assert_eq!(r.shiku_code(), 1040102, "unknown account looks like a wrong password");

    let uid = p.uid.to_string();
    let auto = |serial: &'static str, tok: String| {
        let uid = uid.clone();
        let http = &http;
        async move { http.shiku("/user/login/auto", &[("access_token", &tok), ("userId", &uid), ("serial", serial)]).await }
    };
    let r = auto("dev-1", token.clone()).await;
    assert_eq!(r.shiku_ok().clone(), json!({"serialStatus": 2, "tokenExists": 1}));
    let r = auto("dev-2", token.clone()).await;
    assert_eq!(r.shiku_ok()["serialStatus"], 3);
    let r = auto("dev-1", "0".repeat(32)).await;
    assert_eq!(r.shiku_ok()["tokenExists"], 0);

    http.shiku("/user/logout", &[("access_token", &token)]).await.shiku_ok();
    let r = auto("dev-1", token.clone()).await;
    assert_eq!(r.shiku_ok()["tokenExists"], 0, "revoked on logout");
    let r = http.shiku("/user/logout", &[("access_token", &token)]).await;
    assert_eq!(r.shiku_code(), 1030102);
    let r = http.shiku("/user/logout", &[]).await;
    assert_eq!(r.shiku_code(), 1030101);
    // The registration token is separate and still valid.
    http.shiku("/user/logout", &[("access_token", &p.token)]).await.shiku_ok();
}

#[tokio::test]
async fn shiku_register_rejects_bad_input() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let pw = md5_hex("secret1");
    let cases: &[(&[(&str, &str)], i64)] = &[
        (&[("password", &pw), ("nickname", "n")], 1010102),
        (&[("telephone", "12ab"), ("password", &pw), ("nickname", "n")], 1010101),
        (&[("telephone", "13900000001"), ("areaCode", "x"), ("password", &pw), ("nickname", "n")], 1010101),
        (&[("telephone", "13900000001"), ("password", &pw)], 1010102),
        (&[("telephone", "13900000001"), ("password", &pw), ("nickname", "n"), ("sex", "abc")], 1010101),
        (&[("telephone", "13900000001"), ("password", &pw), ("nickname", "n"), ("birthday", "1.5")], 1010101),
    ];
    for (form, code) in cases {
        let r = http.shiku("/user/register", form).await;
        assert_eq!(r.shiku_code(), *code, "{form:?}: {}", r.text);
    }
    // Nothing half-written: the number is still free.
    let r = http.shiku("/verify/telephone", &[("telephone", "13900000001")]).await;
    assert_eq!(r.shiku_code(), 1);
    let r = http
        .send(
            http.client
                .post(format!("{}/user/register", http.base))
                .header("content-type", "application/json")
                .body("{bad"),
        )
        .await;
    assert_eq!(r.shiku_code(), 1010101);
}

#[tokio::test]
async fn expired_tokens_are_rejected_everywhere() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "Old").await;
    let long_ago = shared::clock::Clock::now_secs(&shared::clock::SystemClock) - 2 * tokens::SHIKU_TTL;
    let old = tokens::issue(&app.ctx.db, long_ago, shared::UserId(p.uid), tokens::SHIKU_TTL, None).await.unwrap();
    let r = http.shiku("/user/logout", &[("access_token", &old.token)]).await;
    assert_eq!(r.shiku_code(), 1030102);
    let r = http.json("DELETE", "/api/v1/users/current/devices", Some(&old.token), json!({})).await;
    assert_eq!(r.status, 401);
    assert!(Ws::connect(&app, &old.token).await.is_err());
}

#[tokio::test]
async fn minxing_oauth2_password_and_refresh() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "Bob").await;
    // Same person, Minxing client: login_name = telephone, password in plain text.
    let r = http
        .send(http.client.post(format!("{}/oauth2/token", http.base)).form(&[
            ("grant_type", "password"),
            ("login_name", &p.phone),
            ("password", "secret1"),
        ]))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.body["token_type"].clone(), r.body["user_id"].as_i64()), (json!("bearer"), Some(p.uid)));
    let access = r.body["access_token"].as_str().unwrap().to_string();
    let refresh = r.body["refresh_token"].as_str().unwrap().to_string();

    let r = http
        .json(
            "POST",
            "/oauth2/token",
            None,
            json!({"grant_type": "password", "login_name": p.phone, "password": "nope"}),
        )
        .await;
    assert_eq!((r.status, r.body["error"].clone()), (400, json!("invalid_grant")));
    let r = http.json("POST", "/oauth2/token", None, json!({"grant_type": "client_credentials"})).await;
    assert_eq!((r.status, r.body["error"].clone()), (400, json!("unsupported_grant_type")), "RFC 6749 §5.2");
    let r = http.json("POST", "/oauth2/token", None, json!({"login_name": p.phone})).await;
    assert_eq!(r.status, 400);
    let r =
        http.json("POST", "/oauth2/token", None, json!({"grant_type": "refresh_token", "refresh_token": access})).await;
    assert_eq!(r.status, 400, "an access token is not a refresh token");

    let r = http
        .json("POST", "/oauth2/token", None, json!({"grant_type": "refresh_token", "refresh_token": refresh}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let access2 = r.body["access_token"].as_str().unwrap().to_string();
    assert_ne!(access2, access);
    let r = http
        .json("POST", "/oauth2/token", None, json!({"grant_type": "refresh_token", "refresh_token": refresh}))
        .await;
    assert_eq!((r.status, r.body["error"].clone()), (400, json!("invalid_grant")), "refresh tokens work once");
    let r = http.json("DELETE", "/api/v1/users/current/devices", Some(&access), json!({})).await;
    assert_eq!(r.status, 401, "rotated-out access token is revoked");
    // Issue 9: reusing a refresh token also revokes the pair it was rotated into.
    let r = http.json("DELETE", "/api/v1/users/current/devices", Some(&access2), json!({})).await;
    assert_eq!(r.status, 401, "refresh reuse revoked the rotated pair");

    let (access2, _) = minxing_login(&http, &p.phone, "secret1").await;
    let r = http.json("DELETE", "/api/v1/users/current/devices", Some(&access2), json!({})).await;
    assert_eq!(r.status, 204);
    let r = http.json("DELETE", "/api/v1/users/current/devices", Some(&access2), json!({})).await;
    assert_eq!((r.status, r.body["error"].clone()), (401, json!("invalid_token")));
    let r = http.json("DELETE", "/api/v1/users/current/devices", None, json!({})).await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn sealtalk_login_sets_cookie_and_logout_clears_it() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "Carol").await;
    let r = http
        .json("POST", "/sealtalk/user/login", None, json!({"region": "86", "phone": p.phone, "password": "wrong12"}))
        .await;
    assert_eq!((r.status, r.body["code"].clone()), (200, json!(1000)));
    let r = http
        .json("POST", "/sealtalk/user/login", None, json!({"region": 86, "phone": p.phone, "password": "a b"}))
        .await;
    // No shape check on login: any wrong password is 1000 (user.coffee:240-270).
    assert_eq!((r.status, r.body["code"].clone()), (200, json!(1000)));
    let r = http.json("POST", "/sealtalk/user/login", None, json!({"region": 86, "password": "secret1"})).await;
    assert_eq!(r.status, 400);
    let r = http.json("POST", "/sealtalk/user/logout", None, json!({})).await;
    assert_eq!(r.status, 403, "not logged in");

    let r = http
        .json(
            "POST",
            "/sealtalk/user/login",
            None,
            json!({"region": 86, "phone": p.phone.parse::<i64>().unwrap(), "password": "secret1"}),
        )
        .await;
    assert_eq!((r.status, r.body["code"].clone()), (200, json!(200)), "{}", r.text);
    assert_eq!(r.body["result"]["id"], p.uid.to_string());
    let cookie = r.headers.get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("rong_im_auth=") && cookie.contains("HttpOnly") && cookie.contains("Max-Age=2592000"),
        "{cookie}"
    );
    // The session works on the WebSocket too.
    let ws = Ws::connect(&app, r.body["result"]["token"].as_str().unwrap()).await.expect("ws with sealtalk token");
    ws.close().await;
    let r = http.json("POST", "/sealtalk/user/logout", None, json!({})).await;
    assert_eq!((r.status, r.body["code"].clone()), (200, json!(200)), "cookie jar sends the session");
    let r = http.json("POST", "/sealtalk/user/logout", None, json!({})).await;
    assert_eq!(r.status, 403, "cookie cleared");
}
