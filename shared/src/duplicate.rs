//! Possible duplicates at intake: an open case of the same category from
//! the same unit or the same phone, received within the company's window
//! (`Settings::duplicate_window_days`), and any case not voided that came
//! with the same source number (来源单号: the 12345 hotline transfers an
//! order again when the resident calls it again). The tablet warns and
//! offers to link the new case to it (关联工单); it never refuses, because
//! a second complaint about the same leak may still be a new case.

use crate::case::{Case, CaseState};
use crate::id::{CaseId, PropertyId};
use crate::phone::Phone;
use crate::property::Location;
use chrono::{DateTime, Duration, Utc};

/// What is known of a case being registered (or corrected) so far.
#[derive(Debug, Clone, Copy)]
pub struct Probe<'a> {
    /// Its property.
    pub property: PropertyId,
    /// Where.
    pub location: &'a Location,
    /// The complainant's phone, once it reads as one.
    pub phone: Option<&'a Phone>,
    /// Its category code.
    pub category: &'a str,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// The number it came with (来源单号), empty when none.
    pub source_ref: &'a str,
    /// The case itself when it is being corrected: not its own duplicate.
    pub itself: Option<CaseId>,
}

/// Why an earlier case looks like the same matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Likeness {
    /// The same unit (房号).
    pub same_unit: bool,
    /// The same complainant phone.
    pub same_phone: bool,
    /// The same source number (来源单号).
    pub same_source: bool,
}

/// The cases among `cases` that look like `new`, most recent first, with
/// why: open ones by unit or phone (none with a window of 0 days), and
/// any not voided by the source number, whenever received (of those the
/// tablet holds: its user's properties).
pub fn possible_duplicates<'a>(
    new: &Probe<'_>,
    cases: impl IntoIterator<Item = &'a Case>,
    window_days: u32,
) -> Vec<(&'a Case, Likeness)> {
    let window = Duration::days(i64::from(window_days));
    let unit = matches!(new.location, Location::Unit { .. }).then_some(new.location);
    let phone = new.phone;
    // As kept, whatever the input method or another client typed.
    // As kept, and without its separators: the same hotline order is
    // written `GD-2026-1205-00123` on one case and `GD2026120500123` on
    // the next, and the list's search finds both by either.
    let source = source_key(new.source_ref);
    let mut found: Vec<(&Case, Likeness)> = cases
        .into_iter()
        .filter(|c| Some(c.id) != new.itself && c.state != CaseState::Voided)
        .filter_map(|c| {
            let r = &c.registration;
            let alike = window_days > 0
                && c.state.is_open()
                && r.property == new.property
                && r.category == new.category
                && (new.received_at - r.received_at).abs() <= window;
            let likeness = Likeness {
                same_unit: alike && unit.is_some_and(|u| *u == r.location),
                same_phone: alike && phone.is_some_and(|p| r.complainant.phone.as_ref() == Some(p)),
                same_source: source.is_some() && source_key(&r.source_ref) == source,
            };
            (likeness.same_unit || likeness.same_phone || likeness.same_source)
                .then_some((c, likeness))
        })
        .collect();
    found.sort_unstable_by(|(a, _), (b, _)| {
        b.registration
            .received_at
            .cmp(&a.registration.received_at)
            .then(a.id.cmp(&b.id))
    });
    found
}

/// The shortest source number that identifies an order: what is shorter
/// (`12345`, the hotline's own number typed for its order's) names no
/// order.
const MIN_SOURCE_CHARS: usize = 6;

/// A source number (来源单号) as compared: as kept, without separators,
/// and only if it can name one order: with a digit, and at least
/// [`MIN_SOURCE_CHARS`] long. A placeholder typed where there is none
/// (`无`, `/`, `12345`) would make every case carrying it a duplicate of
/// every other.
fn source_key(typed: &str) -> Option<String> {
    let key = crate::search::compact(&crate::case::source_ref(typed));
    (key.chars().count() >= MIN_SOURCE_CHARS && key.chars().any(|c| c.is_ascii_digit()))
        .then_some(key)
}

/// The cases that name `case` as their related case (关联工单), for
/// showing the link from both ends.
pub fn linked_from<'a>(case: &Case, cases: impl IntoIterator<Item = &'a Case>) -> Vec<&'a Case> {
    let reg_no = case.registration.reg_no.to_string();
    let mut found: Vec<&Case> = cases
        .into_iter()
        .filter(|c| c.id != case.id && c.registration.related_case.as_deref() == Some(&reg_no))
        .collect();
    found.sort_unstable_by_key(|c| (c.registration.received_at, c.id));
    found
}

/// The cases among `cases` voided as duplicates of `case` (作废, 重复登记),
/// for showing the link from the case they repeat.
pub fn voided_as_duplicates<'a>(
    case: &Case,
    cases: impl IntoIterator<Item = &'a Case>,
) -> Vec<&'a Case> {
    let reg_no = &case.registration.reg_no;
    let mut found: Vec<&Case> = cases
        .into_iter()
        .filter(|c| {
            c.id != case.id
                && c.state == CaseState::Voided
                && c.voiding
                    .as_ref()
                    .is_some_and(|v| v.duplicate_of.as_ref() == Some(reg_no))
        })
        .collect();
    found.sort_unstable_by_key(|c| (c.registration.received_at, c.id));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{CaseKind, CaseState, Channel, Registration};
    use crate::fold::fold;
    use crate::id::PropertyId;
    use crate::phone::Phone;
    use crate::role::Role;
    use crate::sim::Fleet;

    fn at(days: i64) -> DateTime<Utc> {
        "2026-03-02T01:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::days(days)
    }

    /// Registers a complaint in `unit` from `phone`, received `days` after
    /// the first of March, with `edit` applied, and folds it.
    fn case(fleet: &mut Fleet, days: i64, edit: impl FnOnce(&mut Registration)) -> Case {
        let mut op = fleet.register(0, at(days), 0);
        if let crate::op::Action::Register(r) = &mut op.action {
            r.kind = CaseKind::Complaint;
            r.channel = Channel::Phone;
            r.received_at = at(days);
            r.category = "noise".into();
            r.complainant.phone = Phone::parse("13800000000").ok();
            edit(r);
        }
        fold(&[op], fleet.ctx()).unwrap()
    }

    fn probe(c: &Case, itself: bool) -> Probe<'_> {
        let r = &c.registration;
        Probe {
            property: r.property,
            location: &r.location,
            phone: r.complainant.phone.as_ref(),
            category: &r.category,
            received_at: r.received_at,
            source_ref: &r.source_ref,
            itself: itself.then_some(c.id),
        }
    }

    fn unit(n: u128) -> Location {
        Location::Unit {
            building: crate::id::BuildingId(uuid::Uuid::from_u128(1)),
            unit: crate::id::UnitId(uuid::Uuid::from_u128(n)),
        }
    }

    #[test]
    fn same_unit_or_phone_same_category_open_and_recent() {
        let mut fleet = Fleet::new(&[(Role::Staff, 0)], PropertyId(uuid::Uuid::from_u128(7)), 0);
        let other_phone =
            |r: &mut Registration| r.complainant.phone = Phone::parse("13900000000").ok();
        let earlier = [
            // The same unit, another phone: a neighbour in the same flat.
            case(&mut fleet, 0, |r| {
                r.location = unit(101);
                other_phone(r);
            }),
            // The same phone, another unit.
            case(&mut fleet, 5, |r| r.location = unit(102)),
            // Another category.
            case(&mut fleet, 6, |r| {
                r.location = unit(101);
                r.category = "parking".into();
            }),
            // Too long ago.
            case(&mut fleet, -40, |r| r.location = unit(101)),
            // Neither unit nor phone.
            case(&mut fleet, 7, |r| {
                r.location = unit(103);
                other_phone(r);
            }),
        ];
        let mut closed = case(&mut fleet, 8, |r| r.location = unit(101));
        closed.state = CaseState::Closed;
        let new = case(&mut fleet, 10, |r| r.location = unit(101));
        let new = probe(&new, false);
        let all: Vec<&Case> = earlier.iter().chain([&closed]).collect();
        let found = possible_duplicates(&new, all.iter().copied(), 30);
        let got: Vec<_> = found.iter().map(|(c, l)| (c.id, *l)).collect();
        assert_eq!(
            got,
            vec![
                (
                    earlier[1].id,
                    Likeness {
                        same_unit: false,
                        same_phone: true,
                        same_source: false,
                    }
                ),
                (
                    earlier[0].id,
                    Likeness {
                        same_unit: true,
                        same_phone: false,
                        same_source: false,
                    }
                ),
            ]
        );
        assert!(possible_duplicates(&new, all.iter().copied(), 0).is_empty());
        // The case being corrected is not its own duplicate.
        assert!(possible_duplicates(&probe(&earlier[1], true), [&earlier[1]], 30).is_empty());
    }

    /// The hotline transfers an order again when the resident calls it
    /// again: the case that came with its number is found whatever its
    /// state, category, unit or date, unless voided.
    #[test]
    fn the_same_source_number_is_found_whenever_received() {
        let mut fleet = Fleet::new(&[(Role::Staff, 0)], PropertyId(uuid::Uuid::from_u128(7)), 0);
        let numbered = |r: &mut Registration| {
            r.channel = Channel::HotlineTransfer;
            r.source_ref = "GD2026120500123".into();
            r.category = "parking".into();
            r.location = unit(201);
            r.complainant.phone = None;
        };
        let mut closed = case(&mut fleet, -90, numbered);
        closed.state = CaseState::Closed;
        let mut voided = case(&mut fleet, 1, numbered);
        voided.state = CaseState::Voided;
        let other = case(&mut fleet, 2, |r| {
            numbered(r);
            r.source_ref = "GD2026120500124".into();
        });
        // Read out over the phone and typed in full width, lower case.
        let new = case(&mut fleet, 10, |r| {
            r.source_ref = " ｇｄ2026120500123 ".into();
            r.location = unit(101);
        });
        let all = [&closed, &voided, &other];
        let found: Vec<_> = possible_duplicates(&probe(&new, false), all, 0)
            .iter()
            .map(|(c, l)| (c.id, l.same_source, l.same_unit || l.same_phone))
            .collect();
        assert_eq!(found, vec![(closed.id, true, false)]);
        // Written with the hotline's dashes on one, without on the other.
        let dashed = case(&mut fleet, 11, |r| {
            r.source_ref = "GD-2026-1205-00123".into();
            r.location = unit(101);
        });
        let found = possible_duplicates(&probe(&dashed, false), all, 0);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0.id, closed.id);
        assert_eq!(
            crate::case::source_ref(" ｇｄ 2026 1205\u{3000}"),
            "GD20261205"
        );
        // Without a number, nothing is found by an empty one.
        let plain = case(&mut fleet, 10, |r| r.location = unit(101));
        let unnumbered = case(&mut fleet, 3, |r| r.location = unit(301));
        assert!(possible_duplicates(&probe(&plain, false), [&unnumbered], 0).is_empty());
        // Nor by a placeholder typed where there is no order number: the
        // hotline's own number, 无, a slash.
        for placeholder in ["12345", "无", "/", "-", "GD-1"] {
            let earlier = case(&mut fleet, 3, |r| {
                r.source_ref = placeholder.into();
                r.location = unit(301);
            });
            let again = case(&mut fleet, 10, |r| {
                r.source_ref = placeholder.into();
                r.location = unit(101);
            });
            assert!(
                possible_duplicates(&probe(&again, false), [&earlier], 0).is_empty(),
                "{placeholder}"
            );
        }
    }

    #[test]
    fn a_link_is_seen_from_both_ends() {
        let mut fleet = Fleet::new(&[(Role::Staff, 0)], PropertyId(uuid::Uuid::from_u128(7)), 0);
        let first = case(&mut fleet, 0, |_| {});
        let reg_no = first.registration.reg_no.to_string();
        let second = case(&mut fleet, 1, |r| r.related_case = Some(reg_no.clone()));
        let unrelated = case(&mut fleet, 2, |_| {});
        let all = [&first, &second, &unrelated];
        let from: Vec<_> = linked_from(&first, all).iter().map(|c| c.id).collect();
        assert_eq!(from, vec![second.id]);
        assert!(linked_from(&second, all).is_empty());
    }

    #[test]
    fn a_case_lists_the_cases_voided_as_its_repeats() {
        let mut fleet = Fleet::new(&[(Role::Staff, 0)], PropertyId(uuid::Uuid::from_u128(7)), 0);
        let first = case(&mut fleet, 0, |_| {});
        let voided = |fleet: &mut Fleet, of: Option<&Case>| {
            let mut c = case(fleet, 1, |_| {});
            c.state = CaseState::Voided;
            c.voiding = Some(Box::new(crate::case::Voiding {
                from: CaseState::Registered,
                duplicate_of: of.map(|o| o.registration.reg_no.clone()),
                reason: "重复登记".into(),
                stamp: c.registered.clone(),
            }));
            c
        };
        let repeat = voided(&mut fleet, Some(&first));
        let in_error = voided(&mut fleet, None);
        let all = [&first, &repeat, &in_error];
        let found: Vec<_> = voided_as_duplicates(&first, all)
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(found, vec![repeat.id]);
        assert!(voided_as_duplicates(&repeat, all).is_empty());
    }
}
