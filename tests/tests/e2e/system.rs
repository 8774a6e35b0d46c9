use e2e::*;
use serde_json::json;
use shared::auth::md5_hex;

async fn admin_token(http: &Http) -> String {
    let r = http.shiku("/user/login", &[("telephone", "admin"), ("password", &md5_hex("admin123"))]).await;
    r.shiku_ok()["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn shiku_time_and_config() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let before = shared::clock::Clock::now_ms(&shared::clock::SystemClock);
    let r = http.shiku_get("/getCurrentTime", &[]).await;
    let t = r.shiku_ok().as_i64().unwrap();
    assert!(t >= before - 1000 && t <= before + 60_000, "{t} vs {before}");
    assert!(r.body["currentTime"].as_i64().unwrap() >= t);
    let r = http.shiku_get("/config", &[]).await;
    assert_eq!(r.shiku_ok()["XMPPDomain"], "im.local");
}

#[tokio::test]
async fn unknown_routes_answer_in_each_dialect() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let r = http.shiku("/no/such/thing", &[]).await;
    assert_eq!(r.shiku_code(), 1010106);
    let r = http.get("/api/v1/no_such_thing", None).await;
    assert_eq!((r.status, r.body["error"].clone()), (404, json!("not_found")));
    let r = http.get("/sealtalk/nope", None).await;
    assert_eq!((r.status, r.body["code"].clone()), (404, json!(404)));
    let r = http.get("/api.php?m=chat&f=nope", None).await;
    assert_eq!(r.body["result"], "fail");
}

#[tokio::test]
async fn config_set_is_operator_only_and_takes_effect() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let r = http.shiku("/config/set", &[("config", r#"{"helpUrl":"x"}"#)]).await;
    assert_eq!(r.shiku_code(), 1030101, "no token");
    let user = register(&http, &phone(), "secret1", "u").await;
    let r = http.shiku("/config/set", &[("access_token", &user.token), ("config", r#"{"helpUrl":"x"}"#)]).await;
    assert_eq!(r.shiku_code(), 1030103, "not an operator");
    let admin = admin_token(&http).await;
    let r = http.shiku("/config/set", &[("access_token", &admin), ("config", "[1]")]).await;
    assert_eq!(r.shiku_code(), 1010101, "config must be an object");
    let r = http.shiku("/config/set", &[("access_token", &admin)]).await;
    assert_eq!(r.shiku_code(), 1010102);
    let r = http.shiku("/config/set", &[("access_token", &admin), ("config", r#"{"helpUrl":"https://help"}"#)]).await;
    assert_eq!(r.shiku_ok()["config"]["helpUrl"], "https://help");
    let r = http.shiku_get("/config", &[]).await;
    assert_eq!(r.shiku_ok()["helpUrl"], "https://help");
    assert_eq!(r.shiku_ok()["XMPPDomain"], "im.local", "merge keeps other fields");
    let r = http.shiku_get("/config/set", &[("access_token", &admin)]).await;
    // The default is the original SealTalk server's squirrel.json.
    assert_eq!(r.shiku_ok()["versions"]["desktop"]["version"], "1.0.2");
}

#[tokio::test]
async fn version_checks_follow_operator_data() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let r = http.get("/api/v1/ping", None).await;
    assert_eq!((r.status, r.body["status"].clone()), (200, json!("ok")));

    // The default is the original's squirrel.json (1.0.2).
    let r = http.get("/sealtalk/misc/latest_update?version=1.0.2", None).await;
    assert_eq!(r.status, 204, "not newer");
    let r = http.get("/sealtalk/misc/latest_update?version=1.0", None).await;
    assert_eq!(r.status, 400);
    let r = http.get("/sealtalk/misc/latest_update", None).await;
    assert_eq!(r.status, 400);
    let r = http.get("/api/v1/mobile/update_info?platform=ios&version=x", None).await;
    assert_eq!(r.status, 400);
    let r = http.get("/api/v1/mobile/update_info?platform=symbian", None).await;
    assert_eq!(r.status, 400);

    let admin = admin_token(&http).await;
    let versions = r#"{"desktop":{"version":"1.2.0","url":"https://dl/desktop","notes":"fix"},"iOS":{"version":"2.0.1","url":"https://dl/ios"}}"#;
    let r =
        http.shiku("/config/set", &[("access_token", &admin), ("versions", r#"{"desktop":{"version":"1.2"}}"#)]).await;
    assert_eq!(r.shiku_code(), 1010101, "bad version rejected");
    http.shiku("/config/set", &[("access_token", &admin), ("versions", versions)]).await.shiku_ok();

    let r = http.get("/sealtalk/misc/latest_update?version=1.0.0", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["version"], "1.2.0", "bare object, no envelope: {}", r.text);
    assert_eq!(r.body["url"], "https://dl/desktop");
    let r = http.get("/sealtalk/misc/latest_update?version=1.2.0", None).await;
    assert_eq!(r.status, 204);
    let r = http.get("/sealtalk/misc/client_version", None).await;
    assert_eq!(r.body["iOS"]["version"], "2.0.1");
    assert!(r.body.get("code").is_none());
    // mobile_version needs the login (not exempt in the original, index.coffee:33-45).
    let r = http.get("/sealtalk/misc/mobile_version", Some(&admin)).await;
    assert_eq!((r.body["code"].clone(), r.body["result"]["iOS"]["version"].clone()), (json!(200), json!("2.0.1")));
    let r = http.get("/api/v1/mobile/update_info?platform=ios&version=2.0.0", None).await;
    assert_eq!((r.body["version"].clone(), r.body["upgrade"].clone()), (json!("2.0.1"), json!(true)));
    let r = http.get("/api/v1/mobile/update_info?platform=ios&version=2.0.1", None).await;
    assert_eq!(r.body["upgrade"], false);
}
