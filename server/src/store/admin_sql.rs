//! The SQL of [`Administration`](super::administration::Administration)
//! on either engine ([`Db`]): settling quarantined ops, the audit log and
//! retention deletion. Each store runs these in its own transactions.
//! Re-applying an op judges and accepts it with the push's own [`judge`]
//! and [`accept`] (`push_sql.rs`), so a re-applied op is indistinguishable
//! from one that was accepted the first time, except for its later server
//! sequence.

use super::administration::{DiscardOutcome, Replaced};
use super::audit_sql::write_audit;
use super::blobs::BlobStore;
use super::config::next_seq;
use super::db::{Db, Dialect, Row, Value};
use super::push_sql::{DeviceFacts, Received, Rules, Touched, accept, device_before, judge};
use super::sqlite::{parse_id, parse_ts, ts};
use super::{AuditEntry, StoreError, StoreResult};
use crate::push::{self, Verdict};
use chrono::{DateTime, Utc};
use shared::admin::{
    AuditRecord, DeletedCase, QuarantineRecord, RETENTION_EXPIRED, ReapplyOutcome,
    RetentionRefusal, retention_check,
};
use shared::blob::BlobHash;
use shared::case::{CaseState, Severity};
use shared::id::{CaseId, DeviceId, OpId, UserId};
use shared::op::{Action, Op};
use shared::wire::{SettledRefusal, Settlement};
use std::collections::HashMap;

const QUARANTINE_COLUMNS: &str =
    "id, device_id, seq, code, message, received_at, resolved_at, resolution,
    resolved_by, resolution_note, json, pushed_by";

fn quarantine_from_row(r: &Row) -> StoreResult<QuarantineRecord> {
    let json: String = r.get(10)?;
    Ok(QuarantineRecord {
        id: r.get(0)?,
        device: parse_id(r.text(1)?)?,
        seq: r.get(2)?,
        code: r.get(3)?,
        message: r.get(4)?,
        received_at: parse_ts(r.text(5)?)?,
        resolved_at: r
            .get::<Option<String>>(6)?
            .as_deref()
            .map(parse_ts)
            .transpose()?,
        resolution: r.get(7)?,
        resolved_by: r
            .get::<Option<String>>(8)?
            .as_deref()
            .map(parse_id)
            .transpose()?,
        resolution_note: r.get(9)?,
        // The stored text is what the device sent; show it even if it no
        // longer parses as JSON.
        op: serde_json::from_str(&json).unwrap_or(serde_json::Value::String(json)),
    })
}

/// A quarantine entry's resolution (none while it waits) and the note
/// that came with it.
type Resolution = (Option<String>, Option<String>);

/// Of `ops` of `device` that `user` pushed and the quarantine took, those
/// settled since: one the server holds was re-applied; of one no entry of
/// which waits, the newest entry says what became of it (discarded, or its
/// case deleted: also one re-applied whose op left with its case).
pub(super) fn settled_refusals(
    db: &dyn Db,
    (device, user): (DeviceId, UserId),
    ops: &[OpId],
) -> StoreResult<Vec<SettledRefusal>> {
    let (device, user) = (device.to_string(), user.to_string());
    // The device's entries once (a handful, as a rule), oldest first;
    // by the one who pushed them, so the next user of a shared tablet
    // learns nothing of the last one's (of an entry from before the
    // column, by the author the op names).
    let mut entries: HashMap<String, Vec<Resolution>> = HashMap::new();
    let mut case_of: HashMap<String, String> = HashMap::new();
    for r in db.query(
        "SELECT op_id, resolution, resolution_note, pushed_by IS NULL, json
         FROM quarantine
         WHERE device_id = ?1 AND op_id IS NOT NULL
           AND (pushed_by = ?2 OR pushed_by IS NULL)
         ORDER BY id",
        &[Value::from(&device), Value::from(&user)],
    )? {
        let op = serde_json::from_str::<serde_json::Value>(r.text(4)?).unwrap_or_default();
        if r.get::<bool>(3)? && op["author"].as_str() != Some(user.as_str()) {
            continue;
        }
        let id: String = r.get(0)?;
        if let Some(case) = op["case_id"].as_str() {
            case_of.insert(id.clone(), case.to_string());
        }
        entries.entry(id).or_default().push((r.get(1)?, r.get(2)?));
    }
    let mut settled = Vec::new();
    for op in ops {
        let id = op.to_string();
        let Some(of_op) = entries.get(&id) else {
            continue;
        };
        let held = db
            .query_opt(
                "SELECT 1 FROM ops WHERE id = ?1 AND device_id = ?2 AND author = ?3",
                &[Value::from(&id), Value::from(&device), Value::from(&user)],
            )?
            .is_some();
        let newest = of_op
            .last()
            .filter(|_| of_op.iter().all(|(r, _)| r.is_some()));
        let (outcome, note) = match (held, newest) {
            (true, _) => (Settlement::Accepted, None),
            // Set aside for another reason found first (a scope or role
            // since changed), an op pushed after its case's deletion
            // waits open for an administrator to discard, yet its case
            // is gone for its tablet too.
            (false, None) if case_deleted(db, case_of.get(&id))? => (Settlement::CaseDeleted, None),
            (false, None) => continue,
            (false, Some((resolution, note))) => match resolution.as_deref() {
                Some("discarded") => (Settlement::Discarded, note.clone()),
                Some("case_deleted" | "reapplied") => (Settlement::CaseDeleted, None),
                _ => continue,
            },
        };
        settled.push(SettledRefusal {
            op: *op,
            outcome,
            note: note.filter(|n| !n.is_empty()),
        });
    }
    Ok(settled)
}

/// Whether `case` (none: an entry whose op names none) was deleted.
fn case_deleted(db: &dyn Db, case: Option<&String>) -> StoreResult<bool> {
    let Some(case) = case else {
        return Ok(false);
    };
    Ok(db
        .query_opt(
            "SELECT 1 FROM deletions WHERE case_id = ?1",
            &[Value::from(case)],
        )?
        .is_some())
}

/// The category codes that cases use.
pub(super) fn category_codes_in_use(db: &dyn Db) -> StoreResult<Vec<String>> {
    db.query("SELECT DISTINCT category FROM cases ORDER BY 1", &[])?
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// One quarantined op, resolved or not.
pub(super) fn quarantine_record(db: &dyn Db, id: i64) -> StoreResult<Option<QuarantineRecord>> {
    db.query_opt(
        &format!("SELECT {QUARANTINE_COLUMNS} FROM quarantine WHERE id = ?1"),
        &[id.into()],
    )?
    .map(|r| quarantine_from_row(&r))
    .transpose()
}

/// Who brings a quarantined op back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bringer {
    /// An administrator, from the quarantine list.
    List,
    /// An administrator's import of the records the device exported
    /// (`api::records`), who vouches for where they came from: the
    /// device's revocation does not hold them back.
    Import,
}

/// Re-applies quarantined op `id` in the write transaction `tx` (see
/// `Administration::reapply_quarantined`); `rules` are read in it.
pub(super) fn reapply_quarantined(
    tx: &dyn Db,
    rules: &Rules<'_>,
    id: i64,
    (by, now): (UserId, DateTime<Utc>),
    audit: &AuditEntry,
    bringer: Bringer,
) -> StoreResult<ReapplyOutcome> {
    let row = tx
        .query_opt(
            &format!("SELECT {QUARANTINE_COLUMNS} FROM quarantine WHERE id = ?1"),
            &[id.into()],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("quarantined op {id}")))?;
    let entry = quarantine_from_row(&row)?;
    if entry.resolved_at.is_some() {
        return Ok(ReapplyOutcome::AlreadyResolved);
    }
    // A clone is never merged: stored, it would take its number from the
    // device's own op, whose resend would then be the clone.
    if entry.code == "sync.clone" {
        return Ok(ReapplyOutcome::Refused {
            code: entry.code,
            message: entry.message,
        });
    }
    let json = row.text(10)?;
    let op: Op = match serde_json::from_str(json) {
        Ok(op) => op,
        Err(e) => {
            // What is kept of an op of a deleted case says so.
            let removed = serde_json::from_str::<serde_json::Value>(json)
                .ok()
                .and_then(|v| v["removed"].as_str().map(str::to_string));
            return Ok(ReapplyOutcome::Refused {
                code: if removed.is_some() {
                    shared::wire::CASE_DELETED
                } else {
                    "sync.unreadable"
                }
                .into(),
                message: removed.unwrap_or_else(|| format!("the stored op does not parse: {e}")),
            });
        }
    };
    let device = entry.device.to_string();
    let seq_taken = tx
        .query_opt(
            "SELECT 1 FROM ops WHERE device_id = ?1 AND seq = ?2",
            &[Value::from(&device), Value::Int(op.seq as i64)],
        )?
        .is_some();
    if seq_taken || op.device != entry.device {
        return Ok(ReapplyOutcome::SequenceTaken);
    }
    // The pusher is who sent the op then, as stored now; rows from before
    // that was recorded fall back to the author if they logged in on
    // the device.
    let pushed_by: Option<String> = row.get(11)?;
    let pusher = super::accounts_sql::device_users(tx, entry.device)?
        .into_iter()
        .find(|u| match &pushed_by {
            Some(p) => u.id.to_string() == *p,
            None => u.id == op.author,
        });
    let row = tx.query_one(
        "SELECT number, revoked FROM devices WHERE id = ?1",
        &[Value::from(&device)],
    )?;
    let device_number: u32 = row.get(0)?;
    // What a revoked tablet pushed stays aside: revoking is how an admin
    // stops a lost or stolen one. A record an import set aside for want of
    // its author's proof came through an administrator, not the tablet:
    // one who confirmed it with its author brings it in.
    if row.get::<bool>(1)? && bringer == Bringer::List && entry.code != "import.unproven" {
        return still_refused(
            tx,
            id,
            "sync.device_revoked".into(),
            format!("device {device} is revoked"),
        );
    }
    let mut touched = Touched::default();
    let mut device = DeviceFacts {
        number: device_number,
        before: device_before(tx, &device, op.seq)?,
    };
    // Set aside for its time against the device's own records: the admin
    // who re-applies it from the list, having read why, vouches for the
    // time (a tablet whose clock was set back and forth honestly, an op
    // re-applied before those made after it), as the audit of the
    // re-apply says. Not an import's re-apply, which no admin read.
    if bringer == Bringer::List && matches!(&*entry.code, "clock.went_back" | "clock.behind") {
        device.before = device.before.vouched();
    }
    let mut judged = judge(tx, rules, &touched, &op, pusher.as_ref(), device)?;
    // Recorded before an admin changed its author's role or properties, an
    // op is judged under those they held when it was made, as the audit of
    // the change says: the admin who re-applies it vouches for it.
    if let Verdict::Quarantine(notice) = &judged.verdict
        && matches!(&*notice.code, "sync.role_mismatch" | "sync.out_of_scope")
        && let Some(pusher) = &pusher
    {
        let then = held_at(tx, pusher, op.at)?;
        if then != *pusher {
            judged = judge(tx, rules, &touched, &op, Some(&then), device)?;
        }
    }
    let property = match judged.verdict {
        Verdict::Accept { property } => property,
        Verdict::Quarantine(notice) => return still_refused(tx, id, notice.code, notice.message),
    };
    // The hash is of the JSON as stored, like a push computes it, and
    // the receipt time is the push's, so a later resend of the same op
    // is recognised as a repeat.
    let server_seq = accept(
        tx,
        &mut touched,
        &Received {
            device: entry.device,
            op: &op,
            json,
            hash: &push::hash(json),
            received: &ts(entry.received_at),
        },
        property,
        judged.case_new,
    )?;
    tx.execute(
        "UPDATE quarantine SET resolved_at = ?2, resolution = 'reapplied', resolved_by = ?3,
            resolution_note = ?4 WHERE id = ?1",
        &[
            id.into(),
            ts(now).into(),
            by.to_string().into(),
            format!("server_seq {server_seq}").into(),
        ],
    )?;
    touched.materialize(tx, rules)?;
    let outcome = ReapplyOutcome::Accepted {
        server_seq,
        case_id: op.case_id,
    };
    let mut entry = audit.clone();
    entry.detail["outcome"] = serde_json::to_value(&outcome)?;
    write_audit(tx, &entry)?;
    if bringer == Bringer::List && matches!(op.action, Action::Register(_)) {
        reapply_after_registration(tx, rules, &op, (by, now), audit)?;
    }
    Ok(outcome)
}

/// After a registration re-applied from the list, the same device's later
/// ops of its case that were set aside only for want of it
/// (`sync.unknown_case`), in their order: the administrator brought the
/// case in, and one by one its notes, assignments and resolution would
/// each wait for another tap, the case standing meanwhile as only
/// registered, its deadlines running. Each is judged as a push would be
/// and audited as a re-application; one refused for another reason stays
/// aside with it.
fn reapply_after_registration(
    tx: &dyn Db,
    rules: &Rules<'_>,
    registration: &Op,
    (by, now): (UserId, DateTime<Utc>),
    audit: &AuditEntry,
) -> StoreResult<()> {
    let waiting = tx.query(
        "SELECT id, json FROM quarantine
         WHERE device_id = ?1 AND seq > ?2 AND code = 'sync.unknown_case' AND resolved_at IS NULL
         ORDER BY seq, id",
        &[
            registration.device.to_string().into(),
            Value::Int(registration.seq as i64),
        ],
    )?;
    for row in waiting {
        let id: i64 = row.get(0)?;
        let of_case = serde_json::from_str::<Op>(row.text(1)?)
            .is_ok_and(|op| op.case_id == registration.case_id);
        if !of_case {
            continue;
        }
        let mut entry = audit.clone();
        entry.action = "quarantine.reapply".into();
        entry.detail = serde_json::json!({
            "quarantine": id,
            "with_registration": registration.id,
        });
        reapply_quarantined(tx, rules, id, (by, now), &entry, Bringer::List)?;
    }
    Ok(())
}

/// `user` as they were at `at`: the role, properties and department the
/// first change an admin made to them after `at` replaced
/// (`accounts_sql::update_user` audits each as `user.update`), or as they
/// are when none came after.
fn held_at(
    tx: &dyn Db,
    user: &shared::role::User,
    at: DateTime<Utc>,
) -> StoreResult<shared::role::User> {
    #[derive(serde::Deserialize)]
    struct Held {
        role: shared::role::Role,
        properties: Vec<shared::id::PropertyId>,
        #[serde(default)]
        department: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Change {
        user: UserId,
        from: Held,
    }
    // The subject is in the detail; the LIKE narrows, the parse decides.
    let rows = tx.query(
        "SELECT detail FROM audit WHERE action = 'user.update' AND at > ?1 AND detail LIKE ?2
         ORDER BY at, id",
        &[ts(at).into(), format!("%{}%", user.id).into()],
    )?;
    for row in rows {
        let Ok(change) = serde_json::from_str::<Change>(&row.get::<String>(0)?) else {
            continue;
        };
        if change.user == user.id {
            return Ok(shared::role::User {
                role: change.from.role,
                properties: change.from.properties,
                department: change.from.department,
                ..user.clone()
            });
        }
    }
    Ok(user.clone())
}

/// [`Administration::replace_unproven`](super::Administration::replace_unproven)
/// in `tx`.
pub(super) fn replace_unproven(tx: &dyn Db, ops: &[Op]) -> StoreResult<Vec<Replaced>> {
    let mut replaced = Vec::new();
    for op in ops {
        let json = serde_json::to_string(op)?;
        let hash = push::hash(&json);
        // The proof ties the record to its author on this device under
        // this number: an unproven copy under the number is not it,
        // whatever id or author it claims (a forger may change either),
        // and whether or not it was discarded (as its author said it
        // should be). One re-applied is the number's record now, and
        // stays.
        let (device, seq) = (op.device.to_string(), Value::Int(op.seq as i64));
        let (id, author) = (op.id.to_string(), op.author.to_string());
        let Some(row) = tx.query_opt(
            "SELECT id, hash FROM quarantine
             WHERE device_id = ?1 AND seq = ?2 AND code = 'import.unproven'
               AND (resolution IS NULL OR resolution = 'discarded') AND hash <> ?3
             ORDER BY id DESC LIMIT 1",
            &[Value::from(&device), seq, hash.as_str().into()],
        )?
        else {
            continue;
        };
        // Waiting again, to be judged as the proven record.
        tx.execute(
            "UPDATE quarantine SET json = ?2, hash = ?3, op_id = ?4, pushed_by = ?5,
                 resolution = NULL, resolved_at = NULL, resolved_by = NULL
             WHERE id = ?1",
            &[
                row.get::<i64>(0)?.into(),
                json.as_str().into(),
                hash.as_str().into(),
                Value::from(&id),
                Value::from(&author),
            ],
        )?;
        replaced.push(Replaced {
            seq: op.seq,
            was: row.get(1)?,
        });
    }
    Ok(replaced)
}

/// A re-application refused: the op waits for this reason now, which the
/// list and the answer to the tablet's next resend then give. A record an
/// import set aside for want of its author's proof keeps that reason (the
/// answer gives the new one): it is what lets the list re-apply it once
/// the new cause is mended, though its tablet is revoked.
fn still_refused(
    tx: &dyn Db,
    id: i64,
    code: String,
    message: String,
) -> StoreResult<ReapplyOutcome> {
    tx.execute(
        "UPDATE quarantine SET code = ?2, message = ?3
         WHERE id = ?1 AND code NOT IN ('sync.clone', 'import.unproven')",
        &[id.into(), code.as_str().into(), message.as_str().into()],
    )?;
    // Refused now because its case was deleted since it was set aside:
    // what it said goes, as the deletion's own sweep would have done.
    if code == shared::wire::CASE_DELETED {
        forget_entry(tx, id)?;
    }
    Ok(ReapplyOutcome::Refused { code, message })
}

/// Re-applies, in `tx`, the ops of `device` with sequence numbers `seqs`
/// that wait in quarantine (see `Administration::reapply_imported`); each
/// is audited as a re-application with `audit`'s who and where. A number
/// with none waiting (discarded, or never set aside) is `AlreadyResolved`.
pub(super) fn reapply_imported(
    tx: &dyn Db,
    rules: &Rules<'_>,
    (device, seqs): (DeviceId, &[u64]),
    (by, now): (UserId, DateTime<Utc>),
    audit: &AuditEntry,
) -> StoreResult<Vec<(u64, ReapplyOutcome)>> {
    let mut outcomes = Vec::new();
    for &seq in seqs {
        let waiting: Option<i64> = tx
            .query_opt(
                "SELECT id FROM quarantine
                 WHERE device_id = ?1 AND seq = ?2 AND code <> 'sync.clone' AND resolved_at IS NULL
                 ORDER BY id DESC LIMIT 1",
                &[device.to_string().into(), Value::Int(seq as i64)],
            )?
            .map(|r| r.get(0))
            .transpose()?;
        let outcome = match waiting {
            Some(id) => {
                let mut entry = audit.clone();
                entry.action = "quarantine.reapply".into();
                entry.detail = serde_json::json!({ "quarantine": id, "import": true });
                reapply_quarantined(tx, rules, id, (by, now), &entry, Bringer::Import)?
            }
            None => ReapplyOutcome::AlreadyResolved,
        };
        outcomes.push((seq, outcome));
    }
    Ok(outcomes)
}

/// Empties the quarantined ops of deleted case `id` of what they said (a
/// registration or an edit holds the complainant's name and phone), and
/// settles those still waiting as `case_deleted`. A row stays, with its
/// device, number and hash, so the device's repeat of the op is still
/// known as one.
fn forget_quarantined(
    tx: &dyn Db,
    id: CaseId,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let key = id.to_string();
    // A UUID has no LIKE wildcards; the match is then made on the op.
    let rows = tx.query(
        "SELECT id, json FROM quarantine WHERE json LIKE ?1",
        &[format!("%{key}%").into()],
    )?;
    for row in rows {
        let json = row.text(1)?;
        let Ok(op) = serde_json::from_str::<serde_json::Value>(json) else {
            continue;
        };
        if op["case_id"].as_str() != Some(key.as_str()) {
            continue;
        }
        let kept = forgotten_op(&op["id"], &key, &op["device"], &op["seq"]);
        tx.execute(
            "UPDATE quarantine SET json = ?2,
                resolved_at = COALESCE(resolved_at, ?3),
                resolution = COALESCE(resolution, 'case_deleted'),
                resolved_by = COALESCE(resolved_by, ?4)
             WHERE id = ?1",
            &[
                row.get::<i64>(0)?.into(),
                kept.into(),
                ts(now).into(),
                by.map(|u| u.to_string()).into(),
            ],
        )?;
    }
    Ok(())
}

/// See `Store::forget_deleted_in_quarantine`.
pub(super) fn forget_deleted_in_quarantine(tx: &dyn Db) -> StoreResult<usize> {
    let deleted: std::collections::HashSet<String> = tx
        .query("SELECT case_id FROM deletions", &[])?
        .iter()
        .map(|r| r.get::<String>(0))
        .collect::<StoreResult<_>>()?;
    if deleted.is_empty() {
        return Ok(0);
    }
    let mut cleared = 0;
    for row in tx.query("SELECT id, json FROM quarantine", &[])? {
        let Ok(op) = serde_json::from_str::<serde_json::Value>(row.text(1)?) else {
            continue;
        };
        let of_deleted = op["case_id"].as_str().is_some_and(|c| deleted.contains(c));
        if of_deleted && op.get("removed").is_none() {
            forget_entry(tx, row.get(0)?)?;
            cleared += 1;
        }
    }
    Ok(cleared)
}

/// Keeps of quarantined op `id` only which op it was ([`forgotten_op`]).
pub(super) fn forget_entry(tx: &dyn Db, id: i64) -> StoreResult<()> {
    let Some(row) = tx.query_opt("SELECT json FROM quarantine WHERE id = ?1", &[id.into()])? else {
        return Ok(());
    };
    let op: serde_json::Value = serde_json::from_str(row.text(0)?).unwrap_or_default();
    let case = op["case_id"].as_str().unwrap_or_default().to_string();
    let kept = forgotten_op(&op["id"], &case, &op["device"], &op["seq"]);
    tx.execute(
        "UPDATE quarantine SET json = ?2 WHERE id = ?1",
        &[id.into(), kept.into()],
    )?;
    Ok(())
}

/// What the quarantine keeps of an op of a deleted case: which op it was,
/// not what it said.
pub(super) fn forgotten_op(
    id: &serde_json::Value,
    case: &str,
    device: &serde_json::Value,
    seq: &serde_json::Value,
) -> String {
    serde_json::json!({
        "id": id,
        "case_id": case,
        "device": device,
        "seq": seq,
        "removed": "the case was deleted (retention); what the op said was deleted with it",
    })
    .to_string()
}

/// Marks quarantined op `id` discarded, in the write transaction `tx`.
pub(super) fn discard_quarantined(
    tx: &dyn Db,
    id: i64,
    reason: &str,
    (by, now): (UserId, DateTime<Utc>),
    audit: &AuditEntry,
) -> StoreResult<DiscardOutcome> {
    let resolved = tx.query_opt(
        "SELECT resolved_at FROM quarantine WHERE id = ?1",
        &[id.into()],
    )?;
    match resolved.map(|r| r.get::<Option<String>>(0)).transpose()? {
        None => Err(StoreError::NotFound(format!("quarantined op {id}"))),
        Some(Some(_)) => Ok(DiscardOutcome::AlreadyResolved),
        Some(None) => {
            tx.execute(
                "UPDATE quarantine SET resolved_at = ?2, resolution = 'discarded', resolved_by = ?3,
                    resolution_note = ?4 WHERE id = ?1 AND resolved_at IS NULL",
                &[
                    id.into(),
                    ts(now).into(),
                    by.to_string().into(),
                    reason.into(),
                ],
            )?;
            write_audit(tx, audit)?;
            Ok(DiscardOutcome::Discarded)
        }
    }
}

/// The newest audit records, before the record id `before` if given.
pub(super) fn audit_log(
    db: &dyn Db,
    limit: u32,
    before: Option<i64>,
) -> StoreResult<Vec<AuditRecord>> {
    db.query(
        "SELECT a.id, a.at, a.user_id, u.login, a.device_id, a.address, a.action, a.detail,
                d.number, d.name
         FROM audit a LEFT JOIN users u ON u.id = a.user_id
              LEFT JOIN devices d ON d.id = a.device_id
         WHERE a.id < ?1 ORDER BY a.id DESC LIMIT ?2",
        &[
            before.unwrap_or(i64::MAX).into(),
            i64::from(limit.clamp(1, 1000)).into(),
        ],
    )?
    .into_iter()
    .map(|r| {
        let detail: String = r.get(7)?;
        Ok(AuditRecord {
            id: r.get(0)?,
            at: parse_ts(r.text(1)?)?,
            user: r
                .get::<Option<String>>(2)?
                .as_deref()
                .map(parse_id)
                .transpose()?,
            login: r.get(3)?,
            device: r
                .get::<Option<String>>(4)?
                .as_deref()
                .map(parse_id)
                .transpose()?,
            device_number: r.get::<Option<i64>>(8)?.and_then(|n| u32::try_from(n).ok()),
            device_name: r.get(9)?,
            address: r.get(5)?,
            action: r.get(6)?,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
        })
    })
    .collect()
}

/// The time a withdrawn or voided case was withdrawn or voided, from its
/// JSON.
fn withdrawn_at_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "SELECT reg_no, property_id, kind, state, severity, received_at, closed_at,
                coalesce(json_extract(json, '$.withdrawal.stamp.at'),
                    json_extract(json, '$.voiding.stamp.at'), ''), recorded_at,
                (SELECT max(received_at) FROM ops WHERE case_id = ?1)
             FROM cases WHERE id = ?1"
        }
        Dialect::Postgres => {
            "SELECT reg_no, property_id, kind, state, severity, received_at, closed_at,
                coalesce(json::jsonb #>> '{withdrawal,stamp,at}',
                    json::jsonb #>> '{voiding,stamp,at}', ''), recorded_at,
                (SELECT max(received_at) FROM ops WHERE case_id = ?1)
             FROM cases WHERE id = ?1"
        }
    }
}

/// Deletes case `id` in the write transaction `tx` if, to `judge`, the
/// retention the settings hold in that transaction allows it now (not to
/// judge: it was judged already, by the database a restore replaced);
/// with the deletion, the blobs no case references any more, to remove
/// once it committed ([`remove_blobs`]).
pub(super) fn delete_case(
    tx: &dyn Db,
    id: CaseId,
    judge: bool,
    now: DateTime<Utc>,
    audit: &AuditEntry,
) -> StoreResult<Result<(DeletedCase, Vec<BlobHash>), RetentionRefusal>> {
    let key = id.to_string();
    let Some(row) = tx.query_opt(withdrawn_at_sql(tx.dialect()), &[Value::from(&key)])? else {
        return Ok(Err(RetentionRefusal::NotFound));
    };
    let state: String = row.get(3)?;
    let case_state = CaseState::from_code(&state)
        .ok_or_else(|| StoreError::Internal(format!("stored state {state:?}")))?;
    let severity: Option<Severity> = row
        .get::<Option<String>>(4)?
        .map(|s| serde_json::from_value(serde_json::Value::String(s)))
        .transpose()?;
    let finished_at = match case_state {
        CaseState::Closed => row
            .get::<Option<String>>(6)?
            .as_deref()
            .map(parse_ts)
            .transpose()?,
        // The withdrawal's or voiding's time is in the JSON as serde wrote
        // it (RFC 3339).
        CaseState::Withdrawn | CaseState::Voided => DateTime::parse_from_rfc3339(row.text(7)?)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        _ => None,
    };
    // The end is the time the tablet gave it, so it is taken no earlier
    // than the case's registration nor than this server's receipt of the
    // case's last op (the server's own clock): a tablet whose clock is
    // years behind does not make a case closed today old enough to delete.
    let recorded = parse_ts(row.text(8)?)?;
    let received = row
        .get::<Option<String>>(9)?
        .as_deref()
        .map(parse_ts)
        .transpose()?;
    let finished_at = finished_at.map(|at| at.max(recorded).max(received.unwrap_or(at)));
    let retention_years = match judge {
        true => Some(super::config::load_settings(tx)?.retention_years),
        false => None,
    };
    let finished = match retention_years {
        Some(years) => match retention_check(case_state, severity, finished_at, years, now) {
            Ok(at) => at,
            Err(refusal) => return Ok(Err(refusal)),
        },
        None => finished_at.unwrap_or(now),
    };
    let case = || [Value::from(&key)];
    tx.execute("DELETE FROM case_deadlines WHERE case_id = ?1", &case())?;
    // A spot-check sample keeps its place for a case deleted since the
    // draw (`spot_checks_sql::spot_check_item`): its link row stays.
    let ops = tx.execute("DELETE FROM ops WHERE case_id = ?1", &case())?;
    tx.execute("DELETE FROM cases WHERE id = ?1", &case())?;
    super::fold_sql::forget(tx, id)?;
    forget_quarantined(tx, id, audit.user, now)?;
    let unreferenced = super::blobs_sql::forget_case(tx, id)?;
    // The tombstone takes the next place in the sequence, so every
    // device pulls it once, after every op of the case it could hold.
    let server_seq = next_seq(tx)?;
    let reg_no: String = row.get(0)?;
    let property: String = row.get(1)?;
    tx.execute(
        "INSERT INTO deletions (server_seq, case_id, property_id, reg_no, deleted_by, reason, deleted_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[
            server_seq.into(),
            Value::from(&key),
            Value::from(&property),
            Value::from(&reg_no),
            audit.user.map(|u| u.to_string()).into(),
            RETENTION_EXPIRED.into(),
            ts(now).into(),
        ],
    )?;
    let deleted = DeletedCase {
        id,
        reg_no,
        property,
        kind: row.get(2)?,
        state,
        received_at: parse_ts(row.text(5)?)?,
        finished_at: finished,
        ops,
        blobs: unreferenced.len() as u64,
        reason: RETENTION_EXPIRED.into(),
        retention_years: retention_years.unwrap_or(0),
    };
    let mut entry = audit.clone();
    entry.detail = serde_json::to_value(&deleted)?;
    write_audit(tx, &entry)?;
    Ok(Ok((deleted, unreferenced)))
}

/// Removes the files of blobs a committed deletion left unreferenced, in
/// the write transaction `tx`, those still unreferenced: a write holds the
/// writers' lock (`Engine::write`), so no push can add a reference before
/// it ends. A push that named the same photo (same hash) after the
/// deletion committed would otherwise find the file whole, and its device
/// let go of its copy, just before the file went. A failure leaves files
/// nothing references, which cost disk space and nothing else.
pub(super) fn remove_blobs(
    tx: &dyn Db,
    blobs: &BlobStore,
    unreferenced: &[BlobHash],
) -> StoreResult<()> {
    for hash in &super::blobs_sql::unreferenced(tx, unreferenced)? {
        if let Err(e) = blobs.remove(hash) {
            tracing::warn!(%hash, error = %e, "could not remove an unreferenced blob");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Store;
    use super::super::engine::Engine;
    use super::super::sqlite::SqliteStore;
    use super::super::test_support::store_with_staff;
    use super::remove_blobs;
    use shared::blob::BlobHash;

    /// A photo a deleted case held can be named again by a case pushed
    /// after the deletion committed (the same bytes, the same hash): its
    /// file stays, and only the file nothing references goes.
    #[test]
    fn a_blob_named_again_since_the_deletion_keeps_its_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, [named, alone]) = two_blobs_one_named(dir.path());
        let blobs = store.blob_store();
        store
            .write(|tx| remove_blobs(tx, blobs, &[named, alone]))
            .expect("removed");
        assert!(blobs.has(&named));
        assert!(!blobs.has(&alone));
    }

    /// Bytes an upload stored after the deletion of their case had removed
    /// its files go as the upload ends; bytes a case names stay.
    #[test]
    fn bytes_stored_for_a_case_deleted_meanwhile_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, [named, alone]) = two_blobs_one_named(dir.path());
        assert!(store.keep_blob_if_referenced(&named).expect("checked"));
        assert!(!store.keep_blob_if_referenced(&alone).expect("checked"));
        assert!(store.blob_store().has(&named));
        assert!(!store.blob_store().has(&alone));
    }

    /// A store with two blobs, the first named by a case.
    fn two_blobs_one_named(dir: &std::path::Path) -> (SqliteStore, [BlobHash; 2]) {
        let (store, _, _) = store_with_staff(dir);
        let named = b"the same photo".as_slice();
        let alone = b"a photo of the deleted case only".as_slice();
        let hashes = [named, alone].map(|bytes| {
            let hash = BlobHash::of(bytes);
            store
                .blob_store()
                .append(
                    &hash,
                    shared::id::DeviceId::NIL,
                    bytes.len() as u64,
                    0,
                    bytes,
                )
                .expect("stored");
            hash
        });
        store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO case_blobs
                        (case_id, attachment_id, thumbnail, hash, purpose, media_type, size, device_id)
                     VALUES ('new case', 'photo', 0, ?1, 'evidence', 'image/jpeg', 14, 'tablet')",
                    &[hashes[0].to_string().into()],
                )?;
                Ok(())
            })
            .expect("the new case's reference");
        (store, hashes)
    }
}
