//! DynamoDB Streams records of the single table, decoded (functions/delivery): which item
//! changed and what it carries, so the fan-out never reads AttributeValues. Frames stay the
//! JSON text they were stored as; the caller parses them.

use super::conversations::message_from;
use super::{Item, ItemExt};
use crate::domain::chat::Message;
use crate::ids::UserId;
use aws_lambda_events::dynamodb::EventRecord;
use aws_sdk_dynamodb::types::AttributeValue;

pub use crate::domain::events::Change;

/// Decode a Lambda stream record.
pub fn decode_record(rec: &EventRecord) -> Change {
    decode(&rec.event_name, rec.change.new_image.clone().into(), rec.change.old_image.clone().into())
}

/// Decode a record from its event name and images (`new_image`, `old_image`).
pub fn decode(event_name: &str, new: Item, old: Item) -> Change {
    // A running job, new or checkpointed (store/jobs.rs): the worker's next page.
    if new.str("ev") == Some(super::jobs::EV_JOB) && (event_name == "INSERT" || event_name == "MODIFY") {
        return match super::jobs::job_from(&new) {
            Some(j) if j.status == crate::domain::jobs::JobStatus::Running => Change::Job(j),
            _ => Change::Nothing,
        };
    }
    if event_name == "MODIFY" {
        return match recalled_now(&old, &new) {
            Some(m) => Change::Recalled(m),
            None => Change::Nothing,
        };
    }
    if event_name != "INSERT" {
        return Change::Nothing;
    }
    match new.str("ev") {
        Some("message") => message_from(&new).map_or(Change::Nothing, Change::Message),
        Some("group") => {
            let (Some(cid), Some(frame)) = (new.str("cid"), new.str("frame")) else {
                return Change::Nothing;
            };
            let mut also_to = vec![];
            if let Some(AttributeValue::L(extra)) = new.get("alsoTo") {
                also_to = extra.iter().filter_map(|v| v.as_n().ok()?.parse().ok()).map(UserId).collect();
            }
            Change::Group { cid: cid.to_string(), frame: frame.to_string(), also_to }
        }
        Some("friend" | "user") => match (new.i64("evTo"), new.str("frame")) {
            (Some(to), Some(frame)) => Change::UserEvent { to, frame: frame.to_string() },
            _ => Change::Nothing,
        },
        Some("profile") => match (new.i64("uid"), new.str("frame")) {
            (Some(uid), Some(frame)) => Change::Profile { uid, frame: frame.to_string() },
            _ => Change::Nothing,
        },
        Some("feed") => super::feed::post_from(&new).map_or(Change::Nothing, Change::Feed),
        Some(super::fanout::EV_FANOUT) => super::fanout::chunk_from(&new).map_or(Change::Nothing, Change::Fanout),
        other => Change::NoRule(other.map(str::to_string)),
    }
}

/// The message of a MODIFY whose `recalled` flipped to true (None for any other change).
fn recalled_now(old: &Item, new: &Item) -> Option<Message> {
    if new.str("ev") != Some("message") || old.bool("recalled") == Some(true) || new.bool("recalled") != Some(true) {
        return None;
    }
    message_from(new)
}
