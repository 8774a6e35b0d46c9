//! The objects tests/authz/matrix.tsv names (`{room}`, `{sgroup}`, `{company}`, …), made by the
//! owner A before any row runs, so every row that names an object is called with a real one
//! and its stranger/none cells test something. Rows that destroy or hand over their object
//! (dismiss, transfer, leave, delete) get one of their own (`{droom}`, `{tsgroup}`, …), so
//! the order of the `mut` rows does not decide what later rows find.

use e2e::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A (owner), B (member), C (stranger), D (extra: a further member of A's objects, the target
/// of kicks and removals so that B's refusal is an authorization answer, not "yourself"), E
/// (asks to join A's private groups: the pending requests A decides).
pub struct Fixtures {
    pub fx: BTreeMap<String, String>,
    pub tokens: [Option<String>; 5],
    pub people: Vec<Person>,
}

fn id_of(v: &Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
}

async fn shiku_data(http: &Http, p: &Person, path: &str, form: &[(&str, &str)]) -> Value {
    http.shiku_as(path, &p.token, form).await.shiku_ok().clone()
}

/// A private Minxing group of `owner` with `members`; answers its id.
async fn mgroup(http: &Http, owner: &Person, members: &[&Person], name: &str) -> String {
    let ids: Vec<i64> = members.iter().map(|p| p.uid).collect();
    let body = json!({"name": name, "public": false, "user_ids": ids});
    let r = http.json("POST", "/api/v1/groups", Some(&owner.token), body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    id_of(&r.body["id"])
}

/// A feed post of `p` in group `g`; answers its id.
async fn post(http: &Http, p: &Person, g: &str) -> String {
    let r = http.json("POST", "/api/v1/messages", Some(&p.token), json!({"body": "post", "group_id": g})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    id_of(&r.body["id"])
}

pub async fn make(http: &Http) -> Fixtures {
    let ps = people(http, 5).await;
    let (a, b, c, d, e) = (&ps[0], &ps[1], &ps[2], &ps[3], &ps[4]);
    let operator = console::login(http).await;
    let mut fx = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        fx.insert(k.to_string(), v);
    };
    put("owner", a.uid.to_string());
    put("member", b.uid.to_string());
    put("stranger", c.uid.to_string());
    put("extra", d.uid.to_string());
    put("ownerphone", a.phone.clone());
    put("pwmd5", shared::auth::md5_hex(&a.password));
    put("newphone", phone());
    // A and B follow each other (friends).
    for (x, y) in [(a, b), (b, a)] {
        let r = http.shiku_as("/friends/attention/add", &x.token, &[("toUserId", &y.uid.to_string())]).await;
        r.shiku_ok();
    }
    // Shiku rooms of A: `room` (B and D), one each for the rows that dismiss, hand over, leave
    // or join it (a stranger who joined `room` would be no stranger to the rows after), and one
    // for the console's member removal.
    let room = rooms::room(http, a, &[b, d], &[]).await;
    let r = http.shiku_as("/room/get", &a.token, &[("roomId", &room)]).await;
    put("roomjid", r.shiku_ok()["jid"].as_str().unwrap_or_default().to_string());
    put("rmsg", id_of(&send_http(http, a, &room, "in the room").await["id"]));
    for k in ["droom", "troom", "lroom", "jroom", "croom"] {
        put(k, rooms::room(http, a, &[b], &[]).await);
    }
    // A share of A in `room` (an external link: stored, never fetched).
    let form = [
        ("roomId", room.as_str()),
        ("url", "http://example.com/a.bin"),
        ("size", "10"),
        ("type", "1"),
        ("name", "a.bin"),
        ("userId", &a.uid.to_string()),
    ];
    put("share", id_of(&shiku_data(http, a, "/room/add/share", &form).await["shareId"]));
    // A notice of A in `room`.
    shiku_data(http, a, "/room/update", &[("roomId", room.as_str()), ("notice", "hello")]).await;
    let notices = shiku_data(http, a, "/room/notice/list", &[("roomId", room.as_str())]).await;
    put("notice", id_of(&notices[0]["id"]));
    put("room", room);
    // A favourite of A.
    let form = [("type", "6"), ("url", "http://example.com/e.png")];
    put("emoji", id_of(&shiku_data(http, a, "/emoji/add", &form).await["emojiId"]));
    // A ciphertext for /tigase/decrypt.
    let form = [("text", "hi"), ("key", "k")];
    put("cipher", id_of(&shiku_data(http, a, "/tigase/encrypt", &form).await["text"]));
    // SealTalk groups of A with B and D: `sgroup`, and one each to dismiss and to hand over.
    for k in ["sgroup", "dsgroup", "tsgroup"] {
        put(k, rooms::sealtalk_group(http, a, &[b, d]).await);
    }
    // Private Minxing groups of A: `mgroup` with B and D and two feed posts of A in it (`dpost`
    // to delete), `dmgroup` with B (to dismiss).
    let g = mgroup(http, a, &[b, d], "Circle").await;
    put("post", post(http, a, &g).await);
    put("dpost", post(http, a, &g).await);
    put("mgroup", g.clone());
    put("dmgroup", mgroup(http, a, &[b], "Doomed").await);
    // E's pending requests to join `mgroup` and `rgroup` (another private group of A with B).
    let rgroup = mgroup(http, a, &[b], "Asked").await;
    for (k, g) in [("request", g), ("request2", rgroup)] {
        let r = http.json("POST", &format!("/api/v1/groups/{g}/members"), Some(&e.token), json!({})).await;
        assert_eq!(r.status, 202, "{}", r.text);
        put(k, id_of(&r.body["id"]));
    }
    // Minxing conversations of A with B and D, a message of A in `conv`.
    let conv = group(http, a, &[b, d], "Conv").await;
    put("msg", id_of(&send_http(http, a, &conv, "hello").await["id"]));
    put("conv", conv);
    put("dconv", group(http, a, &[b, d], "Doomed").await);
    // A file A uploaded (Minxing, private), its id and stable URL.
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(vec![7u8; 1000]).file_name("a.bin"));
    let r = http
        .send(http.client.post(format!("{}/api/v1/uploaded_files", http.base)).bearer_auth(&a.token).multipart(form))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    put("file", id_of(&r.body["id"]));
    put("fileurl", id_of(&r.body["url"]));
    // A mail of A to B.
    let body = json!({"to_user_ids": [b.uid], "subject": "s", "body": "b"});
    let r = http.json("POST", "/api/v1/mails", Some(&a.token), body).await;
    assert!(r.status == 201 || r.status == 200, "{}", r.text);
    put("mail", id_of(&r.body["id"]));
    // A company of A: B an employee of the root department, D of department `dept`; an empty
    // department `dept2` (to delete); a second company `company2` with B (to delete).
    let t = shiku_data(http, a, "/org/company/create", &[("companyName", "Acme")]).await;
    let company = id_of(&t["id"]);
    let root = id_of(&t["rootDpartId"]);
    let dept = |name: &'static str| {
        let company = company.clone();
        async move {
            let form = [("companyId", company.as_str()), ("parentId", company.as_str()), ("departName", name)];
            id_of(&shiku_data(http, a, "/org/department/create", &form).await["id"])
        }
    };
    let (dept1, dept2) = (dept("Dept").await, dept("Empty").await);
    for (who, dpt) in [(b, &root), (d, &dept1)] {
        let ids = json!([who.uid]).to_string();
        let form = [("companyId", company.as_str()), ("departmentId", dpt.as_str()), ("userId", ids.as_str())];
        shiku_data(http, a, "/org/employee/add", &form).await;
    }
    put("emp", format!("{company}.{}", d.uid));
    put("dept", dept1);
    put("dept2", dept2);
    put("company", company);
    let t = shiku_data(http, a, "/org/company/create", &[("companyName", "Doomed")]).await;
    let company2 = id_of(&t["id"]);
    let ids = json!([b.uid]).to_string();
    let root2 = id_of(&t["rootDpartId"]);
    let form = [("companyId", company2.as_str()), ("departmentId", root2.as_str()), ("userId", ids.as_str())];
    shiku_data(http, a, "/org/employee/add", &form).await;
    put("company2", company2);
    // A public account (userType 2), not one of the roles.
    put("ocu", public_account(http, "News").await.uid.to_string());
    let tokens = [Some(a.token.clone()), Some(b.token.clone()), Some(c.token.clone()), Some(operator), None];
    Fixtures { fx, tokens, people: ps }
}
