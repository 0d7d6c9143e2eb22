//! The exported tables, built once for both writers: the case columns and
//! one case's cells (from the store's export rows and labels), and the
//! statistics as tables.

use crate::store::reports::Labels;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use shared::lang::Lang;
use shared::personal_data::Shown;
use shared::phone::mask_in_text;
use shared::report::{Bucket, CaseRef, ExportRow, Overdue, Stats, round2};
use shared::role::{mask_name, mask_phone};

/// One cell of an exported table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A number (counts, rates, hours).
    Number(f64),
    /// Nothing.
    Empty,
}

/// A table of the statistics export.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The worksheet name (at most 31 characters).
    pub sheet: String,
    /// The title row of the CSV.
    pub title: String,
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

/// The case columns: Chinese and English headers, in order.
pub const CASE_COLUMNS: [(&str, &str); 47] = [
    ("登记号", "Registration no."),
    ("类型", "Kind"),
    ("状态", "State"),
    ("项目", "Property"),
    ("位置", "Location"),
    ("类别", "Category"),
    ("渠道", "Channel"),
    ("来源单号", "Source no."),
    ("联系人姓名", "Resident's name"),
    ("联系电话", "Phone"),
    ("受理时间", "Received"),
    ("登记时间", "Recorded"),
    ("首问责任人", "First responder"),
    ("内容", "Content"),
    ("诉求", "Requested remedy"),
    ("严重程度", "Severity"),
    ("有效性", "Validity"),
    ("被投诉人", "Person complained about"),
    ("被投诉部门", "Department complained about"),
    ("紧急", "Urgent"),
    ("上报", "Escalated"),
    ("责任部门", "Department"),
    ("责任人", "Responsible person"),
    ("处理结果", "Result"),
    ("赔偿金额（元）", "Compensation (yuan)"),
    ("解决时间", "Resolved"),
    ("结案时间", "Closed"),
    ("纠正预防措施", "Corrective action"),
    ("措施验证", "Verification"),
    ("建议处理", "Suggestion decision"),
    ("处理理由", "Reason"),
    ("整改计划", "Improvement plan"),
    ("公示日期", "Plan published on"),
    ("下一时限", "Next due"),
    ("是否超时", "Late"),
    ("超时时限", "Deadlines missed"),
    ("重开次数", "Reopenings"),
    ("满意度", "Satisfaction"),
    ("回访时间", "Followed up"),
    ("回访方式", "Follow-up by"),
    ("回访人", "Called by"),
    ("回访意见", "Resident's comment"),
    ("处理结果评分", "Result rating"),
    ("服务态度评分", "Attitude rating"),
    ("处理效率评分", "Timeliness rating"),
    ("附件数", "Attachments"),
    ("工单ID", "Case ID"),
];

/// The case column headers in `lang`.
pub fn case_headers(lang: Lang) -> Vec<String> {
    CASE_COLUMNS
        .iter()
        .map(|(zh, en)| lang.pick(zh, en).to_string())
        .collect()
}

/// A local time as exported.
pub fn local_time(t: DateTime<Utc>, tz: &Tz) -> String {
    t.with_timezone(tz).format("%Y-%m-%d %H:%M").to_string()
}

/// One case's cells, in [`CASE_COLUMNS`] order.
pub fn case_cells(
    r: &ExportRow,
    labels: &Labels,
    tz: &Tz,
    shown: Shown,
    now: DateTime<Utc>,
) -> Vec<Cell> {
    let time = |t: Option<DateTime<Utc>>| t.map_or(Cell::Empty, |t| Cell::Text(local_time(t, tz)));
    let personal = |s: &str, show: bool, masker: fn(&str) -> String| {
        Cell::text(if show { s.to_string() } else { masker(s) })
    };
    // What staff typed, with the numbers in it masked with the phone.
    let typed = |s: &str| personal(s, shown.phone, |s| mask_in_text(s).into_owned());
    let typed_opt = |s: &Option<String>| typed(s.as_deref().unwrap_or_default());
    let rating = |i: usize| {
        Cell::opt_number(
            r.follow_up
                .as_ref()
                .and_then(|f| f.ratings)
                .map(|scores| f64::from(scores[i])),
        )
    };
    // Any deadline not kept, also of a case finished since: an auditor
    // asks whether the case was handled in time, not only whether a clock
    // runs late now.
    let late = r.late_clocks(now);
    vec![
        Cell::text(r.reg_no.clone()),
        Cell::text(labels.kind(&r.kind)),
        Cell::text(labels.state(&r.state)),
        Cell::text(labels.property(&r.property)),
        Cell::text(labels.place(&r.property, r.building.as_deref(), r.unit.as_deref())),
        Cell::text(labels.category(&r.category)),
        Cell::text(labels.channel(&r.channel)),
        Cell::text(r.source_ref.clone()),
        personal(&r.complainant_name, shown.name, mask_name),
        r.complainant_phone
            .as_deref()
            .map_or(Cell::Empty, |p| personal(p, shown.phone, mask_phone)),
        time(Some(r.received_at)),
        time(Some(r.recorded_at)),
        Cell::text(r.first_responder.clone().unwrap_or_default()),
        typed(&r.content),
        typed(&r.requested_remedy),
        Cell::text(labels.severity(r.severity.as_deref())),
        // Only a complaint is judged valid or unfounded; a repair's
        // assessment carries the form's default, which says nothing.
        Cell::text(labels.validity(r.validity.as_deref().filter(|_| r.kind == "complaint"))),
        Cell::text(r.respondent.clone().unwrap_or_default()),
        Cell::text(r.respondent_department.clone().unwrap_or_default()),
        Cell::text(labels.yes_no(r.urgent)),
        Cell::text(labels.yes_no(r.escalated)),
        Cell::text(r.department.clone().unwrap_or_default()),
        Cell::text(r.assignee_name.clone().unwrap_or_default()),
        typed_opt(&r.result),
        Cell::opt_number(r.compensation_fen.map(|fen| fen as f64 / 100.0)),
        time(r.resolved_at),
        time(r.closed_at),
        typed_opt(&r.corrective_action),
        typed_opt(&r.verification),
        Cell::text(r.suggestion.as_ref().map_or("", |s| match s.accepted {
            true => labels.lang().pick("采纳", "Accepted"),
            false => labels.lang().pick("不采纳", "Declined"),
        })),
        typed(r.suggestion.as_ref().map_or("", |s| &s.reason)),
        typed_opt(&r.suggestion.as_ref().and_then(|s| s.plan.clone())),
        Cell::text(
            r.suggestion
                .as_ref()
                .and_then(|s| s.publish_on)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        ),
        time(r.next_due_at),
        Cell::text(labels.yes_no(!late.is_empty())),
        Cell::text(
            late.iter()
                .map(|code| labels.clock(code))
                .collect::<Vec<_>>()
                .join(labels.pick("、", ", ")),
        ),
        Cell::Number(f64::from(r.reopen_count)),
        Cell::opt_number(r.satisfaction.map(f64::from)),
        time(r.follow_up.as_ref().map(|f| f.at)),
        Cell::text(
            r.follow_up
                .as_ref()
                .map(|f| labels.contact_method(&f.method))
                .unwrap_or_default(),
        ),
        Cell::text(
            r.follow_up
                .as_ref()
                .and_then(|f| f.caller.clone())
                .unwrap_or_default(),
        ),
        typed(r.follow_up.as_ref().map_or("", |f| &f.comment)),
        rating(0),
        rating(1),
        rating(2),
        Cell::Number(f64::from(r.attachments)),
        Cell::text(r.id.clone()),
    ]
}

impl Cell {
    /// Text, or [`Cell::Empty`] for the empty string.
    pub fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s)
        }
    }

    fn opt_number(n: Option<f64>) -> Cell {
        n.map_or(Cell::Empty, Cell::Number)
    }
}

fn table(lang: Lang, sheet: (&str, &str), headers: &[(&str, &str)], rows: Vec<Vec<Cell>>) -> Table {
    Table {
        sheet: lang.pick(sheet.0, sheet.1).to_string(),
        title: lang.pick(sheet.0, sheet.1).to_string(),
        headers: headers
            .iter()
            .map(|(zh, en)| lang.pick(zh, en).to_string())
            .collect(),
        rows,
    }
}

fn bucket_table(lang: Lang, sheet: (&str, &str), key: (&str, &str), buckets: &[Bucket]) -> Table {
    table(
        lang,
        sheet,
        &[key, ("数量", "Cases")],
        buckets
            .iter()
            .map(|b| vec![Cell::text(b.label.clone()), Cell::Number(b.count as f64)])
            .collect(),
    )
}

fn n(v: u64) -> Cell {
    Cell::Number(v as f64)
}

fn bp_percent(bp: Option<f64>) -> Cell {
    Cell::opt_number(bp.map(|b| round2(b / 100.0)))
}

/// The columns of a list of open cases by a due time: `due`, `hours`
/// and `clocks` name the three that differ between the overdue list and
/// the major cases not reported.
const fn due_headers(
    due: (&'static str, &'static str),
    hours: (&'static str, &'static str),
    clocks: (&'static str, &'static str),
) -> [(&'static str, &'static str); 10] {
    [
        ("登记号", "Registration no."),
        ("项目", "Property"),
        ("类型", "Kind"),
        ("状态", "State"),
        ("类别", "Category"),
        ("责任部门", "Department"),
        due,
        hours,
        clocks,
        ("工单ID", "Case ID"),
    ]
}

/// The columns of the list of open cases past a due time.
const OVERDUE_HEADERS: [(&str, &str); 10] = due_headers(
    ("最早到期", "Due"),
    ("超时（小时）", "Overdue (hours)"),
    ("超时时限", "Clocks"),
);

/// The columns of the major cases not reported: `next_due_at` is the
/// report's due time, which may not have come yet (the hours are then
/// left empty).
const MAJOR_UNREPORTED_HEADERS: [(&str, &str); 10] = due_headers(
    ("应上报时间", "Report due"),
    ("已超时（小时）", "Overdue (hours)"),
    ("时限", "Clock"),
);

/// The statistics as tables, in this order: summary, counts by kind,
/// category, property, building, channel, severity, state and month,
/// on-time rate per clock, satisfaction, per-property figures (with the
/// valid-complaint rate, in percent), departments, the people and
/// departments complained about, repeat units, repeat complainants, the
/// overdue list, the major cases not reported and the missed targets: the
/// dashboard's figures, every one.
pub fn stats_tables(s: &Stats, labels: &Labels, tz: &Tz) -> Vec<Table> {
    let lang = labels.lang();
    let yes_no =
        |b: bool| Cell::text(lang.pick(if b { "是" } else { "否" }, if b { "Yes" } else { "No" }));
    // A target judged on no data is neither met nor missed: the cell
    // stays empty, as its rate's does (the dashboard shows "—").
    let missed = |missed: bool, rate: Option<f64>| match rate {
        Some(_) => yes_no(missed),
        None => Cell::Empty,
    };
    let metric = |zh: &str, en: &str, value: Cell| vec![Cell::text(lang.pick(zh, en)), value];
    let date = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let summary = vec![
        metric(
            "统计期间",
            "Period",
            Cell::text(format!(
                "{} – {}",
                date(s.period.first),
                date(s.period.last)
            )),
        ),
        metric("工单总数", "Cases", n(s.total)),
        metric("已作废（不计入统计）", "Voided (not counted)", n(s.voided)),
        metric("已解决工单", "Resolved cases", n(s.handling.resolved)),
        metric(
            "平均处理时长（小时）",
            "Average handling time (hours)",
            Cell::opt_number(s.handling.avg_hours),
        ),
        metric(
            "90%处理时长（小时）",
            "90th percentile handling time (hours)",
            Cell::opt_number(s.handling.p90_hours),
        ),
        metric(
            "时限按时率（%）",
            "On-time rate, all clocks (%)",
            Cell::opt_number(s.on_time_overall.rate),
        ),
        metric(
            "满意率（%）",
            "Satisfied rate (%)",
            Cell::opt_number(s.satisfaction.rate),
        ),
        metric(
            "回访率（%）",
            "Follow-up rate (%)",
            Cell::opt_number(s.follow_up.rate),
        ),
        metric(
            "回访率目标（%）",
            "Follow-up target (%)",
            Cell::Number(f64::from(s.follow_up.target_percent)),
        ),
        metric(
            "回访率未达标",
            "Follow-up target missed",
            missed(s.follow_up.missed, s.follow_up.rate),
        ),
        metric(
            "重开率（%）",
            "Reopen rate (%)",
            Cell::opt_number(s.reopen.rate),
        ),
        metric("当前超时工单", "Overdue now", n(s.overdue.total)),
        // The sheets list the first ones only: the totals say how many.
        metric(
            "重大工单未上报",
            "Major cases not reported",
            n(s.major_unreported.total),
        ),
        metric(
            "重复报事房号（个）",
            "Repeat units",
            n(s.repeat_units_total),
        ),
        metric(
            "重复报事人（个）",
            "Repeat complainants",
            n(s.repeat_complainants_total),
        ),
        metric(
            "抽查样本数",
            "Spot-check: sampled",
            n(s.spot_checks.sampled),
        ),
        metric("已抽查回访", "Spot-check: called", n(s.spot_checks.called)),
        metric(
            "抽查满意",
            "Spot-check: satisfied",
            n(s.spot_checks.satisfied),
        ),
    ];
    // The row of all clocks together only when some clock counts: a
    // period without any would show a row of zeros with no name.
    let overall =
        Some(&s.on_time_overall).filter(|c| c.met + c.overdue + c.running + c.unknown > 0);
    let on_time = s
        .on_time
        .iter()
        .chain(overall)
        .map(|c| {
            vec![
                Cell::text(c.label.clone()),
                n(c.met),
                n(c.on_time),
                n(c.late),
                n(c.overdue),
                n(c.running),
                n(c.unknown),
                Cell::opt_number(c.rate),
            ]
        })
        .collect();
    let satisfaction = s
        .satisfaction
        .distribution
        .iter()
        .map(|d| vec![Cell::Number(f64::from(d.score)), n(d.count)])
        .collect();
    let properties = s
        .properties
        .iter()
        .map(|p| {
            // Shown as the dashboard does: a rate below the target never
            // rounds up to it (0.99995% is 0.99%, not 1%).
            let (own, annualized) = p.valid_rates_shown(&s.period);
            vec![
                Cell::text(p.name.clone()),
                Cell::Number(f64::from(p.households)),
                n(p.cases),
                n(p.valid_complaints),
                n(p.unassessed_complaints),
                bp_percent(own),
                bp_percent(annualized),
                bp_percent(Some(f64::from(p.valid_target_bp))),
                missed(p.valid_missed, p.valid_rate_annualized_bp),
                n(p.follow_up.due),
                n(p.follow_up.done),
                Cell::opt_number(p.follow_up.rate),
                missed(p.follow_up.missed, p.follow_up.rate),
                Cell::opt_number(p.on_time_rate),
                Cell::opt_number(p.satisfied_rate),
                n(p.overdue_open),
            ]
        })
        .collect();
    let departments = s
        .departments
        .iter()
        .map(|d| {
            vec![
                Cell::text(d.department.clone()),
                n(d.cases),
                n(d.resolved),
                Cell::opt_number(d.avg_handling_hours),
                n(d.clocks.met),
                n(d.clocks.on_time),
                n(d.clocks.overdue),
                Cell::opt_number(d.clocks.rate),
            ]
        })
        .collect();
    let reg_nos = |cases: &[CaseRef]| {
        Cell::text(
            cases
                .iter()
                .map(|c| c.reg_no.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        )
    };
    let repeat_units = s
        .repeat_units
        .iter()
        .map(|u| vec![Cell::text(u.label.clone()), n(u.count), reg_nos(&u.cases)])
        .collect();
    let repeat_complainants = s
        .repeat_complainants
        .iter()
        .map(|c| {
            vec![
                Cell::text(c.phone.clone()),
                Cell::text(c.name.clone()),
                n(c.count),
                reg_nos(&c.cases),
            ]
        })
        .collect();
    let respondents = s
        .respondents
        .iter()
        .map(|r| {
            vec![
                Cell::text(r.department.clone()),
                Cell::text(r.person.clone()),
                n(r.cases),
                n(r.valid_complaints),
            ]
        })
        .collect();
    let overdue_rows = |list: &Overdue| -> Vec<Vec<Cell>> {
        list.items
            .iter()
            .map(|o| {
                vec![
                    Cell::text(o.reg_no.clone()),
                    Cell::text(o.property_name.clone()),
                    Cell::text(labels.kind(&o.kind)),
                    Cell::text(labels.state(&o.state)),
                    Cell::text(labels.category(&o.category)),
                    Cell::text(o.department.clone().unwrap_or_default()),
                    Cell::text(local_time(o.next_due_at, tz)),
                    // A report not due yet is not overdue by minus hours.
                    if o.overdue_hours > 0.0 {
                        Cell::Number(o.overdue_hours)
                    } else {
                        Cell::Empty
                    },
                    Cell::text(
                        o.clocks
                            .iter()
                            .map(|c| labels.clock(c))
                            .collect::<Vec<_>>()
                            .join(lang.pick("、", ", ")),
                    ),
                    Cell::text(o.id.to_string()),
                ]
            })
            .collect()
    };
    let missed = s
        .missed_targets
        .iter()
        .map(|m| {
            let target = match m.target.as_str() {
                "follow_up" => lang.pick("回访率", "Follow-up rate").to_string(),
                "valid_complaint" => lang.pick("有效投诉率", "Valid-complaint rate").to_string(),
                other => other.to_string(),
            };
            vec![Cell::text(target), Cell::text(m.message.clone())]
        })
        .collect();
    vec![
        table(
            lang,
            ("概况", "Summary"),
            &[("指标", "Metric"), ("数值", "Value")],
            summary,
        ),
        bucket_table(lang, ("按类型", "By kind"), ("类型", "Kind"), &s.by_kind),
        bucket_table(
            lang,
            ("按类别", "By category"),
            ("类别", "Category"),
            &s.by_category,
        ),
        bucket_table(
            lang,
            ("按项目", "By property"),
            ("项目", "Property"),
            &s.by_property,
        ),
        bucket_table(
            lang,
            ("按楼栋", "By building"),
            ("楼栋", "Building"),
            &s.by_building,
        ),
        bucket_table(
            lang,
            ("按渠道", "By channel"),
            ("渠道", "Channel"),
            &s.by_channel,
        ),
        bucket_table(
            lang,
            ("按严重程度", "By severity"),
            ("严重程度", "Severity"),
            &s.by_severity,
        ),
        bucket_table(lang, ("按状态", "By state"), ("状态", "State"), &s.by_state),
        bucket_table(lang, ("按月份", "By month"), ("月份", "Month"), &s.by_month),
        table(
            lang,
            ("时限达标", "On-time"),
            &[
                ("时限", "Clock"),
                ("已完成", "Met"),
                ("按时完成", "On time"),
                ("超时完成", "Late"),
                ("超时未完成", "Overdue"),
                ("进行中", "Running"),
                (
                    "时限未定（节假日安排未导入）",
                    "Due time unknown (holidays not loaded)",
                ),
                ("按时率（%）", "On-time rate (%)"),
            ],
            on_time,
        ),
        table(
            lang,
            ("满意度", "Satisfaction"),
            &[("评分", "Score"), ("数量", "Cases")],
            satisfaction,
        ),
        table(
            lang,
            ("项目指标", "Properties"),
            &[
                ("项目", "Property"),
                ("户数", "Households"),
                ("工单数", "Cases"),
                ("有效投诉", "Valid complaints"),
                ("未评估投诉", "Complaints not assessed"),
                ("有效投诉率（%）", "Valid-complaint rate (%)"),
                ("年化有效投诉率（%）", "Annualized rate (%)"),
                ("目标（低于，%）", "Target (below, %)"),
                ("有效投诉率未达标", "Valid-complaint target missed"),
                ("应回访", "Follow-ups due"),
                ("已回访", "Follow-ups done"),
                ("回访率（%）", "Follow-up rate (%)"),
                ("回访率未达标", "Follow-up target missed"),
                ("时限按时率（%）", "On-time rate (%)"),
                ("满意率（%）", "Satisfied rate (%)"),
                ("当前超时", "Overdue now"),
            ],
            properties,
        ),
        table(
            lang,
            ("部门绩效", "Departments"),
            &[
                ("部门", "Department"),
                ("工单数", "Cases"),
                ("已解决", "Resolved"),
                ("平均处理时长（小时）", "Average handling (hours)"),
                ("时限完成", "Clocks met"),
                ("按时完成", "On time"),
                ("超时未完成", "Overdue"),
                ("按时率（%）", "On-time rate (%)"),
            ],
            departments,
        ),
        table(
            lang,
            ("被投诉人", "People complained about"),
            &[
                ("部门", "Department"),
                ("被投诉人", "Person"),
                ("工单数", "Cases"),
                ("有效投诉", "Valid complaints"),
            ],
            respondents,
        ),
        table(
            lang,
            ("重复报事房号", "Repeat units"),
            &[
                ("房号", "Unit"),
                ("次数", "Cases"),
                ("登记号", "Registration nos."),
            ],
            repeat_units,
        ),
        table(
            lang,
            ("重复报事人", "Repeat complainants"),
            &[
                ("电话", "Phone"),
                ("姓名", "Name"),
                ("次数", "Cases"),
                ("登记号", "Registration nos."),
            ],
            repeat_complainants,
        ),
        table(
            lang,
            ("超时工单", "Overdue"),
            &OVERDUE_HEADERS,
            overdue_rows(&s.overdue),
        ),
        table(
            lang,
            ("重大工单未上报", "Major cases not reported"),
            &MAJOR_UNREPORTED_HEADERS,
            overdue_rows(&s.major_unreported),
        ),
        table(
            lang,
            ("未达标", "Missed targets"),
            &[("目标", "Target"), ("说明", "Detail")],
            missed,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The column table of the module's documentation is the one the
    /// exports write, row for row: a macro reading a column by its place
    /// relies on it.
    #[test]
    fn the_documented_columns_are_the_exported_ones() {
        let documented: Vec<(usize, &str, &str)> = include_str!("mod.rs")
            .lines()
            .filter_map(|l| l.strip_prefix("//! | "))
            .filter_map(|l| {
                let cells: Vec<&str> = l.split(" | ").collect();
                Some((cells.first()?.parse().ok()?, *cells.get(1)?, *cells.get(2)?))
            })
            .collect();
        let exported: Vec<(usize, &str, &str)> = CASE_COLUMNS
            .iter()
            .enumerate()
            .map(|(i, (zh, en))| (i + 1, *zh, *en))
            .collect();
        assert_eq!(documented, exported);
    }

    #[test]
    fn headers_in_both_languages() {
        assert_eq!(case_headers(Lang::ZhCn)[0], "登记号");
        assert_eq!(case_headers(Lang::ZhCn)[7], "来源单号");
        assert_eq!(case_headers(Lang::En)[9], "Phone");
        assert_eq!(case_headers(Lang::En).len(), 47);
        assert_eq!(case_headers(Lang::ZhCn)[12], "首问责任人");
        assert_eq!(case_headers(Lang::ZhCn)[17], "被投诉人");
        assert_eq!(case_headers(Lang::ZhCn)[24], "赔偿金额（元）");
        assert_eq!(case_headers(Lang::ZhCn)[27], "纠正预防措施");
        assert_eq!(case_headers(Lang::ZhCn)[28], "措施验证");
        assert_eq!(case_headers(Lang::ZhCn)[29], "建议处理");
        assert_eq!(case_headers(Lang::ZhCn)[38], "回访时间");
        assert_eq!(case_headers(Lang::ZhCn)[45], "附件数");
    }

    #[test]
    fn export_rows_are_labelled_and_masked() {
        let labels = Labels::new(
            Lang::ZhCn,
            Vec::new(),
            shared::category::default_categories(),
        );
        let t: DateTime<Utc> = "2025-03-03T01:00:00Z".parse().unwrap();
        let row = ExportRow {
            id: "c1".into(),
            reg_no: "PA-250303-01-0001".into(),
            kind: "repair".into(),
            state: "resolved".into(),
            property: "p".into(),
            building: None,
            unit: None,
            category: "maintenance".into(),
            channel: "hotline_transfer".into(),
            source_ref: "GD2026120500123".into(),
            complainant_name: "王小明".into(),
            complainant_phone: Some("13912345678".into()),
            content: "=漏水，业主电话 139 1234 5678".into(),
            requested_remedy: String::new(),
            received_at: t,
            recorded_at: t,
            severity: None,
            validity: None,
            urgent: false,
            department: Some("工程部".into()),
            respondent: Some("保安王某".into()),
            respondent_department: Some("秩序部".into()),
            assignee_name: None,
            result: Some("已修复，回电0571-87654321确认".into()),
            resolved_at: Some(t),
            closed_at: None,
            next_due_at: Some(t),
            reopen_count: 0,
            satisfaction: Some(4),
            escalated: false,
            attachments: 3,
            follow_up: Some(shared::report::FollowUpRow {
                at: t,
                method: "visit".into(),
                by: "u1".into(),
                caller: Some("回访员小张".into()),
                comment: "满意，留电话13912345678".into(),
                ratings: Some([5, 4, 3]),
            }),
            first_responder: Some("前台小李".into()),
            compensation_fen: Some(12_050),
            corrective_action: Some("每月巡检水管".into()),
            verification: Some("三个月内未再漏水".into()),
            suggestion: Some(shared::report::SuggestionRow {
                accepted: true,
                reason: "可行".into(),
                plan: Some("增设充电桩".into()),
                publish_on: chrono::NaiveDate::from_ymd_opt(2025, 4, 1),
            }),
            clocks: vec![shared::report::ExportClock {
                clock: "follow_up_repair".into(),
                due_at: t,
                met_at: None,
                taken_unmet: false,
            }],
        };
        let tz = chrono_tz::Asia::Shanghai;
        let cells = case_cells(
            &row,
            &labels,
            &tz,
            Shown::NOTHING,
            t + chrono::Duration::hours(1),
        );
        assert_eq!(cells.len(), CASE_COLUMNS.len());
        assert_eq!(cells[1], Cell::text("报修"));
        assert_eq!(cells[4], Cell::text("公共区域"));
        assert_eq!(cells[5], Cell::text("维修服务"));
        assert_eq!(cells[7], Cell::text("GD2026120500123"));
        assert_eq!(cells[8], Cell::text("王**"));
        assert_eq!(cells[9], Cell::text("139****5678"));
        assert_eq!(cells[10], Cell::text("2025-03-03 09:00"));
        assert_eq!(cells[12], Cell::text("前台小李"));
        assert_eq!(cells[13], Cell::text("=漏水，业主电话 139 **** 5678"));
        assert_eq!(cells[23], Cell::text("已修复，回电0571-****4321确认"));
        assert_eq!(cells[15], Cell::text("未评估"));
        assert_eq!(cells[17], Cell::text("保安王某"));
        assert_eq!(cells[18], Cell::text("秩序部"));
        assert_eq!(cells[24], Cell::Number(120.5));
        assert_eq!(cells[27], Cell::text("每月巡检水管"));
        assert_eq!(cells[28], Cell::text("三个月内未再漏水"));
        assert_eq!(cells[29], Cell::text("采纳"));
        assert_eq!(cells[30], Cell::text("可行"));
        assert_eq!(cells[31], Cell::text("增设充电桩"));
        assert_eq!(cells[32], Cell::text("2025-04-01"));
        assert_eq!(cells[34], Cell::text("是"));
        assert_eq!(cells[35], Cell::text("报修回访"));
        assert_eq!(cells[37], Cell::Number(4.0));
        assert_eq!(cells[38], Cell::text("2025-03-03 09:00"));
        assert_eq!(cells[39], Cell::text("上门/面谈"));
        assert_eq!(cells[40], Cell::text("回访员小张"));
        assert_eq!(cells[41], Cell::text("满意，留电话139****5678"));
        assert_eq!(
            cells[42..45],
            [Cell::Number(5.0), Cell::Number(4.0), Cell::Number(3.0)]
        );
        assert_eq!(cells[45], Cell::Number(3.0));
        assert_eq!(cells[46], Cell::text(row.id.clone()));
        let plain = case_cells(&row, &labels, &tz, Shown::ALL, t);
        assert_eq!(plain[8], Cell::text("王小明"));
        assert_eq!(plain[9], Cell::text("13912345678"));
        let phone_only = Shown {
            name: false,
            phone: true,
        };
        let phone = case_cells(&row, &labels, &tz, phone_only, t);
        assert_eq!(phone[8], Cell::text("王**"));
        assert_eq!(phone[9], Cell::text("13912345678"));
        assert_eq!(phone[13], Cell::text("=漏水，业主电话 139 1234 5678"));
        assert_eq!(plain[23], Cell::text("已修复，回电0571-87654321确认"));
        assert_eq!(
            (&plain[34], &plain[35]),
            (&Cell::text("否"), &Cell::text(""))
        );
        // Finished, no clock runs any more; one was met late, another
        // taken away after it had run out: late all the same.
        let finished = ExportRow {
            state: "closed".into(),
            next_due_at: None,
            clocks: vec![
                shared::report::ExportClock {
                    clock: "solution".into(),
                    due_at: t,
                    met_at: Some(t + chrono::Duration::hours(2)),
                    taken_unmet: false,
                },
                shared::report::ExportClock {
                    clock: "feedback".into(),
                    due_at: t + chrono::Duration::hours(1),
                    met_at: Some(t + chrono::Duration::hours(3)),
                    taken_unmet: true,
                },
                shared::report::ExportClock {
                    clock: "follow_up_repair".into(),
                    due_at: t + chrono::Duration::days(1),
                    met_at: Some(t + chrono::Duration::hours(5)),
                    taken_unmet: false,
                },
            ],
            ..row.clone()
        };
        let late = case_cells(
            &finished,
            &labels,
            &tz,
            Shown::ALL,
            t + chrono::Duration::days(9),
        );
        assert_eq!(late[34], Cell::text("是"));
        let missed = Labels::new(Lang::ZhCn, Vec::new(), Vec::new());
        assert_eq!(
            late[35],
            Cell::text(format!(
                "{}、{}",
                missed.clock("solution"),
                missed.clock("feedback")
            ))
        );

        // Validity is a complaint's: a repair's assessment carries the
        // form's default, which the export does not call a valid complaint.
        let assessed = ExportRow {
            severity: Some("general".into()),
            validity: Some("valid".into()),
            ..row
        };
        let cells = case_cells(&assessed, &labels, &tz, Shown::ALL, t);
        assert_eq!(
            (&cells[15], &cells[16]),
            (&Cell::text("一般"), &Cell::Empty)
        );
        let complaint = ExportRow {
            kind: "complaint".into(),
            ..assessed
        };
        let cells = case_cells(&complaint, &labels, &tz, Shown::ALL, t);
        assert_eq!(cells[16], Cell::text("有效投诉"));
    }
}
