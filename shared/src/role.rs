//! Roles, users and property scope.
//!
//! A user acts in exactly one role. Staff-level roles see only the properties
//! they belong to; `quality`, `gm` and `admin` see every property. Personal
//! data of complainants (name, phone) is shown only to roles that need it to
//! work the case.

use crate::code::coded_enum;
use crate::id::{PropertyId, UserId};
use serde::{Deserialize, Serialize};

coded_enum! {
    /// A role from docs/domain.md.
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub enum Role {
        /// 物管员 / 客服专员: registers cases, first responder, follow-up calls.
        Staff = ("staff", "物管员", "Staff"),
        /// 责任部门主管: investigates and proposes solutions.
        DepartmentHead = ("department_head", "责任部门主管", "Department head"),
        /// 管理处主任: assesses, assigns, approves extensions.
        Manager = ("manager", "管理处主任", "Property manager"),
        /// 区域经理: approves compensation up to the first limit.
        RegionalManager = ("regional_manager", "区域经理", "Regional manager"),
        /// 分公司副总经理: approves compensation up to the second limit.
        DeputyGm = ("deputy_gm", "分公司副总经理", "Deputy general manager"),
        /// 总经理: approves any compensation; major cases.
        Gm = ("gm", "总经理", "General manager"),
        /// 总部品质部: reads everything, statistics, audits.
        Quality = ("quality", "总部品质部", "Head-office quality"),
        /// 系统管理员: users, devices, properties, settings.
        Admin = ("admin", "系统管理员", "Administrator"),
    }
}

impl Role {
    /// Whether the role sees every property regardless of membership.
    pub fn sees_all_properties(self) -> bool {
        matches!(self, Role::Quality | Role::Gm | Role::Admin)
    }

    /// Whether a user of the role needs a department: a department head
    /// handles, and sees the personal data of, the cases passed to theirs
    /// (`personal_data::named`); without one, none.
    pub fn needs_department(self) -> bool {
        self == Role::DepartmentHead
    }

    /// The management line that assesses, extends, closes and reopens:
    /// the property manager and everyone above them.
    pub fn is_management(self) -> bool {
        matches!(
            self,
            Role::Manager | Role::RegionalManager | Role::DeputyGm | Role::Gm
        )
    }

    /// Roles that work cases on site or in the office (everyone but the
    /// head-office readers and the system administrator).
    pub fn works_cases(self) -> bool {
        !matches!(self, Role::Quality | Role::Admin)
    }

    /// Roles that may be a case's first responder (首问责任人): those who
    /// make its callback and close it (staff, and management, who may
    /// register a case themselves). A department head works the cases
    /// given to their department, not the resident's callback.
    pub fn answers_first(self) -> bool {
        self == Role::Staff || self.is_management()
    }

    /// Whether the role may read head-office statistics and exports.
    pub fn reads_statistics(self) -> bool {
        self.is_management() || matches!(self, Role::Quality | Role::Admin)
    }

    /// Whether the role may draw the quarterly spot-check sample (抽查回访).
    /// The management line draws it for its properties, and head-office
    /// quality, which runs the check and records the calls, for every one.
    pub fn draws_spot_checks(self) -> bool {
        self.is_management() || self == Role::Quality
    }
}

/// A user as every device knows them: enough to show names in the timeline
/// and to check scope offline. Password hashes never leave the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// The user's id.
    pub id: UserId,
    /// The login name.
    pub login: String,
    /// The name shown in timelines and lists.
    pub display_name: String,
    /// The role the user acts in.
    pub role: Role,
    /// The properties the user belongs to (ignored for roles that see all).
    pub properties: Vec<PropertyId>,
    /// The department a department head or staff member belongs to, if any.
    #[serde(default)]
    pub department: Option<String>,
    /// Disabled users cannot log in and their tokens are refused.
    #[serde(default)]
    pub active: bool,
}

impl User {
    /// The property scope this user reads and writes in.
    pub fn scope(&self) -> Scope {
        if self.role.sees_all_properties() {
            Scope::All
        } else {
            Scope::Properties(self.properties.clone())
        }
    }

    /// Whether a case of `property` may be assigned to them: an active
    /// user of a role that works cases, who sees the property's cases (the
    /// server sends a case to nobody else). The assignment picker asks the
    /// same of a [`UserCard`](crate::wire::UserCard).
    pub fn may_be_assigned(&self, property: PropertyId) -> bool {
        self.active && self.role.works_cases() && self.scope().allows(property)
    }

    /// Whether they may be named the first responder of a case of
    /// `property`: an active user of a role that answers first
    /// ([`Role::answers_first`]), who sees the property's cases. The
    /// picker asks the same of a [`UserCard`](crate::wire::UserCard).
    pub fn may_be_first_responder(&self, property: PropertyId) -> bool {
        self.active && self.role.answers_first() && self.scope().allows(property)
    }
}

/// Which properties a user may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Every property.
    All,
    /// Only these properties.
    Properties(Vec<PropertyId>),
}

impl Scope {
    /// Whether a case of `property` is inside the scope.
    pub fn allows(&self, property: PropertyId) -> bool {
        match self {
            Scope::All => true,
            Scope::Properties(ps) => ps.contains(&property),
        }
    }
}

/// Masks a phone number, keeping the first three and the last four digits,
/// as Chinese service desks print them (138****5678).
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// Masks a person's name, keeping the family name (张**).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let rest = chars.count();
            format!("{first}{}", "*".repeat(rest.max(1)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_code(r.code()), Some(r));
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.code()));
        }
        assert_eq!(Role::from_code("boss"), None);
    }

    #[test]
    fn scope_follows_role() {
        let p1 = PropertyId(uuid::Uuid::from_u128(1));
        let p2 = PropertyId(uuid::Uuid::from_u128(2));
        let mut u = User {
            id: UserId::NIL,
            login: "a".into(),
            display_name: "A".into(),
            role: Role::Staff,
            properties: vec![p1],
            department: None,
            active: true,
        };
        assert!(u.scope().allows(p1));
        assert!(!u.scope().allows(p2));
        u.role = Role::Quality;
        assert!(u.scope().allows(p2));
        u.role = Role::Manager;
        assert!(!u.scope().allows(p2));
    }

    #[test]
    fn masking() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("010-12345678"), "010*****5678");
        assert_eq!(mask_phone("12345"), "*****");
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("王"), "王*");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn who_draws_the_spot_check() {
        let drawers: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(|r| r.draws_spot_checks())
            .collect();
        assert_eq!(
            drawers,
            [
                Role::Manager,
                Role::RegionalManager,
                Role::DeputyGm,
                Role::Gm,
                Role::Quality
            ]
        );
        assert!(Role::Quality.draws_spot_checks());
        assert!(!Role::Staff.draws_spot_checks());
        assert!(!Role::DepartmentHead.draws_spot_checks());
        assert!(!Role::Admin.draws_spot_checks());
    }
}
