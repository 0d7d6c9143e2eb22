//! How an op gets into the store, on either engine: the push, and the
//! pieces it shares with re-applying a quarantined op
//! ([`Administration::reapply_quarantined`](super::administration::Administration::reapply_quarantined)).
//!
//! Both read the same facts for [`push::judge`] ([`judge`]) and store an
//! accepted op the same way ([`accept`]: the next server sequence number,
//! the row, and its case marked to be folded again before commit), so a
//! re-applied op is indistinguishable from one accepted the first time,
//! except for its later server sequence. The push first sorts its batch with
//! the pure [`push::plan`] and then carries the plan out.
//!
//! Pushes are carried out in groups ([`PushQueue`]): the pushes that
//! queued while the writer was busy run in one transaction
//! ([`run_group`]). A push that fails fails its group's transaction, and
//! the engine's store then carries out each push of the group alone
//! ([`answer_group`]), so that one push's failure is only its own.

use super::accounts_sql;
use super::cases_sql::read_epoch;
use super::config::next_seq;
use super::db::{Db, Dialect, Value};
use super::fold_sql::{FoldRun, config_stamp, materialize};
use super::sqlite::{parse_id, parse_ts, ts};
use super::{Config, StoreError, StoreResult};
use crate::push::plan::{self, Incoming, Step};
use crate::push::{self, DeviceClock, Verdict};
use chrono::{DateTime, Utc};
use shared::blob::BlobHash;
use shared::case::{Assignee, AttachmentKind, CaseKind, CaseState};
use shared::fold::FoldContext;
use shared::hlc::Hlc;
use shared::id::{CaseId, DeviceId, OpId, PropertyId, UserId};
use shared::op::{Action, Op};
use shared::property::Property;
use shared::role::User;
use shared::wire::{PushResponse, QuarantineNotice};
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, MutexGuard};
use tokio::sync::oneshot;

/// One op as it reached the server: its text is kept exactly as received,
/// and its hash is of that text, so a later resend is recognised.
pub(super) struct Received<'a> {
    /// The device that sent it (the session's, not the op's claim).
    pub device: DeviceId,
    /// The op.
    pub op: &'a Op,
    /// Its JSON as stored.
    pub json: &'a str,
    /// [`push::hash`] of `json`.
    pub hash: &'a str,
    /// When it reached the server ([`ts`]).
    pub received: &'a str,
}

/// What every judgement in one transaction shares: the configuration, the
/// properties and the latest time an op may carry.
pub(super) struct Rules<'a> {
    /// The settings, categories and calendar.
    pub config: &'a Config,
    /// Every property.
    pub properties: &'a [Property],
    /// The server's clock plus the allowed skew.
    pub ceiling: DateTime<Utc>,
    /// The allowed skew, either way.
    pub skew: chrono::Duration,
}

/// The allowed skew of a push made at `now` whose ceiling is `ceiling`:
/// never below none (a ceiling read a moment before `now`, at a skew of
/// 0, would otherwise refuse every op as `clock.behind`).
pub(super) fn skew(now: DateTime<Utc>, ceiling: DateTime<Utc>) -> chrono::Duration {
    (ceiling - now).max(chrono::Duration::zero())
}

/// The cases whose ops changed in a transaction, with the ops stored for
/// each, folded before it commits so that the `cases` rows never lag the
/// ops. What it learns of a case on the way (its property, and whether it
/// was new) spares the next ops of the same case the queries that would
/// find it again.
#[derive(Default)]
pub(super) struct Touched {
    cases: BTreeMap<CaseId, TouchedCase>,
    /// The first and the last server sequence number handed out: the
    /// counter row holds the first, and is brought up to the last before
    /// anything reads it ([`Touched::materialize`]), so a batch updates the
    /// row twice instead of once per op.
    numbers: Option<(i64, i64)>,
}

/// A case with ops stored in this transaction.
struct TouchedCase {
    /// Its property: every op of a case has its case's.
    property: PropertyId,
    /// It had no ops before this transaction: nothing of it is stored to
    /// resume, read back or replace.
    new: bool,
    /// The ops stored.
    ops: Vec<Op>,
}

impl TouchedCase {
    /// Its registration number, when its register op is among the ops
    /// stored (a new case, whose row is written only when the
    /// transaction's cases are folded).
    fn reg_no(&self) -> Option<String> {
        self.ops.iter().find_map(|op| match &op.action {
            Action::Register(reg) => Some(reg.reg_no.to_string()),
            _ => None,
        })
    }
}

impl Touched {
    /// Brings every touched case up to date with its new ops.
    pub fn materialize(self, tx: &dyn Db, rules: &Rules<'_>) -> StoreResult<()> {
        let ctx = FoldContext {
            settings: &rules.config.settings,
            calendar: &rules.config.calendar,
        };
        let Some((first, last)) = self.numbers else {
            return Ok(());
        };
        if last > first {
            tx.execute(
                "UPDATE counters SET value = ?1 WHERE name = 'server_seq'",
                &[last.into()],
            )?;
        }
        let run = FoldRun {
            ctx,
            properties: rules.properties,
            config: config_stamp(tx)?,
            seq: last,
        };
        for (case_id, case) in self.cases {
            materialize(tx, case_id, &case.ops, case.new, &run)?;
        }
        Ok(())
    }

    /// The property of a case this transaction stored ops of.
    fn property(&self, case: CaseId) -> Option<PropertyId> {
        self.cases.get(&case).map(|c| c.property)
    }

    /// The case, other than `except`, this transaction registered as
    /// `reg_no`, if any.
    fn registered_as(
        &self,
        reg_no: &str,
        except: Option<CaseId>,
    ) -> Option<(&CaseId, &TouchedCase)> {
        self.cases
            .iter()
            .filter(|(id, c)| Some(**id) != except && c.new)
            .find(|(_, c)| c.reg_no().as_deref() == Some(reg_no))
    }

    /// The files the attach ops stored in this transaction name, not yet
    /// in `case_blobs`: each hash with its declared size and whether it is
    /// attached as a complainant's signature.
    fn attached(&self) -> impl Iterator<Item = (BlobHash, u64, &str, bool)> + '_ {
        self.cases
            .values()
            .flat_map(|c| &c.ops)
            .flat_map(|op| match &op.action {
                Action::Attach {
                    hash,
                    size,
                    mime,
                    thumbnail,
                    attachment_kind,
                    ..
                } => {
                    let personal = attachment_kind.is_personal();
                    let file = hash.map(|h| (h, *size, mime.as_str(), personal));
                    let preview = thumbnail
                        .as_ref()
                        .map(|t| (t.hash, t.size, t.mime.as_str(), personal));
                    file.into_iter().chain(preview).collect()
                }
                _ => Vec::new(),
            })
    }

    /// The next server sequence number: the first taken from the counter
    /// row (which locks it, see `config::next_seq`), the rest counted on.
    fn next_seq(&mut self, tx: &dyn Db) -> StoreResult<i64> {
        let numbers = match self.numbers {
            Some((first, last)) => (first, last + 1),
            None => {
                let first = next_seq(tx)?;
                (first, first)
            }
        };
        self.numbers = Some(numbers);
        Ok(numbers.1)
    }
}

/// Where a push's answer goes.
type ReplyTo = oneshot::Sender<StoreResult<PushResponse>>;

/// Who sent a push: the session's device and user as the request found
/// them, and the session's token (by its hash) when it came over the API.
pub struct Pusher<'a> {
    /// The session's device.
    pub device: DeviceId,
    /// The session's user.
    pub user: &'a User,
    /// The session's token hash. With it, the writer checks the session
    /// again in the push's transaction ([`session_stands`]); without it (a
    /// records file's import, tools and tests), the writer reads `user`
    /// again in that transaction, as stored then (taken as given only when
    /// no such user is stored).
    pub session: Option<&'a str>,
    /// The sequence numbers of a records file's ops that carry no valid
    /// proof of their author (`shared::proof`): set aside unjudged, for an
    /// administrator to look at. Empty for a push, whose session proves
    /// who sends it.
    pub unproven: BTreeSet<u64>,
}

/// One push waiting for the writer, with where its answer goes.
pub(super) struct PushJob {
    /// The session's device.
    pub device: DeviceId,
    /// The session's user.
    pub user: User,
    /// The session's token hash ([`Pusher::session`]).
    session: Option<String>,
    /// [`Pusher::unproven`].
    unproven: BTreeSet<u64>,
    /// The batch, in the device's order.
    ops: Vec<Op>,
    /// Each op's JSON as stored, and its [`push::hash`].
    texts: Vec<(String, String)>,
    /// When it reached the server.
    pub now: DateTime<Utc>,
    /// The server's clock plus the allowed skew.
    pub ceiling: DateTime<Utc>,
    /// Where its answer goes.
    reply: ReplyTo,
}

impl PushJob {
    /// A push to queue. Its ops are put in order and written out and
    /// hashed here, on the caller's thread, not in the writer's turn that
    /// every other push waits for.
    pub fn new(
        pusher: Pusher<'_>,
        mut ops: Vec<Op>,
        (now, ceiling): (DateTime<Utc>, DateTime<Utc>),
        reply: ReplyTo,
    ) -> StoreResult<PushJob> {
        ops.sort_by_key(|op| op.seq);
        let texts = ops
            .iter()
            .map(|op| {
                let json = serde_json::to_string(op)?;
                let hash = push::hash(&json);
                Ok((json, hash))
            })
            .collect::<StoreResult<_>>()?;
        Ok(PushJob {
            device: pusher.device,
            user: pusher.user.clone(),
            session: pusher.session.map(str::to_string),
            unproven: pusher.unproven,
            ops,
            texts,
            now,
            ceiling,
            reply,
        })
    }
}

/// A push queued for the writer ([`Store::queue_push`](super::Store::queue_push)).
pub struct Queued {
    /// Its answer, sent once the transaction that holds it committed.
    pub answer: Answer,
    /// No one was carrying out pushes when it queued: the caller must start
    /// [`Store::carry_out_pushes`](super::Store::carry_out_pushes) on a
    /// thread that may block.
    pub lead: bool,
}

/// Where a queued push's answer comes.
pub struct Answer(oneshot::Receiver<StoreResult<PushResponse>>);

impl Answer {
    /// Waits for the answer.
    pub async fn wait(self) -> StoreResult<PushResponse> {
        self.0.await.map_err(unanswered)?
    }

    /// Waits for the answer, blocking the thread: not on an async one.
    pub fn wait_blocking(self) -> StoreResult<PushResponse> {
        self.0.blocking_recv().map_err(unanswered)?
    }
}

/// The thread carrying the push out panicked before it answered ([`Unwind`]).
fn unanswered(_: oneshot::error::RecvError) -> StoreError {
    StoreError::Internal("a push was dropped unanswered".into())
}

/// The pushes waiting for the writer, and whether a thread is carrying
/// them out. At most one is.
///
/// That thread carries out group after group, each every push queued by
/// the time the last one committed, until none is left. It is not the
/// thread of a push waiting for its own answer: under load the writer then
/// goes straight from one group to the next, where handing it to a waiting
/// push's thread left it idle until the scheduler woke that thread, about
/// a third of the time with two hundred devices pushing.
#[derive(Default)]
pub(super) struct PushQueue(Mutex<Queue>);

#[derive(Default)]
struct Queue {
    jobs: Vec<PushJob>,
    leading: bool,
}

/// Lets the next push lead if the thread carrying out pushes panics. The
/// pushes still queued are dropped, so their callers hear that the push was
/// dropped unanswered instead of waiting for ever.
struct Unwind<'a>(&'a PushQueue);

impl Drop for Unwind<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut queue = self.0.lock();
            queue.jobs.clear();
            queue.leading = false;
        }
    }
}

impl PushQueue {
    /// Queues a push.
    pub fn queue(
        &self,
        pusher: Pusher<'_>,
        ops: Vec<Op>,
        (now, ceiling): (DateTime<Utc>, DateTime<Utc>),
    ) -> StoreResult<Queued> {
        let (reply, answer) = oneshot::channel();
        let job = PushJob::new(pusher, ops, (now, ceiling), reply)?;
        let mut queue = self.lock();
        queue.jobs.push(job);
        let lead = !std::mem::replace(&mut queue.leading, true);
        Ok(Queued {
            answer: Answer(answer),
            lead,
        })
    }

    /// Hands every push queued by now to `carry_out` (which answers each),
    /// again and again until none is queued, so that under load the commit
    /// and reading the configuration are paid once per group.
    pub fn carry_out(&self, carry_out: impl Fn(Vec<PushJob>)) {
        let _unwind = Unwind(self);
        loop {
            let group = {
                let mut queue = self.lock();
                if queue.jobs.is_empty() {
                    queue.leading = false;
                    return;
                }
                std::mem::take(&mut queue.jobs)
            };
            carry_out(group);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A queue of jobs holds no invariant a panic could break halfway.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Why a group's transaction failed.
#[derive(Debug)]
pub(super) enum Failed {
    /// It never began: the database could not be reached or its write
    /// lock taken. No push was tried, and each alone would wait for the
    /// same, so every push is answered with it at once and its device
    /// sends again later.
    Unbegun(StoreError),
    /// It failed once begun, perhaps through one push's fault.
    Begun(StoreError),
}

/// A panic, say: it happened once the transaction began, so each push is
/// carried out alone.
impl From<StoreError> for Failed {
    fn from(e: StoreError) -> Failed {
        Failed::Begun(e)
    }
}

impl Failed {
    /// The error, whichever it was.
    pub fn into_error(self) -> StoreError {
        match self {
            Failed::Unbegun(e) | Failed::Begun(e) => e,
        }
    }
}

/// Answers every push of a group: first all of them in one transaction
/// (`together`), and if that fails once begun, each in a transaction of
/// its own (`alone`), so that a push that fails (a device the server does
/// not know, a database error, a panic) is answered with its own failure
/// and the others are still stored. Each push carried out alone is
/// answered at once, without waiting for the ones after it. A transaction
/// that could not begin is not tried again for each push: with the
/// database unreachable or locked by another process, a group of G pushes
/// would otherwise wait G + 1 times for it.
///
/// Not a savepoint for each push inside the group's transaction: SQLite
/// then copies the first image of every page a push changes into a
/// statement journal, about a tenth of the writer's time under load,
/// while a push fails almost never.
pub(super) fn answer_group(
    jobs: Vec<PushJob>,
    together: impl FnOnce(&[PushJob]) -> Result<Vec<PushResponse>, Failed>,
    alone: impl Fn(&PushJob) -> StoreResult<PushResponse>,
) {
    let answers: Vec<StoreResult<PushResponse>> = match unpanicked(|| together(&jobs)) {
        Ok(answers) => answers.into_iter().map(Ok).collect(),
        Err(Failed::Unbegun(e)) => jobs.iter().map(|_| Err(e.clone())).collect(),
        // The database went away under the transaction: each push alone
        // would wait for it again, one after another.
        Err(Failed::Begun(e @ StoreError::Unavailable(_))) => {
            jobs.iter().map(|_| Err(e.clone())).collect()
        }
        Err(Failed::Begun(e)) if jobs.len() == 1 => vec![Err(e)],
        Err(Failed::Begun(_)) => {
            for job in jobs {
                let answer = unpanicked(|| alone(&job));
                // A caller that gave up waiting has no one to tell.
                let _ = job.reply.send(answer);
            }
            return;
        }
    };
    for (job, answer) in jobs.into_iter().zip(answers) {
        let _ = job.reply.send(answer);
    }
}

/// Runs `work`, a panic in it becoming its error: a push that trips over a
/// bug is answered with that error, and the pushes grouped with it are
/// carried out without it. The transaction it ran in rolls back as the
/// panic unwinds.
fn unpanicked<T, E: From<StoreError>>(work: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(StoreError::Internal(format!("the push could not be carried out: {why}")).into())
    })
}

/// Carries out a group of pushes in the open write transaction `tx`, one
/// after another: the first that fails fails them all, and the caller
/// rolls the transaction back ([`answer_group`]). The caller commits.
pub(super) fn run_group(
    tx: &dyn Db,
    config: &Config,
    properties: &[Property],
    jobs: &[PushJob],
) -> StoreResult<Vec<PushResponse>> {
    let epoch = read_epoch(tx)?;
    jobs.iter()
        .map(|job| {
            let rules = Rules {
                config,
                properties,
                ceiling: job.ceiling,
                skew: skew(job.now, job.ceiling),
            };
            push(tx, &rules, epoch, job)
        })
        .collect()
}

/// One push: plans the batch, judges each next op, stores or quarantines
/// it, advances the device's acknowledgement and folds the touched cases.
/// Its caller rolls all of it back if it fails.
fn push(tx: &dyn Db, rules: &Rules<'_>, epoch: u64, job: &PushJob) -> StoreResult<PushResponse> {
    let PushJob {
        device,
        ops,
        texts,
        now,
        ..
    } = job;
    let (device, now) = (*device, *now);
    session_stands(tx, job)?;
    // Without a session (a records file's import), the author is judged
    // as the server knows them now, read in this transaction: the import
    // read them before its runs waited for the writer, and a disable or a
    // new role committed meanwhile decides them.
    let reread;
    let user = match &job.session {
        Some(_) => &job.user,
        None => {
            reread =
                super::accounts_sql::user(tx, job.user.id)?.unwrap_or_else(|| job.user.clone());
            &reread
        }
    };
    let device_key = device.to_string();
    let row = tx
        .query_opt(
            "SELECT acked_seq, number FROM devices WHERE id = ?1",
            &[Value::from(&device_key)],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("device {device}")))?;
    let acked: u64 = row.get(0)?;
    let device_number: u32 = row.get(1)?;
    let mut stored = BTreeMap::new();
    // Numbers that held an op of a case deleted since (retention deletes
    // its ops): a copy sent again (its answer lost) is a repeat of it,
    // refused as the deleted case's, not a clone of nothing.
    let mut of_deleted = BTreeSet::new();
    for (op, (_, hash)) in ops.iter().zip(texts).filter(|(op, _)| op.seq <= acked) {
        match held_hash(tx, &device_key, op.seq)? {
            Some(held) => {
                stored.insert(op.seq, held);
            }
            None if case_deleted(tx, op.case_id)? => {
                stored.insert(op.seq, (*hash).to_string());
                of_deleted.insert(op.seq);
            }
            None => {}
        }
    }
    let batch: Vec<Incoming<'_>> = ops
        .iter()
        .zip(texts)
        .map(|(op, (_, hash))| Incoming { seq: op.seq, hash })
        .collect();
    let plan = plan::plan(&batch, acked, &stored);
    let received = ts(now);
    let mut touched = Touched::default();
    let mut quarantined = Vec::new();
    // Read once, at the first op judged, then carried along the batch.
    let mut before = None;
    for ((op, (json, hash)), step) in ops.iter().zip(texts).zip(&plan.steps) {
        let incoming = Received {
            device,
            op,
            json,
            hash,
            received: &received,
        };
        let notice = match step {
            // An op the server holds aside is refused again, not stored
            // again: the answer that refused it may never have reached the
            // tablet, which would then show it as taken.
            Step::Repeat if of_deleted.contains(&op.seq) => {
                quarantined.push(push::deleted_notice(op));
                continue;
            }
            Step::Repeat => {
                quarantined.extend(held_aside(tx, &device_key, op.seq)?.map(|mut notice| {
                    notice.op = Some(op.id);
                    notice
                }));
                continue;
            }
            Step::Gap => break,
            // The same clone sent again (a retry, a records file imported
            // again) is refused again, and listed once.
            Step::Clone if clone_kept(tx, &device_key, op.seq, hash)? => {
                quarantined.push(push::clone_notice(op));
                continue;
            }
            Step::Clone => push::clone_notice(op),
            Step::Judge if job.unproven.contains(&op.seq) => push::unproven_notice(op),
            Step::Judge => {
                let held = match before {
                    Some(held) => held,
                    None => device_before(tx, &device_key, op.seq)?,
                };
                before = Some(held);
                let device = DeviceFacts {
                    number: device_number,
                    before: held,
                };
                let judged = judge(tx, rules, &touched, op, Some(user), device)?;
                match judged.verdict {
                    Verdict::Accept { property } => {
                        accept(tx, &mut touched, &incoming, property, judged.case_new)?;
                        before = Some(held.after(op));
                        continue;
                    }
                    Verdict::Quarantine(notice) => notice,
                }
            }
        };
        insert_quarantine(tx, &incoming, user.id, &notice)?;
        quarantined.push(notice);
    }
    // A push without a session (an administrator's import of a revoked
    // tablet's records, a tool) is no sign of the device itself: its last
    // contact stays what the devices list says of it.
    let (key, acked) = (Value::from(&device_key), Value::Int(plan.acked as i64));
    match job.session {
        Some(_) => tx.execute(
            "UPDATE devices SET acked_seq = ?2, last_seen = ?3 WHERE id = ?1",
            &[key, acked, Value::from(&received)],
        )?,
        None => tx.execute(
            "UPDATE devices SET acked_seq = ?2 WHERE id = ?1",
            &[key, acked],
        )?,
    };
    // Folded before the next push of the group is judged, which may read
    // this one's cases (a registration number taken).
    touched.materialize(tx, rules)?;
    Ok(PushResponse {
        acked_seq: plan.acked,
        expected_seq: plan.expected_seq,
        quarantined,
        epoch,
    })
}

/// Whether the push's session still stands, read again in the push's own
/// transaction: the request read it before the push waited for the
/// writer, and a revocation, a disable or a logout committed meanwhile
/// decides this push too. A session that ended fails the push
/// (`StoreError::SessionEnded`), which stores nothing. The user stays the
/// one the request read: a change of role or properties revokes the
/// user's tokens (`accounts_sql::update_user`), so a standing session's
/// user is as stored in all that judging reads.
fn session_stands(tx: &dyn Db, job: &PushJob) -> StoreResult<()> {
    let Some(hash) = &job.session else {
        return Ok(());
    };
    let row = tx.query_opt(
        "SELECT d.revoked FROM tokens t
         JOIN devices d ON d.id = t.device_id JOIN users u ON u.id = t.user_id
         WHERE t.hash = ?1 AND t.device_id = ?2 AND t.user_id = ?3
           AND (t.revoked = 0 OR d.revoked = 1) AND u.active = 1",
        &[
            hash.as_str().into(),
            job.device.to_string().into(),
            job.user.id.to_string().into(),
        ],
    )?;
    match row {
        Some(r) if !r.get::<bool>(0)? => Ok(()),
        Some(_) => Err(StoreError::SessionEnded {
            device_revoked: true,
        }),
        None => Err(StoreError::SessionEnded {
            device_revoked: false,
        }),
    }
}

/// The hash of the op the server holds under `device`'s number `seq`:
/// stored, or quarantined other than as a clone (a clone is not the
/// device's own op, so it never counts as what the number holds). Taken
/// of the op as this build writes it, as an incoming op's is: an older
/// build that stored it wrote no field added since, and the same op sent
/// again after an upgrade (its answer lost) looked like a clone.
fn held_hash(tx: &dyn Db, device: &str, seq: u64) -> StoreResult<Option<String>> {
    let Some(row) = tx.query_opt(
        "SELECT hash, json FROM ops WHERE device_id = ?1 AND seq = ?2
         UNION ALL SELECT hash, json FROM quarantine
                   WHERE device_id = ?1 AND seq = ?2 AND code <> 'sync.clone'
         LIMIT 1",
        &[device.into(), Value::Int(seq as i64)],
    )?
    else {
        return Ok(None);
    };
    let (hash, json): (String, String) = (row.get(0)?, row.get(1)?);
    Ok(Some(now_written_hash(&json).unwrap_or(hash)))
}

/// Whether case `id` was deleted under retention.
fn case_deleted(tx: &dyn Db, id: CaseId) -> StoreResult<bool> {
    Ok(tx
        .query_opt(
            "SELECT 1 FROM deletions WHERE case_id = ?1",
            &[id.to_string().into()],
        )?
        .is_some())
}

/// Why the op `seq` of `device` is held in quarantine, if it is and was
/// not re-applied since. One whose case was deleted since is refused as
/// the deleted case's, as it would be if sent now.
fn held_aside(tx: &dyn Db, device: &str, seq: u64) -> StoreResult<Option<QuarantineNotice>> {
    tx.query_opt(
        "SELECT code, message, resolution FROM quarantine
         WHERE device_id = ?1 AND seq = ?2 AND code <> 'sync.clone'
           AND (resolution IS NULL OR resolution IN ('discarded', 'case_deleted'))
         ORDER BY id DESC LIMIT 1",
        &[device.into(), Value::Int(seq as i64)],
    )?
    .map(|r| {
        let deleted = r.get::<Option<String>>(2)?.as_deref() == Some("case_deleted");
        Ok(match deleted {
            true => QuarantineNotice {
                seq,
                op: None,
                code: shared::wire::CASE_DELETED.into(),
                message: "its case was deleted (retention)".into(),
            },
            false => QuarantineNotice {
                seq,
                op: None,
                code: r.get(0)?,
                message: r.get(1)?,
            },
        })
    })
    .transpose()
}

/// What the server holds of `device` before its op `seq`: the oldest
/// schema that op may carry, and its clock. The schema is that of the
/// device's op with the highest sequence number below `seq` that the
/// server holds, and at least the oldest the server took when it
/// registered the device (`devices.schema_floor`; 0 for devices older
/// than that column). A tablet's ops never go back to an older schema, and
/// a new device's app writes what the server took then, so a lower one is
/// a claim to escape newer rules, refused (`push::Facts::schema_before`).
pub(super) fn device_before(tx: &dyn Db, device: &str, seq: u64) -> StoreResult<Before> {
    #[derive(serde::Deserialize)]
    struct Stamp {
        schema: u32,
        hlc: Hlc,
    }
    let row = tx.query_one(
        "SELECT schema_floor, first_seen FROM devices WHERE id = ?1",
        &[device.into()],
    )?;
    let floor: u32 = row.get(0)?;
    let first_seen = parse_ts(&row.get::<String>(1)?)?;
    let last: Option<Stamp> = tx
        .query_opt(
            "SELECT json FROM ops WHERE device_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT 1",
            &[device.into(), Value::Int(seq as i64)],
        )?
        .map(|row| {
            let json: String = row.get(0)?;
            serde_json::from_str(&json)
                .map_err(|e| StoreError::Internal(format!("stored op of device {device}: {e}")))
        })
        .transpose()?;
    Ok(Before {
        schema: last.as_ref().map_or(floor, |l| l.schema.max(floor)),
        clock: Some(DeviceClock {
            first_seen,
            last_hlc: last.map(|l| l.hlc),
        }),
    })
}

/// [`device_before`]: what the server holds of a device before an op.
#[derive(Clone, Copy)]
pub(super) struct Before {
    /// The oldest schema the op may carry.
    pub schema: u32,
    /// The device's clock; none once an administrator vouches for the
    /// op's time ([`Before::vouched`]).
    pub clock: Option<DeviceClock>,
}

impl Before {
    /// With no facts of the device's clock: for an op whose time an
    /// administrator vouches for.
    pub(super) fn vouched(self) -> Before {
        Before {
            clock: None,
            ..self
        }
    }

    /// What holds before the next op of the device, once `op` is stored.
    fn after(self, op: &Op) -> Before {
        Before {
            schema: op.schema,
            clock: self.clock.map(|clock| DeviceClock {
                last_hlc: Some(op.hlc),
                ..clock
            }),
        }
    }
}

/// What the server holds about the device an op came from.
#[derive(Clone, Copy)]
pub(super) struct DeviceFacts {
    /// The number the server gave it.
    pub number: u32,
    /// [`device_before`] the op.
    pub before: Before,
}

/// An op judged, and whether its case had no ops stored before it.
pub(super) struct Judged {
    /// Accept or quarantine.
    pub verdict: Verdict,
    /// No op of its case is stored: an accepted op makes a new case.
    pub case_new: bool,
}

/// Judges `op` with the facts the server holds: its case's property,
/// whether its id or registration number is taken, and what it holds of
/// the device. `touched` holds the ops this transaction stored before it.
pub(super) fn judge(
    tx: &dyn Db,
    rules: &Rules<'_>,
    touched: &Touched,
    op: &Op,
    pusher: Option<&User>,
    device: DeviceFacts,
) -> StoreResult<Judged> {
    // An op out of bounds is quarantined for them before any fact is
    // read (`push::judge`): its texts must not reach a query first, where
    // a NUL in a media type failed the whole push, for every retry, and
    // blocked the device's later ops.
    let stored = match shared::validation::validate_op(op, rules.ceiling) {
        Ok(()) => stored_facts(tx, rules, touched, op)?,
        Err(_) => StoredFacts::default(),
    };
    let verdict = push::judge(&push::Facts {
        op,
        pusher,
        device_number: device.number,
        schema_before: device.before.schema,
        device_clock: device.before.clock,
        case_property: stored.case_property,
        case_registered: stored.case_registered,
        case_deleted: stored.case_deleted,
        id_taken: stored.id_taken,
        reg_no_taken: stored.reg_no_taken,
        case_attachment_bytes: stored.case_attachment_bytes,
        case_attachments: stored.case_attachments,
        signature_blob: stored.signature_blob,
        plain_blob: stored.plain_blob,
        blob_size_differs: stored.blob_size_differs,
        blob_properties: &stored.blob_properties,
        assigned: stored.assigned,
        assignee: stored.assignee.as_ref(),
        kept: stored.kept,
        conflicted: stored.conflicted,
        case_assignee: stored.case_assignee,
        properties: rules.properties,
        categories: &rules.config.categories,
        settings: &rules.config.settings,
        ceiling: rules.ceiling,
        skew: rules.skew,
    });
    Ok(Judged {
        verdict,
        // Every stored op of a case carries its property.
        case_new: stored.case_property.is_none(),
    })
}

/// Stores an accepted op under the next server sequence number, which it
/// returns, and marks its case to be folded again. `case_new` is
/// [`Judged::case_new`].
pub(super) fn accept(
    tx: &dyn Db,
    touched: &mut Touched,
    op: &Received<'_>,
    property: PropertyId,
    case_new: bool,
) -> StoreResult<i64> {
    let server_seq = touched.next_seq(tx)?;
    tx.execute(
        "INSERT INTO ops (server_seq, id, device_id, seq, case_id, property_id, author, hash, json, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        &[
            server_seq.into(),
            op.op.id.to_string().into(),
            op.device.to_string().into(),
            Value::Int(op.op.seq as i64),
            op.op.case_id.to_string().into(),
            property.to_string().into(),
            op.op.author.to_string().into(),
            op.hash.into(),
            op.json.into(),
            op.received.into(),
        ],
    )?;
    match touched.cases.get_mut(&op.op.case_id) {
        Some(case) => case.ops.push(op.op.clone()),
        None => {
            touched.cases.insert(
                op.op.case_id,
                TouchedCase {
                    property,
                    new: case_new,
                    ops: vec![op.op.clone()],
                },
            );
        }
    }
    Ok(server_seq)
}

/// Whether the quarantine holds this very clone already (the same
/// content under the device's `seq`), settled or not: it is there to see.
/// Compared as this build writes it, as [`held_hash`] compares.
fn clone_kept(tx: &dyn Db, device: &str, seq: u64, hash: &str) -> StoreResult<bool> {
    let rows = tx.query(
        "SELECT hash, json FROM quarantine WHERE device_id = ?1 AND seq = ?2
         AND code = 'sync.clone'",
        &[device.into(), Value::Int(seq as i64)],
    )?;
    for row in rows {
        let (kept, json): (String, String) = (row.get(0)?, row.get(1)?);
        if kept == hash || now_written_hash(&json).is_some_and(|h| h == hash) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The hash of a stored op's JSON as this build writes the op, when it
/// reads as one.
fn now_written_hash(json: &str) -> Option<String> {
    let op = serde_json::from_str::<Op>(json).ok()?;
    serde_json::to_string(&op)
        .ok()
        .map(|json| push::hash(&json))
}

/// Keeps an op aside with the reason in `notice`, for an admin.
fn insert_quarantine(
    tx: &dyn Db,
    op: &Received<'_>,
    pushed_by: UserId,
    notice: &QuarantineNotice,
) -> StoreResult<()> {
    // An op of a deleted case is kept as which op it was, never what it
    // said: the case's personal data went with it. Also when it was set
    // aside for another reason found first (a scope since changed, a
    // disabled author, a clone of an op the deletion removed).
    let deleted = notice.code == shared::wire::CASE_DELETED
        || tx
            .query_opt(
                "SELECT 1 FROM deletions WHERE case_id = ?1",
                &[op.op.case_id.to_string().into()],
            )?
            .is_some();
    let forgotten = deleted.then(|| {
        super::admin_sql::forgotten_op(
            &op.op.id.to_string().into(),
            &op.op.case_id.to_string(),
            &op.device.to_string().into(),
            &op.op.seq.into(),
        )
    });
    tx.execute(
        "INSERT INTO quarantine (device_id, seq, op_id, hash, json, code, message, received_at, pushed_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        &[
            op.device.to_string().into(),
            Value::Int(op.op.seq as i64),
            op.op.id.to_string().into(),
            op.hash.into(),
            forgotten.as_deref().unwrap_or(op.json).into(),
            notice.code.as_str().into(),
            notice.message.as_str().into(),
            op.received.into(),
            pushed_by.to_string().into(),
        ],
    )?;
    Ok(())
}

/// The property, deletion, id and registration-number facts of an op whose
/// case this transaction has not stored ops of, in one query instead of
/// four, for the first op of every case a push brings (a new case's
/// register op). A `None` `reg_no` (not a register op) is never taken.
fn untouched_facts(
    tx: &dyn Db,
    case_key: &str,
    op: &Op,
    reg_no: Option<&str>,
) -> StoreResult<(Option<PropertyId>, bool, bool, bool)> {
    let row = tx.query_one(
        "SELECT coalesce((SELECT property_id FROM ops WHERE case_id = ?1 LIMIT 1),
                (SELECT property_id FROM deletions WHERE case_id = ?1)),
            EXISTS (SELECT 1 FROM deletions WHERE case_id = ?1),
            EXISTS (SELECT 1 FROM ops WHERE id = ?2),
            EXISTS (SELECT 1 FROM cases WHERE reg_no = ?3 AND id <> ?1)",
        &[case_key.into(), op.id.to_string().into(), reg_no.into()],
    )?;
    let property = row
        .get::<Option<String>>(0)?
        .map(|p| parse_id::<PropertyId>(&p))
        .transpose()?;
    Ok((property, row.get(1)?, row.get(2)?, row.get(3)?))
}

/// What `push::judge` needs to know of the stored data for one op.
#[derive(Default)]
struct StoredFacts {
    /// The property its case already belongs to (or belonged to, deleted).
    case_property: Option<PropertyId>,
    /// For an edit: what its case's register op says.
    case_registered: Option<push::Registered>,
    /// Whether its case was deleted.
    case_deleted: bool,
    /// Whether its id is taken.
    id_taken: bool,
    /// Whether its registration number (for a register op) is another case's.
    reg_no_taken: bool,
    /// The evidence bytes its case's accepted attach ops declare.
    case_attachment_bytes: u64,
    /// How many they are.
    case_attachments: u64,
    /// Its file or thumbnail is stored as a complainant's signature.
    signature_blob: bool,
    /// Its file or thumbnail is stored as another kind than a
    /// complainant's signature.
    plain_blob: bool,
    /// Its file or thumbnail is stored with another size or media type
    /// than it declares.
    blob_size_differs: bool,
    /// For its file and its thumbnail each, when stored: the properties
    /// of the cases whose evidence has them.
    blob_properties: Vec<Vec<PropertyId>>,
    /// The user it would give the case to, directly or by applying a
    /// conflicted assign op.
    assigned: Option<UserId>,
    /// That user.
    assignee: Option<User>,
    /// For a void naming the case it repeats (or a `resolve_conflict`
    /// applying such a void): the number, and that case if the server
    /// holds it.
    kept: Option<(String, Option<push::Kept>)>,
    /// For a `resolve_conflict`: the author and kind of the op it settles,
    /// if the case has it.
    conflicted: Option<(UserId, shared::op::ActionKind)>,
    /// For a department head's assign (or `resolve_conflict` applying
    /// one): the case's assignee as the cases stand now, if the case is
    /// known.
    case_assignee: Option<Option<Assignee>>,
}

/// The case registered as `reg_no`, as this transaction leaves it so far:
/// its property, and whether it is voided.
fn kept_case(
    tx: &dyn Db,
    rules: &Rules<'_>,
    touched: &Touched,
    reg_no: &str,
) -> StoreResult<Option<push::Kept>> {
    let stored = tx.query_opt(
        "SELECT id, property_id, state FROM cases WHERE reg_no = ?1",
        &[reg_no.into()],
    )?;
    let (id, property, voided) = match stored {
        Some(row) => (
            parse_id::<CaseId>(&row.get::<String>(0)?)?,
            parse_id::<PropertyId>(&row.get::<String>(1)?)?,
            row.get::<String>(2)? == CaseState::Voided.code(),
        ),
        None => match touched.registered_as(reg_no, None) {
            Some((id, case)) => (*id, case.property, false),
            None => return Ok(None),
        },
    };
    let voided = match touched_case(tx, rules, touched, id)? {
        Some(folded) => folded.map_or(voided, |c| c.state == CaseState::Voided),
        None => voided,
    };
    Ok(Some(push::Kept { property, voided }))
}

/// Case `id` folded with the ops this push stored of it, which are not
/// in its row yet (they are in `ops` already), as its row will be; `None`
/// when the push touched no op of it, so that its row stands (and
/// `Some(None)` when its ops do not fold).
fn touched_case(
    tx: &dyn Db,
    rules: &Rules<'_>,
    touched: &Touched,
    id: CaseId,
) -> StoreResult<Option<Option<shared::case::Case>>> {
    if !touched.cases.contains_key(&id) {
        return Ok(None);
    }
    let ops = super::fold_sql::stored_ops(tx, id)?;
    let ctx = FoldContext {
        settings: &rules.config.settings,
        calendar: &rules.config.calendar,
    };
    Ok(Some(shared::fold::fold(&ops, ctx).ok()))
}

/// The assignee of case `id` as this transaction leaves it so far, if the
/// server holds the case.
fn current_assignee(
    tx: &dyn Db,
    rules: &Rules<'_>,
    touched: &Touched,
    id: CaseId,
) -> StoreResult<Option<Option<Assignee>>> {
    if let Some(folded) = touched_case(tx, rules, touched, id)? {
        return Ok(folded.map(|c| c.assignee));
    }
    let Some(row) = tx.query_opt(
        "SELECT assignee, department FROM cases WHERE id = ?1",
        &[id.to_string().into()],
    )?
    else {
        return Ok(None);
    };
    let user = row.get::<Option<String>>(0)?;
    let department = row.get::<Option<String>>(1)?;
    Ok(Some(match (user, department) {
        (None, None) => None,
        (user, department) => Some(Assignee {
            department: department.unwrap_or_default(),
            user: user.map(|u| parse_id::<UserId>(&u)).transpose()?,
            name: String::new(),
        }),
    }))
}

/// The evidence bytes a case's attach ops declare, photo and thumbnail,
/// and how many they are.
fn attachment_bytes_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "SELECT coalesce(sum(coalesce(json_extract(json, '$.action.size'), 0)
                + coalesce(json_extract(json, '$.action.thumbnail.size'), 0)), 0), count(*)
             FROM ops WHERE case_id = ?1 AND json_extract(json, '$.action.type') = 'attach'"
        }
        Dialect::Postgres => {
            "SELECT CAST(coalesce(sum(coalesce(CAST(json::jsonb #>> '{action,size}' AS BIGINT), 0)
                + coalesce(CAST(json::jsonb #>> '{action,thumbnail,size}' AS BIGINT), 0)), 0) AS BIGINT),
                count(*)
             FROM ops WHERE case_id = ?1 AND json::jsonb #>> '{action,type}' = 'attach'"
        }
    }
}

/// A case's kind, whether its complainant is anonymous, its first
/// responder and when it was recorded, from its register op.
fn register_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "SELECT json_extract(json, '$.action.kind'),
                coalesce(json_extract(json, '$.action.complainant.anonymous'), 0),
                author, json_extract(json, '$.at')
             FROM ops WHERE case_id = ?1 AND json_extract(json, '$.action.type') = 'register'
             LIMIT 1"
        }
        Dialect::Postgres => {
            "SELECT json::jsonb #>> '{action,kind}',
                coalesce(json::jsonb #>> '{action,complainant,anonymous}' = 'true', false),
                author, json::jsonb #>> '{at}'
             FROM ops WHERE case_id = ?1 AND json::jsonb #>> '{action,type}' = 'register'
             LIMIT 1"
        }
    }
}

/// A stored op of the case, as a `resolve_conflict` names it.
fn conflicted_op(tx: &dyn Db, case_key: &str, op: OpId) -> StoreResult<Option<Op>> {
    let Some(row) = tx.query_opt(
        "SELECT json FROM ops WHERE id = ?1 AND case_id = ?2",
        &[op.to_string().into(), case_key.into()],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(serde_json::from_str(row.text(0)?)?))
}

fn stored_facts(
    tx: &dyn Db,
    rules: &Rules<'_>,
    touched: &Touched,
    op: &Op,
) -> StoreResult<StoredFacts> {
    let case_key = op.case_id.to_string();
    let case = || [Value::from(&case_key)];
    let reg_no = match &op.action {
        Action::Register(reg) => Some(reg.reg_no.to_string()),
        _ => None,
    };
    let taken = |reg_no: &str| -> StoreResult<bool> {
        Ok(tx
            .query_opt(
                "SELECT 1 FROM cases WHERE reg_no = ?1 AND id <> ?2",
                &[reg_no.into(), Value::from(&case_key)],
            )?
            .is_some())
    };
    // A case this transaction stored ops of has its property, and was not
    // deleted: push refuses the ops of a deleted case.
    let (case_property, case_deleted, id_taken, reg_no_taken) = match touched.property(op.case_id) {
        Some(property) => (
            Some(property),
            false,
            tx.query_opt(
                "SELECT 1 FROM ops WHERE id = ?1",
                &[op.id.to_string().into()],
            )?
            .is_some(),
            reg_no.as_deref().map(taken).transpose()?.unwrap_or(false),
        ),
        None => untouched_facts(tx, &case_key, op, reg_no.as_deref())?,
    };
    // Another case of this very push with the number: its row is written
    // only when the push's cases are folded.
    let reg_no_taken = reg_no_taken
        || reg_no
            .as_deref()
            .is_some_and(|n| touched.registered_as(n, Some(op.case_id)).is_some());
    // Counted from the ops, not the materialized attachments, so that an
    // earlier attach of the same batch (stored, not yet folded) counts.
    let (case_attachment_bytes, case_attachments) = match &op.action {
        Action::Attach { .. } => {
            let row = tx.query_one(attachment_bytes_sql(tx.dialect()), &case())?;
            (
                row.get::<i64>(0)?.max(0) as u64,
                row.get::<i64>(1)?.max(0) as u64,
            )
        }
        _ => (0, 0),
    };
    // What the references to the op's file and thumbnail already stored
    // say of them, on any case.
    let (signature_blob, plain_blob, blob_size_differs, blob_properties) = match &op.action {
        Action::Attach {
            hash,
            size,
            mime,
            thumbnail,
            ..
        } => {
            let declared: Vec<(String, u64, &str)> = hash
                .map(|h| (h.to_string(), *size, mime.as_str()))
                .into_iter()
                .chain(
                    thumbnail
                        .as_ref()
                        .map(|t| (t.hash.to_string(), t.size, t.mime.as_str())),
                )
                .collect();
            let (mut signature, mut plain, mut differs) = (false, false, false);
            let mut properties = Vec::new();
            for (hash, size, mime) in &declared {
                let holders = tx
                    .query(
                        "SELECT DISTINCT c.property_id FROM case_blobs b
                         JOIN cases c ON c.id = b.case_id WHERE b.hash = ?1",
                        &[hash.into()],
                    )?
                    .iter()
                    .map(|row| parse_id(&row.get::<String>(0)?))
                    .collect::<Result<Vec<_>, _>>()?;
                if !holders.is_empty() {
                    properties.push(holders);
                }
                let row = tx.query_one(
                    "SELECT EXISTS (SELECT 1 FROM case_blobs WHERE hash = ?1 AND purpose = ?2),
                        EXISTS (SELECT 1 FROM case_blobs WHERE hash = ?1 AND purpose <> ?2),
                        EXISTS (SELECT 1 FROM case_blobs
                                WHERE hash = ?1 AND (size <> ?3 OR media_type <> ?4))",
                    &[
                        hash.into(),
                        AttachmentKind::ComplainantSignature.code().into(),
                        Value::Int(*size as i64),
                        (*mime).into(),
                    ],
                )?;
                signature |= row.get::<bool>(0)?;
                plain |= row.get::<bool>(1)?;
                differs |= row.get::<bool>(2)?;
            }
            // And what this push's earlier attach ops say: they are stored
            // but reach `case_blobs` only when the push's cases are folded.
            for (earlier, earlier_size, earlier_mime, personal) in touched.attached() {
                for (hash, size, mime) in &declared {
                    if earlier.to_string() == *hash {
                        signature |= personal;
                        plain |= !personal;
                        differs |= earlier_size != *size || earlier_mime != *mime;
                    }
                }
            }
            (signature, plain, differs, properties)
        }
        _ => (false, false, false, Vec::new()),
    };
    // Read from the register op, which may be in this very batch, not yet
    // folded into a case row.
    let case_registered = match &op.action {
        Action::Edit(_) | Action::ResolveConflict { .. } => {
            match tx.query_opt(register_sql(tx.dialect()), &case())? {
                Some(r) => {
                    let (kind, anonymous) = (r.get::<String>(0)?, r.get::<bool>(1)?);
                    let (by, at) = (r.get::<String>(2)?, r.get::<String>(3)?);
                    let by = by.parse().ok().map(UserId);
                    let at = DateTime::parse_from_rfc3339(&at).ok().map(|t| t.to_utc());
                    match (CaseKind::from_code(&kind), by, at) {
                        (Some(kind), Some(by), Some(at)) => Some(push::Registered {
                            kind,
                            anonymous,
                            by,
                            at,
                        }),
                        _ => None,
                    }
                }
                None => None,
            }
        }
        _ => None,
    };
    let conflicted = match &op.action {
        Action::ResolveConflict { conflict_op, .. } => conflicted_op(tx, &case_key, *conflict_op)?,
        _ => None,
    };
    let assigned = match &op.action {
        Action::Assign { user, .. } => *user,
        Action::ChangeResponder { to, .. } => Some(*to),
        // What applying an assign that lost a conflict would do.
        Action::ResolveConflict { apply: true, .. } => match conflicted.as_ref().map(|o| &o.action)
        {
            Some(Action::Assign { user, .. }) => *user,
            _ => None,
        },
        _ => None,
    };
    let assignee = match assigned {
        Some(id) => accounts_sql::user(tx, id)?,
        None => None,
    };
    // The case a void names as the one kept: this op's, or that of a void
    // that lost a conflict and is applied now, as the cases stand now.
    let named = match &op.action {
        Action::ResolveConflict { apply: true, .. } => conflicted.as_ref().map(|o| &o.action),
        action => Some(action),
    };
    let kept = match named {
        Some(Action::Void {
            duplicate_of: Some(n),
            ..
        }) => {
            let n = n.to_string();
            let found = kept_case(tx, rules, touched, &n)?;
            Some((n, found))
        }
        _ => None,
    };
    // Only the passing on of a role that passes on its own cases alone is
    // judged by it (`workflow::passes_on_only_own`, the role the op
    // claims: one its author does not hold is refused before). Read for
    // every assign, a batch assigning the cases it registers would fold
    // each of them again.
    let case_assignee = match named {
        Some(Action::Assign { .. })
            if shared::workflow::passes_on_only_own(op.role, &rules.config.settings) =>
        {
            current_assignee(tx, rules, touched, op.case_id)?
        }
        _ => None,
    };
    Ok(StoredFacts {
        case_assignee,
        conflicted: conflicted.map(|o| (o.author, o.action.kind())),
        kept,
        assigned,
        assignee,
        case_property,
        case_registered,
        case_deleted,
        id_taken,
        reg_no_taken,
        case_attachment_bytes,
        case_attachments,
        signature_blob,
        plain_blob,
        blob_size_differs,
        blob_properties,
    })
}

#[cfg(test)]
mod tests {
    use super::super::engine::Engine;
    use super::super::sqlite::SqliteStore;
    use super::super::test_support::{
        audit, device, register, session, store_with_a_case, store_with_staff,
    };
    use super::super::{Store, StoreError};
    use super::{PushJob, Pusher};
    use chrono::Utc;
    use shared::id::{CaseId, DeviceId, OpId};
    use shared::op::Action;
    use shared::wire::PushResponse;
    use std::collections::BTreeSet;
    use tokio::sync::oneshot;

    /// The fold state stored for `case`: the configuration stamp and the
    /// greatest op key it holds.
    fn fold_row(store: &SqliteStore, case: CaseId) -> (i64, serde_json::Value) {
        let (config, state): (i64, String) = store
            .writer()
            .query_row(
                "SELECT config_seq, state FROM case_folds WHERE case_id = ?1",
                [case.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("fold state");
        let state: serde_json::Value = serde_json::from_str(&state).expect("state json");
        (config, state["last"].clone())
    }

    /// A note on `reg`'s case, the device's next op after it.
    fn next_note(reg: &shared::op::Op) -> shared::op::Op {
        let mut note = reg.clone();
        note.id = OpId(uuid::Uuid::now_v7());
        note.seq = reg.seq + 1;
        note.hlc.counter += 1;
        note.action = Action::Note {
            note_kind: shared::case::NoteKind::General,
            text: "已联系".into(),
        };
        note
    }

    #[test]
    fn a_settings_change_makes_the_next_push_fold_the_case_again() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, user, tablet, reg) = store_with_a_case(dir.path());
        let ceiling = Utc::now() + chrono::Duration::minutes(5);
        let (before, last) = fold_row(&store, reg.case_id);
        assert_eq!(last, serde_json::to_value(reg.order_key()).expect("key"));
        // A mark no op made: resumed, the case would grow the department
        // start clock from it; folded again, it is gone.
        store
            .writer()
            .execute(
                "UPDATE case_folds SET state = json_set(state, '$.marks.assigned', '2026-01-05T00:00:00Z')",
                [],
            )
            .expect("tamper");
        let mut settings = store.config().expect("config").settings;
        settings.compensation.regional_manager_max_fen += 100;
        store
            .put_settings(&settings, None, &audit())
            .expect("settings");
        let note = next_note(&reg);
        store
            .push(tablet, &user, vec![note.clone()], Utc::now(), ceiling)
            .expect("push");
        let (after, last) = fold_row(&store, reg.case_id);
        assert!(after > before, "the state carries the new settings' stamp");
        assert_eq!(last, serde_json::to_value(note.order_key()).expect("key"));
        let config = store.config().expect("config");
        let ctx = shared::fold::FoldContext {
            settings: &config.settings,
            calendar: &config.calendar,
        };
        let expected = shared::fold::fold(&[reg.clone(), note], ctx).expect("fold");
        let stored = store.case(reg.case_id).expect("read").map(|(_, case)| case);
        assert_eq!(stored, Some(expected));
    }

    /// A NUL in an attachment's media type is quarantined for its bounds:
    /// it reached a query first, and failed the push, at every retry.
    #[test]
    fn an_op_out_of_bounds_is_quarantined_before_its_texts_reach_a_query() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, user, tablet, reg) = store_with_a_case(dir.path());
        let ceiling = Utc::now() + chrono::Duration::minutes(5);
        let mut attach = reg.clone();
        attach.id = OpId(uuid::Uuid::now_v7());
        attach.seq = 2;
        attach.hlc.counter += 1;
        attach.action = Action::Attach {
            id: shared::id::AttachmentId(uuid::Uuid::now_v7()),
            attachment_kind: shared::case::AttachmentKind::Photo,
            name: "现场.jpg".into(),
            mime: "image/jpeg\0".into(),
            size: 1024,
            hash: Some(shared::blob::BlobHash::of(b"photo")),
            caption: String::new(),
            thumbnail: None,
        };
        let answer = store
            .push(tablet, &user, vec![attach], Utc::now(), ceiling)
            .expect("the push is answered");
        assert_eq!(answer.acked_seq, 2);
        assert_eq!(answer.quarantined.len(), 1, "{:?}", answer.quarantined);
        assert_eq!(answer.quarantined[0].code, "attachment.media_type");
    }

    #[test]
    fn a_failed_push_in_a_group_leaves_the_others_committed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, property, user) = store_with_staff(dir.path());
        let (first, first_number) = device(&store, &user);
        let (second, second_number) = device(&store, &user);
        // A device the server never issued: its push fails as a whole.
        let stranger = DeviceId(uuid::Uuid::now_v7());
        let pushes = [
            register(&property, &user, first, first_number),
            register(&property, &user, stranger, 9),
            register(&property, &user, second, second_number),
        ];
        let mut answers = Vec::new();
        let jobs = pushes
            .iter()
            .map(|op| {
                let (reply, answer) = oneshot::channel();
                answers.push(answer);
                PushJob::new(
                    Pusher {
                        device: op.device,
                        user: &user,
                        session: None,
                        unproven: BTreeSet::new(),
                    },
                    vec![op.clone()],
                    (Utc::now(), Utc::now() + chrono::Duration::minutes(5)),
                    reply,
                )
                .expect("job")
            })
            .collect();
        store.push_group(jobs);
        let answers: Vec<_> = answers
            .into_iter()
            .map(|a| a.blocking_recv().expect("answered"))
            .collect();
        assert_eq!(answers[0].as_ref().map(|a| a.acked_seq).ok(), Some(1));
        assert!(matches!(answers[1], Err(StoreError::NotFound(_))));
        assert_eq!(answers[2].as_ref().map(|a| a.acked_seq).ok(), Some(1));
        for (op, kept) in pushes.iter().zip([true, false, true]) {
            assert_eq!(store.case(op.case_id).expect("read").is_some(), kept);
        }
    }

    /// A records file's run is judged by its author as stored when the
    /// run is written, not as the import read them before it waited.
    #[test]
    fn an_imported_run_is_judged_by_its_author_as_stored_when_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, user, tablet, reg) = store_with_a_case(dir.path());
        let ceiling = Utc::now() + chrono::Duration::minutes(5);
        // Read by the import; then an administrator disables the author.
        let stale = user.clone();
        store
            .set_user_active(user.id, false, &audit())
            .expect("disable");
        let note = next_note(&reg);
        let pusher = Pusher {
            device: tablet,
            user: &stale,
            session: None,
            unproven: BTreeSet::new(),
        };
        let answer = store
            .push_as(pusher, vec![note], Utc::now(), ceiling)
            .expect("push");
        let codes: Vec<&str> = answer.quarantined.iter().map(|n| n.code.as_str()).collect();
        assert_eq!(codes, ["sync.author_disabled"]);
    }

    #[test]
    fn a_session_ended_while_its_push_waited_stores_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, property, user) = store_with_staff(dir.path());
        let tablets: Vec<_> = (0..3).map(|_| session(&store, &user)).collect();
        let ceiling = Utc::now() + chrono::Duration::minutes(5);
        let queued: Vec<_> = tablets
            .iter()
            .map(|(tablet, number, token)| {
                let op = register(&property, &user, *tablet, *number);
                let pusher = Pusher {
                    device: *tablet,
                    user: &user,
                    session: Some(token),
                    unproven: BTreeSet::new(),
                };
                let queued = store
                    .queue_push(pusher, vec![op.clone()], Utc::now(), ceiling)
                    .expect("queued");
                (op, queued.answer)
            })
            .collect();
        // Committed while the pushes wait for the writer: an administrator
        // revokes the second tablet, and the third's session is logged out.
        store.revoke_device(tablets[1].0, &audit()).expect("revoke");
        store.revoke_token(&tablets[2].2, &audit()).expect("logout");
        store.carry_out_pushes();
        let answers: Vec<_> = queued
            .into_iter()
            .map(|(op, answer)| (op, answer.wait_blocking()))
            .collect();
        assert_eq!(answers[0].1.as_ref().map(|a| a.acked_seq).ok(), Some(1));
        assert!(
            matches!(
                answers[1].1,
                Err(StoreError::SessionEnded {
                    device_revoked: true
                })
            ),
            "{:?}",
            answers[1].1
        );
        assert!(
            matches!(
                answers[2].1,
                Err(StoreError::SessionEnded {
                    device_revoked: false
                })
            ),
            "{:?}",
            answers[2].1
        );
        for ((op, _), kept) in answers.iter().zip([true, false, false]) {
            assert_eq!(store.case(op.case_id).expect("read").is_some(), kept);
        }
    }

    /// Three pushes of three new devices' registrations, and where each
    /// one's answer comes.
    fn three_jobs(
        dir: &std::path::Path,
    ) -> (
        Vec<PushJob>,
        Vec<oneshot::Receiver<super::StoreResult<PushResponse>>>,
    ) {
        let (store, property, user) = store_with_staff(dir);
        let mut answers = Vec::new();
        let jobs = (0..3)
            .map(|_| {
                let (tablet, number) = device(&store, &user);
                let (reply, answer) = oneshot::channel();
                answers.push(answer);
                PushJob::new(
                    Pusher {
                        device: tablet,
                        user: &user,
                        session: None,
                        unproven: BTreeSet::new(),
                    },
                    vec![register(&property, &user, tablet, number)],
                    (Utc::now(), Utc::now() + chrono::Duration::minutes(5)),
                    reply,
                )
                .expect("job")
            })
            .collect();
        (jobs, answers)
    }

    fn acked(seq: u64) -> PushResponse {
        PushResponse {
            acked_seq: seq,
            expected_seq: None,
            quarantined: Vec::new(),
            epoch: 0,
        }
    }

    #[test]
    fn a_push_that_panics_fails_alone_and_the_others_are_answered() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (jobs, answers) = three_jobs(dir.path());
        let poison = jobs[1].device;
        super::answer_group(
            jobs,
            |_| panic!("a bug in a group"),
            |job| {
                if job.device == poison {
                    panic!("a bug in this push");
                }
                Ok(acked(7))
            },
        );
        let answers: Vec<_> = answers
            .into_iter()
            .map(|a| a.blocking_recv().expect("answered"))
            .collect();
        assert_eq!(answers[0].as_ref().map(|a| a.acked_seq).ok(), Some(7));
        assert!(
            matches!(&answers[1], Err(StoreError::Internal(why)) if why.contains("a bug in this push")),
            "{:?}",
            answers[1]
        );
        assert_eq!(answers[2].as_ref().map(|a| a.acked_seq).ok(), Some(7));
    }

    #[test]
    fn pushes_carried_out_alone_are_each_answered_before_the_next_runs() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (jobs, answers) = three_jobs(dir.path());
        let order: Vec<DeviceId> = jobs.iter().map(|j| j.device).collect();
        let answers = std::sync::Mutex::new(answers);
        // Checked after: a failed assertion inside `alone` would be caught
        // as that push's panic.
        let kept_waiting = std::sync::atomic::AtomicBool::new(false);
        super::answer_group(
            jobs,
            |_| {
                Err(super::Failed::Begun(StoreError::Internal(
                    "the group failed".into(),
                )))
            },
            |job| {
                let at = order.iter().position(|d| *d == job.device).expect("a job");
                if at > 0 && answers.lock().expect("answers")[at - 1].try_recv().is_err() {
                    kept_waiting.store(true, std::sync::atomic::Ordering::SeqCst);
                }
                Ok(acked(1))
            },
        );
        assert!(
            !kept_waiting.load(std::sync::atomic::Ordering::SeqCst),
            "a push carried out alone waited for the next one's answer"
        );
        let mut answers = answers.into_inner().expect("answers");
        assert_eq!(
            answers[2]
                .try_recv()
                .ok()
                .and_then(Result::ok)
                .map(|a| a.acked_seq),
            Some(1)
        );
    }

    /// A transaction that could not begin, or whose database went away
    /// under it: each push alone would wait for it again, one after
    /// another.
    #[test]
    fn a_group_whose_database_failed_it_is_answered_at_once() {
        let locked = || super::Failed::Unbegun(StoreError::Internal("database is locked".into()));
        let gone = || super::Failed::Begun(StoreError::Unavailable("connection closed".into()));
        for failed in [locked, gone] {
            let dir = tempfile::tempdir().expect("temp dir");
            let (jobs, answers) = three_jobs(dir.path());
            let tried_alone = std::sync::atomic::AtomicUsize::new(0);
            let want = failed().into_error().to_string();
            super::answer_group(
                jobs,
                |_| Err(failed()),
                |_| {
                    tried_alone.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    Ok(acked(1))
                },
            );
            assert_eq!(tried_alone.into_inner(), 0, "pushes were tried alone");
            for answer in answers {
                let answer = answer.blocking_recv().expect("answered");
                assert!(
                    matches!(&answer, Err(e) if e.to_string() == want),
                    "{answer:?}"
                );
            }
        }
    }

    /// How many times the writer was refused the write lock at its first
    /// try: once for each transaction it tried to begin.
    static REFUSED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    fn refuse(tries: i32) -> bool {
        if tries == 0 {
            REFUSED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        false
    }

    #[test]
    fn a_write_lock_held_elsewhere_fails_a_group_once_not_once_per_push() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (jobs, answers) = three_jobs(dir.path());
        let file = dir.path().join("cases.sqlite3");
        let store = SqliteStore::open(&file).expect("open");
        // Another process (a backup tool, the sqlite3 shell) holds the
        // write lock; the writer gives up at once rather than after its
        // ten seconds, and counts its tries.
        let holder = rusqlite::Connection::open(&file).expect("open");
        holder.execute_batch("BEGIN IMMEDIATE").expect("lock");
        store
            .writer()
            .busy_handler(Some(refuse))
            .expect("busy handler");
        store.push_group(jobs);
        for answer in answers {
            assert!(answer.blocking_recv().expect("answered").is_err());
        }
        assert_eq!(REFUSED.load(std::sync::atomic::Ordering::SeqCst), 1);
        holder.execute_batch("ROLLBACK").expect("unlock");
    }
}
