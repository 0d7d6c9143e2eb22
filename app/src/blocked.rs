//! Why the server stopped accepting this device, kept apart from the app
//! state so that the store (`db`) can save it without depending on the
//! state that loads from the store.

use shared::lang::Lang;

/// Why this device may no longer record or sync: the server stopped
/// accepting it. Kept in IndexedDB, so a reload (offline too) still says so
/// and still refuses new cases; a successful login clears it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Blocked {
    /// An administrator revoked the device: the server said
    /// `auth.device_revoked` (at a login, or to a request).
    Revoked,
    /// The server no longer knows this device's session
    /// (`auth.invalid_token`), or it ended unused (`auth.token_expired`):
    /// the device may have been revoked (the
    /// server answers a revoked device's token this way), the user
    /// disabled, or the server restored from a backup. Only a new login
    /// tells which.
    SessionEnded,
}

impl Blocked {
    /// The stable name, for `data-reason` and the export file.
    pub fn code(self) -> &'static str {
        match self {
            Blocked::Revoked => "revoked",
            Blocked::SessionEnded => "session_ended",
        }
    }

    /// Why a new record is refused, for the forms.
    pub fn refusal(self, l: Lang) -> &'static str {
        match self {
            Blocked::Revoked => l.pick(
                "本设备已被系统管理员吊销，不能再登记新工单或记录处理过程。请改用其他设备，并联系系统管理员。",
                "This tablet was revoked by the administrator: it can no longer register cases or record actions. Use another tablet and contact the administrator.",
            ),
            Blocked::SessionEnded => l.pick(
                "服务器已不再接受本设备的登录，新的记录将无法上传，因此暂停登记。请先重新登录。",
                "The server no longer accepts this tablet's login, so new records could not be uploaded: registering is paused. Log in again first.",
            ),
        }
    }
}
