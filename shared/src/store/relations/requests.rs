//! Friend request items: `USER#<to>` / `NEWFRIEND#<from>`, GSI2 `NEWFRIENDS#<to>` /
//! `<modifyTime:013>#<from:012>` (newest first). `sentTime`: when the requester last sent it.

use super::lists::{cursor_sk, query_index, Page, Range};
use super::{pk, ReqState, Request};
use crate::error::AppResult;
use crate::ids::UserId;
use crate::store::keys::{friend_req_sk, friend_reqs_gsi2pk, friend_reqs_gsi2sk};
use crate::store::{n, s, Db, Item, ItemExt, GSI2};

/// Key of the request from `from` to `to`.
pub fn key(to: UserId, from: UserId) -> Item {
    Db::key(pk(to), friend_req_sk(from))
}

pub(super) fn req_item(r: &Request) -> Item {
    let mut it = key(r.to, r.from);
    it.insert("to".into(), n(r.to.0));
    it.insert("from".into(), n(r.from.0));
    it.insert("state".into(), n(r.state.code()));
    it.insert("message".into(), s(&r.message));
    it.insert("fromNickname".into(), s(&r.from_nickname));
    if let Some(a) = &r.from_avatar {
        it.insert("fromAvatar".into(), s(a));
    }
    it.insert("time".into(), n(r.time));
    it.insert("modifyTime".into(), n(r.modify_time));
    it.insert("sentTime".into(), n(r.sent));
    it.insert("ver".into(), n(r.ver));
    it.insert("gsi2pk".into(), s(friend_reqs_gsi2pk(r.to)));
    it.insert("gsi2sk".into(), s(friend_reqs_gsi2sk(r.modify_time, r.from)));
    it
}

pub fn req_from(it: &Item) -> Option<Request> {
    let time = it.i64("time").unwrap_or(0);
    Some(Request {
        to: UserId(it.i64("to")?),
        from: UserId(it.i64("from")?),
        state: ReqState::from_code(it.i64("state")),
        message: it.string("message"),
        from_nickname: it.string("fromNickname"),
        from_avatar: it.str("fromAvatar").map(str::to_string),
        time,
        modify_time: it.i64("modifyTime").unwrap_or(0),
        // Items written before `sentTime` existed: sent when created.
        sent: it.i64("sentTime").unwrap_or(time),
        ver: it.i64("ver").unwrap_or(0),
    })
}

/// Friend requests received by `uid`, newest first, one Query page.
pub async fn requests(db: &Db, uid: UserId, before: Option<&str>, limit: Option<usize>) -> AppResult<Page<Request>> {
    let range = match cursor_sk(before)? {
        Some(b) => Range::Below(b),
        None => Range::All,
    };
    let (items, next) = query_index(db, GSI2, friend_reqs_gsi2pk(uid), range, limit, false).await?;
    Ok(Page { items: items.iter().filter_map(req_from).collect(), next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_items_round_trip() {
        let r = Request {
            to: UserId(2),
            from: UserId(1),
            state: ReqState::Ignored,
            message: "hi".into(),
            from_nickname: "A".into(),
            from_avatar: None,
            time: 5,
            modify_time: 6,
            sent: 5,
            ver: 3,
        };
        let it = req_item(&r);
        assert_eq!(it.str("sk"), Some("NEWFRIEND#1"));
        assert_eq!(it.str("gsi2sk"), Some("0000000000006#000000000001"));
        assert_eq!(req_from(&it).unwrap(), r);
    }
}
