//! Shiku org directory (`/org/*`): companies, departments, employees; authorization (others:
//! 1010104, employees lacking the role: 1030103), bad input, and the call budgets of issue #13
//! (`x-ddb-calls`, the token lookup included).

use e2e::*;
use serde_json::{json, Value};

const NOT_FOUND: i64 = 1010104;
const FORBIDDEN: i64 = 1030103;
const INVALID: i64 = 1010101;
const MISSING: i64 = 1010102;
const CONFLICT: i64 = 1010105;

async fn call(http: &Http, path: &str, p: &Person, form: &[(&str, &str)]) -> Resp {
    let r = http.shiku_as(path, &p.token, form).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    r
}

async fn ok(http: &Http, path: &str, p: &Person, form: &[(&str, &str)]) -> Value {
    call(http, path, p, form).await.shiku_ok().clone()
}

async fn code(http: &Http, path: &str, p: &Person, form: &[(&str, &str)]) -> i64 {
    call(http, path, p, form).await.shiku_code()
}

/// A company created by `p`: (companyId as text, root department id).
async fn company(http: &Http, p: &Person, name: &str) -> (String, String) {
    let d = ok(http, "/org/company/create", p, &[("companyName", name)]).await;
    (d["id"].to_string(), d["rootDpartId"].as_str().unwrap().to_string())
}

async fn add(http: &Http, p: &Person, cid: &str, did: &str, who: &[&Person]) -> Value {
    let ids = json!(who.iter().map(|x| x.uid).collect::<Vec<_>>()).to_string();
    ok(http, "/org/employee/add", p, &[("companyId", cid), ("departmentId", did), ("userId", &ids)]).await
}

fn uids(list: &Value) -> Vec<i64> {
    let mut v: Vec<i64> = list.as_array().unwrap().iter().map(|e| e["userId"].as_i64().unwrap()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn org_company_lifecycle_and_roles() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 4).await;
    let (a, b, c, outsider) = (&p[0], &p[1], &p[2], &p[3]);

    let me = a.uid.to_string();
    let d = ok(&http, "/org/company/create", a, &[("companyName", "ACME"), ("createUserId", &me)]).await;
    for f in [
        "companyName",
        "createTime",
        "createUserId",
        "deleteTime",
        "deleteUserId",
        "departments",
        "empNum",
        "id",
        "noticeContent",
        "noticeTime",
        "rootDpartId",
        "type",
    ] {
        assert!(d.get(f).is_some(), "Company.{f} missing: {d}");
    }
    assert_eq!(
        (d["companyName"].as_str(), d["createUserId"].as_i64(), d["empNum"].as_i64()),
        (Some("ACME"), Some(a.uid), Some(1))
    );
    let cid = d["id"].to_string();
    let root = d["rootDpartId"].as_str().unwrap().to_string();
    assert_eq!(d["departments"][0]["parentId"], json!(cid), "the root's parent is the company: {d}");
    assert_eq!(d["departments"][0]["employees"][0]["role"], 3, "{d}");
    assert_eq!(d["departments"][0]["employees"][0]["nickname"], "P0", "{d}");

    // createUserId is always the caller
    let other = b.uid.to_string();
    assert_eq!(
        code(&http, "/org/company/create", a, &[("companyName", "X"), ("createUserId", &other)]).await,
        FORBIDDEN
    );

    // outsiders see nothing; employees lacking the role are refused
    assert_eq!(code(&http, "/org/company/get", outsider, &[("companyId", &cid)]).await, NOT_FOUND);
    assert_eq!(code(&http, "/org/company/employees", outsider, &[("companyId", &cid)]).await, NOT_FOUND);
    let added = add(&http, a, &cid, &root, &[b, c]).await;
    assert_eq!(uids(&added), vec![b.uid, c.uid]);
    // existing employees are skipped
    let again = add(&http, a, &cid, &root, &[b, a]).await;
    assert_eq!(again, json!([]), "existing employees are skipped");
    let t = ok(&http, "/org/company/get", b, &[("companyId", &cid)]).await;
    assert_eq!(t["empNum"], 3, "{t}");
    assert_eq!(uids(&t["departments"][0]["employees"]), vec![a.uid, b.uid, c.uid]);
    assert_eq!(
        code(&http, "/org/company/modify", b, &[("companyId", &cid), ("companyName", "B Inc")]).await,
        FORBIDDEN
    );
    assert_eq!(code(&http, "/org/company/setManager", b, &[("companyId", &cid), ("managerId", "[]")]).await, MISSING);
    let cu = format!("[{}]", c.uid);
    assert_eq!(code(&http, "/org/company/setManager", b, &[("companyId", &cid), ("managerId", &cu)]).await, FORBIDDEN);
    let ou = format!("[{}]", outsider.uid);
    assert_eq!(code(&http, "/org/company/setManager", a, &[("companyId", &cid), ("managerId", &ou)]).await, NOT_FOUND);

    // the creator names a manager, who may then edit
    let bu = format!("[{}]", b.uid);
    ok(&http, "/org/company/setManager", a, &[("companyId", &cid), ("managerId", &bu)]).await;
    let m = ok(&http, "/org/company/managerList", c, &[("companyId", &cid)]).await;
    assert_eq!(uids(&m), vec![a.uid, b.uid]);
    for f in ["companyId", "departmentId", "id", "position", "role", "userId"] {
        assert!(m[0].get(f).is_some(), "managerList.{f}: {m}");
    }
    let v =
        ok(&http, "/org/company/modify", b, &[("companyId", &cid), ("companyName", "ACME 2"), ("noticeContent", "hi")])
            .await;
    assert_eq!((v["companyName"].as_str(), v["noticeContent"].as_str()), (Some("ACME 2"), Some("hi")));
    assert!(v["noticeTime"].as_i64().unwrap() > 0, "{v}");
    let role = ok(&http, "/org/employee/role", c, &[("companyId", &cid), ("userId", &b.uid.to_string())]).await;
    assert_eq!(role, 2);
    let eid = format!("{cid}.{}", c.uid);
    let e = ok(&http, "/org/employee/get", b, &[("employeeId", &eid)]).await;
    for f in ["companyId", "departmentId", "id", "nickname", "position", "role", "userId"] {
        assert!(e.get(f).is_some(), "Employee.{f}: {e}");
    }
    assert_eq!(
        (e["id"].as_str(), e["role"].as_i64(), e["nickname"].as_str()),
        (Some(eid.as_str()), Some(1), Some("P2"))
    );
    assert_eq!(code(&http, "/org/employee/get", outsider, &[("employeeId", &eid)]).await, NOT_FOUND);
    // the nickname copy follows a rename
    ok(&http, "/user/update", c, &[("nickname", "Carol")]).await;
    let e = ok(&http, "/org/employee/get", b, &[("employeeId", &eid)]).await;
    assert_eq!(e["nickname"], "Carol", "{e}");

    // Shiku /user/login companyId and one's own /user/get company/companyId
    let r =
        http.shiku("/user/login", &[("telephone", &c.phone), ("password", &shared::auth::md5_hex("secret1"))]).await;
    assert_eq!(r.shiku_ok()["companyId"].to_string(), cid, "{}", r.text);
    let r = http
        .shiku("/user/login", &[("telephone", &outsider.phone), ("password", &shared::auth::md5_hex("secret1"))])
        .await;
    assert_eq!(r.shiku_ok()["companyId"], 0, "{}", r.text);
    let u = ok(&http, "/user/get", c, &[]).await;
    assert_eq!(
        (u["companyId"].to_string(), u["company"]["companyName"].as_str()),
        (cid.clone(), Some("ACME 2")),
        "{u}"
    );
    let u = ok(&http, "/user/get", outsider, &[]).await;
    assert_eq!((u["companyId"].as_i64(), u["company"].is_null()), (Some(0), true), "{u}");
    // my companies
    let mine = ok(&http, "/org/company/getByUserId", c, &[("userId", &c.uid.to_string())]).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine[0]["id"].to_string(), cid);
    assert_eq!(code(&http, "/org/company/getByUserId", c, &[("userId", &a.uid.to_string())]).await, FORBIDDEN);
    let list = ok(&http, "/org/company/list", outsider, &[]).await;
    assert_eq!(list, json!([]), "outsiders list none");
    assert_eq!(
        ok(&http, "/org/company/list", c, &[("pageIndex", "0"), ("pageSize", "30")]).await.as_array().unwrap().len(),
        1
    );

    // quit: only oneself, never the creator
    assert_eq!(
        code(&http, "/org/company/quit", b, &[("companyId", &cid), ("userId", &c.uid.to_string())]).await,
        FORBIDDEN
    );
    assert_eq!(code(&http, "/org/company/quit", a, &[("companyId", &cid), ("userId", &me)]).await, FORBIDDEN);
    ok(&http, "/org/company/quit", c, &[("companyId", &cid), ("userId", &c.uid.to_string())]).await;
    assert_eq!(code(&http, "/org/company/get", c, &[("companyId", &cid)]).await, NOT_FOUND, "quit = outsider");
    let t = ok(&http, "/org/company/get", a, &[("companyId", &cid)]).await;
    assert_eq!((t["empNum"].as_i64(), t["departments"][0]["empNum"].as_i64()), (Some(2), Some(2)), "{t}");

    // delete: the creator only (userId = caller); then hidden everywhere
    assert_eq!(
        code(&http, "/org/company/delete", b, &[("companyId", &cid), ("userId", &b.uid.to_string())]).await,
        FORBIDDEN
    );
    assert_eq!(
        code(&http, "/org/company/delete", a, &[("companyId", &cid), ("userId", &b.uid.to_string())]).await,
        FORBIDDEN
    );
    ok(&http, "/org/company/delete", a, &[("companyId", &cid), ("userId", &me)]).await;
    assert_eq!(code(&http, "/org/company/get", a, &[("companyId", &cid)]).await, NOT_FOUND);
    assert_eq!(code(&http, "/org/company/employees", b, &[("companyId", &cid)]).await, NOT_FOUND);
    assert_eq!(code(&http, "/org/department/get", a, &[("departmentId", &root)]).await, NOT_FOUND);
    assert_eq!(ok(&http, "/org/company/getByUserId", b, &[]).await, json!([]));
    assert_eq!(ok(&http, "/org/department/list", a, &[]).await, json!([]));
    assert_eq!(code(&http, "/org/company/delete", a, &[("companyId", &cid), ("userId", &me)]).await, NOT_FOUND);
}

#[tokio::test]
async fn org_departments_and_employees() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 4).await;
    let (a, b, c, outsider) = (&p[0], &p[1], &p[2], &p[3]);
    let (cid, root) = company(&http, a, "Dept Co").await;
    add(&http, a, &cid, &root, &[b, c]).await;

    // parentId = companyId: under the root
    let sales = ok(
        &http,
        "/org/department/create",
        a,
        &[("companyId", &cid), ("parentId", &cid), ("departName", "Sales"), ("createUserId", &a.uid.to_string())],
    )
    .await;
    for f in ["companyId", "createTime", "createUserId", "departName", "empNum", "id", "parentId", "type"] {
        assert!(sales.get(f).is_some(), "Department.{f}: {sales}");
    }
    assert_eq!((sales["parentId"].as_str(), sales["type"].as_i64()), (Some(root.as_str()), Some(2)));
    let sid = sales["id"].as_str().unwrap().to_string();
    let east =
        ok(&http, "/org/department/create", a, &[("companyId", &cid), ("parentId", &sid), ("departName", "East")])
            .await;
    let eid = east["id"].as_str().unwrap().to_string();
    assert_eq!(
        code(&http, "/org/department/create", b, &[("companyId", &cid), ("parentId", &cid), ("departName", "B")]).await,
        FORBIDDEN
    );
    assert_eq!(
        code(
            &http,
            "/org/department/create",
            outsider,
            &[("companyId", &cid), ("parentId", &cid), ("departName", "O")]
        )
        .await,
        NOT_FOUND
    );
    let r = ok(&http, "/org/department/modify", a, &[("departmentId", &sid), ("dpartmentName", "Sales EU")]).await;
    assert_eq!(r["departName"], "Sales EU");
    let r = ok(&http, "/org/department/modify", a, &[("departmentId", &sid), ("departName", "Sales")]).await;
    assert_eq!(r["departName"], "Sales");
    assert_eq!(
        code(&http, "/org/department/modify", b, &[("departmentId", &sid), ("departName", "x")]).await,
        FORBIDDEN
    );

    // move b to Sales, c to East
    let bu = b.uid.to_string();
    let cu = c.uid.to_string();
    let m =
        ok(&http, "/org/employee/modifyDpart", a, &[("companyId", &cid), ("userId", &bu), ("newDepartmentId", &sid)])
            .await;
    assert_eq!(m["departmentId"].as_str(), Some(sid.as_str()));
    ok(&http, "/org/employee/modifyDpart", a, &[("companyId", &cid), ("userId", &cu), ("newDepartmentId", &eid)]).await;
    let gone = format!("{cid}.999");
    assert_eq!(
        code(
            &http,
            "/org/employee/modifyDpart",
            a,
            &[("companyId", &cid), ("userId", &cu), ("newDepartmentId", &gone)]
        )
        .await,
        NOT_FOUND
    );
    let g = ok(&http, "/org/department/get", c, &[("departmentId", &sid)]).await;
    assert_eq!((g["empNum"].as_i64(), uids(&g["employees"])), (Some(1), vec![b.uid]), "{g}");
    for path in ["/org/departmemt/empList", "/org/department/empList"] {
        let l = ok(&http, path, b, &[("departmentId", &eid)]).await;
        assert_eq!(uids(&l), vec![c.uid], "{path}");
        assert_eq!(l[0]["departmentName"], "East");
        assert_eq!(code(&http, path, outsider, &[("departmentId", &eid)]).await, NOT_FOUND);
    }
    let all = ok(&http, "/org/department/list", b, &[]).await;
    assert_eq!(all.as_array().unwrap().len(), 3, "{all}");

    // position (managers, ≤ 64), role (the creator, 1 ↔ 2)
    let pos =
        ok(&http, "/org/employee/modifyPosition", a, &[("companyId", &cid), ("userId", &cu), ("position", "Lead")])
            .await;
    assert_eq!(pos["position"], "Lead");
    let long = "x".repeat(65);
    assert_eq!(
        code(&http, "/org/employee/modifyPosition", a, &[("companyId", &cid), ("userId", &cu), ("position", &long)])
            .await,
        INVALID
    );
    assert_eq!(
        code(&http, "/org/employee/modifyPosition", b, &[("companyId", &cid), ("userId", &cu), ("position", "x")])
            .await,
        FORBIDDEN
    );
    let r = ok(&http, "/org/employee/modifyRole", a, &[("companyId", &cid), ("userId", &bu), ("role", "2")]).await;
    assert_eq!(r["role"], 2);
    assert_eq!(
        code(&http, "/org/employee/modifyRole", a, &[("companyId", &cid), ("userId", &bu), ("role", "3")]).await,
        INVALID
    );
    let au = a.uid.to_string();
    assert_eq!(
        code(&http, "/org/employee/modifyRole", b, &[("companyId", &cid), ("userId", &cu), ("role", "2")]).await,
        FORBIDDEN
    );
    assert_eq!(
        code(&http, "/org/employee/modifyRole", a, &[("companyId", &cid), ("userId", &au), ("role", "1")]).await,
        FORBIDDEN
    );
    // a manager (b) may now add, but only as employees (role 2: the creator only)
    let d = add(&http, b, &cid, &eid, &[outsider]).await;
    assert_eq!(uids(&d), vec![outsider.uid]);

    // delete: root and non-empty departments are refused
    assert_eq!(code(&http, "/org/department/delete", a, &[("departmentId", &root)]).await, CONFLICT);
    assert_eq!(code(&http, "/org/department/delete", a, &[("departmentId", &sid)]).await, CONFLICT);
    assert_eq!(code(&http, "/org/department/delete", c, &[("departmentId", &eid)]).await, FORBIDDEN);
    // employee/delete: managers; the creator never; ids must be in that department
    let ids = format!("[{}]", a.uid);
    assert_eq!(code(&http, "/org/employee/delete", b, &[("departmentId", &root), ("userIds", &ids)]).await, FORBIDDEN);
    let ids = format!("[{}]", b.uid);
    assert_eq!(code(&http, "/org/employee/delete", b, &[("departmentId", &eid), ("userIds", &ids)]).await, NOT_FOUND);
    let ids = format!("[{},{}]", c.uid, outsider.uid);
    ok(&http, "/org/employee/delete", b, &[("departmentId", &eid), ("userIds", &ids)]).await;
    assert_eq!(code(&http, "/org/company/get", c, &[("companyId", &cid)]).await, NOT_FOUND);
    ok(&http, "/org/department/delete", a, &[("departmentId", &eid)]).await;
    assert_eq!(code(&http, "/org/department/get", a, &[("departmentId", &eid)]).await, NOT_FOUND);
    let t = ok(&http, "/org/company/get", a, &[("companyId", &cid)]).await;
    assert_eq!(t["empNum"], 2, "{t}");
    assert_eq!(t["departments"].as_array().unwrap().len(), 2, "{t}");
}

#[tokio::test]
async fn org_bad_input_answers_the_envelope() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 3).await;
    let (a, b, c) = (&p[0], &p[1], &p[2]);
    let (cid, root) = company(&http, a, "Bad Co").await;
    let (other_cid, other_root) = company(&http, b, "Other Co").await;

    assert_eq!(http.shiku("/org/company/get", &[("companyId", &cid)]).await.shiku_code(), 1030101, "no token");
    assert_eq!(code(&http, "/org/company/create", a, &[]).await, MISSING);
    assert_eq!(code(&http, "/org/company/create", a, &[("companyName", &"n".repeat(65))]).await, INVALID);
    assert_eq!(code(&http, "/org/company/get", a, &[]).await, MISSING);
    assert_eq!(code(&http, "/org/company/get", a, &[("companyId", "abc")]).await, INVALID);
    assert_eq!(code(&http, "/org/company/get", a, &[("companyId", "-1")]).await, INVALID);
    assert_eq!(code(&http, "/org/company/get", a, &[("companyId", "999999")]).await, NOT_FOUND);
    assert_eq!(code(&http, "/org/company/get", a, &[("companyId", &other_cid)]).await, NOT_FOUND);
    assert_eq!(code(&http, "/org/department/get", a, &[("departmentId", "7")]).await, INVALID);
    assert_eq!(code(&http, "/org/department/get", a, &[("departmentId", "1.x")]).await, INVALID);
    assert_eq!(code(&http, "/org/department/get", a, &[("departmentId", &other_root)]).await, NOT_FOUND);
    assert_eq!(code(&http, "/org/employee/get", a, &[("employeeId", "nonsense")]).await, INVALID);
    assert_eq!(code(&http, "/org/employee/role", a, &[("companyId", &cid), ("userId", "x")]).await, INVALID);
    assert_eq!(
        code(&http, "/org/employee/role", a, &[("companyId", &cid), ("userId", &b.uid.to_string())]).await,
        NOT_FOUND
    );
    let add = |form: Vec<(&'static str, String)>| {
        let http = &http;
        async move {
            let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            code(http, "/org/employee/add", a, &f).await
        }
    };
    let base =
        |ids: &str| vec![("companyId", cid.clone()), ("departmentId", root.clone()), ("userId", ids.to_string())];
    assert_eq!(add(base("[1,")).await, INVALID, "malformed JSON list");
    assert_eq!(add(base("[\"x\"]")).await, INVALID, "not ids");
    assert_eq!(add(base("[{\"a\":1}]")).await, INVALID, "objects");
    assert_eq!(add(base("[]")).await, MISSING);
    let many = json!((1..=99).map(|i| 100_000 + i).collect::<Vec<i64>>()).to_string();
    assert_eq!(add(base(&many)).await, INVALID, "more than 98");
    assert_eq!(add(base("[999999999]")).await, NOT_FOUND, "unknown user");
    let cu = format!("[{}]", c.uid);
    assert_eq!(add(vec![("companyId", cid.clone()), ("userId", cu.clone())]).await, MISSING);
    assert_eq!(
        add(vec![("companyId", cid.clone()), ("departmentId", other_root.clone()), ("userId", cu.clone())]).await,
        NOT_FOUND,
        "a department of another company"
    );
    assert_eq!(
        add(vec![("companyId", cid.clone()), ("departmentId", format!("{cid}.77")), ("userId", cu.clone())]).await,
        NOT_FOUND,
        "an unknown department"
    );
    let mut with_role = base(&cu);
    with_role.push(("role", "3".into()));
    assert_eq!(add(with_role).await, INVALID, "role 3 never");
    // nothing was half-written
    let t = ok(&http, "/org/company/get", a, &[("companyId", &cid)]).await;
    assert_eq!(t["empNum"], 1, "{t}");
    assert_eq!(code(&http, "/org/employee/delete", a, &[("departmentId", &root), ("userIds", "[1,")]).await, INVALID);
    assert_eq!(code(&http, "/org/company/setManager", a, &[("companyId", &cid), ("managerId", "{}")]).await, INVALID);
    assert_eq!(
        code(
            &http,
            "/org/department/create",
            a,
            &[("companyId", &cid), ("parentId", &other_root), ("departName", "x")]
        )
        .await,
        NOT_FOUND
    );
    assert_eq!(code(&http, "/org/department/create", a, &[("companyId", &cid), ("departName", "x")]).await, MISSING);
    assert_eq!(code(&http, "/org/company/list", a, &[("pageSize", "0")]).await, INVALID);
}

/// Issue #13 budgets: a company of 99 employees; employee/add of 98 ≤ 4 calls; company/get,
/// department/list, company/employees = token + 1 Query; by-id reads ≤ 3.
#[tokio::test]
async fn org_call_budgets() {
    use shared::clock::Clock;
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 1).await;
    let a = &p[0];
    let now = shared::clock::SystemClock.now_ms();
    let mut ids = vec![];
    for i in 0..98 {
        let uid = 900_000 + i;
        shared::store::users::create_fixed(&app.ctx.db, now, shared::UserId(uid), &format!("E{i}"), &format!("emp{i}"))
            .await
            .unwrap();
        ids.push(uid);
    }
    let (cid, root) = company(&http, a, "Big Co").await;
    let list = json!(ids).to_string();
    let r =
        call(&http, "/org/employee/add", a, &[("companyId", &cid), ("departmentId", &root), ("userId", &list)]).await;
    assert_eq!(r.shiku_ok().as_array().unwrap().len(), 98);
    eprintln!("calls /org/employee/add (98): {}", r.ddb_calls());
    assert!(r.ddb_calls() <= 4, "employee/add of 98: {} calls", r.ddb_calls());

    let budget = [
        ("/org/company/get", vec![("companyId", cid.clone())], 2),
        ("/org/company/employees", vec![("companyId", cid.clone())], 2),
        ("/org/company/managerList", vec![("companyId", cid.clone())], 2),
        ("/org/department/list", vec![], 3),
        ("/org/department/get", vec![("departmentId", root.clone())], 3),
        ("/org/departmemt/empList", vec![("departmentId", root.clone())], 3),
        ("/org/employee/get", vec![("employeeId", format!("{cid}.900007"))], 3),
        ("/org/employee/role", vec![("companyId", cid.clone()), ("userId", "900007".into())], 3),
        (
            "/org/employee/modifyPosition",
            vec![("companyId", cid.clone()), ("userId", "900007".into()), ("position", "P".into())],
            3,
        ),
        ("/org/company/getByUserId", vec![], 3),
    ];
    for (path, form, max) in budget {
        let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = call(&http, path, a, &f).await;
        r.shiku_ok();
        eprintln!("calls {path}: {}", r.ddb_calls());
        assert!(r.ddb_calls() <= max, "{path}: {} calls > {max}", r.ddb_calls());
    }
    // writes by id: token + one BatchGetItem + one write
    let r =
        call(&http, "/org/department/create", a, &[("companyId", &cid), ("parentId", &cid), ("departName", "D")]).await;
    let did = r.shiku_ok()["id"].as_str().unwrap().to_string();
    let writes = [
        (
            "/org/department/create",
            vec![("companyId", cid.clone()), ("parentId", did.clone()), ("departName", "Sub".into())],
        ),
        ("/org/department/modify", vec![("departmentId", did.clone()), ("departName", "D2".into())]),
        (
            "/org/employee/modifyDpart",
            vec![("companyId", cid.clone()), ("userId", "900001".into()), ("newDepartmentId", did.clone())],
        ),
        (
            "/org/employee/modifyRole",
            vec![("companyId", cid.clone()), ("userId", "900002".into()), ("role", "2".into())],
        ),
        ("/org/company/setManager", vec![("companyId", cid.clone()), ("managerId", "[900003,900004]".into())]),
        ("/org/company/modify", vec![("companyId", cid.clone()), ("noticeContent", "n".into())]),
        ("/org/employee/delete", vec![("departmentId", did.clone()), ("userIds", "[900001]".into())]),
    ];
    eprintln!("calls /org/department/create: {}", r.ddb_calls());
    assert!(r.ddb_calls() <= 3, "department/create: {}", r.ddb_calls());
    for (path, form) in writes {
        let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = call(&http, path, a, &f).await;
        r.shiku_ok();
        eprintln!("calls {path}: {}", r.ddb_calls());
        assert!(r.ddb_calls() <= 3, "{path}: {} calls > 3", r.ddb_calls());
    }
    let t = ok(&http, "/org/company/get", a, &[("companyId", &cid)]).await;
    assert_eq!(t["empNum"], 98);
    assert_eq!(t["departments"].as_array().unwrap().len(), 3);
    assert_eq!(
        t["departments"][0]["employees"].as_array().unwrap().len(),
        98,
        "one moved out of the root (then removed)"
    );
}
