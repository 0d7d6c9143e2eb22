//! A case's history, the two lists its fold only ever appends to (the
//! timeline and the notes), kept apart from its row (`case_history`), so
//! that a push writes the entries it adds and not every entry again.
//!
//! The `cases` row's JSON is the case with both lists empty: everything the
//! fold reads when it carries on ([`shared::fold::resume`] reads neither
//! list: what it needs of earlier ops, such as the assessments' severities,
//! is in its state; `shared/tests/common` resumes every scenario so). The lists are stored in parts, each a JSON array of the
//! entries one materialization added, in order; a reader gets the case by
//! appending the parts' entries to the row's ([`read`]), which gives back
//! the folded case as it was before it was taken apart.

use super::StoreResult;
use super::db::Db;
use shared::case::{Case, Note, TimelineEntry};
use shared::id::CaseId;

/// The entries a fold appended, taken out of its case.
#[derive(Default)]
pub(super) struct History {
    /// Timeline entries.
    pub timeline: Vec<TimelineEntry>,
    /// Notes.
    pub notes: Vec<Note>,
}

/// Takes the history out of `case`, leaving the row's part.
pub(super) fn split(case: &mut Case) -> History {
    History {
        timeline: std::mem::take(&mut case.timeline),
        notes: std::mem::take(&mut case.notes),
    }
}

/// Adds `history` after the case's stored parts.
pub(super) fn append(tx: &dyn Db, id: CaseId, history: &History) -> StoreResult<()> {
    // The primary key's index finds the last part without reading the others.
    let last: Option<i64> = tx
        .query_one(
            "SELECT max(part) FROM case_history WHERE case_id = ?1",
            &[id.to_string().into()],
        )?
        .get(0)?;
    insert(tx, id, last.map_or(0, |p| p + 1), history)
}

/// Stores `history` as the case's whole history, for a case folded from
/// all of its ops.
pub(super) fn replace(tx: &dyn Db, id: CaseId, history: &History) -> StoreResult<()> {
    forget(tx, id)?;
    insert(tx, id, 0, history)
}

/// Stores `history` as part `part` of the case's history.
pub(super) fn insert(tx: &dyn Db, id: CaseId, part: i64, history: &History) -> StoreResult<()> {
    if history.timeline.is_empty() && history.notes.is_empty() {
        return Ok(());
    }
    tx.execute(
        "INSERT INTO case_history (case_id, part, timeline, notes) VALUES (?1, ?2, ?3, ?4)",
        &[
            id.to_string().into(),
            part.into(),
            serde_json::to_string(&history.timeline)?.into(),
            serde_json::to_string(&history.notes)?.into(),
        ],
    )?;
    Ok(())
}

/// Appends the case's stored history to `case`, its row's part.
pub(super) fn read(db: &dyn Db, id: CaseId, case: &mut Case) -> StoreResult<()> {
    db.for_each_row(
        "SELECT timeline, notes FROM case_history WHERE case_id = ?1 ORDER BY part",
        &[id.to_string().into()],
        &mut |r| {
            let timeline: Vec<TimelineEntry> = serde_json::from_str(&r.get::<String>(0)?)?;
            let notes: Vec<Note> = serde_json::from_str(&r.get::<String>(1)?)?;
            case.timeline.extend(timeline);
            case.notes.extend(notes);
            Ok(())
        },
    )
}

/// The case `id` whole, from its row's JSON and its history.
pub(super) fn whole(db: &dyn Db, id: CaseId, row_json: &str) -> StoreResult<Case> {
    let mut case: Case = serde_json::from_str(row_json)?;
    read(db, id, &mut case)?;
    Ok(case)
}

/// Forgets the history of a deleted case.
pub(super) fn forget(tx: &dyn Db, id: CaseId) -> StoreResult<()> {
    tx.execute(
        "DELETE FROM case_history WHERE case_id = ?1",
        &[id.to_string().into()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Store;
    use super::super::test_support::{device, register, store_with_staff};
    use chrono::Utc;
    use shared::case::NoteKind;
    use shared::id::OpId;
    use shared::op::{Action, Op};

    #[test]
    fn a_case_read_back_is_the_fold_of_its_ops_whether_resumed_or_folded_again() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, property, user) = store_with_staff(dir.path());
        let (tablet, number) = device(&store, &user);
        let (other, _) = device(&store, &user);
        let reg = register(&property, &user, tablet, number);
        let note = |device, seq: u64, counter: u32, text: &str| {
            let mut op = reg.clone();
            op.id = OpId(uuid::Uuid::now_v7());
            op.device = device;
            op.seq = seq;
            // After the registration's, whatever counter it drew.
            op.hlc.counter = reg.hlc.counter + counter;
            op.hlc.device = device;
            op.action = Action::Note {
                note_kind: NoteKind::General,
                text: text.into(),
            };
            op
        };
        let ceiling = Utc::now() + chrono::Duration::minutes(5);
        let mut ops: Vec<Op> = Vec::new();
        let mut push = |device, batch: Vec<Op>| {
            ops.extend(batch.iter().cloned());
            store
                .push(device, &user, batch, Utc::now(), ceiling)
                .expect("push");
            let config = store.config().expect("config");
            let ctx = shared::fold::FoldContext {
                settings: &config.settings,
                calendar: &config.calendar,
            };
            let expected = shared::fold::fold(&ops, ctx).expect("fold");
            let stored = store.case(reg.case_id).expect("read").map(|(_, c)| c);
            assert_eq!(stored, Some(expected));
        };
        push(tablet, vec![reg.clone()]);
        // Resumed: each push adds a part.
        push(tablet, vec![note(tablet, 2, 10, "一")]);
        push(
            tablet,
            vec![note(tablet, 3, 20, "二"), note(tablet, 4, 30, "三")],
        );
        // Sorts before the last op folded: the case is folded again whole.
        push(other, vec![note(other, 1, 15, "迟到")]);
        push(tablet, vec![note(tablet, 5, 40, "四")]);
        let parts: i64 = store
            .writer()
            .query_row(
                "SELECT count(*) FROM case_history WHERE case_id = ?1",
                [reg.case_id.to_string()],
                |r| r.get(0),
            )
            .expect("parts");
        assert_eq!(parts, 2, "the whole fold's part and the resumed push's");
    }
}
