//! Who may approve a compensation, by amount.
//!
//! Amounts are integer fen (分) so that no float ever decides an approval.
//! Defaults: up to 1,000 CNY the regional manager, up to 3,000 CNY the deputy
//! GM, above that the GM. A higher role may always approve a smaller amount.

use crate::role::Role;
use serde::{Deserialize, Serialize};

/// The approval limits, in fen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// Parses yuan as typed (`1000`, `1000.5`, ` 12.34 `) into fen: digits
/// with at most two decimals. Also as a Chinese keyboard types them: full
/// width (`２００`), `。` for the point, thousands separated by commas
/// (`1,000`, `1，000`) and `元` or `¥` written with the amount. Integer
/// arithmetic only, so no float ever decides an amount or a limit.
pub fn parse_yuan(input: &str) -> Option<i64> {
    let folded = crate::search::fold(input).replace('。', ".");
    let s = folded
        .trim()
        .trim_start_matches(['¥', '￥'])
        .trim_end_matches('元')
        .trim();
    let s = thousands(s)?;
    let s = s.as_str();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || frac.len() > 2 || !digits(frac) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac)
}

/// `s` without the commas that separate thousands (`1,000.5`); `None`
/// when a comma stands anywhere else (`12,50` is no amount).
pub(crate) fn thousands(s: &str) -> Option<String> {
    let (whole, frac) = s.split_once('.').map_or((s, None), |(w, f)| (w, Some(f)));
    let mut groups = whole.split(',');
    let first = groups.next().unwrap_or_default();
    let rest: Vec<&str> = groups.collect();
    if !rest.is_empty()
        && (first.is_empty() || first.len() > 3 || rest.iter().any(|g| g.len() != 3))
    {
        return None;
    }
    if frac.is_some_and(|f| f.contains(',')) {
        return None;
    }
    let whole: String = std::iter::once(first).chain(rest).collect();
    Some(match frac {
        Some(f) => format!("{whole}.{f}"),
        None => whole,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_parses_to_fen() {
        let check = |s: &str, want: Option<i64>| assert_eq!(parse_yuan(s), want, "{s:?}");
        check("1000", Some(100_000));
        check("1000.5", Some(100_050));
        check(" 12.34 ", Some(1234));
        check("0.05", Some(5));
        check("", None);
        check(".5", None);
        check("1.234", None);
        check("-1", None);
        check("1e3", None);
        check("99999999999999999999", None);
        check("２００。５", Some(20_050));
        check("1,000", Some(100_000));
        check("1，000元", Some(100_000));
        check("¥12.5", Some(1250));
        check("元", None);
        check("10,000.5", Some(1_000_050));
        check("12,50", None);
        check("1，5", None);
        check(",100", None);
        check("1,000,00", None);
        check("1.2.3", None);
    }

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
