//! Hardening of the Xuanxuan signed API (issue #9, item 1): the signature covers the query
//! string only, so routing and authorisation read the signed query and nothing else; an
//! optional signed `time` bounds replays; calls are rate-limited per app code.

use e2e::*;
use serde_json::{json, Value};
use shared::auth::md5_hex;
use shared::store::apps::{self, App};

fn signed_url(http: &Http, query: &str, key: &str) -> String {
    format!("{}/api.php?{query}&token={}", http.base, md5_hex(&(md5_hex(query) + key)))
}

fn now_secs() -> i64 {
    shared::clock::Clock::now_secs(&shared::clock::SystemClock)
}

async fn group_with_history(http: &Http) -> (Person, String) {
    let a = register(http, &phone(), "secret1", "A").await;
    let b = register(http, &phone(), "secret1", "B").await;
    let r =
        http.json("POST", "/api/v1/conversations2", Some(&a.token), json!({"user_ids": [b.uid], "name": "Ops"})).await;
    let gid = r.body["id"].as_str().unwrap_or_else(|| panic!("{}", r.text)).to_string();
    (a, gid)
}

async fn history_len(http: &Http, a: &Person, gid: &str) -> usize {
    let r = http.shiku("/tigase/shiku_muc_msgs", &[("access_token", &a.token), ("roomId", gid)]).await;
    r.shiku_ok().as_array().map_or(0, Vec::len)
}

fn card(gid: &str) -> Value {
    json!({"receiver": "group", "gid": gid, "title": "pwned", "contentType": "plain"})
}

#[tokio::test]
async fn a_captured_signed_url_cannot_be_repurposed_by_a_body() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let (a, gid) = group_with_history(&http).await;
    let url = signed_url(&http, "m=chat&f=getChatGroups&code=demo", "demo-key");
    let data = card(&gid).to_string();

    // Form body overriding `f` (and `m`): refused, nothing posted.
    let r = http.send(http.client.post(&url).form(&[("m", "chat"), ("f", "notifyMSG"), ("data", &data)])).await;
    assert_eq!(r.body["result"], "fail", "form override: {}", r.text);
    // JSON body overriding `f`.
    let r = http.send(http.client.post(&url).json(&json!({"f": "notifyMSG", "data": data}))).await;
    assert_eq!(r.body["result"], "fail", "JSON override: {}", r.text);
    // Multipart body overriding `f`.
    let form = reqwest::multipart::Form::new().text("f", "notifyMSG").text("data", data.clone());
    let r = http.send(http.client.post(&url).multipart(form)).await;
    assert_eq!(r.body["result"], "fail", "multipart override: {}", r.text);
    // A body overriding `code` (another app's key would not sign it anyway) or `gid`.
    let users_url = signed_url(&http, &format!("m=chat&f=getChatUsers&gid={gid}&code=demo"), "demo-key");
    let r = http.send(http.client.get(&users_url).json(&json!({"gid": "other"}))).await;
    assert_eq!(r.body["result"], "fail", "gid override: {}", r.text);
    assert_eq!(history_len(&http, &a, &gid).await, 0, "no notification was posted");

    // The signed URL itself still works, and a real notifyMSG URL posts.
    let r = http.send(http.client.get(&url)).await;
    assert_eq!(r.body["result"], "success", "{}", r.text);
    let r = http.xuanxuan("POST", "m=chat&f=notifyMSG&code=demo", "demo-key", &[("data", &data)]).await;
    assert_eq!(r.body, json!({"result": "success"}), "{}", r.text);
    assert_eq!(history_len(&http, &a, &gid).await, 1);
}

#[tokio::test]
async fn a_signed_time_bounds_replays_and_apps_can_require_it() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let now = now_secs();
    let ok = |q: String| {
        let http = &http;
        async move { http.xuanxuan("GET", &q, "demo-key", &[]).await }
    };
    let r = ok(format!("m=chat&f=getChatGroups&code=demo&time={now}")).await;
    assert_eq!(r.body["result"], "success", "fresh time: {}", r.text);
    let r = ok(format!("m=chat&f=getChatGroups&code=demo&time={}", now - 310)).await;
    assert_eq!(r.body["result"], "fail", "stale time: {}", r.text);
    assert!(r.body["message"].as_str().unwrap().contains("time"), "{}", r.text);
    let r = ok(format!("m=chat&f=getChatGroups&code=demo&time={}", now + 310)).await;
    assert_eq!(r.body["result"], "fail", "future time: {}", r.text);
    let r = ok("m=chat&f=getChatGroups&code=demo&time=soon".into()).await;
    assert_eq!(r.body["result"], "fail", "malformed time: {}", r.text);
    let r = ok(format!("m=chat&f=getChatGroups&code=demo&time={}", i64::MAX)).await;
    assert_eq!(r.body["result"], "fail", "overflowing time: {}", r.text);

    // An app configured to require `time` refuses a URL without it.
    let strict = App {
        code: "strict".into(),
        key: "strict-key".into(),
        name: "strict".into(),
        require_time: true,
        per_minute: 600,
    };
    apps::put(&app.ctx.db, &strict).await.unwrap();
    let r = http.xuanxuan("GET", "m=chat&f=getChatGroups&code=strict", "strict-key", &[]).await;
    assert_eq!(r.body["result"], "fail", "time required: {}", r.text);
    let r = http.xuanxuan("GET", &format!("m=chat&f=getChatGroups&code=strict&time={now}"), "strict-key", &[]).await;
    assert_eq!(r.body["result"], "success", "{}", r.text);
}

#[tokio::test]
async fn calls_are_rate_limited_per_app_code() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let tight =
        App { code: "tight".into(), key: "tight-key".into(), name: "tight".into(), require_time: false, per_minute: 3 };
    apps::put(&app.ctx.db, &tight).await.unwrap();
    let mut results = vec![];
    for _ in 0..5 {
        let r = http.xuanxuan("GET", "m=chat&f=getChatGroups&code=tight", "tight-key", &[]).await;
        results.push(r.body["result"].as_str().unwrap_or_default().to_string());
    }
    // A window boundary may fall inside the burst: at least 3 and at most 4 (3 + a new window) pass.
    let passed = results.iter().filter(|r| *r == "success").count();
    assert!((3..=4).contains(&passed), "{results:?}");
    assert_eq!(results[..3], ["success", "success", "success"], "{results:?}");
    // Other apps are not affected, and bad signatures do not use up the app's quota.
    let r = http.xuanxuan("GET", "m=chat&f=getChatGroups&code=demo", "demo-key", &[]).await;
    assert_eq!(r.body["result"], "success", "{}", r.text);
    // The per-call cost: the app read plus one counter update.
    assert_eq!(r.ddb_calls(), 3, "app GetItem + counter UpdateItem + the groups Query");
}
