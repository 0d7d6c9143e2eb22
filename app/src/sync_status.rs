//! What the header's sync pill shows, apart from the sync engine that
//! fills it in: the app state holds it, and the engine works on the app
//! state, so keeping it here spares the two modules importing each other.

use crate::api::ApiError;
use chrono::{DateTime, Utc};

/// What the last attempt to reach the server found, for the header's pill.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Link {
    /// Nothing has answered yet since the page loaded.
    #[default]
    Unknown,
    /// The last attempt succeeded.
    Online,
    /// The last attempt reached no server (or the browser went offline).
    Offline,
    /// The server answered the last sync with an error.
    Failed(ApiError),
}

/// What the sync indicator shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncStatus {
    /// A sync (or, logged out, a health check) is running now.
    pub running: bool,
    /// Another attempt was asked for while one ran; it runs next.
    pub queued: bool,
    /// When the last sync finished without error, on this device (kept in
    /// IndexedDB across reloads).
    pub last_ok: Option<DateTime<Utc>>,
    /// The last sync since the page loaded or the user logged in
    /// succeeded (what the browser tests wait for).
    pub synced: bool,
    /// What the last attempt found.
    pub link: Link,
    /// The last failure, cleared by the next success.
    pub error: Option<ApiError>,
    /// Failures in a row, for the backoff.
    pub failures: u32,
    /// When the next automatic attempt is due.
    pub next_at: Option<DateTime<Utc>>,
    /// The evidence upload under way, if any.
    pub upload: Option<UploadProgress>,
    /// Records on this tablet that wait for another user's login (the
    /// last sync sent everything else): said, not a failure.
    pub held: u64,
}

/// How far the blob being uploaded has come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UploadProgress {
    /// Bytes the server holds.
    pub sent: u64,
    /// The blob's size.
    pub total: u64,
}
