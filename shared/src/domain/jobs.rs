//! Resumable jobs: work too large for one request (mass sends, console broadcasts) stored as
//! one item that the stream worker pages through, one checkpoint per page
//! (services::jobs; store/jobs.rs; docs/data-model.md "JOB").

use crate::ids::UserId;

/// What a job does; each kind has its own payload and its own page step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// A public account's mass send to its fans (services::broadcasts).
    Broadcast,
    /// The operator console's `count` copies of a text from one account to another
    /// (services::console_sends).
    ConsoleSend,
    /// The operator console's text from one account to every account (services::console_sends).
    ConsolePush,
    /// Stamping a large room's members so `$connect` keeps their connections on the member
    /// items (services::live_members).
    LiveMembers,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Broadcast => "broadcast",
            JobKind::ConsoleSend => "consoleSend",
            JobKind::ConsolePush => "consolePush",
            JobKind::LiveMembers => "liveMembers",
        }
    }
    pub fn parse(s: &str) -> Option<JobKind> {
        match s {
            "broadcast" => Some(JobKind::Broadcast),
            "consoleSend" => Some(JobKind::ConsoleSend),
            "consolePush" => Some(JobKind::ConsolePush),
            "liveMembers" => Some(JobKind::LiveMembers),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Pages left: each checkpoint re-triggers the worker.
    Running,
    /// Every page done.
    Done,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Running => "running",
            JobStatus::Done => "done",
        }
    }
    pub fn parse(s: &str) -> JobStatus {
        if s == "done" {
            JobStatus::Done
        } else {
            JobStatus::Running
        }
    }
}

/// One job as stored: its kind's payload (JSON text, the kind reads it), the owner, and the
/// checkpoint: `page` pages done, `cursor` where the next one starts (None at the start),
/// counts so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub kind: JobKind,
    pub owner: UserId,
    /// The owner's list this job shows in (e.g. a broadcast's single/multi article list).
    pub list: String,
    pub payload: String,
    pub status: JobStatus,
    pub page: i64,
    pub cursor: Option<String>,
    /// Targets done (stored now, or found stored by an earlier try).
    pub done: i64,
    /// Targets that could not be served (gone, blocked the sender, …): not retried.
    pub failed: i64,
    /// Epoch ms.
    pub created_at: i64,
    pub updated_at: i64,
}

/// What one page step did: counts, and where the next page starts (None: the last page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Step {
    pub done: i64,
    pub failed: i64,
    pub next: Option<String>,
}

/// A job id: 32 lowercase hex digits (uuid v4).
pub fn valid_job_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
