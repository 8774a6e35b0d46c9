//! Issue #11, Shiku fidelity: `/config` (seed 001 "获取应用配置") and `/user/login` with the
//! telephone "MD5-encrypted" (seed 001 "/user/login": `telephone` 手机号码，使用MD5加密).

use e2e::*;
use shared::auth::md5_hex;

/// Seed 001, `/config` 返回值属性说明: every field it lists.
const SEED_CONFIG_FIELDS: &[&str] = &[
    "XMPPDomain",
    "XMPPHost",
    "androidAppUrl",
    "androidExplain",
    "androidVersion",
    "apiUrl",
    "audioLen",
    "displayRedPacket",
    "downloadAvatarUrl",
    "downloadUrl",
    "freeswitch",
    "helpUrl",
    "id",
    "iosAppUrl",
    "iosExplain",
    "iosVersion",
    "liveUrl",
    "meetingHost",
    "uploadUrl",
    "shareUrl",
    "videoLen",
];

#[tokio::test]
async fn config_answers_every_seed_field_pointing_at_this_deployment() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let r = http.shiku_get("/config", &[]).await;
    let d = r.shiku_ok();
    for f in SEED_CONFIG_FIELDS {
        assert!(d.get(*f).is_some_and(|v| !v.is_null()), "/config lacks {f}: {}", r.text);
    }
    // The HTTP API base of this deployment (Shiku clients append paths to it).
    let api = format!("{}/", app.http_url);
    assert_eq!(d["apiUrl"], api.as_str(), "{}", r.text);
    assert_eq!(d["uploadUrl"], format!("{api}api/v1/uploaded_files").as_str(), "{}", r.text);
    // Downloads go through this stack's routes (the bucket is private): stable file URLs
    // `<api>files/<fid>`, avatars `<api>avatar/{o|t}/<uid % 10000>/<uid>.jpg`.
    assert_eq!(d["downloadUrl"], format!("{api}files/").as_str(), "{}", r.text);
    assert_eq!(d["downloadAvatarUrl"], api.as_str(), "{}", r.text);
    assert_eq!(d["id"], 10000);
}

#[tokio::test]
async fn config_deployment_urls_can_be_overridden_by_the_operator() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let r = http.shiku("/user/login", &[("telephone", "admin"), ("password", &md5_hex("admin123"))]).await;
    let admin = r.shiku_ok()["access_token"].as_str().unwrap().to_string();
    let cfg = r#"{"apiUrl":"https://im.example.com/","downloadUrl":"https://cdn.example.com/"}"#;
    let r = http.shiku("/config/set", &[("access_token", &admin), ("config", cfg)]).await;
    r.shiku_ok();
    let r = http.shiku_get("/config", &[]).await;
    let d = r.shiku_ok();
    assert_eq!(
        (d["apiUrl"].as_str(), d["downloadUrl"].as_str()),
        (Some("https://im.example.com/"), Some("https://cdn.example.com/"))
    );
    assert_eq!(d["uploadUrl"], format!("{}/api/v1/uploaded_files", app.http_url).as_str(), "unset fields stay derived");
}

async fn login(http: &Http, telephone: &str, password: &str) -> Resp {
    http.shiku("/user/login", &[("telephone", telephone), ("password", &md5_hex(password))]).await
}

#[tokio::test]
async fn login_accepts_the_md5_of_the_bare_number_and_of_area_code_plus_number() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "P").await;
    let mut calls = vec![];
    for t in [md5_hex(&format!("86{}", p.phone)), md5_hex(&p.phone), p.phone.clone()] {
        let r = login(&http, &t, "secret1").await;
        assert_eq!(r.shiku_ok()["userId"], p.uid, "{t}: {}", r.text);
        calls.push(r.ddb_calls());
    }
    // One GetItem for the login name whatever its form: the same cost as before.
    assert!(calls.iter().all(|c| *c == calls[0]), "{calls:?}");
    // Upper-case hex is the same hash.
    let r = login(&http, &md5_hex(&p.phone).to_ascii_uppercase(), "secret1").await;
    assert_eq!(r.shiku_ok()["userId"], p.uid);
}

#[tokio::test]
async fn the_bare_number_md5_never_blocks_a_registration() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let pw = md5_hex("secret1");
    let reg = |area: &'static str, number: String, nick: &'static str| {
        let http = &http;
        let pw = pw.clone();
        async move {
            http.shiku(
                "/user/register",
                &[("telephone", &number), ("areaCode", area), ("password", &pw), ("nickname", nick)],
            )
            .await
        }
    };
    // The same national number in two countries: both register; the bare md5 stays with the first.
    let n = phone();
    let cn = reg("86", n.clone(), "CN").await.shiku_ok()["userId"].as_i64().unwrap();
    let us = reg("1", n.clone(), "US").await.shiku_ok()["userId"].as_i64().unwrap();
    assert_ne!(cn, us);
    assert_eq!(login(&http, &md5_hex(&n), "secret1").await.shiku_ok()["userId"], cn);
    assert_eq!(login(&http, &md5_hex(&format!("1{n}")), "secret1").await.shiku_ok()["userId"], us);
    assert_eq!(login(&http, &md5_hex(&format!("86{n}")), "secret1").await.shiku_ok()["userId"], cn);

    // A number typed with its country code first takes md5("86"+n2) as its bare md5; the real
    // owner of 86/n2 still registers and md5(area code + number) then names the real owner.
    let n2 = phone();
    let typed = reg("86", format!("86{n2}"), "Typed").await.shiku_ok()["userId"].as_i64().unwrap();
    assert_eq!(login(&http, &md5_hex(&format!("86{n2}")), "secret1").await.shiku_ok()["userId"], typed);
    let real = reg("86", n2.clone(), "Real").await.shiku_ok()["userId"].as_i64().unwrap();
    assert_eq!(login(&http, &md5_hex(&format!("86{n2}")), "secret1").await.shiku_ok()["userId"], real);
    assert_eq!(login(&http, &md5_hex(&n2), "secret1").await.shiku_ok()["userId"], real);
    assert_eq!(login(&http, &md5_hex(&format!("8686{n2}")), "secret1").await.shiku_ok()["userId"], typed);

    // Registered elsewhere first, the same digits do not keep the bare md5 from the 86 number
    // (Shiku's clients send the bare hash): nobody squats a Chinese number's bare login.
    let n3 = phone();
    let us3 = reg("1", n3.clone(), "US3").await.shiku_ok()["userId"].as_i64().unwrap();
    assert_eq!(login(&http, &md5_hex(&n3), "secret1").await.shiku_ok()["userId"], us3, "first, no 86 account");
    let cn3 = reg("86", n3.clone(), "CN3").await.shiku_ok()["userId"].as_i64().unwrap();
    assert_eq!(login(&http, &md5_hex(&n3), "secret1").await.shiku_ok()["userId"], cn3, "the 86 number takes it");
    assert_eq!(login(&http, &md5_hex(&format!("1{n3}")), "secret1").await.shiku_ok()["userId"], us3);
    let r = reg("44", n3.clone(), "UK3").await;
    r.shiku_ok();
    assert_eq!(login(&http, &md5_hex(&n3), "secret1").await.shiku_ok()["userId"], cn3, "and keeps it");

    // The telephone itself stays unique.
    let r = reg("86", n.clone(), "Dup").await;
    assert_eq!(r.shiku_code(), 1040103, "{}", r.text);
}

/// The bare-number md5 is a Shiku login form only: Minxing `login_name` keeps accepting
/// md5(area code + number) and nothing new (common rule: other dialects unchanged).
#[tokio::test]
async fn the_bare_number_md5_is_not_a_login_name_elsewhere() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "P").await;
    let grant = |name: String| {
        let http = &http;
        async move {
            http.send(http.client.post(format!("{}/oauth2/token", http.base)).form(&[
                ("grant_type", "password"),
                ("login_name", name.as_str()),
                ("password", "secret1"),
            ]))
            .await
        }
    };
    let r = grant(md5_hex(&format!("86{}", p.phone))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = grant(md5_hex(&p.phone)).await;
    assert_eq!((r.status, r.body["error"].as_str()), (400, Some("invalid_grant")), "{}", r.text);
}

/// GET without following redirects: (status, location).
async fn no_follow(url: &str) -> (u16, Option<String>) {
    let c = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = c.get(url).send().await.unwrap();
    let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_string);
    (r.status().as_u16(), loc)
}

/// Shiku clients load avatars at `downloadAvatarUrl + avatar/{o|t}/<uid % 10000>/<uid>.jpg`:
/// a redirect to the picture once there is one, 404 before and for any other shape.
#[tokio::test]
async fn avatars_load_from_the_shiku_avatar_path() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "Ava").await;
    let base = http.shiku_get("/config", &[]).await.shiku_ok()["downloadAvatarUrl"].as_str().unwrap().to_string();
    let path = |size: &str, uid: i64| format!("{base}avatar/{size}/{}/{uid}.jpg", uid % 10_000);
    assert_eq!(no_follow(&path("o", a.uid)).await.0, 404, "no avatar yet");
    let img: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(img.clone()).file_name("a.png").mime_str("image/png").unwrap());
    let r = http
        .send(
            http.client
                .post(format!("{}/api/v1/photos?auto_save=true", http.base))
                .bearer_auth(&a.token)
                .multipart(form),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    for size in ["o", "t"] {
        let (status, loc) = no_follow(&path(size, a.uid)).await;
        assert_eq!(status, 302, "{size}");
        let got = reqwest::get(loc.unwrap()).await.unwrap().bytes().await.unwrap();
        assert_eq!(got.to_vec(), img, "{size}: the uploaded picture");
    }
    let wrong_dir = format!("{base}avatar/o/{}/{}.jpg", (a.uid + 1) % 10_000, a.uid);
    for bad in [wrong_dir, path("x", a.uid), format!("{base}avatar/o/1/abc.jpg"), path("o", 99_999_999)] {
        assert_eq!(no_follow(&bad).await.0, 404, "{bad}");
    }
}

/// The raw download URLs Shiku clients load (`downloadUrl` + `<fid>`, `downloadAvatarUrl` +
/// `avatar/…`) answer a miss with HTTP 404 (image loaders judge by the status) and the Shiku
/// error envelope (resultCode 1010104), never an envelope-less body; `/files` keeps Minxing's
/// error fields too (Minxing file JSON hands out the same URL). docs/dialects.md Shiku.
#[tokio::test]
async fn raw_file_urls_answer_misses_with_the_shiku_envelope() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "Ava").await;
    let cfg = http.shiku_get("/config", &[]).await;
    let cfg = cfg.shiku_ok();
    let files = format!("{}/files/", http.base);
    let avatars = cfg["downloadAvatarUrl"].as_str().unwrap();
    let misses = [
        (format!("{files}{}", "0".repeat(37)), "file"),
        (format!("{files}..%2Fetc"), "file"),
        (format!("{avatars}avatar/o/{}/{}.jpg", a.uid % 10_000, a.uid), "avatar"),
        (format!("{avatars}avatar/o/1/abc.jpg"), "avatar"),
        (format!("{avatars}avatar/t/9999/99999999.jpg"), "avatar"),
    ];
    for (url, what) in misses {
        let r = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap().get(&url);
        let r = http.send(r).await;
        assert_eq!(r.status, 404, "{url}: {}", r.text);
        let ct = r.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(ct.starts_with("application/json"), "{url}: {ct}");
        let cache = r.headers.get("cache-control").and_then(|v| v.to_str().ok());
        assert_eq!(cache, Some("no-store"), "{url}: a miss may become a hit after an upload");
        assert_eq!(r.body["resultCode"], 1010104, "{url}: {}", r.text);
        assert_eq!(r.body["resultMsg"], format!("{what} not found"), "{url}");
        assert!(r.body["currentTime"].as_i64().is_some_and(|t| t > 0), "{url}: {}", r.text);
        assert_eq!(r.body["error"].as_str(), (what == "file").then_some("not_found"), "{url}: {}", r.text);
    }
}
