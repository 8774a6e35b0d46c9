//! Shiku room shares and copyFile (issue #12 §1): a share is a file record of the room (the
//! records Minxing lists as `uploaded_files/in_group/{id}`), our files are copied (never two
//! records on one S3 key), external links are stored and never fetched, private rooms leak
//! nothing, copies expire.

use e2e::rooms::{room, shiku};
use e2e::*;
use serde_json::{json, Value};

/// Minxing upload of `bytes` as `p` (extra text fields, e.g. `group_id`); answers the file JSON.
pub async fn upload(http: &Http, p: &Person, name: &str, bytes: &[u8], extra: &[(&str, &str)]) -> Resp {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in extra {
        form = form.text(k.to_string(), v.to_string());
    }
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()).mime_str("text/plain").unwrap(),
    );
    http.send(http.client.post(format!("{}/api/v1/uploaded_files", http.base)).bearer_auth(&p.token).multipart(form))
        .await
}

/// GET without following redirects: (status, location).
pub async fn raw_get(url: &str) -> (u16, String) {
    let c = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = c.get(url).send().await.unwrap();
    let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    (r.status().as_u16(), loc)
}

/// The bytes behind one of our stable URLs (302 → presigned GET).
pub async fn fetch(url: &str) -> Vec<u8> {
    let (status, loc) = raw_get(url).await;
    assert_eq!(status, 302, "{url}");
    let r = reqwest::get(&loc).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.bytes().await.unwrap().to_vec()
}

async fn add_share(http: &Http, p: &Person, room: &str, url: &str, name: &str) -> Resp {
    let uid = p.uid.to_string();
    shiku(
        http,
        "/room/add/share",
        p,
        &[("roomId", room), ("type", "1"), ("size", "3"), ("userId", &uid), ("url", url), ("name", name)],
    )
    .await
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|s| s["shareId"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn shares_of_our_files_are_copies_seen_by_shiku_and_minxing() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let [a, b] = <[Person; 2]>::try_from(people(&http, 2).await).ok().unwrap();
    let up = upload(&http, &a, "notes.txt", b"hello world", &[]).await;
    assert_eq!(up.status, 201, "{}", up.text);
    let stable = up.body["url"].as_str().unwrap().to_string();
    assert_eq!(stable, format!("{}/files/{}", http.base, up.body["id"].as_str().unwrap()));
    assert_eq!(fetch(&stable).await, b"hello world");
    let rid = room(&http, &a, &[&b], &[]).await;

    let r = add_share(&http, &a, &rid, &stable, "renamed.txt").await;
    let s = r.shiku_ok().clone();
    calls(&r, 4, "add/share (our file: + one CopyObject)");
    let sid = s["shareId"].as_str().unwrap().to_string();
    assert_eq!(sid.len(), 37, "time-ordered id <ms:013><24 hex>: {sid}");
    assert_ne!(sid, up.body["id"].as_str().unwrap());
    assert_eq!(
        (
            s["roomId"].clone(),
            s["name"].clone(),
            s["size"].clone(),
            s["type"].clone(),
            s["userId"].clone(),
            s["nickname"].clone()
        ),
        (json!(rid), json!("renamed.txt"), json!(11), json!(1), json!(a.uid), json!("P0")),
        "size comes from our record, not from the client"
    );
    let now_s = chrono_now_s();
    assert!((s["time"].as_i64().unwrap() - now_s).abs() < 60);
    let share_url = s["url"].as_str().unwrap().to_string();
    let c = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = http.send(c.get(&share_url)).await;
    assert_eq!(r.status, 302);
    calls(&r, 1, "GET /files/{fid}");
    assert_eq!(share_url, format!("{}/files/{sid}", http.base));
    assert_eq!(fetch(&share_url).await, b"hello world", "the copy has the bytes");
    // No two records on one S3 key: the share is a copy.
    let src = shared::store::files::get(&app.ctx.db, up.body["id"].as_str().unwrap()).await.unwrap().unwrap();
    let copy = shared::store::files::get(&app.ctx.db, &sid).await.unwrap().unwrap();
    assert_ne!(src.s3_key, copy.s3_key);
    assert_eq!(copy.room.as_deref(), Some(rid.as_str()));

    // B (a member) sees it through Shiku and Minxing: the same record.
    let r = shiku(&http, "/room/share/find", &b, &[("roomId", &rid)]).await;
    assert_eq!(ids(r.shiku_ok()), vec![sid.clone()]);
    calls(&r, 4, "share/find");
    let r = http.get(&format!("/api/v1/uploaded_files/in_group/{rid}"), Some(&b.token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["items"][0]["id"], json!(sid));
    assert_eq!(r.body["items"][0]["group_id"], json!(rid));
    assert_eq!(r.body["items"][0]["url"], json!(share_url));
    calls(&r, 4, "in_group");
    let r = shiku(&http, "/room/share/get", &b, &[("roomId", &rid), ("shareId", &sid)]).await;
    assert_eq!(r.shiku_ok()["shareId"], json!(sid));
    calls(&r, 3, "share/get");

    // And a Minxing group upload is a Shiku share of the room.
    let g = upload(&http, &b, "b.txt", b"bbb", &[("group_id", &rid)]).await;
    assert_eq!((g.status, g.body["group_id"].clone()), (201, json!(rid)), "{}", g.text);
    let r = shiku(&http, "/room/share/find", &a, &[("roomId", &rid)]).await;
    assert_eq!(ids(r.shiku_ok()), vec![g.body["id"].as_str().unwrap().to_string(), sid.clone()], "newest first");
}

/// The gateway counted 1..=`max` DynamoDB calls (token check included) for this request.
pub fn calls(r: &Resp, max: u32, what: &str) {
    let n = r.ddb_calls();
    println!("ddb calls: {what} = {n}");
    assert!((1..=max).contains(&n), "{what}: {n} DynamoDB calls, budget {max}");
}

fn chrono_now_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[tokio::test]
async fn external_links_are_stored_never_fetched() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let [a, b] = <[Person; 2]>::try_from(people(&http, 2).await).ok().unwrap();
    let rid = room(&http, &a, &[&b], &[]).await;
    // An address nothing listens on: storing it must not fetch it.
    let ext = "http://127.0.0.1:9/report.pdf?x=1";
    let r = add_share(&http, &b, &rid, ext, "report.pdf").await;
    let s = r.shiku_ok().clone();
    assert_eq!((s["url"].clone(), s["size"].clone(), s["userId"].clone()), (json!(ext), json!(3), json!(b.uid)));
    let sid = s["shareId"].as_str().unwrap();
    assert_eq!(raw_get(&format!("{}/files/{sid}", http.base)).await.0, 404, "no object behind a link");
    let r = http.get(&format!("/api/v1/uploaded_files/in_group/{rid}"), Some(&a.token)).await;
    assert_eq!(
        (r.body["items"][0]["url"].clone(), r.body["items"][0]["download_url"].clone()),
        (json!(ext), json!(ext))
    );
    // Not a link we store: other schemes, no host, too long; unknown ids of ours.
    for bad in ["ftp://x/y", "javascript:alert(1)", "http://", "https:///x", "file:///etc/passwd"] {
        assert_eq!(add_share(&http, &b, &rid, bad, "x").await.shiku_code(), 1010101, "{bad}");
    }
    let long = format!("https://e.com/{}", "a".repeat(1020));
    assert_eq!(add_share(&http, &b, &rid, &long, "x").await.shiku_code(), 1010101);
    let unknown = format!("{}/files/{}", http.base, "0".repeat(37));
    assert_eq!(add_share(&http, &b, &rid, &unknown, "x").await.shiku_code(), 1010104);
}

#[tokio::test]
async fn find_pages_filters_and_get_stays_in_its_room() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let [a, b] = <[Person; 2]>::try_from(people(&http, 2).await).ok().unwrap();
    let rid = room(&http, &a, &[&b], &[]).await;
    let other = room(&http, &a, &[&b], &[]).await;
    let mut made = vec![];
    for (i, p) in [&a, &b, &a, &b, &a].iter().enumerate() {
        let r = add_share(&http, p, &rid, &format!("https://e.com/{i}"), &format!("f{i}")).await;
        made.push(r.shiku_ok()["shareId"].as_str().unwrap().to_string());
    }
    made.reverse(); // newest first
    let find = |extra: Vec<(&'static str, String)>| {
        let (http, b, rid) = (&http, &b, rid.clone());
        async move {
            let mut form: Vec<(&str, &str)> = vec![("roomId", rid.as_str())];
            for (k, v) in &extra {
                form.push((k, v.as_str()));
            }
            let r = shiku(http, "/room/share/find", b, &form).await;
            ids(r.shiku_ok())
        }
    };
    assert_eq!(find(vec![]).await, made);
    assert_eq!(find(vec![("pageSize", "2".into())]).await, made[0..2]);
    assert_eq!(find(vec![("pageSize", "2".into()), ("pageIndex", "1".into())]).await, made[2..4]);
    assert_eq!(find(vec![("pageSize", "2".into()), ("pageIndex", "2".into())]).await, made[4..5]);
    let by_a: Vec<String> = vec![made[0].clone(), made[2].clone(), made[4].clone()];
    assert_eq!(find(vec![("userId", a.uid.to_string())]).await, by_a);
    assert_eq!(
        find(vec![("userId", a.uid.to_string()), ("pageSize", "1".into()), ("pageIndex", "1".into())]).await,
        by_a[1..2]
    );
    assert_eq!(find(vec![("time", (chrono_now_s() + 100).to_string())]).await, made);
    assert!(find(vec![("time", "1000".into())]).await.is_empty(), "nothing before 1970+1000 s");
    // get: the share of that room only.
    let r = shiku(&http, "/room/share/get", &b, &[("roomId", &other), ("shareId", &made[0])]).await;
    assert_eq!(r.shiku_code(), 1010104);
    let r = shiku(&http, "/room/share/get", &b, &[("roomId", &rid), ("shareId", "12345")]).await;
    assert_eq!(r.shiku_code(), 1010104);
    // Bad paging.
    for (k, v) in [
        ("pageSize", "0"),
        ("pageSize", "101"),
        ("pageIndex", "-1"),
        ("pageIndex", "x"),
        ("time", "-5"),
        ("userId", "abc"),
    ] {
        let r = shiku(&http, "/room/share/find", &b, &[("roomId", &rid), (k, v)]).await;
        assert_eq!(r.shiku_code(), 1010101, "{k}={v}");
    }
    let r = shiku(&http, "/room/share/find", &b, &[("roomId", &rid), ("pageSize", "100"), ("pageIndex", "50")]).await;
    assert_eq!(r.shiku_code(), 1010101, "pageIndex × pageSize ≤ 5000");
}

#[tokio::test]
async fn delete_by_uploader_or_admins_removes_record_and_object() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let [a, b, c] = <[Person; 3]>::try_from(people(&http, 3).await).ok().unwrap();
    let rid = room(&http, &a, &[&b, &c], &[]).await;
    let up = upload(&http, &b, "b.txt", b"bbb", &[]).await;
    let s1 = add_share(&http, &b, &rid, up.body["url"].as_str().unwrap(), "b.txt").await.shiku_ok().clone();
    let s2 = add_share(&http, &b, &rid, "https://e.com/x", "x").await.shiku_ok().clone();
    let (id1, id2) = (s1["shareId"].as_str().unwrap().to_string(), s2["shareId"].as_str().unwrap().to_string());
    let key1 = shared::store::files::get(&app.ctx.db, &id1).await.unwrap().unwrap().s3_key;
    let del = |p: &Person, id: &str, uid: i64| {
        let (http, rid, id, uid, tok) = (&http, rid.clone(), id.to_string(), uid.to_string(), p.token.clone());
        async move {
            http.shiku_as(
                "/room/share/delete",
                &tok,
                &[("roomId", rid.as_str()), ("shareId", id.as_str()), ("userId", uid.as_str())],
            )
            .await
        }
    };
    assert_eq!(del(&c, &id1, c.uid).await.shiku_code(), 1030103, "a member deletes only their own");
    assert_eq!(del(&b, &id1, a.uid).await.shiku_code(), 1030103, "userId must be the caller");
    let r = del(&a, &id1, a.uid).await;
    r.shiku_ok();
    calls(&r, 3, "share/delete");
    assert!(shared::store::files::get(&app.ctx.db, &id1).await.unwrap().is_none());
    let gone = app.ctx.s3.get_object().bucket(&app.ctx.bucket).key(&key1).send().await;
    assert!(gone.is_err(), "the share's object is deleted");
    assert_eq!(raw_get(&format!("{}/files/{id1}", http.base)).await.0, 404);
    assert_eq!(fetch(up.body["url"].as_str().unwrap()).await, b"bbb", "the source file is untouched");
    del(&b, &id2, b.uid).await.shiku_ok();
    assert_eq!(del(&b, &id2, b.uid).await.shiku_code(), 1010104, "already gone");
}

#[tokio::test]
async fn upload_rights_follow_allow_upload_file() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let [a, b] = <[Person; 2]>::try_from(people(&http, 2).await).ok().unwrap();
    let rid = room(&http, &a, &[&b], &[("allowUploadFile", "0")]).await;
    assert_eq!(add_share(&http, &b, &rid, "https://e.com/x", "x").await.shiku_code(), 1030103);
    let r = upload(&http, &b, "b.txt", b"b", &[("group_id", &rid)]).await;
    assert_eq!(r.status, 403, "{}", r.text);
    add_share(&http, &a, &rid, "https://e.com/x", "x").await.shiku_ok();
    let r = upload(&http, &a, "a.txt", b"a", &[("group_id", &rid)]).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = shiku(&http, "/room/share/find", &b, &[("roomId", &rid)]).await;
    assert_eq!(r.shiku_ok().as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_private_room_leaks_nothing_to_an_outsider() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let [a, b, out] = <[Person; 3]>::try_from(people(&http, 3).await).ok().unwrap();
    let rid = room(&http, &a, &[&b], &[("isLook", "1"), ("isNeedVerify", "1")]).await;
    let up = upload(&http, &a, "secret.txt", b"secret", &[("group_id", &rid)]).await;
    assert_eq!(up.status, 201, "{}", up.text);
    let fid = up.body["id"].as_str().unwrap().to_string();
    let sid =
        add_share(&http, &a, &rid, "https://e.com/s", "s").await.shiku_ok()["shareId"].as_str().unwrap().to_string();
    let ouid = out.uid.to_string();
    for (path, form) in [
        ("/room/share/find", vec![("roomId", rid.as_str())]),
        ("/room/share/get", vec![("roomId", rid.as_str()), ("shareId", sid.as_str())]),
        ("/room/share/delete", vec![("roomId", rid.as_str()), ("shareId", sid.as_str()), ("userId", ouid.as_str())]),
        (
            "/room/add/share",
            vec![
                ("roomId", rid.as_str()),
                ("type", "1"),
                ("size", "1"),
                ("userId", ouid.as_str()),
                ("url", "https://e.com/y"),
                ("name", "y"),
            ],
        ),
    ] {
        assert_eq!(shiku(&http, path, &out, &form).await.shiku_code(), 1010104, "{path}");
    }
    // An unknown room answers the same.
    assert_eq!(shiku(&http, "/room/share/find", &out, &[("roomId", "nosuchroom")]).await.shiku_code(), 1010104);
    let r = http.get(&format!("/api/v1/uploaded_files/in_group/{rid}"), Some(&out.token)).await;
    assert_eq!(r.status, 404);
    let r = http.get("/api/v1/uploaded_files/in_group/nosuchroom", Some(&out.token)).await;
    assert_eq!(r.status, 404);
    let r = http.get(&format!("/api/v1/uploaded_files/uploaded_by/{}", a.uid), Some(&out.token)).await;
    assert_eq!((r.status, r.body["items"].clone()), (200, json!([])), "{}", r.text);
    let r =
        http.json("POST", &format!("/api/v1/subscriptions/uploaded_files/{fid}"), Some(&out.token), json!({})).await;
    assert_eq!(r.status, 404);
    let r =
        http.json("POST", &format!("/api/v1/subscriptions/uploaded_files/{sid}"), Some(&out.token), json!({})).await;
    assert_eq!(r.status, 404);
    let r = upload(&http, &out, "o.txt", b"o", &[("group_id", &rid)]).await;
    assert_eq!(r.status, 404, "{}", r.text);
    // The member sees everything.
    let r = http.get(&format!("/api/v1/uploaded_files/uploaded_by/{}", a.uid), Some(&b.token)).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2, "{}", r.text);
}

#[tokio::test]
async fn copy_file_copies_ours_refuses_links_and_copies_expire() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let [a, b] = <[Person; 2]>::try_from(people(&http, 2).await).ok().unwrap();
    let u1 = upload(&http, &a, "one.txt", b"one", &[]).await;
    let u2 = upload(&http, &a, "two.txt", b"two", &[]).await;
    let (url1, id2) = (u1.body["url"].as_str().unwrap().to_string(), u2.body["id"].as_str().unwrap().to_string());
    let paths = format!("{url1},{id2}");
    let r = shiku(&http, "/upload/copyFile", &b, &[("paths", &paths), ("validTime", "1")]).await;
    let d = r.shiku_ok().clone();
    calls(&r, 4, "copyFile");
    let urls: Vec<String> = d["urls"].as_array().unwrap().iter().map(|u| u.as_str().unwrap().to_string()).collect();
    assert_eq!((urls.len(), d["url"].clone()), (2, json!(urls[0])));
    assert_eq!(fetch(&urls[0]).await, b"one");
    assert_eq!(fetch(&urls[1]).await, b"two");
    let cid = urls[0].rsplit('/').next().unwrap();
    let rec = shared::store::files::get(&app.ctx.db, cid).await.unwrap().unwrap();
    let want = chrono_now_s() + 86_400;
    assert!((rec.ttl.unwrap() - want).abs() < 60, "ttl = now + 1 day: {:?}", rec.ttl);
    assert_eq!(rec.owner.0, b.uid, "the copy is the caller's");
    assert_ne!(rec.s3_key, shared::store::files::get(&app.ctx.db, &id2).await.unwrap().unwrap().s3_key);
    let r = shiku(&http, "/upload/copyFile", &b, &[("paths", &id2), ("validTime", "-1")]).await;
    let kept = r.shiku_ok()["url"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    assert_eq!(shared::store::files::get(&app.ctx.db, &kept).await.unwrap().unwrap().ttl, None);
    // Bad input.
    let eleven = [id2.as_str(); 11].join(",");
    for (paths, valid, code) in [
        ("https://example.com/a.png", "1", 1010101),
        ("http://127.0.0.1:9/x", "1", 1010101),
        (id2.as_str(), "0", 1010101),
        (id2.as_str(), "3651", 1010101),
        (id2.as_str(), "-2", 1010101),
        (id2.as_str(), "x", 1010101),
        (eleven.as_str(), "1", 1010101),
        ("00000000000000000000000000000000", "1", 1010104),
    ] {
        let r = shiku(&http, "/upload/copyFile", &b, &[("paths", paths), ("validTime", valid)]).await;
        assert_eq!(r.shiku_code(), code, "{paths} {valid}");
    }
    assert_eq!(shiku(&http, "/upload/copyFile", &b, &[("validTime", "1")]).await.shiku_code(), 1010102);
    assert_eq!(shiku(&http, "/upload/copyFile", &b, &[("paths", &id2)]).await.shiku_code(), 1010102);
    let r = http.shiku("/upload/copyFile", &[("paths", &id2), ("validTime", "1")]).await;
    assert_eq!(r.shiku_code(), 1030101);
}

/// An item whose `ttl` passed reads as absent (DynamoDB deletes it up to days later): the
/// record, its stable URL, the lists. Written straight to DynamoDB Local: the API never
/// writes a past ttl.
#[tokio::test]
async fn an_expired_copy_is_gone() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let up = upload(&http, &a, "x.txt", b"x", &[]).await;
    let mut rec = shared::store::files::get(&app.ctx.db, up.body["id"].as_str().unwrap()).await.unwrap().unwrap();
    rec.id = format!("{:013}{}", chrono_now_s() * 1000, "ab".repeat(12));
    rec.ttl = Some(chrono_now_s() - 5);
    shared::store::files::put(&app.ctx.db, &rec).await.unwrap();
    assert!(shared::store::files::get(&app.ctx.db, &rec.id).await.unwrap().is_none());
    let raw = app.ctx.db.get(format!("FILE#{}", rec.id), "META").await.unwrap();
    assert!(raw.is_some(), "the item is still stored: only the read hides it");
    assert_eq!(raw_get(&format!("{}/files/{}", http.base, rec.id)).await.0, 404);
    let r = http.get("/api/v1/uploaded_files/uploaded_by_me", Some(&a.token)).await;
    let listed: Vec<&str> = r.body["items"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(listed, vec![up.body["id"].as_str().unwrap()]);
    let r = shiku(&http, "/upload/copyFile", &a, &[("paths", &rec.id), ("validTime", "1")]).await;
    assert_eq!(r.shiku_code(), 1010104, "an expired file cannot be copied");
}

#[tokio::test]
async fn share_routes_refuse_bad_input() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let [a, b] = <[Person; 2]>::try_from(people(&http, 2).await).ok().unwrap();
    let rid = room(&http, &a, &[&b], &[]).await;
    let me = a.uid.to_string();
    let long = "n".repeat(201);
    let full = |skip: &str, over: (&'static str, &str)| {
        let mut f: Vec<(&str, String)> = vec![
            ("roomId", rid.clone()),
            ("type", "1".into()),
            ("size", "3".into()),
            ("userId", me.clone()),
            ("url", "https://e.com/x".into()),
            ("name", "x".into()),
        ];
        f.retain(|(k, _)| *k != skip);
        if let Some(e) = f.iter_mut().find(|(k, _)| *k == over.0) {
            e.1 = over.1.to_string();
        }
        f
    };
    for k in ["roomId", "type", "size", "userId", "url", "name"] {
        let f = full(k, ("", ""));
        let form: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(shiku(&http, "/room/add/share", &a, &form).await.shiku_code(), 1010102, "missing {k}");
    }
    for (k, v, code) in [
        ("type", "0", 1010101),
        ("type", "abc", 1010101),
        ("size", "-1", 1010101),
        ("userId", "x", 1010101),
        ("userId", "999999", 1030103),
        ("name", long.as_str(), 1010101),
        ("roomId", "../x", 1010104),
    ] {
        let f = full("", (k, v));
        let form: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(shiku(&http, "/room/add/share", &a, &form).await.shiku_code(), code, "{k}={v}");
    }
    assert_eq!(shiku(&http, "/room/share/get", &a, &[("roomId", &rid)]).await.shiku_code(), 1010102);
    assert_eq!(
        shiku(&http, "/room/share/get", &a, &[("roomId", &rid), ("shareId", "a/b")]).await.shiku_code(),
        1010104
    );
    assert_eq!(
        shiku(&http, "/room/share/delete", &a, &[("roomId", &rid), ("shareId", "x")]).await.shiku_code(),
        1010102
    );
    assert_eq!(shiku(&http, "/room/share/find", &a, &[]).await.shiku_code(), 1010102);
    assert_eq!(http.shiku("/room/share/find", &[("roomId", &rid)]).await.shiku_code(), 1030101);
    assert_eq!(raw_get(&format!("{}/files/..%2Fetc", http.base)).await.0, 404);
    assert_eq!(raw_get(&format!("{}/files/{}", http.base, "z".repeat(80))).await.0, 404);
}

/// A file record leaving the table (DynamoDB's TTL deletion; simulated by a plain DeleteItem,
/// as DynamoDB Local does not expire items) takes its S3 object with it (delivery); a
/// reservation (`PENDING`) leaving does not.
#[tokio::test]
async fn a_removed_record_takes_its_object_along() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let up = upload(&http, &a, "x.txt", b"x", &[]).await;
    let keep = upload(&http, &a, "y.txt", b"y", &[]).await;
    let rec = shared::store::files::get(&app.ctx.db, up.body["id"].as_str().unwrap()).await.unwrap().unwrap();
    let kept = shared::store::files::get(&app.ctx.db, keep.body["id"].as_str().unwrap()).await.unwrap().unwrap();
    // A reservation item of the kept file's id leaving must not touch its object.
    let mut pending = shared::store::Db::key(format!("FILE#{}", kept.id), "PENDING");
    pending.insert("s3key".into(), aws_sdk_dynamodb::types::AttributeValue::S(kept.s3_key.clone()));
    let db = &app.ctx.db;
    db.client.put_item().table_name(&db.table).set_item(Some(pending.clone())).send().await.unwrap();
    db.client
        .delete_item()
        .table_name(&db.table)
        .set_key(Some(shared::store::Db::key(format!("FILE#{}", kept.id), "PENDING")))
        .send()
        .await
        .unwrap();
    db.client
        .delete_item()
        .table_name(&db.table)
        .set_key(Some(shared::store::Db::key(format!("FILE#{}", rec.id), "META")))
        .send()
        .await
        .unwrap();
    let s3 = &app.ctx.s3;
    let mut gone = false;
    for _ in 0..100 {
        if s3.head_object().bucket(&app.ctx.bucket).key(&rec.s3_key).send().await.is_err() {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(gone, "the removed record's object is deleted");
    assert!(s3.head_object().bucket(&app.ctx.bucket).key(&kept.s3_key).send().await.is_ok(), "other objects stay");
}
