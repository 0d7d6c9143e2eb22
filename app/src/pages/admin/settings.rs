//! 设置: the company settings (timezone, deadlines, compensation limits,
//! satisfaction scores, spot-check share, what each role sees of a
//! complainant), edited field by field.

use super::{ReadAgain, changed_meanwhile, token};
use crate::api::{ApiError, Tagged, admin};
use crate::components::form::{FieldErrors, Route, Unsaved, field_error, route, show_refusal};
use crate::components::table::{Loaded, loaded};
use crate::state::use_app;
use leptos::prelude::*;
use serde_json::{Value, json};
use shared::case::Severity;
use shared::compensation::format_yuan;
use shared::deadline::Clock;
use shared::lang::Lang;
use shared::personal_data::Visibility;
use shared::role::Role;
use shared::settings::{Settings, TIMEZONES};
use std::collections::BTreeMap;

/// The settings tab.
#[component]
pub fn SettingsTab() -> impl IntoView {
    let ctx = use_app();
    let settings: Loaded<Tagged<Settings>> =
        LocalResource::new(move || async move { admin::settings(&token(ctx)?).await });
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="admin-section" data-testid="admin-settings">
            <h3>{t("公司设置", "Company settings")}</h3>
            <p class="hint">{t(
                "设置会同步到所有设备，服务器与各设备按同样的规则判断每件工单。",
                "Settings reach every device through sync, so the server and every device judge each case by the same rules.",
            )}</p>
            {loaded(settings, move |s| view! { <SettingsForm initial=s.value tag=s.tag reload=settings/> }.into_any())}
        </div>
    }
}

/// A whole-number setting at a JSON pointer into `Settings`.
#[derive(Clone, Copy)]
struct NumberSetting {
    pointer: &'static str,
    zh: &'static str,
    en: &'static str,
    unit_zh: &'static str,
    unit_en: &'static str,
    /// How it is shown and typed.
    scale: Scale,
    value: RwSignal<String>,
}

/// How a number setting is shown and typed, apart from how it is stored.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scale {
    /// As stored.
    Plain,
    /// In yuan, stored in fen.
    Yuan,
    /// In whole MiB, stored in bytes.
    Mib,
}

const MIB: i64 = 1024 * 1024;

impl Scale {
    fn show(self, stored: i64) -> String {
        match self {
            Scale::Plain => stored.to_string(),
            Scale::Yuan => format_yuan(stored),
            Scale::Mib => (stored / MIB).to_string(),
        }
    }

    fn read(self, typed: &str) -> Option<i64> {
        let whole = || shared::validation::parse_count(typed).map(i64::from);
        match self {
            Scale::Plain => whole(),
            Scale::Yuan => shared::compensation::parse_yuan(typed),
            Scale::Mib => whole()?.checked_mul(MIB),
        }
    }
}

/// `(pointer, zh, en, unit zh, unit en, scale)` of every number setting.
const NUMBER_SETTINGS: [(&str, &str, &str, &str, &str, Scale); 14] = [
    (
        "/duplicate_window_days",
        "登记时提醒可能重复（同房号或同电话、同类别、未结）的天数，0 为不提醒",
        "Warn at intake of open cases of the same category from the same unit or phone within (0: never)",
        "天",
        "days",
        Scale::Plain,
    ),
    (
        "/deadlines/due_soon_hours",
        "临期提醒（到期前）",
        "Due-soon warning (before due)",
        "小时",
        "hours",
        Scale::Plain,
    ),
    (
        "/deadlines/special_case_working_days",
        "特殊情况处理期限（自受理起，含延期）",
        "Special case solved within (from receipt, extensions included)",
        "个工作日",
        "working days",
        Scale::Plain,
    ),
    (
        "/compensation/regional_manager_max_fen",
        "区域经理审批上限",
        "Regional manager approves up to",
        "元",
        "CNY",
        Scale::Yuan,
    ),
    (
        "/compensation/deputy_gm_max_fen",
        "分公司副总经理审批上限（以上由总经理审批）",
        "Deputy GM approves up to (above: GM)",
        "元",
        "CNY",
        Scale::Yuan,
    ),
    (
        "/satisfied_min",
        "满意的最低评分（1–5）",
        "Lowest score counted as satisfied (1–5)",
        "分",
        "points",
        Scale::Plain,
    ),
    (
        "/reopen_max",
        "重新处理的最高评分（1–5）",
        "Highest score that reopens the case (1–5)",
        "分",
        "points",
        Scale::Plain,
    ),
    (
        "/follow_up_target_percent",
        "回访率目标",
        "Follow-up rate target",
        "%",
        "%",
        Scale::Plain,
    ),
    (
        "/valid_complaint_target_bp",
        "有效投诉率目标（每户每年，100 = 1%）",
        "Valid-complaint rate target (per household per year, 100 = 1%)",
        "基点",
        "basis points",
        Scale::Plain,
    ),
    (
        "/spot_check_percent",
        "季度抽查比例",
        "Quarterly spot-check share",
        "%",
        "%",
        Scale::Plain,
    ),
    (
        "/retention_years",
        "结案后最少保存",
        "Keep closed cases at least",
        "年",
        "years",
        Scale::Plain,
    ),
    (
        "/idle_lock_minutes",
        "平板无人操作自动锁屏（需输入密码解锁），0 为不锁屏",
        "Lock a tablet left unused (its user's password unlocks it) after (0: never)",
        "分钟",
        "minutes",
        Scale::Plain,
    ),
    (
        "/attachments/max_blob_bytes",
        "单个照片或文件上限",
        "Largest photo or file",
        "MiB",
        "MiB",
        Scale::Mib,
    ),
    (
        "/attachments/max_case_bytes",
        "每个工单的附件合计上限",
        "All the files of one case, at most",
        "MiB",
        "MiB",
        Scale::Mib,
    ),
];

/// One clock's rule: the unit (`hours` or `working_days`) and the number.
#[derive(Clone, Copy)]
struct RuleSetting {
    of: RuleOf,
    unit: RwSignal<String>,
    amount: RwSignal<String>,
}

/// Whose rule a row sets: a clock's, or the solution clock's for cases of
/// one severity (`DeadlineRules::solution_by_severity`; left empty, the
/// clock's own rule holds).
#[derive(Clone, Copy, PartialEq, Eq)]
enum RuleOf {
    Clock(Clock),
    Solution(Severity),
}

impl RuleOf {
    /// Every row, in display order: the clocks, each severity's solution
    /// period after the solution clock.
    fn all() -> Vec<RuleOf> {
        Clock::ALL
            .into_iter()
            .flat_map(|clock| {
                let by_severity = match clock {
                    Clock::Solution => Severity::ALL.to_vec(),
                    _ => Vec::new(),
                };
                std::iter::once(RuleOf::Clock(clock))
                    .chain(by_severity.into_iter().map(RuleOf::Solution))
            })
            .collect()
    }

    /// Its name in test ids and as the field its problems stand beside.
    fn code(self) -> &'static str {
        match self {
            RuleOf::Clock(clock) => clock.code(),
            RuleOf::Solution(Severity::Minor) => "solution_minor",
            RuleOf::Solution(Severity::General) => "solution_general",
            RuleOf::Solution(Severity::Major) => "solution_major",
        }
    }

    fn label(self, lang: Lang) -> String {
        match self {
            RuleOf::Clock(clock) => clock.label(lang).to_string(),
            RuleOf::Solution(severity) => match lang {
                Lang::ZhCn => format!("└ {}工单（留空同上）", severity.label(lang)),
                Lang::En => format!("└ {} cases (empty: as above)", severity.label(lang)),
            },
        }
    }

    /// Where its rule sits in the settings' JSON.
    fn stored(self, settings: &Value) -> Value {
        let deadlines = &settings["deadlines"];
        match self {
            RuleOf::Clock(clock) => deadlines[clock.code()].clone(),
            RuleOf::Solution(severity) => {
                deadlines["solution_by_severity"][severity.code()].clone()
            }
        }
    }
}

#[component]
fn SettingsForm(
    initial: Settings,
    tag: Option<String>,
    reload: Loaded<Tagged<Settings>>,
) -> impl IntoView {
    let ctx = use_app();
    // The revision these settings were read at, and then saved at: a save
    // made after another admin's is refused instead of undoing it.
    let tag = StoredValue::new(tag);
    // Settings are edited as JSON so that each field is one pointer; the
    // result is read back into `Settings` before it is sent.
    let base = StoredValue::new(serde_json::to_value(&initial).unwrap_or(Value::Null));
    // A name saved before the list was kept (`Asia/Chongqing`) is shown as
    // the zone it is read as, and saved so: the select could not show it,
    // and the server refuses it.
    let timezone = RwSignal::new(initial.tz().name().to_string());
    let keep_original = RwSignal::new(initial.attachments.keep_original_photos);
    let numbers: Vec<NumberSetting> = NUMBER_SETTINGS
        .into_iter()
        .map(|(pointer, zh, en, unit_zh, unit_en, scale)| {
            let raw = base.with_value(|b| b.pointer(pointer).and_then(Value::as_i64).unwrap_or(0));
            let shown = scale.show(raw);
            NumberSetting {
                pointer,
                zh,
                en,
                unit_zh,
                unit_en,
                scale,
                value: RwSignal::new(shown),
            }
        })
        .collect();
    let rules: Vec<RuleSetting> = RuleOf::all()
        .into_iter()
        .map(|of| {
            let rule = base.with_value(|b| of.stored(b));
            let (unit, amount) = match (rule.get("hours"), rule.get("working_days")) {
                (Some(n), _) => ("hours", n.to_string()),
                (_, Some(n)) => ("working_days", n.to_string()),
                _ => ("working_days", String::new()),
            };
            RuleSetting {
                of,
                unit: RwSignal::new(unit.to_string()),
                amount: RwSignal::new(amount),
            }
        })
        .collect();
    let personal: Vec<(Role, RwSignal<Visibility>)> = Role::ALL
        .into_iter()
        .map(|role| (role, RwSignal::new(initial.personal_data.get(role))))
        .collect();
    let error = RwSignal::new(None::<SettingsError>);
    let done = RwSignal::new(None::<String>);
    let fields: FieldErrors = RwSignal::new(BTreeMap::new());
    let (numbers_shown, rules_shown) = (numbers.clone(), rules.clone());
    let personal_shown = personal.clone();
    let unsaved = Unsaved::track(move || {
        let mut shown = vec![timezone.get(), keep_original.get().to_string()];
        shown.extend(numbers_shown.iter().map(|n| n.value.get()));
        shown.extend(
            rules_shown
                .iter()
                .flat_map(|r| [r.unit.get(), r.amount.get()]),
        );
        shown.extend(
            personal_shown
                .iter()
                .map(|(_, v)| v.get().code().to_string()),
        );
        shown
    });
    // What the form showed when the save was sent.
    let sent = StoredValue::new(None::<Vec<String>>);

    let store = Action::new_local(move |settings: &Settings| {
        let settings = settings.clone();
        async move {
            let result =
                admin::put_settings(&token(ctx)?, &settings, tag.get_value().as_deref()).await;
            match &result {
                Ok(stored) => {
                    if let Ok(v) = serde_json::to_value(&stored.value) {
                        base.set_value(v);
                    }
                    tag.set_value(stored.tag.clone());
                    if let Some(sent) = sent.get_value() {
                        unsaved.settle_to(sent);
                    }
                    done.set(Some(ctx.l().pick("设置已保存", "Settings saved").into()));
                    crate::sync::request(ctx);
                }
                Err(e) => show_refusal(e, ctx.l(), &SETTINGS_ROUTES, fields, error),
            }
            result.map(drop)
        }
    });
    let (numbers_for_save, rules_for_save) = (numbers.clone(), rules.clone());
    let personal_for_save = personal.clone();
    let save = move |_| {
        let l = ctx.l();
        error.set(None);
        done.set(None);
        fields.set(BTreeMap::new());
        let mut settings = match collect_settings(
            base.get_value(),
            &timezone.get_untracked(),
            keep_original.get_untracked(),
            &numbers_for_save,
            &rules_for_save,
            l,
        ) {
            Ok(s) => s,
            Err(Unfit::Field(field, message)) => {
                fields.set(BTreeMap::from([(field, message)]));
                return;
            }
            Err(Unfit::Form(detail)) => {
                error.set(Some(SettingsError::OutOfRange(detail)));
                return;
            }
        };
        for (role, visibility) in &personal_for_save {
            settings
                .personal_data
                .set(*role, visibility.get_untracked());
        }
        if ctx.token().is_none() {
            return;
        }
        sent.set_value(Some(unsaved.shown()));
        store.dispatch_local(settings);
    };

    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let rule_rows = rules
        .into_iter()
        .map(|r| {
            let code = r.of.code();
            view! {
                <div class="admin-rule" data-testid="setting-rule" data-clock=code>
                    <span class="admin-rule-name" id=format!("rule-{code}")>{move || r.of.label(ctx.lang.get())}</span>
                    <input type="text" inputmode="numeric" class="admin-number"
                        aria-labelledby=format!("rule-{code}")
                        data-testid=format!("setting-{code}")
                        prop:value=move || r.amount.get() on:input=move |ev| r.amount.set(event_target_value(&ev))/>
                    <select data-testid=format!("setting-{code}-unit")
                        aria-label=move || format!("{} – {}", r.of.label(ctx.lang.get()), ctx.lang.get().pick("单位", "unit"))
                        on:change=move |ev| r.unit.set(event_target_value(&ev))>
                        <option value="hours" prop:selected=move || r.unit.get() == "hours">{t("小时", "hours")}</option>
                        <option value="working_days" prop:selected=move || r.unit.get() == "working_days">{t("个工作日", "working days")}</option>
                    </select>
                    {field_error(fields, code, format!("setting-{code}-error"))}
                </div>
            }
        })
        .collect_view();
    let number_rows = numbers
        .into_iter()
        .map(|n| {
            let key = n.key();
            let testid = format!("setting-{key}");
            view! {
                <label class="field">
                    <span>{move || ctx.lang.get().pick(n.zh, n.en)}</span>
                    <span class="admin-with-unit">
                        <input type="text" inputmode="decimal" class="admin-number" data-testid=testid
                            prop:value=move || n.value.get() on:input=move |ev| n.value.set(event_target_value(&ev))/>
                        <span>{move || ctx.lang.get().pick(n.unit_zh, n.unit_en)}</span>
                    </span>
                    {field_error(fields, key, format!("setting-{key}-error"))}
                </label>
            }
        })
        .collect_view();
    let personal_rows = personal
        .into_iter()
        .map(|(role, visibility)| {
            let code = role.code();
            view! {
                <label class="field">
                    <span>{move || role.label(ctx.lang.get())}</span>
                    <select data-testid=format!("setting-personal-{code}")
                        on:change=move |ev| {
                            if let Some(v) = Visibility::from_code(&event_target_value(&ev)) {
                                visibility.set(v);
                            }
                        }>
                        {Visibility::ALL.map(|v| view! {
                            <option value=v.code() prop:selected=move || visibility.get() == v>
                                {move || v.label(ctx.lang.get())}
                            </option>
                        }).into_iter().collect_view()}
                    </select>
                </label>
            }
        })
        .collect_view();
    view! {
        <div class="card admin-form" data-testid="settings-form">
            <label class="field">
                <span>{t("公司时区", "Company time zone")}</span>
                <select data-testid="setting-timezone" on:change=move |ev| timezone.set(event_target_value(&ev))>
                    {TIMEZONES.map(|zone| view! {
                        <option value=zone prop:selected=move || timezone.get() == zone>{zone}</option>
                    }).into_iter().collect_view()}
                </select>
                {field_error(fields, "timezone", "setting-timezone-error".into())}
            </label>
            <h4>{t("时限", "Deadlines")}</h4>
            <p class="hint">{t(
                "按小时计：自开始起的自然小时；按工作日计：到第 N 个工作日的 23:59:59（节假日和调休按节假日安排）。",
                "Hours: natural hours from the start. Working days: until 23:59:59 of the n-th working day (holidays and make-up days per the holiday calendar).",
            )}</p>
            <div class="admin-rules">{rule_rows}</div>
            <h4>{t("其他", "Other")}</h4>
            <div class="admin-grid">{number_rows}</div>
            <label class="check">
                <input type="checkbox" data-testid="setting-keep_original_photos"
                    prop:checked=move || keep_original.get()
                    on:change=move |ev| keep_original.set(event_target_checked(&ev))/>
                {t(
                    "保留照片原图（默认在平板上缩小到最长边 1600 像素再保存和上传）",
                    "Keep photos as taken (by default the tablet scales them to 1600 pixels on the longest side before storing and uploading)",
                )}
            </label>
            <h4>{t("住户（投诉人、报修人等）个人信息", "Residents' personal data (complainants and others)")}</h4>
            <p class="hint">{t(
                "各角色可见的投诉人姓名、电话和签名；未显示的部分以 张* 和 138****5678 代替。“经办工单可见电话”：工单指派给本人或本部门时可见电话。",
                "What each role sees of the complainant's name, phone and signature; the rest shows as 张* and 138****5678. “Phone on cases they handle”: the phone of cases assigned to them or their department.",
            )}</p>
            <div class="admin-grid">{personal_rows}</div>
            <p class="hint" data-testid="settings-applies-from">{t(
                "修改自保存时起生效：此前的审批、回访和结案不受影响，已开始的时限仍按开始计时时的规则；节假日安排的修改则适用于所有未完成的时限。",
                "A change applies from the moment it is saved: approvals, follow-ups and closings made before it stand, and a running clock keeps the rule it started under; a change of the holiday calendar reaches every running clock.",
            )}</p>
            <div class="actions">
                <button type="button" class="btn primary" data-testid="settings-save" disabled=move || store.pending().get() on:click=save>
                    {t("保存设置", "Save settings")}
                </button>
            </div>
            <p class="error" role="alert" data-testid="admin-error">{move || error.with(|e| e.as_ref().map(|e| e.message(ctx.lang.get())))}</p>
            <ReadAgain
                when=Signal::derive(move || error.with(|e| matches!(e, Some(SettingsError::Api(e)) if changed_meanwhile(e))))
                read=move || reload.refetch()/>
            <p class="admin-done" role="status" data-testid="settings-status">{move || done.get()}</p>
        </div>
    }
}

impl NumberSetting {
    /// The field's name: the pointer's last segment (`satisfied_min`).
    fn key(&self) -> &'static str {
        self.pointer.rsplit('/').next().unwrap_or(self.pointer)
    }
}

/// Where the server's refusals of the settings belong: beside the field
/// (number settings by their key, the timezone) its code names.
const SETTINGS_ROUTES: [Route; 12] = [
    route("settings.attachment_limits", "max_blob_bytes"),
    route("settings.unknown_timezone", "timezone"),
    route("settings.satisfaction_out_of_range", "satisfied_min"),
    route("settings.satisfaction_overlap", "reopen_max"),
    route(
        "settings.compensation_limits_order",
        "regional_manager_max_fen",
    ),
    route("settings.compensation_negative", "regional_manager_max_fen"),
    route("settings.spot_check_out_of_range", "spot_check_percent"),
    route(
        "settings.follow_up_target_out_of_range",
        "follow_up_target_percent",
    ),
    route(
        "settings.valid_complaint_target_out_of_range",
        "valid_complaint_target_bp",
    ),
    route("settings.retention_out_of_range", "retention_years"),
    route("settings.idle_lock_out_of_range", "idle_lock_minutes"),
    route(
        "settings.special_case_below_solution",
        "special_case_working_days",
    ),
];

/// What keeps the form from becoming `Settings`.
enum Unfit {
    /// One field (by key) is not a number it can hold.
    Field(&'static str, String),
    /// The whole does not fit (a value beyond what `Settings` holds): serde's
    /// description of it.
    Form(String),
}

/// Why the settings were not saved, for the form as a whole; worded when
/// shown.
#[derive(Debug, Clone)]
enum SettingsError {
    /// A value beyond what `Settings` holds, with serde's description.
    OutOfRange(String),
    /// The server refused, or could not be reached.
    Api(ApiError),
}

impl From<ApiError> for SettingsError {
    fn from(e: ApiError) -> Self {
        SettingsError::Api(e)
    }
}

impl SettingsError {
    fn message(&self, l: Lang) -> String {
        match self {
            // serde's own words are English: the Chinese screen says which
            // kind of problem it is, without them.
            SettingsError::OutOfRange(detail) => match l {
                Lang::ZhCn => "设置的数值超出允许范围，请检查后再保存".to_string(),
                Lang::En => format!("A setting is out of range: {detail}"),
            },
            SettingsError::Api(e) => e.message(l),
        }
    }
}

/// Reads the form into `Settings`, or says which field is not a number.
fn collect_settings(
    mut value: Value,
    timezone: &str,
    keep_original: bool,
    numbers: &[NumberSetting],
    rules: &[RuleSetting],
    l: Lang,
) -> Result<Settings, Unfit> {
    value["timezone"] = Value::from(timezone.trim());
    value["attachments"]["keep_original_photos"] = Value::from(keep_original);
    for n in numbers {
        let raw = n.value.get_untracked();
        let parsed = n.scale.read(&raw);
        let Some(parsed) = parsed else {
            return Err(Unfit::Field(
                n.key(),
                l.pick("请填写非负数字", "Enter a non-negative number")
                    .into(),
            ));
        };
        if let Some(slot) = value.pointer_mut(n.pointer) {
            *slot = Value::from(parsed);
        }
    }
    let mut by_severity = serde_json::Map::new();
    for r in rules {
        let typed = r.amount.get_untracked();
        if typed.trim().is_empty() && matches!(r.of, RuleOf::Solution(_)) {
            continue;
        }
        let Some(amount) = shared::validation::parse_count(&typed) else {
            return Err(Unfit::Field(
                r.of.code(),
                l.pick("请填写非负整数", "Enter a whole number").into(),
            ));
        };
        let rule = json!({ r.unit.get_untracked(): amount });
        match r.of {
            RuleOf::Clock(clock) => value["deadlines"][clock.code()] = rule,
            RuleOf::Solution(severity) => {
                by_severity.insert(severity.code().to_string(), rule);
            }
        }
    }
    value["deadlines"]["solution_by_severity"] = Value::Object(by_severity);
    let settings = match serde_json::from_value::<Settings>(value.clone()) {
        Ok(settings) => settings,
        // A number larger than its field holds (444 for the lowest
        // satisfied score, which holds at most 255): the field that,
        // taken back to 0, lets the whole fit is the one told, beside it.
        Err(e) => {
            let culprit = numbers.iter().find(|n| {
                let mut tried = value.clone();
                tried
                    .pointer_mut(n.pointer)
                    .map(|slot| *slot = Value::from(0))
                    .is_some()
                    && serde_json::from_value::<Settings>(tried).is_ok()
            });
            return Err(match culprit {
                Some(n) => Unfit::Field(
                    n.key(),
                    crate::api::code_words("validation.out_of_range", l),
                ),
                None => Unfit::Form(e.to_string()),
            });
        }
    };
    // The server refuses the same (`settings.attachment_limits`), beside
    // the field it routes that code to; here beside the one that is wrong.
    let a = &settings.attachments;
    let attachments_words = || crate::api::code_words("settings.attachment_limits", l);
    if a.max_blob_bytes == 0 || a.max_blob_bytes > shared::validation::MAX_ATTACHMENT_BYTES {
        return Err(Unfit::Field("max_blob_bytes", attachments_words()));
    }
    if a.max_case_bytes < a.max_blob_bytes
        || a.max_case_bytes > shared::validation::MAX_CASE_ATTACHMENT_BYTES
    {
        return Err(Unfit::Field("max_case_bytes", attachments_words()));
    }
    // The server refuses the same (`settings.deadline_out_of_range`); here
    // the words stand beside the field, a severity's beside its own row
    // (the check names the solution clock for it).
    let by_severity = &settings.deadlines.solution_by_severity;
    if let Some(row) = rules.iter().find(|r| {
        matches!(r.of, RuleOf::Solution(s) if by_severity.get(&s).is_some_and(|rule| !rule.fits()))
    }) {
        return Err(Unfit::Field(
            row.of.code(),
            crate::api::code_words("settings.deadline_out_of_range", l),
        ));
    }
    match settings.deadlines.out_of_range() {
        Some(key) => Err(Unfit::Field(
            key,
            crate::api::code_words("settings.deadline_out_of_range", l),
        )),
        None => Ok(settings),
    }
}
