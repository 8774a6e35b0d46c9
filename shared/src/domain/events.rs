//! Changes of the single table as the fan-out sees them (decoded from DynamoDB Streams by
//! store/stream.rs): typed, no DynamoDB types.

use crate::domain::chat::Message;
use crate::ids::UserId;

/// One stream record, by what delivery does with it.
#[derive(Debug)]
pub enum Change {
    /// INSERT of a message item (`ev = message`).
    Message(Message),
    /// MODIFY of a message whose `recalled` flipped to true.
    Recalled(Message),
    /// A group event (`ev = group`): the stored frame, and who else hears it (`alsoTo`).
    Group { cid: String, frame: String, also_to: Vec<UserId> },
    /// A friend or per-user event (`ev = friend | user`): one recipient.
    UserEvent { to: i64, frame: String },
    /// A nickname/avatar change (`ev = profile`): to the user's fans.
    Profile { uid: i64, frame: String },
    /// A new feed thread starter (`ev = feed`): written into its readers' following inboxes.
    Feed(crate::domain::feed::Post),
    /// A part of a large room's fan-out of one message (`ev = fanout`, INSERT only).
    Fanout(crate::domain::chat::FanChunk),
    /// A job item written or checkpointed while running (`ev = job`): its next page.
    Job(crate::domain::jobs::Job),
    /// An INSERT with no delivery rule (its `ev`).
    NoRule(Option<String>),
    /// Nothing to deliver (other MODIFYs, REMOVEs, records missing what their kind needs).
    Nothing,
}
