//! Company settings. Every number in `docs/domain.md` is a default here and
//! can be overridden by the admin; the settings travel to every device
//! through sync so that a tablet computes deadlines offline exactly as head
//! office does.

use crate::compensation::CompensationLimits;
use crate::deadline::DeadlineSettings;
use crate::validation::{MAX_ATTACHMENT_BYTES, MAX_CASE_ATTACHMENT_BYTES};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

mod rules;
pub use rules::{EarlierRules, Rules};

/// The company-wide settings. Every field has a default so that settings
/// written by an older version still load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Settings {
    /// The IANA timezone of the company (default `Asia/Shanghai`).
    pub timezone: String,
    /// The deadline rule of every clock, the due-soon window and the
    /// extension cap.
    pub deadlines: DeadlineSettings,
    /// The compensation approval limits.
    pub compensation: CompensationLimits,
    /// The lowest satisfaction score (1–5) that counts as satisfied.
    pub satisfied_min: u8,
    /// The highest satisfaction score that reopens the case.
    pub reopen_max: u8,
    /// Target follow-up rate, in percent (1–100).
    pub follow_up_target_percent: u32,
    /// Target valid-complaint rate per household per year, in basis points
    /// (100 = 1%; 1 to [`MAX_VALID_COMPLAINT_TARGET_BP`]).
    pub valid_complaint_target_bp: u32,
    /// Share of completed repair cases drawn for the quarterly spot-check, in percent.
    pub spot_check_percent: u32,
    /// Minimum years a closed case is retained ([`MIN_RETENTION_YEARS`] to
    /// [`MAX_RETENTION_YEARS`]).
    pub retention_years: u32,
    /// How large evidence may be.
    pub attachments: AttachmentLimits,
    /// At intake, warn of an open case of the same category from the same
    /// unit or phone received within this many days (0: never warn).
    pub duplicate_window_days: u32,
    /// What each role sees of a complainant's personal data.
    pub personal_data: crate::personal_data::PersonalDataRules,
    /// A tablet left unused this many minutes locks until its user types
    /// their password again (`idle_lock`; 0: never).
    pub idle_lock_minutes: u32,
    /// The rules that saves replaced, oldest first, each with the time it
    /// ended: what was done before then is judged by them (`rules.rs`).
    /// Kept by the server; what a client sends here is ignored.
    pub earlier_rules: Vec<EarlierRules>,
}

/// How large evidence may be: one file, and all the files of one case
/// (thumbnails included). An attach op over either is quarantined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct AttachmentLimits {
    /// The largest file, in bytes (default 10 MiB; at most
    /// [`MAX_ATTACHMENT_BYTES`]).
    pub max_blob_bytes: u64,
    /// The most bytes of evidence one case may hold (default 200 MiB; at
    /// most [`MAX_CASE_ATTACHMENT_BYTES`]).
    pub max_case_bytes: u64,
    /// Whether a tablet keeps a photo as the camera took it. Off by
    /// default: photos are scaled down on the tablet (longest side
    /// [`PHOTO_LONGEST_SIDE`] pixels, JPEG) before they are stored, which
    /// keeps evidence readable at a tenth of the size and the storage.
    pub keep_original_photos: bool,
}

/// The longest side, in pixels, of a photo scaled down on the tablet.
pub const PHOTO_LONGEST_SIDE: u32 = 1600;
/// The longest side, in pixels, of a photo's thumbnail.
pub const THUMBNAIL_LONGEST_SIDE: u32 = 320;

impl Default for AttachmentLimits {
    fn default() -> Self {
        AttachmentLimits {
            max_blob_bytes: 10 * 1024 * 1024,
            max_case_bytes: 200 * 1024 * 1024,
            keep_original_photos: false,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timezone: "Asia/Shanghai".into(),
            deadlines: DeadlineSettings::default(),
            compensation: CompensationLimits::default(),
            satisfied_min: 4,
            reopen_max: 2,
            follow_up_target_percent: 100,
            valid_complaint_target_bp: 100,
            spot_check_percent: 20,
            retention_years: 1,
            attachments: AttachmentLimits::default(),
            duplicate_window_days: 30,
            personal_data: Default::default(),
            idle_lock_minutes: crate::idle_lock::DEFAULT_MINUTES,
            earlier_rules: Vec::new(),
        }
    }
}

/// The fewest years a closed case is kept: the regulations keep complaint
/// records at least a year, so no setting lets them go sooner.
pub const MIN_RETENTION_YEARS: u32 = 1;
/// The most years an admin may set, a bound against a typo, not a rule.
pub const MAX_RETENTION_YEARS: u32 = 100;
/// The highest valid-complaint target, in basis points: one valid
/// complaint per household a year.
pub const MAX_VALID_COMPLAINT_TARGET_BP: u32 = 10_000;

/// The time zones a company may choose: mainland China's, and those of
/// Hong Kong, Macau and Taiwan, where groups also manage estates, and UTC.
/// The tablet app carries only these zones' rules (the full table would
/// be most of its download); `.cargo/config.toml` names the same list for
/// the app's build, and a test holds the two equal.
pub const TIMEZONES: [&str; 6] = [
    "Asia/Shanghai",
    "Asia/Urumqi",
    "Asia/Hong_Kong",
    "Asia/Macau",
    "Asia/Taipei",
    "UTC",
];

impl Settings {
    /// The company timezone (`rules::zone_of`: `validate` refuses other
    /// names than [`TIMEZONES`] before they are saved, and one saved
    /// before is read as the tablets read it).
    pub fn tz(&self) -> Tz {
        self.rules().tz()
    }

    /// Checks the settings an admin is about to save.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if !TIMEZONES.contains(&self.timezone.as_str()) || self.timezone.parse::<Tz>().is_err() {
            return Err(SettingsError::UnknownTimezone(self.timezone.clone()));
        }
        if !(1..=5).contains(&self.satisfied_min) || !(1..=5).contains(&self.reopen_max) {
            return Err(SettingsError::SatisfactionOutOfRange);
        }
        if self.reopen_max >= self.satisfied_min {
            return Err(SettingsError::SatisfactionOverlap);
        }
        if self.compensation.regional_manager_max_fen > self.compensation.deputy_gm_max_fen {
            return Err(SettingsError::CompensationLimitsOrder);
        }
        // The limits are in order here, so checking the lower covers both.
        if self.compensation.regional_manager_max_fen < 0 {
            return Err(SettingsError::CompensationNegative);
        }
        if self.spot_check_percent == 0 || self.spot_check_percent > 100 {
            return Err(SettingsError::SpotCheckOutOfRange);
        }
        if !(1..=100).contains(&self.follow_up_target_percent) {
            return Err(SettingsError::FollowUpTargetOutOfRange);
        }
        if !(1..=MAX_VALID_COMPLAINT_TARGET_BP).contains(&self.valid_complaint_target_bp) {
            return Err(SettingsError::ValidComplaintTargetOutOfRange);
        }
        if !(MIN_RETENTION_YEARS..=MAX_RETENTION_YEARS).contains(&self.retention_years) {
            return Err(SettingsError::RetentionOutOfRange);
        }
        if let Some(key) = self.deadlines.out_of_range() {
            return Err(SettingsError::DeadlineOutOfRange(key.into()));
        }
        if self.deadlines.special_case_working_days < self.deadlines.longest_solution_working_days()
        {
            return Err(SettingsError::SpecialCaseBelowSolution);
        }
        if self.idle_lock_minutes > crate::idle_lock::MAX_MINUTES {
            return Err(SettingsError::IdleLockOutOfRange);
        }
        let a = &self.attachments;
        if a.max_blob_bytes == 0
            || a.max_blob_bytes > MAX_ATTACHMENT_BYTES
            || a.max_case_bytes < a.max_blob_bytes
            || a.max_case_bytes > MAX_CASE_ATTACHMENT_BYTES
        {
            return Err(SettingsError::AttachmentLimits);
        }
        Ok(())
    }
}

/// Why settings were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// The timezone is not an IANA name.
    #[error("unknown timezone {0}")]
    UnknownTimezone(String),
    /// Satisfaction thresholds must be 1–5.
    #[error("satisfaction thresholds must be between 1 and 5")]
    SatisfactionOutOfRange,
    /// A score cannot both reopen and count as satisfied.
    #[error("the reopen threshold must be below the satisfied threshold")]
    SatisfactionOverlap,
    /// The regional limit must not exceed the deputy GM's.
    #[error("the regional manager's limit must not exceed the deputy GM's")]
    CompensationLimitsOrder,
    /// A deadline rule (by its clock's code, or the key of the special-case
    /// limit or the due-soon warning) is outside its bounds.
    #[error(
        "deadline {0}: a rule is 1 to 720 hours or 1 to 30 working days; the special case 1 to 30 working days; the due-soon warning at most 720 hours"
    )]
    DeadlineOutOfRange(String),
    /// The spot-check share must be 1–100%.
    #[error("the spot-check share must be between 1 and 100 percent")]
    SpotCheckOutOfRange,
    /// A compensation limit is below zero.
    #[error("compensation limits must not be negative")]
    CompensationNegative,
    /// The follow-up target must be 1–100%.
    #[error("the follow-up target must be between 1 and 100 percent")]
    FollowUpTargetOutOfRange,
    /// The valid-complaint target must be 1 to
    /// [`MAX_VALID_COMPLAINT_TARGET_BP`] basis points.
    #[error(
        "the valid-complaint target must be between 1 and {max} basis points",
        max = MAX_VALID_COMPLAINT_TARGET_BP
    )]
    ValidComplaintTargetOutOfRange,
    /// Closed cases are kept [`MIN_RETENTION_YEARS`] to
    /// [`MAX_RETENTION_YEARS`] years.
    #[error(
        "closed cases are kept between {min} and {max} years",
        min = MIN_RETENTION_YEARS,
        max = MAX_RETENTION_YEARS
    )]
    RetentionOutOfRange,
    /// The special-case limit is shorter than a solution rule, so no case
    /// under that rule could be extended.
    #[error("the special-case limit must be at least the working days of every solution rule")]
    SpecialCaseBelowSolution,
    /// The evidence limits are zero, above the hard caps, or a case may
    /// hold less than one file.
    #[error(
        "a file may be 1 byte to 50 MiB, and a case must hold at least one file and at most 2 GiB"
    )]
    AttachmentLimits,
    /// The idle lock waits 0 (never) to [`MAX_MINUTES`](crate::idle_lock::MAX_MINUTES) minutes.
    #[error(
        "the idle lock waits 0 (never) to {max} minutes",
        max = crate::idle_lock::MAX_MINUTES
    )]
    IdleLockOutOfRange,
}

impl SettingsError {
    /// A stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            SettingsError::UnknownTimezone(_) => "settings.unknown_timezone",
            SettingsError::SatisfactionOutOfRange => "settings.satisfaction_out_of_range",
            SettingsError::SatisfactionOverlap => "settings.satisfaction_overlap",
            SettingsError::CompensationLimitsOrder => "settings.compensation_limits_order",
            SettingsError::CompensationNegative => "settings.compensation_negative",
            SettingsError::SpotCheckOutOfRange => "settings.spot_check_out_of_range",
            SettingsError::FollowUpTargetOutOfRange => "settings.follow_up_target_out_of_range",
            SettingsError::ValidComplaintTargetOutOfRange => {
                "settings.valid_complaint_target_out_of_range"
            }
            SettingsError::RetentionOutOfRange => "settings.retention_out_of_range",
            SettingsError::SpecialCaseBelowSolution => "settings.special_case_below_solution",
            SettingsError::AttachmentLimits => "settings.attachment_limits",
            SettingsError::IdleLockOutOfRange => "settings.idle_lock_out_of_range",
            SettingsError::DeadlineOutOfRange(_) => "settings.deadline_out_of_range",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadline::DeadlineRule;

    #[test]
    fn defaults_validate_and_round_trip() {
        let s = Settings::default();
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.tz(), chrono_tz::Asia::Shanghai);
        let json = serde_json::to_string(&s).unwrap();
        let back: Settings = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        // Older settings with fields missing still load with defaults.
        let partial: Settings = serde_json::from_str(r#"{"satisfied_min":5}"#).unwrap();
        assert_eq!(partial.satisfied_min, 5);
        assert_eq!(partial.timezone, "Asia/Shanghai");
    }

    #[test]
    fn the_idle_lock_waits_at_most_four_hours() {
        let check = |idle_lock_minutes| {
            Settings {
                idle_lock_minutes,
                ..Settings::default()
            }
            .validate()
            .map_err(|e| e.code())
        };
        assert_eq!(check(0), Ok(()));
        assert_eq!(check(240), Ok(()));
        assert_eq!(check(241), Err("settings.idle_lock_out_of_range"));
    }

    #[test]
    fn attachment_limits_are_bounded() {
        let check = |max_blob_bytes, max_case_bytes| {
            Settings {
                attachments: AttachmentLimits {
                    max_blob_bytes,
                    max_case_bytes,
                    keep_original_photos: false,
                },
                ..Settings::default()
            }
            .validate()
            .map_err(|e| e.code())
        };
        const MIB: u64 = 1024 * 1024;
        assert_eq!(check(10 * MIB, 200 * MIB), Ok(()));
        assert_eq!(check(50 * MIB, 50 * MIB), Ok(()));
        let refused = Err("settings.attachment_limits");
        assert_eq!(check(0, 200 * MIB), refused);
        assert_eq!(check(51 * MIB, 200 * MIB), refused);
        assert_eq!(check(10 * MIB, 5 * MIB), refused);
        assert_eq!(check(10 * MIB, 3 * 1024 * MIB), refused);
        // Settings saved before the limits existed load with the defaults.
        let old: Settings = serde_json::from_str(r#"{"satisfied_min":5}"#).unwrap();
        assert_eq!(old.attachments, AttachmentLimits::default());
    }

    #[test]
    fn bad_settings_are_refused() {
        let mut s = Settings {
            timezone: "Mars/Olympus".into(),
            ..Settings::default()
        };
        assert_eq!(
            s.validate().unwrap_err().code(),
            "settings.unknown_timezone"
        );
        s.timezone = "Asia/Shanghai".into();
        s.reopen_max = 4;
        assert_eq!(
            s.validate().unwrap_err().code(),
            "settings.satisfaction_overlap"
        );
        s.reopen_max = 2;
        s.satisfied_min = 6;
        assert_eq!(
            s.validate().unwrap_err().code(),
            "settings.satisfaction_out_of_range"
        );
        s.satisfied_min = 4;
        let deadline = |edit: fn(&mut DeadlineSettings)| {
            let mut s = Settings::default();
            edit(&mut s.deadlines);
            s.validate()
        };
        assert_eq!(
            deadline(|d| d.transfer = DeadlineRule::Hours(0)),
            Err(SettingsError::DeadlineOutOfRange("transfer".into()))
        );
        assert_eq!(
            deadline(|d| d.solution = DeadlineRule::WorkingDays(31)),
            Err(SettingsError::DeadlineOutOfRange("solution".into()))
        );
        assert_eq!(
            deadline(|d| {
                d.solution_by_severity
                    .insert(crate::case::Severity::Major, DeadlineRule::Hours(721));
            }),
            Err(SettingsError::DeadlineOutOfRange("solution".into()))
        );
        assert_eq!(
            deadline(|d| d.special_case_working_days = 0),
            Err(SettingsError::DeadlineOutOfRange(
                "special_case_working_days".into()
            ))
        );
        assert_eq!(deadline(|d| d.transfer = DeadlineRule::Hours(720)), Ok(()));
        assert_eq!(
            deadline(|d| {
                d.solution = DeadlineRule::WorkingDays(30);
                d.special_case_working_days = 30;
            }),
            Ok(())
        );

        // The bounds of the targets, the retention and the limits, each
        // with its own code: `(edit, the code refused with or None)`.
        let check = |edit: fn(&mut Settings)| {
            let mut s = Settings::default();
            edit(&mut s);
            s.validate().map_err(|e| e.code())
        };
        type Edit = fn(&mut Settings);
        let cases: [(Edit, Option<&str>); 21] = [
            // Records are kept at least a year (the regulations).
            (
                |s| s.retention_years = 0,
                Some("settings.retention_out_of_range"),
            ),
            (
                |s| s.retention_years = 101,
                Some("settings.retention_out_of_range"),
            ),
            (|s| s.retention_years = 100, None),
            (
                |s| s.follow_up_target_percent = 0,
                Some("settings.follow_up_target_out_of_range"),
            ),
            (
                |s| s.follow_up_target_percent = 101,
                Some("settings.follow_up_target_out_of_range"),
            ),
            (|s| s.follow_up_target_percent = 1, None),
            (
                |s| s.valid_complaint_target_bp = 0,
                Some("settings.valid_complaint_target_out_of_range"),
            ),
            // 10,000 basis points: one valid complaint a household a year.
            (
                |s| s.valid_complaint_target_bp = 10_001,
                Some("settings.valid_complaint_target_out_of_range"),
            ),
            (|s| s.valid_complaint_target_bp = 10_000, None),
            (
                |s| s.compensation.regional_manager_max_fen = -1,
                Some("settings.compensation_negative"),
            ),
            (
                |s| {
                    s.compensation.regional_manager_max_fen = -5;
                    s.compensation.deputy_gm_max_fen = -1;
                },
                Some("settings.compensation_negative"),
            ),
            (
                |s| {
                    s.compensation.regional_manager_max_fen = 0;
                    s.compensation.deputy_gm_max_fen = 0;
                },
                None,
            ),
            // The special-case limit counts from receipt, extensions
            // included: below a solution rule it would refuse every
            // extension of a case that rule already allows longer.
            (
                |s| s.deadlines.special_case_working_days = 2,
                Some("settings.special_case_below_solution"),
            ),
            (|s| s.deadlines.special_case_working_days = 3, None),
            (
                |s| s.deadlines.solution = DeadlineRule::WorkingDays(8),
                Some("settings.special_case_below_solution"),
            ),
            (
                |s| {
                    s.deadlines
                        .solution_by_severity
                        .insert(crate::case::Severity::Major, DeadlineRule::WorkingDays(10));
                },
                Some("settings.special_case_below_solution"),
            ),
            (
                |s| {
                    s.deadlines
                        .solution_by_severity
                        .insert(crate::case::Severity::Major, DeadlineRule::WorkingDays(10));
                    s.deadlines.special_case_working_days = 10;
                },
                None,
            ),
            // A solution counted in hours leaves the whole limit to
            // extensions.
            (
                |s| {
                    s.deadlines.solution = DeadlineRule::Hours(72);
                    s.deadlines.special_case_working_days = 1;
                },
                None,
            ),
            (|s| s.retention_years = 1, None),
            (|s| s.follow_up_target_percent = 100, None),
            (|s| s.valid_complaint_target_bp = 1, None),
        ];
        for (i, (edit, refused)) in cases.into_iter().enumerate() {
            assert_eq!(check(edit), refused.map_or(Ok(()), Err), "case {i}");
        }
    }

    #[test]
    fn only_the_listed_time_zones_are_chosen_and_the_app_carries_them() {
        // Each zone a company may choose is read as itself; another name
        // of it as it; any other name as Shanghai, on the server (full
        // table) as on the tablet.
        for (name, zone) in [
            ("Etc/UTC", "UTC"),
            ("Asia/Kashgar", "Asia/Urumqi"),
            ("Europe/Paris", "Asia/Shanghai"),
            ("Mars/Olympus", "Asia/Shanghai"),
        ] {
            assert_eq!(rules::zone_of(name).name(), zone, "{name}");
        }
        for zone in TIMEZONES {
            assert_eq!(rules::zone_of(zone).name(), zone);
            let s = Settings {
                timezone: zone.into(),
                ..Settings::default()
            };
            assert_eq!(s.validate(), Ok(()), "{zone}");
        }
        let berlin = Settings {
            timezone: "Europe/Berlin".into(),
            ..Settings::default()
        };
        assert_eq!(
            berlin.validate().map_err(|e| e.code()),
            Err("settings.unknown_timezone")
        );
        // The app's build keeps exactly these zones (chrono-tz's
        // `filter-by-regex`, configured in `.cargo/config.toml`).
        let config = include_str!("../../.cargo/config.toml");
        let filter = config
            .lines()
            .find_map(|l| l.strip_prefix("CHRONO_TZ_TIMEZONE_FILTER = "))
            .expect("the app's time-zone filter");
        assert_eq!(filter, format!("\"^({})$\"", TIMEZONES.join("|")));
    }
}
