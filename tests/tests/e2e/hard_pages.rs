//! HTTP lists stay under Lambda's 6 MB response limit (issue #9, item 10): a message page
//! stops early at a whole message and the client continues from the last one it got.

use e2e::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// 20 messages of 60 000 control characters: each renders as 360 KB of JSON (`\u0001`), 420 KB
/// in the Lambda envelope, so 15 of them (what one 1 MB DynamoDB Query returns) exceed 6 MB.
async fn heavy_group(http: &Http) -> (Person, String, String) {
    let a = register(http, &phone(), "secret1", "A").await;
    let b = register(http, &phone(), "secret1", "B").await;
    let (mx, _) = minxing_login(http, &a.phone, "secret1").await;
    let r = http.json("POST", "/api/v1/conversations2", Some(&mx), json!({"user_ids": [b.uid], "name": "big"})).await;
    let cid = r.body["id"].as_str().unwrap().to_string();
    let body = "\u{1}".repeat(60_000);
    for _ in 0..20 {
        let r = http
            .json("POST", &format!("/api/v1/conversations2/{cid}/messages"), Some(&mx), json!({"body": body}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    (a, mx, cid)
}

#[tokio::test]
async fn message_pages_stop_before_the_lambda_response_limit() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let (a, mx, cid) = heavy_group(&http).await;

    // Minxing: newest first, `before_seq` from the oldest message received.
    let mut seen = BTreeSet::new();
    let mut before: Option<i64> = None;
    let mut pages = 0;
    loop {
        let q = before.map(|b| format!("&before_seq={b}")).unwrap_or_default();
        let r = http.get(&format!("/api/v1/conversations2/{cid}?limit=200{q}"), Some(&mx)).await;
        assert_eq!(r.status, 200, "page {pages}: {}", &r.text[..r.text.len().min(300)]);
        let msgs = r.body["messages"].as_array().unwrap().clone();
        if msgs.is_empty() {
            break;
        }
        pages += 1;
        assert!(msgs.len() < 15 || pages > 1, "the first page was cut by bytes: {}", msgs.len());
        for m in &msgs {
            assert!(seen.insert(m["seq"].as_i64().unwrap()), "seq {} twice", m["seq"]);
            assert_eq!(m["body"].as_str().map(str::len), Some(60_000));
        }
        before = msgs.iter().filter_map(|m| m["seq"].as_i64()).min();
        assert!(pages < 10);
    }
    assert_eq!(seen.len(), 20, "every message exactly once");
    assert!(pages >= 2);

    // Shiku room history: the page keeps the newest messages; older ones come with endTime.
    let r = http
        .shiku("/tigase/shiku_muc_msgs", &[("access_token", &a.token), ("roomId", &cid), ("pageSize", "200")])
        .await;
    let page: Vec<Value> = r.shiku_ok().as_array().unwrap().clone();
    assert!(!page.is_empty() && page.len() < 20, "{}", page.len());
}
