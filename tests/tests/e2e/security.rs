//! Verification codes, password change/reset and the SealTalk registration
//! flow, in each dialect, through real HTTP.

use e2e::*;
use serde_json::json;
use shared::auth::md5_hex;
use shared::ids::Telephone;
use shared::store::codes::{self, Purpose};
use shared::AppError;

fn now() -> i64 {
    shared::clock::Clock::now_secs(&shared::clock::SystemClock)
}

fn tel(ph: &str) -> Telephone {
    Telephone::parse(Some("86"), ph).unwrap()
}

async fn shiku_login_code(http: &Http, ph: &str, pw_md5: &str) -> i64 {
    http.shiku("/user/login", &[("telephone", ph), ("password", pw_md5)]).await.shiku_code()
}

#[tokio::test]
async fn shiku_send_sms_checks_registration_and_rate_limits() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let free = phone();
    let r = http.shiku("/basic/randcode/sendSms", &[("telephone", &free), ("isRegister", "0")]).await;
    assert_eq!(r.shiku_code(), 1040101, "reset code for an unknown number");
    let r = http.shiku("/basic/randcode/sendSms", &[("telephone", &free), ("isRegister", "2")]).await;
    assert_eq!(r.shiku_code(), 1010101);
    let r = http.shiku("/basic/randcode/sendSms", &[("areaCode", "86")]).await;
    assert_eq!(r.shiku_code(), 1010102);
    // isRegister defaults to 1; the local stack exposes the code.
    let r = http.shiku_get("/basic/randcode/sendSms", &[("telephone", &free), ("language", "en")]).await;
    let code = r.shiku_ok()["code"].as_str().unwrap().to_string();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    let r = http.shiku("/basic/randcode/sendSms", &[("telephone", &free), ("isRegister", "1")]).await;
    assert_eq!(r.shiku_code(), 1010107, "second send within 60 s");
    assert!(r.body["resultMsg"].as_str().unwrap().contains("60 seconds"), "{}", r.text);

    let p = register(&http, &phone(), "secret1", "Reg").await;
    let r = http.shiku("/basic/randcode/sendSms", &[("telephone", &p.phone), ("isRegister", "1")]).await;
    assert_eq!(r.shiku_code(), 1040103, "registration code for a taken number");
    let r = http.shiku("/basic/randcode/sendSms", &[("telephone", &p.phone), ("isRegister", "0")]).await;
    assert!(r.shiku_ok()["code"].is_string());

    // Ten sends per 24 h window, one per minute (clock moved through the store API).
    let ph = tel(&phone());
    let t0 = now();
    for i in 0..10 {
        codes::reserve_send(&app.ctx.db, &ph, t0 + i * 61).await.unwrap();
    }
    let e = codes::reserve_send(&app.ctx.db, &ph, t0 + 10 * 61).await.unwrap_err();
    assert!(matches!(&e, AppError::RateLimited(m) if m.contains("per day")), "{e:?}");
    let e = codes::reserve_send(&app.ctx.db, &ph, t0 + 9 * 61 + 30).await.unwrap_err();
    assert!(matches!(&e, AppError::RateLimited(m) if m.contains("60 seconds")), "{e:?}");
    codes::reserve_send(&app.ctx.db, &ph, t0 + 86_400 + 1).await.expect("a new window after 24 h");
    // Two concurrent sends: exactly one gets the slot.
    let ph = tel(&phone());
    let (a, b) = tokio::join!(codes::reserve_send(&app.ctx.db, &ph, t0), codes::reserve_send(&app.ctx.db, &ph, t0));
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "{a:?} {b:?}");
}

#[tokio::test]
async fn shiku_password_reset_with_code_revokes_every_token() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "Forgetful").await;
    let (mx_access, _) = minxing_login(&http, &p.phone, "secret1").await;
    let r = http
        .shiku("/basic/randcode/sendSms", &[("telephone", &p.phone), ("areaCode", "86"), ("isRegister", "0")])
        .await;
    let code = r.shiku_ok()["code"].as_str().unwrap().to_string();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let new_pw = md5_hex("secret2");
    let reset = |randcode: String| {
        let (http, ph, pw) = (&http, p.phone.clone(), new_pw.clone());
        async move {
            http.shiku("/user/password/reset", &[("telephone", &ph), ("randcode", &randcode), ("newPassword", &pw)])
                .await
        }
    };
    assert_eq!(reset(wrong.to_string()).await.shiku_code(), 1040104, "wrong code");
    let r = http.shiku("/user/password/reset", &[("telephone", &p.phone), ("randcode", &code)]).await;
    assert_eq!(r.shiku_code(), 1010102, "newPassword missing");
    reset(code.clone()).await.shiku_ok();
    assert_eq!(reset(code.clone()).await.shiku_code(), 1040105, "a code works once");

    // Every token of the account is gone, in every dialect.
    let r = http
        .shiku(
            "/user/password/update",
            &[("access_token", &p.token), ("oldPassword", &new_pw), ("newPassword", &new_pw)],
        )
        .await;
    assert_eq!(r.shiku_code(), 1030102);
    let r = http.json("DELETE", "/api/v1/users/current/devices", Some(&mx_access), json!({})).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(shiku_login_code(&http, &p.phone, &md5_hex("secret1")).await, 1040102);
    assert_eq!(shiku_login_code(&http, &p.phone, &new_pw).await, 1);
    minxing_login(&http, &p.phone, "secret2").await;
    let r = st(&http, "/user/login", json!({"region": "86", "phone": p.phone, "password": "secret2"})).await;
    assert_eq!(st_code(&r), 200, "reset through Shiku, log in through SealTalk");
    // A reset code cannot be used for a number it was not sent to.
    let other = register(&http, &phone(), "secret1", "Other").await;
    let r = http
        .shiku("/user/password/reset", &[("telephone", &other.phone), ("randcode", "123456"), ("newPassword", &new_pw)])
        .await;
    assert_eq!(r.shiku_code(), 1040105, "no code was sent to this number");
}

#[tokio::test]
async fn codes_expire_die_after_five_wrong_tries_and_verify_once() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let db = &app.ctx.db;
    let p = register(&http, &phone(), "secret1", "Tries").await;
    let ph = tel(&p.phone);
    let new_pw = md5_hex("secret9");
    let reset = |code: &'static str| {
        let (http, ph, pw) = (&http, p.phone.clone(), new_pw.clone());
        async move {
            http.shiku("/user/password/reset", &[("telephone", &ph), ("randcode", code), ("newPassword", &pw)])
                .await
                .shiku_code()
        }
    };
    // Expired: written with a ttl in the past (DynamoDB has not deleted it yet).
    let t = now();
    codes::put_code(db, &ph, Purpose::Reset, "123456", t - 600, t - 300).await.unwrap();
    assert_eq!(reset("123456").await, 1040105, "expired code");
    // Wrong code five times kills it, even for the right code afterwards.
    codes::put_code(db, &ph, Purpose::Reset, "123456", t, t + 300).await.unwrap();
    for i in 0..5 {
        assert_eq!(reset("654321").await, 1040104, "wrong try {i}");
    }
    assert_eq!(reset("123456").await, 1040105, "dead after 5 wrong tries");
    // Four wrong tries still leave the fifth.
    codes::put_code(db, &ph, Purpose::Reset, "123456", t, t + 300).await.unwrap();
    for _ in 0..4 {
        assert_eq!(reset("654321").await, 1040104);
    }
    assert_eq!(reset("123456").await, 1);
    // A code of another purpose does not work.
    codes::put_code(db, &ph, Purpose::Register, "123456", t, t + 300).await.unwrap();
    assert_eq!(reset("123456").await, 1040105);
    // Two concurrent verifications of one code: exactly one succeeds.
    codes::put_code(db, &ph, Purpose::Reset, "222222", t, t + 300).await.unwrap();
    let (a, b) = tokio::join!(
        codes::verify(db, &ph, Purpose::Reset, "222222", t),
        codes::verify(db, &ph, Purpose::Reset, "222222", t)
    );
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "{a:?} {b:?}");
    // Parallel guesses cannot exceed the attempt limit.
    codes::put_code(db, &ph, Purpose::Reset, "333333", t, t + 300).await.unwrap();
    let guesses: Vec<_> =
        (0..8).map(|i| codes::verify(db, &ph, Purpose::Reset, if i == 7 { "333333" } else { "999999" }, t)).collect();
    let results = futures_util::future::join_all(guesses).await;
    let wrong = results.iter().filter(|r| matches!(r, Err(AppError::WrongCode))).count();
    assert!(wrong <= 5, "{results:?}");
}

#[tokio::test]
async fn shiku_password_update_keeps_the_current_session_only() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "Changer").await;
    let r = http.shiku("/user/login", &[("telephone", &p.phone), ("password", &md5_hex("secret1"))]).await;
    let second = r.shiku_ok()["access_token"].as_str().unwrap().to_string();
    let update = |tok: String, old: &str, new: &str| {
        let (old, new, http) = (md5_hex(old), md5_hex(new), &http);
        async move {
            http.shiku("/user/password/update", &[("access_token", &tok), ("oldPassword", &old), ("newPassword", &new)])
                .await
        }
    };
    assert_eq!(update(p.token.clone(), "wrong1", "secret2").await.shiku_code(), 1040102, "wrong old password");
    let r = http
        .shiku("/user/password/update", &[("oldPassword", &md5_hex("secret1")), ("newPassword", &md5_hex("x"))])
        .await;
    assert_eq!(r.shiku_code(), 1030101);
    let r =
        http.shiku("/user/password/update", &[("access_token", &p.token), ("oldPassword", &md5_hex("secret1"))]).await;
    assert_eq!(r.shiku_code(), 1010102);
    update(p.token.clone(), "secret1", "secret2").await.shiku_ok();
    // The other session is revoked, the calling one still works.
    assert_eq!(update(second, "secret2", "secret3").await.shiku_code(), 1030102);
    assert_eq!(shiku_login_code(&http, &p.phone, &md5_hex("secret1")).await, 1040102);
    assert_eq!(shiku_login_code(&http, &p.phone, &md5_hex("secret2")).await, 1);
    // Changed through Shiku, works in SealTalk and Minxing.
    let r = st(&http, "/user/login", json!({"region": 86, "phone": p.phone, "password": "secret2"})).await;
    assert_eq!(st_code(&r), 200);
    minxing_login(&http, &p.phone, "secret2").await;
    update(p.token.clone(), "secret2", "secret3").await.shiku_ok();
}

/// send_code → verify_code → verification_token, with the code read from the response.
async fn sealtalk_token(http: &Http, ph: &str) -> String {
    let r = st(http, "/user/send_code", json!({"region": 86, "phone": ph})).await;
    assert_eq!(st_code(&r), 200);
    let code = r.body["result"]["code"].as_str().unwrap().to_string();
    let r = st(http, "/user/verify_code", json!({"region": 86, "phone": ph, "code": code})).await;
    assert_eq!(st_code(&r), 200);
    r.body["result"]["verification_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn sealtalk_register_flow_and_cross_dialect_login() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let ph = phone();
    let uname = format!("user_{ph}");
    let r = st(&http, "/user/check_phone_available", json!({"region": 86, "phone": ph})).await;
    assert_eq!((st_code(&r), r.body["result"].clone()), (200, json!(true)));
    let r = st(&http, "/user/check_username_available", json!({"username": uname})).await;
    assert_eq!(r.body["result"], json!(true), "{}", r.text);
    let r = st(&http, "/user/check_username_available", json!({"username": "a b"})).await;
    assert_eq!(r.status, 400);

    let r = st(&http, "/user/send_code", json!({"region": 86, "phone": ph})).await;
    assert_eq!(st_code(&r), 200);
    assert_eq!(r.ddb_calls(), 4, "source IP slot + rate slot (same window fails, new window) + code");
    let code = r.body["result"]["code"].as_str().unwrap().to_string();
    let r = st(&http, "/user/send_code", json!({"region": 86, "phone": ph})).await;
    assert_eq!(st_code(&r), 5000, "rate limited");
    assert_eq!(r.ddb_calls(), 4, "source IP slot + two refused rate updates + one read for the message");
    let r = st(&http, "/user/send_code", json!({"region": 86})).await;
    assert_eq!(r.status, 400);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = st(&http, "/user/verify_code", json!({"region": 86, "phone": ph, "code": wrong})).await;
    assert_eq!(st_code(&r), 1000, "wrong code");
    let r = st(&http, "/user/verify_code", json!({"region": 86, "phone": ph, "code": code})).await;
    assert_eq!(st_code(&r), 200);
    assert_eq!(r.ddb_calls(), 3, "take attempt + delete code + put token");
    let vtoken = r.body["result"]["verification_token"].as_str().unwrap().to_string();
    let r = st(&http, "/user/verify_code", json!({"region": 86, "phone": ph, "code": code})).await;
    assert_eq!(st_code(&r), 2000, "a code verifies once");

    let reg = |token: String, username: String, password: &'static str| {
        let http = &http;
        async move {
            st(
                http,
                "/user/register",
                json!({"nickname": "Sealy", "username": username, "password": password, "verification_token": token}),
            )
            .await
        }
    };
    let r = reg("75dd0f90-9b0d-11e5-803f-59b82644bc50".into(), uname.clone(), "secret1").await;
    assert_eq!((r.status, r.body["code"].clone()), (404, json!(404)), "unknown token: {}", r.text);
    let r = reg(vtoken.clone(), uname.clone(), "short").await;
    assert_eq!(r.status, 400, "password shape");
    let r = reg(vtoken.clone(), uname.clone(), "secret1").await;
    assert_eq!(st_code(&r), 200, "{}", r.text);
    assert_eq!(r.ddb_calls(), 5, "peek token, id counter, account transaction, use token, session");
    let uid = r.body["result"]["id"].as_str().unwrap().to_string();
    assert!(r.headers.get("set-cookie").is_some(), "registration logs in");
    let r = reg(vtoken.clone(), format!("{uname}x"), "secret1").await;
    assert_eq!(r.status, 404, "a verification token works once: {}", r.text);

    let r = st(&http, "/user/check_phone_available", json!({"region": 86, "phone": ph})).await;
    assert_eq!(r.body["result"], json!(false));
    let r = st(&http, "/user/check_username_available", json!({"username": uname.to_uppercase()})).await;
    assert_eq!(r.body["result"], json!(false), "usernames are case-insensitive");

    // The same person in Shiku (md5 password, telephone) and Minxing (username or telephone).
    let r = http.shiku("/user/login", &[("telephone", &ph), ("password", &md5_hex("secret1"))]).await;
    assert_eq!(r.shiku_ok()["userId"].as_i64().unwrap().to_string(), uid);
    minxing_login(&http, &uname, "secret1").await;
    minxing_login(&http, &ph, "secret1").await;

    // A taken username does not use the token up.
    let ph2 = phone();
    let vtoken2 = sealtalk_token(&http, &ph2).await;
    let r = reg(vtoken2.clone(), uname.clone(), "secret1").await;
    assert_eq!(st_code(&r), 409, "duplicate username");
    let r = reg(vtoken2.clone(), format!("{uname}2"), "secret1").await;
    assert_eq!(st_code(&r), 200, "{}", r.text);
    // Registering a taken phone: the token is valid but the account exists.
    let vtoken3 = codes::issue_vtoken(&app.ctx.db, &tel(&ph2), now()).await.unwrap();
    // HTTP 400 as the original ("Phone number has already existed.", user.coffee:233-234).
    assert_eq!(reg(vtoken3, format!("{uname}3"), "secret1").await.status, 400);

    // Expired code (2000) and expired verification token (404).
    let ph3 = phone();
    let t = now();
    codes::put_code(&app.ctx.db, &tel(&ph3), Purpose::Verify, "123456", t - 600, t - 1).await.unwrap();
    let r = st(&http, "/user/verify_code", json!({"region": 86, "phone": ph3, "code": "123456"})).await;
    assert_eq!(st_code(&r), 2000, "expired code");
    let old = codes::issue_vtoken(&app.ctx.db, &tel(&ph3), t - 3600).await.unwrap();
    assert_eq!(reg(old, format!("{uname}4"), "secret1").await.status, 404, "expired verification token");
    // Attempts exhausted → 2000.
    codes::put_code(&app.ctx.db, &tel(&ph3), Purpose::Verify, "123456", t, t + 300).await.unwrap();
    for _ in 0..5 {
        let r = st(&http, "/user/verify_code", json!({"region": 86, "phone": ph3, "code": "000000"})).await;
        assert_eq!(st_code(&r), 1000);
    }
    let r = st(&http, "/user/verify_code", json!({"region": 86, "phone": ph3, "code": "123456"})).await;
    assert_eq!(st_code(&r), 2000, "dead after 5 wrong tries");
}

#[tokio::test]
async fn sealtalk_change_and_reset_password() {
    let app = spawn_app().await;
    let http = Http::new(&app); // cookie jar: the SealTalk session
    let p = register(&http, &phone(), "secret1", "Both").await;
    let r = st(&http, "/user/change_password", json!({"oldPassword": "secret1", "newPassword": "secret2"})).await;
    assert_eq!(r.status, 403, "not logged in");
    let r = st(&http, "/user/login", json!({"region": 86, "phone": p.phone, "password": "secret1"})).await;
    assert_eq!(st_code(&r), 200);
    let r = st(&http, "/user/change_password", json!({"oldPassword": "wrong11", "newPassword": "secret2"})).await;
    assert_eq!(st_code(&r), 1000, "wrong old password");
    let r = st(&http, "/user/change_password", json!({"oldPassword": "secret1", "newPassword": "has space"})).await;
    assert_eq!(r.status, 400);
    let r = st(&http, "/user/change_password", json!({"oldPassword": "secret1", "newPassword": "secret2"})).await;
    assert_eq!(st_code(&r), 200, "{}", r.text);
    // The Shiku token is revoked; the SealTalk session that changed it is not.
    let r = http.shiku("/user/logout", &[("access_token", &p.token)]).await;
    assert_eq!(r.shiku_code(), 1030102);
    assert_eq!(shiku_login_code(&http, &p.phone, &md5_hex("secret2")).await, 1, "changed in SealTalk, works in Shiku");
    let r = st(&http, "/user/change_password", json!({"oldPassword": "secret2", "newPassword": "secret3"})).await;
    assert_eq!(st_code(&r), 200, "session still alive: {}", r.text);

    // Reset through a verification token revokes the session too.
    let vtoken = sealtalk_token(&http, &p.phone).await;
    let r = st(&http, "/user/reset_password", json!({"password": "a b c d", "verification_token": vtoken})).await;
    assert_eq!(r.status, 400);
    let r = st(&http, "/user/reset_password", json!({"password": "secret4", "verification_token": vtoken})).await;
    assert_eq!(st_code(&r), 200, "{}", r.text);
    let r = st(&http, "/user/reset_password", json!({"password": "secret5", "verification_token": vtoken})).await;
    assert_eq!(r.status, 404, "token used");
    let r = st(&http, "/user/change_password", json!({"oldPassword": "secret4", "newPassword": "secret5"})).await;
    assert_eq!(r.status, 403, "session revoked by the reset");
    assert_eq!(shiku_login_code(&http, &p.phone, &md5_hex("secret4")).await, 1);
    // A token for a number without an account.
    let stranger = codes::issue_vtoken(&app.ctx.db, &tel(&phone()), now()).await.unwrap();
    let r = st(&http, "/user/reset_password", json!({"password": "secret4", "verification_token": stranger})).await;
    // 200 as the original, which updates 0 rows (user.coffee:338-346).
    assert_eq!(st_code(&r), 200, "unknown account");
}

#[tokio::test]
async fn shiku_register_needs_a_code_only_when_configured() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let mut cfg = shared::provision::default_shiku_config();
    cfg["isOpenSMSCode"] = json!(1);
    shared::store::config::put(&app.ctx.db, shared::store::config::SHIKU, &cfg, now() * 1000).await.unwrap();
    let ph = phone();
    let pw = md5_hex("secret1");
    let form = |code: Option<&'static str>| {
        let mut f = vec![("telephone", ph.clone()), ("password", pw.clone()), ("nickname", "Coded".to_string())];
        if let Some(c) = code {
            f.push(("smsCode", c.to_string()));
        }
        f
    };
    let send = |f: Vec<(&'static str, String)>| {
        let http = &http;
        async move {
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            http.shiku("/user/register", &f).await
        }
    };
    assert_eq!(send(form(None)).await.shiku_code(), 1010102, "smsCode required");
    assert_eq!(send(form(Some("000000"))).await.shiku_code(), 1040105, "no code sent yet");
    let r = http.shiku("/basic/randcode/sendSms", &[("telephone", &ph), ("isRegister", "1")]).await;
    let code = r.shiku_ok()["code"].as_str().unwrap().to_string();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(send(form(Some(wrong))).await.shiku_code(), 1040104);
    let mut f = form(None);
    f.push(("randcode", code.clone()));
    let r = send(f).await;
    assert!(r.shiku_ok()["userId"].as_i64().is_some());
    // Without the flag (the default) no code is needed: the other tests register that way.
}
