//! The operator console's room reads (`/console/roomList`, `roomMsgDetail`; the
//! `roomUserManager` member page is store::rooms::head_page): one Query per page,
//! `offset + limit` items read, the first `offset` skipped (services::console::page caps the
//! offset). Writes go through the rooms rules.

use super::conversations::{message_from, pk, valid_id};
use super::rooms::room_from;
use super::{s, Db, GSI2};
use crate::domain::chat::Message;
use crate::domain::rooms::Room;
use crate::error::AppResult;

/// Live rooms (private ones included), newest first: GSI2 `GROUPS` read backwards. With
/// `name` (lowercase substring of the name): one Query page (≤ 1 MB, the newest few thousand
/// rooms) filtered on `nameLc` (Shiku rooms) or `name` (groups made elsewhere). Answers the
/// page and whether more follow.
pub async fn room_page(db: &Db, name: Option<&str>, offset: usize, limit: usize) -> AppResult<(Vec<Room>, bool)> {
    let q = db
        .client
        .query()
        .table_name(&db.table)
        .index_name(GSI2)
        .key_condition_expression("gsi2pk = :p")
        .expression_attribute_values(":p", s(super::keys::GROUPS_GSI2PK))
        .scan_index_forward(false);
    let q = match name {
        Some(nm) => q
            .filter_expression("contains(nameLc, :lc) OR contains(#n, :raw)")
            .expression_attribute_names("#n", "name")
            .expression_attribute_values(":lc", s(nm.to_lowercase()))
            .expression_attribute_values(":raw", s(nm)),
        None => q.limit((offset + limit + 1) as i32),
    };
    let out = q.send().await?;
    let rooms: Vec<Room> = out.items.unwrap_or_default().into_iter().filter_map(room_from).collect();
    // Filtered: the Query stopped at 1 MB when a key is left, so more may match.
    let more = rooms.len() > offset + limit || (name.is_some() && out.last_evaluated_key.is_some());
    Ok((rooms.into_iter().skip(offset).take(limit).collect(), more))
}

/// One page of a room's messages, newest first (recalled ones included, marked): one Query.
pub async fn message_page(db: &Db, cid: &str, offset: usize, limit: usize) -> AppResult<(Vec<Message>, bool)> {
    if !valid_id(cid) {
        return Ok((vec![], false));
    }
    let out = db
        .client
        .query()
        .table_name(&db.table)
        .key_condition_expression("pk = :p AND begins_with(sk, :m)")
        .expression_attribute_values(":p", s(pk(cid)))
        .expression_attribute_values(":m", s("MSG#"))
        .scan_index_forward(false)
        .limit((offset + limit + 1) as i32)
        .send()
        .await?;
    let msgs: Vec<Message> = out.items().iter().filter_map(message_from).collect();
    let more = msgs.len() > offset + limit;
    Ok((msgs.into_iter().skip(offset).take(limit).collect(), more))
}
