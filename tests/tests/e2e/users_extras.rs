//! Presence, favourites, nearby, key pairs, reports and channel ids (the `users` function,
//! Shiku routes) through real HTTP/WebSocket.

use e2e::*;
use serde_json::json;
use shared::store::ItemExt;
use std::time::Duration;

#[tokio::test]
async fn presence_from_live_websockets() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let bu = b.uid.to_string();
    let r = http.shiku("/user/getOnLine", &sh(&a.token, &[("userId", &bu)])).await;
    assert_eq!(r.shiku_ok().clone(), json!(0));
    let ws = Ws::connect(&app, &b.token).await.unwrap();
    let r = http.shiku("/user/getOnLine", &sh(&a.token, &[("userId", &bu)])).await;
    assert_eq!(r.shiku_ok().clone(), json!(1));
    let r = http.shiku("/user/getUserStatusCount", &sh(&a.token, &[])).await;
    let d = r.shiku_ok().clone();
    assert_eq!((d[0]["type"].clone(), d[0]["count"].clone(), d[1]["type"].clone()), (json!(1), json!(1), json!(0)));
    // Offline = every account (A, B and the provisioned operator) minus the online ones.
    let offline = d[1]["count"].as_i64().unwrap();
    assert!((1..=2).contains(&offline), "{d}");
    assert!(r.ddb_calls() <= 2, "no Scan: token + one BatchGetItem, got {}", r.ddb_calls());
    ws.close().await;
    let mut state = json!(1);
    for _ in 0..50 {
        state = http.shiku("/user/getOnLine", &sh(&a.token, &[("userId", &bu)])).await.shiku_ok().clone();
        if state == json!(0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state, json!(0), "offline after disconnect");
    let r = http.shiku("/user/getUserStatusCount", &sh(&a.token, &[("type", "1")])).await;
    assert_eq!(r.shiku_ok()[0]["count"], 0);
    let r = http.shiku("/user/getUserStatusCount", &sh(&a.token, &[("type", "0")])).await;
    assert_eq!(r.shiku_ok()[0]["count"].as_i64(), Some(offline + 1));
    let r = http.shiku("/user/getUserStatusCount", &sh(&a.token, &[("type", "5")])).await;
    assert_eq!(r.shiku_code(), 1010101);
    let r = http.shiku("/user/getOnLine", &sh(&a.token, &[("userId", "99999999")])).await;
    assert_eq!(r.shiku_code(), 1010104);
}

#[tokio::test]
async fn favourites_are_private_to_their_owner() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let r = http
        .shiku(
            "/emoji/add",
            &sh(&a.token, &[("url", "http://x/e.gif"), ("type", "6"), ("msgId", "m1"), ("roomJid", "r1")]),
        )
        .await;
    let emoji = r.shiku_ok()["emojiId"].as_str().unwrap().to_string();
    let r = http.shiku("/emoji/add", &sh(&a.token, &[("url", "http://x/p.jpg"), ("type", "1")])).await;
    let photo = r.shiku_ok()["emojiId"].as_str().unwrap().to_string();
    http.shiku("/emoji/add", &sh(&a.token, &[("msg", "note to self"), ("type", "5")])).await.shiku_ok();

    let r = http.shiku("/emoji/list", &sh(&a.token, &[])).await;
    let list = r.shiku_ok().as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0]["emojiId"].clone(), list[0]["url"].clone(), list[0]["msgId"].clone(), list[0]["roomJid"].clone()),
        (json!(emoji), json!("http://x/e.gif"), json!("m1"), json!("r1"))
    );
    let r = http.shiku("/collection/list", &sh(&a.token, &[("type", "1")])).await;
    assert_eq!(r.shiku_ok()[0]["emojiId"], photo.as_str());
    let r = http.shiku("/collection/list", &sh(&a.token, &[])).await;
    assert_eq!(r.shiku_ok().as_array().unwrap().len(), 3);
    assert_eq!(r.shiku_ok()[0]["type"], 5, "newest first across types");
    let r = http.shiku("/collection/list", &sh(&a.token, &[("pageSize", "2"), ("pageIndex", "1")])).await;
    assert_eq!(r.shiku_ok().as_array().unwrap().len(), 1);
    let r = http.shiku("/emoji/list", &sh(&b.token, &[])).await;
    assert_eq!(r.shiku_ok().as_array().unwrap().len(), 0);
    let au = a.uid.to_string();
    let r = http.shiku("/emoji/list", &sh(&b.token, &[("userId", &au)])).await;
    assert_eq!(r.shiku_code(), 1030103);

    let r = http.shiku("/emoji/delete", &sh(&b.token, &[("emojiId", &emoji)])).await;
    assert_eq!(r.shiku_code(), 1010104, "B cannot delete A's favourite");
    let both = format!("{emoji},{}", "0000000000000000000-6");
    let r = http.shiku("/emoji/delete", &sh(&a.token, &[("emojiId", &both)])).await;
    assert_eq!(r.shiku_code(), 1010104, "all or nothing");
    assert_eq!(http.shiku("/emoji/list", &sh(&a.token, &[])).await.shiku_ok().as_array().unwrap().len(), 1);
    http.shiku("/emoji/delete", &sh(&a.token, &[("emojiId", &emoji)])).await.shiku_ok();
    assert_eq!(http.shiku("/emoji/list", &sh(&a.token, &[])).await.shiku_ok().as_array().unwrap().len(), 0);
    let r = http.shiku("/emoji/delete", &sh(&a.token, &[("emojiId", &emoji)])).await;
    assert_eq!(r.shiku_code(), 1010104);

    for (bad, code) in [
        (vec![("url", "http://x"), ("type", "9")], 1010101),
        (vec![("type", "1")], 1010102),
        (vec![("url", "a b"), ("type", "1")], 1010101),
    ] {
        let r = http.shiku("/emoji/add", &sh(&a.token, &bad)).await;
        assert_eq!(r.shiku_code(), code, "{bad:?}");
    }
    let r = http.shiku("/emoji/delete", &sh(&a.token, &[("emojiId", "../x")])).await;
    assert_eq!(r.shiku_code(), 1010104);
    let r = http.shiku("/collection/list", &sh(&a.token, &[("type", "8")])).await;
    assert_eq!(r.shiku_code(), 1010101);
}

#[tokio::test]
async fn nearby_and_newest_users() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let c = register(&http, &phone(), "secret1", "C").await;
    let d = register(&http, &phone(), "secret1", "D").await;
    for (p, lat, lng) in
        [(&a, "22.61", "114.06"), (&b, "22.62", "114.06"), (&c, "39.9", "116.4"), (&d, "22.59", "114.09")]
    {
        http.shiku("/user/update", &sh(&p.token, &[("latitude", lat), ("longitude", lng)])).await.shiku_ok();
    }
    let r = http.shiku("/nearby/user", &sh(&a.token, &[("latitude", "22.61"), ("longitude", "114.06")])).await;
    let list = r.shiku_ok().as_array().unwrap().clone();
    let ids: Vec<i64> = list.iter().map(|u| u["userId"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![b.uid, d.uid], "nearest first, self and Beijing left out");
    let dist = list[0]["distance"].as_i64().unwrap();
    assert!((1000..1200).contains(&dist), "{dist}");
    assert!(r.ddb_calls() <= 11, "token + 9 cell Queries + 1 BatchGetItem, got {}", r.ddb_calls());
    let r = http
        .shiku(
            "/nearby/user",
            &sh(&a.token, &[("latitude", "22.61"), ("longitude", "114.06"), ("pageSize", "1"), ("pageIndex", "1")]),
        )
        .await;
    assert_eq!(r.shiku_ok()[0]["userId"].as_i64(), Some(d.uid));
    let r = http
        .shiku("/nearby/user", &sh(&a.token, &[("latitude", "22.61"), ("longitude", "114.06"), ("nickname", "d")]))
        .await;
    assert_eq!(r.shiku_ok().as_array().unwrap().len(), 1);
    let r = http.shiku("/nearby/user", &sh(&a.token, &[("latitude", "91"), ("longitude", "114.06")])).await;
    assert_eq!(r.shiku_code(), 1010101);
    let r = http.shiku("/nearby/user", &sh(&a.token, &[("latitude", "22.61"), ("longitude", "-181")])).await;
    assert_eq!(r.shiku_code(), 1010101);
    let r = http.shiku("/nearby/user", &sh(&a.token, &[("latitude", "22.61")])).await;
    assert_eq!(r.shiku_code(), 1010102);
    // Moving updates the index: B leaves for Beijing.
    http.shiku("/user/update", &sh(&b.token, &[("latitude", "39.9"), ("longitude", "116.41")])).await.shiku_ok();
    let r = http.shiku("/nearby/user", &sh(&a.token, &[("latitude", "22.61"), ("longitude", "114.06")])).await;
    let ids: Vec<i64> = r.shiku_ok().as_array().unwrap().iter().map(|u| u["userId"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![d.uid]);

    let r = http.shiku("/nearby/newUser", &sh(&a.token, &[("pageSize", "2")])).await;
    let ids: Vec<i64> = r.shiku_ok().as_array().unwrap().iter().map(|u| u["userId"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![d.uid, c.uid]);
    let r = http.shiku("/nearby/newUser", &sh(&a.token, &[("pageSize", "2"), ("pageIndex", "1")])).await;
    let ids: Vec<i64> = r.shiku_ok().as_array().unwrap().iter().map(|u| u["userId"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![b.uid, a.uid]);
    assert!(r.ddb_calls() <= 2);
}

#[tokio::test]
async fn key_pairs_private_key_only_to_its_owner() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let au = a.uid.to_string();
    let r = http
        .shiku(
            "/authkeys/uploadPayKey",
            &sh(&a.token, &[("publicKey", "PUB-A"), ("privateKey", "PRIV-A-SECRET"), ("mac", "m")]),
        )
        .await;
    r.shiku_ok();
    let r = http.shiku("/authkeys/getPayPrivateKey", &sh(&a.token, &[])).await;
    assert_eq!(
        (r.shiku_ok()["privateKey"].clone(), r.shiku_ok()["publicKey"].clone()),
        (json!("PRIV-A-SECRET"), json!("PUB-A"))
    );
    let it = app.ctx.db.get(format!("USER#{}", a.uid), "KEY#pay").await.unwrap().unwrap();
    let raw = format!("{it:?}");
    assert!(!raw.contains("PRIV-A-SECRET"), "encrypted at rest");
    let r = http.shiku("/authkeys/getPayPrivateKey", &sh(&b.token, &[("userId", &au)])).await;
    assert_eq!(r.shiku_code(), 1030103);
    let r = http.shiku("/authkeys/getPayPrivateKey", &sh(&b.token, &[])).await;
    assert_eq!(r.shiku_code(), 1010104, "B has no pay key of its own");
    let r = http.shiku("/authkeys/uploadPayKey", &sh(&a.token, &[("publicKey", "P"), ("privateKey", "Q")])).await;
    assert_eq!(r.shiku_code(), 1010102, "mac is required");

    let r = http
        .shiku(
            "/authkeys/uploadMsgKey",
            &sh(
                &a.token,
                &[
                    ("rsaPublicKey", "RSA-PUB"),
                    ("rsaPrivateKey", "RSA-PRIV"),
                    ("dhPublicKey", "DH-PUB"),
                    ("dhPrivateKey", "DH-PRIV"),
                    ("mac", "m"),
                ],
            ),
        )
        .await;
    r.shiku_ok();
    let r = http.shiku("/authkeys/getDHMsgKeyList", &sh(&b.token, &[("userId", &au)])).await;
    let list = r.shiku_ok().as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0]["userId"].as_i64(), list[0]["publicKey"].clone()), (Some(a.uid), json!("DH-PUB")));
    assert!(!r.text.contains("DH-PRIV"));
    http.shiku("/authkeys/uploadDhMsgKey", &sh(&a.token, &[("publicKey", "DH2"), ("privateKey", "x"), ("mac", "m")]))
        .await
        .shiku_ok();
    http.shiku("/authkeys/uploadRsaMsgKey", &sh(&a.token, &[("publicKey", "R2"), ("privateKey", "x"), ("mac", "m")]))
        .await
        .shiku_ok();
    let r = http.shiku("/authkeys/getDHMsgKeyList", &sh(&a.token, &[])).await;
    assert_eq!(r.shiku_ok()[0]["publicKey"], "DH2");
    let r = http.shiku("/authkeys/getDHMsgKeyList", &sh(&a.token, &[("userId", "99999999")])).await;
    assert_eq!(r.shiku_ok().as_array().unwrap().len(), 0);
    let r = http
        .shiku(
            "/authkeys/uploadMsgKey",
            &sh(&a.token, &[("rsaPublicKey", "x"), ("rsaPrivateKey", "y"), ("dhPublicKey", "z"), ("mac", "m")]),
        )
        .await;
    assert_eq!(r.shiku_code(), 1010102, "DH half without its private key");

    http.shiku("/user/uploadKey", &sh(&a.token, &[("publicKey", "U-PUB"), ("privateKey", "U-PRIV")])).await.shiku_ok();
    let it = app.ctx.db.get(format!("USER#{}", a.uid), "KEY#user").await.unwrap().unwrap();
    assert_eq!(it.str("publicKey"), Some("U-PUB"));
    let r = http.shiku("/user/uploadKey", &sh(&a.token, &[("publicKey", "U-PUB")])).await;
    assert_eq!(r.shiku_code(), 1010102);
}

#[tokio::test]
async fn reports_channel_ids_and_wechat_codes_are_stored() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let (au, bu) = (a.uid.to_string(), b.uid.to_string());
    http.shiku("/user/report", &sh(&a.token, &[("toUserId", &bu), ("reason", "3")])).await.shiku_ok();
    for (bad, code) in [
        (vec![("toUserId", "99999999"), ("reason", "3")], 1010104),
        (vec![("reason", "3")], 1010102),
        (vec![("toUserId", bu.as_str())], 1010102),
        (vec![("toUserId", au.as_str()), ("reason", "1")], 1010101),
        (vec![("roomId", "nope"), ("reason", "1")], 1010104),
    ] {
        let r = http.shiku("/user/report", &sh(&a.token, &bad)).await;
        assert_eq!(r.shiku_code(), code, "{bad:?}: {}", r.text);
    }
    http.shiku("/user/channelId/set", &sh(&a.token, &[("device", "3"), ("channelId", "ch-ios")])).await.shiku_ok();
    let r = http.shiku("/user/channelId/set", &sh(&a.token, &[("device", "9"), ("channelId", "x")])).await;
    assert_eq!(r.shiku_code(), 1010101);
    let r = http.shiku("/user/channelId/set", &sh(&a.token, &[("device", "4")])).await;
    assert_eq!(r.shiku_code(), 1010102);
    http.shiku("/user/bind/wxcode", &sh(&a.token, &[("code", "wx-code-1")])).await.shiku_ok();
    let r = http.shiku("/user/bind/wxcode", &sh(&a.token, &[])).await;
    assert_eq!(r.shiku_code(), 1010102);
    let it = app.ctx.db.get(format!("USER#{}", a.uid), "PROFILE").await.unwrap().unwrap();
    assert_eq!((it.str("pushChannel3"), it.str("wxCode")), (Some("ch-ios"), Some("wx-code-1")));
}
