//! Requests to join a private group (Minxing `/api/v1/groups/{id}/members` and
//! `/api/v1/pendings/requests/{id}/approve|reject`): ask, list the pending ones (owner/admins),
//! decide (approve or reject), and put an approval back to pending when its join fails.
//! Stored by store/requests.rs; the rooms' own rules are services::rooms.

use crate::domain::join_requests::{parse_id, JoinRequest, APPROVED, REJECTED};
use crate::domain::rooms::{Room, RoomMember};
use crate::error::{refused, AppError, AppResult};
use crate::ids::UserId;
use crate::realtime::frames::group_event;
use crate::services::rooms::{self, require_admin};
use crate::store::rooms::GroupEvent;
use crate::store::{events, invites, requests, Db};
use serde_json::json;

/// What asking to join answered.
pub enum Joined {
    /// An open group: `me` is a member now (or was already).
    Member(Room, RoomMember),
    /// A private group: the pending request (`true`: made just now; `false`: already pending).
    Asked(JoinRequest, bool),
}

fn room_not_found(cid: &str) -> AppError {
    AppError::not_found(format!("room {cid}"))
}

/// `me` joins room `cid`: an open room at once, a private one (`isNeedVerify = 1`) by a pending
/// request with `message`, of which the owner and admins get a `joinRequested` group event
/// (asking again answers the same request and tells nobody).
pub async fn ask(db: &Db, now: i64, me: UserId, cid: &str, message: &str) -> AppResult<Joined> {
    match rooms::join(db, now, me, cid).await {
        Ok(()) => {
            let (room, mine) = rooms::as_member(db, cid, me).await?;
            Ok(Joined::Member(room, mine))
        }
        Err(AppError::Refused { code, .. }) if code == refused::NEEDS_VERIFY => {
            let room = rooms::get(db, cid).await?.ok_or_else(|| room_not_found(cid))?;
            let (req, new) = requests::ask(db, now, cid, room.created_at(), me, message).await?;
            if new {
                let approvers = requests::approvers(db, cid).await?;
                let extra = json!({"requestId": req.id(), "userId": me.0, "message": message});
                let frame = group_event("joinRequested", cid, me, now, extra);
                events::put_user_events(db, now, &approvers, &frame).await?;
            }
            Ok(Joined::Asked(req, new))
        }
        Err(e) => Err(e),
    }
}

/// Pending requests of room `cid` (owner/admins only), oldest first: one BatchGetItem (room +
/// my membership), one Query of the requests.
pub async fn pending(db: &Db, me: UserId, cid: &str) -> AppResult<Vec<JoinRequest>> {
    let (room, mine) = rooms::as_member(db, cid, me).await?;
    require_admin(&mine)?;
    requests::pending(db, cid, room.created_at()).await
}

/// Approve or reject request `id`: unknown → not found; not the room's owner/an admin →
/// forbidden; already decided (or asked again since) → conflict. The decision is a conditional
/// write, so of two deciders one wins. Approval then joins the user (capacity as every join; a
/// full or dismissed room puts the request back to pending and answers the error) with the
/// room's `joined` event; rejection sends the requester a `joinRejected` group frame.
/// Reads: request, room and my membership in parallel (3 GetItem). Answers the decided request.
pub async fn decide(db: &Db, now: i64, me: UserId, id: &str, approve: bool) -> AppResult<JoinRequest> {
    let unknown = || AppError::not_found(format!("request {id}"));
    let (cid, uid, at) = parse_id(id).ok_or_else(unknown)?;
    let (req, room, mine) =
        tokio::join!(requests::current(db, now, &cid, uid), rooms::get(db, &cid), rooms::member(db, &cid, me));
    // A newer request by the same user replaced this one after it was decided.
    let req = req?.filter(|r| r.at >= at).ok_or_else(unknown)?;
    let room = room?;
    if !mine?.is_some_and(|m| m.is_admin()) {
        return Err(AppError::forbidden("only the group's owner or an admin may decide its requests"));
    }
    let room = room.filter(|r| r.created_at() == req.room_at).ok_or_else(|| room_not_found(&cid))?;
    let conflict = || AppError::Conflict(format!("request {id} was already decided"));
    if req.at != at || !req.is_pending() {
        return Err(conflict());
    }
    let state = if approve { APPROVED } else { REJECTED };
    if !requests::decide(db, now, &req, state, me).await? {
        return Err(conflict());
    }
    if approve {
        let ev = GroupEvent::new("joined", me, json!({"userIds": [uid.0], "inviter": me.0, "requestId": id}));
        // Ok(false): joined meanwhile (invited).
        if let Err(e) = invites::join(db, now, &cid, uid, room.max_users(), &ev).await {
            if let Err(undo) = requests::reopen(db, &req, me).await {
                tracing::warn!(request = %id, error = %undo, "could not reopen a request whose join failed");
            }
            return Err(e);
        }
    } else {
        let frame = group_event("joinRejected", &cid, me, now, json!({"requestId": id, "userId": uid.0}));
        events::put_user_events(db, now, &[uid], &frame).await?;
    }
    Ok(JoinRequest { state: state.into(), decided_by: Some(me), updated_at: now, ..req })
}
