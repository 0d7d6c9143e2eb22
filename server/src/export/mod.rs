//! Exports for meetings and auditors: the case list and the statistics
//! tables, as CSV (UTF-8 with a byte-order mark, so Excel reads Chinese
//! correctly) and XLSX. Same roles and scope as the statistics
//! (`api/stats.rs`); complainants' names and phones are masked unless
//! the role may see personal data (`shared::personal_data::shown`).
//!
//! Headers are Chinese by default, English with `lang=en`. Times are local
//! times of the company timezone, `YYYY-MM-DD HH:MM`.
//!
//! **Case columns** (`cases.csv`, `cases.xlsx`), in order:
//!
//! | # | 中文 | English | content |
//! |---|---|---|---|
//! | 1 | 登记号 | Registration no. | the registration number |
//! | 2 | 类型 | Kind | 投诉 / 报修 / 建议 / 咨询 |
//! | 3 | 状态 | State | workflow state now |
//! | 4 | 项目 | Property | property name |
//! | 5 | 位置 | Location | building and unit, or 公共区域 |
//! | 6 | 类别 | Category | category name |
//! | 7 | 渠道 | Channel | how it reached us |
//! | 8 | 来源单号 | Source no. | the 12345 hotline's or a platform's order number it came with |
//! | 9 | 联系人姓名 | Resident's name | the complainant, the one reporting a repair, making a suggestion or asking (masked: 张*) |
//! | 10 | 联系电话 | Phone | phone (masked: 139****5678) |
//! | 11 | 受理时间 | Received | when it reached us |
//! | 12 | 登记时间 | Recorded | when it was registered |
//! | 13 | 首问责任人 | First responder | who answers for it: who registered it, unless management changed it (the account's name now) |
//! | 14 | 内容 | Content | what the resident said |
//! | 15 | 诉求 | Requested remedy | what they asked for |
//! | 16 | 严重程度 | Severity | 轻微 / 一般 / 重大, or 未评估 |
//! | 17 | 有效性 | Validity | 有效投诉 / 不成立（特殊投诉） (complaints) |
//! | 18 | 被投诉人 | Person complained about | named at assessment |
//! | 19 | 被投诉部门 | Department complained about | named at assessment |
//! | 20 | 紧急 | Urgent | 是 / 否 |
//! | 21 | 上报 | Escalated | 是 / 否 |
//! | 22 | 责任部门 | Department | assigned department |
//! | 23 | 责任人 | Responsible person | assigned person |
//! | 24 | 处理结果 | Result | the latest resolution's result |
//! | 25 | 赔偿金额（元） | Compensation (yuan) | agreed in the latest solution (approved, or needing no approval; number) |
//! | 26 | 解决时间 | Resolved | the latest resolution |
//! | 27 | 结案时间 | Closed | closure |
//! | 28 | 纠正预防措施 | Corrective action | recorded at closure |
//! | 29 | 措施验证 | Verification | how the action was verified, recorded at closure |
//! | 30 | 建议处理 | Suggestion decision | 采纳 / 不采纳 (suggestions, once decided) |
//! | 31 | 处理理由 | Reason | why it was accepted or declined |
//! | 32 | 整改计划 | Improvement plan | of an accepted suggestion |
//! | 33 | 公示日期 | Plan published on | when residents are told, `YYYY-MM-DD` |
//! | 34 | 下一时限 | Next due | earliest running deadline |
//! | 35 | 是否超时 | Late | 是 / 否: a deadline not kept (met late, missed, or running past due at export time), also of a case finished since |
//! | 36 | 超时时限 | Deadlines missed | those deadlines, by due time (答复处理方案、回访…) |
//! | 37 | 重开次数 | Reopenings | number |
//! | 38 | 满意度 | Satisfaction | 1–5 of the latest follow-up (number) |
//! | 39 | 回访时间 | Followed up | when the latest regular (not spot-check) callback was made |
//! | 40 | 回访方式 | Follow-up by | 电话 / 上门, of that callback |
//! | 41 | 回访人 | Called by | who made it (the account's name now) |
//! | 42 | 回访意见 | Resident's comment | what the resident said |
//! | 43 | 处理结果评分 | Result rating | 1–5, when the resident gave the three ratings (number) |
//! | 44 | 服务态度评分 | Attitude rating | 1–5 (number) |
//! | 45 | 处理效率评分 | Timeliness rating | 1–5 (number) |
//! | 46 | 附件数 | Attachments | photos, signatures and documents recorded (number) |
//! | 47 | 工单ID | Case ID | the case's id (for links) |
//!
//! **Statistics tables** (`stats.csv`, `stats.xlsx`): the tables of
//! [`table::stats_tables`], one worksheet each in XLSX; in CSV one after
//! another, each preceded by a row with its title and followed by an empty
//! row.
//!
//! **Never the whole database in memory.** A case export reads its cases'
//! ids in `(received_at, id)` order at once, then their rows in pages of
//! [`PAGE_ROWS`]. CSV is streamed as it
//! is written. XLSX (a zip, whose directory comes last) is written by
//! rust_xlsxwriter in constant-memory mode — rows go to a temporary file,
//! not to RAM — then saved to a temporary file that is streamed and deleted.
//!
//! The columns and rows are built once ([`table`]: from the store's export
//! rows and labels, or from the statistics) and written by either writer
//! ([`csv`], [`xlsx`]); the HTTP answers, with their progress headers, are
//! `api/exports.rs`.
//!
//! **One case for head office** (`GET /api/v1/cases/{id}/bundle.zip`):
//! [`bundle`] writes a ZIP of the case's record sheet as a printable page
//! ([`record_html`], from `shared::report::RecordSheet`) and the evidence
//! files the server holds.

pub mod bundle;
pub mod csv;
pub mod record_html;
pub mod table;
pub mod xlsx;

use crate::store::reports::Labels;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_xlsxwriter::XlsxError;
use shared::personal_data::Shown;
use shared::report::ExportRow;
use std::sync::Arc;
use table::Cell;

/// Rows read from the store per page.
pub const PAGE_ROWS: u32 = 1000;

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The XLSX writer failed.
    #[error("xlsx: {0}")]
    Xlsx(#[from] XlsxError),
    /// The CSV writer failed.
    #[error("csv: {0}")]
    Csv(#[from] ::csv::Error),
    /// The ZIP writer failed.
    #[error("zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// A temporary file failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The client went away; nothing to report.
    #[error("client disconnected")]
    Closed,
}

/// A case export, checked, ready to walk the pages: the cases chosen,
/// labelled in the labels' language, times in `tz`,
/// personal data masked when `mask` is set.
pub struct CaseExport {
    /// Where the rows come from.
    pub store: Arc<dyn Store>,
    /// Its cases' ids, in their order, chosen at one moment
    /// ([`crate::store::Reports::export_ids`]).
    pub ids: Vec<String>,
    /// Names for codes and ids, in the export's language.
    pub labels: Labels,
    /// The company timezone.
    pub tz: Tz,
    /// What of the complainants the reader sees; the rest is masked.
    pub shown: Shown,
    /// The export's moment (for "overdue").
    pub now: DateTime<Utc>,
}

impl CaseExport {
    /// The header row, in the export's language.
    pub fn headers(&self) -> Vec<String> {
        table::case_headers(self.labels.lang())
    }

    /// Walks its cases in pages of [`PAGE_ROWS`], handing each page's
    /// rows to `each` as cells.
    pub fn for_each_page(
        &self,
        mut each: impl FnMut(Vec<Vec<Cell>>) -> Result<(), ExportError>,
    ) -> Result<(), ExportError> {
        for chunk in self.ids.chunks(PAGE_ROWS as usize) {
            let page: Vec<ExportRow> = self.store.export_rows(chunk)?;
            each(
                page.iter()
                    .map(|r| table::case_cells(r, &self.labels, &self.tz, self.shown, self.now))
                    .collect(),
            )?;
        }
        Ok(())
    }
}
