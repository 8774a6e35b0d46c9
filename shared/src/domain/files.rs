//! Files: one record (`FILE#<fid>/META`) for uploads, Shiku room shares, Minxing group files,
//! attachments and copies. Either an S3 object of ours (`s3_key`) or an external link (`url`,
//! stored, never fetched).

use crate::ids::UserId;

/// Who may see a file besides its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Vis {
    /// The owner only (and whoever holds its capability URL `/files/{fid}`).
    #[default]
    Private,
    /// Whoever sees its room: members, and anyone for a public room (`isNeedVerify = 0`).
    Group,
    /// Everyone in the network (Minxing's single network).
    Network,
}

impl Vis {
    pub fn as_str(self) -> &'static str {
        match self {
            Vis::Private => "private",
            Vis::Group => "group",
            Vis::Network => "network",
        }
    }
    pub fn parse(s: &str) -> Option<Vis> {
        match s {
            "private" => Some(Vis::Private),
            "group" => Some(Vis::Group),
            "network" => Some(Vis::Network),
            _ => None,
        }
    }
}

/// A file: `s3_key` is where the bytes are ("" for an external link), `name` the cleaned
/// client file name.
#[derive(Debug, Clone)]
pub struct FileRecord {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub s3_key: String,
    pub owner: UserId,
    /// Epoch milliseconds.
    pub created_at: i64,
    /// The room (Shiku room, Minxing group) the file was shared in.
    pub room: Option<String>,
    pub vis: Vis,
    /// An external http(s) link (a Shiku share of a URL that is not ours): no object.
    pub url: Option<String>,
    /// Shiku share `type`, stored as given (0 when not a share).
    pub share_type: i64,
    /// Epoch seconds after which the record is gone (copyFile `validTime`).
    pub ttl: Option<i64>,
    /// The uploader's nickname when the record was made (Shiku share JSON).
    pub nickname: String,
}

impl FileRecord {
    /// Bytes of ours in S3 (not an external link).
    pub fn has_object(&self) -> bool {
        self.url.is_none() && !self.s3_key.is_empty()
    }
}

/// Longest file name (characters) and external URL (bytes).
pub const MAX_NAME: usize = 200;
pub const MAX_URL: usize = 1024;
/// Longest file list page, and its default.
pub const MAX_PAGE: i64 = 100;
pub const DEFAULT_PAGE: i64 = 20;
/// copyFile: at most this many paths, `validTime` at most this many days.
pub const MAX_COPY_PATHS: usize = 10;
pub const MAX_VALID_DAYS: i64 = 3650;

/// File ids: time-ordered `<ms:013><24 hex>` (96 random bits) since the files model; uploads
/// before it have 32 hex. Both are ASCII alphanumeric, ≤ 64.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// One page of files and the opaque cursor of the next (None: the last page).
#[derive(Debug, Clone, Default)]
pub struct FilePage {
    pub items: Vec<FileRecord>,
    pub next: Option<String>,
}
