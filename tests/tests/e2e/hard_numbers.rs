//! Client numbers never crash a handler (issue #9, low items): every template route, with each
//! dialect's credentials, gets extreme and malformed values in the numeric parameters the
//! dialects use. The answer is the dialect's own error or success, never a 5xx / internal error.

use e2e::*;
use futures_util::StreamExt;
use local_gateway::template::Template;

const NUMERIC: &[&str] = &[
    "pageIndex",
    "pageSize",
    "limit",
    "startTime",
    "endTime",
    "before_seq",
    "since_seq",
    "seq",
    "type",
    "userId",
    "toUserId",
    "size",
    "count",
    "offset",
    "time",
    "talkTime",
    "birthday",
    "latitude",
    "longitude",
    "distance",
    "message_type",
    "isRegister",
    "areaCode",
    "sex",
    "version",
    "maxUserSize",
    "status",
    "page",
    "per_page",
    "older_than",
    "newer_than",
    "friendId",
    "user_id",
    "timeLen",
    "minute",
    "days",
    "age",
];
const EXTREMES: &[&str] = &["9223372036854775807", "-9223372036854775808"];
/// Routes that end the session or change credentials: swept last, with their own tokens.
const SESSION_ENDING: &[&str] = &["logout", "password", "devices"];

fn path_for(template: &str) -> String {
    template
        .split('/')
        .map(|seg| if seg.starts_with('{') { "9223372036854775807" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

fn internal(r: &Resp) -> bool {
    r.status >= 500
        || r.body["resultCode"] == 1020101
        || r.body["message"].as_str().is_some_and(|m| m.contains("internal"))
        || r.body["error"] == "server_error"
}

#[tokio::test]
async fn extreme_numbers_never_crash_a_route() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let t = Template::load(&local_gateway::paths::template_path()).unwrap();
    let me = register(&http, &phone(), "secret1", "Edge").await;
    let (mx, _) = minxing_login(&http, &me.phone, "secret1").await;
    let r = http
        .json(
            "POST",
            "/sealtalk/user/login",
            None,
            serde_json::json!({"region": "86", "phone": me.phone, "password": "secret1"}),
        )
        .await;
    assert_eq!(r.body["code"], 200, "{}", r.text);
    let mut routes: Vec<_> = t.http_routes.iter().filter(|r| r.path != "$default").collect();
    routes.sort_by_key(|r| SESSION_ENDING.iter().any(|s| r.path.contains(s)));
    // One parameter at a time (an earlier parameter's validation would mask a later one's
    // arithmetic), 16 requests in flight.
    let mut jobs = vec![];
    for route in routes {
        let path = path_for(&route.path);
        let method = if route.method == "ANY" { "POST" } else { route.method.as_str() }.to_string();
        for k in NUMERIC {
            for v in EXTREMES {
                jobs.push((method.clone(), route.path.clone(), path.clone(), *k, *v));
            }
        }
    }
    let sent = jobs.len();
    let http = &http;
    let (token, mx) = (&me.token, &mx);
    let results: Vec<Option<String>> = futures_util::stream::iter(jobs)
        .map(|(method, template, path, k, v)| async move {
            let form = [(k, v), ("access_token", token.as_str())];
            let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let url = format!("{}{path}", http.base);
            let rb = if method == "GET" || method == "DELETE" {
                http.client.request(m, &url).query(&form)
            } else {
                http.client.request(m, &url).form(&form)
            };
            let r = http.send(rb.bearer_auth(mx)).await;
            internal(&r)
                .then(|| format!("{method} {template} {k}={v}: {} {}", r.status, &r.text[..r.text.len().min(160)]))
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let failures: Vec<String> = results.into_iter().flatten().collect();
    assert!(sent > 500, "{sent}");
    assert!(failures.is_empty(), "{} internal errors:\n{}", failures.len(), failures.join("\n"));
}
