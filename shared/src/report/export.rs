//! The rows of the case exports, before labelling and masking.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A suggestion's outcome as exported (`crate::case::SuggestionOutcome`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuggestionRow {
    /// 采纳 or not.
    pub accepted: bool,
    /// Why.
    pub reason: String,
    /// The improvement plan, for accepted ones.
    pub plan: Option<String>,
    /// When the plan is published to residents.
    pub publish_on: Option<NaiveDate>,
}

/// The latest regular follow-up call (回访) as exported: when, how, by
/// whom, what the resident said and their three ratings (seed 001's
/// 处理结果、服务态度、处理效率), when given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUpRow {
    /// When the call was made.
    pub at: DateTime<Utc>,
    /// The contact method's code.
    pub method: String,
    /// Who called (their user id).
    pub by: String,
    /// Who called, as the account reads now; `None` until named.
    pub caller: Option<String>,
    /// What the resident said.
    pub comment: String,
    /// Result, attitude and timeliness, 1–5.
    pub ratings: Option<[u8; 3]>,
}

impl FollowUpRow {
    /// The latest regular (not spot-check) call of `follow_ups`, the
    /// case's list as folded.
    pub fn latest(follow_ups: &[crate::case::FollowUp]) -> Option<FollowUpRow> {
        follow_ups
            .iter()
            .rev()
            .find(|f| !f.spot_check)
            .map(|f| FollowUpRow {
                at: f.stamp.at,
                method: f.method.code().to_string(),
                by: f.stamp.by.to_string(),
                caller: None,
                comment: f.comment.clone(),
                ratings: f.ratings.map(|r| r.scores()),
            })
    }
}

/// One deadline clock of an exported case, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportClock {
    /// The clock's code.
    pub clock: String,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// When it was met, or taken away (`taken_unmet`).
    pub met_at: Option<DateTime<Utc>>,
    /// Taken away unmet after it had run out
    /// ([`crate::deadline::ClockState::taken_unmet`]): missed.
    pub taken_unmet: bool,
}

impl ExportClock {
    /// Whether the clock was not kept, as at `now`: met late, missed, or
    /// running past its due time.
    pub fn late(&self, now: DateTime<Utc>) -> bool {
        self.taken_unmet || crate::deadline::ran_out(self.due_at, self.met_at.unwrap_or(now))
    }
}

/// One case as exported, before labelling and masking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportRow {
    /// Case id.
    pub id: String,
    /// Registration number.
    pub reg_no: String,
    /// Kind code.
    pub kind: String,
    /// State code.
    pub state: String,
    /// Property id.
    pub property: String,
    /// Building id.
    pub building: Option<String>,
    /// Unit id.
    pub unit: Option<String>,
    /// Category code.
    pub category: String,
    /// Channel code.
    pub channel: String,
    /// The number it came with (来源单号), empty when none.
    pub source_ref: String,
    /// Complainant's name.
    pub complainant_name: String,
    /// Complainant's phone.
    pub complainant_phone: Option<String>,
    /// Content.
    pub content: String,
    /// Requested remedy.
    pub requested_remedy: String,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// Recorded.
    pub recorded_at: DateTime<Utc>,
    /// Severity code.
    pub severity: Option<String>,
    /// Validity code.
    pub validity: Option<String>,
    /// Urgent flag.
    pub urgent: bool,
    /// Responsible department.
    pub department: Option<String>,
    /// The person complained about (被投诉人).
    #[serde(default)]
    pub respondent: Option<String>,
    /// The department complained about (被投诉部门).
    #[serde(default)]
    pub respondent_department: Option<String>,
    /// Responsible person.
    pub assignee_name: Option<String>,
    /// Result.
    pub result: Option<String>,
    /// Latest resolution.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Closure.
    pub closed_at: Option<DateTime<Utc>>,
    /// Earliest running due time.
    pub next_due_at: Option<DateTime<Utc>>,
    /// Reopenings.
    pub reopen_count: u32,
    /// Latest regular follow-up score.
    pub satisfaction: Option<u8>,
    /// Escalated.
    pub escalated: bool,
    /// The first responder's display name (首问责任人: who registered the
    /// case, unless management changed it), as the account reads now.
    pub first_responder: Option<String>,
    /// The compensation agreed in the latest solution, in fen: approved,
    /// or needing no approval; `None` while pending, refused or absent.
    pub compensation_fen: Option<i64>,
    /// The corrective and preventive action recorded at closure.
    pub corrective_action: Option<String>,
    /// How that action was verified, recorded at closure.
    #[serde(default)]
    pub verification: Option<String>,
    /// A suggestion's outcome, once decided.
    #[serde(default)]
    pub suggestion: Option<SuggestionRow>,
    /// How many attachments the case has ([`crate::report::CaseRow::attachments`]).
    #[serde(default)]
    pub attachments: u32,
    /// The latest regular follow-up call.
    #[serde(default)]
    pub follow_up: Option<FollowUpRow>,
    /// Its deadline clocks whose due time is known, by due time.
    #[serde(default)]
    pub clocks: Vec<ExportClock>,
}

impl ExportRow {
    /// The codes of the clocks not kept as at `now` ([`ExportClock::late`]),
    /// by due time: a case closed after a deadline was missed was late
    /// all the same, though no clock runs any more.
    pub fn late_clocks(&self, now: DateTime<Utc>) -> Vec<&str> {
        self.clocks
            .iter()
            .filter(|c| c.late(now))
            .map(|c| c.clock.as_str())
            .collect()
    }
}
