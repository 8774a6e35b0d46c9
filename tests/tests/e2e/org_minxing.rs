//! Minxing `GET /api/v1/departments` and `/api/v1/departments/search`: the Shiku org
//! directory seen from Minxing (a Shiku company is a root of the caller's directory).

use e2e::*;
use serde_json::{json, Value};

async fn shiku(http: &Http, path: &str, p: &Person, form: &[(&str, &str)]) -> Value {
    http.shiku_as(path, &p.token, form).await.shiku_ok().clone()
}

fn ids(items: &Value, key: &str) -> Vec<Value> {
    items.as_array().unwrap_or_else(|| panic!("not a list: {items}")).iter().map(|x| x[key].clone()).collect()
}

#[tokio::test]
async fn mx_departments_show_shiku_companies() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 3).await;
    let (a, b, outsider) = (&p[0], &p[1], &p[2]);
    let (tok_b, _) = minxing_login(&http, &b.phone, "secret1").await;
    let (tok_o, _) = minxing_login(&http, &outsider.phone, "secret1").await;

    let c = shiku(&http, "/org/company/create", a, &[("companyName", "Cross Co")]).await;
    let cid = c["id"].to_string();
    let root = c["rootDpartId"].as_str().unwrap().to_string();
    let d =
        shiku(&http, "/org/department/create", a, &[("companyId", &cid), ("parentId", &cid), ("departName", "Ops")])
            .await;
    let ops = d["id"].as_str().unwrap().to_string();
    let bl = format!("[{}]", b.uid);
    shiku(&http, "/org/employee/add", a, &[("companyId", &cid), ("departmentId", &ops), ("userId", &bl)]).await;
    let bu = b.uid.to_string();
    shiku(
        &http,
        "/org/employee/modifyPosition",
        a,
        &[("companyId", &cid), ("userId", &bu), ("position", "Night Shift")],
    )
    .await;

    let r = http.get("/api/v1/departments", Some(&tok_b)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let items = &r.body["items"];
    assert_eq!(ids(items, "id"), vec![json!(cid), json!(root), json!(ops)], "{items}");
    assert_eq!(ids(items, "type"), vec![json!("company"), json!("department"), json!("department")]);
    assert_eq!(items[0]["user_count"], 2);
    assert_eq!(items[2]["parent_id"], json!(root));
    assert!(r.ddb_calls() <= 3, "departments of 1 company: {} calls", r.ddb_calls());

    let r = http.get(&format!("/api/v1/departments?department_id={ops}"), Some(&tok_b)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let users = &r.body["items"][0]["users"];
    assert_eq!(ids(users, "id"), vec![json!(b.uid)], "{}", r.text);
    assert_eq!(users[0]["position"], "Night Shift");
    assert!(r.ddb_calls() <= 3, "{} calls", r.ddb_calls());

    // outsiders: an empty directory; someone else's department: 404
    let r = http.get("/api/v1/departments", Some(&tok_o)).await;
    assert_eq!((r.status, r.body["items"].clone()), (200, json!([])));
    let r = http.get(&format!("/api/v1/departments?department_id={ops}"), Some(&tok_o)).await;
    assert_eq!(r.status, 404, "{}", r.text);
    for bad in ["department_id=x", "department_id=1"] {
        let r = http.get(&format!("/api/v1/departments?{bad}"), Some(&tok_b)).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
    }
    assert_eq!(http.get("/api/v1/departments", None).await.status, 401);

    // search: q over nickname and position, department subtree, paging by cursor
    let r = http.get("/api/v1/departments/search?q=night", Some(&tok_b)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(ids(&r.body["items"], "id"), vec![json!(b.uid)]);
    assert!(r.ddb_calls() <= 3, "search: {} calls", r.ddb_calls());
    let r = http.get("/api/v1/departments/search?q=p0", Some(&tok_b)).await;
    assert_eq!(ids(&r.body["items"], "id"), vec![json!(a.uid)]);
    let r = http.get(&format!("/api/v1/departments/search?department_id={ops}"), Some(&tok_b)).await;
    assert_eq!(ids(&r.body["items"], "id"), vec![json!(b.uid)], "subtree of Ops");
    let r = http.get(&format!("/api/v1/departments/search?department_id={root}"), Some(&tok_b)).await;
    assert_eq!(ids(&r.body["items"], "id"), vec![json!(a.uid), json!(b.uid)], "the root's subtree is everyone");
    let r = http.get("/api/v1/departments/search?limit=1", Some(&tok_b)).await;
    assert_eq!(ids(&r.body["items"], "id"), vec![json!(a.uid)]);
    let next = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = http.get(&format!("/api/v1/departments/search?limit=1&cursor={next}"), Some(&tok_b)).await;
    assert_eq!(ids(&r.body["items"], "id"), vec![json!(b.uid)]);
    assert_eq!(r.body["next_cursor"], Value::Null);
    for bad in ["limit=0", "limit=101", "limit=x", "cursor=zzz", "department_id=1.x"] {
        let r = http.get(&format!("/api/v1/departments/search?{bad}"), Some(&tok_b)).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
    }
    let r = http.get(&format!("/api/v1/departments/search?department_id={ops}"), Some(&tok_o)).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = http.get("/api/v1/departments/search?q=night", Some(&tok_o)).await;
    assert_eq!((r.status, r.body["items"].clone()), (200, json!([])));

    // a deleted company leaves the directory
    shiku(&http, "/org/company/delete", a, &[("companyId", &cid)]).await;
    let r = http.get("/api/v1/departments", Some(&tok_b)).await;
    assert_eq!(r.body["items"], json!([]));
}
