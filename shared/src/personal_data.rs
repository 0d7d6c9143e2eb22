//! Who sees the complainant's personal data: their name, their phone and
//! their signature, and the phone and ID-card numbers typed into free
//! text (content, notes, reasons), masked with the phone. A company setting per role
//! ([`Settings::personal_data`]); [`shown`] is the one decision, which the
//! server applies to every answer that carries a complainant (case reads,
//! lists, pull, exports, evidence downloads, the record bundle) and the app
//! to what it draws.
//!
//! The default keeps the 保密 rule of `docs/domain.md` (department heads
//! get the task, not the resident's identity; the administrator has no
//! business need), with one exception: a department head sees the phone
//! of a case they **handle**, because the 000 script has them call the
//! resident. A user handles a case when its current assignee names them,
//! or names their department.

use crate::case::{Assignee, Case};
use crate::code::coded_enum;
use crate::op::{Action, Op};
use crate::phone::mask_in_text;
use crate::role::{Role, User, mask_name, mask_phone};
use crate::settings::Settings;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

coded_enum! {
    /// How much of a complainant's personal data a role sees.
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub enum Visibility {
        /// Name and phone masked (张*, 138****5678), no signature.
        Masked = ("masked", "全部隐藏", "All masked"),
        /// The phone of the cases the user handles; otherwise masked.
        PhoneWhenHandling = ("phone_when_handling", "经办工单可见电话", "Phone on cases they handle"),
        /// The phone of every case; the name and signature masked.
        Phone = ("phone", "可见电话", "Phone"),
        /// Name, phone and signature.
        Full = ("full", "全部可见", "Everything"),
    }
}

/// The visibility of each role. Stored as a map from role code to
/// visibility code; a role missing from it has its default, so settings
/// saved before this existed, or before a role was added, still load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = std::collections::HashMap<String, Visibility>))]
#[serde(transparent)]
pub struct PersonalDataRules(BTreeMap<Role, Visibility>);

impl Default for PersonalDataRules {
    fn default() -> Self {
        PersonalDataRules(
            Role::ALL
                .iter()
                .map(|r| (*r, default_visibility(*r)))
                .collect(),
        )
    }
}

/// The default of `role` (see the module's note).
pub fn default_visibility(role: Role) -> Visibility {
    match role {
        Role::DepartmentHead => Visibility::PhoneWhenHandling,
        Role::Admin => Visibility::Masked,
        _ => Visibility::Full,
    }
}

impl PersonalDataRules {
    /// What `role` sees.
    pub fn get(&self, role: Role) -> Visibility {
        self.0
            .get(&role)
            .copied()
            .unwrap_or_else(|| default_visibility(role))
    }

    /// Sets what `role` sees.
    pub fn set(&mut self, role: Role, visibility: Visibility) {
        self.0.insert(role, visibility);
    }
}

/// What of a complainant one reader sees on one case; nothing by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shown {
    /// The name (and the complainant's signature, which identifies them
    /// as much).
    pub name: bool,
    /// The phone.
    pub phone: bool,
}

impl Shown {
    /// Everything.
    pub const ALL: Shown = Shown {
        name: true,
        phone: true,
    };
    /// Nothing.
    pub const NOTHING: Shown = Shown {
        name: false,
        phone: false,
    };

    /// Whether nothing is masked.
    pub fn all(self) -> bool {
        self == Shown::ALL
    }

    /// `op` with what is not shown masked.
    pub fn op(self, op: &Op) -> Op {
        let mut op = op.clone();
        match &mut op.action {
            Action::Register(reg) => self.registration(reg),
            action => {
                if let Action::Edit(patch) = action {
                    if let Some(name) = patch.complainant_name.as_mut().filter(|_| !self.name) {
                        *name = mask_name(name);
                    }
                    if let Some(Some(phone)) =
                        patch.complainant_phone.as_mut().filter(|_| !self.phone)
                    {
                        *phone = phone.masked();
                    }
                }
                if !self.phone {
                    mask_numbers(action.free_texts_mut());
                }
            }
        }
        op
    }

    /// Masks in `reg` what is not shown: the complainant, and the numbers
    /// typed into its texts (those [`Action::free_texts_mut`] gives of a
    /// registration).
    pub fn registration(self, reg: &mut crate::case::Registration) {
        if !self.name {
            reg.complainant.name = mask_name(&reg.complainant.name);
        }
        if !self.phone {
            reg.complainant.phone = reg.complainant.phone.as_ref().map(|p| p.masked());
            mask_numbers(vec![&mut reg.content, &mut reg.requested_remedy]);
        }
    }

    /// `case` with what is not shown masked, in its fields and in its
    /// timeline's changes.
    pub fn case(self, case: &Case) -> Case {
        let mut case = case.clone();
        let c = &mut case.registration.complainant;
        if !self.name {
            c.name = mask_name(&c.name);
        }
        if !self.phone {
            c.phone = c.phone.as_ref().map(|p| p.masked());
        }
        for change in case.timeline.iter_mut().flat_map(|t| t.changes.iter_mut()) {
            let mask: fn(&str) -> String = match &*change.field {
                "complainant_name" if !self.name => mask_name,
                "complainant_phone" if !self.phone => mask_phone,
                _ => continue,
            };
            change.from = change.from.as_deref().map(mask);
            change.to = change.to.as_deref().map(mask);
        }
        if !self.phone {
            mask_numbers(case.free_texts_mut());
        }
        case
    }
}

/// Masks the phone and ID-card numbers typed into `texts`
/// ([`crate::phone::mask_in_text`]): a reader who sees the complainant's
/// phone masked would otherwise read it in the content or a note.
fn mask_numbers(texts: Vec<&mut String>) {
    for text in texts {
        if let Cow::Owned(masked) = mask_in_text(text) {
            *text = masked;
        }
    }
}

/// Whether `user` handles `case`: its current assignee names them, or
/// their department.
pub fn handles(user: &User, case: &Case) -> bool {
    case.assignee.as_ref().is_some_and(|a| named(user, a))
}

/// Whether `assignee` names `user`, or their department.
pub fn named(user: &User, assignee: &Assignee) -> bool {
    assignee.user == Some(user.id)
        || user
            .department
            .as_deref()
            .is_some_and(|d| !d.is_empty() && d == assignee.department)
}

/// What `user` sees of the complainant of `case`, under the company's
/// settings. Without a case (a list row, a report, an export of many
/// cases) only what the role sees of every case is shown.
pub fn shown(settings: &Settings, user: &User, case: Option<&Case>) -> Shown {
    match settings.personal_data.get(user.role) {
        Visibility::Full => Shown::ALL,
        Visibility::Phone => Shown {
            name: false,
            phone: true,
        },
        Visibility::PhoneWhenHandling if case.is_some_and(|c| handles(user, c)) => Shown {
            name: false,
            phone: true,
        },
        Visibility::PhoneWhenHandling | Visibility::Masked => Shown::NOTHING,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Assignee;
    use crate::id::{PropertyId, UserId};
    use crate::role::Role;
    use crate::sim::Fleet;

    fn user(role: Role, department: Option<&str>) -> User {
        User {
            id: UserId(uuid::Uuid::from_u128(role as u128 + 1)),
            login: "u".into(),
            display_name: "U".into(),
            role,
            properties: Vec::new(),
            department: department.map(Into::into),
            active: true,
        }
    }

    fn case() -> Case {
        let mut fleet = Fleet::new(&[(Role::Staff, 0)], PropertyId(uuid::Uuid::from_u128(7)), 0);
        let op = fleet.register(0, "2026-03-02T01:00:00Z".parse().unwrap(), 0);
        crate::fold::fold(&[op], fleet.ctx()).unwrap()
    }

    #[test]
    fn a_department_head_assigns_only_what_they_handle_or_no_one_has() {
        use crate::workflow::may_assign;
        let settings = Settings::default();
        let head = user(Role::DepartmentHead, Some("工程部"));
        let to = |department: &str, user: Option<UserId>| Assignee {
            department: department.into(),
            user,
            name: "X".into(),
        };
        assert!(may_assign(&head, None, &settings), "given to no one yet");
        assert!(
            may_assign(&head, Some(&to("工程部", None)), &settings),
            "their department"
        );
        assert!(
            may_assign(&head, Some(&to("保洁部", Some(head.id))), &settings),
            "them"
        );
        // Another department's case would show them its phone.
        assert!(!may_assign(&head, Some(&to("保洁部", None)), &settings));
        let no_department = user(Role::DepartmentHead, None);
        assert!(!may_assign(&no_department, Some(&to("", None)), &settings));
        for role in [Role::Staff, Role::Manager, Role::Gm] {
            assert!(may_assign(
                &user(role, Some("工程部")),
                Some(&to("保洁部", None)),
                &settings
            ));
        }
        // A role the company shows the phone only on the cases it
        // handles passes on only those, as a department head does: one
        // taking any case would see any phone.
        let mut handling = settings.clone();
        handling
            .personal_data
            .set(Role::Staff, Visibility::PhoneWhenHandling);
        let staff = user(Role::Staff, Some("客服部"));
        assert!(!may_assign(&staff, Some(&to("工程部", None)), &handling));
        assert!(may_assign(&staff, None, &handling));
        assert!(may_assign(&staff, Some(&to("客服部", None)), &handling));
        // Management moves another department's work, whatever it is shown.
        handling
            .personal_data
            .set(Role::Manager, Visibility::PhoneWhenHandling);
        assert!(may_assign(
            &user(Role::Manager, None),
            Some(&to("工程部", None)),
            &handling
        ));
    }

    #[test]
    fn by_default_only_a_handling_department_head_sees_the_phone() {
        let s = Settings::default();
        let mut c = case();
        for role in [
            Role::Staff,
            Role::Manager,
            Role::RegionalManager,
            Role::DeputyGm,
            Role::Gm,
            Role::Quality,
        ] {
            assert_eq!(shown(&s, &user(role, None), Some(&c)), Shown::ALL);
            assert_eq!(shown(&s, &user(role, None), None), Shown::ALL);
        }
        assert_eq!(
            shown(&s, &user(Role::Admin, None), Some(&c)),
            Shown::NOTHING
        );
        let head = user(Role::DepartmentHead, Some("工程部"));
        assert_eq!(shown(&s, &head, Some(&c)), Shown::NOTHING, "not assigned");
        let phone_only = Shown {
            name: false,
            phone: true,
        };
        c.assignee = Some(Assignee {
            department: "保洁部".into(),
            user: Some(head.id),
            name: "主管".into(),
        });
        assert_eq!(shown(&s, &head, Some(&c)), phone_only, "assigned to them");
        assert_eq!(shown(&s, &head, None), Shown::NOTHING, "no case, no phone");
        c.assignee = Some(Assignee {
            department: "工程部".into(),
            user: None,
            name: "张工".into(),
        });
        assert_eq!(shown(&s, &head, Some(&c)), phone_only, "their department");
        let other = user(Role::DepartmentHead, Some("绿化部"));
        assert_eq!(shown(&s, &other, Some(&c)), Shown::NOTHING);
    }

    #[test]
    fn the_setting_changes_what_a_role_sees() {
        let mut s = Settings::default();
        s.personal_data.set(Role::Staff, Visibility::Phone);
        s.personal_data.set(Role::DepartmentHead, Visibility::Full);
        let c = case();
        assert!(shown(&s, &user(Role::Staff, None), Some(&c)).phone);
        assert!(!shown(&s, &user(Role::Staff, None), Some(&c)).name);
        assert_eq!(
            shown(&s, &user(Role::DepartmentHead, None), Some(&c)),
            Shown::ALL
        );
    }

    #[test]
    fn settings_without_the_field_or_a_role_load_with_the_defaults() {
        let mut json = serde_json::to_value(Settings::default()).unwrap();
        json.as_object_mut().unwrap().remove("personal_data");
        let s: Settings = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(s.personal_data, PersonalDataRules::default());
        json["personal_data"] = serde_json::json!({ "staff": "phone" });
        let s: Settings = serde_json::from_value(json).unwrap();
        assert_eq!(s.personal_data.get(Role::Staff), Visibility::Phone);
        assert_eq!(s.personal_data.get(Role::Admin), Visibility::Masked);
    }

    #[test]
    fn masking_follows_what_is_shown() {
        let c = case();
        let phone = c.registration.complainant.phone.clone().unwrap();
        let name = c.registration.complainant.name.clone();
        let only_phone = Shown {
            name: false,
            phone: true,
        }
        .case(&c);
        assert_eq!(
            only_phone.registration.complainant.phone,
            Some(phone.clone())
        );
        assert_ne!(only_phone.registration.complainant.name, name);
        let nothing = Shown::NOTHING.case(&c);
        assert_ne!(nothing.registration.complainant.name, name);
        assert_eq!(Shown::ALL.case(&c), c);
        assert_ne!(
            Shown::NOTHING.case(&c).registration.complainant.phone,
            Some(phone)
        );
    }

    /// A reader who sees the numbers masked corrects the content, and
    /// assesses again from the reason, as they read them: the fold keeps
    /// the numbers they typed over unseen.
    #[test]
    fn a_text_saved_as_read_masked_keeps_its_numbers() {
        use crate::case::{CaseState, RegistrationPatch, Severity, Validity};
        use crate::op::Action;
        const CONTENT: &str = "业主李先生 139 1234 5678 反映楼上漏水";
        const REASON: &str = "已向业主13987654321核实";
        let mut fleet = Fleet::new(
            &[(Role::Manager, 0)],
            PropertyId(uuid::Uuid::from_u128(7)),
            0,
        );
        let mut register = fleet.register(0, "2026-03-02T01:00:00Z".parse().unwrap(), 0);
        let Action::Register(reg) = &mut register.action else {
            panic!("a registration");
        };
        reg.content = CONTENT.into();
        let kind = reg.kind;
        let mut ops = vec![register.clone()];
        let mut next = |action: Action, expected: Option<CaseState>| {
            let mut op = ops.last().unwrap().clone();
            op.id = crate::id::OpId(uuid::Uuid::from_u128(100 + ops.len() as u128));
            op.seq += 1;
            op.hlc.counter += 1;
            op.expected_state = expected;
            op.action = action;
            ops.push(op);
        };
        let hidden = Shown::NOTHING;
        let read = hidden.case(&crate::fold::fold(&[register.clone()], fleet.ctx()).unwrap());
        next(
            Action::Edit(RegistrationPatch {
                content: Some(format!("{}，水已关", read.registration.content)),
                ..Default::default()
            }),
            None,
        );
        // A colleague who sees it takes the number out of the content.
        next(
            Action::Edit(RegistrationPatch {
                content: Some("楼上漏水，水已关".into()),
                ..Default::default()
            }),
            None,
        );
        // The number moved to the remedy as read: restored from the
        // content it was in before.
        next(
            Action::Edit(RegistrationPatch {
                requested_remedy: Some("请回电 139 **** 5678".into()),
                ..Default::default()
            }),
            None,
        );
        let assess = |reason: String| Action::Assess {
            severity: Severity::General,
            urgent: false,
            validity: Validity::Valid,
            reason,
            respondent: String::new(),
            respondent_department: String::new(),
        };
        let expected = match kind {
            crate::case::CaseKind::Complaint | crate::case::CaseKind::Repair => {
                Some(CaseState::Registered)
            }
            _ => None,
        };
        next(assess(REASON.into()), expected);
        next(
            assess(format!("{}，属实", "已向业主139****4321核实")),
            Some(CaseState::Assessed),
        );
        let case = crate::fold::fold(&ops, fleet.ctx()).unwrap();
        assert_eq!(case.registration.content, "楼上漏水，水已关");
        let first = &case.timeline[1].changes[0];
        assert_eq!(
            first.to.as_deref(),
            Some(format!("{CONTENT}，水已关").as_str())
        );
        assert_eq!(case.registration.requested_remedy, "请回电 139 1234 5678");
        assert_eq!(
            case.assessment.as_ref().map(|a| a.reason.as_str()),
            Some(format!("{REASON}，属实").as_str()),
            "{:?}",
            case.violations
        );
        // So does a server, which resumes the fold from the case it stored
        // without its history, wherever the ops are cut.
        for cut in 1..ops.len() {
            let mut stored = crate::fold::fold_resumable(&ops[..cut], fleet.ctx()).unwrap();
            stored.case.timeline.clear();
            stored.case.notes.clear();
            let resumed = crate::fold::resume(stored, &ops[cut..], fleet.ctx()).unwrap();
            assert_eq!(resumed.case.registration, case.registration, "cut at {cut}");
            assert_eq!(resumed.case.assessment, case.assessment, "cut at {cut}");
        }
    }

    #[test]
    fn a_number_typed_into_free_text_is_masked_with_the_phone() {
        use crate::case::NoteKind;
        use crate::op::Action;
        let mut fleet = Fleet::new(&[(Role::Staff, 0)], PropertyId(uuid::Uuid::from_u128(7)), 0);
        let mut register = fleet.register(0, "2026-03-02T01:00:00Z".parse().unwrap(), 0);
        if let Action::Register(reg) = &mut register.action {
            reg.content = "业主李先生 139 1234 5678 反映楼上漏水".into();
        }
        let mut note = register.clone();
        note.id = crate::id::OpId(uuid::Uuid::from_u128(99));
        note.seq += 1;
        note.hlc.counter += 1;
        note.action = Action::Note {
            note_kind: NoteKind::General,
            text: "已致电13987654321，约明早上门".into(),
        };
        let c = crate::fold::fold(&[register.clone(), note.clone()], fleet.ctx()).unwrap();
        let hidden = Shown {
            name: true,
            phone: false,
        };
        let masked = hidden.case(&c);
        assert_eq!(
            masked.registration.content,
            "业主李先生 139 **** 5678 反映楼上漏水"
        );
        assert_eq!(masked.notes[0].text, "已致电139****4321，约明早上门");
        let in_timeline: Vec<&str> = masked
            .timeline
            .iter()
            .flat_map(|t| &t.changes)
            .filter(|ch| ch.field == "note")
            .filter_map(|ch| ch.to.as_deref())
            .collect();
        assert_eq!(in_timeline, ["已致电139****4321，约明早上门"]);
        let Action::Note { text, .. } = hidden.op(&note).action else {
            panic!("a note stays a note");
        };
        assert_eq!(text, "已致电139****4321，约明早上门");
        let Action::Register(reg) = hidden.op(&register).action else {
            panic!("a registration stays one");
        };
        assert_eq!(reg.content, "业主李先生 139 **** 5678 反映楼上漏水");
        // Seen with the phone, the texts are as typed.
        let seen = Shown {
            name: false,
            phone: true,
        };
        assert_eq!(seen.case(&c).registration.content, c.registration.content);
        assert_eq!(seen.op(&note), note);

        // A file named after the resident: its name is masked too.
        let mut attach = note.clone();
        attach.id = crate::id::OpId(uuid::Uuid::from_u128(100));
        attach.seq += 1;
        attach.hlc.counter += 1;
        attach.action = Action::Attach {
            id: crate::id::AttachmentId(uuid::Uuid::from_u128(5)),
            attachment_kind: crate::case::AttachmentKind::Document,
            name: "业主13987654321来信.pdf".into(),
            mime: "application/pdf".into(),
            size: 2048,
            hash: Some(crate::blob::BlobHash::of(b"letter")),
            caption: String::new(),
            thumbnail: None,
        };
        let c = crate::fold::fold(&[register, note, attach.clone()], fleet.ctx()).unwrap();
        let masked = hidden.case(&c);
        assert_eq!(masked.attachments[0].name, "业主139****4321来信.pdf");
        let named: Vec<&str> = masked
            .timeline
            .iter()
            .flat_map(|t| &t.changes)
            .filter(|ch| ch.field == "attachment")
            .filter_map(|ch| ch.to.as_deref())
            .collect();
        assert_eq!(named, ["业主139****4321来信.pdf"]);
        let Action::Attach { name, .. } = hidden.op(&attach).action else {
            panic!("an attachment stays one");
        };
        assert_eq!(name, "业主139****4321来信.pdf");
        assert_eq!(seen.case(&c).attachments[0].name, "业主13987654321来信.pdf");
    }
}
