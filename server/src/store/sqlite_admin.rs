//! [`Administration`] for SQLite: settling quarantined ops, the audit log
//! and retention deletion. Re-applying an op judges and accepts it with the
//! push's own [`judge`] and [`accept`] (`sqlite_push.rs`), so a re-applied
//! op is indistinguishable from one that was accepted the first time,
//! except for its later server sequence.

use super::administration::{Administration, DiscardOutcome};
use super::sqlite::{
    SqliteStore, load_config, load_properties, next_seq, parse_id, parse_ts, ts, write_audit,
};
use super::sqlite_push::{Received, Rules, Touched, accept, device_users, judge};
use super::{AuditEntry, StoreError, StoreResult};
use crate::push::{self, Verdict};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use shared::admin::{
    AuditRecord, DeletedCase, QuarantineRecord, RETENTION_EXPIRED, ReapplyOutcome,
    RetentionRefusal, retention_check,
};
use shared::case::{CaseState, Severity};
use shared::id::{CaseId, UserId};
use shared::op::Op;

const QUARANTINE_COLUMNS: &str =
    "id, device_id, seq, code, message, received_at, resolved_at, resolution,
    resolved_by, resolution_note, json";

fn quarantine_from_row(r: &rusqlite::Row<'_>) -> StoreResult<QuarantineRecord> {
    let json: String = r.get(10)?;
    Ok(QuarantineRecord {
        id: r.get(0)?,
        device: parse_id(&r.get::<_, String>(1)?)?,
        seq: r.get::<_, i64>(2)? as u64,
        code: r.get(3)?,
        message: r.get(4)?,
        received_at: parse_ts(&r.get::<_, String>(5)?)?,
        resolved_at: r
            .get::<_, Option<String>>(6)?
            .as_deref()
            .map(parse_ts)
            .transpose()?,
        resolution: r.get(7)?,
        resolved_by: r
            .get::<_, Option<String>>(8)?
            .as_deref()
            .map(parse_id)
            .transpose()?,
        resolution_note: r.get(9)?,
        // The stored text is what the device sent; show it even if it no
        // longer parses as JSON.
        op: serde_json::from_str(&json).unwrap_or(serde_json::Value::String(json)),
    })
}

/// reg_no, property, kind, state, severity, received_at, closed_at, withdrawn_at.
type RetentionRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    String,
);

impl Administration for SqliteStore {
    fn category_codes_in_use(&self) -> StoreResult<Vec<String>> {
        let conn = self.read()?;
        let mut stmt = conn.prepare("SELECT DISTINCT category FROM cases ORDER BY 1")?;
        let codes = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(codes)
    }

    fn quarantine_record(&self, id: i64) -> StoreResult<Option<QuarantineRecord>> {
        let conn = self.read()?;
        conn.query_row(
            &format!("SELECT {QUARANTINE_COLUMNS} FROM quarantine WHERE id = ?1"),
            [id],
            |r| Ok(quarantine_from_row(r)),
        )
        .optional()?
        .transpose()
    }

    fn reapply_quarantined(
        &self,
        id: i64,
        by: UserId,
        now: DateTime<Utc>,
        ceiling: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<ReapplyOutcome> {
        let mut conn = self.writer();
        let config = load_config(&conn)?;
        let properties = load_properties(&conn)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let entry = tx
            .query_row(
                &format!("SELECT {QUARANTINE_COLUMNS} FROM quarantine WHERE id = ?1"),
                [id],
                |r| Ok(quarantine_from_row(r)),
            )
            .optional()?
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("quarantined op {id}")))?;
        if entry.resolved_at.is_some() {
            return Ok(ReapplyOutcome::AlreadyResolved);
        }
        let json: String =
            tx.query_row("SELECT json FROM quarantine WHERE id = ?1", [id], |r| {
                r.get(0)
            })?;
        let op: Op = match serde_json::from_str(&json) {
            Ok(op) => op,
            Err(e) => {
                return Ok(ReapplyOutcome::Refused {
                    code: "sync.unreadable".into(),
                    message: format!("the stored op does not parse: {e}"),
                });
            }
        };
        let seq_taken: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM ops WHERE device_id = ?1 AND seq = ?2",
                params![entry.device.to_string(), op.seq as i64],
                |r| r.get(0),
            )
            .optional()?;
        if seq_taken.is_some() || op.device != entry.device {
            return Ok(ReapplyOutcome::SequenceTaken);
        }
        // The pusher is who sent the op then, as stored now; rows from before
        // that was recorded fall back to the author if they logged in on
        // the device.
        let pushed_by: Option<String> = tx.query_row(
            "SELECT pushed_by FROM quarantine WHERE id = ?1",
            [id],
            |r| r.get(0),
        )?;
        let pusher = device_users(&tx, entry.device)?
            .into_iter()
            .find(|u| match &pushed_by {
                Some(p) => u.id.to_string() == *p,
                None => u.id == op.author,
            });
        let device_number: u32 = tx.query_row(
            "SELECT number FROM devices WHERE id = ?1",
            [entry.device.to_string()],
            |r| r.get(0),
        )?;
        let rules = Rules {
            config: &config,
            properties: &properties,
            ceiling,
        };
        let property = match judge(&tx, &rules, &op, pusher.as_ref(), device_number)? {
            Verdict::Accept { property } => property,
            Verdict::Quarantine(notice) => return Ok(ReapplyOutcome::refused(notice)),
        };
        // The hash is of the JSON as stored, like a push computes it, and
        // the receipt time is the push's, so a later resend of the same op
        // is recognised as a repeat.
        let mut touched = Touched::default();
        let server_seq = accept(
            &tx,
            &mut touched,
            &Received {
                device: entry.device,
                op: &op,
                json: &json,
                hash: &push::hash(&json),
                received: &ts(entry.received_at),
            },
            property,
        )?;
        tx.execute(
            "UPDATE quarantine SET resolved_at = ?2, resolution = 'reapplied', resolved_by = ?3,
                resolution_note = ?4 WHERE id = ?1",
            params![
                id,
                ts(now),
                by.to_string(),
                format!("server_seq {server_seq}")
            ],
        )?;
        touched.materialize(&tx, &rules)?;
        let outcome = ReapplyOutcome::Accepted {
            server_seq,
            case_id: op.case_id,
        };
        let mut entry = audit.clone();
        entry.detail["outcome"] = serde_json::to_value(&outcome)?;
        write_audit(&tx, &entry)?;
        tx.commit()?;
        Ok(outcome)
    }

    fn discard_quarantined(
        &self,
        id: i64,
        reason: &str,
        by: UserId,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<DiscardOutcome> {
        let mut conn = self.writer();
        let conn = conn.transaction()?;
        let resolved: Option<Option<String>> = conn
            .query_row(
                "SELECT resolved_at FROM quarantine WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        match resolved {
            None => Err(StoreError::NotFound(format!("quarantined op {id}"))),
            Some(Some(_)) => Ok(DiscardOutcome::AlreadyResolved),
            Some(None) => {
                conn.execute(
                    "UPDATE quarantine SET resolved_at = ?2, resolution = 'discarded', resolved_by = ?3,
                        resolution_note = ?4 WHERE id = ?1 AND resolved_at IS NULL",
                    params![id, ts(now), by.to_string(), reason],
                )?;
                write_audit(&conn, audit)?;
                conn.commit()?;
                Ok(DiscardOutcome::Discarded)
            }
        }
    }

    fn audit_log(&self, limit: u32, before: Option<i64>) -> StoreResult<Vec<AuditRecord>> {
        let conn = self.read()?;
        let mut stmt = conn.prepare(
            "SELECT a.id, a.at, a.user_id, u.login, a.device_id, a.address, a.action, a.detail
             FROM audit a LEFT JOIN users u ON u.id = a.user_id
             WHERE ?1 IS NULL OR a.id < ?1 ORDER BY a.id DESC LIMIT ?2",
        )?;
        let mut rows = stmt.query(params![before, i64::from(limit.clamp(1, 1000))])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let detail: String = r.get(7)?;
            out.push(AuditRecord {
                id: r.get(0)?,
                at: parse_ts(&r.get::<_, String>(1)?)?,
                user: r
                    .get::<_, Option<String>>(2)?
                    .as_deref()
                    .map(parse_id)
                    .transpose()?,
                login: r.get(3)?,
                device: r
                    .get::<_, Option<String>>(4)?
                    .as_deref()
                    .map(parse_id)
                    .transpose()?,
                address: r.get(5)?,
                action: r.get(6)?,
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
            });
        }
        Ok(out)
    }

    fn delete_case(
        &self,
        id: CaseId,
        retention_years: u32,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<Result<DeletedCase, RetentionRefusal>> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let row: Option<RetentionRow> = tx
            .query_row(
                "SELECT reg_no, property_id, kind, state, severity, received_at, closed_at,
                    coalesce(json_extract(json, '$.withdrawal.stamp.at'), '')
                 FROM cases WHERE id = ?1",
                [id.to_string()],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                },
            )
            .optional()?;
        let Some((reg_no, property, kind, state, severity, received, closed, withdrawn)) = row
        else {
            return Ok(Err(RetentionRefusal::NotFound));
        };
        let case_state = CaseState::from_code(&state)
            .ok_or_else(|| StoreError::Internal(format!("stored state {state:?}")))?;
        let severity: Option<Severity> = severity
            .map(|s| serde_json::from_value(serde_json::Value::String(s)))
            .transpose()?;
        let finished_at = match case_state {
            CaseState::Closed => closed.as_deref().map(parse_ts).transpose()?,
            // The withdrawal time is in the JSON as serde wrote it (RFC 3339).
            CaseState::Withdrawn => DateTime::parse_from_rfc3339(&withdrawn)
                .ok()
                .map(|t| t.with_timezone(&Utc)),
            _ => None,
        };
        let finished =
            match retention_check(case_state, severity, finished_at, retention_years, now) {
                Ok(at) => at,
                Err(refusal) => return Ok(Err(refusal)),
            };
        let key = id.to_string();
        tx.execute("DELETE FROM case_deadlines WHERE case_id = ?1", [&key])?;
        tx.execute("DELETE FROM spot_check_cases WHERE case_id = ?1", [&key])?;
        let ops = tx.execute("DELETE FROM ops WHERE case_id = ?1", [&key])?;
        tx.execute("DELETE FROM cases WHERE id = ?1", [&key])?;
        super::sqlite_fold::forget(&tx, id)?;
        let unreferenced = super::sqlite_blobs::forget_case(&tx, id)?;
        // The tombstone takes the next place in the sequence, so every
        // device pulls it once, after every op of the case it could hold.
        let server_seq = next_seq(&tx)?;
        tx.execute(
            "INSERT INTO deletions (server_seq, case_id, property_id, reg_no, deleted_by, reason, deleted_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                server_seq,
                key,
                property,
                reg_no,
                audit.user.map(|u| u.to_string()),
                RETENTION_EXPIRED,
                ts(now)
            ],
        )?;
        let deleted = DeletedCase {
            id,
            reg_no,
            property,
            kind,
            state,
            received_at: parse_ts(&received)?,
            finished_at: finished,
            ops: ops as u64,
            blobs: unreferenced.len() as u64,
            reason: RETENTION_EXPIRED.into(),
            retention_years,
        };
        let mut entry = audit.clone();
        entry.detail = serde_json::to_value(&deleted)?;
        write_audit(&tx, &entry)?;
        tx.commit()?;
        // Only once the deletion is committed: a failure before leaves the
        // case and its files. A failure here leaves files nothing
        // references, which cost disk space and nothing else.
        for hash in &unreferenced {
            if let Err(e) = self.blobs.remove(hash) {
                tracing::warn!(%hash, error = %e, "could not remove an unreferenced blob");
            }
        }
        Ok(Ok(deleted))
    }
}
