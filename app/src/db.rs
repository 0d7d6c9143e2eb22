//! The device's durable store: IndexedDB through `indexed_db_futures`.
//!
//! Object stores (database `complaints`, version 3):
//! - `ops`: every op this device made, keyed by op id, with an index on
//!   `case_id`. The value keeps the op as JSON so that it round-trips
//!   exactly as the server and the fold see it. (Before version 3, pulled
//!   ops were stored here too; those stay and are read as before.) When
//!   another user's login clears the cases, this device's own recent ops
//!   stay, marked `kept` (`DeviceState::keeps`): never folded or shown,
//!   only sent again if a server restored from a backup asks for them.
//! - `pulled` (version 3): the pulled ops, one record per pulled page: the
//!   page's ops as one JSON array, keyed by the server's epoch, the cursor
//!   the page moved to and the pull it belongs to (`DeviceState::page_key`).
//!   One record per page instead of one per op: a
//!   new tablet's first sync and every reload read and write a few dozen
//!   records instead of a hundred thousand, which is what a cold sync's
//!   time went to.
//! - `device`: the identity the server issued at the first login
//!   (`identity`: the device id and its secret) and the [`DeviceState`]
//!   (`state`, which includes the pull cursor and the server's epoch).
//!   Versions before server-issued identities kept a device id made here
//!   under `id`; it is no longer read. `blocked` says the server stopped
//!   accepting the device (`crate::blocked::Blocked`), until a login
//!   succeeds. `deleted` lists the cases the server deleted (retention
//!   tombstones, see `crate::tombstone`).
//! - `session`: the logged-in user and token (`current`).
//! - `config`: settings, categories, calendar, properties and users, each
//!   under its own key, as JSON.
//! - `prefs`: the language, the device's user (`owner`) and the time of
//!   the last successful sync (`last_sync`), so the header tells it after
//!   a reload, offline too.
//! - `blobs` (version 2): evidence bytes as `Blob`s, keyed by their
//!   SHA-256: those taken on this device and those downloaded for display.
//! - `uploads` (version 2): the evidence this device took that the server
//!   does not hold yet ([`PendingUpload`], JSON), keyed by SHA-256.
//!
//! **Architecture Invariant:** there is no separate outbox store. The outbox
//! is the ops of this device with `seq > DeviceState::acked_seq`, so it can
//! never drift from what the server acknowledged. An op and the device state
//! that issued its sequence number are written in one transaction
//! ([`save_op`]), so a reload can never hand out a sequence number twice.
//! The evidence an attach op names is written in that same transaction,
//! with its upload entry, so no op names bytes the device lost.

use crate::blocked::Blocked;
use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{TransactionDurability, TransactionMode, TransactionOptions};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use shared::blob::BlobHash;
use shared::device::DeviceState;
use shared::id::{CaseId, DeviceId, OpId};
use shared::op::Op;
use shared::role::{Role, Scope};
use shared::wire::ConfigKey;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

const DB_NAME: &str = "complaints";
const DB_VERSION: u32 = 3;

const OPS: &str = "ops";
const PULLED: &str = "pulled";
const DEVICE: &str = "device";
const SESSION: &str = "session";
const CONFIG: &str = "config";
const PREFS: &str = "prefs";
const BLOBS: &str = "blobs";
const UPLOADS: &str = "uploads";

/// Why a storage call failed. Shown to people as "could not save on this
/// tablet"; the detail goes to the console.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DbError {
    /// IndexedDB refused (private mode, a blocked upgrade…).
    #[error("IndexedDB: {0}")]
    Idb(String),
    /// The browser's storage quota for the app is used up: nothing of the
    /// write was kept. Told apart because the person can act on it (free
    /// space on the tablet) where other failures only ask for a retry.
    #[error("storage full: {0}")]
    Full(String),
    /// A stored value did not parse (written by a newer version?).
    #[error("stored data: {0}")]
    Corrupt(String),
    /// [`open`] was not called or failed.
    #[error("the database is not open")]
    NotOpen,
    /// The database was upgraded by a newer build of the app than this
    /// one (the server rolled back, or another tab runs the newer one):
    /// the browser opens it only for that build.
    #[error("the database was upgraded by a newer build: {0}")]
    NewerBuild(String),
}

impl DbError {
    /// The words for a full tablet, in Chinese and English: one text for
    /// every screen, since the remedy is the same wherever it happens.
    pub const FULL: (&'static str, &'static str) = (
        "平板存储空间已满，未能保存到本机。请删除平板上不用的文件或应用，腾出空间后重试。",
        "The tablet's storage is full; nothing was saved on it. Delete files or apps you do not need on the tablet to make room, then try again.",
    );
}

/// The name the browser gives a write refused for want of space.
const QUOTA_EXCEEDED: &str = "QuotaExceededError";

impl From<indexed_db_futures::error::Error> for DbError {
    fn from(e: indexed_db_futures::error::Error) -> Self {
        use indexed_db_futures::error::{DomException, Error};
        match &e {
            Error::DomException(DomException::Other(d)) if d.name() == QUOTA_EXCEEDED => {
                DbError::Full(d.message())
            }
            _ => DbError::Idb(e.to_string()),
        }
    }
}

/// Commits `tx`. A transaction refused for want of space is aborted by
/// the browser with the reason on the transaction, not on any request,
/// and `indexed_db_futures` reports only "aborted": the reason is read
/// back here so the person is told the tablet is full.
async fn commit(tx: indexed_db_futures::transaction::Transaction<'_>) -> Result<(), DbError> {
    use indexed_db_futures::internals::SystemRepr;
    let sys = tx.as_sys().clone();
    match tx.commit().await {
        Ok(()) => Ok(()),
        Err(e) => match sys.error() {
            Some(d) if d.name() == QUOTA_EXCEEDED => Err(DbError::Full(d.message())),
            _ => Err(e.into()),
        },
    }
}

impl From<indexed_db_futures::error::OpenDbError> for DbError {
    fn from(e: indexed_db_futures::error::OpenDbError) -> Self {
        use indexed_db_futures::error::{DomException, Error, OpenDbError};
        match &e {
            OpenDbError::Base(Error::DomException(DomException::Other(d)))
                if d.name() == "VersionError" =>
            {
                DbError::NewerBuild(d.message())
            }
            _ => DbError::Idb(e.to_string()),
        }
    }
}

impl From<serde_json::Error> for DbError {
    fn from(e: serde_json::Error) -> Self {
        DbError::Corrupt(e.to_string())
    }
}

/// One row of the `ops` store.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct OpRecord {
    id: String,
    case_id: String,
    /// The op as JSON: exact, and independent of how serde-wasm-bindgen
    /// maps numbers and dates.
    json: String,
    /// Kept aside at another user's login: for the outbox only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    kept: bool,
    /// The proof, made with its author's key, that they made it here
    /// (`shared::proof`): what a records file carries for the import. None
    /// for ops made before keys existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    proof: Option<String>,
}

impl OpRecord {
    /// The record of `op`, proven with `key` if given.
    fn new(op: &Op, key: Option<&str>) -> Result<OpRecord, DbError> {
        let json = serde_json::to_string(op)?;
        Ok(OpRecord {
            id: op.id.to_string(),
            case_id: op.case_id.to_string(),
            proof: key.map(|key| shared::proof::prove(key, &json)),
            json,
            kept: false,
        })
    }
}

/// Every record of the `ops` store: this device's own ops, pulled pages
/// apart.
async fn own_records(
    tx: &indexed_db_futures::transaction::Transaction<'_>,
) -> Result<Vec<OpRecord>, DbError> {
    Ok(tx
        .object_store(OPS)?
        .get_all()
        .serde()?
        .await?
        .collect::<Result<_, _>>()?)
}

/// The session kept between restarts, so the app works offline after one
/// login on the device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSession {
    /// The bearer token.
    pub token: String,
    /// When the token stops working.
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// The user.
    pub user: shared::role::User,
    /// The server allows nothing but a password change until the user sets
    /// their own (a first login after an admin set it). Kept, so a reload
    /// on the change-password screen comes back to it.
    #[serde(default)]
    pub must_change_password: bool,
    /// The user's key on this device, which proves each op they make here
    /// (`shared::proof`); none in a session stored before keys existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_key: Option<String>,
    /// What checks the password at the idle lock (`crate::idle_lock`):
    /// made at the login and at each password change; none in a session
    /// stored before the lock existed, which then never locks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlock: Option<shared::idle_lock::Verifier>,
}

/// Who this device is to the server: the id the server issued at the first
/// login and the secret that proves it at every later one. A login that
/// names the id without the secret gets a new device.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceIdentity {
    /// The device id, as issued.
    pub device: DeviceId,
    /// The secret issued with it.
    pub secret: String,
    /// The name the user gave this tablet at its first login ("客服前台平板
    /// 2"), sent again if the server ever issues a new id.
    #[serde(default)]
    pub label: String,
}

impl std::fmt::Debug for DeviceIdentity {
    // The secret is a credential: it never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceIdentity")
            .field("device", &self.device)
            .field("secret", &"…")
            .field("label", &self.label)
            .finish()
    }
}

/// What the app reads at start.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The identity the server issued (absent before the first login).
    pub identity: Option<DeviceIdentity>,
    /// The device state (absent before the first login).
    pub state: Option<DeviceState>,
    /// The session (absent when logged out).
    pub session: Option<StoredSession>,
    /// Every stored op but the kept ones.
    pub ops: Vec<Op>,
    /// This device's own ops kept aside at another user's login.
    pub kept: Vec<Op>,
    /// The device and sequence number of each stored op this build cannot
    /// read (written by a newer one: the server was rolled back, or
    /// another tab runs a newer build): their numbers are never handed out
    /// again.
    pub unreadable: Vec<Unreadable>,
    /// The config items by key, as JSON.
    pub config: Vec<(String, String)>,
    /// The chosen language code.
    pub lang: Option<String>,
    /// When the last sync succeeded.
    pub last_sync: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether the server stopped accepting this device.
    pub blocked: Option<Blocked>,
    /// Evidence taken here that the server does not hold yet.
    pub uploads: Vec<PendingUpload>,
    /// The cases the server deleted.
    pub deleted: Vec<CaseId>,
}

/// What every stored op says of its number, whatever its action, and a
/// registration of the number it gave the case.
#[derive(Debug, Deserialize)]
pub struct Unreadable {
    /// The device that made it.
    pub device: DeviceId,
    /// Its sequence number there.
    pub seq: u64,
    /// What its action holds, read only for a registration's number.
    #[serde(default)]
    action: serde_json::Value,
}

impl Unreadable {
    /// The registration number, when the op registered a case.
    pub fn reg_no(&self) -> Option<shared::regno::RegNo> {
        self.action.get("reg_no")?.as_str()?.parse().ok()
    }
}

/// Evidence this device took that the server does not hold yet: uploaded
/// once the server acknowledged the attach op that names it (`seq`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingUpload {
    /// The bytes' SHA-256, their key in `blobs`.
    pub hash: BlobHash,
    /// How many bytes.
    pub size: u64,
    /// The case whose attach op names them.
    pub case_id: CaseId,
    /// The device sequence number of that op.
    pub seq: u64,
    /// The device id that op was made under (`None` in entries of builds
    /// before it was kept: the id the tablet had then). Once the server
    /// gave the tablet a new id (it was restored and did not know this
    /// one), `seq` says nothing of what the new id sent.
    #[serde(default)]
    pub device: Option<DeviceId>,
    /// The server took no bytes for it once it had acknowledged the op
    /// (`blob.unknown`: the op went to quarantine, or its case left the
    /// user's scope). The bytes stay here and are offered again at every
    /// sync, in case an admin re-applies the op; meanwhile they no longer
    /// hold a shared tablet against another user's login.
    #[serde(default)]
    pub set_aside: bool,
}

impl PendingUpload {
    /// Whether its op was made under another device id than `current`,
    /// the tablet's now: it is not waiting for the new id to send as many
    /// ops, and is no colleague's unsent work, as a former id's ops are
    /// not.
    pub fn of_former_device(&self, current: Option<DeviceId>) -> bool {
        self.device.is_some_and(|d| Some(d) != current)
    }
}

/// Evidence bytes to store with the op that names them.
#[derive(Debug, Clone)]
pub struct NewBlob {
    /// Their SHA-256.
    pub hash: BlobHash,
    /// The bytes.
    pub blob: web_sys::Blob,
}

thread_local! {
    static DB: RefCell<Option<Database>> = const { RefCell::new(None) };
}

fn db() -> Result<Database, DbError> {
    DB.with(|d| d.borrow().clone()).ok_or(DbError::NotOpen)
}

/// Opens (and on first use creates) the database.
pub async fn open() -> Result<(), DbError> {
    let database = Database::open(DB_NAME)
        .with_version(DB_VERSION)
        .with_on_upgrade_needed(|event, db| {
            // Version 1 is the first schema; later versions add their
            // migrations as further arms keyed on the old version.
            if event.old_version() < 1.0 {
                let ops = db
                    .create_object_store(OPS)
                    .with_key_path("id".into())
                    .build()?;
                ops.create_index("case_id", "case_id".into()).build()?;
                for name in [DEVICE, SESSION, CONFIG, PREFS] {
                    db.create_object_store(name).build()?;
                }
            }
            if event.old_version() < 2.0 {
                for name in [BLOBS, UPLOADS] {
                    db.create_object_store(name).build()?;
                }
            }
            if event.old_version() < 3.0 {
                db.create_object_store(PULLED).build()?;
            }
            Ok(())
        })
        .await?;
    DB.with(|d| *d.borrow_mut() = Some(database));
    Ok(())
}

/// Reads everything the app needs at start.
pub async fn load() -> Result<Snapshot, DbError> {
    let db = db()?;
    let tx = db
        .transaction([OPS, PULLED, DEVICE, SESSION, CONFIG, PREFS, UPLOADS])
        .build()?;
    let identity = get_json::<DeviceIdentity>(&tx, DEVICE, "identity").await?;
    let state = get_json::<DeviceState>(&tx, DEVICE, "state").await?;
    let session = get_json::<StoredSession>(&tx, SESSION, "current").await?;
    let lang = get_json::<String>(&tx, PREFS, "lang").await?;
    let blocked = get_json::<Blocked>(&tx, DEVICE, "blocked").await?;
    let deleted = get_json::<Vec<CaseId>>(&tx, DEVICE, "deleted")
        .await?
        .unwrap_or_default();
    // A time that does not parse is only a display: forget it.
    let last_sync = get_json::<chrono::DateTime<chrono::Utc>>(&tx, PREFS, "last_sync")
        .await
        .unwrap_or_else(|e| {
            leptos::logging::warn!("the stored last sync time: {e}");
            None
        });

    let records = own_records(&tx).await?;
    let mut ops = Vec::with_capacity(records.len());
    let mut kept = Vec::new();
    let mut unreadable = Vec::new();
    for r in records {
        // One unreadable op must not hide every other case: skip and log it.
        match serde_json::from_str::<Op>(&r.json) {
            Ok(op) if r.kept => kept.push(op),
            Ok(op) => ops.push(op),
            Err(e) => {
                leptos::logging::warn!("skipping stored op {}: {e}", r.id);
                // Its number, at least, is read: every op has one.
                if let Ok(n) = serde_json::from_str::<Unreadable>(&r.json) {
                    unreadable.push(n);
                }
            }
        }
    }
    let pages: Vec<String> = tx
        .object_store(PULLED)?
        .get_all()
        .primitive()?
        .await?
        .collect::<Result<_, _>>()?;
    for json in pages {
        ops.extend(pulled_page(&json));
    }

    let stored: Vec<String> = tx
        .object_store(UPLOADS)?
        .get_all()
        .primitive()?
        .await?
        .collect::<Result<_, _>>()?;
    let mut uploads = Vec::with_capacity(stored.len());
    for json in stored {
        match serde_json::from_str::<PendingUpload>(&json) {
            Ok(u) => uploads.push(u),
            Err(e) => leptos::logging::warn!("skipping a stored upload: {e}"),
        }
    }

    let store = tx.object_store(CONFIG)?;
    let mut config = Vec::new();
    for key in ConfigKey::ALL.map(ConfigKey::code) {
        let value: Option<String> = store.get(key).primitive()?.await?;
        if let Some(value) = value {
            config.push((key.to_string(), value));
        }
    }
    Ok(Snapshot {
        identity,
        state,
        session,
        ops,
        kept,
        unreadable,
        config,
        lang,
        last_sync,
        blocked,
        uploads,
        deleted,
    })
}

/// The ops of a stored page. A page that does not parse as a whole is
/// read op by op, so one unreadable op does not hide the others.
fn pulled_page(json: &str) -> Vec<Op> {
    if let Ok(ops) = serde_json::from_str::<Vec<Op>>(json) {
        return ops;
    }
    let Ok(values) = serde_json::from_str::<Vec<serde_json::Value>>(json) else {
        leptos::logging::warn!("skipping a stored page that is not a list of ops");
        return Vec::new();
    };
    values
        .into_iter()
        .filter_map(|v| {
            // Through the text rather than `from_value`: the app then holds
            // one reader of `Op` (from JSON text), not a second one from
            // `Value`, 13 KiB of wasm for this rare path.
            serde_json::from_str::<Op>(&v.to_string())
                .inspect_err(|e| leptos::logging::warn!("skipping a stored pulled op: {e}"))
                .ok()
        })
        .collect()
}

async fn get_json<T: DeserializeOwned>(
    tx: &indexed_db_futures::transaction::Transaction<'_>,
    store: &str,
    key: &str,
) -> Result<Option<T>, DbError> {
    let value: Option<String> = tx.object_store(store)?.get(key).primitive()?.await?;
    match value {
        Some(json) => Ok(Some(serde_json::from_str(&json)?)),
        None => Ok(None),
    }
}

fn put_json<T: Serialize>(
    tx: &indexed_db_futures::transaction::Transaction<'_>,
    store: &str,
    key: &str,
    value: &T,
) -> Result<(), DbError> {
    let json = serde_json::to_string(value)?;
    tx.object_store(store)?
        .put(json)
        .with_key(key.to_string())
        .primitive()?;
    Ok(())
}

/// Asks the browser to keep this site's storage under storage pressure:
/// without it, the browser may evict the whole database, outbox and all,
/// when the disk fills. Chromium grants it without asking to an installed
/// app (and by its own measure of use otherwise); refused, the storage is
/// kept as before, so the answer is only logged.
pub async fn ask_to_persist() {
    let Some(storage) = web_sys::window().map(|w| w.navigator().storage()) else {
        return;
    };
    let granted = match storage.persist() {
        Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise).await,
        Err(e) => Err(e),
    };
    match granted {
        Ok(v) if v.as_bool() == Some(true) => {}
        Ok(_) => {
            leptos::logging::log!("the browser may evict this site's storage when the disk fills")
        }
        Err(e) => leptos::logging::warn!("asking to keep the storage: {e:?}"),
    }
}

/// What the browser says of this site's storage on the tablet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StorageUse {
    /// Bytes used, by the browser's estimate.
    pub used: f64,
    /// Bytes the browser would let the site use in all.
    pub quota: f64,
    /// Whether the browser keeps it under storage pressure
    /// ([`ask_to_persist`] granted): if not, a full disk may evict it.
    pub persisted: bool,
}

/// Reads [`StorageUse`]; `None` where the browser does not tell.
pub async fn storage_use() -> Option<StorageUse> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let storage = web_sys::window()?.navigator().storage();
    let estimate: web_sys::StorageEstimate = JsFuture::from(storage.estimate().ok()?)
        .await
        .ok()?
        .unchecked_into();
    let persisted = JsFuture::from(storage.persisted().ok()?).await.ok()?;
    Some(StorageUse {
        used: estimate.get_usage()?,
        quota: estimate.get_quota()?,
        persisted: persisted.as_bool() == Some(true),
    })
}

/// For what only this tablet holds (an op and what it names, the device's
/// secret): the commit is reported once the changes are on disk, not only
/// handed to the operating system (Chromium's default since version 121),
/// so "saved" survives a power cut. Everything else can be fetched again.
fn on_disk() -> TransactionOptions {
    TransactionOptions::new().with_durability(TransactionDurability::Strict)
}

/// Stores a local op, the device state that issued it and the evidence
/// bytes it names (each waiting for upload), atomically. Only when this
/// returns `Ok` may the UI say "saved".
///
/// The requests are issued before the first `await`, so transactions are
/// queued in call order: a later snapshot of the device state is never
/// overwritten by an earlier one.
pub async fn save_op(
    (op, key): (&Op, Option<&str>),
    state: &DeviceState,
    blobs: &[NewBlob],
) -> Result<(), DbError> {
    let db = db()?;
    let tx = db
        .transaction([OPS, DEVICE, BLOBS, UPLOADS])
        .with_mode(TransactionMode::Readwrite)
        .with_options(on_disk())
        .build()?;
    tx.object_store(OPS)?.put(OpRecord::new(op, key)?).serde()?;
    put_json(&tx, DEVICE, "state", state)?;
    for b in blobs {
        let key = b.hash.to_string();
        tx.object_store(BLOBS)?
            .put(wasm_bindgen::JsValue::from(b.blob.clone()))
            .with_key(key.clone())
            .primitive()?;
        let upload = PendingUpload {
            hash: b.hash,
            size: b.blob.size() as u64,
            case_id: op.case_id,
            seq: op.seq,
            device: Some(op.device),
            set_aside: false,
        };
        put_json(&tx, UPLOADS, &key, &upload)?;
    }
    commit(tx).await?;
    Ok(())
}

/// The evidence bytes named `hash`, if this device holds them.
pub async fn blob(hash: BlobHash) -> Result<Option<web_sys::Blob>, DbError> {
    use wasm_bindgen::JsCast;
    let db = db()?;
    let tx = db.transaction(BLOBS).build()?;
    let value: Option<wasm_bindgen::JsValue> = tx
        .object_store(BLOBS)?
        .get(hash.to_string())
        .primitive()?
        .await?;
    Ok(value.and_then(|v| v.dyn_into::<web_sys::Blob>().ok()))
}

/// The hashes of every blob this device holds.
pub async fn blob_hashes() -> Result<Vec<String>, DbError> {
    let db = db()?;
    let tx = db.transaction(BLOBS).build()?;
    let keys = tx
        .object_store(BLOBS)?
        .get_all_keys::<String>()
        .primitive()?
        .await?
        .collect::<Result<_, _>>()?;
    Ok(keys)
}

/// Drops the evidence bytes named `hashes`, except those still to upload
/// or set aside (an entry in `uploads`), which exist nowhere else. Returns
/// how many went.
pub async fn drop_blobs(hashes: &[BlobHash]) -> Result<usize, DbError> {
    let db = db()?;
    let tx = db
        .transaction([BLOBS, UPLOADS])
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    let uploads: HashSet<String> = tx
        .object_store(UPLOADS)?
        .get_all_keys::<String>()
        .primitive()?
        .await?
        .collect::<Result<_, _>>()?;
    let blobs = tx.object_store(BLOBS)?;
    let mut dropped = 0;
    for key in hashes.iter().map(BlobHash::to_string) {
        if !uploads.contains(&key) {
            blobs.delete(key).primitive()?;
            dropped += 1;
        }
    }
    commit(tx).await?;
    Ok(dropped)
}

/// Keeps downloaded evidence bytes, so they show offline too.
pub async fn save_blob(hash: BlobHash, blob: &web_sys::Blob) -> Result<(), DbError> {
    let db = db()?;
    let tx = db
        .transaction(BLOBS)
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    tx.object_store(BLOBS)?
        .put(wasm_bindgen::JsValue::from(blob.clone()))
        .with_key(hash.to_string())
        .primitive()?;
    commit(tx).await?;
    Ok(())
}

/// Stores an upload entry as it now stands (set aside, say).
pub async fn save_upload(upload: &PendingUpload) -> Result<(), DbError> {
    let db = db()?;
    let tx = db
        .transaction(UPLOADS)
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    put_json(&tx, UPLOADS, &upload.hash.to_string(), upload)?;
    commit(tx).await?;
    Ok(())
}

/// The server holds the blob whole: it no longer waits for upload. The
/// bytes stay, so the evidence still shows offline.
pub async fn finish_upload(hash: BlobHash) -> Result<(), DbError> {
    let db = db()?;
    let tx = db
        .transaction(UPLOADS)
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    tx.object_store(UPLOADS)?
        .delete(hash.to_string())
        .primitive()?;
    commit(tx).await?;
    Ok(())
}

/// Stores the device state alone (after an acknowledgement).
pub async fn save_state(state: &DeviceState) -> Result<(), DbError> {
    let db = db()?;
    let tx = db
        .transaction(DEVICE)
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    put_json(&tx, DEVICE, "state", state)?;
    commit(tx).await?;
    Ok(())
}

/// Stores one pulled page: its ops as one record, as the server wrote
/// them (an op stored twice, in
/// `ops` and in a page, is read once: the fold ignores repeated op ids),
/// the changed config, what its deletions remove ([`Forget`]) and the
/// device state with the new cursor, in one transaction, so the cursor
/// never runs ahead of the stored ops nor of the cases deleted.
pub async fn save_pulled(
    ops: &[Box<serde_json::value::RawValue>],
    config: &[(String, String)],
    forget: &Forget,
    state: &DeviceState,
) -> Result<(), DbError> {
    let db = db()?;
    let tx = db
        .transaction([OPS, PULLED, CONFIG, DEVICE, BLOBS, UPLOADS])
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    if !ops.is_empty() {
        // As the server wrote them ([`pulled_page`] reads them back).
        let json = serde_json::to_string(ops)?;
        tx.object_store(PULLED)?
            .put(json)
            .with_key(state.page_key())
            .primitive()?;
    }
    let config_store = tx.object_store(CONFIG)?;
    for (key, json) in config {
        config_store
            .put(json.clone())
            .with_key(key.clone())
            .primitive()?;
    }
    put_json(&tx, DEVICE, "state", state)?;
    forget_in(&tx, forget).await?;
    commit(tx).await?;
    Ok(())
}

/// What the deletion of cases removes from the device: ops, evidence
/// bytes and pending uploads, and the list of deleted cases to keep.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Forget {
    /// The ops to delete.
    pub ops: Vec<OpId>,
    /// The evidence bytes to delete.
    pub blobs: Vec<BlobHash>,
    /// The pending uploads to delete.
    pub uploads: Vec<BlobHash>,
    /// Every case the server deleted, these included (absent: unchanged).
    pub deleted: Option<Vec<CaseId>>,
}

async fn forget_in(
    tx: &indexed_db_futures::transaction::Transaction<'_>,
    forget: &Forget,
) -> Result<(), DbError> {
    let ops = tx.object_store(OPS)?;
    for id in &forget.ops {
        ops.delete(id.to_string()).primitive()?;
    }
    let blobs = tx.object_store(BLOBS)?;
    for hash in &forget.blobs {
        blobs.delete(hash.to_string()).primitive()?;
    }
    let uploads = tx.object_store(UPLOADS)?;
    for hash in &forget.uploads {
        uploads.delete(hash.to_string()).primitive()?;
    }
    if let Some(deleted) = &forget.deleted {
        put_json(tx, DEVICE, "deleted", deleted)?;
    }
    if !forget.ops.is_empty() {
        forget_pulled(tx, &forget.ops.iter().copied().collect()).await?;
    }
    Ok(())
}

/// Deletes the pulled pages of epochs other than `epoch` (the server was
/// restored, and everything was pulled again since), and answers the ops
/// only they held, by case: the server no longer has them (the tablet's
/// own, under any device id it had, stay: they are in its own store and
/// go out again). Runs at the end of every full pull, and finds nothing
/// but after a restore.
pub async fn forget_other_epochs(epoch: u64) -> Result<Vec<(CaseId, HashSet<OpId>)>, DbError> {
    let db = db()?;
    let tx = db
        .transaction([PULLED, OPS])
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    let store = tx.object_store(PULLED)?;
    let keys = all_keys(&store).await?;
    let current = format!("{epoch}-");
    // A page of epoch 0 was pulled before the device knew an epoch: it is
    // no earlier epoch's, and its ops were never pulled again.
    let earlier = |key: &str| !key.starts_with(&current) && !key.starts_with("0-");
    if !keys.iter().any(|k| earlier(k)) {
        return Ok(Vec::new());
    }
    let pages: Vec<String> = store
        .get_all()
        .primitive()?
        .await?
        .collect::<Result<_, _>>()?;
    let mut kept: HashSet<OpId> = all_keys(&tx.object_store(OPS)?)
        .await?
        .iter()
        .filter_map(|id| id.parse().ok())
        .collect();
    let mut old: Vec<Op> = Vec::new();
    for (key, json) in keys.into_iter().zip(pages) {
        let page = pulled_page(&json);
        if earlier(&key) {
            old.extend(page);
            store.delete(key).primitive()?;
        } else {
            kept.extend(page.into_iter().map(|op| op.id));
        }
    }
    commit(tx).await?;
    let mut gone: HashMap<CaseId, HashSet<OpId>> = HashMap::new();
    for op in old.into_iter().filter(|op| !kept.contains(&op.id)) {
        gone.entry(op.case_id).or_default().insert(op.id);
    }
    Ok(gone.into_iter().collect())
}

/// Every key of `store`, as text (op ids, page keys).
async fn all_keys(
    store: &indexed_db_futures::object_store::ObjectStore<'_>,
) -> Result<Vec<String>, DbError> {
    Ok(store
        .get_all_keys()
        .primitive()?
        .await?
        .collect::<Result<_, _>>()?)
}

/// Rewrites the pulled pages that hold any of `ops` without them (a page
/// left empty is deleted). Deletions are rare, so reading every page here
/// is cheaper than keeping an index of which page holds which case.
async fn forget_pulled(
    tx: &indexed_db_futures::transaction::Transaction<'_>,
    ops: &HashSet<OpId>,
) -> Result<(), DbError> {
    let store = tx.object_store(PULLED)?;
    let keys = all_keys(&store).await?;
    let pages: Vec<String> = store
        .get_all()
        .primitive()?
        .await?
        .collect::<Result<_, _>>()?;
    for (key, json) in keys.into_iter().zip(pages) {
        let page = pulled_page(&json);
        if !page.iter().any(|op| ops.contains(&op.id)) {
            continue;
        }
        // Kept as stored, by id: an op of a newer build this one cannot
        // read (the server rolled back) is another case's, and the cursor
        // is past it.
        let stored: Vec<serde_json::Value> = serde_json::from_str(&json)?;
        let kept: Vec<serde_json::Value> = stored
            .into_iter()
            .filter(|op| {
                op.get("id")
                    .and_then(|id| OpId::deserialize(id).ok())
                    .is_none_or(|id| !ops.contains(&id))
            })
            .collect();
        if kept.is_empty() {
            store.delete(key).primitive()?;
        } else {
            store
                .put(serde_json::to_string(&kept)?)
                .with_key(key)
                .primitive()?;
        }
    }
    Ok(())
}

/// Deletes the ops in `forget` alone (this device's ops of a deleted case,
/// once the server acknowledged them).
pub async fn forget(forget: &Forget) -> Result<(), DbError> {
    let db = db()?;
    let tx = db
        .transaction([OPS, PULLED, DEVICE, BLOBS, UPLOADS])
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    forget_in(&tx, forget).await?;
    commit(tx).await?;
    Ok(())
}

/// Stores the session and the device state after a login, and the
/// identity when the server issued a new one, in one transaction: a device
/// state is never stored without the identity its ops are pushed under.
/// The session's user becomes the device's owner in the same transaction,
/// so a new owner is never stored without the state whose pull cursor was
/// reset for them (a retried login would otherwise take the previous
/// user's cursor as its own). The server accepted the device again, so it
/// is no longer blocked.
pub async fn save_login(
    session: &StoredSession,
    state: &DeviceState,
    identity: Option<&DeviceIdentity>,
    held_scope: Option<(&Scope, Role)>,
) -> Result<(), DbError> {
    let db = db()?;
    let tx = db
        .transaction([SESSION, DEVICE, PREFS])
        .with_mode(TransactionMode::Readwrite)
        .with_options(on_disk())
        .build()?;
    put_json(&tx, PREFS, "owner", &session.user.id)?;
    if let Some((scope, role)) = held_scope {
        put_json(&tx, PREFS, "owner_scope", scope)?;
        put_json(&tx, PREFS, "owner_role", &role)?;
    }
    put_json(&tx, SESSION, "current", session)?;
    put_json(&tx, DEVICE, "state", state)?;
    if let Some(identity) = identity {
        put_json(&tx, DEVICE, "identity", identity)?;
    }
    tx.object_store(DEVICE)?.delete("blocked").primitive()?;
    commit(tx).await?;
    Ok(())
}

/// Stores the session alone (after a password change).
pub async fn save_session(session: &StoredSession) -> Result<(), DbError> {
    let db = db()?;
    let tx = db
        .transaction(SESSION)
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    put_json(&tx, SESSION, "current", session)?;
    commit(tx).await?;
    Ok(())
}

/// Forgets the session. Ops and the outbox stay: they belong to the device
/// and sync after the next login.
pub async fn clear_session() -> Result<(), DbError> {
    let db = db()?;
    let tx = db
        .transaction(SESSION)
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    tx.object_store(SESSION)?.delete("current").primitive()?;
    commit(tx).await?;
    Ok(())
}

/// What [`clear_cases`] stores in its own transaction, so that the cases
/// are never gone while a stored pull cursor says they were pulled.
pub struct Restart<'a> {
    /// The device state to store, its pull cursor reset.
    pub state: &'a DeviceState,
    /// The scope and role the next pull is for, if they are to be stored.
    pub pulled_for: Option<(&'a Scope, Role)>,
    /// Clear only if the stored session is still the one of this token
    /// (none: whatever it is).
    pub session: Option<&'a str>,
}

/// Drops every case, the config and the evidence bytes (another user
/// logged in on a device with an empty outbox and nothing left to upload:
/// they must not see the previous user's scope), except the bytes of the
/// uploads set aside (`keep`), which exist nowhere else, and the device's
/// own ops in `kept`, which stay marked as kept; stores `restart` with it.
/// Returns false, having changed nothing, when the stored session is no
/// longer `restart`'s.
pub async fn clear_cases(
    keep: &[BlobHash],
    kept: &[Op],
    restart: Option<Restart<'_>>,
) -> Result<bool, DbError> {
    let db = db()?;
    let tx = db
        .transaction([OPS, PULLED, CONFIG, BLOBS, DEVICE, PREFS, SESSION])
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    if let Some(token) = restart.as_ref().and_then(|r| r.session) {
        let stored = get_json::<StoredSession>(&tx, SESSION, "current").await?;
        if stored.is_none_or(|s| s.token != token) {
            return Ok(false);
        }
    }
    // The kept ops keep their proofs: a records file may need them.
    let proofs: HashMap<String, String> = own_records(&tx)
        .await?
        .into_iter()
        .filter_map(|r| Some((r.id, r.proof?)))
        .collect();
    let ops = tx.object_store(OPS)?;
    ops.clear()?;
    for op in kept {
        let mut record = OpRecord {
            kept: true,
            ..OpRecord::new(op, None)?
        };
        record.proof = proofs.get(&record.id).cloned();
        ops.put(record).serde()?;
    }
    tx.object_store(PULLED)?.clear()?;
    tx.object_store(CONFIG)?.clear()?;
    let blobs = tx.object_store(BLOBS)?;
    let keep: HashSet<String> = keep.iter().map(BlobHash::to_string).collect();
    let held: Vec<String> = blobs
        .get_all_keys::<String>()
        .primitive()?
        .await?
        .collect::<Result<_, _>>()?;
    for key in held.into_iter().filter(|k| !keep.contains(k)) {
        blobs.delete(key).primitive()?;
    }
    if let Some(restart) = restart {
        put_json(&tx, DEVICE, "state", restart.state)?;
        if let Some((scope, role)) = restart.pulled_for {
            put_json(&tx, PREFS, "owner_scope", scope)?;
            put_json(&tx, PREFS, "owner_role", &role)?;
        }
    }
    commit(tx).await?;
    Ok(true)
}

/// Proves with `key` the ops of `user` made on `device` after `acked`
/// that have no proof: made in a session begun before logins gave keys,
/// now that the key came. Returns how many.
pub async fn prove_own(
    (user, device): (shared::id::UserId, DeviceId),
    acked: u64,
    key: &str,
) -> Result<usize, DbError> {
    let db = db()?;
    let tx = db
        .transaction(OPS)
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    let mut proven = 0;
    for mut record in own_records(&tx).await? {
        if record.proof.is_some() {
            continue;
        }
        let Ok(op) = serde_json::from_str::<Op>(&record.json) else {
            continue;
        };
        if op.author == user && op.device == device && op.seq > acked {
            // As this build writes the op, which is what the file carries
            // and the server reads back: the stored JSON may be an older
            // build's, without a field added since.
            record.proof = Some(shared::proof::prove(key, &serde_json::to_string(&op)?));
            tx.object_store(OPS)?.put(record).serde()?;
            proven += 1;
        }
    }
    commit(tx).await?;
    Ok(proven)
}

/// The proofs of this tablet's own ops that have one (`shared::proof`),
/// by op id.
pub async fn proofs() -> Result<HashMap<OpId, String>, DbError> {
    let db = db()?;
    let tx = db.transaction(OPS).build()?;
    Ok(own_records(&tx)
        .await?
        .into_iter()
        .filter_map(|r| Some((r.id.parse().ok()?, r.proof?)))
        .collect())
}

/// The ops this tablet made under another device id than `device` (its
/// own ops store, pulled pages apart): after the server issued it a new
/// identity, the old one's ops no longer sync and exist nowhere else.
pub async fn stranded_ops(device: DeviceId) -> Result<Vec<Op>, DbError> {
    let db = db()?;
    let tx = db.transaction(OPS).build()?;
    Ok(own_records(&tx)
        .await?
        .iter()
        .filter_map(|r| serde_json::from_str::<Op>(&r.json).ok())
        .filter(|op| op.device != device)
        .collect())
}

/// Stores `key` as the key of the session of `token` (`StoredSession::
/// record_key`), in one transaction with the checks: only if that session
/// is still the stored one (no logout or other login meanwhile) and the
/// device is not blocked. Returns whether it was stored.
pub async fn save_record_key(token: &str, key: &str) -> Result<bool, DbError> {
    let db = db()?;
    let tx = db
        .transaction([DEVICE, SESSION])
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    let blocked = get_json::<Blocked>(&tx, DEVICE, "blocked").await?;
    let Some(mut session) = get_json::<StoredSession>(&tx, SESSION, "current").await? else {
        return Ok(false);
    };
    if blocked.is_some() || session.token != token {
        return Ok(false);
    }
    session.record_key = Some(key.to_string());
    put_json(&tx, SESSION, "current", &session)?;
    commit(tx).await?;
    Ok(true)
}

/// Records that the server stopped accepting this device, and forgets the
/// session's key (`StoredSession::record_key`): nothing more is recorded
/// here, the ops kept their proofs when they were made, and a key left on
/// a tablet whose session ended would let whoever holds it prove records
/// in that user's name.
pub async fn save_blocked(blocked: Blocked) -> Result<(), DbError> {
    let db = db()?;
    let tx = db
        .transaction([DEVICE, SESSION])
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    put_json(&tx, DEVICE, "blocked", &blocked)?;
    if let Some(mut session) = get_json::<StoredSession>(&tx, SESSION, "current").await? {
        session.record_key = None;
        put_json(&tx, SESSION, "current", &session)?;
    }
    commit(tx).await?;
    Ok(())
}

/// Stores the time of the last successful sync.
pub async fn save_last_sync(at: chrono::DateTime<chrono::Utc>) -> Result<(), DbError> {
    let db = db()?;
    let tx = db
        .transaction(PREFS)
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    put_json(&tx, PREFS, "last_sync", &at)?;
    commit(tx).await?;
    Ok(())
}

/// Stores the chosen language code.
pub async fn save_lang(code: &str) -> Result<(), DbError> {
    let db = db()?;
    let tx = db
        .transaction(PREFS)
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    put_json(&tx, PREFS, "lang", &code.to_string())?;
    commit(tx).await?;
    Ok(())
}

/// The user whose cases this device holds (kept across logouts, so that
/// the next login can tell whether it is someone else).
pub async fn owner() -> Result<Option<shared::id::UserId>, DbError> {
    let db = db()?;
    let tx = db.transaction(PREFS).build()?;
    get_json(&tx, PREFS, "owner").await
}

/// The property scope and the role the device's cases were pulled under
/// (none from builds before each was kept): a login after an admin moved
/// the user to other properties, or gave them another role (the server
/// masks what it sends by role, `shared::personal_data`), can tell.
pub async fn pulled_for() -> Result<(Option<Scope>, Option<Role>), DbError> {
    let db = db()?;
    let tx = db.transaction(PREFS).build()?;
    let scope = get_json(&tx, PREFS, "owner_scope").await?;
    let role = get_json(&tx, PREFS, "owner_role").await?;
    Ok((scope, role))
}
