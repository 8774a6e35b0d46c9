//! Likes and bookmarks: GetItem of the post, then one TransactWriteItems guarded by the room
//! as the post says it was (a private room: my MEMBER item; a public one: the room still
//! public). Only when that guard fails is the room read, to tell "left / now private" from
//! "now public".

use super::{not_found, Mark};
use crate::domain::feed::RoomAccess;
use crate::error::AppResult;
use crate::ids::UserId;
use crate::realtime::frames;
use crate::store::feed::writes::{self, Guard, Marked, Marking};
use crate::store::feed::{self as store, Need};
use crate::Ctx;

fn guard_for(group: Option<&String>, private: bool) -> Guard {
    match group {
        None => Guard::None,
        Some(g) if private => Guard::Member(g.clone()),
        Some(g) => Guard::Public(g.clone()),
    }
}

/// Put (`on`) or take back my like or bookmark of `mid`. True: it changed (a new mark: 201),
/// false: it was already so (200 / 204). Invisible or unknown posts: not-found. Token +
/// GetItem + TransactWriteItems = 3 calls.
pub async fn set_mark(ctx: &Ctx, me: UserId, mid: i64, mark: Mark, on: bool) -> AppResult<bool> {
    let db = &ctx.db;
    let post = store::get(db, mid).await?.ok_or_else(|| not_found(mid))?;
    let now = ctx.now_ms();
    let frame = (mark == Mark::Like).then(|| frames::feed_event("like", post.id, post.thread_id, None, me, now));
    let mut guard = guard_for(post.group_id.as_ref(), post.private_group);
    for attempt in 0..2 {
        let m = Marking { me, post: &post, mark, on, now_ms: now };
        match writes::mark(db, &m, &guard, frame.as_ref()).await? {
            Marked::Done => return Ok(true),
            Marked::Already => return Ok(false),
            Marked::Gone => return Err(not_found(mid)),
            Marked::GuardFailed if attempt == 0 => {
                // The room changed since the post: read it as it is now.
                let g = post.group_id.clone().unwrap_or_default();
                let l = store::load(db, me, &Need { rooms: vec![g.clone()], ..Default::default() }).await?;
                let acc = l.rooms.get(&g).copied().unwrap_or_default();
                if !RoomAccess::readable(&acc) {
                    return Err(not_found(mid));
                }
                guard = if acc.member { Guard::Member(g) } else { Guard::Public(g) };
            }
            Marked::GuardFailed => return Err(not_found(mid)),
        }
    }
    Err(not_found(mid))
}
