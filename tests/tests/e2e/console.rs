//! Shiku operator console, users part (`/console/{login,logout,userList,updateUser,
//! deleteUser,userStatus}`): operators only, console tokens only on /console/*, audit in
//! the transaction of every change, protected accounts, call budgets.

use e2e::console::{audited, login, login_resp};
use e2e::*;
use serde_json::Value;
use shared::auth::md5_hex;
use std::time::{Duration, Instant};

const BAD_PARAM: i64 = 1010101;
const MISSING: i64 = 1010102;
const NOT_FOUND: i64 = 1010104;
const TOKEN_INVALID: i64 = 1030102;
const FORBIDDEN: i64 = 1030103;
const BAD_CREDENTIALS: i64 = 1040102;

/// True when the server closes the socket before `wait` ends.
async fn closed_within(ws: &mut Ws, wait: Duration) -> bool {
    let t = Instant::now();
    loop {
        match ws.next(wait.saturating_sub(t.elapsed())).await {
            None => return t.elapsed() < wait,
            Some(_) => continue,
        }
    }
}

#[tokio::test]
async fn console_tokens_are_for_operators_and_console_routes_only() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let alice = register(&http, &phone(), "secret1", "Alice").await;

    // A user with the right password is no operator: the wrong-password answer.
    let r = http.shiku("/console/login", &[("telephone", &alice.phone), ("password", &md5_hex("secret1"))]).await;
    assert_eq!(r.shiku_code(), BAD_CREDENTIALS, "{}", r.text);
    let r = http.shiku("/console/login", &[("telephone", "admin"), ("password", &md5_hex("wrong"))]).await;
    assert_eq!(r.shiku_code(), BAD_CREDENTIALS, "{}", r.text);
    let r = http.shiku("/console/login", &[("telephone", "admin")]).await;
    assert_eq!(r.shiku_code(), MISSING, "{}", r.text);

    let r = login_resp(&http).await;
    assert!(r.ddb_calls() <= 4, "login: {} calls", r.ddb_calls());
    assert_eq!(r.shiku_ok()["expires_in"], 8 * 3600, "{}", r.text);
    let tok = r.shiku_ok()["access_token"].as_str().unwrap().to_string();
    // user token refused on /console/*, no token refused
    let r = http.shiku_as("/console/userStatus", &alice.token, &[]).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "{}", r.text);
    let r = http.shiku("/console/userStatus", &[]).await;
    assert_eq!(r.shiku_code(), 1030101, "{}", r.text);
    // console token refused on user routes (Shiku and Minxing), and on the WebSocket
    let r = http.shiku_as("/user/get", &tok, &[("userId", &alice.uid.to_string())]).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "{}", r.text);
    let r = http.get("/api/v1/users/current", Some(&tok)).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert!(Ws::connect(&app, &tok).await.is_err(), "a console token opened a WebSocket");
    assert!(Ws::connect(&app, &alice.token).await.is_ok());

    let r = http.shiku_as("/console/userStatus", &tok, &[]).await;
    let d = r.shiku_ok();
    assert!(d["total"].as_i64().unwrap() >= 1, "{}", r.text);
    assert_eq!(d["onlineCount"].as_i64().unwrap() + d["offlineCount"].as_i64().unwrap(), d["total"].as_i64().unwrap());
    assert!(r.ddb_calls() <= 2, "userStatus: {} calls", r.ddb_calls());

    // logout revokes the console token (and only it)
    let r = http.shiku_as("/console/logout", &tok, &[]).await;
    assert!(r.ddb_calls() <= 3, "logout: {} calls", r.ddb_calls());
    r.shiku_ok();
    let r = http.shiku_as("/console/userStatus", &tok, &[]).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "{}", r.text);
    http.shiku_as("/user/get", &alice.token, &[("userId", &alice.uid.to_string())]).await.shiku_ok();
}

#[tokio::test]
async fn delete_user_disables_frees_names_revokes_and_closes_sockets() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let tok = login(&http).await;
    let bob = register(&http, &phone(), "secret1", "Bob").await;
    let mut ws = Ws::connect(&app, &bob.token).await.unwrap();
    let uid = bob.uid.to_string();

    // bad input and protected accounts
    let admin_uid = http.shiku_as("/console/userList", &tok, &[("nickname", "Administrator")]).await.shiku_ok()["list"]
        [0]["userId"]
        .as_i64()
        .unwrap()
        .to_string();
    for (id, code) in [
        ("10000", FORBIDDEN),
        ("10005", FORBIDDEN),
        (admin_uid.as_str(), FORBIDDEN),
        ("99999999", NOT_FOUND),
        ("abc", BAD_PARAM),
    ] {
        let r = http.shiku_as("/console/deleteUser", &tok, &[("userId", id)]).await;
        assert_eq!(r.shiku_code(), code, "{id}: {}", r.text);
    }
    let r = http.shiku_as("/console/deleteUser", &tok, &[]).await;
    assert_eq!(r.shiku_code(), MISSING, "{}", r.text);
    let r = http.shiku_as("/console/deleteUser", &bob.token, &[("userId", &uid)]).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "{}", r.text);
    assert_eq!(audited(&app, "/console/deleteUser", &format!("user:{uid}")).await, 0);

    let r = http.shiku_as("/console/deleteUser", &tok, &[("userId", &uid)]).await;
    // 11 with the open socket: its removal moves the online counter's shard after the
    // connection's transaction (store/connections.rs), one UpdateItem more than inside it.
    assert!(r.ddb_calls() <= 11, "deleteUser: {} calls", r.ddb_calls());
    r.shiku_ok();
    assert_eq!(audited(&app, "/console/deleteUser", &format!("user:{uid}")).await, 1);
    assert!(closed_within(&mut ws, WAIT).await, "bob's socket stayed open");
    // his next Shiku call is refused, so is his login; the number registers again
    let r = http.shiku_as("/user/get", &bob.token, &[("userId", &uid)]).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "{}", r.text);
    let r = http
        .shiku(
            "/user/login",
            &[("telephone", &md5_hex(&bob.phone)), ("areaCode", "86"), ("password", &md5_hex("secret1"))],
        )
        .await;
    assert_eq!(r.shiku_code(), BAD_CREDENTIALS, "{}", r.text);
    let again = register(&http, &bob.phone, "secret2", "Bob again").await;
    assert_ne!(again.uid, bob.uid);
    // the console still shows the old account, disabled
    let r = http
        .send(
            http.client
                .get(format!("{}/console/updateUser", http.base))
                .query(&[("access_token", tok.as_str()), ("userId", uid.as_str())]),
        )
        .await;
    assert_eq!(r.shiku_ok()["status"], 0, "{}", r.text);
}

#[tokio::test]
async fn update_user_status_disables_and_enables() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let tok = login(&http).await;
    let carol = register(&http, &phone(), "secret1", "Carol").await;
    let uid = carol.uid.to_string();
    let get = |t: &str| {
        http.client
            .get(format!("{}/console/updateUser", http.base))
            .query(&[("access_token", t), ("userId", uid.as_str())])
    };
    let r = http.send(get(&tok)).await;
    assert!(r.ddb_calls() <= 4, "updateUserGET: {} calls", r.ddb_calls());
    let d = r.shiku_ok();
    assert_eq!(
        (d["userId"].as_i64(), &d["nickname"], &d["status"]),
        (Some(carol.uid), &Value::from("Carol"), &Value::from(1))
    );
    assert_eq!(d["telephone"], carol.phone.as_str());
    let r = http.send(get(&carol.token)).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "{}", r.text);

    for (status, code) in [("7", BAD_PARAM), ("x", BAD_PARAM)] {
        let r = http.shiku_as("/console/updateUser", &tok, &[("userId", &uid), ("status", status)]).await;
        assert_eq!(r.shiku_code(), code, "{}", r.text);
    }
    let r = http.shiku_as("/console/updateUser", &tok, &[("userId", "10000"), ("status", "0")]).await;
    assert_eq!(r.shiku_code(), FORBIDDEN, "{}", r.text);

    let r = http.shiku_as("/console/updateUser", &tok, &[("userId", &uid), ("status", "0")]).await;
    assert!(r.ddb_calls() <= 9, "updateUser0: {} calls", r.ddb_calls());
    assert_eq!(r.shiku_ok()["status"], 0, "{}", r.text);
    assert_eq!(audited(&app, "/console/updateUser", &format!("user:{uid}")).await, 1);
    let r = http.shiku_as("/user/get", &carol.token, &[("userId", &uid)]).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "{}", r.text);
    let (tel, pw) = (md5_hex(&format!("86{}", carol.phone)), md5_hex("secret1"));
    let form = [("telephone", tel.as_str()), ("password", pw.as_str())];
    let login = || http.shiku("/user/login", &form);
    let r = login().await;
    assert_eq!(r.shiku_code(), BAD_CREDENTIALS, "{}", r.text);

    let r = http.shiku_as("/console/updateUser", &tok, &[("userId", &uid), ("status", "1")]).await;
    assert_eq!(r.shiku_ok()["status"], 1, "{}", r.text);
    assert_eq!(audited(&app, "/console/updateUser", &format!("user:{uid}")).await, 2);
    login().await.shiku_ok();
}

#[tokio::test]
async fn user_list_pages_searches_and_filters_within_budget() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let tok = login(&http).await;
    let alice = register(&http, &phone(), "secret1", "Alice").await;
    let _alfred = register(&http, &phone(), "secret1", "Alfred").await;
    let _bob = register(&http, &phone(), "secret1", "Bob").await;
    let _ws = Ws::connect(&app, &alice.token).await.unwrap();

    // admin, system 10000, Alice, Alfred, Bob: in id order
    let r = http.shiku_as("/console/userList", &tok, &[("pageIndex", "0"), ("pageSize", "2")]).await;
    let d = r.shiku_ok();
    assert_eq!(d["list"].as_array().unwrap().len(), 2, "{}", r.text);
    assert_eq!(d["more"], true);
    assert!(r.ddb_calls() <= 3, "userList: {} calls (token + 1 Query + 1 BatchGet)", r.ddb_calls());
    let all = http.shiku_as("/console/userList", &tok, &[]).await;
    let list = all.shiku_ok()["list"].as_array().unwrap().clone();
    let names: Vec<&str> = list.iter().map(|u| u["nickname"].as_str().unwrap()).collect();
    for n in ["Alice", "Alfred", "Bob"] {
        assert!(names.contains(&n), "{names:?}");
    }
    let r = http.shiku_as("/console/userList", &tok, &[("pageIndex", "1"), ("pageSize", "2")]).await;
    let p1: Vec<Value> = r.shiku_ok()["list"].as_array().unwrap().clone();
    assert_eq!(p1, list[2..4].to_vec());

    let r = http.shiku_as("/console/userList", &tok, &[("nickname", "al")]).await;
    let mut found: Vec<String> =
        r.shiku_ok()["list"].as_array().unwrap().iter().map(|u| u["nickname"].as_str().unwrap().to_string()).collect();
    found.sort();
    assert_eq!(found, ["Alfred", "Alice"]);
    assert!(r.ddb_calls() <= 3, "userList search: {} calls", r.ddb_calls());

    let r = http.shiku_as("/console/userList", &tok, &[("onlinestate", "1")]).await;
    let on = r.shiku_ok()["list"].as_array().unwrap().clone();
    assert_eq!(on.len(), 1, "{}", r.text);
    assert_eq!((on[0]["userId"].as_i64(), &on[0]["onlinestate"]), (Some(alice.uid), &Value::from(1)));
    let r = http.shiku_as("/console/userList", &tok, &[("onlinestate", "0")]).await;
    assert_eq!(r.shiku_ok()["list"].as_array().unwrap().len(), list.len() - 1);

    for (k, v) in [
        ("pageSize", "51"),
        ("pageSize", "0"),
        ("pageIndex", "-1"),
        ("pageIndex", "x"),
        ("onlinestate", "2"),
        ("pageIndex", "500"),
    ] {
        let r = http.shiku_as("/console/userList", &tok, &[(k, v)]).await;
        assert_eq!(r.shiku_code(), BAD_PARAM, "{k}={v}: {}", r.text);
    }
    let r = http.shiku_as("/console/userList", &alice.token, &[]).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "{}", r.text);
}

#[tokio::test]
async fn useralladd_and_init_sys_user_are_audited_and_idempotent() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let tok = login(&http).await;
    let user = register(&http, &phone(), "secret1", "Dave").await;

    // initSysUser: 10000 exists (provisioned), 10005 is made once
    let r = http.shiku_as("/console/initSysUser", &tok, &[]).await;
    assert!(r.ddb_calls() <= 3, "initSysUser: {} calls", r.ddb_calls());
    assert_eq!(r.shiku_ok()["created"], serde_json::json!([10005]), "{}", r.text);
    assert_eq!(audited(&app, "/console/initSysUser", "user:10005").await, 1);
    let r = http.shiku_as("/console/initSysUser", &tok, &[("userId", "0")]).await;
    assert_eq!(r.shiku_ok()["created"], serde_json::json!([]), "{}", r.text);
    assert_eq!(audited(&app, "/console/initSysUser", "user:10005").await, 1, "no change, no audit");
    let r = http.shiku_as("/user/get", &user.token, &[("userId", "10005")]).await;
    assert_eq!(r.shiku_ok()["nickname"], "Service", "{}", r.text);
    for v in ["7", "x"] {
        let r = http.shiku_as("/console/initSysUser", &tok, &[("userId", v)]).await;
        assert_eq!(r.shiku_code(), BAD_PARAM, "{}", r.text);
    }
    let r = http.shiku_as("/console/initSysUser", &user.token, &[]).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "{}", r.text);
    let r = http.shiku_as("/console/deleteUser", &tok, &[("userId", "10005")]).await;
    assert_eq!(r.shiku_code(), FORBIDDEN, "{}", r.text);

    // useralladd: the account logs in through Shiku with the operator-given password
    let tel = phone();
    let r = http
        .shiku_as(
            "/console/useralladd",
            &tok,
            &[("telephone", &tel), ("nickname", "Erin"), ("password", &md5_hex("pw123456"))],
        )
        .await;
    assert!(r.ddb_calls() <= 3, "useralladd: {} calls", r.ddb_calls());
    let d = r.shiku_ok().clone();
    assert_eq!((&d["nickname"], &d["status"]), (&Value::from("Erin"), &Value::from(1)), "{}", r.text);
    assert_eq!(audited(&app, "/console/useralladd", &format!("phone:86{tel}")).await, 1);
    let r = http
        .shiku("/user/login", &[("telephone", &md5_hex(&format!("86{tel}"))), ("password", &md5_hex("pw123456"))])
        .await;
    assert_eq!(r.shiku_ok()["userId"], d["userId"]);
    // taken number, missing fields, user token
    let r = http
        .shiku_as(
            "/console/useralladd",
            &tok,
            &[("telephone", &tel), ("nickname", "Again"), ("password", &md5_hex("x"))],
        )
        .await;
    assert_eq!(r.shiku_code(), 1040103, "{}", r.text);
    assert_eq!(audited(&app, "/console/useralladd", &format!("phone:86{tel}")).await, 1, "refused, no audit");
    let r = http.shiku_as("/console/useralladd", &tok, &[("telephone", &phone()), ("nickname", "NoPw")]).await;
    assert_eq!(r.shiku_code(), MISSING, "{}", r.text);
    let r = http
        .shiku_as("/console/useralladd", &tok, &[("telephone", "12ab"), ("nickname", "X"), ("password", "p")])
        .await;
    assert_eq!(r.shiku_code(), BAD_PARAM, "{}", r.text);
    let r = http
        .shiku_as("/console/useralladd", &user.token, &[("telephone", &phone()), ("nickname", "X"), ("password", "p")])
        .await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "{}", r.text);
}

async fn messages_today(http: &Http, tok: &str) -> i64 {
    let r = http.shiku_as("/console/userStatus", tok, &[]).await;
    r.shiku_ok()["messagesToday"].as_i64().unwrap_or_else(|| panic!("{}", r.text))
}

/// The dashboard's `messagesToday` counts what the delivery worker delivered today: a
/// group message counts once, not once per member.
#[tokio::test]
async fn user_status_counts_messages_delivered_today() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let tok = login(&http).await;
    let ps = people(&http, 3).await;
    let cid = group(&http, &ps[0], &[&ps[1], &ps[2]], "counted").await;
    let before = messages_today(&http, &tok).await;
    for i in 0..3 {
        send_http(&http, &ps[0], &cid, &format!("count me {i}")).await;
    }
    let t = Instant::now();
    let mut now = before;
    while now < before + 3 && t.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(300)).await;
        now = messages_today(&http, &tok).await;
    }
    assert!(now >= before + 3, "messagesToday {before} → {now} after 3 sends");
}
