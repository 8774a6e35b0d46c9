//! Issue #11: the error branches of the SealTalk routes no other test asserts, with the original
//! server's statuses (rongcloud/sealtalk-server `dev`; index.coffee, src/routes/*.coffee).
//! The route-by-route comparison is docs/sealtalk-routes.md.

use e2e::rooms::sealtalk;
use e2e::*;
use serde_json::json;

/// index:30-64: every path but the exempt ones (index:33-45) answers 403 without the cookie.
#[tokio::test]
async fn every_route_but_the_exempt_ones_needs_the_login() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let gets = [
        "/user/get_token",
        "/user/get_image_token",
        "/user/blacklist",
        "/user/groups",
        "/user/sync/0",
        "/user/batch?id=1",
        "/user/1",
        "/user/find/86/13800000000",
        "/friendship/all",
        "/friendship/1/profile",
        "/group/1",
        "/group/1/members",
    ];
    for path in gets {
        let r = http.get(&format!("/sealtalk{path}"), None).await;
        assert_eq!((r.status, r.body["code"].as_i64()), (403, Some(403)), "GET {path}: {}", r.text);
    }
    let posts = [
        "/user/logout",
        "/user/change_password",
        "/user/set_nickname",
        "/user/set_portrait_uri",
        "/user/add_to_blacklist",
        "/user/remove_from_blacklist",
        "/friendship/invite",
        "/friendship/agree",
        "/friendship/ignore",
        "/friendship/delete",
        "/friendship/set_display_name",
        "/group/create",
        "/group/add",
        "/group/join",
        "/group/kick",
        "/group/quit",
        "/group/dismiss",
        "/group/transfer",
        "/group/rename",
        "/group/set_bulletin",
        "/group/set_portrait_uri",
        "/group/set_display_name",
        "/misc/send_message",
    ];
    for path in posts {
        let r = st(&http, path, json!({})).await;
        assert_eq!((r.status, r.body["code"].as_i64()), (403, Some(403)), "POST {path}: {}", r.text);
    }
    // Exempt (index:33-45): answered without a cookie.
    let r = http.get("/sealtalk/misc/client_version", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = st(&http, "/user/check_phone_available", json!({"region": "86", "phone": "13800000000"})).await;
    assert_eq!(st_code(&r), 200);
}

/// user:506-536 add_to_blacklist of an unknown user → 404, of oneself → 200 (the original
/// upserts the row; we store nothing, as unblocking oneself); user:569-574 upload_contacts → 404
/// "Not implements."; user:314-316 logout → 200.
#[tokio::test]
async fn user_blacklist_contacts_and_logout() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 1).await;
    let a = &p[0];
    let r = sealtalk(&http, a, "/user/add_to_blacklist", json!({"friendId": "99999999"})).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = sealtalk(&http, a, "/user/add_to_blacklist", json!({"friendId": a.uid.to_string()})).await;
    assert_eq!(st_code(&r), 200);
    let r = http.get("/sealtalk/user/blacklist", Some(&a.token)).await;
    assert_eq!(r.body["result"], json!([]), "{}", r.text);
    let r = sealtalk(&http, a, "/user/upload_contacts", json!({})).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = sealtalk(&http, a, "/user/logout", json!({})).await;
    assert_eq!(st_code(&r), 200);
}

/// group:917-943 set_display_name: over 32 characters → 400; not a member → 404 "Unknown
/// group."; '' clears it (preprocessor exemption, index:73-84).
#[tokio::test]
async fn group_display_name_branches() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 3).await;
    let (a, b, c) = (&p[0], &p[1], &p[2]);
    let ids = vec![a.uid.to_string(), b.uid.to_string()];
    let r = sealtalk(&http, a, "/group/create", json!({"name": "Seals", "memberIds": ids})).await;
    let gid = r.body["result"]["id"].as_str().unwrap().to_string();
    let set =
        |by, name: String| sealtalk(&http, by, "/group/set_display_name", json!({"groupId": gid, "displayName": name}));
    assert_eq!(set(b, "x".repeat(33)).await.status, 400);
    assert_eq!(set(c, "Me".into()).await.status, 404);
    assert_eq!(st_code(&set(b, "字".repeat(32)).await), 200);
    assert_eq!(st_code(&set(b, String::new()).await), 200);
}

/// misc:94-144 send_message: PRIVATE to a non-friend → 403, GROUP of a non-member → 403, any
/// other type → 403 "Unsupported conversation type.".
#[tokio::test]
async fn send_message_refusals() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 3).await;
    let (a, b, c) = (&p[0], &p[1], &p[2]);
    let ids = vec![a.uid.to_string(), b.uid.to_string()];
    let r = sealtalk(&http, a, "/group/create", json!({"name": "Seals", "memberIds": ids})).await;
    let gid = r.body["result"]["id"].as_str().unwrap().to_string();
    let send = |ty: &'static str, target: String| {
        let body = json!({"conversationType": ty, "targetId": target, "objectName": "RC:TxtMsg", "content": {"content": "hi"}});
        sealtalk(&http, c, "/misc/send_message", body)
    };
    assert_eq!(send("PRIVATE", a.uid.to_string()).await.status, 403);
    assert_eq!(send("GROUP", gid.clone()).await.status, 403);
    assert_eq!(send("SYSTEM", a.uid.to_string()).await.status, 403);
}

/// misc:25-44 latest_update: a version semver does not parse → 400 "Invalid version.".
#[tokio::test]
async fn latest_update_invalid_version() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    for q in ["", "?version=abc"] {
        let r = http.get(&format!("/sealtalk/misc/latest_update{q}"), None).await;
        assert_eq!(r.status, 400, "{q}: {}", r.text);
    }
}

/// group:873-880 set_portrait_uri: the xss-escaped text must pass `isURL` (http/https, a host)
/// and be 12–256 characters → else 400.
#[tokio::test]
async fn group_portrait_must_be_a_url_with_a_host() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 2).await;
    let (a, b) = (&p[0], &p[1]);
    let ids = vec![a.uid.to_string(), b.uid.to_string()];
    let r = sealtalk(&http, a, "/group/create", json!({"name": "Seals", "memberIds": ids})).await;
    let gid = r.body["result"]["id"].as_str().unwrap().to_string();
    let set =
        |uri: &'static str| sealtalk(&http, a, "/group/set_portrait_uri", json!({"groupId": gid, "portraitUri": uri}));
    for bad in ["http://<x>/abcd.png", "https://:80/abcdef", "ftp://example.com/a.png", "http://a.b/"] {
        assert_eq!(set(bad).await.status, 400, "{bad}");
    }
    assert_eq!(st_code(&set("https://example.com/a.png").await), 200);
}

/// misc:36-42: `semver.valid` takes `v1.0.2`, pre-releases and build metadata; a pre-release of
/// the latest version is older than it (`semver.gte` false → the release object).
#[tokio::test]
async fn latest_update_takes_semver_forms() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    for (v, status) in
        [("v1.0.2", 204), ("=1.0.2", 204), ("1.0.2%2Bbuild.5", 204), ("1.0.2-beta.1", 200), ("1.0.1-rc", 200)]
    {
        let r = http.get(&format!("/sealtalk/misc/latest_update?version={v}"), None).await;
        assert_eq!(r.status, status, "{v}: {}", r.text);
    }
    for v in ["1.0", "1.0.2-", "1.0.2%2B", "1.0.2-be%20ta"] {
        let r = http.get(&format!("/sealtalk/misc/latest_update?version={v}"), None).await;
        assert_eq!(r.status, 400, "{v}: {}", r.text);
    }
}
