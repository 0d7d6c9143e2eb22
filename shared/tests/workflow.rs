//! Every transition and guard of the workflow, driven through ops and the
//! fold exactly as devices use them.
//!
//! Long on purpose: one test per rule of the workflow, kept in
//! one file so the whole state machine can be read in order.

mod common;

use common::{Sim, assess, local, resolve};
use shared::case::{
    ApprovalState, Case, CaseKind, CaseState, Channel, Complainant, ContactMethod, NoteKind,
    Ratings, Severity, Validity,
};
use shared::deadline::Clock;
use shared::id::{PropertyId, UserId};
use shared::lang::{Coded, Lang};
use shared::op::{Action, ActionKind, SCHEMA_VERSION};
use shared::personal_data::Shown;
use shared::property::Location;
use shared::report::{PersonalData, RecordNames, RecordRow, RecordSheet, ResultNotice};
use shared::role::Role;
use shared::workflow::allowed_actions;

/// Acts and reports the resulting state, or the violated rule's code.
fn step(sim: &mut Sim, dev: usize, action: Action) -> Result<CaseState, &'static str> {
    step_in(sim, dev, action, SCHEMA_VERSION)
}

/// [`step`] by a build that writes op schema `schema`.
fn step_in(
    sim: &mut Sim,
    dev: usize,
    action: Action,
    schema: u32,
) -> Result<CaseState, &'static str> {
    let before = sim.case().violations.len();
    let at = local(2026, 3, 2, 10, 0) + chrono::Duration::minutes(sim.ops.len() as i64);
    sim.act(dev, at, action);
    sim.ops.last_mut().expect("just made").schema = schema;
    let case = sim.case();
    match case.violations.get(before) {
        Some(v) => Err(v.rule.code()),
        None => Ok(case.state),
    }
}

fn assign() -> Action {
    Action::Assign {
        department: "工程部".into(),
        user: None,
        name: "李工".into(),
        note: "请今日上门".into(),
    }
}

fn propose(fen: i64) -> Action {
    Action::Propose {
        measures: "更换水管".into(),
        responsible: "李工".into(),
        planned_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 10),
        compensation_fen: fen,
    }
}

fn follow_up(satisfaction: u8) -> Action {
    Action::FollowUp {
        method: ContactMethod::Phone,
        satisfaction,
        comment: String::new(),
        spot_check: false,
        ratings: None,
    }
}

/// A close whose corrective action, if any, was verified.
fn close(corrective: &str) -> Action {
    Action::Close {
        corrective_action: corrective.into(),
        verification: "复查已落实".into(),
    }
}

/// The manager assigns the case, and the department head starts it,
/// proposes a solution without compensation and resolves it with `result`.
fn work_to_resolution(s: &mut Sim, result: &str) {
    assert_eq!(step(s, MANAGER, assign()), Ok(CaseState::Assigned));
    assert_eq!(step(s, HEAD, Action::Start), Ok(CaseState::InProgress));
    assert_eq!(step(s, HEAD, propose(0)), Ok(CaseState::SolutionProposed));
    assert_eq!(step(s, HEAD, resolve(result)), Ok(CaseState::Resolved));
}

/// A scenario with devices: 0 staff, 1 manager, 2 department head,
/// 3 regional manager, 4 deputy GM, 5 GM, 6 quality, 7 admin.
fn sim(kind: CaseKind) -> Sim {
    let mut sim = Sim::new();
    for role in Role::ALL {
        sim.device(role);
    }
    sim.register(kind, Channel::Phone, local(2026, 3, 2, 9, 0));
    sim
}

const STAFF: usize = 0;
const HEAD: usize = 1;
const MANAGER: usize = 2;
const REGIONAL: usize = 3;
const DEPUTY: usize = 4;
const GM: usize = 5;
const QUALITY: usize = 6;
const ADMIN: usize = 7;

/// Takes a complaint to `solution_proposed` with `fen` compensation.
fn proposed_complaint(fen: i64) -> Sim {
    let mut s = sim(CaseKind::Complaint);
    assert_eq!(
        step(&mut s, MANAGER, assess(Severity::General, Validity::Valid)),
        Ok(CaseState::Assessed)
    );
    assert_eq!(step(&mut s, MANAGER, assign()), Ok(CaseState::Assigned));
    assert_eq!(step(&mut s, HEAD, Action::Start), Ok(CaseState::InProgress));
    assert_eq!(
        step(&mut s, HEAD, propose(fen)),
        Ok(CaseState::SolutionProposed)
    );
    s
}

#[test]
fn role_indices_match_role_order() {
    let s = sim(CaseKind::Complaint);
    assert_eq!(s.devices[STAFF].role, Role::Staff);
    assert_eq!(s.devices[HEAD].role, Role::DepartmentHead);
    assert_eq!(s.devices[MANAGER].role, Role::Manager);
    assert_eq!(s.devices[REGIONAL].role, Role::RegionalManager);
    assert_eq!(s.devices[DEPUTY].role, Role::DeputyGm);
    assert_eq!(s.devices[GM].role, Role::Gm);
    assert_eq!(s.devices[QUALITY].role, Role::Quality);
    assert_eq!(s.devices[ADMIN].role, Role::Admin);
}

#[test]
fn complaint_full_path_keeps_first_responder() {
    let mut s = proposed_complaint(0);
    assert_eq!(
        step(&mut s, STAFF, resolve("已更换")),
        Ok(CaseState::Resolved)
    );
    assert_eq!(step(&mut s, STAFF, follow_up(5)), Ok(CaseState::FollowedUp));
    assert_eq!(
        step(&mut s, MANAGER, close("加强巡检")),
        Ok(CaseState::Closed)
    );
    let case = s.case();
    assert_eq!(case.registered.by, s.devices[STAFF].user);
    assert_eq!(case.timeline.len(), s.ops.len());
    assert!(case.violations.is_empty() && case.conflicts.is_empty());
}

#[test]
fn transfer_records_handover_and_keeps_first_responder() {
    let mut s = proposed_complaint(0);
    let transfer = Action::Assign {
        department: "保洁部".into(),
        user: None,
        name: "王班长".into(),
        note: "属保洁范围".into(),
    };
    // A transfer is allowed while work is going on only from the work states.
    assert_eq!(
        step(&mut s, MANAGER, transfer.clone()),
        Err("workflow.not_allowed_in_state")
    );
    let mut s = sim(CaseKind::Complaint);
    step(&mut s, MANAGER, assess(Severity::General, Validity::Valid)).unwrap();
    step(&mut s, MANAGER, assign()).unwrap();
    step(&mut s, HEAD, Action::Start).unwrap();
    assert_eq!(step(&mut s, HEAD, transfer), Ok(CaseState::Assigned));
    let case = s.case();
    assert_eq!(case.handovers.len(), 2);
    assert_eq!(
        case.handovers[1].from.as_ref().map(|a| a.name.as_str()),
        Some("李工")
    );
    assert_eq!(case.handovers[1].to.name, "王班长");
    assert_eq!(case.registered.by, s.devices[STAFF].user);
}

#[test]
fn unfounded_complaint_closes_without_assignment() {
    let mut s = sim(CaseKind::Complaint);
    let no_reason = Action::Assess {
        severity: Severity::Minor,
        urgent: false,
        validity: Validity::Unfounded,
        reason: " ".into(),
        respondent: String::new(),
        respondent_department: String::new(),
    };
    assert_eq!(
        step(&mut s, MANAGER, no_reason),
        Err("workflow.text_required")
    );
    assert_eq!(
        step(
            &mut s,
            MANAGER,
            assess(Severity::General, Validity::Unfounded)
        ),
        Ok(CaseState::Assessed)
    );
    assert_eq!(
        step(&mut s, MANAGER, assign()),
        Err("workflow.unfounded_complaint")
    );
    assert_eq!(step(&mut s, MANAGER, close("")), Ok(CaseState::Closed));
}

/// Found unfounded once assigned (重新评估), a complaint is explained and
/// closed: from `UNFOUNDED_SCHEMA` on nobody starts it, proposes a
/// solution for it, nor decides on a compensation proposed before (until
/// it is found valid again). An op of an older schema keeps its meaning.
#[test]
fn an_unfounded_complaint_is_not_worked_on() {
    use shared::workflow::{UNFOUNDED_SCHEMA, may_decide};
    let assigned_then_unfounded = || {
        let mut s = sim(CaseKind::Complaint);
        assert_eq!(
            step(&mut s, MANAGER, assess(Severity::General, Validity::Valid)),
            Ok(CaseState::Assessed)
        );
        assert_eq!(step(&mut s, MANAGER, assign()), Ok(CaseState::Assigned));
        assert_eq!(
            step(
                &mut s,
                MANAGER,
                assess(Severity::General, Validity::Unfounded)
            ),
            Ok(CaseState::Assigned)
        );
        s
    };
    let mut s = assigned_then_unfounded();
    let head = allowed_actions(&s.case(), Role::DepartmentHead);
    assert!(!head.contains(&ActionKind::Start), "{head:?}");
    assert!(!head.contains(&ActionKind::Propose), "{head:?}");
    assert_eq!(
        step_in(&mut s, HEAD, Action::Start, UNFOUNDED_SCHEMA),
        Err("workflow.unfounded_complaint")
    );
    assert!(allowed_actions(&s.case(), Role::Manager).contains(&ActionKind::Close));
    assert_eq!(step(&mut s, MANAGER, close("")), Ok(CaseState::Closed));

    // Started and given a solution by an older build, it was as before.
    let mut old = assigned_then_unfounded();
    assert_eq!(
        step_in(&mut old, HEAD, Action::Start, UNFOUNDED_SCHEMA - 1),
        Ok(CaseState::InProgress)
    );
    assert_eq!(
        step_in(&mut old, HEAD, propose(50_000), UNFOUNDED_SCHEMA),
        Err("workflow.unfounded_complaint")
    );
    assert_eq!(
        step_in(&mut old, HEAD, propose(50_000), UNFOUNDED_SCHEMA - 1),
        Ok(CaseState::SolutionProposed)
    );

    // A compensation proposed before the finding waits for no decision.
    let mut s = proposed_complaint(50_000);
    assert_eq!(
        step(
            &mut s,
            MANAGER,
            assess(Severity::General, Validity::Unfounded)
        ),
        Ok(CaseState::SolutionProposed)
    );
    let regional = s.devices[REGIONAL].user;
    let decides = |s: &Sim| {
        let case = s.case();
        let at = local(2026, 3, 3, 9, 0);
        (
            allowed_actions(&case, Role::RegionalManager).contains(&ActionKind::Approve),
            may_decide(&case, regional, Role::RegionalManager, &s.settings, at),
        )
    };
    assert_eq!(decides(&s), (false, None));
    let approve = Action::Approve {
        approved: true,
        comment: "同意".into(),
        compensation_fen: Some(50_000),
    };
    assert_eq!(
        step(&mut s, REGIONAL, approve.clone()),
        Err("workflow.unfounded_complaint")
    );
    // Found valid again, it is decided as it would have been.
    assert_eq!(
        step(&mut s, MANAGER, assess(Severity::General, Validity::Valid)),
        Ok(CaseState::SolutionProposed)
    );
    assert_eq!(decides(&s), (true, Some(Role::RegionalManager)));
    assert_eq!(
        step(&mut s, REGIONAL, approve),
        Ok(CaseState::SolutionProposed)
    );
    assert_eq!(
        s.case().solution.map(|s| s.approval),
        Some(ApprovalState::Approved)
    );
}

#[test]
fn valid_complaint_needs_corrective_action_and_its_verification() {
    let mut s = proposed_complaint(0);
    step(&mut s, STAFF, resolve("已处理")).unwrap();
    step(&mut s, STAFF, follow_up(4)).unwrap();
    assert_eq!(
        step(&mut s, MANAGER, close(" ")),
        Err("workflow.corrective_action_required")
    );
    let unverified = Action::Close {
        corrective_action: "每月检查".into(),
        verification: " ".into(),
    };
    assert_eq!(
        step(&mut s, MANAGER, unverified),
        Err("workflow.verification_required")
    );
    assert_eq!(
        step(&mut s, MANAGER, close("每月检查")),
        Ok(CaseState::Closed)
    );
}

/// Seed 003: a complaint answered on the spot is a valid or an unfounded
/// one too. Its assessment, skipped at the spot, is the manager's
/// afterwards, while the case waits for or has had its follow-up: it
/// moves the case nowhere and is not late, nor are the urgent clocks it
/// would start from receipt. Found unfounded, the complaint closes with
/// that explanation from wherever it is, even once reopened.
#[test]
fn a_complaint_answered_on_the_spot_is_assessed_afterwards() {
    let on_the_spot = Action::Resolve {
        result: "当场道歉并清理".into(),
        feedback_method: ContactMethod::Visit,
        feedback_at: None,
        on_the_spot: true,
    };
    let mut s = sim(CaseKind::Complaint);
    assert_eq!(
        step(&mut s, STAFF, on_the_spot.clone()),
        Ok(CaseState::Resolved)
    );
    assert_eq!(step(&mut s, STAFF, follow_up(4)), Ok(CaseState::FollowedUp));
    assert!(allowed_actions(&s.case(), Role::Manager).contains(&ActionKind::Assess));
    let urgent_valid = Action::Assess {
        severity: Severity::General,
        urgent: true,
        validity: Validity::Valid,
        reason: String::new(),
        respondent: "保安王某".into(),
        respondent_department: String::new(),
    };
    assert_eq!(
        step(&mut s, MANAGER, urgent_valid),
        Ok(CaseState::FollowedUp)
    );
    let case = s.case();
    assert!(case.is_valid_complaint());
    let clocks: Vec<Clock> = case.deadlines.iter().map(|d| d.clock).collect();
    for undue in [
        Clock::InitialAssessment,
        Clock::UrgentContact,
        Clock::UrgentOnSite,
    ] {
        assert!(
            !clocks.contains(&undue),
            "{undue:?} was never due: {clocks:?}"
        );
    }
    // Open still, it may be assessed again (from schema 4).
    assert_eq!(
        step(&mut s, MANAGER, assess(Severity::Major, Validity::Valid)),
        Ok(CaseState::FollowedUp),
    );
    assert_eq!(
        step(&mut s, MANAGER, close("每周巡查")),
        Ok(CaseState::Closed)
    );
    assert_eq!(
        step(&mut s, MANAGER, assess(Severity::General, Validity::Valid)),
        Err("workflow.case_not_open"),
        "not once closed"
    );

    // Closed before anyone assessed it, it is assessed all the same, and
    // stays closed. Closed now, it closes as a valid complaint does, since
    // it may be found one.
    let followed_up = || {
        let mut s = sim(CaseKind::Complaint);
        assert_eq!(
            step(&mut s, STAFF, on_the_spot.clone()),
            Ok(CaseState::Resolved)
        );
        assert_eq!(step(&mut s, STAFF, follow_up(5)), Ok(CaseState::FollowedUp));
        s
    };
    let mut s = followed_up();
    let new_close = |s: &Sim, corrective: &str| {
        let at = local(2026, 3, 3, 9, 0);
        shared::workflow::check_new(
            &s.case(),
            shared::id::UserId(uuid::Uuid::from_u128(7)),
            Role::Manager,
            &close(corrective),
            &s.settings,
            at,
        )
        .map_err(|v| v.code())
    };
    assert_eq!(
        new_close(&s, ""),
        Err("workflow.corrective_action_required")
    );
    assert_eq!(new_close(&s, "每周巡查"), Ok(Some(CaseState::Closed)));
    assert_eq!(
        step(&mut s, MANAGER, close("每周巡查")),
        Ok(CaseState::Closed)
    );
    assert!(allowed_actions(&s.case(), Role::Manager).contains(&ActionKind::Assess));
    assert_eq!(
        step(&mut s, MANAGER, assess(Severity::Minor, Validity::Valid)),
        Ok(CaseState::Closed)
    );
    let case = s.case();
    assert!(case.is_valid_complaint());
    assert!(
        case.deadlines
            .iter()
            .all(|d| d.clock != Clock::InitialAssessment)
    );
    assert_eq!(
        step(
            &mut s,
            MANAGER,
            assess(Severity::Minor, Validity::Unfounded)
        ),
        Err("workflow.case_not_open"),
        "assessed once, and closed"
    );
    // Closed so now, the close breaks the rule wherever it is folded.
    let mut s = followed_up();
    assert_eq!(
        step(&mut s, MANAGER, close("")),
        Err("workflow.corrective_action_required")
    );
    assert_eq!(s.case().state, CaseState::FollowedUp);
    // Closed without a corrective action by a tablet from before that
    // rule (schema 1), it keeps its close, and is not found valid around
    // the rule that asks for one.
    let mut s = followed_up();
    let at = local(2026, 3, 3, 9, 0);
    s.act(MANAGER, at, close(""));
    s.ops.last_mut().expect("just made").schema = 1;
    assert_eq!(s.case().state, CaseState::Closed);
    assert!(s.case().violations.is_empty());
    assert_eq!(
        step(&mut s, MANAGER, assess(Severity::Minor, Validity::Valid)),
        Err("workflow.corrective_action_required")
    );
    assert_eq!(
        step(
            &mut s,
            MANAGER,
            assess(Severity::Minor, Validity::Unfounded)
        ),
        Ok(CaseState::Closed)
    );

    // Found unfounded afterwards, and reopened by an unhappy call: it
    // still closes with its explanation.
    let mut s = sim(CaseKind::Complaint);
    assert_eq!(
        step(&mut s, STAFF, on_the_spot.clone()),
        Ok(CaseState::Resolved)
    );
    assert_eq!(
        step(
            &mut s,
            MANAGER,
            assess(Severity::Minor, Validity::Unfounded)
        ),
        Ok(CaseState::Resolved)
    );
    assert_eq!(step(&mut s, STAFF, follow_up(1)), Ok(CaseState::Reopened));
    assert_eq!(step(&mut s, MANAGER, close("")), Ok(CaseState::Closed));

    // Assessed on a tablet that had seen it resolved, while a colleague
    // called back meanwhile: the assessment moved nothing, so no conflict.
    let mut s = sim(CaseKind::Complaint);
    assert_eq!(
        step(&mut s, STAFF, on_the_spot.clone()),
        Ok(CaseState::Resolved)
    );
    assert_eq!(step(&mut s, STAFF, follow_up(5)), Ok(CaseState::FollowedUp));
    let at = local(2026, 3, 2, 11, 0);
    s.act_expecting(
        MANAGER,
        at,
        assess(Severity::Minor, Validity::Valid),
        Some(CaseState::Resolved),
    );
    let case = s.case();
    assert!(case.conflicts.is_empty(), "{:?}", case.conflicts);
    assert!(case.is_valid_complaint());

    // Reopened before anyone assessed it, it is worked again; an
    // assessment made then is the first as any other is (from schema 4;
    // before, only once it was resolved again).
    let mut s = sim(CaseKind::Complaint);
    assert_eq!(step(&mut s, STAFF, on_the_spot), Ok(CaseState::Resolved));
    assert_eq!(step(&mut s, STAFF, follow_up(1)), Ok(CaseState::Reopened));
    let at = local(2026, 3, 2, 10, 30);
    s.act(MANAGER, at, assess(Severity::Minor, Validity::Valid));
    s.ops.last_mut().expect("just made").schema = shared::workflow::REASSESS_SCHEMA - 1;
    assert_eq!(
        s.case().violations.last().map(|v| v.rule.code()),
        Some("workflow.not_allowed_in_state")
    );
    // Worked again and resolved, then assessed: it was transferred before
    // its assessment, so it has no transfer clock met before it started.
    work_to_resolution(&mut s, "已更换灯具");
    assert_eq!(
        step(&mut s, MANAGER, assess(Severity::Minor, Validity::Valid)),
        Ok(CaseState::Resolved)
    );
    let case = s.case();
    assert!(case.is_valid_complaint());
    assert!(
        case.deadlines.iter().all(|d| d.clock != Clock::Transfer),
        "{:?}",
        case.deadlines
    );
}

#[test]
fn guards_by_role() {
    let mut s = sim(CaseKind::Complaint);
    assert_eq!(
        step(&mut s, STAFF, assess(Severity::General, Validity::Valid)),
        Err("workflow.role_not_allowed")
    );
    assert_eq!(
        step(&mut s, QUALITY, assess(Severity::General, Validity::Valid)),
        Err("workflow.role_not_allowed")
    );
    assert_eq!(
        step(&mut s, ADMIN, assess(Severity::General, Validity::Valid)),
        Err("workflow.role_not_allowed")
    );
    assert_eq!(
        step(&mut s, MANAGER, assess(Severity::General, Validity::Valid)),
        Ok(CaseState::Assessed)
    );
    assert_eq!(
        step(&mut s, ADMIN, assign()),
        Err("workflow.role_not_allowed")
    );
    assert_eq!(step(&mut s, STAFF, assign()), Ok(CaseState::Assigned));
    assert_eq!(
        step(&mut s, QUALITY, Action::Start),
        Err("workflow.role_not_allowed")
    );
    assert_eq!(
        step(&mut s, STAFF, Action::Start),
        Ok(CaseState::InProgress)
    );
    assert_eq!(
        step(&mut s, STAFF, propose(0)),
        Err("workflow.role_not_allowed")
    );
}

#[test]
fn guards_by_state() {
    let mut s = sim(CaseKind::Complaint);
    assert_eq!(
        step(&mut s, MANAGER, assign()),
        Err("workflow.not_allowed_in_state")
    );
    assert_eq!(
        step(&mut s, STAFF, Action::Start),
        Err("workflow.not_allowed_in_state")
    );
    assert_eq!(
        step(&mut s, HEAD, propose(0)),
        Err("workflow.not_allowed_in_state")
    );
    assert_eq!(
        step(&mut s, STAFF, follow_up(5)),
        Err("workflow.not_allowed_in_state")
    );
    assert_eq!(
        step(&mut s, MANAGER, close("x")),
        Err("workflow.not_allowed_in_state")
    );
    assert_eq!(
        step(&mut s, MANAGER, Action::Reopen { reason: "x".into() }),
        Err("workflow.not_allowed_in_state")
    );
    // Resolving straight from intake is only for answers given on the spot.
    assert_eq!(
        step(&mut s, STAFF, resolve("已解释")),
        Err("workflow.not_on_the_spot")
    );
    let on_spot = Action::Resolve {
        result: "当场解释收费依据".into(),
        feedback_method: ContactMethod::Visit,
        feedback_at: None,
        on_the_spot: true,
    };
    assert_eq!(step(&mut s, STAFF, on_spot), Ok(CaseState::Resolved));
    let case = s.case();
    assert!(
        case.resolution
            .as_ref()
            .is_some_and(|r| r.feedback_at.is_some())
    );
}

/// From schema 7 (`workflow::duties`): nobody decides on a compensation
/// they proposed, a solution names who carries it out and by when, and a
/// follow-up is a call or a visit. Ops of schema 6 keep their meaning.
#[test]
fn an_approver_never_decides_on_their_own_proposal() {
    let approve = Action::Approve {
        approved: true,
        comment: "同意".into(),
        compensation_fen: Some(80_000),
    };
    let regional_proposes = || {
        let mut s = sim(CaseKind::Complaint);
        for (dev, action) in [
            (MANAGER, assess(Severity::General, Validity::Valid)),
            (MANAGER, assign()),
            (HEAD, Action::Start),
        ] {
            assert!(step(&mut s, dev, action).is_ok());
        }
        assert_eq!(
            step(&mut s, REGIONAL, propose(80_000)),
            Ok(CaseState::SolutionProposed)
        );
        s
    };
    let mut s = regional_proposes();
    let case = s.case();
    let may = |dev: usize, role| {
        shared::workflow::may_decide(
            &case,
            s.devices[dev].user,
            role,
            &s.settings,
            local(2026, 3, 2, 12, 0),
        )
    };
    assert_eq!(may(REGIONAL, Role::RegionalManager), None);
    assert_eq!(may(DEPUTY, Role::DeputyGm), Some(Role::RegionalManager));
    assert_eq!(may(MANAGER, Role::Manager), None);
    assert_eq!(
        step(&mut s, REGIONAL, approve.clone()),
        Err("workflow.own_proposal")
    );
    assert_eq!(
        step(&mut s, DEPUTY, approve.clone()),
        Ok(CaseState::SolutionProposed)
    );
    assert_eq!(
        s.case().solution.map(|x| x.approval),
        Some(ApprovalState::Approved)
    );
    // The general manager, above whom nobody decides, decides what they
    // proposed: it would otherwise wait for ever.
    let mut top = sim(CaseKind::Complaint);
    for (dev, action) in [
        (MANAGER, assess(Severity::General, Validity::Valid)),
        (MANAGER, assign()),
        (HEAD, Action::Start),
        (GM, propose(500_000)),
    ] {
        assert!(step(&mut top, dev, action).is_ok());
    }
    assert_eq!(
        step(
            &mut top,
            GM,
            Action::Approve {
                approved: true,
                comment: "同意".into(),
                compensation_fen: Some(500_000),
            }
        ),
        Ok(CaseState::SolutionProposed)
    );
    // Recorded by a build of schema 6, the same approval stands.
    let mut old = regional_proposes();
    let before = old.case().violations.len();
    old.act(REGIONAL, local(2026, 3, 2, 12, 0), approve);
    old.ops.last_mut().expect("just made").schema = shared::workflow::DUTIES_SCHEMA - 1;
    let case = old.case();
    assert_eq!(case.violations.len(), before, "{:?}", case.violations);
    assert_eq!(
        case.solution.map(|x| x.approval),
        Some(ApprovalState::Approved)
    );

    // A solution without its responsible person or planned date.
    let mut s = sim(CaseKind::Complaint);
    for (dev, action) in [
        (MANAGER, assess(Severity::General, Validity::Valid)),
        (MANAGER, assign()),
        (HEAD, Action::Start),
    ] {
        assert!(step(&mut s, dev, action).is_ok());
    }
    let mut undated = propose(0);
    if let Action::Propose { planned_date, .. } = &mut undated {
        *planned_date = None;
    }
    assert_eq!(step(&mut s, HEAD, undated), Err("workflow.text_required"));
    assert_eq!(
        s.case()
            .violations
            .last()
            .and_then(|v| v.rule.field().map(String::from)),
        Some("planned_date".to_string())
    );
    let mut nobody = propose(0);
    if let Action::Propose { responsible, .. } = &mut nobody {
        *responsible = " ".into();
    }
    assert_eq!(step(&mut s, HEAD, nobody), Err("workflow.text_required"));
    assert_eq!(
        step(&mut s, HEAD, propose(0)),
        Ok(CaseState::SolutionProposed)
    );
    assert_eq!(
        step(&mut s, HEAD, resolve("已更换")),
        Ok(CaseState::Resolved)
    );

    // A follow-up by message is no follow-up; by a visit it is.
    let by = |method| match follow_up(5) {
        Action::FollowUp {
            satisfaction,
            comment,
            spot_check,
            ratings,
            ..
        } => Action::FollowUp {
            method,
            satisfaction,
            comment,
            spot_check,
            ratings,
        },
        _ => unreachable!("a follow-up"),
    };
    assert_eq!(
        step(&mut s, STAFF, by(ContactMethod::Message)),
        Err("workflow.follow_up_method")
    );
    assert_eq!(
        step(&mut s, STAFF, by(ContactMethod::Visit)),
        Ok(CaseState::FollowedUp)
    );
}

#[test]
fn compensation_approval_by_amount_and_role() {
    // 800 CNY: the regional manager may approve; the property manager may not.
    let mut s = proposed_complaint(80_000);
    assert_eq!(
        s.case()
            .solution
            .as_ref()
            .map(|x| (x.approval, x.approver_role)),
        Some((ApprovalState::Pending, Some(Role::RegionalManager)))
    );
    assert_eq!(
        step(&mut s, STAFF, resolve("赔付")),
        Err("workflow.approval_pending")
    );
    // Ops recorded before approvals named the amount decide on the
    // current one.
    let approve = Action::Approve {
        approved: true,
        comment: "同意".into(),
        compensation_fen: None,
    };
    assert_eq!(
        step(&mut s, MANAGER, approve.clone()),
        Err("workflow.role_not_allowed")
    );
    assert_eq!(
        step(&mut s, REGIONAL, approve.clone()),
        Ok(CaseState::SolutionProposed)
    );
    assert_eq!(
        step(&mut s, REGIONAL, approve.clone()),
        Err("workflow.nothing_to_approve")
    );
    assert_eq!(
        step(&mut s, STAFF, resolve("赔付")),
        Ok(CaseState::Resolved)
    );

    // 2,000 CNY needs the deputy GM; the GM may approve too.
    let mut s = proposed_complaint(200_000);
    assert_eq!(
        step(&mut s, REGIONAL, approve.clone()),
        Err("workflow.approval_needs_role")
    );
    assert_eq!(
        step(&mut s, GM, approve.clone()),
        Ok(CaseState::SolutionProposed)
    );

    // 5,000 CNY needs the GM.
    let mut s = proposed_complaint(500_000);
    assert_eq!(
        step(&mut s, DEPUTY, approve.clone()),
        Err("workflow.approval_needs_role")
    );
    let refuse = Action::Approve {
        approved: false,
        comment: "金额过高".into(),
        compensation_fen: Some(500_000),
    };
    assert_eq!(step(&mut s, GM, refuse), Ok(CaseState::InProgress));
    assert_eq!(
        s.case().solution.map(|x| x.approval),
        Some(ApprovalState::Rejected)
    );
    assert_eq!(
        step(&mut s, HEAD, propose(-1)),
        Err("workflow.negative_compensation")
    );
    assert_eq!(
        step(&mut s, HEAD, propose(0)),
        Ok(CaseState::SolutionProposed)
    );
}

#[test]
fn unsatisfied_follow_up_reopens_and_counts() {
    let mut s = proposed_complaint(0);
    step(&mut s, STAFF, resolve("已处理")).unwrap();
    assert_eq!(
        step(&mut s, STAFF, follow_up(0)),
        Err("workflow.satisfaction_out_of_range")
    );
    assert_eq!(
        step(&mut s, STAFF, follow_up(6)),
        Err("workflow.satisfaction_out_of_range")
    );
    assert_eq!(step(&mut s, STAFF, follow_up(2)), Ok(CaseState::Reopened));
    assert_eq!(s.case().reopen_count, 1);
    assert_eq!(step(&mut s, HEAD, Action::Start), Ok(CaseState::InProgress));
    step(&mut s, HEAD, propose(0)).unwrap();
    step(&mut s, STAFF, resolve("二次处理完成")).unwrap();
    assert_eq!(step(&mut s, STAFF, follow_up(3)), Ok(CaseState::FollowedUp));
    assert_eq!(
        step(
            &mut s,
            MANAGER,
            Action::Reopen {
                reason: "复查发现仍漏水".into()
            }
        ),
        Ok(CaseState::Reopened)
    );
    assert_eq!(s.case().reopen_count, 2);
    assert_eq!(s.case().follow_ups.len(), 2);
}

/// Names as the papers' tests know them.
struct Names;

impl RecordNames for Names {
    fn user(&self, _: UserId) -> String {
        "李四".into()
    }
    fn category(&self, code: &str, _: Lang) -> String {
        code.into()
    }
    fn place(&self, _: PropertyId, _: &Location, _: Lang) -> String {
        "华苑小区".into()
    }
    fn contact(&self, _: PropertyId) -> String {
        "客服中心".into()
    }
    fn tz(&self) -> chrono_tz::Tz {
        chrono_tz::Asia::Shanghai
    }
}

/// The lines of the record sheet's field `key`, empty without it.
fn sheet_lines(case: &Case, key: &str) -> Vec<String> {
    let sheet = RecordSheet::of(
        case,
        &Names,
        Lang::ZhCn,
        PersonalData::Shown,
        local(2026, 4, 1, 9, 0),
    );
    sheet
        .rows
        .iter()
        .flat_map(|row| match row {
            RecordRow::Pair(a, b) => vec![a, b],
            RecordRow::Wide { field, .. } => vec![field],
        })
        .filter(|f| f.key == key)
        .flat_map(|f| f.lines.clone())
        .collect()
}

#[test]
fn a_reopened_case_tells_no_result_until_a_new_one_and_its_sheet_keeps_both() {
    let mut s = proposed_complaint(0);
    step(&mut s, STAFF, resolve("已处理")).unwrap();
    assert!(ResultNotice::available(&s.case()));
    assert_eq!(step(&mut s, STAFF, follow_up(2)), Ok(CaseState::Reopened));
    assert!(
        !ResultNotice::available(&s.case()),
        "the result turned down"
    );
    step(&mut s, HEAD, Action::Start).unwrap();
    step(&mut s, HEAD, propose(0)).unwrap();
    step(&mut s, STAFF, resolve("二次处理完成")).unwrap();
    assert!(ResultNotice::available(&s.case()), "the new result");
    let history = sheet_lines(&s.case(), "history");
    assert!(
        history
            .iter()
            .any(|h| h.contains("此前处理结果") && h.contains("已处理")),
        "the result sent back is on the paper: {history:?}"
    );
    assert!(
        !history.iter().any(|h| h.contains("二次处理完成")),
        "the latest is the 处理结果 field's: {history:?}"
    );

    // Reopened by a manager whose reopening lost a race to a callback and
    // was applied as the conflict's settlement: on the paper all the same.
    let mut s = proposed_complaint(0);
    step(&mut s, STAFF, resolve("已处理")).unwrap();
    let at = local(2026, 3, 2, 12, 0);
    s.act(STAFF, at, follow_up(4));
    // Recorded offline on the case as it was before the call.
    s.act_expecting(
        MANAGER,
        at + chrono::Duration::minutes(1),
        Action::Reopen {
            reason: "复查发现仍漏水".into(),
        },
        Some(CaseState::Resolved),
    );
    let case = s.case();
    assert_eq!(case.conflicts.len(), 1, "{:?}", case.conflicts);
    let conflict_op = case.conflicts[0].op;
    s.act(
        MANAGER,
        at + chrono::Duration::minutes(5),
        Action::ResolveConflict {
            conflict_op,
            apply: true,
            note: String::new(),
        },
    );
    let case = s.case();
    assert_eq!(case.state, CaseState::Reopened);
    let history = sheet_lines(&case, "history");
    assert!(
        history
            .iter()
            .any(|h| h.contains("重新处理") && h.contains("复查发现仍漏水")),
        "{history:?}"
    );

    // Found unfounded after the reopening and closed: the result on record
    // is still the one turned down, and no notice offers it as the answer.
    let mut s = proposed_complaint(0);
    step(&mut s, STAFF, resolve("已处理")).unwrap();
    step(&mut s, STAFF, follow_up(2)).unwrap();
    assert_eq!(
        step(
            &mut s,
            MANAGER,
            assess(Severity::General, Validity::Unfounded)
        ),
        Ok(CaseState::Reopened)
    );
    assert_eq!(step(&mut s, MANAGER, close("")), Ok(CaseState::Closed));
    assert!(!ResultNotice::available(&s.case()));
    assert!(ResultNotice::of(&s.case(), &Names, Lang::ZhCn, PersonalData::Shown).is_none());
}

#[test]
fn escalation_up_the_ladder_with_declared_skip() {
    let mut s = sim(CaseKind::Complaint);
    let esc = |to_role, skip_level| Action::Escalate {
        to_role,
        skip_level,
        reason: "业主扬言找媒体".into(),
    };
    assert_eq!(
        step(&mut s, STAFF, esc(Role::Manager, false)),
        Ok(CaseState::Registered)
    );
    assert_eq!(
        step(&mut s, STAFF, esc(Role::Gm, false)),
        Err("workflow.skip_level_undeclared")
    );
    assert_eq!(
        step(&mut s, STAFF, esc(Role::Gm, true)),
        Ok(CaseState::Registered)
    );
    assert_eq!(
        step(&mut s, MANAGER, esc(Role::Staff, false)),
        Err("workflow.escalation_not_upward")
    );
    assert_eq!(
        step(&mut s, MANAGER, esc(Role::Quality, false)),
        Ok(CaseState::Registered)
    );
    let case = s.case();
    assert!(case.escalated());
    assert_eq!(case.escalations.len(), 3);
}

#[test]
fn extension_is_capped() {
    let mut s = sim(CaseKind::Complaint);
    let ext = |working_days| Action::Extend {
        working_days,
        reason: "需第三方检测".into(),
    };
    assert_eq!(
        step(&mut s, STAFF, ext(2)),
        Err("workflow.role_not_allowed")
    );
    assert_eq!(
        step(&mut s, MANAGER, ext(0)),
        Err("workflow.extension_zero")
    );
    // Seven working days for a special case less the three of the
    // solution clock leaves four to extensions.
    assert_eq!(step(&mut s, MANAGER, ext(3)), Ok(CaseState::Registered));
    assert_eq!(
        step(&mut s, MANAGER, ext(2)),
        Err("workflow.extension_too_long")
    );
    assert_eq!(step(&mut s, MANAGER, ext(1)), Ok(CaseState::Registered));
    assert_eq!(s.case().extended_working_days(), 4);
}

#[test]
fn withdraw_ends_the_case_and_later_ops_are_flagged_not_lost() {
    let mut s = sim(CaseKind::Complaint);
    assert_eq!(
        step(
            &mut s,
            STAFF,
            Action::Withdraw {
                reason: String::new()
            }
        ),
        Err("workflow.text_required")
    );
    assert_eq!(
        step(
            &mut s,
            STAFF,
            Action::Withdraw {
                reason: "业主已自行解决".into()
            }
        ),
        Ok(CaseState::Withdrawn)
    );
    let note = Action::Note {
        note_kind: NoteKind::General,
        text: "撤回后补充记录".into(),
    };
    assert_eq!(step(&mut s, STAFF, note), Err("workflow.case_not_open"));
    let case = s.case();
    assert_eq!(case.notes.len(), 1, "the note's content is kept");
    assert_eq!(case.violations.len(), 2);
}

#[test]
fn a_case_registered_twice_is_voided_by_management_and_owes_nothing() {
    let mut s = sim(CaseKind::Complaint);
    assert_eq!(
        step(&mut s, MANAGER, assess(Severity::General, Validity::Valid)),
        Ok(CaseState::Assessed)
    );
    assert!(!s.case().deadlines.is_empty());
    let original: shared::regno::RegNo = "HY-260302-0K-0007".parse().unwrap();
    let void = |duplicate_of: Option<shared::regno::RegNo>, reason: &str| Action::Void {
        duplicate_of,
        reason: reason.into(),
    };
    // The first responder may not take a case out of the figures alone.
    assert_eq!(
        step(&mut s, STAFF, void(Some(original.clone()), "重复登记")),
        Err("workflow.role_not_allowed")
    );
    assert_eq!(
        step(&mut s, MANAGER, void(Some(original.clone()), " ")),
        Err("workflow.text_required")
    );
    let itself = s.case().registration.reg_no.clone();
    assert_eq!(
        step(&mut s, MANAGER, void(Some(itself), "重复登记")),
        Err("workflow.duplicate_of_itself")
    );
    assert_eq!(
        step(&mut s, MANAGER, void(Some(original.clone()), "重复登记")),
        Ok(CaseState::Voided)
    );
    let case = s.case();
    let voiding = case.voiding.as_ref().expect("the voiding is kept");
    assert_eq!(voiding.duplicate_of.as_ref(), Some(&original));
    assert_eq!(voiding.reason, "重复登记");
    // The case it repeats keeps the clocks: this one owes nothing and
    // missed nothing, whenever it is looked at.
    assert!(case.deadlines.is_empty());
    assert_eq!(case.next_clock(), None);
    assert_eq!(allowed_actions(&case, Role::Gm), [ActionKind::Restore]);
    let note = Action::Note {
        note_kind: NoteKind::General,
        text: "作废后补充".into(),
    };
    assert_eq!(step(&mut s, MANAGER, note), Err("workflow.case_not_open"));
    // Voided by mistake, management restores it where it was, its clocks
    // with it.
    let restore = || Action::Restore {
        reason: "并非重复，是另一单元".into(),
    };
    assert_eq!(
        step(&mut s, STAFF, restore()),
        Err("workflow.role_not_allowed")
    );
    assert_eq!(step(&mut s, MANAGER, restore()), Ok(CaseState::Assessed));
    let case = s.case();
    assert!(case.voiding.is_none());
    assert!(!case.deadlines.is_empty());
    assert_eq!(
        step(&mut s, MANAGER, restore()),
        Err("workflow.not_allowed_in_state")
    );
    // Registered in error, a case is voided without naming another.
    let mut wrong = sim(CaseKind::Repair);
    assert_eq!(
        step(&mut wrong, GM, void(None, "误登记（不是本项目）")),
        Ok(CaseState::Voided)
    );
}

#[test]
fn management_changes_a_first_responder_who_left() {
    let mut s = sim(CaseKind::Repair);
    let registrant = s.devices[STAFF].user;
    let colleague = s.devices[REGIONAL].user;
    assert_eq!(s.case().first_responder(), registrant);
    let change = |to, reason: &str| Action::ChangeResponder {
        to,
        reason: reason.into(),
    };
    // The first responder answers for the case, and does not pass it on
    // alone.
    assert_eq!(
        step(&mut s, STAFF, change(colleague, "调岗")),
        Err("workflow.role_not_allowed")
    );
    assert_eq!(
        step(&mut s, MANAGER, change(colleague, " ")),
        Err("workflow.text_required")
    );
    assert_eq!(
        step(&mut s, MANAGER, change(registrant, "离职")),
        Err("workflow.already_first_responder")
    );
    // Not a transition: the case stays where it is, its clocks with it.
    let clocks = s.case().deadlines.clone();
    assert_eq!(
        step(&mut s, MANAGER, change(colleague, "原首问责任人离职")),
        Ok(CaseState::Registered)
    );
    let case = s.case();
    assert_eq!(case.first_responder(), colleague);
    assert_eq!(case.registered.by, registrant, "who registered it stays");
    assert_eq!(case.deadlines, clocks);
    let record = &case.responder_changes[0];
    assert_eq!((record.from, record.to), (registrant, colleague));
    assert_eq!(record.reason, "原首问责任人离职");
    assert!(!ActionKind::ChangeResponder.is_transition());
    // A closed case's first responder is history.
    let mut closed = a_resolved_repair();
    assert_eq!(
        step(&mut closed, STAFF, follow_up(5)),
        Ok(CaseState::FollowedUp)
    );
    assert_eq!(
        step(
            &mut closed,
            STAFF,
            Action::Close {
                corrective_action: String::new(),
                verification: String::new(),
            }
        ),
        Ok(CaseState::Closed)
    );
    assert_eq!(
        step(&mut closed, MANAGER, change(colleague, "离职")),
        Err("workflow.case_not_open")
    );
}

/// A repair dispatched straight from intake (as a repair may be) and
/// resolved.
fn a_resolved_repair() -> Sim {
    let mut s = sim(CaseKind::Repair);
    assert_eq!(step(&mut s, STAFF, assign()), Ok(CaseState::Assigned));
    assert_eq!(
        step(&mut s, STAFF, Action::Start),
        Ok(CaseState::InProgress)
    );
    assert_eq!(
        step(&mut s, STAFF, resolve("已修复")),
        Ok(CaseState::Resolved)
    );
    s
}

/// A spot-check call (抽查回访).
fn spot_check() -> Action {
    Action::FollowUp {
        method: ContactMethod::Phone,
        satisfaction: 4,
        comment: "抽查回访".into(),
        spot_check: true,
        ratings: None,
    }
}

#[test]
fn repair_rules() {
    let mut s = a_resolved_repair();
    // 100% callback: no closing a repair before its follow-up.
    assert_eq!(
        step(&mut s, STAFF, close("")),
        Err("workflow.not_allowed_in_state")
    );
    assert_eq!(step(&mut s, STAFF, follow_up(5)), Ok(CaseState::FollowedUp));
    assert_eq!(step(&mut s, STAFF, close("")), Ok(CaseState::Closed));
    let spot = spot_check();
    assert_eq!(
        step(&mut s, STAFF, spot.clone()),
        Err("workflow.role_not_allowed")
    );
    assert_eq!(step(&mut s, MANAGER, spot.clone()), Ok(CaseState::Closed));
    assert_eq!(s.case().follow_ups.len(), 2);
    // Made from a view that still showed the case resolved, before the
    // regular callback and the close synced: it moves nothing, so it is
    // no conflict, and counts as the case's spot check.
    let at = local(2026, 3, 2, 18, 0);
    let violations = s.case().violations.len();
    s.act_expecting(QUALITY, at, spot, Some(CaseState::Resolved));
    let case = s.case();
    assert_eq!(case.open_conflicts().count(), 0, "{:?}", case.conflicts);
    assert_eq!(case.violations.len(), violations, "{:?}", case.violations);
    assert_eq!(case.follow_ups.len(), 3);
    assert!(case.latest_spot_check().is_some());
}

/// The work finds more than intake saw: a case is assessed again in any
/// open state, the timeline keeping what it was. Urgent now, its urgent
/// clocks run from its receipt; proven unfounded, it closes as such. An
/// op of an older schema keeps the rule it was recorded under: assessed
/// once.
#[test]
fn a_case_is_assessed_again_as_the_work_finds_more() {
    let mut s = proposed_complaint(0);
    assert_eq!(s.case().state, CaseState::SolutionProposed);
    let urgent_major = Action::Assess {
        severity: Severity::Major,
        urgent: true,
        validity: Validity::Valid,
        reason: String::new(),
        respondent: String::new(),
        respondent_department: String::new(),
    };
    assert_eq!(
        step(&mut s, HEAD, urgent_major.clone()),
        Err("workflow.role_not_allowed")
    );
    assert_eq!(
        step(&mut s, MANAGER, urgent_major.clone()),
        Ok(CaseState::SolutionProposed)
    );
    let case = s.case();
    let assessment = case.assessment.as_deref().expect("assessed");
    assert_eq!(assessment.severity, Severity::Major);
    let last = case.timeline.last().expect("an entry");
    let severity = last.changes.iter().find(|c| c.field == "severity");
    assert_eq!(
        severity.map(|c| (c.from.as_deref(), c.to.as_deref())),
        Some((Some("general"), Some("major"))),
        "{last:?}"
    );
    let clocks: Vec<Clock> = case.deadlines.iter().map(|d| d.clock).collect();
    assert!(clocks.contains(&Clock::UrgentContact), "{clocks:?}");
    // Its report to head office is due from when it was found major.
    let report = case
        .deadlines
        .iter()
        .find(|d| d.clock == Clock::MajorReport);
    let found = case.timeline.last().map(|t| t.stamp.at);
    assert_eq!(report.map(|d| d.started_at), found, "{report:?}");

    // The investigation proves it unfounded: it closes with the reason.
    let unfounded = Action::Assess {
        severity: Severity::Minor,
        urgent: false,
        validity: Validity::Unfounded,
        reason: "监控显示当晚无施工".into(),
        respondent: String::new(),
        respondent_department: String::new(),
    };
    assert_eq!(
        step(&mut s, MANAGER, unfounded),
        Ok(CaseState::SolutionProposed)
    );
    assert!(s.case().is_unfounded_complaint());
    assert_eq!(step(&mut s, MANAGER, close("")), Ok(CaseState::Closed));

    // Recorded by a build of schema 3, the same op is refused.
    let mut old = proposed_complaint(0);
    let at = local(2026, 3, 3, 9, 0);
    old.act(MANAGER, at, urgent_major);
    old.ops.last_mut().expect("just made").schema = shared::workflow::REASSESS_SCHEMA - 1;
    let case = old.case();
    assert_eq!(
        case.assessment.as_deref().map(|a| a.severity),
        Some(Severity::General)
    );
    assert_eq!(
        case.violations.last().map(|v| v.rule.code()),
        Some("workflow.not_allowed_in_state")
    );
}

/// A text message nobody answered is no callback try: refused from
/// `CALLBACK_SCHEMA` on, so three of them do not let the case close
/// without a call; recorded by an older build, it stands as it did.
#[test]
fn a_missed_callback_is_a_call_or_a_visit() {
    use shared::workflow::CALLBACK_SCHEMA;
    let by = |method| Action::CallbackMissed {
        method,
        note: "无人回复".into(),
    };
    let mut s = a_resolved_repair();
    for method in [ContactMethod::Message, ContactMethod::Letter] {
        assert_eq!(
            step(&mut s, STAFF, by(method)),
            Err("workflow.callback_method")
        );
    }
    assert_eq!(s.case().callback_tries(chrono::Duration::zero()), 0);
    assert_eq!(
        step(&mut s, STAFF, by(ContactMethod::Visit)),
        Ok(CaseState::Resolved)
    );
    assert_eq!(
        step(&mut s, STAFF, by(ContactMethod::Phone)),
        Ok(CaseState::Resolved)
    );
    assert_eq!(s.case().callback_tries(chrono::Duration::zero()), 2);

    let mut old = a_resolved_repair();
    old.act(STAFF, local(2026, 3, 3, 12, 0), by(ContactMethod::Message));
    old.ops.last_mut().expect("just made").schema = CALLBACK_SCHEMA - 1;
    let case = old.case();
    assert!(case.violations.is_empty(), "{:?}", case.violations);
    assert_eq!(case.callback_tries(chrono::Duration::zero()), 1);
}

/// A complainant who cannot be reached: each try is on record, and after
/// `CALLBACK_ATTEMPTS` of them since the case was resolved, it closes
/// without the callback (which stays missing from the follow-up rate). A
/// reopened case's tries start again.
#[test]
fn a_case_closes_without_its_callback_after_three_tries_miss_the_complainant() {
    use shared::workflow::{CALLBACK_ATTEMPTS, CALLBACK_GAP};
    let missed = || Action::CallbackMissed {
        method: ContactMethod::Phone,
        note: "无人接听".into(),
    };
    // A try `hours` after noon on 3 March: the state after it, or the rule
    // it broke.
    let try_at = |s: &mut Sim, dev: usize, hours: i64| {
        let before = s.case().violations.len();
        s.act(
            dev,
            local(2026, 3, 3, 12, 0) + chrono::Duration::hours(hours),
            missed(),
        );
        let case = s.case();
        match case.violations.get(before) {
            Some(v) => Err(v.rule.code()),
            None => Ok(case.state),
        }
    };
    let mut s = a_resolved_repair();
    assert_eq!(
        try_at(&mut s, HEAD, 0),
        Err("workflow.role_not_allowed"),
        "whoever makes the callbacks"
    );
    // Three tries in a few minutes are one.
    for _ in 0..CALLBACK_ATTEMPTS {
        assert_eq!(step(&mut s, STAFF, missed()), Ok(CaseState::Resolved));
    }
    assert_eq!(s.case().callback_tries(CALLBACK_GAP), 1);
    for tried in 2..CALLBACK_ATTEMPTS {
        assert_eq!(
            step(&mut s, STAFF, close("")),
            Err("workflow.not_allowed_in_state")
        );
        assert_eq!(try_at(&mut s, STAFF, tried as i64), Ok(CaseState::Resolved));
        assert_eq!(s.case().callback_tries(CALLBACK_GAP), tried);
    }
    // Reached at last, unsatisfied: reopened, and the tries start again.
    let at = local(2026, 3, 3, 18, 0);
    s.act(STAFF, at, follow_up(1));
    assert_eq!(s.case().state, CaseState::Reopened);
    assert_eq!(
        try_at(&mut s, STAFF, 7),
        Err("workflow.not_allowed_in_state")
    );
    assert_eq!(s.case().callback_tries(CALLBACK_GAP), 0);
    s.act(STAFF, local(2026, 3, 4, 9, 0), Action::Start);
    s.act(STAFF, local(2026, 3, 4, 10, 0), resolve("再次修复"));
    assert_eq!(s.case().state, CaseState::Resolved);
    for tried in 0..CALLBACK_ATTEMPTS {
        let hours = 24 + 2 * tried as i64;
        assert_eq!(try_at(&mut s, STAFF, hours), Ok(CaseState::Resolved));
    }
    s.act(STAFF, local(2026, 3, 4, 20, 0), close(""));
    let case = s.case();
    assert_eq!(case.state, CaseState::Closed, "{:?}", case.violations);
    assert_eq!(case.follow_ups.len(), 1);
    // The callback was owed and never made: its clock stays, missed at
    // the close, and counts against the follow-up rate; it keeps the time
    // it was due by (the end of the next working day), not the close's.
    let closed = local(2026, 3, 4, 20, 0);
    let owed: Vec<_> = case
        .deadlines
        .iter()
        .filter(|d| d.clock == Clock::FollowUpRepair)
        .map(|d| (d.due_at, d.met_at, d.taken_unmet))
        .collect();
    assert_eq!(
        owed,
        [(
            local(2026, 3, 5, 23, 59) + chrono::Duration::seconds(59),
            Some(closed),
            true
        )],
        "{:?}",
        case.deadlines
    );

    // A valid complaint still closes with its corrective action.
    let mut s = proposed_complaint(0);
    assert_eq!(
        step(&mut s, HEAD, resolve("已更换")),
        Ok(CaseState::Resolved)
    );
    for tried in 0..CALLBACK_ATTEMPTS {
        assert_eq!(
            try_at(&mut s, STAFF, 2 * tried as i64),
            Ok(CaseState::Resolved)
        );
    }
    let at = local(2026, 3, 3, 20, 0);
    s.act(MANAGER, at, close(""));
    assert_eq!(
        s.case().violations.last().map(|v| v.rule.code()),
        Some("workflow.corrective_action_required")
    );
    s.act(
        MANAGER,
        at + chrono::Duration::minutes(1),
        close("加强巡查"),
    );
    assert_eq!(s.case().state, CaseState::Closed);
}

#[test]
fn callback_tries_dated_before_the_work_was_done_do_not_count() {
    use shared::workflow::CALLBACK_GAP;
    // Three tries an hour apart by their own times, all before the repair
    // was resolved (a tablet's clock set back, or a forged op): they
    // called about nothing, and the case does not close without its call.
    let mut s = a_resolved_repair();
    for hours in [0, 2, 4] {
        s.act(
            STAFF,
            local(2026, 3, 1, 8, 0) + chrono::Duration::hours(hours),
            Action::CallbackMissed {
                method: ContactMethod::Phone,
                note: "无人接听".into(),
            },
        );
    }
    assert_eq!(s.case().callbacks_missed.len(), 3);
    assert_eq!(s.case().callback_tries(CALLBACK_GAP), 0);
    assert_eq!(
        step(&mut s, STAFF, close("")),
        Err("workflow.not_allowed_in_state")
    );
}

/// Head-office quality audits the callbacks and does not make them: from
/// schema 3 (`workflow::quality_limits`) its follow-up is a spot-check,
/// which moves nothing, and its notes are general notes or inspection
/// items, which meet no field clock. Its callbacks recorded by a build of
/// schema 2 keep the meaning they were recorded with.
#[test]
fn head_office_quality_spot_checks_and_meets_no_field_clock() {
    let mut s = a_resolved_repair();
    assert_eq!(
        step(&mut s, QUALITY, follow_up(2)),
        Err("workflow.role_not_allowed")
    );
    let note = |note_kind| Action::Note {
        note_kind,
        text: "已查看现场照片".into(),
    };
    for kind in [NoteKind::Contact, NoteKind::OnSite, NoteKind::CauseAnalysis] {
        assert_eq!(
            step(&mut s, QUALITY, note(kind)),
            Err("workflow.role_not_allowed"),
            "{kind:?}"
        );
        assert_eq!(step(&mut s, STAFF, note(kind)), Ok(CaseState::Resolved));
    }
    for kind in [NoteKind::General, NoteKind::Inspection] {
        assert_eq!(step(&mut s, QUALITY, note(kind)), Ok(CaseState::Resolved));
    }
    assert_eq!(step(&mut s, QUALITY, spot_check()), Ok(CaseState::Resolved));
    assert_eq!(
        shared::workflow::note_kinds(Role::Quality),
        [NoteKind::General, NoteKind::Inspection]
    );

    let violations = s.case().violations.len();
    s.act(QUALITY, local(2026, 3, 3, 9, 0), follow_up(5));
    s.ops.last_mut().expect("the callback").schema = shared::workflow::CHECK_NEW_SCHEMA;
    let case = s.case();
    assert_eq!(case.violations.len(), violations, "{:?}", case.violations);
    assert_eq!(case.state, CaseState::FollowedUp);
}

/// A spot check made from a view that showed the result, after a
/// dissatisfied callback reopened the case: the resident's view of a
/// result since reopened is a conflict for someone to look at.
#[test]
fn a_spot_check_of_a_result_reopened_meanwhile_is_a_conflict() {
    let mut s = a_resolved_repair();
    assert_eq!(step(&mut s, STAFF, follow_up(1)), Ok(CaseState::Reopened));
    s.act_expecting(
        QUALITY,
        local(2026, 3, 3, 18, 0),
        spot_check(),
        Some(CaseState::Resolved),
    );
    let case = s.case();
    assert_eq!(case.open_conflicts().count(), 1, "{:?}", case.conflicts);
    assert_eq!(case.state, CaseState::Reopened);
    assert!(case.latest_spot_check().is_none());
}

/// A call that lost to a close made meanwhile on another tablet: what the
/// resident said is kept (and counts), the case stays closed, and the
/// conflict waits for someone to settle.
#[test]
fn a_follow_up_that_lost_to_a_close_is_kept() {
    let mut s = a_resolved_repair();
    assert_eq!(step(&mut s, STAFF, follow_up(5)), Ok(CaseState::FollowedUp));
    assert_eq!(step(&mut s, MANAGER, close("")), Ok(CaseState::Closed));
    s.act_expecting(
        STAFF,
        local(2026, 3, 3, 18, 0),
        follow_up(2),
        Some(CaseState::FollowedUp),
    );
    let case = s.case();
    assert_eq!(case.state, CaseState::Closed);
    assert_eq!(case.open_conflicts().count(), 1, "{:?}", case.conflicts);
    let scores: Vec<u8> = case.follow_ups.iter().map(|f| f.satisfaction).collect();
    assert_eq!(scores, [5, 2], "the second call is on the record");
    // A message is no follow-up: lost or not, it is not kept as one.
    s.act_expecting(
        STAFF,
        local(2026, 3, 3, 19, 0),
        Action::FollowUp {
            method: ContactMethod::Message,
            satisfaction: 1,
            comment: String::new(),
            spot_check: false,
            ratings: None,
        },
        Some(CaseState::FollowedUp),
    );
    assert_eq!(s.case().follow_ups.len(), 2);

    // One made on the case its author saw resolved, after a colleague's
    // call: a second call, taken as one (no conflict), and on the record
    // once.
    let mut s = a_resolved_repair();
    assert_eq!(step(&mut s, STAFF, follow_up(5)), Ok(CaseState::FollowedUp));
    s.act_expecting(
        STAFF,
        local(2026, 3, 3, 18, 0),
        follow_up(4),
        Some(CaseState::Resolved),
    );
    let case = s.case();
    assert_eq!(case.open_conflicts().count(), 0, "{:?}", case.conflicts);
    let scores: Vec<u8> = case.follow_ups.iter().map(|f| f.satisfaction).collect();
    assert_eq!(scores, [5, 4]);
    assert_eq!(case.latest_satisfaction(), Some(4), "the later call");
}

#[test]
fn a_repair_assessed_as_unfounded_is_still_repaired() {
    // Validity (有效 / 不成立) is a complaint's: a repair assessed so is
    // handled and closed as any repair, not left without a way to close.
    let mut s = sim(CaseKind::Repair);
    assert_eq!(
        step(
            &mut s,
            MANAGER,
            assess(Severity::Minor, Validity::Unfounded)
        ),
        Ok(CaseState::Assessed)
    );
    assert_eq!(step(&mut s, STAFF, assign()), Ok(CaseState::Assigned));
    assert_eq!(
        step(&mut s, STAFF, Action::Start),
        Ok(CaseState::InProgress)
    );
    assert_eq!(
        step(&mut s, STAFF, resolve("已修复")),
        Ok(CaseState::Resolved)
    );
    assert_eq!(step(&mut s, STAFF, follow_up(5)), Ok(CaseState::FollowedUp));
    assert_eq!(step(&mut s, STAFF, close("")), Ok(CaseState::Closed));
}

#[test]
fn a_reopened_suggestion_is_decided_again() {
    let mut s = sim(CaseKind::Suggestion);
    let decide = |accepted: bool, reason: &str| Action::Decide {
        accepted,
        reason: reason.into(),
    };
    assert_eq!(
        step(&mut s, MANAGER, decide(false, "超出物业职责")),
        Ok(CaseState::Resolved)
    );
    // The resident is not satisfied with the answer (二次处理).
    assert_eq!(step(&mut s, STAFF, follow_up(1)), Ok(CaseState::Reopened));
    assert!(
        allowed_actions(&s.case(), Role::Manager).contains(&ActionKind::Decide),
        "a reopened suggestion offers the decision again"
    );
    assert!(
        !ResultNotice::available(&s.case()),
        "the decision turned down"
    );
    assert_eq!(
        step(&mut s, MANAGER, decide(true, "重新评估后采纳")),
        Ok(CaseState::InProgress)
    );
    assert!(
        ResultNotice::available(&s.case()),
        "accepted again, the resident is told while the plan is made"
    );
    let plan = Action::PlanImprovement {
        plan: "增设夜间照明".into(),
        publish_on: chrono::NaiveDate::from_ymd_opt(2026, 3, 20).unwrap(),
    };
    assert_eq!(step(&mut s, MANAGER, plan), Ok(CaseState::Resolved));
    assert_eq!(step(&mut s, MANAGER, close("")), Ok(CaseState::Closed));
    assert!(s.case().suggestion.unwrap().accepted);
}

#[test]
fn suggestion_rules() {
    let mut s = sim(CaseKind::Suggestion);
    assert_eq!(
        step(&mut s, MANAGER, assess(Severity::General, Validity::Valid)),
        Err("workflow.not_for_kind")
    );
    assert_eq!(
        step(
            &mut s,
            STAFF,
            Action::Decide {
                accepted: true,
                reason: String::new()
            }
        ),
        Err("workflow.role_not_allowed")
    );
    assert_eq!(
        step(
            &mut s,
            MANAGER,
            Action::Decide {
                accepted: true,
                reason: "可行".into()
            }
        ),
        Ok(CaseState::InProgress)
    );
    let plan = Action::PlanImprovement {
        plan: "增设夜间照明".into(),
        publish_on: chrono::NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(),
    };
    assert_eq!(step(&mut s, MANAGER, plan), Ok(CaseState::Resolved));
    assert_eq!(step(&mut s, MANAGER, close("")), Ok(CaseState::Closed));
    let outcome = s.case().suggestion.unwrap();
    assert!(outcome.accepted && outcome.plan.is_some() && outcome.publish_on.is_some());

    let mut s = sim(CaseKind::Suggestion);
    assert_eq!(
        step(
            &mut s,
            MANAGER,
            Action::Decide {
                accepted: false,
                reason: String::new()
            }
        ),
        Err("workflow.text_required")
    );
    assert_eq!(
        step(
            &mut s,
            MANAGER,
            Action::Decide {
                accepted: false,
                reason: "超出物业职责".into()
            }
        ),
        Ok(CaseState::Resolved)
    );
}

#[test]
fn inquiry_rules() {
    let mut s = sim(CaseKind::Inquiry);
    assert_eq!(
        step(&mut s, STAFF, Action::Start),
        Err("workflow.not_for_kind")
    );
    let answer = Action::Answer {
        answer: "物业费按季度缴纳".into(),
        method: ContactMethod::Visit,
        on_the_spot: true,
    };
    assert_eq!(step(&mut s, STAFF, answer), Ok(CaseState::Resolved));
    assert_eq!(step(&mut s, STAFF, close("")), Ok(CaseState::Closed));
    // Closed, a call can only be a spot check: offered to those who make them.
    assert!(!allowed_actions(&s.case(), Role::Staff).contains(&ActionKind::FollowUp));
    assert!(allowed_actions(&s.case(), Role::Manager).contains(&ActionKind::FollowUp));
}

/// An inquiry whose answer left the resident unhappy at the callback is
/// reopened and answered again by whoever has it, as it is never started
/// (from `REANSWER_SCHEMA` on; before, such an answer was refused, and
/// one recorded by an older build stays so).
#[test]
fn a_reopened_inquiry_is_answered_again() {
    use shared::workflow::REANSWER_SCHEMA;
    let answer = |text: &str| Action::Answer {
        answer: text.into(),
        method: ContactMethod::Phone,
        on_the_spot: false,
    };
    let reopened = || {
        let mut s = sim(CaseKind::Inquiry);
        assert_eq!(
            step(&mut s, STAFF, answer("物业费按季度缴纳")),
            Ok(CaseState::Resolved)
        );
        assert_eq!(step(&mut s, STAFF, follow_up(2)), Ok(CaseState::Reopened));
        s
    };
    let again = "物业费按季度缴纳，可在服务中心或线上缴纳";
    let mut s = reopened();
    assert!(allowed_actions(&s.case(), Role::Staff).contains(&ActionKind::Answer));
    assert_eq!(
        step_in(&mut s, STAFF, answer(again), REANSWER_SCHEMA),
        Ok(CaseState::Resolved)
    );
    assert_eq!(
        s.case().resolution.map(|r| r.result),
        Some(again.to_string())
    );
    assert_eq!(step(&mut s, STAFF, follow_up(4)), Ok(CaseState::FollowedUp));
    assert_eq!(step(&mut s, STAFF, close("")), Ok(CaseState::Closed));

    let mut old = reopened();
    assert_eq!(
        step_in(&mut old, STAFF, answer(again), REANSWER_SCHEMA - 1),
        Err("workflow.not_allowed_in_state")
    );
    assert_eq!(old.case().state, CaseState::Reopened);
}

#[test]
fn allowed_actions_follow_role_and_state() {
    let s = sim(CaseKind::Complaint);
    let case = s.case();
    let staff = allowed_actions(&case, Role::Staff);
    assert!(staff.contains(&ActionKind::Escalate));
    assert!(
        staff.contains(&ActionKind::Resolve),
        "on-the-spot resolution"
    );
    assert!(!staff.contains(&ActionKind::Assess));
    let manager = allowed_actions(&case, Role::Manager);
    assert!(manager.contains(&ActionKind::Assess));
    assert!(manager.contains(&ActionKind::Extend));
    assert!(!manager.contains(&ActionKind::Approve));
    assert_eq!(
        allowed_actions(&case, Role::Admin),
        Vec::<ActionKind>::new()
    );
    assert_eq!(
        allowed_actions(&case, Role::Quality),
        vec![ActionKind::Note]
    );
}

#[test]
fn edits_are_last_writer_wins_with_history() {
    let mut s = sim(CaseKind::Complaint);
    let edit = |content: &str| {
        Action::Edit(shared::case::RegistrationPatch {
            content: Some(content.into()),
            ..Default::default()
        })
    };
    step(&mut s, STAFF, edit("第一次修改")).unwrap();
    step(&mut s, MANAGER, edit("第二次修改")).unwrap();
    let case = s.case();
    assert_eq!(case.registration.content, "第二次修改");
    let last = case.timeline.last().unwrap();
    assert_eq!(last.changes[0].from.as_deref(), Some("第一次修改"));
}

/// An approval made offline reaches the server after a refusal made
/// online: the approval, first by HLC, stands, and the refusal is a
/// conflict for a person to see, not a violation nobody is shown.
#[test]
fn a_refusal_after_an_approval_made_offline_is_a_conflict() {
    let mut s = proposed_complaint(80_000);
    let t = local(2026, 3, 2, 11, 0);
    let approve = Action::Approve {
        approved: true,
        comment: "同意".into(),
        compensation_fen: Some(80_000),
    };
    s.act_expecting(REGIONAL, t, approve, Some(CaseState::SolutionProposed));
    // The fold orders by HLC whenever each op arrives: the refusal, made
    // ten minutes later on a case its author saw waiting, comes second.
    let refuse = Action::Approve {
        approved: false,
        comment: "不同意".into(),
        compensation_fen: Some(80_000),
    };
    let refusal = s.act_expecting(
        GM,
        t + chrono::Duration::minutes(10),
        refuse,
        Some(CaseState::SolutionProposed),
    );
    let case = s.case();
    assert_eq!(
        case.solution.as_ref().map(|x| x.approval),
        Some(ApprovalState::Approved)
    );
    assert!(case.violations.is_empty(), "{:?}", case.violations);
    assert_eq!(case.open_conflicts().count(), 1, "{:?}", case.conflicts);
    assert_eq!(case.conflicts[0].op, refusal.id);
    assert_eq!(case.conflicts[0].action, ActionKind::Approve);
}

/// An approval that lost the race to a refusal is kept as a conflict.
/// The same amount proposed again later (by a regional manager, whose own
/// limit is lower) is a new proposal: the old approval, applied then,
/// would approve what its author never saw.
#[test]
fn an_old_approval_kept_as_a_conflict_decides_no_later_proposal() {
    let mut s = proposed_complaint(200_000);
    let t = local(2026, 3, 2, 11, 0);
    let decide = |approved| Action::Approve {
        approved,
        comment: String::new(),
        compensation_fen: Some(200_000),
    };
    s.act(DEPUTY, t, decide(false));
    assert_eq!(s.case().state, CaseState::InProgress);
    // Approved offline on the case as its author saw it, waiting.
    let late = s.act_expecting(
        GM,
        t + chrono::Duration::minutes(10),
        decide(true),
        Some(CaseState::SolutionProposed),
    );
    assert_eq!(s.case().open_conflicts().count(), 1);
    s.act(
        REGIONAL,
        t + chrono::Duration::minutes(20),
        propose(200_000),
    );
    assert_eq!(s.case().state, CaseState::SolutionProposed);
    let settle = |apply| Action::ResolveConflict {
        conflict_op: late.id,
        apply,
        note: String::new(),
    };
    assert_eq!(
        step(&mut s, REGIONAL, settle(true)),
        Err("workflow.proposed_since")
    );
    let case = s.case();
    assert_eq!(
        case.solution.as_ref().map(|x| x.approval),
        Some(ApprovalState::Pending)
    );
    assert_eq!(case.open_conflicts().count(), 1);
    // A settlement by a build before the rule applied it, as it did then.
    let mut old = s.clone();
    assert_eq!(
        step_in(
            &mut old,
            REGIONAL,
            settle(true),
            shared::workflow::PROPOSAL_SCHEMA - 1
        ),
        Ok(CaseState::SolutionProposed)
    );
    assert_eq!(
        old.case().solution.map(|x| x.approval),
        Some(ApprovalState::Approved)
    );
    // Set aside, it is settled; the new proposal waits for its decision.
    assert_eq!(
        step(&mut s, REGIONAL, settle(false)),
        Ok(CaseState::SolutionProposed)
    );
    assert_eq!(s.case().open_conflicts().count(), 0);

    // Nothing proposed since: the approval applied later decides the
    // proposal it saw.
    let mut s = proposed_complaint(80_000);
    let approve = Action::Approve {
        approved: true,
        comment: String::new(),
        compensation_fen: Some(80_000),
    };
    let offline = s.act_expecting(REGIONAL, t, approve, Some(CaseState::InProgress));
    assert_eq!(s.case().open_conflicts().count(), 1);
    assert_eq!(
        step(
            &mut s,
            MANAGER,
            Action::ResolveConflict {
                conflict_op: offline.id,
                apply: true,
                note: String::new(),
            }
        ),
        Ok(CaseState::SolutionProposed)
    );
    assert_eq!(
        s.case().solution.map(|x| x.approval),
        Some(ApprovalState::Approved)
    );
}

/// Two colleagues call the resident back about one result, each having
/// seen it resolved: both calls are taken, and the later one, unsatisfied,
/// reopens the case (before, it lost the race: the case stayed 已回访
/// with the unsatisfied score, and could be closed over it).
#[test]
fn a_second_call_made_on_the_resolved_case_is_taken() {
    let mut s = a_resolved_repair();
    let t = local(2026, 3, 3, 10, 0);
    s.act(STAFF, t, follow_up(5));
    assert_eq!(s.case().state, CaseState::FollowedUp);
    s.act_expecting(
        MANAGER,
        t + chrono::Duration::hours(2),
        follow_up(1),
        Some(CaseState::Resolved),
    );
    let case = s.case();
    assert_eq!(case.state, CaseState::Reopened);
    assert_eq!(case.open_conflicts().count(), 0, "{:?}", case.conflicts);
    assert_eq!(case.reopen_count, 1);
    assert_eq!(
        step(&mut s, MANAGER, close("")),
        Err("workflow.not_allowed_in_state")
    );

    // Recorded by a build before the rule, it lost the race, as it did
    // then: a case closed over it stays as it was closed.
    let mut s = a_resolved_repair();
    s.act(STAFF, t, follow_up(5));
    s.act_expecting(
        MANAGER,
        t + chrono::Duration::hours(2),
        follow_up(1),
        Some(CaseState::Resolved),
    );
    s.ops.last_mut().expect("the call").schema = shared::workflow::SECOND_CALL_SCHEMA - 1;
    let case = s.case();
    assert_eq!(case.state, CaseState::FollowedUp);
    assert_eq!(case.open_conflicts().count(), 1);
}

#[test]
fn concurrent_transitions_make_a_conflict_a_person_resolves() {
    let mut s = sim(CaseKind::Complaint);
    step(&mut s, MANAGER, assess(Severity::General, Validity::Valid)).unwrap();
    // Two devices, both seeing `assessed`, assign to different people offline.
    let t = local(2026, 3, 2, 11, 0);
    s.act_expecting(MANAGER, t, assign(), Some(CaseState::Assessed));
    let other = Action::Assign {
        department: "安保部".into(),
        user: None,
        name: "赵队长".into(),
        note: String::new(),
    };
    let loser = s.act_expecting(
        STAFF,
        t + chrono::Duration::seconds(1),
        other,
        Some(CaseState::Assessed),
    );
    let case = s.case();
    assert_eq!(case.state, CaseState::Assigned);
    assert_eq!(
        case.assignee.as_ref().map(|a| a.name.as_str()),
        Some("李工")
    );
    assert_eq!(case.open_conflicts().count(), 1);
    assert_eq!(case.conflicts[0].op, loser.id);
    // The manager resolves it by applying the losing transfer after all.
    s.act(
        MANAGER,
        t + chrono::Duration::minutes(5),
        Action::ResolveConflict {
            conflict_op: loser.id,
            apply: true,
            note: "由安保部处理".into(),
        },
    );
    let case = s.case();
    assert_eq!(case.open_conflicts().count(), 0);
    assert_eq!(
        case.assignee.as_ref().map(|a| a.name.as_str()),
        Some("赵队长")
    );
    assert_eq!(case.handovers.len(), 2);
    assert_eq!(case.timeline.len(), s.ops.len());
}

#[test]
fn masking_hides_personal_data_everywhere() {
    let mut s = sim(CaseKind::Complaint);
    let edit = Action::Edit(shared::case::RegistrationPatch {
        complainant_name: Some("李四".into()),
        complainant_phone: Some(Some(shared::phone::Phone::parse("13987654321").unwrap())),
        ..Default::default()
    });
    step(&mut s, STAFF, edit).unwrap();
    let masked = Shown::NOTHING.case(&s.case());
    let json = serde_json::to_string(&masked).unwrap();
    for secret in ["13812345678", "13987654321", "张三", "李四"] {
        assert!(!json.contains(secret), "{secret} leaked");
    }
    assert_eq!(masked.registration.complainant.name, "李*");
    let ops_json = serde_json::to_string(
        &s.ops
            .iter()
            .map(|o| Shown::NOTHING.op(o))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    for secret in ["13812345678", "13987654321", "张三", "李四"] {
        assert!(!ops_json.contains(secret), "{secret} leaked from ops");
    }
}

#[test]
fn the_person_and_department_complained_about_are_recorded_at_assessment() {
    let mut s = sim(CaseKind::Complaint);
    let named = Action::Assess {
        severity: Severity::General,
        urgent: false,
        validity: Validity::Valid,
        reason: String::new(),
        respondent: "保安王某".into(),
        respondent_department: "秩序部".into(),
    };
    assert_eq!(step(&mut s, MANAGER, named), Ok(CaseState::Assessed));
    let case = s.case();
    let assessment = case.assessment.as_ref().expect("assessed");
    assert_eq!(
        (
            assessment.respondent.as_str(),
            assessment.respondent_department.as_str()
        ),
        ("保安王某", "秩序部")
    );
    assert!(
        case.timeline
            .iter()
            .flat_map(|e| &e.changes)
            .any(|c| c.field == "respondent_department" && c.to.as_deref() == Some("秩序部"))
    );
}

#[test]
fn a_follow_up_records_the_three_ratings_each_from_one_to_five() {
    let rated = |result, attitude, timeliness| Action::FollowUp {
        method: ContactMethod::Phone,
        satisfaction: 4,
        comment: String::new(),
        spot_check: false,
        ratings: Some(Ratings {
            result,
            attitude,
            timeliness,
        }),
    };
    let mut s = proposed_complaint(0);
    assert_eq!(
        step(&mut s, HEAD, resolve("已更换")),
        Ok(CaseState::Resolved)
    );
    assert_eq!(
        step(&mut s, STAFF, rated(4, 6, 3)),
        Err("workflow.satisfaction_out_of_range")
    );
    assert_eq!(
        step(&mut s, STAFF, rated(4, 5, 3)),
        Ok(CaseState::FollowedUp)
    );
    let case = s.case();
    assert_eq!(
        case.follow_ups.last().and_then(|f| f.ratings),
        Some(Ratings {
            result: 4,
            attitude: 5,
            timeliness: 3
        })
    );
}

#[test]
fn an_anonymous_complaint_without_a_phone_closes_once_resolved() {
    let mut s = Sim::new();
    for role in Role::ALL {
        s.device(role);
    }
    let at = local(2026, 3, 2, 9, 0);
    let mut reg = common::registration(CaseKind::Complaint, Channel::ComplaintBook, at);
    reg.complainant = Complainant {
        name: String::new(),
        phone: None,
        anonymous: true,
    };
    s.act_expecting(STAFF, at, Action::Register(reg), None);
    assert!(s.case().violations.is_empty());
    assert_eq!(
        step(&mut s, MANAGER, assess(Severity::General, Validity::Valid)),
        Ok(CaseState::Assessed)
    );
    work_to_resolution(&mut s, "已整改");
    // Nobody can be told or called back: no such clocks run late.
    let clocks: Vec<_> = s.case().deadlines.iter().map(|d| d.clock).collect();
    assert!(
        !clocks.contains(&shared::deadline::Clock::Feedback)
            && !clocks.contains(&shared::deadline::Clock::FollowUpComplaint),
        "{clocks:?}"
    );
    assert_eq!(
        step(&mut s, MANAGER, close("加强巡查")),
        Ok(CaseState::Closed)
    );

    // Named complaints still need their follow-up before closing.
    let mut s = proposed_complaint(0);
    assert_eq!(
        step(&mut s, HEAD, resolve("已更换")),
        Ok(CaseState::Resolved)
    );
    assert_eq!(
        step(&mut s, MANAGER, close("加强巡查")),
        Err("workflow.not_allowed_in_state")
    );
}

#[test]
fn an_approval_decides_on_the_amount_the_approver_saw() {
    // 800 CNY proposed; the regional manager approves it offline while the
    // department head proposes 950 CNY: the approval is of 800 only.
    let mut s = proposed_complaint(80_000);
    assert_eq!(
        step(&mut s, HEAD, propose(95_000)),
        Ok(CaseState::SolutionProposed)
    );
    let approve = |fen| Action::Approve {
        approved: true,
        comment: "同意".into(),
        compensation_fen: Some(fen),
    };
    assert_eq!(
        step(&mut s, REGIONAL, approve(80_000)),
        Err("workflow.approval_amount_changed")
    );
    let case = s.case();
    let message = case.violations.last().map(|v| v.rule.message(Lang::ZhCn));
    assert_eq!(
        message.as_deref(),
        Some("审批的赔偿金额（800.00元）已被改为950.00元，请按新金额重新审批")
    );
    assert_eq!(
        case.solution.map(|x| x.approval),
        Some(ApprovalState::Pending),
        "still waiting for a decision"
    );
    assert_eq!(
        step(&mut s, REGIONAL, approve(95_000)),
        Ok(CaseState::SolutionProposed)
    );
    let case = s.case();
    assert_eq!(
        case.solution.map(|x| x.approval),
        Some(ApprovalState::Approved)
    );
    assert_eq!(case.approvals.last().map(|a| a.amount_fen), Some(95_000));
}

#[test]
fn a_change_of_the_settings_leaves_what_was_done_before_it_as_it_was_judged() {
    // 800 CNY approved by the regional manager, a callback scored 3 that
    // closed the case while 2 was the highest score that reopens.
    let mut s = proposed_complaint(80_000);
    let approve = Action::Approve {
        approved: true,
        comment: "同意".into(),
        compensation_fen: None,
    };
    assert_eq!(
        step(&mut s, REGIONAL, approve),
        Ok(CaseState::SolutionProposed)
    );
    assert_eq!(
        step(&mut s, STAFF, resolve("赔付")),
        Ok(CaseState::Resolved)
    );
    assert_eq!(step(&mut s, STAFF, follow_up(3)), Ok(CaseState::FollowedUp));
    assert_eq!(
        step(&mut s, MANAGER, close("加强巡检")),
        Ok(CaseState::Closed)
    );
    let before = s.case();

    // Months later an admin lets only the deputy GM approve 800 CNY and
    // makes a 3 reopen.
    let mut changed = s.settings.clone();
    changed.reopen_max = 3;
    changed.compensation.regional_manager_max_fen = 50_000;
    s.settings = changed.replacing(&s.settings, local(2026, 6, 1, 9, 0));
    let after = s.case();
    assert_eq!(after.state, CaseState::Closed);
    assert_eq!(after.solution, before.solution);
    assert!(after.violations.is_empty(), "{:?}", after.violations);
    assert_eq!(after.deadlines, before.deadlines);

    // A solution proposed before the change and decided after it is bound
    // by the lower limit too (from schema 7): the regional manager may no
    // longer approve it, the deputy GM may. One proposed after the change
    // needs the new limits' approver.
    let approve_by = |s: &mut Sim, dev, at| {
        s.act(
            dev,
            at,
            Action::Approve {
                approved: true,
                comment: "同意".into(),
                compensation_fen: None,
            },
        );
        s.case()
    };
    let approve = |s: &mut Sim, at| approve_by(s, REGIONAL, at);
    let mut pending = proposed_complaint(80_000);
    pending.settings = s.settings.clone();
    let case = approve(&mut pending, local(2026, 6, 2, 10, 0));
    assert_eq!(
        case.violations.last().map(|v| v.rule.code()),
        Some("workflow.approval_needs_role")
    );
    let case = approve_by(&mut pending, DEPUTY, local(2026, 6, 2, 11, 0));
    assert_eq!(
        case.solution.map(|x| x.approval),
        Some(ApprovalState::Approved)
    );

    let mut later = sim(CaseKind::Complaint);
    later.settings = s.settings.clone();
    let t = local(2026, 6, 2, 9, 0);
    for (i, (dev, action)) in [
        (MANAGER, assess(Severity::General, Validity::Valid)),
        (MANAGER, assign()),
        (HEAD, Action::Start),
        (HEAD, propose(80_000)),
    ]
    .into_iter()
    .enumerate()
    {
        later.act(dev, t + chrono::Duration::minutes(i as i64), action);
    }
    assert_eq!(
        later.case().solution.and_then(|x| x.approver_role),
        Some(Role::DeputyGm)
    );
    let case = approve(&mut later, local(2026, 6, 2, 10, 0));
    assert_eq!(
        case.violations.last().map(|v| v.rule.code()),
        Some("workflow.approval_needs_role")
    );
}

/// When and how a case was received set its deadlines: its first
/// responder (who typed them) and management may correct them; whoever
/// else works it is held to them.
#[test]
fn only_the_first_responder_and_management_move_what_clocks_count_from() {
    use shared::case::RegistrationPatch;
    use shared::id::UserId;
    use shared::workflow::{may_move_clocks, moves_clocks};
    let receiver = UserId(uuid::Uuid::from_u128(1));
    let other = UserId(uuid::Uuid::from_u128(2));
    assert!(may_move_clocks(receiver, receiver, Role::Staff));
    assert!(!may_move_clocks(receiver, other, Role::Staff));
    assert!(!may_move_clocks(receiver, other, Role::DepartmentHead));
    assert!(may_move_clocks(receiver, other, Role::Manager));
    let channel = RegistrationPatch {
        channel: Some(Channel::Letter),
        ..RegistrationPatch::default()
    };
    assert!(moves_clocks(&channel));
    let received = RegistrationPatch {
        received_at: Some(local(2026, 3, 2, 8, 0)),
        ..RegistrationPatch::default()
    };
    assert!(moves_clocks(&received));
    let content = RegistrationPatch {
        content: Some("更正".into()),
        ..RegistrationPatch::default()
    };
    assert!(!moves_clocks(&content));
}

#[test]
fn a_source_number_is_kept_as_the_hotline_writes_it_whatever_the_device_sent() {
    // A device that did not normalise it (another client, a forged op):
    // the fold keeps it as the app would, so search and the export find it.
    let mut s = Sim::new();
    s.device(Role::Staff);
    let at = local(2026, 3, 2, 9, 0);
    let mut reg = common::registration(CaseKind::Complaint, Channel::HotlineTransfer, at);
    reg.source_ref = "ｇｄ 2026 1205".into();
    s.act_expecting(STAFF, at, Action::Register(reg), None);
    assert_eq!(s.case().registration.source_ref, "GD20261205");

    let patch = shared::case::RegistrationPatch {
        source_ref: Some("gd2026 1206".into()),
        ..Default::default()
    };
    s.act(
        STAFF,
        at + chrono::Duration::minutes(5),
        Action::Edit(patch),
    );
    assert_eq!(s.case().registration.source_ref, "GD20261206");
    // The same number typed again another way is no change.
    let before = s.case().timeline.len();
    let patch = shared::case::RegistrationPatch {
        source_ref: Some("ＧＤ20261206".into()),
        ..Default::default()
    };
    s.act(
        STAFF,
        at + chrono::Duration::minutes(6),
        Action::Edit(patch),
    );
    let case = s.case();
    assert_eq!(case.registration.source_ref, "GD20261206");
    let last = case.timeline.last().expect("the edit is in the timeline");
    assert_eq!(case.timeline.len(), before + 1);
    assert!(last.changes.is_empty(), "{:?}", last.changes);
}

#[test]
fn a_conflict_is_applied_by_whom_the_action_allows_and_dismissed_by_its_author_too() {
    use shared::id::UserId;
    use shared::workflow::may_settle;
    let (author, other) = (
        UserId(uuid::Uuid::from_u128(1)),
        UserId(uuid::Uuid::from_u128(2)),
    );
    let void = |user, role, apply| {
        may_settle(
            user,
            role,
            author,
            ActionKind::Void,
            CaseKind::Complaint,
            apply,
        )
    };
    // Management voids: any of it settles a lost void either way.
    assert!(void(other, Role::Manager, true));
    assert!(void(other, Role::RegionalManager, false));
    // Staff settle no manager's void.
    assert!(!void(other, Role::Staff, true));
    assert!(!void(other, Role::Staff, false));
    // Its author, made staff since, may dismiss it, not apply it.
    assert!(void(author, Role::Staff, false));
    assert!(!void(author, Role::Staff, true));
    // A colleague settles a lost start of work, which staff take too.
    assert!(may_settle(
        other,
        Role::Staff,
        author,
        ActionKind::Start,
        CaseKind::Repair,
        true
    ));
    // Head-office quality settles no conflict, not even over its own
    // spot-check: the server sets its settlement aside.
    for apply in [true, false] {
        assert!(!may_settle(
            author,
            Role::Quality,
            author,
            ActionKind::FollowUp,
            CaseKind::Repair,
            apply
        ));
    }
}
