//! The rules of relations, step by step on an in-memory pair.

use super::rules::*;
use crate::domain::relations::{Outcome, Patch, Relation, ReqState, FOLLOWING, FRIENDS};
use crate::error::AppError;
use crate::ids::UserId;
use crate::store::users::User;

fn user(uid: i64, nick: &str) -> User {
    User {
        uid: UserId(uid),
        nickname: nick.into(),
        password_hash: String::new(),
        telephone: None,
        email: None,
        username: None,
        role: crate::store::users::Role::User,
        profile: Default::default(),
        avatar: None,
        created_at: 0,
        disabled: false,
    }
}

fn pair() -> Pair {
    Pair {
        me: user(1, "A"),
        other: user(2, "B"),
        mine: None,
        theirs: None,
        req_to_me: None,
        req_to_them: None,
        other_verify: false,
        other_allows: true,
    }
}

fn apply(p: &mut Pair, e: Edit) {
    if let Some(x) = e.mine {
        p.mine = x;
    }
    if let Some(x) = e.theirs {
        p.theirs = x;
    }
    if let Some(x) = e.req_to_me {
        p.req_to_me = x;
    }
    if let Some(x) = e.req_to_them {
        p.req_to_them = x;
    }
}

fn flip(p: &Pair) -> Pair {
    Pair {
        me: p.other.clone(),
        other: p.me.clone(),
        mine: p.theirs.clone(),
        theirs: p.mine.clone(),
        req_to_me: p.req_to_them.clone(),
        req_to_them: p.req_to_me.clone(),
        other_verify: false,
        other_allows: true,
    }
}

#[test]
fn follow_without_verification_makes_friends_and_is_idempotent() {
    let mut p = pair();
    let e = op_follow(&p, 5, "").unwrap();
    assert_eq!(e.outcome, Some(Outcome::Friends));
    assert_eq!(e.events[0].1, "added");
    apply(&mut p, e);
    assert_eq!(p.mine.as_ref().unwrap().status, FRIENDS);
    assert_eq!(p.theirs.as_ref().unwrap().status, FRIENDS);
    assert_eq!(p.theirs.as_ref().unwrap().to_nickname, "A");
    let again = op_follow(&p, 6, "").unwrap();
    assert_eq!(again.outcome, Some(Outcome::AlreadyFriends));
    assert!(again.mine.is_none() && again.theirs.is_none() && again.events.is_empty());
}

#[test]
fn verification_creates_a_request_then_accept_makes_friends() {
    let mut p = pair();
    p.other_verify = true;
    let e = op_follow(&p, 5, "hi").unwrap();
    assert_eq!(e.outcome, Some(Outcome::Requested));
    apply(&mut p, e);
    assert_eq!(p.mine.as_ref().unwrap().status, FOLLOWING);
    assert!(p.theirs.is_none());
    assert_eq!(p.req_to_them.as_ref().unwrap().message, "hi");
    assert_eq!(op_follow(&p, 6, "hi").unwrap().outcome, Some(Outcome::AlreadyFollowing));
    // B accepts.
    let mut q = flip(&p);
    assert!(op_accept(&pair(), 7).is_err(), "nothing to accept");
    let e = op_accept(&q, 7).unwrap();
    assert_eq!(e.outcome, Some(Outcome::Friends));
    apply(&mut q, e);
    assert_eq!(q.mine.as_ref().unwrap().status, FRIENDS);
    assert_eq!(q.theirs.as_ref().unwrap().status, FRIENDS);
    assert_eq!(q.req_to_me.as_ref().unwrap().state, ReqState::Accepted);
}

#[test]
fn follow_back_makes_friends_even_with_verification() {
    let mut p = pair();
    p.other_verify = true;
    p.theirs = Some(Relation { status: FOLLOWING, ..Relation::new(UserId(2), UserId(1), "A", None, 1) });
    assert_eq!(op_follow(&p, 5, "").unwrap().outcome, Some(Outcome::Friends));
}

#[test]
fn blacklist_refuses_requests_and_survives_unfriend() {
    let mut p = pair();
    let e = op_follow(&p, 1, "").unwrap();
    apply(&mut p, e);
    let mut q = flip(&p);
    let e = op_block(&q, 2).unwrap();
    apply(&mut q, e);
    assert!(q.mine.as_ref().unwrap().blacklist);
    assert_eq!(q.mine.as_ref().unwrap().status, FRIENDS, "status kept for unblock");
    let p = flip(&q);
    match op_follow(&p, 3, "") {
        Err(AppError::Refused { code, .. }) => assert_eq!(code, REFUSED_BLOCKED),
        other => panic!("{other:?}"),
    }
    let mut q = flip(&p);
    let e = op_unfriend(&q, 4).unwrap();
    apply(&mut q, e);
    assert!(q.mine.as_ref().unwrap().blacklist, "still blocked");
    assert!(q.theirs.is_none(), "other side deleted");
    let e = op_unblock(&q, 5).unwrap();
    apply(&mut q, e);
    assert!(q.mine.is_none(), "empty relation removed");
}

#[test]
fn unfollow_of_a_friend_leaves_their_follow() {
    let mut p = pair();
    let e = op_follow(&p, 1, "").unwrap();
    apply(&mut p, e);
    let e = op_unfollow(&p, 2).unwrap();
    apply(&mut p, e);
    assert!(p.mine.is_none());
    assert_eq!(p.theirs.as_ref().unwrap().status, FOLLOWING);
    assert!(op_unfollow(&p, 3).is_err());
    assert!(op_patch(&p, 3, &Patch::default(), FOLLOWING).is_err(), "no relation to remark");
}

#[test]
fn invite_always_requests_and_resends_only_after_the_windows() {
    let mut p = pair();
    let e = op_invite(&p, 0, "hi").unwrap();
    assert_eq!(e.outcome, Some(Outcome::Requested), "no friendsVerify needed");
    assert_eq!(e.events[0].1, "requested");
    apply(&mut p, e);
    assert_eq!(p.req_to_them.as_ref().unwrap().sent, 0);
    let day = RESEND_IGNORED_MS;
    assert_eq!(op_invite(&p, RESEND_PENDING_MS, "").unwrap().outcome, Some(Outcome::AlreadyFollowing));
    let e = op_invite(&p, RESEND_PENDING_MS + 1, "again").unwrap();
    assert_eq!(e.outcome, Some(Outcome::Requested));
    apply(&mut p, e);
    let sent = RESEND_PENDING_MS + 1;
    assert_eq!((p.req_to_them.as_ref().unwrap().sent, p.req_to_them.as_ref().unwrap().time), (sent, 0));
    // Ignored: once a day, counted from the last send (not from the ignore).
    let mut q = flip(&p);
    let e = op_ignore(&q, sent + 10).unwrap();
    apply(&mut q, e);
    assert!(op_accept(&q, sent + 11).is_err(), "an ignored request cannot be agreed to");
    let mut p = flip(&q);
    assert_eq!(op_invite(&p, sent + day, "").unwrap().outcome, Some(Outcome::AlreadyFollowing));
    let e = op_invite(&p, sent + day + 1, "").unwrap();
    assert_eq!(e.outcome, Some(Outcome::Requested));
    apply(&mut p, e);
    // Inviting back is agreeing; friends again → AlreadyFriends, nothing written.
    let q = flip(&p);
    let e = op_invite(&q, sent + day + 2, "").unwrap();
    assert_eq!((e.outcome, e.events[0].1), (Some(Outcome::Friends), "accepted"));
    let mut q = q;
    apply(&mut q, e);
    let e = op_invite(&q, sent + day + 3, "").unwrap();
    assert_eq!(e.outcome, Some(Outcome::AlreadyFriends));
    assert!(e.mine.is_none() && e.theirs.is_none() && e.events.is_empty());
}

#[test]
fn invite_of_someone_who_blocked_me_is_refused_and_accept_ignores_blocks() {
    let mut p = pair();
    p.theirs = Some(Relation { blacklist: true, ..Relation::new(UserId(2), UserId(1), "A", None, 1) });
    assert!(matches!(op_invite(&p, 5, ""), Err(AppError::Refused { code: REFUSED_BLOCKED, .. })));
    // B asked A, then blocked A: A's accept still makes the pair friends and B's block stays.
    let mut q = pair();
    let e = op_invite(&flip(&q), 1, "hi").unwrap();
    let mut b = flip(&q);
    apply(&mut b, e);
    let e = op_block(&b, 2).unwrap();
    apply(&mut b, e);
    q = flip(&b);
    let e = op_accept(&q, 3).unwrap();
    apply(&mut q, e);
    assert_eq!(q.mine.as_ref().unwrap().status, FRIENDS);
    assert!(q.theirs.as_ref().unwrap().blacklist && q.theirs.as_ref().unwrap().status == FRIENDS);
}

#[test]
fn tombstones_record_ended_friendships_and_unblocks_only() {
    use super::{gone, tombstones};
    let mut friend = Relation::new(UserId(1), UserId(2), "B", None, 0);
    friend.status = FRIENDS;
    let kinds = |before: &Relation, after: Option<&Relation>| -> Vec<String> {
        tombstones(before, after, 9)
            .into_iter()
            .map(|(owner, g)| format!("{}:{}:{}:{}", owner, g.kind, g.other, g.at))
            .collect()
    };
    assert_eq!(kinds(&friend, None), vec![format!("1:{}:2:9", gone::FRIEND)]);
    let mut follow = friend.clone();
    follow.status = FOLLOWING;
    assert_eq!(kinds(&friend, Some(&follow)), vec![format!("1:{}:2:9", gone::FRIEND)]);
    let mut blocked = friend.clone();
    blocked.blacklist = true;
    assert!(kinds(&friend, Some(&blocked)).is_empty(), "a block keeps the friendship");
    assert_eq!(kinds(&blocked, Some(&friend)), vec![format!("1:{}:2:9", gone::BLOCK)]);
    assert!(kinds(&follow, Some(&friend)).is_empty());
}
