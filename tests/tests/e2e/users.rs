//! Profiles, settings, search, nearby, presence, favourites, reports and keys
//! through real HTTP/WebSocket in the Shiku, Minxing and SealTalk dialects.

use e2e::*;
use serde_json::{json, Value};
use shared::store::{Db, ItemExt};
use shared::UserId;
use std::time::Duration;

#[tokio::test]
async fn shiku_profile_get_update_and_telephone_privacy() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "Alice").await;
    let b = register(&http, &phone(), "secret1", "Bob").await;
    let (au, bu) = (a.uid.to_string(), b.uid.to_string());

    let r = http.shiku("/user/get", &sh(&a.token, &[])).await;
    let d = r.shiku_ok();
    assert_eq!(
        (d["userId"].as_i64(), d["nickname"].clone(), d["telephone"].clone()),
        (Some(a.uid), json!("Alice"), json!(a.phone))
    );
    assert_eq!(
        (d["settings"]["friendsVerify"].clone(), d["status"].clone(), d["fansCount"].clone()),
        (json!(0), json!(1), json!(0))
    );
    assert!(d["createTime"].as_i64().unwrap() > 1_600_000_000);
    // own profile: + the GSI1 `UORG#` Query of the seed's `company`/`companyId` (issue 13)
    assert!(r.ddb_calls() <= 3, "token + one BatchGetItem + one Query, got {}", r.ddb_calls());

    let r = http
        .shiku(
            "/user/update",
            &sh(
                &a.token,
                &[
                    ("nickname", "Alice Liddell"),
                    ("description", "down the hole"),
                    ("sex", "0"),
                    ("birthday", "631152000"),
                    ("cityId", "440300"),
                    ("latitude", "22.61"),
                    ("longitude", "114.06"),
                    ("userId", &bu),
                ],
            ),
        )
        .await;
    let d = r.shiku_ok();
    assert_eq!(
        (d["userId"].as_i64(), d["nickname"].clone(), d["description"].clone()),
        (Some(a.uid), json!("Alice Liddell"), json!("down the hole"))
    );
    assert_eq!(
        (d["cityId"].clone(), d["birthday"].clone(), d["loc"]["lat"].clone()),
        (json!(440300), json!(631152000), json!(22.61))
    );
    assert!(d["age"].as_i64().unwrap() >= 30);
    // The userId parameter never redirects an update to someone else.
    let r = http.shiku("/user/get", &sh(&a.token, &[("userId", &bu)])).await;
    let d = r.shiku_ok();
    assert_eq!(d["nickname"], "Bob");
    assert!(d.get("telephone").is_none(), "another user's telephone is hidden: {d}");
    // Partial update keeps the other fields.
    let r = http.shiku("/user/update", &sh(&a.token, &[("sex", "1")])).await;
    assert_eq!((r.shiku_ok()["sex"].clone(), r.shiku_ok()["nickname"].clone()), (json!(1), json!("Alice Liddell")));

    // showTelephone = 1 shares the number with friends only (shared::privacy), never strangers.
    http.shiku("/user/settings/update", &sh(&b.token, &[("showTelephone", "1")])).await.shiku_ok();
    let r = http.shiku("/user/get", &sh(&a.token, &[("userId", &bu)])).await;
    assert!(r.shiku_ok().get("telephone").is_none(), "not to a stranger: {}", r.text);
    http.shiku("/friends/attention/add", &sh(&a.token, &[("toUserId", &bu)])).await.shiku_ok();
    let r = http.shiku("/user/get", &sh(&a.token, &[("userId", &bu)])).await;
    assert_eq!(r.shiku_ok()["telephone"], b.phone.as_str(), "shown to a friend once B allows it");
    let r = http.shiku("/user/get", &sh(&b.token, &[("userId", &au)])).await;
    assert_eq!(r.shiku_ok()["nickname"], "Alice Liddell");

    for (bad, code) in [
        (vec![("sex", "2")], 1010101),
        (vec![("latitude", "91"), ("longitude", "10")], 1010101),
        (vec![("latitude", "10")], 1010102),
        (vec![("longitude", "abc"), ("latitude", "1")], 1010101),
        (vec![("birthday", "99999999999")], 1010101),
        (vec![("cityId", "x")], 1010101),
        (vec![], 1010102),
    ] {
        let r = http.shiku("/user/update", &sh(&a.token, &bad)).await;
        assert_eq!(r.shiku_code(), code, "{bad:?}: {}", r.text);
    }
    let long = "n".repeat(65);
    let r = http.shiku("/user/update", &sh(&a.token, &[("nickname", &long)])).await;
    assert_eq!(r.shiku_code(), 1010101);
    let r = http.shiku("/user/get", &sh(&a.token, &[("userId", "99999999")])).await;
    assert_eq!(r.shiku_code(), 1010104);
    let r = http.shiku("/user/get", &sh(&a.token, &[("userId", "abc")])).await;
    assert_eq!(r.shiku_code(), 1010101);
    let r = http.shiku("/user/get", &[]).await;
    assert_eq!(r.shiku_code(), 1030101);
    // Nothing was half-written by the rejected updates.
    let r = http.shiku("/user/get", &sh(&a.token, &[])).await;
    assert_eq!((r.shiku_ok()["sex"].clone(), r.shiku_ok()["loc"]["lng"].clone()), (json!(1), json!(114.06)));
}

#[tokio::test]
async fn search_by_nickname_account_and_phone_respect_privacy() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "Zed Alpha").await;
    let b = register(&http, &phone(), "secret1", "zed beta").await;
    let c = register(&http, &phone(), "secret1", "Other").await;

    let r = http.shiku("/user/query", &sh(&c.token, &[("nickname", "ZED")])).await;
    let ids: Vec<i64> = r.shiku_ok().as_array().unwrap().iter().map(|u| u["userId"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![b.uid, a.uid], "prefix match, case-insensitive, newest first");
    assert!(r.ddb_calls() <= 2, "token + one Query, got {}", r.ddb_calls());
    let r = http.shiku("/user/query", &sh(&c.token, &[("nickname", "zed"), ("pageSize", "1")])).await;
    let first = r.shiku_ok()[0]["userId"].as_i64().unwrap();
    assert_eq!(first, b.uid);
    let cur = first.to_string();
    let r = http.shiku("/user/query", &sh(&c.token, &[("nickname", "zed"), ("pageSize", "1"), ("userId", &cur)])).await;
    assert_eq!(r.shiku_ok()[0]["userId"].as_i64(), Some(a.uid));
    // Without a nickname: everyone, newest first, paged by the userId cursor.
    let r = http.shiku("/user/query", &sh(&c.token, &[("pageSize", "2")])).await;
    let ids: Vec<i64> = r.shiku_ok().as_array().unwrap().iter().map(|u| u["userId"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![c.uid, b.uid]);
    let r = http.shiku("/user/query", &sh(&c.token, &[("sex", "3")])).await;
    assert_eq!(r.shiku_code(), 1010101);

    // A rename moves the account in the index.
    http.shiku("/user/update", &sh(&c.token, &[("nickname", "Zebra")])).await.shiku_ok();
    let r = http.shiku("/user/query", &sh(&a.token, &[("nickname", "zeb")])).await;
    assert_eq!(r.shiku_ok()[0]["userId"].as_i64(), Some(c.uid));
    let r = http.shiku("/user/query", &sh(&a.token, &[("nickname", "oth")])).await;
    assert_eq!(r.shiku_ok().as_array().unwrap().len(), 0, "old nickname no longer found");
    // nameSearch=0 hides from nickname search.
    http.shiku("/user/settings/update", &sh(&b.token, &[("nameSearch", "0")])).await.shiku_ok();
    let r = http.shiku("/user/query", &sh(&c.token, &[("nickname", "zed")])).await;
    let ids: Vec<i64> = r.shiku_ok().as_array().unwrap().iter().map(|u| u["userId"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![a.uid]);

    // Exact account: telephone.
    let r = http.shiku("/user/getByAccount", &sh(&a.token, &[("account", &b.phone)])).await;
    assert_eq!(r.shiku_ok()["userId"].as_i64(), Some(b.uid));
    let r = http.shiku("/user/getByAccount", &sh(&a.token, &[("account", "13000000009")])).await;
    assert_eq!(r.shiku_code(), 1040101);
    let r = http.shiku("/user/getByAccount", &sh(&a.token, &[])).await;
    assert_eq!(r.shiku_code(), 1010102);
    let st_a = sealtalk_login(&app, &a).await;
    let r = st_a.get(&format!("/sealtalk/user/find/86/{}", b.phone), None).await;
    assert_eq!((r.status, r.body["result"]["id"].clone()), (200, json!(b.uid.to_string())), "{}", r.text);

    // phoneSearch=0: not found by telephone in any dialect (but still by themselves).
    http.shiku("/user/settings/update", &sh(&b.token, &[("phoneSearch", "0")])).await.shiku_ok();
    let r = http.shiku("/user/getByAccount", &sh(&a.token, &[("account", &b.phone)])).await;
    assert_eq!(r.shiku_code(), 1040101);
    let r = st_a.get(&format!("/sealtalk/user/find/86/{}", b.phone), None).await;
    assert_eq!(r.status, 404);
    let r = http.shiku("/user/getByAccount", &sh(&b.token, &[("account", &b.phone)])).await;
    assert_eq!(r.shiku_ok()["userId"].as_i64(), Some(b.uid));
    let r = st_a.get("/sealtalk/user/find/86/12ab", None).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn settings_round_trip_and_validation() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let r = http.shiku("/user/settings", &sh(&a.token, &[])).await;
    let d = r.shiku_ok();
    assert_eq!(
        (d["allowAtt"].clone(), d["allowGreet"].clone(), d["friendsVerify"].clone(), d["phoneSearch"].clone()),
        (json!(1), json!(1), json!(0), json!(1))
    );
    assert_eq!(d["chatRecordTimeOut"], -1.0);
    let r = http
        .shiku(
            "/user/settings/update",
            &sh(
                &a.token,
                &[("allowAtt", "0"), ("friendsVerify", "1"), ("chatRecordTimeOut", "0.04"), ("offlineNoPushMsg", "1")],
            ),
        )
        .await;
    r.shiku_ok();
    let d = http.shiku("/user/settings", &sh(&a.token, &[])).await.shiku_ok().clone();
    assert_eq!(
        (
            d["allowAtt"].clone(),
            d["friendsVerify"].clone(),
            d["chatRecordTimeOut"].clone(),
            d["offlineNoPushMsg"].clone()
        ),
        (json!(0), json!(1), json!(0.04), json!(1))
    );
    assert_eq!(d["allowGreet"], 1, "untouched flags keep their value");
    // Another user reads them (clients check allowAtt / friendsVerify before adding).
    let au = a.uid.to_string();
    let r = http.shiku("/user/settings", &sh(&b.token, &[("userId", &au)])).await;
    assert_eq!(r.shiku_ok()["friendsVerify"], 1);
    // Stored as the number contacts reads.
    let it = app.ctx.db.get(format!("USER#{}", a.uid), "SETTINGS").await.unwrap().unwrap();
    assert_eq!(it.i64("friendsVerify"), Some(1));

    for bad in [vec![("allowAtt", "2")], vec![("chatSyncTimeLen", "-5")], vec![("friendsVerify", "yes")], vec![]] {
        let r = http.shiku("/user/settings/update", &sh(&a.token, &bad)).await;
        assert!([1010101, 1010102].contains(&r.shiku_code()), "{bad:?}: {}", r.text);
    }
    let r = http.shiku("/user/settings", &sh(&b.token, &[("userId", "99999999")])).await;
    assert_eq!(r.shiku_code(), 1010104);
}

#[tokio::test]
async fn cross_dialect_profile_minxing_sealtalk_shiku() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "Alice").await;
    let b = register(&http, &phone(), "secret1", "Bob").await;
    let (mx, _) = minxing_login(&http, &a.phone, "secret1").await;

    let r = http.get(&format!("/api/v1/users/{}", a.uid), Some(&mx)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["id"].as_i64(), r.body["name"].clone(), r.body["cellvoice1"].clone()),
        (Some(a.uid), json!("Alice"), json!(a.phone))
    );
    let r = http.get(&format!("/api/v1/users/{}", b.uid), Some(&mx)).await;
    assert_eq!((r.body["name"].clone(), r.body["cellvoice1"].clone()), (json!("Bob"), Value::Null), "{}", r.text);
    let r = http.get("/api/v1/users/99999999", Some(&mx)).await;
    assert_eq!(r.status, 404);
    let r = http.get("/api/v1/users/abc", Some(&mx)).await;
    assert_eq!(r.status, 400);
    let r = http.get(&format!("/api/v1/users/{}", a.uid), None).await;
    assert_eq!(r.status, 401);

    let r = http
        .json(
            "POST",
            "/api/v1/users",
            Some(&mx),
            json!({"name": "Alice M", "signature": "from minxing", "gender": "female", "birthday": "1990-05-01"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["name"].clone(), r.body["gender"].clone(), r.body["birthday"].clone()),
        (json!("Alice M"), json!("female"), json!(641_520_000_000i64))
    );
    let r = http.json("POST", "/api/v1/users", Some(&mx), json!({"gender": "robot"})).await;
    assert_eq!(r.status, 400);
    let r = http.json("POST", "/api/v1/users", Some(&mx), json!({"name": "x".repeat(65)})).await;
    assert_eq!(r.status, 400);
    let r = http.json("POST", "/api/v1/users", Some(&mx), json!({})).await;
    assert_eq!(r.status, 400);

    let d = http.shiku("/user/get", &sh(&a.token, &[])).await.shiku_ok().clone();
    assert_eq!(
        (d["nickname"].clone(), d["description"].clone(), d["sex"].clone()),
        (json!("Alice M"), json!("from minxing"), json!(0))
    );
    let st = sealtalk_login(&app, &a).await;
    let r = st.get(&format!("/sealtalk/user/{}", a.uid), None).await;
    assert_eq!(r.body["result"]["nickname"], "Alice M", "{}", r.text);
    assert_eq!(r.body["result"]["id"], a.uid.to_string());

    // SealTalk edits: HTML-escaped, 1-32 characters.
    let r = st.json("POST", "/sealtalk/user/set_nickname", None, json!({"nickname": "<b>Al</b>"})).await;
    assert_eq!(r.body["code"], 200, "{}", r.text);
    let d = http.shiku("/user/get", &sh(&a.token, &[])).await.shiku_ok().clone();
    assert_eq!(d["nickname"], "&lt;b&gt;Al&lt;/b&gt;");
    let r = st.json("POST", "/sealtalk/user/set_nickname", None, json!({"nickname": "x".repeat(33)})).await;
    assert_eq!((r.status, r.body["code"].clone()), (400, json!(400)));
    let r = st.json("POST", "/sealtalk/user/set_nickname", None, json!({"nickname": ""})).await;
    assert_eq!(r.status, 400);
    let r = st
        .json("POST", "/sealtalk/user/set_portrait_uri", None, json!({"portraitUri": "http://img.example/a.jpg"}))
        .await;
    assert_eq!(r.body["code"], 200);
    let r = st.get(&format!("/sealtalk/user/{}", a.uid), None).await;
    assert_eq!(r.body["result"]["portraitUri"], "http://img.example/a.jpg");
    let r = http.get(&format!("/api/v1/users/{}", a.uid), Some(&mx)).await;
    assert_eq!(r.body["avatar_url"], "http://img.example/a.jpg");
    for bad in ["javascript:alert(1)", "http://x/<script>", "avatars/1/x"] {
        let r = st.json("POST", "/sealtalk/user/set_portrait_uri", None, json!({"portraitUri": bad})).await;
        assert_eq!(r.status, 400, "{bad}");
    }

    let r = st.get(&format!("/sealtalk/user/batch?id={}&id={}&id=99999999", a.uid, b.uid), None).await;
    let ids: Vec<Value> = r.body["result"].as_array().unwrap().iter().map(|u| u["id"].clone()).collect();
    assert_eq!(ids, vec![json!(a.uid.to_string()), json!(b.uid.to_string())]);
    // Malformed ids are left out, as the original (user.coffee:885-903).
    let r = st.get("/sealtalk/user/batch?id=x", None).await;
    assert_eq!((r.status, r.body["result"].clone()), (200, json!([])));
    let r = st.get("/sealtalk/user/99999999", None).await;
    assert_eq!(r.status, 404);
    let r = st.get("/sealtalk/user/get_token", None).await;
    assert_eq!(r.body["result"]["userId"], a.uid.to_string());
    let tok = r.body["result"]["token"].as_str().unwrap().to_string();
    Ws::connect(&app, &tok).await.expect("IM token works on the WebSocket").close().await;
    let r = Http::new(&app).get(&format!("/sealtalk/user/{}", a.uid), None).await;
    assert_eq!(r.status, 403, "not logged in");

    // get_image_token: presigned PUT, then the key becomes the portrait.
    let r = st.get("/sealtalk/user/get_image_token", None).await;
    let res = r.body["result"].clone();
    assert_eq!(res["target"], "s3", "{}", r.text);
    let put = reqwest::Client::new()
        .put(res["token"].as_str().unwrap())
        .header("content-type", "image/jpeg")
        .body(b"PNGDATA".to_vec())
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.status());
    let key = res["key"].as_str().unwrap();
    let r = st.json("POST", "/sealtalk/user/set_portrait_uri", None, json!({"portraitUri": key})).await;
    assert_eq!(r.body["code"], 200, "{}", r.text);
    let r = st.get(&format!("/sealtalk/user/{}", a.uid), None).await;
    let url = r.body["result"]["portraitUri"].as_str().unwrap().to_string();
    let got = reqwest::get(&url).await.unwrap();
    assert_eq!(got.bytes().await.unwrap().to_vec(), b"PNGDATA".to_vec());
    // Someone else's key is refused.
    let other = format!("avatars/{}/x", b.uid);
    let r = st.json("POST", "/sealtalk/user/set_portrait_uri", None, json!({"portraitUri": other})).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn minxing_avatar_upload_and_networks() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "Alice").await;
    let (mx, _) = minxing_login(&http, &a.phone, "secret1").await;
    let img: Vec<u8> = (0..5000u32).map(|i| (i % 256) as u8).collect();
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(img.clone()).file_name("me.png").mime_str("image/png").unwrap());
    let r = http
        .send(http.client.post(format!("{}/api/v1/photos?auto_save=true", http.base)).bearer_auth(&mx).multipart(form))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let d = http.shiku("/user/get", &sh(&a.token, &[])).await.shiku_ok().clone();
    let url = d["headImg"].as_str().unwrap().to_string();
    assert!(url.starts_with("http"), "{url}");
    let got = reqwest::get(&url).await.unwrap();
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.bytes().await.unwrap().to_vec(), img);
    let st = sealtalk_login(&app, &a).await;
    let r = st.get(&format!("/sealtalk/user/{}", a.uid), None).await;
    assert!(r.body["result"]["portraitUri"].as_str().unwrap().contains(&format!("avatars/{}/", a.uid)));
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"text".to_vec()).file_name("a.txt").mime_str("text/plain").unwrap(),
    );
    let r = http
        .send(http.client.post(format!("{}/api/v1/photos?auto_save=true", http.base)).bearer_auth(&mx).multipart(form))
        .await;
    assert_eq!(r.status, 400, "not an image");

    let r = http.get("/api/v1/users/current/networks", Some(&mx)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.body[0]["id"].clone(), r.body[0]["name"].clone()), (json!(1), json!("default")));
    let r = http.json("POST", "/api/v1/networks/1/members", Some(&mx), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = http.json("POST", "/api/v1/networks/7/members", Some(&mx), json!({})).await;
    assert_eq!(r.status, 404);
    let r = http.get("/api/v1/users/current", Some(&mx)).await;
    assert_eq!(r.body["id"].as_i64(), Some(a.uid));
}

#[tokio::test]
async fn new_accounts_are_in_the_nickname_index() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "Índigo").await;
    let it = app.ctx.db.get(format!("USER#{}", a.uid), "PROFILE").await.unwrap().unwrap();
    assert_eq!(it.str("gsi2pk"), Some("NICK#í"));
    let db: &Db = &app.ctx.db;
    let found = shared::store::profiles::search_nickname(db, "ÍND").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].i64("uid"), Some(UserId(a.uid).0));
}

#[tokio::test]
async fn renames_reach_the_relations_of_followers() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "Alice").await;
    let b = register(&http, &phone(), "secret1", "Bob").await;
    let au = a.uid.to_string();
    http.shiku("/friends/add", &sh(&b.token, &[("toUserId", &au)])).await.shiku_ok();
    let st = sealtalk_login(&app, &a).await;
    let r = st.json("POST", "/sealtalk/user/set_nickname", None, json!({"nickname": "Alice S"})).await;
    assert_eq!(r.body["code"], 200);
    let r = http.shiku("/friends/attention/list", &sh(&b.token, &[])).await;
    let list = r.shiku_ok().as_array().unwrap().clone();
    let row = list.iter().find(|x| x["toUserId"].as_i64() == Some(a.uid)).expect("B follows A");
    assert_eq!(row["toNickname"], "Alice S", "{}", r.text);
}

#[tokio::test]
async fn sealtalk_sync_returns_changes_since_version() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "Ann").await;
    let b = register(&http, &phone(), "secret1", "Ben").await;
    let c = register(&http, &phone(), "secret1", "Cid").await;
    http.shiku("/friends/add", &[("access_token", &a.token), ("toUserId", &b.uid.to_string())]).await.shiku_ok();
    let r =
        http.json("POST", "/api/v1/conversations2", Some(&a.token), json!({"user_ids": [b.uid], "name": "g"})).await;
    let gid = r.body["id"].as_str().unwrap().to_string();
    let st = sealtalk_login(&app, &a).await;
    let r = st.json("POST", "/sealtalk/user/add_to_blacklist", None, json!({"friendId": c.uid.to_string()})).await;
    assert_eq!(r.body["code"], 200, "{}", r.text);

    let r = st.get("/sealtalk/user/sync/0", None).await;
    assert_eq!(r.body["code"], 200, "{}", r.text);
    let res = &r.body["result"];
    assert_eq!(res["user"]["id"], a.uid.to_string());
    let friends = res["friends"].as_array().unwrap();
    let (b_id, c_id) = (b.uid.to_string(), c.uid.to_string());
    assert!(friends.iter().any(|f| f["friendId"].as_str() == Some(b_id.as_str()) && f["status"] == 20), "{res}");
    assert!(res["blacklist"].as_array().unwrap().iter().any(|x| x["friendId"].as_str() == Some(c_id.as_str())));
    assert_eq!(res["groups"][0]["groupId"], gid.as_str());
    let members: Vec<&Value> = res["group_members"].as_array().unwrap().iter().collect();
    assert_eq!(members.len(), 2);
    let version = res["version"].as_i64().unwrap();
    assert!(version > 0);

    let r = st.get(&format!("/sealtalk/user/sync/{version}"), None).await;
    let res = &r.body["result"];
    assert!(res["user"].is_null() && res["friends"].as_array().unwrap().is_empty(), "nothing new: {res}");
    assert!(res["groups"].as_array().unwrap().is_empty() && res["blacklist"].as_array().unwrap().is_empty());
    // As the original (user.coffee:871-881): version and group_members are null.
    assert!(res["version"].is_null() && res["group_members"].is_null(), "{res}");

    let r = st.get("/sealtalk/user/sync/yesterday", None).await;
    assert_eq!(r.status, 400);
    let r = http.get("/sealtalk/user/sync/0", None).await;
    assert_eq!(r.status, 403, "no session cookie");
}

#[tokio::test]
async fn profile_changes_reach_followers_live() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "Old").await;
    let b = register(&http, &phone(), "secret1", "Fan").await;
    let c = register(&http, &phone(), "secret1", "Stranger").await;
    http.shiku("/friends/attention/add", &[("access_token", &b.token), ("toUserId", &a.uid.to_string())])
        .await
        .shiku_ok();
    let mut wb = Ws::connect(&app, &b.token).await.unwrap();
    let mut wc = Ws::connect(&app, &c.token).await.unwrap();
    let st = sealtalk_login(&app, &a).await;
    let r = st.json("POST", "/sealtalk/user/set_nickname", None, json!({"nickname": "New"})).await;
    assert_eq!(r.body["code"], 200, "{}", r.text);
    let f = wb.next_event("friend", Duration::from_secs(10)).await.expect("follower is told");
    assert_eq!(
        (f["type"].clone(), f["from"].as_i64(), f["nickname"].clone()),
        (json!("profile"), Some(a.uid), json!("New"))
    );
    assert!(wc.next_event("friend", Duration::from_millis(800)).await.is_none(), "strangers are not told");
    wb.close().await;
    wc.close().await;
}
