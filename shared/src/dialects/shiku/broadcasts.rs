//! Shiku views of public-account mass sends (`/mp/textToAll|pushToAll|manyToAll` answers,
//! `/mp/push`, `/mp/many` lists; docs/dialects.md "Mass sends").

use crate::domain::broadcasts::{Broadcast, Sent};
use crate::domain::jobs::{Job, JobStatus};
use serde_json::{json, Value};

/// `status`: 0 sending, 1 done.
fn status(j: &Job) -> i64 {
    match j.status {
        JobStatus::Running => 0,
        JobStatus::Done => 1,
    }
}

/// The answer of a mass send: the job, sending.
pub fn started_json(j: &Job) -> Value {
    json!({ "jobId": j.id, "status": status(j), "createTime": j.created_at })
}

/// One past mass send: `type` 1 text (`title` = the text) or 10 articles (`articles`,
/// `title` = the first one's).
pub fn sent_json(s: &Sent) -> Value {
    let j = &s.job;
    let (kind, title, articles) = match &s.broadcast {
        Some(Broadcast::Text { text }) => (1, text.clone(), json!([])),
        Some(Broadcast::Articles { articles }) => {
            (10, articles.first().map(|a| a.title.clone()).unwrap_or_default(), json!(articles))
        }
        None => (0, String::new(), json!([])),
    };
    json!({
        "id": j.id,
        "jobId": j.id,
        "userId": j.owner.0,
        "type": kind,
        "title": title,
        "articles": articles,
        "status": status(j),
        "sentCount": j.done,
        "failedCount": j.failed,
        "createTime": j.created_at,
        "modifyTime": j.updated_at,
    })
}
