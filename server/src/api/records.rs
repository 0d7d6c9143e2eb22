//! Importing the records a tablet exported (`shared::wire::RecordsFile`):
//! the way for what a revoked tablet made and never sent. Its user
//! exports the file from the tablet's 已吊销 screen and hands it to an
//! administrator, who imports it here.
//!
//! Only a revoked tablet's records are imported: one still in use sends
//! its own. The administrator vouches for where the file came from, not
//! for what it says: each record must carry the proof, made with its
//! author's key on that tablet, that its author made it there
//! (`shared::proof`), for the file passed through other hands; one
//! without is set aside (`import.unproven`). A proven record is judged as
//! the tablet's own push would be (its author as the server knows them
//! now, their role, scope and the workflow), only the device's revocation
//! is set aside. What fails goes to the quarantine list with its reason.
//! A record the server already holds is recognised as one, so importing a
//! file twice changes nothing.
//!
//! The file's evidence bytes (`files`) are not read here: once the records
//! that name them are stored, the office uploads them as a tablet would,
//! through `PUT /api/v1/blobs/{hash}`, which checks their hash.

use super::responses::{AdminOnly, JsonBody};
use super::sync::MAX_BATCH;
use super::{ClientAddr, audit_entry};
use crate::auth::Session;
use crate::error::{ApiError, ApiJson, Body, ErrorBody, blocking};
use crate::state::AppState;
use crate::store::administration::Replaced;
use crate::store::{AuditEntry, Pusher, Store};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::json;
use shared::admin::ReapplyOutcome;
use shared::id::OpId;
use shared::op::Op;
use shared::role::{Role, User};
use shared::validation::MAX_LOGIN;
use shared::wire::{QuarantineNotice, RecordsFile, RecordsImport};
use std::collections::{BTreeMap, BTreeSet};

/// Imports a tablet's exported records (not its `files`: they are
/// uploaded after, as any evidence).
#[utoipa::path(post, path = "/api/v1/admin/records/import", request_body = RecordsFile,
    responses(AdminOnly, JsonBody,
        (status = 200, description = "What was stored, what the server already held, and what went to quarantine.", body = RecordsImport),
        (status = 400, description = "`import.empty`: no records; `import.too_many`: more than one push takes; `import.mixed_devices`: records of several devices; `sync.bad_seq`: a sequence number 0; `request.malformed_json`: the body is not JSON.", body = ErrorBody),
        (status = 404, description = "`import.device_unknown`: the server does not know the device the records were made on.", body = ErrorBody),
        (status = 409, description = "`import.device_active`: the device is not revoked; it uploads its own records.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn import(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    file: Body<RecordsFile>,
) -> Result<Json<RecordsImport>, ApiError> {
    session.require(&[Role::Admin])?;
    let ApiJson(file) = file?;
    let store = state.store.clone();
    let ceiling = state.clock_ceiling();
    let admin = session.user.clone();
    // Re-applications the import makes are audited as this session's.
    let reapply = audit_entry(&session, addr.clone(), "quarantine.reapply", json!({}));
    // The ids sort after the outcome (the audit tab shows a detail's
    // beginning); a file too large to take is audited without them.
    let records =
        (file.ops.len() <= MAX_BATCH).then(|| file.ops.iter().map(|op| op.id).collect::<Vec<_>>());
    let mut entry = audit_entry(
        &session,
        addr,
        "records.import",
        json!({
            // Only what the file says, bounded as a login is.
            "exported_by": file.user.as_ref().map(|u| u.login.chars().take(MAX_LOGIN).collect::<String>()),
            "records": records,
        }),
    );
    // Audited in the same blocking call, whatever the import reached: the
    // request may be dropped while it runs, and each run of records commits
    // on its own, so a failure late in the file audits what came before it.
    let report = blocking(move || {
        let (mut report, mut replaced) = (None, Vec::new());
        let done = import_ops(
            store.as_ref(),
            (file.ops, &file.proofs),
            &admin,
            (ceiling, &reapply),
            (&mut report, &mut replaced),
        );
        entry.detail["outcome"] = json!(report);
        // What a tampered copy said is gone: the audit keeps that it was.
        if !replaced.is_empty() {
            entry.detail["replaced"] = json!(replaced);
        }
        if let Err(e) = &done {
            entry.detail["refused"] = json!(e.code());
        }
        store.audit(entry)?;
        Ok(done)
    })
    .await??;
    Ok(Json(report))
}

/// Pushes `ops` as their device's, each run of one author's records with
/// that author as the pusher (a user who never logged in on the device
/// cannot have made them: `admin` pushes those, and the judge sets them
/// aside as another author's), and those without a valid proof among
/// `proofs` set aside unjudged. Records an earlier import or push set
/// aside are judged again (`Administration::reapply_imported`) when they
/// are proven: importing the file again is how an administrator brings
/// them in once the cause is mended (an author enabled again, a category
/// added).
/// Answers what was done; `report` holds it too once the file passed its
/// checks, also when a later run fails, and `replaced` the tampered copies
/// the file's proven records replaced.
fn import_ops(
    store: &dyn Store,
    (mut ops, proofs): (Vec<Op>, &BTreeMap<OpId, String>),
    admin: &User,
    (ceiling, reapply): (DateTime<Utc>, &AuditEntry),
    (report, replaced): (&mut Option<RecordsImport>, &mut Vec<Replaced>),
) -> Result<RecordsImport, ApiError> {
    let Some(device) = ops.first().map(|op| op.device) else {
        return Err(ApiError::bad_request(
            "import.empty",
            "the file holds no records",
        ));
    };
    if ops.len() > MAX_BATCH {
        return Err(ApiError::bad_request(
            "import.too_many",
            format!("at most {MAX_BATCH} records per file"),
        ));
    }
    if let Some(op) = ops.iter().find(|op| op.device != device) {
        return Err(ApiError::bad_request(
            "import.mixed_devices",
            format!("record {} was made on another device than the first", op.id),
        ));
    }
    if let Some(op) = ops.iter().find(|op| op.seq == 0) {
        return Err(ApiError::bad_request(
            "sync.bad_seq",
            format!("record {} has sequence 0; sequences start at 1", op.id),
        ));
    }
    let Some(known) = store.devices()?.into_iter().find(|d| d.id == device) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "import.device_unknown",
            format!("the server does not know device {device}, on which the records were made"),
        ));
    };
    // A tablet still in use sends its own records; records written in
    // its name here would take sequence numbers its own later pushes need.
    if !known.revoked {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "import.device_active",
            format!("device {device} is not revoked: it uploads its own records when it syncs"),
        ));
    }
    let users = store.device_users(device)?;
    let keys = store.record_keys(device)?;
    let unproven = ops
        .iter()
        .map(|op| {
            let json = serde_json::to_string(op)?;
            let proven = keys
                .get(&op.author)
                .zip(proofs.get(&op.id))
                .is_some_and(|(key, proof)| shared::proof::proves(key, &json, proof));
            Ok((!proven).then_some(op.seq))
        })
        .filter_map(Result::transpose)
        .collect::<Result<BTreeSet<u64>, serde_json::Error>>()
        .map_err(|e| ApiError::internal(format!("writing a record out: {e}")))?;
    ops.sort_by_key(|op| op.seq);
    // A record set aside unproven with other content (a file changed in
    // other hands, imported first) gives way to the proven one, which the
    // run below then judges as held aside.
    let held: Vec<Op> = ops
        .iter()
        .filter(|op| op.seq <= known.acked_seq && !unproven.contains(&op.seq))
        .cloned()
        .collect();
    if !held.is_empty() {
        *replaced = store.replace_unproven(&held)?;
    }
    let report = report.insert(RecordsImport {
        device,
        stored: 0,
        held: 0,
        settled: 0,
        quarantined: Vec::new(),
        missing_from: None,
    });
    for run in ops.chunk_by(|a, b| a.author == b.author) {
        let pusher = users
            .iter()
            .find(|u| u.id == run[0].author)
            .unwrap_or(admin);
        let pusher = Pusher {
            device,
            user: pusher,
            session: None,
            unproven: run
                .iter()
                .map(|op| op.seq)
                .filter(|seq| unproven.contains(seq))
                .collect(),
        };
        let answer = store.push_as(pusher, run.to_vec(), Utc::now(), ceiling)?;
        let mut aside: BTreeMap<u64, QuarantineNotice> =
            answer.quarantined.into_iter().map(|n| (n.seq, n)).collect();
        // Held aside before this import: the push only repeated why. Judged
        // again only with a proof: re-applying is what the proof guards.
        let again: Vec<u64> = aside
            .values()
            .filter(|n| n.seq <= known.acked_seq && n.code != "sync.clone")
            .map(|n| n.seq)
            .filter(|seq| !unproven.contains(seq))
            .collect();
        let outcomes = match again.is_empty() {
            true => Vec::new(),
            false => {
                store.reapply_imported(device, &again, admin.id, Utc::now(), ceiling, reapply)?
            }
        };
        for (seq, outcome) in outcomes {
            match outcome {
                ReapplyOutcome::Accepted { .. } => {
                    aside.remove(&seq);
                    report.stored += 1;
                }
                ReapplyOutcome::Refused { code, message } => {
                    aside.insert(
                        seq,
                        QuarantineNotice {
                            seq,
                            op: None,
                            code,
                            message,
                        },
                    );
                }
                // Discarded by an administrator since: settled, not held.
                ReapplyOutcome::AlreadyResolved => {
                    aside.remove(&seq);
                    report.settled += 1;
                }
                ReapplyOutcome::SequenceTaken => {}
            }
        }
        for op in run.iter().filter(|op| !aside.contains_key(&op.seq)) {
            if op.seq > known.acked_seq && op.seq <= answer.acked_seq {
                report.stored += 1;
            } else if op.seq <= known.acked_seq && !again.contains(&op.seq) {
                report.held += 1;
            }
        }
        report.quarantined.extend(aside.into_values());
        if let Some(expected) = answer.expected_seq {
            report.missing_from = Some(expected);
            break;
        }
    }
    Ok(report.clone())
}
