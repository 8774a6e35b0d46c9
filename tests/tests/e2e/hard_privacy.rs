//! Issue 9 item 9 (privacy): one rule for another user's telephone in every dialect
//! (`shared::privacy`), coarse locations for other users, no phone enumeration by id, and a
//! per-caller limit on phone → account lookups.

use e2e::*;
use serde_json::{json, Value};

/// `shared::store::lookups::PER_HOUR`.
const LOOKUPS_PER_HOUR: usize = 20;

/// Every route that renders user `t` to `viewer`, with the answer's text (a Shiku token works
/// as the Minxing bearer and the SealTalk session). `gid` is a room both are in.
async fn renders_of(http: &Http, viewer: &Person, t: &Person, t_nick: &str, gid: &str) -> Vec<(String, Resp)> {
    let (tok, tu) = (viewer.token.as_str(), t.uid.to_string());
    let mut out = vec![];
    let shiku: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/user/get", vec![("userId", tu.as_str())]),
        ("/user/getByAccount", vec![("account", t.phone.as_str()), ("areaCode", "86")]),
        ("/user/query", vec![("nickname", t_nick)]),
        ("/nearby/user", vec![("latitude", "22.61"), ("longitude", "114.06")]),
        ("/nearby/newUser", vec![("pageSize", "50")]),
    ];
    for (path, extra) in shiku {
        let r = http.shiku(path, &sh(tok, &extra)).await;
        assert_eq!(r.body["resultCode"], 1, "{path}: {}", r.text);
        assert!(r.text.contains(&format!("\"userId\":{}", t.uid)), "{path} renders T: {}", r.text);
        out.push((format!("shiku {path}"), r));
    }
    let bearer = [
        format!("/api/v1/users/{tu}"),
        format!("/api/v1/groups/{gid}/members"),
        format!("/api/v1/groups/{gid}/members/{tu}"),
        "/sealtalk/friendship/all".to_string(),
        format!("/sealtalk/friendship/{tu}/profile"),
        format!("/sealtalk/user/{tu}"),
        format!("/sealtalk/user/batch?id={tu}"),
        format!("/sealtalk/user/find/86/{}", t.phone),
        format!("/sealtalk/group/{gid}/members"),
    ];
    for path in bearer {
        let r = http.get(&path, Some(tok)).await;
        out.push((path, r));
    }
    out
}

/// Register, friends (Shiku follow; no verification = friends at once), one room for all.
async fn cast(http: &Http) -> (Person, Person, Person, String) {
    let t = register(http, &phone(), "secret1", "Tprivate").await;
    let friend = register(http, &phone(), "secret1", "Vfriend").await;
    let member = register(http, &phone(), "secret1", "Cmember").await;
    let tu = t.uid.to_string();
    let r = http.shiku("/friends/attention/add", &sh(&friend.token, &[("toUserId", &tu)])).await;
    assert_eq!(r.shiku_ok()["type"], 2, "friends now: {}", r.text);
    let r = http
        .json(
            "POST",
            "/sealtalk/group/create",
            Some(&t.token),
            json!({"name": "privacy", "memberIds": [tu, friend.uid.to_string(), member.uid.to_string()]}),
        )
        .await;
    assert_eq!(r.body["code"], 200, "{}", r.text);
    let gid = r.body["result"]["id"].as_str().unwrap().to_string();
    http.shiku("/user/update", &sh(&t.token, &[("latitude", "22.613456"), ("longitude", "114.067891")]))
        .await
        .shiku_ok();
    (t, friend, member, gid)
}

#[tokio::test]
async fn hidden_telephone_is_hidden_in_every_route() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let (t, friend, member, gid) = cast(&http).await;
    let r = http.shiku("/user/settings/update", &sh(&t.token, &[("showTelephone", "0")])).await;
    r.shiku_ok();
    for viewer in [&friend, &member] {
        for (route, r) in renders_of(&http, viewer, &t, "Tprivate", &gid).await {
            assert!(r.status < 500, "{route}: {} {}", r.status, r.text);
            assert!(!r.text.contains(&t.phone), "{route} shows the hidden phone to {}: {}", viewer.uid, r.text);
        }
    }
    // T still sees their own, in every dialect.
    let r = http.shiku("/user/get", &sh(&t.token, &[])).await;
    assert_eq!(r.shiku_ok()["telephone"], t.phone.as_str());
    let r = http.get("/api/v1/users/current", Some(&t.token)).await;
    assert_eq!(r.body["cellvoice1"], t.phone.as_str(), "{}", r.text);
    let r = http.get(&format!("/api/v1/groups/{gid}/members/current"), Some(&t.token)).await;
    assert_eq!(r.body["cellvoice1"], t.phone.as_str(), "{}", r.text);
}

#[tokio::test]
async fn shared_telephone_reaches_friends_only() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let (t, friend, member, gid) = cast(&http).await;
    // Default (showTelephone 1 = friends see it): the friend sees it on T's profile in every
    // dialect, the co-member who is not a friend nowhere.
    let r = http.shiku("/user/settings", &sh(&t.token, &[])).await;
    assert_eq!(r.shiku_ok()["showTelephone"], 1);
    let tu = t.uid.to_string();
    let r = http.shiku("/user/get", &sh(&friend.token, &[("userId", &tu)])).await;
    assert_eq!(r.shiku_ok()["telephone"], t.phone.as_str(), "{}", r.text);
    let r = http.get(&format!("/api/v1/users/{tu}"), Some(&friend.token)).await;
    assert_eq!(r.body["cellvoice1"], t.phone.as_str(), "{}", r.text);
    assert!(r.ddb_calls() <= 2, "token + one BatchGetItem, got {}", r.ddb_calls());
    let r = http.get(&format!("/sealtalk/friendship/{tu}/profile"), Some(&friend.token)).await;
    assert_eq!(r.body["result"]["user"]["phone"], t.phone.as_str(), "{}", r.text);
    assert!(r.ddb_calls() <= 2, "session + one BatchGetItem, got {}", r.ddb_calls());
    let r = http.get("/sealtalk/friendship/all", Some(&friend.token)).await;
    assert_eq!(r.body["result"][0]["user"]["phone"], t.phone.as_str(), "{}", r.text);
    assert!(r.ddb_calls() <= 4, "token + 2 Queries + one BatchGetItem, got {}", r.ddb_calls());
    for (route, r) in renders_of(&http, &member, &t, "Tprivate", &gid).await {
        assert!(r.status < 500, "{route}: {} {}", r.status, r.text);
        assert!(!r.text.contains(&t.phone), "{route} shows T's phone to a non-friend: {}", r.text);
    }
    // T blocks the friend: the friendship stays on the friend's side, the phone does not.
    let r = http.shiku("/friends/blacklist/add", &sh(&t.token, &[("toUserId", &friend.uid.to_string())])).await;
    r.shiku_ok();
    for (route, r) in renders_of(&http, &friend, &t, "Tprivate", &gid).await {
        assert!(!r.text.contains(&t.phone), "{route} shows T's phone to someone T blocked: {}", r.text);
    }
}

#[tokio::test]
async fn other_users_locations_are_coarse() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "Located").await;
    let b = register(&http, &phone(), "secret1", "Looking").await;
    http.shiku("/user/update", &sh(&a.token, &[("latitude", "22.613456"), ("longitude", "114.067891")]))
        .await
        .shiku_ok();
    let coarse = |v: &Value| {
        let x = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
        assert!(((x * 100.0).round() / 100.0 - x).abs() < 1e-9, "more precise than 0.01°: {x}");
    };
    let r = http.shiku("/nearby/user", &sh(&b.token, &[("latitude", "22.60"), ("longitude", "114.05")])).await;
    let list = r.shiku_ok().as_array().unwrap().clone();
    assert_eq!(list.len(), 1, "{}", r.text);
    let (loc, dist) = (&list[0]["loc"], list[0]["distance"].as_i64().unwrap());
    coarse(&loc["lat"]);
    coarse(&loc["lng"]);
    assert_eq!((loc["lat"].as_f64(), loc["lng"].as_f64()), (Some(22.61), Some(114.07)), "{loc}");
    // The distance is to the coarse point, so repeated queries from other points reveal nothing more.
    assert!((2325..2345).contains(&dist), "to (22.61, 114.07), not to the exact point (2369 m): {dist}");
    assert!(!r.text.contains("22.613456") && !r.text.contains("114.067891"), "{}", r.text);
    for (path, extra) in [
        ("/user/get", vec![("userId", a.uid.to_string())]),
        ("/user/query", vec![("nickname", "Located".to_string())]),
        ("/nearby/newUser", vec![]),
    ] {
        let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = http.shiku(path, &sh(&b.token, &extra)).await;
        assert_eq!(r.body["resultCode"], 1, "{path}: {}", r.text);
        assert!(!r.text.contains("22.613456") && !r.text.contains("114.067891"), "{path}: {}", r.text);
    }
    // The owner reads the exact point back.
    let r = http.shiku("/user/get", &sh(&a.token, &[])).await;
    assert_eq!(r.shiku_ok()["loc"], json!({"lat": 22.613456, "lng": 114.067891}));
}

#[tokio::test]
async fn strangers_cannot_enumerate_phones_by_id() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let mut people = vec![];
    for i in 0..4 {
        let p = register(&http, &phone(), "secret1", &format!("Enum{i}")).await;
        // Even those who share their number with friends.
        http.shiku("/user/settings/update", &sh(&p.token, &[("showTelephone", "1")])).await.shiku_ok();
        people.push(p);
    }
    let s = register(&http, &phone(), "secret1", "Stranger").await;
    let last = people.iter().map(|p| p.uid).max().unwrap();
    let mut seen = 0;
    for id in 10000000..=last + 1 {
        let id = id.to_string();
        let rs = [
            http.shiku("/user/get", &sh(&s.token, &[("userId", &id)])).await,
            http.get(&format!("/api/v1/users/{id}"), Some(&s.token)).await,
            http.get(&format!("/sealtalk/user/{id}"), Some(&s.token)).await,
        ];
        for r in rs {
            seen += usize::from(r.status == 200 && r.text.contains(&id));
            for p in &people {
                assert!(!r.text.contains(&p.phone), "id {id} gives {}'s phone: {}", p.uid, r.text);
            }
        }
    }
    assert!(seen >= 12, "the ids were found ({seen}), just not their phones");
    let r = http.shiku("/user/get", &sh(&s.token, &[("userId", &people[0].uid.to_string())])).await;
    assert!(r.ddb_calls() <= 2, "token + one BatchGetItem, got {}", r.ddb_calls());
}

#[tokio::test]
async fn phone_lookups_are_rate_limited_per_caller() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let target = register(&http, &phone(), "secret1", "Findable").await;
    let s = register(&http, &phone(), "secret1", "Prober").await;
    let other = register(&http, &phone(), "secret1", "Other").await;
    let limit = LOOKUPS_PER_HOUR;
    for i in 0..limit {
        // Unknown numbers count as much as known ones (that is what enumeration tries).
        let probe = format!("1370000{:04}", i);
        let r = if i % 2 == 0 {
            http.shiku("/user/getByAccount", &sh(&s.token, &[("account", &probe), ("areaCode", "86")])).await
        } else {
            http.get(&format!("/sealtalk/user/find/86/{probe}"), Some(&s.token)).await
        };
        assert!(r.status < 500, "{}", r.text);
        assert!(r.body["resultCode"] != 1010107 && r.body["code"] != 5000, "lookup {i} refused early: {}", r.text);
        if i == 0 {
            assert!(r.ddb_calls() <= 4, "token + counter + login + profile, got {}", r.ddb_calls());
        }
    }
    let r = http.shiku("/user/getByAccount", &sh(&s.token, &[("account", &target.phone), ("areaCode", "86")])).await;
    assert_eq!(r.shiku_code(), 1010107, "{}", r.text);
    let md5 = shared::auth::md5_hex(&format!("86{}", target.phone));
    let r = http.shiku("/user/getByAccount", &sh(&s.token, &[("account", &md5)])).await;
    assert_eq!(r.shiku_code(), 1010107, "the md5 form is a phone lookup too: {}", r.text);
    let r = http.get(&format!("/sealtalk/user/find/86/{}", target.phone), Some(&s.token)).await;
    assert_eq!((r.status, r.body["code"].clone()), (200, json!(5000)), "{}", r.text);
    // Username lookups are not phone lookups; other callers have their own allowance.
    let r = http.shiku("/user/getByAccount", &sh(&s.token, &[("account", "admin")])).await;
    assert_eq!(r.body["resultCode"], 1, "{}", r.text);
    let r =
        http.shiku("/user/getByAccount", &sh(&other.token, &[("account", &target.phone), ("areaCode", "86")])).await;
    assert_eq!(r.shiku_ok()["userId"], target.uid);
}
