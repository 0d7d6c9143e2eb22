//! The one place an op is made ([`AppCtx::record`]), and why making one
//! can fail ([`RecordError`]).
//!
//! It lives apart from `state` because, once the op is stored, it asks the
//! sync engine to push it, and the engine works on the state: with the
//! recording here, `state` and `sync` need not import each other.

use crate::blocked::Blocked;
use crate::db::{self, DbError, NewBlob, PendingUpload};
use crate::state::{AppCtx, now};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use shared::case::CaseState;
use shared::device::DeviceState;
use shared::id::{CaseId, OpId};
use shared::lang::Lang;
use shared::op::{Action, Op};
use shared::regno::RegNoError;

/// Why an op was not recorded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RecordError {
    /// The server stopped accepting this device: an op made now could
    /// never be uploaded.
    #[error("the device is blocked: {}", .0.code())]
    Blocked(Blocked),
    /// The server deleted the case (retention): it takes no new records.
    #[error("the case was deleted")]
    CaseDeleted,
    /// The tablet's clock stands before 2000 (a flat battery resets it):
    /// the server would refuse the op for good (`clock.out_of_range`).
    #[error("the clock says {0}")]
    ClockUnset(DateTime<Utc>),
    /// Nobody is logged in.
    #[error("no session")]
    LoggedOut,
    /// The device has no state yet (before its first login).
    #[error("no device state")]
    NoDevice,
    /// The app state was disposed while the op was being made.
    #[error("state disposed")]
    Disposed,
    /// No registration number could be drawn for the case.
    #[error("registration number: {0}")]
    RegNo(#[from] RegNoError),
    /// IndexedDB refused the op; nothing was stored.
    #[error("storage: {0}")]
    Storage(#[from] DbError),
}

/// What a form says of a clock before 2000 (what the tablet says follows
/// in [`RecordError::ClockUnset`]'s message).
pub const CLOCK_UNSET: (&str, &str) = (
    "本平板的日期时间不对，请先在系统设置中校准日期和时间后再保存（填写的内容仍在）",
    "This tablet's date and time are wrong: set them in the system settings, then save again (what you typed is still here)",
);

/// Whether the tablet's clock, reading `at`, can date an op: not before
/// 2000, which the server refuses for good. A form asks first, so that
/// every time typed is not said to lie in the future.
pub fn clock_set(at: DateTime<Utc>) -> Result<(), RecordError> {
    if at < shared::validation::time_floor() {
        return Err(RecordError::ClockUnset(at));
    }
    Ok(())
}

/// `at` as the tablet's own clock shows it (its local time, not the
/// company's zone, and not UTC): what to compare with the clock on its
/// screen while setting it right.
fn tablet_time(at: DateTime<Utc>) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
        at.timestamp_millis() as f64
    ));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

impl RecordError {
    /// The error in the words the forms show.
    pub fn message(&self, l: Lang) -> String {
        match self {
            RecordError::Blocked(blocked) => blocked.refusal(l).to_string(),
            RecordError::LoggedOut => l.pick("请先登录", "Log in first").to_string(),
            RecordError::ClockUnset(at) => format!(
                "{}{}{}",
                l.pick(CLOCK_UNSET.0, CLOCK_UNSET.1),
                l.pick("。平板时间：", ". The tablet says: "),
                tablet_time(*at)
            ),
            RecordError::CaseDeleted => l
                .pick(
                    "该工单已按保存期限删除，不能再记录",
                    "The case was deleted at the end of its retention period; nothing more can be recorded",
                )
                .to_string(),
            // Neither happens to someone logged in on a loaded screen; the
            // words are for a developer reading a report.
            RecordError::NoDevice | RecordError::Disposed => self.to_string(),
            // The detail (a property or device code out of shape) is for
            // the console.
            RecordError::RegNo(_) => l
                .pick(
                    "无法生成登记号（项目编号或设备编号无效），请退出后重新登录再试",
                    "Could not make a registration number (a property or device code is invalid); log out and in again",
                )
                .to_string(),
            RecordError::Storage(DbError::Full(_)) => l.pick(DbError::FULL.0, DbError::FULL.1).to_string(),
            RecordError::Storage(_) => l
                .pick(
                    "无法保存到本机存储，请重试",
                    "Could not save on this tablet; try again",
                )
                .to_string(),
        }
    }
}

/// One recording at a time, from taking its numbers to the end of its
/// save. A save that fails gives its sequence number back only if no later
/// recording took the next one meanwhile; two at once (a photo's slow save
/// beside a note) could otherwise leave a number that no stored op holds,
/// and the server, which takes a device's ops without gaps, would take
/// none after it.
static RECORDING: futures::lock::Mutex<()> = futures::lock::Mutex::new(());

/// Waits for the recording under way to end, and holds off the next while
/// the guard lives: for a change to what the tablet holds that an op
/// recorded meanwhile would be lost to (`scope::settle`).
pub(crate) async fn between_recordings() -> futures::lock::MutexGuard<'static, ()> {
    RECORDING.lock().await
}

impl AppCtx {
    /// Makes an op, stores it durably with the device state, and only then
    /// shows it. `build` gets the device state to draw a registration
    /// number from and the op's time (a registration number's date must be
    /// the op's date, even at midnight), and returns the action.
    pub async fn record(
        self,
        case_id: CaseId,
        expected_state: Option<CaseState>,
        build: impl FnOnce(&mut DeviceState, DateTime<Utc>) -> Result<Action, RecordError>,
    ) -> Result<Op, RecordError> {
        self.record_with(case_id, expected_state, Vec::new(), build)
            .await
    }

    /// [`AppCtx::record`] for an op that names evidence: `blobs` are stored
    /// in the op's transaction and wait there for upload.
    pub async fn record_with(
        self,
        case_id: CaseId,
        expected_state: Option<CaseState>,
        blobs: Vec<NewBlob>,
        build: impl FnOnce(&mut DeviceState, DateTime<Utc>) -> Result<Action, RecordError>,
    ) -> Result<Op, RecordError> {
        let _turn = RECORDING.lock().await;
        // Nothing new on a device the server no longer accepts: it could
        // never be uploaded (see `Blocked`).
        if let Some(blocked) = self.blocked.get_untracked() {
            return Err(RecordError::Blocked(blocked));
        }
        if self.deleted.with_untracked(|d| d.contains(&case_id)) {
            return Err(RecordError::CaseDeleted);
        }
        let actor = self.actor().ok_or(RecordError::LoggedOut)?;
        let at = now();
        clock_set(at)?;
        // Synchronous read-modify-write of the device state (see the
        // invariant in `state`), then the snapshot goes to IndexedDB.
        let made = self.device.try_update(|d| {
            let d = d.as_mut().ok_or(RecordError::NoDevice)?;
            let before = d.clone();
            let action = build(d, at).inspect_err(|_| *d = before.clone())?;
            let op = d.make_op(
                OpId(uuid::Uuid::now_v7()),
                case_id,
                actor,
                expected_state,
                action,
                at,
            );
            Ok::<_, RecordError>((op, d.clone(), before))
        });
        let (op, snapshot, before) = match made {
            Some(Ok(made)) => made,
            Some(Err(e)) => return Err(e),
            None => return Err(RecordError::Disposed),
        };
        // Proven with its author's key (`shared::proof`), for a records
        // file if the tablet never uploads it.
        let key = self
            .session
            .with_untracked(|s| s.as_ref().and_then(|s| s.record_key.clone()));
        if let Err(e) = db::save_op((&op, key.as_deref()), &snapshot, &blobs).await {
            leptos::logging::error!("saving op {}: {e}", op.id);
            // Nothing was stored, so give back the sequence and the
            // registration number, unless something else moved on since.
            self.device.update(|d| {
                if let Some(d) = d.as_mut().filter(|d| d.last_seq == op.seq) {
                    d.last_seq = before.last_seq;
                    d.reg_counter = before.reg_counter;
                }
            });
            return Err(RecordError::Storage(e));
        }
        self.uploads.update(|u| {
            for b in &blobs {
                u.insert(
                    b.hash,
                    PendingUpload {
                        hash: b.hash,
                        size: b.blob.size() as u64,
                        case_id,
                        seq: op.seq,
                        device: Some(op.device),
                        set_aside: false,
                    },
                );
            }
        });
        self.add_ops(vec![op.clone()]);
        crate::sync::request(self);
        Ok(op)
    }
}
