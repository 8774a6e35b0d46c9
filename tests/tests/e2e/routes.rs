//! Route check, runtime side (issue #10): every template route of infra/template.yaml, called
//! without auth and with dummy path values, answers the stub not-found (`AppError::RouteNotFound`,
//! marked by the header `x-route-unmatched: 1`) iff it is listed in infra/planned-routes.txt.
//! The static side (template ↔ match arms ↔ planned list) is local/gateway/tests/routes.rs.

use e2e::*;
use local_gateway::template::{Template, HTTP_DEFAULT_ROUTE};
use std::collections::BTreeSet;

/// `(method, path)` of infra/planned-routes.txt (`METHOD /path  Function` lines).
fn planned() -> BTreeSet<(String, String)> {
    let path = local_gateway::paths::workspace_root().join("infra/planned-routes.txt");
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_string(), f[1].to_string())
        })
        .collect()
}

/// `/a/{b}/c` → `/a/1/c` (every placeholder gets a dummy value).
fn fill(path: &str) -> String {
    path.split('/').map(|s| if s.starts_with('{') && s.ends_with('}') { "1" } else { s }).collect::<Vec<_>>().join("/")
}

#[tokio::test]
async fn planned_routes_answer_the_stub_not_found_and_built_ones_do_not() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let planned = planned();
    let t = Template::load(&local_gateway::paths::template_path()).unwrap();
    let routes: Vec<_> = t.http_routes.iter().filter(|r| r.path != HTTP_DEFAULT_ROUTE).collect();
    assert!(routes.len() > 200, "too few template routes: {}", routes.len());
    let calls = routes.iter().map(|r| {
        let method = if r.method == "ANY" { "POST" } else { r.method.as_str() };
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let rb = http.client.request(m, format!("{}{}", http.base, fill(&r.path)));
        http.send(rb)
    });
    let answers = futures_util::future::join_all(calls).await;
    let mut wrong = vec![];
    for (r, a) in routes.iter().zip(&answers) {
        let stub = a.headers.get("x-route-unmatched").is_some();
        let is_planned = planned.contains(&(r.method.clone(), r.path.clone()));
        if stub != is_planned {
            let what = if is_planned {
                "planned, yet answers (not the stub not-found)"
            } else {
                "not planned (so built), yet answers the stub not-found:"
            };
            wrong.push(format!("{} {} ({}): {what} {} {}", r.method, r.path, r.function, a.status, a.text));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} route(s) disagree with infra/planned-routes.txt:\n  {}",
        wrong.len(),
        wrong.join("\n  ")
    );
    // The stub not-found (a planned route's, or `$default`'s for a path the template lacks)
    // is the dialect's not-found: Shiku code 1010106, 404 elsewhere.
    let shiku = http.shiku("/no/such/route", &[]).await;
    assert_eq!(shiku.shiku_code(), 1010106, "{}", shiku.text);
    assert!(shiku.headers.get("x-route-unmatched").is_some());
    let minxing = http.get("/api/v1/no/such/route", None).await;
    assert_eq!(minxing.status, 404, "{}", minxing.text);
}
