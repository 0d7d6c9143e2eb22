//! The app's shared state, provided through context: the session, the
//! device state, the synced configuration, the ops and the folded cases.
//!
//! **Architecture Invariant:** a case on screen is always
//! `shared::fold::fold` of the ops stored on this device. Ops are kept per
//! case, and only the cases whose ops changed are folded again, so a device
//! with thousands of cases stays responsive.
//!
//! **Architecture Invariant:** the device state changes only synchronously
//! (no `await` between reading and writing it), and each change is handed to
//! IndexedDB in the same turn, so concurrent saves and syncs never issue the
//! same sequence number twice or store an older snapshot over a newer one.

use crate::blocked::Blocked;
use crate::db::{self, DeviceIdentity, PendingUpload, StoredSession};
use crate::sync_status::SyncStatus;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use shared::blob::BlobHash;
use shared::calendar::Calendar;
use shared::case::Case;
use shared::category::{Category, default_categories};
use shared::device::{Actor, DeviceState};
use shared::fold::{FoldContext, fold};
use shared::id::{CaseId, DeviceId, OpId, UserId};
use shared::inbox::{InboxItem, inbox};
use shared::lang::Lang;
use shared::op::Op;
use shared::property::Property;
use shared::settings::Settings;
use shared::wire::{ConfigItem, ConfigKey, UserCard};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Which screen is showing. Plain signal navigation: the app is one page
/// and a reload starts at the list, which is what staff expect on a tablet
/// (the head-office screens are a page of their own, `crate::office`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// The case list.
    List,
    /// 我的待办: the cases that wait for the user.
    Inbox,
    /// The intake form.
    New,
    /// One case.
    Detail(CaseId),
    /// Language, user, device, local data.
    Settings,
    /// Head office statistics, spot-checks and exports (online only).
    Dashboard,
    /// One case as the printable record form.
    Print(CaseId),
    /// The receipt of one case, for the complainant.
    Receipt(CaseId),
    /// The result notice of one case, for the complainant.
    Result(CaseId),
    /// Administration (admin role, online only), opened on a tab.
    Admin(crate::pages::admin::Tab),
}

/// The configuration that travels with sync, with defaults until the first
/// pull brings the company's own.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Company settings.
    pub settings: Settings,
    /// Categories.
    pub categories: Vec<Category>,
    /// The working-day calendar.
    pub calendar: Calendar,
    /// The properties in the user's scope.
    pub properties: Vec<Property>,
    /// The colleagues, for names in timelines and for assignment.
    pub users: Vec<UserCard>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            settings: Settings::default(),
            categories: default_categories(),
            calendar: Calendar::with_builtin(),
            properties: Vec::new(),
            users: Vec::new(),
        }
    }
}

impl Config {
    /// Applies one stored or pulled item. Returns whether the fold's inputs
    /// (settings or calendar) changed.
    pub fn apply(&mut self, item: ConfigItem) -> bool {
        match item {
            ConfigItem::Settings(s) => {
                let changed = s != self.settings;
                self.settings = s;
                changed
            }
            ConfigItem::Calendar(c) => {
                let changed = c != self.calendar;
                self.calendar = c;
                changed
            }
            ConfigItem::Categories(c) => {
                self.categories = c;
                false
            }
            ConfigItem::Properties(p) => {
                self.properties = p;
                false
            }
            ConfigItem::Users(u) => {
                self.users = u;
                false
            }
        }
    }

    /// The display name of a user, or a short id for users not (yet) known.
    pub fn user_name(&self, id: UserId) -> String {
        self.users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.display_name.clone())
            .unwrap_or_else(|| id.to_string().chars().take(8).collect())
    }

    /// A property by id.
    pub fn property(&self, id: shared::id::PropertyId) -> Option<&Property> {
        self.properties.iter().find(|p| p.id == id)
    }

    /// A category's name in `lang`, or its code if unknown.
    pub fn category_name(&self, code: &str, lang: Lang) -> String {
        self.categories
            .iter()
            .find(|c| c.code == code)
            .map_or_else(|| code.to_string(), |c| c.name(lang).to_string())
    }
}

/// Reads a config item from its key and its value's JSON, as pulled or
/// as stored.
pub fn parse_config(key: ConfigKey, json: &str) -> Option<ConfigItem> {
    let item = match key {
        ConfigKey::Settings => ConfigItem::Settings(serde_json::from_str(json).ok()?),
        ConfigKey::Categories => ConfigItem::Categories(serde_json::from_str(json).ok()?),
        ConfigKey::Calendar => ConfigItem::Calendar(serde_json::from_str(json).ok()?),
        ConfigKey::Properties => ConfigItem::Properties(serde_json::from_str(json).ok()?),
        ConfigKey::Users => ConfigItem::Users(serde_json::from_str(json).ok()?),
    };
    Some(item)
}

/// The ops in memory, grouped by case, with the set of known op ids for
/// deduplication.
#[derive(Debug, Default)]
pub struct OpLog {
    by_case: HashMap<CaseId, Vec<Op>>,
    ids: HashSet<OpId>,
    /// This device's own ops kept aside at another user's login
    /// (`DeviceState::keeps`): in the outbox only, never folded.
    kept: Vec<Op>,
    /// The sequence numbers of this device's stored ops that this build
    /// cannot read (a newer build wrote them): the server waits for them,
    /// and only that build can send them.
    pub unreadable: Vec<u64>,
}

impl OpLog {
    /// Adds ops not seen before; returns the cases they touch.
    pub fn add(&mut self, ops: impl IntoIterator<Item = Op>) -> HashSet<CaseId> {
        let mut touched = HashSet::new();
        for op in ops {
            if self.ids.insert(op.id) {
                touched.insert(op.case_id);
                self.by_case.entry(op.case_id).or_default().push(op);
            }
        }
        touched
    }

    /// How many ops are stored.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no op is stored.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The ops of case `id`, in arrival order.
    pub fn ops_of(&self, id: CaseId) -> &[Op] {
        self.by_case.get(&id).map_or(&[], Vec::as_slice)
    }

    /// The op `op` of `case`, among the case's ops or those kept aside
    /// when the case left the tablet ([`OpLog::kept`]): an op the server
    /// set aside is shown with why wherever it is kept.
    pub fn own_op(&self, case: CaseId, op: OpId) -> Option<&Op> {
        self.ops_of(case)
            .iter()
            .chain(self.kept())
            .find(|o| o.id == op)
    }

    /// Every case with its ops.
    pub fn cases(&self) -> impl Iterator<Item = (&CaseId, &Vec<Op>)> {
        self.by_case.iter()
    }

    /// Removes the ops of case `id` whose ids are in `ids`; a case left
    /// without ops is forgotten.
    pub fn remove(&mut self, id: CaseId, ids: &HashSet<OpId>) {
        if let Some(ops) = self.by_case.get_mut(&id) {
            ops.retain(|op| !ids.contains(&op.id));
            if ops.is_empty() {
                self.by_case.remove(&id);
            }
        }
        for op in ids {
            self.ids.remove(op);
        }
    }

    /// The device's own ops kept aside at another user's login, not
    /// folded: their evidence bytes stay too, for a restored server that
    /// asks for them again.
    pub fn kept(&self) -> impl Iterator<Item = &Op> {
        self.kept.iter().filter(|op| !self.ids.contains(&op.id))
    }

    /// Every op held, once each: of an op kept aside and pulled again
    /// since, the kept one. The pulled copy is as the server showed it to
    /// the user then logged in, masked perhaps (`shared::personal_data`),
    /// and must never stand in for what was typed here: it would be sent
    /// again to a restored server, or kept at the next login, in its place.
    fn each_once(&self) -> impl Iterator<Item = &Op> {
        let kept: HashSet<OpId> = self.kept.iter().map(|op| op.id).collect();
        self.kept.iter().chain(
            self.by_case
                .values()
                .flatten()
                .filter(move |op| !kept.contains(&op.id)),
        )
    }

    /// The outbox: this device's ops after `acked`, in sequence order,
    /// the kept ones included.
    pub fn outbox(&self, device: DeviceId, acked: u64) -> Vec<Op> {
        let mut ops: Vec<Op> = self
            .each_once()
            .filter(|op| op.device == device && op.seq > acked)
            .cloned()
            .collect();
        ops.sort_unstable_by_key(|op| op.seq);
        ops
    }

    /// The ops of case `id` in the outbox ([`OpLog::outbox`]), by id: read
    /// from that case's ops alone, for its screen.
    pub fn outbox_of(&self, id: CaseId, device: DeviceId, acked: u64) -> HashSet<OpId> {
        let waiting = |op: &&Op| op.device == device && op.seq > acked;
        self.kept
            .iter()
            .filter(|op| op.case_id == id)
            .chain(self.by_case.get(&id).into_iter().flatten())
            .filter(waiting)
            .map(|op| op.id)
            .collect()
    }

    /// The ops another user's login keeps aside for `state`'s device at
    /// `now`: the kept ones still recent, and those of the cases cleared.
    pub fn to_keep(&self, state: &DeviceState, now: DateTime<Utc>) -> Vec<Op> {
        let mut kept: Vec<Op> = self
            .each_once()
            .filter(|op| state.keeps(op, now))
            .cloned()
            .collect();
        kept.sort_unstable_by_key(|op| op.seq);
        kept
    }

    /// Forgets every case, keeping `kept` aside.
    fn clear(&mut self, kept: Vec<Op>) {
        self.by_case.clear();
        self.ids.clear();
        self.kept = kept;
    }
}

/// A case as the server holds it: folded without this device's ops the
/// server refused. A case whose registration was refused is folded with
/// them all, so what was typed stays on screen (marked refused) until an
/// administrator settles it.
fn fold_accepted(ops: &[Op], refused: &HashSet<OpId>, ctx: FoldContext<'_>) -> Option<Case> {
    if !refused.is_empty() && ops.iter().any(|op| refused.contains(&op.id)) {
        let accepted: Vec<Op> = ops
            .iter()
            .filter(|op| !refused.contains(&op.id))
            .cloned()
            .collect();
        if let Ok(case) = fold(&accepted, ctx) {
            return Some(case);
        }
    }
    fold(ops, ctx).ok()
}

/// `case` as `user` may see it (`shared::personal_data`). Ops are pulled
/// once, masked as things stood then: a case since passed to another
/// department, or settings since made stricter, would otherwise keep
/// showing what the server now masks for them.
fn masked(
    case: Case,
    user: Option<&shared::role::User>,
    settings: &shared::settings::Settings,
) -> Case {
    let Some(user) = user else {
        return case;
    };
    let shown = shared::personal_data::shown(settings, user, Some(&case));
    if shown.all() { case } else { shown.case(&case) }
}

/// Everything the screens share, all `Copy` handles.
#[derive(Clone, Copy)]
pub struct AppCtx {
    /// The UI language.
    pub lang: RwSignal<Lang>,
    /// The logged-in user, if any.
    pub session: RwSignal<Option<StoredSession>>,
    /// The identity the server issued this device (after the first login).
    pub identity: RwSignal<Option<DeviceIdentity>>,
    /// The password typed at the last login, kept in memory only while the
    /// server requires a change, so the change screen need not ask for it
    /// again. Never stored.
    pub login_password: StoredValue<Option<String>>,
    /// The device state (after the first login).
    pub device: RwSignal<Option<DeviceState>>,
    /// Synced configuration.
    pub config: RwSignal<Config>,
    /// The ops, by case (not reactive by itself; see `cases`).
    pub ops: StoredValue<OpLog>,
    /// The folded cases.
    pub cases: RwSignal<HashMap<CaseId, Arc<Case>>>,
    /// The sync indicator's data.
    pub sync: RwSignal<SyncStatus>,
    /// Which screen shows.
    pub screen: RwSignal<Screen>,
    /// A clock for deadline badges, ticking every 5 s.
    pub now: RwSignal<DateTime<Utc>>,
    /// [`AppCtx::now`] to the minute, for what goes over every case: it
    /// need not follow the clock closer.
    pub minute: Memo<DateTime<Utc>>,
    /// The logged-in user's inbox (我的待办), computed once per fold and
    /// once a minute (clocks turn due soon), not per render: it goes over
    /// every case on the device.
    pub inbox: Memo<Vec<InboxItem>>,
    /// Whether the start-up load finished.
    pub ready: RwSignal<bool>,
    /// A start-up or storage error to show.
    pub fatal: RwSignal<Option<db::DbError>>,
    /// Set when the server stopped accepting this device; nothing new is
    /// recorded until a login succeeds.
    pub blocked: RwSignal<Option<Blocked>>,
    /// Evidence taken here that the server does not hold yet, by hash.
    pub uploads: RwSignal<BTreeMap<BlobHash, PendingUpload>>,
    /// The cases the server deleted (retention) that this device pulled
    /// the tombstone of (`crate::tombstone`).
    pub deleted: RwSignal<HashSet<CaseId>>,
    /// Whether the server needs a newer build of the app (`crate::update`).
    pub update: RwSignal<crate::update::Update>,
    /// Photos and signatures taken in open forms and not recorded yet,
    /// pictures still being read and a signature half drawn
    /// (`crate::evidence::Staged`): only the
    /// page holds them, so an update's reload waits until there are none.
    pub staged: RwSignal<usize>,
    /// The screen a tap in the navigation would have opened, held back
    /// because it would drop what is [`AppCtx::staged`]: a second tap
    /// opens it (`components::Nav`).
    pub leaving: RwSignal<Option<Screen>>,
    /// The browser refused to keep the last draft (`pages::draft`): until
    /// its form is saved, a reload loses what is typed, which is said.
    pub drafts_refused: RwSignal<bool>,
    /// The office's forms holding typing not saved yet
    /// (`components::form::Unsaved`): they keep no drafts, so an update's
    /// reload waits until there are none.
    pub unsaved: RwSignal<usize>,
    /// The case list's filters, kept while another screen shows.
    pub list: crate::pages::list::ListFilters,
    /// The dashboard's filters, kept while another screen shows.
    pub dashboard: crate::pages::dashboard::Filters,
}

/// The device's wall clock.
pub fn now() -> DateTime<Utc> {
    let ms = js_sys::Date::now() as i64;
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Waits `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let done = js_sys::Promise::new(&mut |resolve, _reject| {
        if web_sys::window()
            .and_then(|w| {
                w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
                    .ok()
            })
            .is_none()
        {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(done).await;
}

impl AppCtx {
    /// Whether the screen holds what leaving it drops: photos and
    /// signatures not saved, an office form's typing (it keeps no
    /// drafts), or a form typed while the browser refuses its draft.
    pub fn holding(&self) -> bool {
        self.staged.get() > 0 || self.unsaved.get() > 0 || self.drafts_refused.get()
    }

    /// Fresh, empty state; [`AppCtx::load`] fills it.
    pub fn new() -> AppCtx {
        let session = RwSignal::new(None);
        let config = RwSignal::new(Config::default());
        let cases = RwSignal::new(HashMap::new());
        let clock = RwSignal::new(now());
        let device = RwSignal::new(None);
        let minute = Memo::new(move |_| {
            let t = clock.get();
            DateTime::from_timestamp(t.timestamp() - t.timestamp().rem_euclid(60), 0).unwrap_or(t)
        });
        AppCtx {
            lang: RwSignal::new(Lang::ZhCn),
            session,
            identity: RwSignal::new(None),
            login_password: StoredValue::new(None),
            device,
            config,
            ops: StoredValue::new(OpLog::default()),
            cases,
            sync: RwSignal::new(SyncStatus::default()),
            screen: RwSignal::new(crate::office::first_screen()),
            now: clock,
            minute,
            inbox: inbox_memo(session, config, cases, device, minute),
            ready: RwSignal::new(false),
            fatal: RwSignal::new(None),
            blocked: RwSignal::new(None),
            uploads: RwSignal::new(BTreeMap::new()),
            deleted: RwSignal::new(HashSet::new()),
            update: RwSignal::new(crate::update::Update::Current),
            staged: RwSignal::new(0),
            leaving: RwSignal::new(None),
            drafts_refused: RwSignal::new(false),
            unsaved: RwSignal::new(0),
            list: crate::pages::list::ListFilters::new(),
            dashboard: crate::pages::dashboard::Filters::new(),
        }
    }

    /// The current language, untracked-safe getter for event handlers.
    pub fn l(&self) -> Lang {
        self.lang.get_untracked()
    }

    /// Opens IndexedDB and loads everything. A device has no id until its
    /// first login: the server issues it.
    pub async fn load(self) -> Result<(), db::DbError> {
        db::open().await?;
        let snap = db::load().await?;
        if let Some(lang) = snap.lang.as_deref().and_then(Lang::from_code) {
            self.lang.set(lang);
        }
        let mut config = Config::default();
        for (key, json) in &snap.config {
            if let Some(item) = ConfigKey::from_code(key).and_then(|k| parse_config(k, json)) {
                config.apply(item);
            }
        }
        self.config.set(config);
        self.identity.set(snap.identity);
        let mut unreadable_here = Vec::new();
        let state = snap.state.map(|mut state| {
            let device = state.device;
            let made_here = snap
                .ops
                .iter()
                .chain(&snap.kept)
                .filter(|op| op.device == device);
            let theirs: Vec<&db::Unreadable> = snap
                .unreadable
                .iter()
                .filter(|u| u.device == device)
                .collect();
            unreadable_here = theirs.iter().map(|u| u.seq).collect();
            let made_here_again = made_here.clone();
            let numbers = made_here.clone().map(|op| op.seq);
            state.resume(numbers.chain(unreadable_here.iter().copied()).max());
            let registered: Vec<shared::regno::RegNo> = made_here
                .filter_map(|op| match &op.action {
                    shared::op::Action::Register(r) => Some(r.reg_no.clone()),
                    _ => None,
                })
                .chain(theirs.iter().filter_map(|u| u.reg_no()))
                .collect();
            state.resume_numbers(&registered);
            // The clock as the pulls left it: the state may have been
            // stored from an older copy (a recording queued behind a
            // pulled page's save), and an op made now must order after
            // every op pulled.
            if let Some(newest) = snap
                .ops
                .iter()
                .filter(|op| op.device != device)
                .map(|op| op.hlc)
                .max()
            {
                state.observe_clock(newest, now());
            }
            // And after its own ops the server took, and those it has not
            // judged yet (the outbox): the server sets aside an op whose
            // clock is not after the one before it (`clock.went_back`).
            // Not after those it refused, a clock ahead among them.
            let acked = state.acked_seq;
            let refused = state.refused_ops();
            let unsent = made_here_again
                .filter(|op| op.seq > acked && !refused.contains(&op.id))
                .map(|op| op.hlc)
                .max();
            state.last_hlc = state.last_hlc.max(state.accepted_hlc).max(unsent);
            state
        });
        self.ops.update_value(|log| {
            log.kept = snap.kept;
            log.unreadable = unreadable_here;
        });
        self.device.set(state);
        let mut session = snap.session;
        // A key kept by a build that did not forget it at a block goes now
        // (`db::save_blocked`).
        if let Some(blocked) = snap.blocked
            && let Some(s) = session.as_mut().filter(|s| s.record_key.is_some())
        {
            s.record_key = None;
            leptos::task::spawn_local(async move {
                if let Err(e) = db::save_blocked(blocked).await {
                    leptos::logging::warn!("forgetting the record key: {e}");
                }
            });
        }
        self.session.set(session);
        self.blocked.set(snap.blocked);
        self.uploads
            .set(snap.uploads.into_iter().map(|u| (u.hash, u)).collect());
        self.sync.update(|s| s.last_ok = snap.last_sync);
        self.deleted.set(snap.deleted.into_iter().collect());
        self.add_ops(snap.ops);
        self.ready.set(true);
        Ok(())
    }

    /// Adds ops (local, stored or pulled) and folds the cases they touch.
    pub fn add_ops(&self, ops: Vec<Op>) {
        let touched = self.store_ops(ops);
        self.refold(touched);
    }

    /// Adds ops without folding: returns the cases they touch, which the
    /// caller folds later (a long pull folds once in a while, not per page).
    pub fn store_ops(&self, ops: Vec<Op>) -> HashSet<CaseId> {
        self.ops
            .try_update_value(|log| log.add(ops))
            .unwrap_or_default()
    }

    /// Folds the given cases again from their ops.
    pub fn refold(&self, ids: impl IntoIterator<Item = CaseId>) {
        let mut ids = ids.into_iter().peekable();
        // Nothing changed: the screens need not redraw.
        if ids.peek().is_none() {
            return;
        }
        let config = self.config.get_untracked();
        let ctx = FoldContext {
            settings: &config.settings,
            calendar: &config.calendar,
        };
        let refused = self
            .device
            .with_untracked(|d| d.as_ref().map(DeviceState::refused_ops))
            .unwrap_or_default();
        let user = self
            .session
            .with_untracked(|s| s.as_ref().map(|s| s.user.clone()));
        let folded: Vec<(CaseId, Option<Case>)> = self.ops.with_value(|log| {
            ids.map(|id| {
                let case = log
                    .by_case
                    .get(&id)
                    .and_then(|ops| fold_accepted(ops, &refused, ctx))
                    // A registration the server refused holds what was
                    // typed here, which nobody else has: it shows as typed.
                    .map(|case| {
                        if refused.contains(&case.registered.op) {
                            case
                        } else {
                            masked(case, user.as_ref(), &config.settings)
                        }
                    });
                (id, case)
            })
            .collect()
        });
        self.cases.update(|cases| {
            for (id, case) in folded {
                match case {
                    Some(case) => {
                        cases.insert(id, Arc::new(case));
                    }
                    // Ops of a case whose registration has not arrived yet:
                    // kept, not shown.
                    None => {
                        cases.remove(&id);
                    }
                }
            }
        });
    }

    /// Folds every case again (the settings or the calendar changed).
    pub fn refold_all(&self) {
        let ids: Vec<CaseId> = self
            .ops
            .with_value(|log| log.by_case.keys().copied().collect());
        self.refold(ids);
    }

    /// Forgets every case in memory (another user's scope), keeping the
    /// device's own ops in `kept` aside for the outbox.
    pub fn clear_cases(&self, kept: Vec<Op>) {
        self.ops.update_value(|log| log.clear(kept));
        self.cases.set(HashMap::new());
        self.config.set(Config::default());
    }

    /// Logs out: forgets the session, then tells the server (when it can
    /// be reached; offline, the token simply expires). Forgotten first, so
    /// that a tablet handed over while the server is slow to answer is not
    /// left logged in. Ops and the outbox stay: they belong to the device
    /// and sync after the next login.
    pub async fn log_out(self) {
        if let Some(token) = self.token() {
            leptos::task::spawn_local(async move {
                let _ = crate::api::logout(&token).await;
            });
        }
        if let Err(e) = db::clear_session().await {
            leptos::logging::error!("logout: {e}");
        }
        self.login_password.set_value(None);
        self.session.set(None);
        self.list.clear();
        self.dashboard.clear();
        self.screen.set(Screen::List);
    }

    /// Records that the server stopped accepting this device, on screen and
    /// in IndexedDB. `Revoked` is never downgraded to `SessionEnded`.
    pub fn block(self, blocked: Blocked) {
        let current = self.blocked.get_untracked();
        if current == Some(Blocked::Revoked) || current == Some(blocked) {
            return;
        }
        self.blocked.set(Some(blocked));
        // Nothing more is recorded: the key that proves records goes
        // (`db::save_blocked`).
        self.session.update_untracked(|s| {
            if let Some(s) = s {
                s.record_key = None;
            }
        });
        leptos::task::spawn_local(async move {
            if let Err(e) = db::save_blocked(blocked).await {
                leptos::logging::warn!("storing that the device is blocked: {e}");
            }
        });
    }

    /// How many evidence files wait to upload (tracked), those set aside
    /// with their quarantined op apart: the header, the settings and the
    /// logout's question count them alike.
    pub fn uploads_waiting(&self) -> usize {
        self.uploads
            .with(|u| u.values().filter(|p| !p.set_aside).count())
    }

    /// The outbox: this device's ops the server has not acknowledged, in
    /// sequence order (tracked: re-runs when ops or the acknowledgement
    /// change).
    pub fn unsent(&self) -> Vec<Op> {
        self.read_outbox(|log, device, acked| log.outbox(device, acked))
            .unwrap_or_default()
    }

    /// The ops of case `id` among [`AppCtx::unsent`], by id (tracked
    /// alike).
    pub fn unsent_of(&self, id: CaseId) -> HashSet<OpId> {
        self.read_outbox(|log, device, acked| log.outbox_of(id, device, acked))
            .unwrap_or_default()
    }

    /// What `read` takes from the log with this device and the sequence
    /// number the server acknowledged; none without a device.
    fn read_outbox<T>(&self, read: impl FnOnce(&OpLog, DeviceId, u64) -> T) -> Option<T> {
        // Reading `cases` re-runs a caller when ops change; `device` when
        // the acknowledgement moves.
        self.cases.track();
        let (device, acked) = self
            .device
            .with(|d| d.as_ref().map(|d| (d.device, d.acked_seq)))?;
        Some(self.ops.with_value(|log| read(log, device, acked)))
    }

    /// This device's ops the server set aside (acknowledged, and waiting
    /// in its quarantine), but those of a case it deleted or an
    /// administrator discarded: a revoked
    /// tablet's file carries them with what was never sent, for the
    /// import judges them again once their cause is mended (a limit
    /// raised), and the tablet can no longer re-send them itself.
    pub fn refused_ops(&self) -> Vec<Op> {
        let refused: Vec<(OpId, CaseId)> = self.device.with(|d| {
            d.as_ref()
                .map(|d| {
                    d.refused
                        .iter()
                        .filter(|r| r.waits())
                        .map(|r| (r.op, r.case_id))
                        .collect()
                })
                .unwrap_or_default()
        });
        self.ops.with_value(|log| {
            refused
                .iter()
                .filter_map(|(op, case)| log.own_op(*case, *op).cloned())
                .collect()
        })
    }

    /// What a revoked tablet's records file carries: the ops never sent
    /// ([`AppCtx::unsent`]) and those the server set aside
    /// ([`AppCtx::refused_ops`]), in their order (tracked).
    pub fn exported(&self) -> Vec<Op> {
        let mut ops = self.unsent();
        ops.extend(self.refused_ops());
        ops.sort_by_key(|op| op.seq);
        ops.dedup_by_key(|op| op.id);
        ops
    }

    /// Whether the server requires a password change before anything else
    /// (tracked).
    pub fn must_change_password(&self) -> bool {
        self.session
            .with(|s| s.as_ref().is_some_and(|s| s.must_change_password))
    }

    /// The session's bearer token, for the online-only screens.
    pub fn token(&self) -> Option<String> {
        self.session
            .with_untracked(|s| s.as_ref().map(|s| s.token.clone()))
    }

    /// The logged-in user's role (tracked).
    pub fn role(&self) -> Option<shared::role::Role> {
        self.session.with(|s| s.as_ref().map(|s| s.user.role))
    }

    /// Whether `case` is of a property the logged-in user answers for now.
    /// A user moved to another property keeps the old one's cases on the
    /// tablet until their records are synced (`pages::login`): to read,
    /// as the server sets aside whatever they record on them.
    pub fn works_on(&self, case: &Case) -> bool {
        self.session.with(|s| {
            s.as_ref()
                .is_some_and(|s| s.user.scope().allows(case.registration.property))
        })
    }

    /// What the logged-in user sees of the complainant of `case` (none:
    /// of every case), by the company's settings
    /// (`shared::personal_data::shown`); nothing when logged out.
    pub fn shown(&self, case: Option<&Case>) -> shared::personal_data::Shown {
        let Some(user) = self.session.with(|s| s.as_ref().map(|s| s.user.clone())) else {
            return shared::personal_data::Shown::NOTHING;
        };
        self.config
            .with(|c| shared::personal_data::shown(&c.settings, &user, case))
    }

    /// Whether the user logged in may give or pass on `case` now, their
    /// role allowing assignments at all (`shared::workflow::may_assign`).
    pub fn may_assign(&self, case: &Case) -> bool {
        self.config.with_untracked(|c| {
            self.session.with_untracked(|s| {
                s.as_ref().is_some_and(|s| {
                    shared::workflow::may_assign(&s.user, case.assignee.as_ref(), &c.settings)
                })
            })
        })
    }

    /// Whether the server refused `case`'s registration: it holds no
    /// such case, so nothing more can be done to it here until an
    /// administrator settles the refusal (what was typed stays on screen).
    pub fn registration_refused(&self, case: &Case) -> bool {
        self.device.with(|d| {
            d.as_ref()
                .is_some_and(|d| d.refused.iter().any(|r| r.op == case.registered.op))
        })
    }

    /// The logged-in actor.
    pub fn actor(&self) -> Option<Actor> {
        self.session.with_untracked(|s| {
            s.as_ref().map(|s| Actor {
                user: s.user.id,
                role: s.user.role,
            })
        })
    }
}

/// The inbox of the session's user, recomputed when the cases, the user or
/// the settings change, and at each `minute`.
fn inbox_memo(
    session: RwSignal<Option<StoredSession>>,
    config: RwSignal<Config>,
    cases: RwSignal<HashMap<CaseId, Arc<Case>>>,
    device: RwSignal<Option<DeviceState>>,
    minute: Memo<DateTime<Utc>>,
) -> Memo<Vec<InboxItem>> {
    // A case whose registration the server refused waits for an
    // administrator, not for anyone's next step. A memo of its own: the
    // device state changes at every pulled page and acknowledgement, and
    // the inbox, a pass over every case, need not follow those.
    let refused = Memo::new(move |_| {
        device.with(|d| {
            d.as_ref().map_or_else(HashSet::new, |d| {
                d.refused.iter().map(|r| r.op).collect::<HashSet<OpId>>()
            })
        })
    });
    Memo::new(move |_| {
        let at = minute.get();
        session.with(|s| {
            let Some(s) = s else {
                return Vec::new();
            };
            refused.with(|refused| {
                config.with(|c| {
                    cases.with(|cases| {
                        inbox(
                            cases
                                .values()
                                .filter(|c| !refused.contains(&c.registered.op))
                                .map(|c| &**c),
                            &s.user,
                            &c.users,
                            at,
                            &c.settings,
                        )
                    })
                })
            })
        })
    })
}

impl Default for AppCtx {
    fn default() -> Self {
        AppCtx::new()
    }
}

/// The app state from context.
pub fn use_app() -> AppCtx {
    expect_context::<AppCtx>()
}
