//! SealTalk `/group/*` statuses as the original server answers them (rongcloud/sealtalk-server,
//! src/routes/group.coffee; /work/briefs/sealtalk-table.md §3 /group, DIFF-2, DIFF-42..61).

use e2e::rooms::{sealtalk, sealtalk_group};
use e2e::*;
use serde_json::json;

/// group.coffee:84-87 and the bulkUpsert: `[]`, only the creator, a list without the creator,
/// more than 500 ids → 400.
#[tokio::test]
async fn create_checks_the_member_list_as_the_original() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 2).await;
    let (a, b) = (&p[0], &p[1]);
    let create =
        |ids: serde_json::Value| sealtalk(&http, a, "/group/create", json!({"name": "Seals", "memberIds": ids}));
    assert_eq!(create(json!([])).await.status, 400, "empty");
    assert_eq!(create(json!([a.uid.to_string()])).await.status, 400, "only the creator");
    assert_eq!(create(json!([b.uid.to_string()])).await.status, 400, "creator missing");
    let many: Vec<String> = (0..500).map(|i| (900_000 + i).to_string()).chain([a.uid.to_string()]).collect();
    assert_eq!(create(json!(many)).await.status, 400, "over 500");
    let r = create(json!([a.uid.to_string(), b.uid.to_string()])).await;
    assert_eq!(r.body["code"], 200, "{}", r.text);
}

/// DIFF-2: an undecodable groupId is a bad parameter (400), an unknown one 404.
#[tokio::test]
async fn undecodable_group_id_is_a_bad_parameter() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 1).await;
    let a = &p[0];
    assert_eq!(sealtalk(&http, a, "/group/join", json!({"groupId": "a b!"})).await.status, 400);
    assert_eq!(sealtalk(&http, a, "/group/quit", json!({"groupId": "a b!"})).await.status, 400);
    assert_eq!(sealtalk(&http, a, "/group/join", json!({"groupId": "nope"})).await.status, 404);
}

/// DIFF-50/52/53/61: unknown group 404, an outsider of an existing group 403; kick checks
/// "yourself" first and refuses non-member targets with 400.
#[tokio::test]
async fn outsiders_get_403_and_unknown_groups_404() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 4).await;
    let (a, b, c, d) = (&p[0], &p[1], &p[2], &p[3]);
    let gid = sealtalk_group(&http, a, &[b, c]).await;
    assert_eq!(http.get(&format!("/sealtalk/group/{gid}/members"), Some(&d.token)).await.status, 403);
    assert_eq!(http.get("/sealtalk/group/nope/members", Some(&d.token)).await.status, 404);
    assert_eq!(sealtalk(&http, d, "/group/quit", json!({"groupId": gid})).await.status, 403);
    assert_eq!(sealtalk(&http, d, "/group/quit", json!({"groupId": "nope"})).await.status, 404);
    let kick = |_why: &'static str, by, gid: &str, ids: Vec<i64>| {
        let ids: Vec<String> = ids.iter().map(|x| x.to_string()).collect();
        let body = json!({"groupId": gid, "memberIds": ids});
        sealtalk(&http, by, "/group/kick", body)
    };
    assert_eq!(kick("self first", a, "nope", vec![a.uid]).await.status, 400);
    assert_eq!(kick("unknown", a, "nope", vec![b.uid]).await.status, 404);
    assert_eq!(kick("outsider", d, &gid, vec![b.uid]).await.status, 403);
    assert_eq!(kick("plain member", b, &gid, vec![c.uid]).await.status, 403);
    assert_eq!(kick("a non-member", a, &gid, vec![b.uid, d.uid]).await.status, 400);
    assert_eq!(kick("ok", a, &gid, vec![c.uid]).await.body["code"], 200);
}

/// DIFF-54..58: the creator-only updates answer 400 "Unknown group or not creator." to an
/// unknown group, an outsider and a plain member; transfer checks "yourself" first (403).
#[tokio::test]
async fn creator_only_changes_answer_400() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 3).await;
    let (a, b, d) = (&p[0], &p[1], &p[2]);
    let gid = sealtalk_group(&http, a, &[b]).await;
    for g in [gid.as_str(), "nope"] {
        for who in [b, d] {
            let r = sealtalk(&http, who, "/group/rename", json!({"groupId": g, "name": "Mine"})).await;
            assert_eq!(r.status, 400, "rename {g}");
            let r = sealtalk(&http, who, "/group/set_bulletin", json!({"groupId": g, "bulletin": "x"})).await;
            assert_eq!(r.status, 400, "bulletin {g}");
            let body = json!({"groupId": g, "portraitUri": "https://x/p.png"});
            assert_eq!(sealtalk(&http, who, "/group/set_portrait_uri", body).await.status, 400, "portrait {g}");
            assert_eq!(sealtalk(&http, who, "/group/dismiss", json!({"groupId": g})).await.status, 400, "dismiss");
        }
    }
    let short = json!({"groupId": gid, "portraitUri": "http://x/a"});
    assert_eq!(sealtalk(&http, a, "/group/set_portrait_uri", short).await.status, 400, "under 12");
    let transfer =
        |by, to: &Person| sealtalk(&http, by, "/group/transfer", json!({"groupId": gid, "userId": to.uid.to_string()}));
    assert_eq!(transfer(a, a).await.status, 403, "yourself");
    assert_eq!(transfer(b, a).await.status, 400, "not the creator");
    assert_eq!(transfer(d, b).await.status, 400, "outsider");
    assert_eq!(transfer(a, d).await.status, 400, "target not a member");
    assert_eq!(transfer(a, b).await.body["code"], 200);
}

/// DIFF-48/49: adding an existing member, or joining twice → 400.
#[tokio::test]
async fn existing_members_cannot_be_added_again() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 3).await;
    let (a, b, c) = (&p[0], &p[1], &p[2]);
    let gid = sealtalk_group(&http, a, &[b]).await;
    let add = |ids: Vec<i64>| {
        let ids: Vec<String> = ids.iter().map(|x| x.to_string()).collect();
        sealtalk(&http, a, "/group/add", json!({"groupId": gid, "memberIds": ids}))
    };
    assert_eq!(add(vec![b.uid, c.uid]).await.status, 400);
    assert_eq!(sealtalk(&http, b, "/group/join", json!({"groupId": gid})).await.status, 400);
    assert_eq!(add(vec![c.uid]).await.body["code"], 200);
}

/// DIFF-46: the original answers a creator over its group cap with HTTP 200 `{code: 1000}`
/// (group.coffee:96); ours caps memberships (MAX_GROUPS_PER_USER), in the same shape.
#[tokio::test]
async fn group_cap_is_code_1000() {
    use shared::store::group_counts::{max_groups, set_group_count};
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 2).await;
    let (a, b) = (&p[0], &p[1]);
    set_group_count(&app.ctx.db, shared::UserId(a.uid), max_groups()).await.unwrap();
    let ids = json!([a.uid.to_string(), b.uid.to_string()]);
    let r = sealtalk(&http, a, "/group/create", json!({"name": "Seals", "memberIds": ids})).await;
    assert_eq!((r.status, r.body["code"].as_i64()), (200, Some(1000)), "{}", r.text);
    // Nothing was created: b is in no group.
    let r = http.get("/sealtalk/user/groups", Some(&b.token)).await;
    assert_eq!(r.body["result"], json!([]), "{}", r.text);
}

/// DIFF-60: a dismissed group still answers `GET /group/{id}` with `deletedAt` (the original's
/// paranoid: false, group.coffee:969), to its former members; to anyone else it stays unknown.
#[tokio::test]
async fn dismissed_group_answers_with_deleted_at_to_former_members() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 3).await;
    let (a, b, outsider) = (&p[0], &p[1], &p[2]);
    let g = sealtalk_group(&http, a, &[b]).await;
    let r = sealtalk(&http, a, "/group/set_bulletin", json!({"groupId": g, "bulletin": "hello <all>"})).await;
    assert_eq!(r.body["code"], 200, "{}", r.text);
    let live = http.get(&format!("/sealtalk/group/{g}"), Some(&b.token)).await;
    assert_eq!(live.body["result"]["deletedAt"], json!(null), "{}", live.text);
    let r = sealtalk(&http, a, "/group/dismiss", json!({"groupId": g})).await;
    assert_eq!(r.body["code"], 200, "{}", r.text);
    for who in [a, b] {
        let r = http.get(&format!("/sealtalk/group/{g}"), Some(&who.token)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let g2 = &r.body["result"];
        assert_eq!(g2["id"], json!(g));
        assert_eq!(g2["name"], json!("Seals"));
        assert_eq!(g2["memberCount"], json!(0));
        assert_eq!(g2["creatorId"], json!(a.uid.to_string()));
        assert_eq!(g2["bulletin"], json!("hello &lt;all&gt;"));
        assert!(g2["deletedAt"].as_str().is_some_and(|t| t.ends_with('Z')), "{}", r.text);
    }
    let r = http.get(&format!("/sealtalk/group/{g}"), Some(&outsider.token)).await;
    assert_eq!(r.status, 404, "{}", r.text);
    // Still gone for every change.
    let r = sealtalk(&http, a, "/group/rename", json!({"groupId": g, "name": "Again"})).await;
    assert_eq!(r.status, 400, "{}", r.text);
}
