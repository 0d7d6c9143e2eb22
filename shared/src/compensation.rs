//! Who may approve a compensation, by amount.
//!
//! Amounts are integer fen (分) so that no float ever decides an approval.
//! Defaults: up to 1,000 CNY the regional manager, up to 3,000 CNY the deputy
//! GM, above that the GM. A higher role may always approve a smaller amount.

use crate::role::Role;
use serde::{Deserialize, Serialize};

/// The approval limits, in fen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CompensationLimits {
    /// The regional manager approves amounts up to and including this.
    pub regional_manager_max_fen: i64,
    /// The deputy GM approves amounts up to and including this.
    pub deputy_gm_max_fen: i64,
}

impl Default for CompensationLimits {
    fn default() -> Self {
        CompensationLimits {
            regional_manager_max_fen: 100_000,
            deputy_gm_max_fen: 300_000,
        }
    }
}

/// The approval ladder, lowest first.
const LADDER: [Role; 3] = [Role::RegionalManager, Role::DeputyGm, Role::Gm];

impl CompensationLimits {
    /// The lowest role that may approve `amount_fen`.
    pub fn required_role(&self, amount_fen: i64) -> Role {
        if amount_fen <= self.regional_manager_max_fen {
            Role::RegionalManager
        } else if amount_fen <= self.deputy_gm_max_fen {
            Role::DeputyGm
        } else {
            Role::Gm
        }
    }

    /// Whether `role` may approve `amount_fen`: the required role or any
    /// role above it on the ladder.
    pub fn may_approve(&self, role: Role, amount_fen: i64) -> bool {
        let rank = |r: Role| LADDER.iter().position(|l| *l == r);
        match (rank(role), rank(self.required_role(amount_fen))) {
            (Some(have), Some(need)) => have >= need,
            _ => false,
        }
    }
}

/// Formats fen as yuan with two decimals (`1234.50`).
pub fn format_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(role: Role, yuan: i64, expected: bool) {
        let limits = CompensationLimits::default();
        assert_eq!(
            limits.may_approve(role, yuan * 100),
            expected,
            "{role:?} {yuan}"
        );
    }

    #[test]
    fn approval_ladder() {
        check(Role::RegionalManager, 1, true);
        check(Role::RegionalManager, 1000, true);
        check(Role::RegionalManager, 1001, false);
        check(Role::DeputyGm, 1001, true);
        check(Role::DeputyGm, 3000, true);
        check(Role::DeputyGm, 3001, false);
        check(Role::Gm, 3001, true);
        check(Role::Gm, 1, true);
        check(Role::DeputyGm, 500, true);
        check(Role::Manager, 1, false);
        check(Role::Staff, 1, false);
        check(Role::Quality, 1, false);
        check(Role::Admin, 1, false);
    }

    #[test]
    fn yuan_formatting() {
        assert_eq!(format_yuan(123_450), "1234.50");
        assert_eq!(format_yuan(5), "0.05");
        assert_eq!(format_yuan(-100), "-1.00");
    }
}
