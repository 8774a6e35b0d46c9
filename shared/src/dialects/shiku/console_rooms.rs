//! Shiku console views of rooms: the `/room/get` Room entity without its members (`userSize`
//! counts them), as `/console/roomList` lists it.

use super::rooms::room_json;
use crate::domain::rooms::Room;
use serde_json::Value;
use std::collections::HashMap;

/// The Room of `/room/get` without `members` (and without a caller's `member`).
pub fn console_room_json(r: &Room) -> Value {
    let mut o = room_json(r, None, &[], &HashMap::new(), &[]);
    if let Some(m) = o.as_object_mut() {
        m.remove("members");
    }
    o
}
