//! Issue #11: SealTalk `/user/*` and `/misc/*` answers as the original server
//! (rongcloud/sealtalk-server `dev`, src/routes/user.coffee and misc.coffee) gives them.

use e2e::*;
use serde_json::{json, Value};
use shared::ids::Telephone;
use shared::store::codes;

fn now() -> i64 {
    shared::clock::Clock::now_secs(&shared::clock::SystemClock)
}

fn tel(ph: &str) -> Telephone {
    Telephone::parse(Some("86"), ph).unwrap()
}

async fn vtoken(app: &TestApp, ph: &str) -> String {
    codes::issue_vtoken(&app.ctx.db, &tel(ph), now()).await.unwrap()
}

async fn reg(http: &Http, nickname: &str, password: &str, token: &str) -> Resp {
    st(http, "/user/register", json!({"nickname": nickname, "password": password, "verification_token": token})).await
}

/// A person registered through SealTalk itself; answers (id, logged-in client).
async fn st_person(app: &TestApp, nickname: &str) -> (String, Http, String) {
    let http = Http::new(app);
    let ph = phone();
    let r = reg(&http, nickname, "secret1", &vtoken(app, &ph).await).await;
    assert_eq!(st_code(&r), 200, "{}", r.text);
    (r.body["result"]["id"].as_str().unwrap().to_string(), http, ph)
}

/// util.coffee:114-121 (js-xss, whiteList []): only `<` and `>` are escaped; user:188, 383.
#[tokio::test]
async fn nickname_escaping_and_length_as_js_xss() {
    let app = spawn_app().await;
    let (id, http, _) = st_person(&app, "Tom & \"Jerry\" <b>").await;
    let r = http.get(&format!("/sealtalk/user/{id}"), None).await;
    assert_eq!(r.body["result"]["nickname"], "Tom & \"Jerry\" &lt;b&gt;", "{}", r.text);
    let r = st(&http, "/user/set_nickname", json!({"nickname": "it's <i>me</i> & co"})).await;
    assert_eq!(st_code(&r), 200);
    let r = http.get(&format!("/sealtalk/user/{id}"), None).await;
    assert_eq!(r.body["result"]["nickname"], "it's &lt;i&gt;me&lt;/i&gt; & co");
    // Lengths count characters (validator.isLength): 11 CJK characters (33 bytes) pass.
    let cjk = "微信用户微信用户微信用";
    let r = reg(&http, cjk, "secret1", &vtoken(&app, &phone()).await).await;
    assert_eq!(st_code(&r), 200, "{}", r.text);
    let r = reg(&http, &"x".repeat(33), "secret1", &vtoken(&app, &phone()).await).await;
    assert_eq!(r.status, 400);
}

/// user:36-37, 71-72, 175-176, 246-247: region 86 numbers must be mobile numbers; '' → 400.
#[tokio::test]
async fn region_86_numbers_must_be_mobile() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    for (region, ph) in [("86", "20012341234"), ("86", "1391234567"), ("", "13912341234")] {
        let r = st(&http, "/user/send_code", json!({"region": region, "phone": ph})).await;
        assert_eq!(r.status, 400, "send_code {region} {ph}: {}", r.text);
        let r = st(&http, "/user/check_phone_available", json!({"region": region, "phone": ph})).await;
        assert_eq!(r.status, 400, "check_phone {region} {ph}");
        let r = st(&http, "/user/login", json!({"region": region, "phone": ph, "password": "secret1"})).await;
        assert_eq!(r.status, 400, "login {region} {ph}");
    }
    let r = st(&http, "/user/check_phone_available", json!({"region": "+86", "phone": "13912341234"})).await;
    assert_eq!(st_code(&r), 200, "{}", r.text);
}

/// user:193-200, 233-234, 323-328, 354-369: password, token and taken-phone answers.
#[tokio::test]
async fn register_reset_change_validation() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let ph = phone();
    // Malformed token → 400 (isUUID), unknown well-formed one → 404.
    let r = reg(&http, "Sealy", "secret1", "not-a-uuid").await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = reg(&http, "Sealy", "secret1", "75dd0f90-9b0d-11e5-803f-59b82644bc50").await;
    assert_eq!(r.status, 404);
    let r = st(&http, "/user/reset_password", json!({"password": "secret1", "verification_token": "x"})).await;
    assert_eq!(r.status, 400);
    // Passwords count characters: 7 CJK characters (21 bytes) are 7.
    let r = reg(&http, "Sealy", "密码密码密码密", &vtoken(&app, &ph).await).await;
    assert_eq!(st_code(&r), 200, "{}", r.text);
    let r = st(&http, "/user/login", json!({"region": "86", "phone": ph, "password": "密码密码密码密"})).await;
    assert_eq!(st_code(&r), 200, "{}", r.text);
    // The phone has an account: HTTP 400.
    let r = reg(&http, "Again", "secret1", &vtoken(&app, &ph).await).await;
    assert_eq!(r.status, 400, "{}", r.text);
    // Login does not check the password's shape: a wrong one is 1000.
    for pw in ["a b", "x", "123456789012345678901"] {
        let r = st(&http, "/user/login", json!({"region": "86", "phone": ph, "password": pw})).await;
        assert_eq!(st_code(&r), 1000, "login {pw}: {}", r.text);
    }
    let r = st(&http, "/user/login", json!({"region": "86", "phone": ph, "password": "密码密码密码密"})).await;
    assert_eq!(st_code(&r), 200);
    // change_password: the old password is only compared (1000), the new one is checked (400).
    let r = st(&http, "/user/change_password", json!({"oldPassword": "x", "newPassword": "secret2"})).await;
    assert_eq!(st_code(&r), 1000, "{}", r.text);
    let r =
        st(&http, "/user/change_password", json!({"oldPassword": "密码密码密码密", "newPassword": "a\tb\tc\td"})).await;
    assert_eq!(st_code(&r), 200, "only ASCII spaces are refused: {}", r.text);
}

/// user:126-127: a number that never asked for a code → 404.
#[tokio::test]
async fn verify_code_never_sent_is_404() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let r = st(&http, "/user/verify_code", json!({"region": "86", "phone": phone(), "code": "1234"})).await;
    assert_eq!(r.status, 404, "{}", r.text);
}

/// user:445-450: portraitUri must be an http(s) URL of 12-256 characters.
#[tokio::test]
async fn portrait_uri_needs_a_url_of_12_characters() {
    let app = spawn_app().await;
    let (_, http, _) = st_person(&app, "P").await;
    for uri in ["http://a.b/", "http://", "http:// x y"] {
        let r = st(&http, "/user/set_portrait_uri", json!({"portraitUri": uri})).await;
        assert_eq!(r.status, 400, "{uri}: {}", r.text);
    }
    let r = st(&http, "/user/set_portrait_uri", json!({"portraitUri": "http://a.b/cd"})).await;
    assert_eq!(st_code(&r), 200, "{}", r.text);
}

/// user:885-931: unknown or malformed ids.
#[tokio::test]
async fn user_lookups_unknown_and_malformed() {
    let app = spawn_app().await;
    let (id, http, _) = st_person(&app, "Me").await;
    let r = http.get("/sealtalk/user/abc", None).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = http.get("/sealtalk/user/99999999", None).await;
    assert_eq!(r.status, 404);
    let r = http.get(&format!("/sealtalk/user/batch?id={id}&id=x&id=99999999"), None).await;
    assert_eq!(st_code(&r), 200, "{}", r.text);
    let ids: Vec<Value> = r.body["result"].as_array().unwrap().iter().map(|u| u["id"].clone()).collect();
    assert_eq!(ids, vec![json!(id)]);
    let r = http.get("/sealtalk/user/batch", None).await;
    assert_eq!((st_code(&r), r.body["result"].clone()), (200, json!([])));
    // Exempt from the login in the original (which always fails): 404 without a session.
    let r = Http::new(&app).get("/sealtalk/user/get_sms_img_code", None).await;
    assert_eq!(r.status, 404, "{}", r.text);
}

/// user:741-882: nothing new → version null, group_members null; negative versions are integers.
#[tokio::test]
async fn sync_with_nothing_new() {
    let app = spawn_app().await;
    let (_, http, _) = st_person(&app, "Me").await;
    let r = http.get("/sealtalk/user/sync/-5", None).await;
    assert_eq!(st_code(&r), 200, "{}", r.text);
    let v = r.body["result"]["version"].as_i64().unwrap();
    let r = http.get(&format!("/sealtalk/user/sync/{v}"), None).await;
    let res = &r.body["result"];
    assert_eq!(res["version"], Value::Null, "{}", r.text);
    assert_eq!(res["group_members"], Value::Null);
    assert_eq!(
        (res["user"].clone(), res["friends"].clone(), res["groups"].clone()),
        (Value::Null, json!([]), json!([]))
    );
    let r = http.get("/sealtalk/user/sync/1.5", None).await;
    assert_eq!(r.status, 400);
}

/// misc:25-58 and the default squirrel.json / client_version.json; mobile_version needs the cookie.
#[tokio::test]
async fn misc_versions_defaults() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let r = http.get("/sealtalk/misc/latest_update?version=1.0.0", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["version"], "1.0.2");
    assert_eq!(r.body["url"], "http://downloads.rongcloud.cn/sealtalk/releases/mac/SealTalk_by_RongCloud_1.0.2.dmg");
    let r = http.get("/sealtalk/misc/latest_update?version=1.0.2", None).await;
    assert_eq!(r.status, 204);
    let r = http.get("/sealtalk/misc/client_version", None).await;
    assert_eq!(r.body["iOS"]["version"], "1.0.5", "{}", r.text);
    assert_eq!(r.body["iOS"]["build"], "201607181821");
    assert_eq!(r.body["Android"]["url"], "http://downloads.rongcloud.cn/SealTalk_by_RongCloud_Android_v1_0_5.apk");
    let r = http.get("/sealtalk/misc/mobile_version", None).await;
    assert_eq!(r.status, 403, "not exempt in the original: {}", r.text);
    let (_, http, _) = st_person(&app, "Me").await;
    let r = http.get("/sealtalk/misc/mobile_version", None).await;
    assert_eq!(st_code(&r), 200);
    assert_eq!(r.body["result"]["Android"]["version"], "1.0.5");
}

/// misc:61-91: the original's demo_square.json by default (unknown groups "Unknown"/''/0),
/// replaced by the operator (`/config/set` `demoSquare`), groups filled from the rooms.
#[tokio::test]
async fn misc_demo_square() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let r = http.get("/sealtalk/misc/demo_square", None).await;
    assert_eq!(st_code(&r), 200, "open route: {}", r.text);
    let list = r.body["result"].as_array().unwrap().clone();
    assert_eq!(list.len(), 7);
    assert_eq!(
        (list[0]["type"].clone(), list[0]["name"].clone(), list[0]["memberCount"].clone()),
        (json!("group"), json!("Unknown"), json!(0))
    );
    assert_eq!((list[3]["type"].clone(), list[3]["name"].clone()), (json!("chatroom"), json!("聊天室 I")));
    // The config item, then every group in one BatchGetItem (not one read per group).
    assert_eq!(r.ddb_calls(), 2, "calls");

    let p = people(&http, 2).await;
    let gid = rooms::room(&http, &p[0], &[&p[1]], &[]).await;
    let r =
        http.shiku("/user/login", &[("telephone", "admin"), ("password", &shared::auth::md5_hex("admin123"))]).await;
    let admin = r.shiku_ok()["access_token"].as_str().unwrap().to_string();
    let square = json!([{"type": "group", "id": gid}, {"type": "chatroom", "id": "9", "name": "Lobby"}]).to_string();
    let r = http.shiku("/config/set", &[("access_token", &p[0].token), ("demoSquare", &square)]).await;
    assert_eq!(r.shiku_code(), 1030103, "operators only");
    let r = http.shiku("/config/set", &[("access_token", &admin), ("demoSquare", "[{\"type\":\"x\"}]")]).await;
    assert_eq!(r.shiku_code(), 1010101);
    http.shiku("/config/set", &[("access_token", &admin), ("demoSquare", &square)]).await.shiku_ok();
    let r = http.get("/sealtalk/misc/demo_square", None).await;
    let list = r.body["result"].as_array().unwrap().clone();
    assert_eq!(
        (list[0]["id"].clone(), list[0]["name"].clone(), list[0]["memberCount"].clone()),
        (json!(gid), json!("Room"), json!(2))
    );
    assert_eq!(list[1]["name"], "Lobby");
}

/// user:539-566: remove_from_blacklist updates with no existence check → 200 for an unknown
/// user or oneself; misc:143-144: a missing conversationType → 403 "Unsupported conversation type."
#[tokio::test]
async fn unblock_no_op_and_send_message_without_type() {
    let app = spawn_app().await;
    let (id, http, _) = st_person(&app, "Me").await;
    for friend in ["99999999", id.as_str()] {
        let r = st(&http, "/user/remove_from_blacklist", json!({"friendId": friend})).await;
        assert_eq!(st_code(&r), 200, "{friend}: {}", r.text);
    }
    let r = st(&http, "/user/remove_from_blacklist", json!({"friendId": "x"})).await;
    assert_eq!(r.status, 400, "undecodable id: the original's 'Empty friendId.'");
    let body = json!({"targetId": id, "objectName": "RC:TxtMsg", "content": {"content": "hi"}});
    let r = st(&http, "/misc/send_message", body).await;
    assert_eq!(r.status, 403, "{}", r.text);
}
