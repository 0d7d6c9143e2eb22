//! The settings a case is judged by, and those it was judged by before a
//! change. A change of the settings applies to what is done after it: a
//! follow-up scored 3 closed a case while 2 was the highest score that
//! reopens, and it still does after an admin raises that to 3; a deadline
//! promised at registration keeps the rule it was promised under; a
//! compensation approved within the limits stays approved when they are
//! lowered; a photo taken offline under a 10 MiB limit is taken when the
//! limit was lowered to 5 MiB before the tablet synced. So each op is judged by the rules in force at its time, and
//! each clock by those in force when it started (`fold`).
//!
//! The server keeps the earlier rules in the settings themselves
//! ([`Settings::earlier_rules`]), so they travel to every tablet with the
//! settings and its fold judges old cases as head office's does. The
//! calendar is not versioned: a holiday announced later is a fact about
//! the days, not a change of policy.

use super::{AttachmentLimits, Settings};
use crate::compensation::CompensationLimits;
use crate::deadline::DeadlineSettings;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The rules a case is judged by at one moment: the part of the settings
/// the fold and the workflow read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules<'a> {
    /// The company timezone's name.
    pub timezone: &'a str,
    /// The deadline rules.
    pub deadlines: &'a DeadlineSettings,
    /// The compensation approval limits.
    pub compensation: &'a CompensationLimits,
    /// The highest satisfaction score that reopens the case.
    pub reopen_max: u8,
    /// How large evidence may be.
    pub attachments: &'a AttachmentLimits,
}

impl Rules<'_> {
    /// The timezone, one of [`super::TIMEZONES`] ([`zone_of`]).
    pub fn tz(&self) -> Tz {
        zone_of(self.timezone)
    }
}

/// The zone a stored name means, read alike by the server and the tablet,
/// whose build carries only [`super::TIMEZONES`]: one of those, the other
/// names of the same zones (saved before the list was kept, and never
/// checked again), and Asia/Shanghai for any other name, which a
/// server reading it with the full table would otherwise take for a
/// zone the tablets know nothing of (a case registered after local
/// midnight would carry another day in its number than the server's).
pub fn zone_of(name: &str) -> Tz {
    use chrono_tz::Asia;
    match name {
        "Asia/Urumqi" | "Asia/Kashgar" => Asia::Urumqi,
        "Asia/Hong_Kong" | "Hongkong" => Asia::Hong_Kong,
        "Asia/Macau" | "Asia/Macao" => Asia::Macau,
        "Asia/Taipei" | "ROC" => Asia::Taipei,
        "UTC" | "Etc/UTC" | "Etc/UCT" | "UCT" | "Etc/Universal" | "Universal" | "Etc/Zulu"
        | "Zulu" | "Etc/GMT" | "GMT" | "Etc/Greenwich" | "Greenwich" | "Etc/GMT0" | "GMT0" => {
            Tz::UTC
        }
        _ => Asia::Shanghai,
    }
}

/// Rules replaced by a save of the settings, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EarlierRules {
    /// The server's time of the save that replaced them: they judge what
    /// was done before it.
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub until: DateTime<Utc>,
    /// [`Settings::timezone`] then.
    pub timezone: String,
    /// [`Settings::deadlines`] then.
    pub deadlines: DeadlineSettings,
    /// [`Settings::compensation`] then.
    pub compensation: CompensationLimits,
    /// [`Settings::reopen_max`] then.
    pub reopen_max: u8,
    /// [`Settings::attachments`] then; none in rules replaced before the
    /// limits were kept here, which judge by the current ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<AttachmentLimits>,
}

impl EarlierRules {
    fn rules<'a>(&'a self, current: &'a AttachmentLimits) -> Rules<'a> {
        Rules {
            timezone: &self.timezone,
            deadlines: &self.deadlines,
            compensation: &self.compensation,
            reopen_max: self.reopen_max,
            attachments: self.attachments.as_ref().unwrap_or(current),
        }
    }
}

impl Settings {
    /// The rules in force now, for what is about to be done.
    pub fn rules(&self) -> Rules<'_> {
        Rules {
            timezone: &self.timezone,
            deadlines: &self.deadlines,
            compensation: &self.compensation,
            reopen_max: self.reopen_max,
            attachments: &self.attachments,
        }
    }

    /// The rules in force at `at`: the earliest replaced rules whose end
    /// is after it, or the current ones.
    pub fn rules_at(&self, at: DateTime<Utc>) -> Rules<'_> {
        self.earlier_rules
            .iter()
            .find(|e| at < e.until)
            .map_or_else(|| self.rules(), |e| e.rules(&self.attachments))
    }

    /// The days a case registered at `at` may carry in its number: its
    /// date in the timezone in force then, or in one replaced before it.
    /// A tablet numbers by the timezone it last heard of, and one that had
    /// not heard of a change numbered a case after local midnight by the
    /// old zone's day; that number is the resident's, and stands.
    pub fn numbering_days_at(&self, at: DateTime<Utc>) -> Vec<chrono::NaiveDate> {
        let mut days = vec![at.with_timezone(&self.rules_at(at).tz()).date_naive()];
        for e in self.earlier_rules.iter().filter(|e| e.until <= at) {
            let day = at.with_timezone(&zone_of(&e.timezone)).date_naive();
            if !days.contains(&day) {
                days.push(day);
            }
        }
        days
    }

    /// The evidence sizes an op made at `at` may have: the larger of the
    /// limits then and now. Lowered since, the limits of its time keep what
    /// was allowed when it was recorded; raised since, the op an admin
    /// re-applies from quarantine, or one whose tablet's clock ran behind,
    /// is taken under the larger limits the company now allows.
    pub fn attachment_limits_for(&self, at: DateTime<Utc>) -> AttachmentLimits {
        let then = self.rules_at(at).attachments;
        let now = &self.attachments;
        AttachmentLimits {
            max_blob_bytes: then.max_blob_bytes.max(now.max_blob_bytes),
            max_case_bytes: then.max_case_bytes.max(now.max_case_bytes),
            keep_original_photos: now.keep_original_photos,
        }
    }

    /// These settings, about to replace `stored` at the server's `now`,
    /// with the rules history kept by the server: `stored`'s, and
    /// `stored`'s current rules ending now when these change them. What a
    /// client sent as history is ignored.
    pub fn replacing(mut self, stored: &Settings, now: DateTime<Utc>) -> Settings {
        self.earlier_rules = stored.earlier_rules.clone();
        if self.rules() != stored.rules() {
            // A server clock set back must not make the history go back.
            let until = stored
                .earlier_rules
                .last()
                .map_or(now, |last| last.until.max(now));
            self.earlier_rules.push(EarlierRules {
                until,
                timezone: stored.timezone.clone(),
                deadlines: stored.deadlines.clone(),
                compensation: stored.compensation.clone(),
                reopen_max: stored.reopen_max,
                attachments: Some(stored.attachments.clone()),
            });
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("a time")
    }

    #[test]
    fn a_change_of_the_rules_judges_only_what_comes_after_it() {
        let first = Settings::default();
        let mut second = first.clone();
        second.reopen_max = 3;
        second.satisfied_min = 4;
        let second = second.replacing(&first, at("2026-03-01T00:00:00Z"));
        let mut third = second.clone();
        third.compensation.regional_manager_max_fen = 1;
        let third = third.replacing(&second, at("2026-06-01T00:00:00Z"));

        assert_eq!(third.earlier_rules.len(), 2);
        assert_eq!(third.rules_at(at("2026-02-28T23:59:59Z")).reopen_max, 2);
        assert_eq!(third.rules_at(at("2026-03-01T00:00:00Z")).reopen_max, 3);
        assert_eq!(
            third
                .rules_at(at("2026-05-31T00:00:00Z"))
                .compensation
                .regional_manager_max_fen,
            first.compensation.regional_manager_max_fen
        );
        assert_eq!(
            third
                .rules_at(at("2026-06-01T00:00:00Z"))
                .compensation
                .regional_manager_max_fen,
            1
        );
        assert_eq!(third.rules_at(at("2027-01-01T00:00:00Z")), third.rules());
    }

    #[test]
    fn a_case_numbered_by_a_timezone_replaced_since_keeps_its_day() {
        let first = Settings::default();
        let mut second = first.clone();
        second.timezone = "Asia/Urumqi".into();
        let second = second.replacing(&first, at("2026-03-01T00:00:00Z"));
        // 00:30 in Shanghai on 3 March, 22:30 in Urumqi on 2 March: a
        // tablet that had not heard of the change numbered it the 3rd.
        let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        assert_eq!(
            second.numbering_days_at(at("2026-03-02T16:30:00Z")),
            [day("2026-03-02"), day("2026-03-03")]
        );
        // Before the change, only the zone then.
        assert_eq!(
            second.numbering_days_at(at("2026-02-27T16:30:00Z")),
            [day("2026-02-28")]
        );
        // Midday: one day whichever zone.
        assert_eq!(
            second.numbering_days_at(at("2026-03-05T04:00:00Z")),
            [day("2026-03-05")]
        );
    }

    #[test]
    fn evidence_recorded_before_the_limits_were_lowered_is_judged_by_them() {
        let first = Settings::default();
        let mut second = first.clone();
        second.attachments.max_blob_bytes = 1024 * 1024;
        let second = second.replacing(&first, at("2026-03-01T00:00:00Z"));
        assert_eq!(
            second
                .rules_at(at("2026-02-28T23:59:59Z"))
                .attachments
                .max_blob_bytes,
            first.attachments.max_blob_bytes
        );
        assert_eq!(
            second
                .rules_at(at("2026-03-01T00:00:00Z"))
                .attachments
                .max_blob_bytes,
            1024 * 1024
        );
        // Raised since: the larger limit of now.
        let mut third = second.clone();
        third.attachments.max_blob_bytes = 20 * 1024 * 1024;
        let third = third.replacing(&second, at("2026-04-01T00:00:00Z"));
        assert_eq!(
            third
                .attachment_limits_for(at("2026-03-15T00:00:00Z"))
                .max_blob_bytes,
            20 * 1024 * 1024
        );
        assert_eq!(
            second
                .attachment_limits_for(at("2026-02-28T23:59:59Z"))
                .max_blob_bytes,
            first.attachments.max_blob_bytes
        );
        // Rules replaced before the limits were kept judge by today's.
        let mut older = second.clone();
        older.earlier_rules[0].attachments = None;
        let json = serde_json::to_string(&older).unwrap();
        let read: Settings = serde_json::from_str(&json).unwrap();
        assert_eq!(
            read.rules_at(at("2026-02-28T23:59:59Z"))
                .attachments
                .max_blob_bytes,
            1024 * 1024
        );
    }

    #[test]
    fn a_save_that_leaves_the_rules_alone_adds_no_history_and_a_client_cannot_write_it() {
        let stored = Settings::default();
        let mut sent = stored.clone();
        sent.retention_years = 5;
        sent.earlier_rules.push(EarlierRules {
            until: at("2020-01-01T00:00:00Z"),
            timezone: "UTC".into(),
            deadlines: DeadlineSettings::default(),
            compensation: CompensationLimits::default(),
            reopen_max: 1,
            attachments: None,
        });
        let saved = sent.replacing(&stored, at("2026-03-01T00:00:00Z"));
        assert!(saved.earlier_rules.is_empty());
        assert_eq!(saved.retention_years, 5);
    }

    #[test]
    fn a_server_clock_set_back_does_not_reorder_the_history() {
        let first = Settings::default();
        let mut second = first.clone();
        second.reopen_max = 1;
        let second = second.replacing(&first, at("2026-03-01T00:00:00Z"));
        let third = first.clone().replacing(&second, at("2026-02-01T00:00:00Z"));
        let untils: Vec<_> = third.earlier_rules.iter().map(|e| e.until).collect();
        assert_eq!(untils, [at("2026-03-01T00:00:00Z"); 2]);
        assert_eq!(third.rules_at(at("2026-02-15T00:00:00Z")).reopen_max, 2);
    }
}
