//! How a case's fold is kept up to date: the state `shared::fold` carries
//! between ops is stored beside the case (`case_folds`), and the ops a
//! transaction adds are applied to it with [`shared::fold::resume`] when
//! they sort after every op already folded. Otherwise, and when there is
//! no state or the settings or calendar changed since, every op of the case
//! is folded again. Either way the result is the fold of all its ops, so a
//! push costs the same however long the case is, unless it arrives late.
//!
//! The case is resumed from its row without its history
//! (`history_sql.rs`), which the fold only appends to: what the resumed
//! fold holds in its timeline and notes is what the new ops added, and that
//! is what is stored. Its check that an op was not folded before, made
//! against the timeline, then sees nothing; the ops table's unique op id is
//! what keeps an op from being stored, and so folded, twice.

use super::cases_sql::{Before, write_case};
use super::config::{load_config, load_properties, next_seq};
use super::db::Db;
use super::history_sql;
use super::sqlite::parse_id;
use super::{StoreError, StoreResult};
use shared::case::Case;
use shared::fold::{FoldContext, FoldState, Folded, fold_resumable, resume};
use shared::id::{CaseId, PropertyId};
use shared::op::Op;
use shared::property::Property;
use shared::wire::ConfigKey;

/// What every case folded in one transaction shares.
pub(super) struct FoldRun<'a> {
    /// The settings and calendar.
    pub ctx: FoldContext<'a>,
    /// Every property.
    pub properties: &'a [Property],
    /// [`config_stamp`], read once for every case of a push.
    pub config: i64,
    /// The last server sequence number the transaction handed out.
    pub seq: i64,
}

/// Brings the case `id` up to date with `new_ops`, the ops this
/// transaction stored for it, and writes its rows and its fold state.
/// `new` says the case had no ops before them: there is nothing to resume,
/// read back or replace.
pub(super) fn materialize(
    tx: &dyn Db,
    id: CaseId,
    new_ops: &[Op],
    new: bool,
    run: &FoldRun<'_>,
) -> StoreResult<()> {
    let FoldRun {
        ctx,
        properties,
        config,
        seq,
    } = *run;
    let resumed = match new {
        true => None,
        false => resumed(tx, id, new_ops, ctx, config)?,
    };
    let (mut folded, stored) = match resumed {
        Some((folded, stored)) => (folded, Some(stored)),
        None => {
            // A new case's ops are all in hand: they need not be read back.
            let ops = if new || stored_count(tx, id)? == new_ops.len() {
                fold_resumable(new_ops, ctx)
            } else {
                fold_resumable(&stored_ops(tx, id)?, ctx)
            };
            match ops {
                Ok(folded) => (folded, None),
                // Only a register op creates a case row; the push
                // quarantines ops for unknown cases, so this is reached
                // only by a damaged store.
                Err(_) => return Ok(()),
            }
        }
    };
    let history = history_sql::split(&mut folded.case);
    let before = match (new, &stored) {
        (true, _) => Before::Nothing,
        (false, None) => Before::Unread,
        (false, Some(stored)) => Before::Stored(stored),
    };
    write_case(tx, &folded.case, properties, before, seq)?;
    match before {
        Before::Nothing => history_sql::insert(tx, id, 0, &history)?,
        Before::Unread => history_sql::replace(tx, id, &history)?,
        Before::Stored(_) => history_sql::append(tx, id, &history)?,
    }
    tx.execute(
        "INSERT INTO case_folds (case_id, config_seq, state, rules) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (case_id) DO UPDATE
         SET config_seq = excluded.config_seq, state = excluded.state, rules = excluded.rules",
        &[
            id.to_string().into(),
            config.into(),
            serde_json::to_string(&folded.state)?.into(),
            shared::fold::RULES.into(),
        ],
    )?;
    Ok(())
}

/// The stored case, without its history, with `new_ops` applied, when its
/// state was folded with the current configuration and fold rules and the
/// new ops come
/// after it, and the stored case as it was. A stored case or state this
/// build cannot read is folded again rather than refused.
fn resumed(
    tx: &dyn Db,
    id: CaseId,
    new_ops: &[Op],
    ctx: FoldContext<'_>,
    config: i64,
) -> StoreResult<Option<(Folded, Case)>> {
    let Some(row) = tx.query_opt(
        "SELECT c.json, f.state FROM case_folds f JOIN cases c ON c.id = f.case_id
         WHERE f.case_id = ?1 AND f.config_seq = ?2 AND f.rules = ?3",
        &[
            id.to_string().into(),
            config.into(),
            shared::fold::RULES.into(),
        ],
    )?
    else {
        return Ok(None);
    };
    let (Ok(case), Ok(state)) = (
        serde_json::from_str::<Case>(&row.get::<String>(0)?),
        serde_json::from_str::<FoldState>(&row.get::<String>(1)?),
    ) else {
        return Ok(None);
    };
    let stored = case.clone();
    Ok(resume(Folded { case, state }, new_ops, ctx).map(|folded| (folded, stored)))
}

/// Folds again up to `limit` cases whose stored state was folded with an
/// earlier configuration than the current one, or by other fold rules
/// ([`shared::fold::RULES`]: a server upgraded since), or never stored with
/// a fold state (cases stored before `case_folds` and untouched since), in
/// id order after `after`; answers the last id folded. Each case is folded
/// whole (there are no new ops to resume with), as its next push would.
pub(super) fn refold_stale(
    tx: &dyn Db,
    after: Option<CaseId>,
    limit: usize,
) -> StoreResult<Option<CaseId>> {
    let config = config_stamp(tx)?;
    let after = after.map(|id| id.to_string()).unwrap_or_default();
    let mut stale = Vec::new();
    tx.for_each_row(
        &format!(
            "SELECT cases.id FROM cases LEFT JOIN case_folds f ON f.case_id = cases.id
             WHERE cases.id > ?1
               AND (f.case_id IS NULL OR f.config_seq <> ?2 OR f.rules <> ?3)
             ORDER BY cases.id LIMIT {limit}"
        ),
        &[after.into(), config.into(), shared::fold::RULES.into()],
        &mut |r| {
            stale.push(parse_id::<CaseId>(r.text(0)?)?);
            Ok(())
        },
    )?;
    let Some(last) = stale.last().copied() else {
        return Ok(None);
    };
    let loaded = load_config(tx)?;
    let properties = load_properties(tx)?;
    let run = FoldRun {
        ctx: FoldContext {
            settings: &loaded.settings,
            calendar: &loaded.calendar,
        },
        properties: &properties,
        config,
        seq: next_seq(tx)?,
    };
    for id in stale {
        materialize(tx, id, &[], false, &run)?;
    }
    Ok(Some(last))
}

/// How many ops of the case are stored. Each op of `new_ops` is stored
/// (once: op ids are unique), so when the count is theirs they are every
/// op of the case.
fn stored_count(tx: &dyn Db, id: CaseId) -> StoreResult<usize> {
    let n: i64 = tx
        .query_one(
            "SELECT count(*) FROM ops WHERE case_id = ?1",
            &[id.to_string().into()],
        )?
        .get(0)?;
    Ok(n as usize)
}

/// Every stored op of the case that this build can read. One it cannot
/// is a newer release's, held by a server rolled back after it: the case
/// is folded without it, as a tablet of this build folds it, and a server
/// upgraded again folds it in (its fold rules differ, so it folds every
/// case again). Failing here would refuse every later op on the case.
pub(super) fn stored_ops(tx: &dyn Db, id: CaseId) -> StoreResult<Vec<Op>> {
    let mut ops = Vec::new();
    tx.for_each_row(
        "SELECT json FROM ops WHERE case_id = ?1",
        &[id.to_string().into()],
        &mut |r| {
            match serde_json::from_str(r.text(0)?) {
                Ok(op) => ops.push(op),
                Err(e) => tracing::warn!(case = %id, "a stored op this build cannot read, left out of the fold: {e}"),
            }
            Ok(())
        },
    )?;
    Ok(ops)
}

/// What the fold depends on besides the ops changes only with the settings
/// and the calendar, and each write of either takes a new server sequence
/// number: the greatest of the two stamps a stored state.
pub(super) fn config_stamp(tx: &dyn Db) -> StoreResult<i64> {
    let seq: Option<i64> = tx
        .query_one(
            "SELECT max(server_seq) FROM config WHERE key IN (?1, ?2)",
            &[
                ConfigKey::Settings.code().into(),
                ConfigKey::Calendar.code().into(),
            ],
        )?
        .get(0)?;
    seq.ok_or_else(|| StoreError::Internal("no settings or calendar stored".into()))
}

/// Marks every case of `property` to be folded again, as after a change
/// of the configuration: its stored state then has a stamp no
/// configuration has (0), so [`refold_stale`] takes it and a push folds it
/// whole. For what the fold writes from the property (the search text
/// holds the place's names).
pub(super) fn mark_stale(tx: &dyn Db, property: PropertyId) -> StoreResult<()> {
    tx.execute(
        "UPDATE case_folds SET config_seq = 0
         WHERE case_id IN (SELECT id FROM cases WHERE property_id = ?1)",
        &[property.to_string().into()],
    )?;
    Ok(())
}

/// Forgets what is kept beside a deleted case's row: its fold state and
/// its history.
pub(super) fn forget(tx: &dyn Db, id: CaseId) -> StoreResult<()> {
    tx.execute(
        "DELETE FROM case_folds WHERE case_id = ?1",
        &[id.to_string().into()],
    )?;
    history_sql::forget(tx, id)
}

#[cfg(test)]
mod tests {
    use super::super::Store;
    use super::super::cases_sql::{Before, write_case};
    use super::super::config::load_properties;
    use super::super::test_support::{device, register, store_with_a_case, store_with_staff};
    use chrono::Utc;
    use shared::case::{Case, NoteKind, RegistrationPatch};
    use shared::id::{CaseId, OpId};
    use shared::op::{Action, Op};

    /// Every column of the case's row and of its deadline and evidence
    /// rows, as text.
    fn rows(conn: &rusqlite::Connection, id: CaseId) -> Vec<String> {
        let mut out = Vec::new();
        for sql in [
            "SELECT * FROM cases WHERE id = ?1",
            "SELECT * FROM case_deadlines WHERE case_id = ?1 ORDER BY clock",
            "SELECT * FROM case_blobs WHERE case_id = ?1 ORDER BY attachment_id, thumbnail",
        ] {
            let mut stmt = conn.prepare(sql).expect("prepare");
            let width = stmt.column_count();
            let mut found = stmt.query([id.to_string()]).expect("query");
            while let Some(row) = found.next().expect("row") {
                for i in 0..width {
                    let value: rusqlite::types::Value = row.get(i).expect("value");
                    out.push(format!("{sql} {i}: {value:?}"));
                }
            }
        }
        out
    }

    #[test]
    fn a_case_written_in_part_has_the_rows_a_whole_write_gives_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, property, user) = store_with_staff(dir.path());
        let (tablet, number) = device(&store, &user);
        let reg = register(&property, &user, tablet, number);
        let step = |seq: u64, action: Action| -> Op {
            let mut op = reg.clone();
            op.id = OpId(uuid::Uuid::now_v7());
            op.seq = seq;
            op.hlc.counter += seq as u32;
            op.action = action;
            op
        };
        let note = |text: &str| Action::Note {
            note_kind: NoteKind::General,
            text: text.into(),
        };
        // A note leaves every indexed column alone (written in part); the
        // edit changes two of them (written whole).
        let pushes = [
            reg.clone(),
            step(2, note("已联系业主")),
            step(
                3,
                Action::Edit(RegistrationPatch {
                    category: Some("cleaning".into()),
                    content: Some("楼道有垃圾".into()),
                    ..RegistrationPatch::default()
                }),
            ),
            step(4, note("已清理")),
        ];
        let ceiling = Utc::now() + chrono::Duration::minutes(5);
        for op in pushes {
            let answer = store
                .push(tablet, &user, vec![op.clone()], Utc::now(), ceiling)
                .expect("push");
            assert!(answer.quarantined.is_empty(), "{:?}", answer.quarantined);
            let conn = store.writer();
            let written = rows(&conn, reg.case_id);
            let tx = conn.unchecked_transaction().expect("transaction");
            let (json, seq): (String, i64) = tx
                .query_row(
                    "SELECT json, server_seq FROM cases WHERE id = ?1",
                    [reg.case_id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .expect("case row");
            let case: Case = serde_json::from_str(&json).expect("case");
            let properties = load_properties(&tx).expect("properties");
            write_case(&tx, &case, &properties, Before::Unread, seq).expect("write whole");
            assert_eq!(written, rows(&tx, reg.case_id), "after {:?}", op.action);
        }
    }

    /// A server upgraded to other fold rules folds its stored cases again,
    /// though neither the ops nor the configuration changed: their rows
    /// hold what the old rules made of them.
    #[test]
    fn cases_stored_under_other_fold_rules_are_folded_again() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, _, _, reg) = store_with_a_case(dir.path());
        assert_eq!(store.refold_stale(None, 100).expect("refold"), None);
        // The clocks as the case's row and its deadline rows hold them.
        let clocks = || -> Vec<String> {
            let conn = store.writer();
            let mut out: Vec<String> = conn
                .prepare("SELECT clock || ' ' || due_at FROM case_deadlines ORDER BY clock")
                .expect("prepare")
                .query_map([], |r| r.get(0))
                .expect("query")
                .map(|r| r.expect("row"))
                .collect();
            out.push(
                conn.query_row("SELECT next_due_at FROM cases", [], |r| r.get(0))
                    .expect("case row"),
            );
            out
        };
        let folded = clocks();

        // What an older build left: its own clocks, and its rules' number.
        {
            let conn = store.writer();
            conn.execute_batch(
                "UPDATE case_deadlines SET due_at = '2000-01-01T00:00:00.000Z';
                 UPDATE cases SET next_due_at = '2000-01-01T00:00:00.000Z';
                 UPDATE case_folds SET rules = 0;",
            )
            .expect("an older build's rows");
        }
        assert_ne!(clocks(), folded);
        assert_eq!(
            store.refold_stale(None, 100).expect("refold"),
            Some(reg.case_id)
        );
        assert_eq!(clocks(), folded);
        assert_eq!(store.refold_stale(None, 100).expect("refold"), None);

        // A case stored before there were fold states, untouched since.
        {
            let conn = store.writer();
            conn.execute_batch(
                "UPDATE case_deadlines SET due_at = '2000-01-01T00:00:00.000Z';
                 DELETE FROM case_folds;",
            )
            .expect("a case stored before fold states");
        }
        assert_eq!(
            store.refold_stale(None, 100).expect("refold"),
            Some(reg.case_id)
        );
        assert_eq!(clocks(), folded);
        assert_eq!(store.refold_stale(None, 100).expect("refold"), None);
    }

    /// A renamed building or property: its cases are folded again, and
    /// their search text names it as it is now called.
    #[test]
    fn a_renamed_building_marks_its_cases_to_be_folded_again() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, mut property, user) = store_with_staff(dir.path());
        let building = shared::id::BuildingId(uuid::Uuid::now_v7());
        property.buildings.push(shared::property::Building {
            id: building,
            name: "3栋".into(),
            units: Vec::new(),
        });
        let audit = super::super::test_support::audit();
        store.put_property(&property, None, &audit).expect("put");
        let (tablet, number) = device(&store, &user);
        let mut reg = register(&property, &user, tablet, number);
        if let Action::Register(r) = &mut reg.action {
            r.location = shared::property::Location::Building { building };
        }
        let ceiling = Utc::now() + chrono::Duration::minutes(5);
        store
            .push(tablet, &user, vec![reg.clone()], Utc::now(), ceiling)
            .expect("push");
        let search = || -> String {
            store
                .writer()
                .query_row("SELECT search FROM cases", [], |r| r.get(0))
                .expect("case row")
        };
        assert!(search().contains("3栋"), "{}", search());

        // Other households: nothing to fold again.
        property.households += 1;
        store.put_property(&property, None, &audit).expect("put");
        assert_eq!(store.refold_stale(None, 100).expect("refold"), None);

        property.buildings[0].name = "3号楼".into();
        store.put_property(&property, None, &audit).expect("put");
        assert_eq!(
            store.refold_stale(None, 100).expect("refold"),
            Some(reg.case_id)
        );
        assert!(search().contains("3号楼"), "{}", search());

        // A renamed property: its name is searched too.
        property.name = "新和园".into();
        store.put_property(&property, None, &audit).expect("put");
        assert_eq!(
            store.refold_stale(None, 100).expect("refold"),
            Some(reg.case_id)
        );
        assert!(search().contains("新和园"), "{}", search());
    }
}
