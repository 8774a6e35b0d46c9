//! Minxing file lists and follows (issue #12 §1): `{items, next_cursor}` newest first, one
//! Query per page, visibility (owner, `network`, rooms the caller sees), follows 201/200/204.

use crate::files_shares::{calls, upload};
use e2e::rooms::{room, shiku};
use e2e::*;
use serde_json::{json, Value};

fn ids(r: &Resp) -> Vec<String> {
    r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.text))
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

async fn follow(http: &Http, p: &Person, method: &str, fid: &str) -> Resp {
    http.json(method, &format!("/api/v1/subscriptions/uploaded_files/{fid}"), Some(&p.token), json!({})).await
}

#[tokio::test]
async fn my_uploads_page_with_an_opaque_cursor() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let mut made = vec![];
    for i in 0..5 {
        let r = upload(&http, &a, &format!("f{i}.txt"), b"x", &[]).await;
        assert_eq!(
            (r.status, r.body["visibility"].clone(), r.body["group_id"].clone()),
            (201, json!("private"), Value::Null)
        );
        made.push(r.body["id"].as_str().unwrap().to_string());
    }
    made.reverse();
    let r = http.get("/api/v1/uploaded_files/uploaded_by_me?limit=2", Some(&a.token)).await;
    assert_eq!((r.status, ids(&r)), (200, made[0..2].to_vec()));
    calls(&r, 4, "uploaded_by_me");
    let f = &r.body["items"][0];
    assert_eq!(
        (f["followed"].clone(), f["user_id"].clone(), f["name"].clone()),
        (json!(false), json!(a.uid), json!("f4.txt"))
    );
    assert!(f["download_url"].as_str().unwrap().starts_with("http"));
    let c1 = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = http.get(&format!("/api/v1/uploaded_files/uploaded_by_me?limit=2&cursor={c1}"), Some(&a.token)).await;
    assert_eq!(ids(&r), made[2..4].to_vec());
    let c2 = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = http.get(&format!("/api/v1/uploaded_files/uploaded_by_me?limit=2&cursor={c2}"), Some(&a.token)).await;
    assert_eq!((ids(&r), r.body["next_cursor"].clone()), (made[4..5].to_vec(), Value::Null));
    let r = http.get("/api/v1/uploaded_files/uploaded_by/current", Some(&a.token)).await;
    assert_eq!(ids(&r), made);
    // Bad paging: 400, never 5xx.
    for q in [
        "limit=0",
        "limit=101",
        "limit=x",
        "cursor=abc",
        "cursor=123.x",
        "cursor=0000000000001.ab%2Fc",
        "cursor=%7B%7D",
    ] {
        let r = http.get(&format!("/api/v1/uploaded_files/uploaded_by_me?{q}"), Some(&a.token)).await;
        assert_eq!((r.status, r.body["error"].clone()), (400, json!("invalid_request")), "{q}: {}", r.text);
    }
    for path in ["uploaded_by_me", "followed_by_me", "uploaded_by/1", "in_group/x"] {
        let r = http.get(&format!("/api/v1/uploaded_files/{path}"), None).await;
        assert_eq!(r.status, 401, "{path}");
    }
    let r = http.get("/api/v1/uploaded_files/uploaded_by/abc", Some(&a.token)).await;
    assert_eq!(r.status, 400);
    let r = http.get("/api/v1/uploaded_files/followed_by_me?cursor=a%2Fb", Some(&a.token)).await;
    assert_eq!(r.status, 400);
    let r = upload(&http, &a, "v.txt", b"v", &[("visibility", "everyone")]).await;
    assert_eq!(r.status, 400);
    let r = upload(&http, &a, "v.txt", b"v", &[("group_id", "s_1_2")]).await;
    assert_eq!(r.status, 404, "a 1:1 conversation is no group");
}

#[tokio::test]
async fn others_files_show_only_where_the_caller_sees_them() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let [a, b, c] = <[Person; 3]>::try_from(people(&http, 3).await).ok().unwrap();
    let private_room = room(&http, &a, &[&b], &[("isLook", "1"), ("isNeedVerify", "1")]).await;
    let public_room = room(&http, &a, &[&b], &[]).await;
    let mine = upload(&http, &a, "mine.txt", b"1", &[]).await.body["id"].as_str().unwrap().to_string();
    let net =
        upload(&http, &a, "net.txt", b"2", &[("visibility", "network")]).await.body["id"].as_str().unwrap().to_string();
    let priv_g = upload(&http, &a, "pg.txt", b"3", &[("group_id", &private_room)]).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let pub_g =
        upload(&http, &a, "ug.txt", b"4", &[("group_id", &public_room)]).await.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/uploaded_files/uploaded_by/{}", a.uid);
    let r = http.get(&path, Some(&a.token)).await;
    assert_eq!(ids(&r), vec![pub_g.clone(), priv_g.clone(), net.clone(), mine.clone()]);
    let r = http.get(&path, Some(&b.token)).await;
    assert_eq!(ids(&r), vec![pub_g.clone(), priv_g.clone(), net.clone()], "a member: no private file");
    calls(&r, 4, "uploaded_by");
    let r = http.get(&path, Some(&c.token)).await;
    assert_eq!(ids(&r), vec![pub_g.clone(), net.clone()], "an outsider: network and public-group files");
    // Paging an outsider through A's files: a page may be empty, its cursor never names a
    // file the outsider does not see (ids are capabilities).
    let mut seen = vec![];
    let mut cursor: Option<String> = None;
    for _ in 0..6 {
        let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let r = http.get(&format!("{path}?limit=1{q}"), Some(&c.token)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        seen.extend(ids(&r));
        cursor = r.body["next_cursor"].as_str().map(str::to_string);
        let Some(cur) = &cursor else { break };
        for hidden in [&mine, &priv_g] {
            assert!(!cur.contains(hidden.as_str()) && !cur.contains(&hidden[13..]), "cursor {cur} names {hidden}");
        }
    }
    assert_eq!((seen, cursor), (vec![pub_g.clone(), net.clone()], None));
    // Groups: a public one lists for anyone, a private one only for members.
    let r = http.get(&format!("/api/v1/uploaded_files/in_group/{public_room}"), Some(&c.token)).await;
    assert_eq!(ids(&r), vec![pub_g.clone()]);
    let r = http.get(&format!("/api/v1/uploaded_files/in_group/{private_room}"), Some(&c.token)).await;
    assert_eq!(r.status, 404);
    let r = http.get(&format!("/api/v1/uploaded_files/in_group/{private_room}?limit=1"), Some(&b.token)).await;
    assert_eq!((ids(&r), r.body["next_cursor"].is_string()), (vec![priv_g.clone()], true));
    calls(&r, 4, "in_group");
    let cur = r.body["next_cursor"].as_str().unwrap();
    let r =
        http.get(&format!("/api/v1/uploaded_files/in_group/{private_room}?limit=1&cursor={cur}"), Some(&b.token)).await;
    assert_eq!(ids(&r), Vec::<String>::new());
    let r = http
        .get(&format!("/api/v1/uploaded_files/in_group/{private_room}?cursor=00000000000000.x"), Some(&b.token))
        .await;
    assert_eq!(r.status, 400);
    // Follows follow visibility.
    assert_eq!(follow(&http, &c, "POST", &mine).await.status, 404, "another's private file");
    assert_eq!(follow(&http, &c, "POST", &priv_g).await.status, 404);
    assert_eq!(follow(&http, &c, "POST", &net).await.status, 201);
    assert_eq!(follow(&http, &c, "POST", &pub_g).await.status, 201);
    assert_eq!(follow(&http, &c, "POST", &"0".repeat(37)).await.status, 404);
    assert_eq!(follow(&http, &c, "POST", "bad%2Fid").await.status, 404);
    assert_eq!(follow(&http, &c, "DELETE", &mine).await.status, 404, "never followed, invisible");
}

#[tokio::test]
async fn follows_are_repeat_safe_and_skip_what_is_no_longer_visible() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let [a, b] = <[Person; 2]>::try_from(people(&http, 2).await).ok().unwrap();
    let rid = room(&http, &a, &[&b], &[("isLook", "1"), ("isNeedVerify", "1")]).await;
    let g1 = upload(&http, &a, "g1.txt", b"1", &[("group_id", &rid)]).await.body["id"].as_str().unwrap().to_string();
    let g2 = upload(&http, &a, "g2.txt", b"2", &[("group_id", &rid)]).await.body["id"].as_str().unwrap().to_string();
    let own = upload(&http, &b, "own.txt", b"3", &[]).await.body["id"].as_str().unwrap().to_string();
    let r = follow(&http, &b, "POST", &g1).await;
    assert_eq!(r.status, 201, "{}", r.text);
    calls(&r, 3, "follow");
    let r = follow(&http, &b, "POST", &g1).await;
    assert_eq!(r.status, 200, "already followed");
    calls(&r, 3, "follow again");
    assert_eq!(follow(&http, &b, "POST", &g2).await.status, 201);
    let r = follow(&http, &b, "POST", &own).await;
    assert_eq!(r.status, 201);
    calls(&r, 3, "follow own file");
    let r = http.get("/api/v1/uploaded_files/followed_by_me", Some(&b.token)).await;
    assert_eq!(ids(&r), vec![own.clone(), g2.clone(), g1.clone()], "newest file first");
    assert!(r.body["items"].as_array().unwrap().iter().all(|f| f["followed"] == json!(true)));
    calls(&r, 4, "followed_by_me");
    let r = http.get("/api/v1/uploaded_files/followed_by_me?limit=2", Some(&b.token)).await;
    let cur = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = http.get(&format!("/api/v1/uploaded_files/followed_by_me?limit=2&cursor={cur}"), Some(&b.token)).await;
    assert_eq!(ids(&r), vec![g1.clone()]);
    let r = http.get(&format!("/api/v1/uploaded_files/in_group/{rid}"), Some(&b.token)).await;
    let followed: Vec<Value> = r.body["items"].as_array().unwrap().iter().map(|f| f["followed"].clone()).collect();
    assert_eq!(followed, vec![json!(true), json!(true)]);
    // Unfollow: 204, again 204.
    let r = follow(&http, &b, "DELETE", &g2).await;
    assert_eq!(r.status, 204, "{}", r.text);
    calls(&r, 3, "unfollow");
    assert_eq!(follow(&http, &b, "DELETE", &g2).await.status, 204);
    // B leaves the private room: its files drop out of B's follows.
    let r = http.json("DELETE", &format!("/api/v1/groups/{rid}/members"), Some(&b.token), json!({})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = http.get("/api/v1/uploaded_files/followed_by_me", Some(&b.token)).await;
    assert_eq!(ids(&r), vec![own.clone()]);
    assert_eq!(follow(&http, &b, "POST", &g2).await.status, 404, "no longer visible");
    // And Shiku sees B's departure the same way.
    assert_eq!(shiku(&http, "/room/share/find", &b, &[("roomId", &rid)]).await.shiku_code(), 1010104);
}

async fn put(url: &str, headers: &Value, body: Vec<u8>) -> u16 {
    let mut rb = reqwest::Client::new().put(url).body(body);
    rb = rb.header("content-type", headers["Content-Type"].as_str().unwrap());
    rb.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn large_uploads_go_by_presigned_put_and_a_completion_call() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let [a, b] = <[Person; 2]>::try_from(people(&http, 2).await).ok().unwrap();
    let rid = room(&http, &a, &[&b], &[("isLook", "1"), ("isNeedVerify", "1")]).await;
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let body =
        json!({"name": "../big.bin", "content_type": "application/octet-stream", "size": bytes.len(), "group_id": rid});
    let r = http.json("POST", "/api/v1/uploaded_files/presigned", Some(&b.token), body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let d = r.body.clone();
    assert_eq!(
        (d["name"].clone(), d["group_id"].clone(), d["method"].clone()),
        (json!("big.bin"), json!(rid), json!("PUT"))
    );
    assert_eq!(d["headers"]["Content-Length"], json!(bytes.len().to_string()));
    let signed = d["upload_url"]
        .as_str()
        .unwrap()
        .split("X-Amz-SignedHeaders=")
        .nth(1)
        .unwrap_or("")
        .split('&')
        .next()
        .unwrap()
        .to_string();
    assert!(signed.contains("content-type") && signed.contains("content-length"), "signed headers: {signed}");
    let fid = d["id"].as_str().unwrap().to_string();
    let complete = format!("/api/v1/uploaded_files/{fid}/complete");
    // Not uploaded yet; not mine.
    assert_eq!(http.json("POST", &complete, Some(&b.token), json!({})).await.status, 400);
    assert_eq!(http.json("POST", &complete, Some(&a.token), json!({})).await.status, 404);
    assert_eq!(put(d["upload_url"].as_str().unwrap(), &d["headers"], bytes.clone()).await, 200);
    let r = http.json("POST", &complete, Some(&b.token), json!({})).await;
    assert_eq!(
        (r.status, r.body["size"].clone(), r.body["group_id"].clone()),
        (201, json!(300_000), json!(rid)),
        "{}",
        r.text
    );
    let url = r.body["url"].as_str().unwrap().to_string();
    assert_eq!(crate::files_shares::fetch(&url).await, bytes);
    let r = http.json("POST", &complete, Some(&b.token), json!({})).await;
    assert_eq!(r.status, 200, "completing again answers the file");
    let r = http.get(&format!("/api/v1/uploaded_files/in_group/{rid}"), Some(&a.token)).await;
    assert_eq!(ids(&r), vec![fid.clone()]);
    // A different object than signed (the emulator does not enforce the signature): refused.
    let body = json!({"name": "x.bin", "content_type": "application/pdf", "size": 10});
    let d = http.json("POST", "/api/v1/uploaded_files/presigned", Some(&a.token), body).await.body;
    let wrong = json!({"Content-Type": "application/pdf"});
    put(d["upload_url"].as_str().unwrap(), &wrong, vec![1u8; 11]).await;
    let r = http
        .json(
            "POST",
            &format!("/api/v1/uploaded_files/{}/complete", d["id"].as_str().unwrap()),
            Some(&a.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    // Bad requests.
    let (big, name) = (json!(1_073_741_825i64), json!("n"));
    for body in [
        json!({"content_type": "a/b", "size": 1}),
        json!({"name": name, "size": 1}),
        json!({"name": name, "content_type": "a/b"}),
        json!({"name": name, "content_type": "a/b", "size": 0}),
        json!({"name": name, "content_type": "a/b", "size": big}),
        json!({"name": name, "content_type": "a/b", "size": "x"}),
        json!({"name": name, "content_type": "text/html; charset=x", "size": 1}),
        json!({"name": name, "content_type": "nothing", "size": 1}),
        json!({"name": name, "content_type": "a/b", "size": 1, "visibility": "all"}),
    ] {
        let r = http.json("POST", "/api/v1/uploaded_files/presigned", Some(&a.token), body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
    }
    let outsider = register(&http, &phone(), "secret1", "O").await;
    let body = json!({"name": "n", "content_type": "a/b", "size": 1, "group_id": rid});
    assert_eq!(http.json("POST", "/api/v1/uploaded_files/presigned", Some(&outsider.token), body).await.status, 404);
    assert_eq!(http.json("POST", "/api/v1/uploaded_files/presigned", None, json!({})).await.status, 401);
    assert_eq!(
        http.json("POST", "/api/v1/uploaded_files/nosuchfile/complete", Some(&a.token), json!({})).await.status,
        404
    );
}

/// Records created in the same millisecond page without loss or repeats (the cursor is a
/// position: millisecond + how many of that millisecond were passed).
#[tokio::test]
async fn same_millisecond_records_page_exactly_once() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let up = upload(&http, &a, "x.txt", b"x", &[]).await;
    let base = shared::store::files::get(&app.ctx.db, up.body["id"].as_str().unwrap()).await.unwrap().unwrap();
    let ms = base.created_at - 10_000;
    let mut made = vec![];
    for i in 0..5 {
        let mut rec = base.clone();
        rec.id = format!("{ms:013}{i:024x}");
        rec.created_at = ms;
        shared::store::files::put(&app.ctx.db, &rec).await.unwrap();
        made.push(rec.id);
    }
    made.reverse();
    made.insert(0, base.id.clone());
    for limit in [1, 2, 3] {
        let (mut seen, mut cursor) = (vec![], String::new());
        loop {
            let r =
                http.get(&format!("/api/v1/uploaded_files/uploaded_by_me?limit={limit}{cursor}"), Some(&a.token)).await;
            assert_eq!(r.status, 200, "{}", r.text);
            seen.extend(ids(&r));
            match r.body["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(seen, made, "limit {limit}");
    }
    for bad in ["1.0", "1.1000001", "1234567890123456.1", ".1", "1.", "1.1.1", "-1.1"] {
        let r = http.get(&format!("/api/v1/uploaded_files/uploaded_by_me?cursor={bad}"), Some(&a.token)).await;
        assert_eq!(r.status, 400, "{bad}");
    }
}
