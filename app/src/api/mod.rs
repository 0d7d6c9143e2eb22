//! The HTTP client for the server's JSON API: login, passwords, push and
//! pull here, the administration endpoints in `admin`, the head office's
//! statistics and spot-checks in `reports`, evidence bytes in `blobs`,
//! and the error words for every
//! code the server sends.
//!
//! Every request carries `x-client-schema`, so a server that no longer
//! accepts this build's ops answers 426 and the app reloads itself.

pub mod admin;
pub mod blobs;
pub mod reports;

use crate::db::DbError;
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use shared::lang::Lang;
use shared::op::SCHEMA_VERSION;
use shared::wire::{
    CLIENT_SCHEMA_HEADER, ConfigKey, ErrorBody, LoginRequest, LoginResponse, PasswordChange,
    PullResponse, PushRequest, PushResponse,
};

/// Why a call failed, in the categories a staff member can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// No answer at all: offline, or the server is down.
    #[error("network: {0}")]
    Network(String),
    /// 401: wrong password, or the session expired.
    #[error("unauthorized: {code}")]
    Unauthorized {
        /// The server's error code.
        code: String,
    },
    /// 429: too many attempts.
    #[error("rate limited")]
    RateLimited {
        /// How long to wait, from the `Retry-After` header, in seconds.
        retry_after_secs: Option<u64>,
    },
    /// 426: this app is too old for the server.
    #[error("update required")]
    UpdateRequired,
    /// Any other error answer.
    #[error("server {status}: {code}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The stable code.
        code: String,
        /// The server's message.
        message: String,
    },
    /// The answer did not parse.
    #[error("bad answer: {0}")]
    Decode(String),
    /// The server answered, but what it sent could not be stored on the
    /// tablet (IndexedDB refused).
    #[error("storage: {0}")]
    Storage(#[from] DbError),
}

impl ApiError {
    /// The server's stable error code, when it sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Unauthorized { code } | ApiError::Server { code, .. } if !code.is_empty() => {
                Some(code)
            }
            ApiError::RateLimited { .. } => Some("auth.rate_limited"),
            _ => None,
        }
    }

    /// The error in words a staff member understands. Every code the
    /// server sends has words of its own ([`code_message`]); the server's
    /// own message, which is English, is shown only on an English screen,
    /// for a code this build does not know.
    pub fn message(&self, lang: Lang) -> String {
        // The code's words would lose the wait.
        if let ApiError::RateLimited { retry_after_secs } = self {
            return rate_limited(*retry_after_secs, lang);
        }
        if let Some(message) = self.code().and_then(|code| code_message(code, lang)) {
            return message;
        }
        match self {
            ApiError::Network(_) => lang
                .pick(
                    "无法连接服务器（可能没有网络，或服务器未运行）。请联网后重试。",
                    "Cannot reach the server (no network, or the server is down). Try again when online.",
                )
                .into(),
            ApiError::Unauthorized { code } => unknown_code(code, 401, "", lang),
            ApiError::RateLimited { retry_after_secs } => rate_limited(*retry_after_secs, lang),
            ApiError::UpdateRequired => lang
                .pick(
                    "服务器需要新版本的应用",
                    "The server needs a newer version of the app",
                )
                .into(),
            ApiError::Server {
                status,
                code,
                message,
            } => unknown_code(code, *status, message, lang),
            ApiError::Decode(_) => lang
                .pick(
                    "服务器的回复无法识别，请联系系统管理员",
                    "The server's answer was not understood; contact the administrator",
                )
                .into(),
            ApiError::Storage(DbError::Full(_)) => lang.pick(DbError::FULL.0, DbError::FULL.1).into(),
            ApiError::Storage(_) => lang
                .pick(
                    "无法写入本机存储（存储空间可能已满），同步未完成。请检查浏览器设置后重试。",
                    "Could not write to this tablet's storage (full?); the sync did not finish. Check the browser settings and try again.",
                )
                .into(),
        }
    }
}

/// Words for a code this build has none for: never the server's English
/// text on a Chinese screen, always the code, so an administrator can look
/// it up.
fn unknown_code(code: &str, status: u16, server_message: &str, lang: Lang) -> String {
    match (lang, code.is_empty()) {
        (Lang::ZhCn, true) => {
            format!("服务器出错（HTTP {status}），请稍后再试；如果一直出现，请联系系统管理员。")
        }
        (Lang::ZhCn, false) => {
            format!("服务器拒绝了此操作（错误代码 {code}，HTTP {status}）。请联系系统管理员。")
        }
        (Lang::En, true) => {
            format!("Server error (HTTP {status}); try again later, or contact the administrator.")
        }
        (Lang::En, false) if server_message.is_empty() => format!(
            "The server refused this (error code {code}, HTTP {status}); contact the administrator."
        ),
        (Lang::En, false) => {
            format!("The server refused this: {server_message} (error code {code}, HTTP {status}).")
        }
    }
}

/// The words for a code the server (or this app, for its own sync
/// failures) gives, whatever the status it came with; `None` for a code
/// this build does not know. Every code the server can answer with is
/// here: `tests/tests/error_codes.rs` fails when one is missing.
pub fn code_message(code: &str, lang: Lang) -> Option<String> {
    let (zh, en) = match code {
        // Sessions and logins. (`auth.rate_limited` usually arrives as
        // `RateLimited`, whose message has the wait.)
        "auth.invalid_credentials" => ("账号或密码错误", "Wrong login or password"),
        "auth.device_revoked" => (
            "本设备已被系统管理员吊销，不能再登录或同步。请联系系统管理员。",
            "This tablet was revoked by the administrator; it can no longer log in or sync. Contact the administrator.",
        ),
        "auth.invalid_token" => (
            "服务器已不再接受本设备的登录（可能密码已修改或被重置（包括在其他设备上），账号已停用或被更改了角色、所属项目，本设备已被吊销，或服务器已从备份恢复）。请重新登录。",
            "The server no longer accepts this tablet's login (the password may have been changed or reset, perhaps on another tablet; the account disabled or given another role or other properties; the tablet revoked; or the server restored from a backup). Log in again.",
        ),
        "auth.token_expired" => (
            "登录已过期，请退出后重新登录。尚未上传的记录仍在本机，重新登录后会继续上传。",
            "Your login expired; log out and in again. Records not uploaded yet stay on this tablet and upload after the login.",
        ),
        "auth.missing_token" | "auth.no_session" => ("请先登录", "Log in first"),
        "auth.forbidden" => (
            "您的角色无权进行此操作，或该项目不在您的负责范围内。",
            "Your role may not do this, or the property is outside your scope.",
        ),
        "auth.password_change_required" => (
            "请先修改密码，然后才能继续使用。",
            "Change your password before you continue.",
        ),
        "auth.wrong_password" => ("当前密码不正确", "The current password is wrong"),
        "auth.session_ended" => (
            "修改期间登录已失效（密码可能已被重置或在别处修改），请重新登录",
            "The session ended while the password was being changed (it was reset or changed elsewhere); log in again",
        ),
        "auth.rate_limited" => return Some(rate_limited(None, lang)),
        // Administration.
        "admin.changed_meanwhile" => (
            "在您打开之后，另一位管理员已保存了这里的修改。为免覆盖其修改，您的修改未保存：请重新载入后再改一次。",
            "Another administrator saved a change here after you opened it. So as not to undo it, yours was not saved: reload and make your change again.",
        ),
        "admin.place_in_use" => (
            "该楼栋或单元已有工单，不能删除；如需更正，请改名。",
            "This building or unit has cases and cannot be removed; rename it instead.",
        ),
        "admin.property_code_fixed" => (
            "项目编号不能修改：该项目工单的登记编号中含有此编号",
            "A property's code cannot change: its cases' registration numbers carry it",
        ),
        "admin.unknown_role" => (
            "未知的角色，请从列表中选择",
            "Unknown role; choose one from the list",
        ),
        "admin.bad_login" => (
            "账号须为 1–64 个字符，不能包含空格或不可见字符",
            "A login is 1–64 characters without spaces or invisible characters",
        ),
        "admin.bad_display_name" => (
            "请填写姓名（最多64个字）",
            "Enter the person's name (at most 64 characters)",
        ),
        "admin.bad_department" => (
            "部门名称最多64个字，且只能有一行（不能含制表符等控制字符）",
            "A department is at most 64 characters on one line (no tabs or other control characters)",
        ),
        "admin.disable_self" => ("不能停用自己的账号", "You cannot disable your own account"),
        "admin.change_own_role" => (
            "不能更改自己的角色，请由另一位系统管理员更改",
            "You cannot change your own role; another administrator can",
        ),
        "admin.revoke_own_device" => (
            "不能吊销正在使用的本设备，请从另一台设备吊销",
            "You cannot revoke the device you are using; revoke it from another one",
        ),
        "admin.last_admin" => (
            "这样将没有可用的系统管理员（停用或改为其他角色），因此未执行。",
            "Not done: no active administrator would be left (disabled, or given another role).",
        ),
        "admin.weak_password" | "validation.password_too_short" => {
            return Some(password_too_short(lang));
        }
        "validation.password_unchanged" => (
            "新密码不能与当前密码相同",
            "The new password must differ from the current one",
        ),
        "admin.empty_import" => ("名单中没有用户", "The roster names no users"),
        "admin.too_many_users" => (
            "一次导入的人数超过上限，请分批导入",
            "More users than one import creates; import in parts",
        ),
        "admin.retired_property" => (
            "该项目已停用，不能再分配给用户",
            "The property is retired; it is given to no more users",
        ),
        "admin.no_properties" => (
            "该角色至少需要选择一个项目",
            "This role needs at least one property",
        ),
        "admin.no_department" => (
            "责任部门主管须填写部门，否则看不到转给本部门的工单",
            "A department head needs a department, or they see none of the cases passed to it",
        ),
        "admin.bad_property_code" => (
            "项目代码须为 1–8 位英文字母或数字",
            "A property code is 1–8 letters or digits",
        ),
        "admin.bad_property_name" => (
            "项目名称须为 1–64 个字",
            "A property's name is 1–64 characters",
        ),
        "admin.bad_households" => ("户数过大", "Too many households"),
        "admin.bad_property_contact" => (
            "联系方式须为一行，最多 64 个字",
            "The contact is one line of at most 64 characters",
        ),
        "admin.too_many_places" => (
            "一个项目最多 2000 栋楼、共 50000 个单元/户",
            "A property holds at most 2,000 buildings and 50,000 units",
        ),
        "admin.bad_place_name" => (
            "楼栋和单元/户的名称须为 1–32 个字",
            "A building's or unit's name is 1–32 characters",
        ),
        "conflict" => ("已存在相同的记录", "That already exists"),
        "not_found" => (
            "要找的内容不存在（可能已被删除）",
            "Not found (it may have been removed)",
        ),
        "internal" => (
            "服务器内部错误，请稍后再试；如果一直出现，请联系系统管理员。",
            "Internal server error; try again later, or contact the administrator.",
        ),
        "storage.unavailable" => (
            "服务器暂时连不上它的数据库，这次操作未能确认完成，请稍后重试（平板上未上传的记录会自动再次发送）。如果一直出现，请联系系统管理员。",
            "The server cannot reach its database just now, so this could not be confirmed; try again shortly (records not uploaded yet are sent again by themselves). If this keeps happening, contact the administrator.",
        ),
        "storage.full" => (
            "服务器磁盘已满，本次内容未保存；平板上的记录仍在，稍后会再次发送。请联系系统管理员清理空间。",
            "The server's disk is full and nothing was saved; the records stay on this tablet and are sent again later. Ask the administrator to make room.",
        ),
        // Company settings.
        "settings.not_an_object" | "settings.invalid" => (
            "设置的格式不正确，请刷新页面后重新填写",
            "The settings are malformed; reload the page and fill them in again",
        ),
        "settings.unknown_field" => (
            "设置中有本服务器不认识的项目，请刷新页面后再试",
            "The settings contain a field this server does not know; reload the page and try again",
        ),
        "settings.unknown_timezone" => (
            "不支持该时区，请选择：Asia/Shanghai、Asia/Urumqi、Asia/Hong_Kong、Asia/Macau、Asia/Taipei 或 UTC",
            "That time zone is not offered; choose Asia/Shanghai, Asia/Urumqi, Asia/Hong_Kong, Asia/Macau, Asia/Taipei or UTC",
        ),
        "settings.satisfaction_out_of_range" => (
            "满意度评分须在 1–5 分之间",
            "Satisfaction scores are between 1 and 5",
        ),
        "settings.satisfaction_overlap" => (
            "“重新处理的最高评分”必须低于“满意的最低评分”",
            "The highest score that reopens must be below the lowest score counted as satisfied",
        ),
        "settings.compensation_limits_order" => (
            "区域经理的审批上限不能高于分公司副总经理的审批上限",
            "The regional manager's limit cannot exceed the deputy GM's",
        ),
        "settings.compensation_negative" => (
            "赔偿审批上限不能为负数",
            "Compensation limits cannot be negative",
        ),
        "settings.spot_check_out_of_range" => (
            "季度抽查比例须在 1%–100% 之间",
            "The quarterly spot-check share is between 1% and 100%",
        ),
        "settings.follow_up_target_out_of_range" => (
            "回访率目标须在 1%–100% 之间",
            "The follow-up rate target is between 1% and 100%",
        ),
        "settings.valid_complaint_target_out_of_range" => (
            "有效投诉率目标须在 1–10000 基点之间（100 基点 = 1%）",
            "The valid-complaint rate target is 1 to 10,000 basis points (100 = 1%)",
        ),
        "settings.retention_out_of_range" => (
            "结案后的保存年限须在 1–100 年之间（投诉记录至少保存一年）",
            "Closed cases are kept 1 to 100 years (complaint records at least one year)",
        ),
        "settings.idle_lock_out_of_range" => (
            "自动锁屏须在 0–240 分钟之间（0 为不锁屏）",
            "The idle lock waits 0 to 240 minutes (0: never)",
        ),
        "settings.special_case_below_solution" => (
            "特殊情况处理期限不能短于答复处理方案的工作日时限（含按严重程度设置的时限）",
            "The special-case limit cannot be shorter than the working days of the solution deadline (per severity included)",
        ),
        "settings.deadline_out_of_range" => (
            "时限须为 1–720 小时或 1–30 个工作日，特殊情况期限 1–30 个工作日，临期提醒最多 720 小时",
            "A deadline is 1–720 hours or 1–30 working days, the special case 1–30 working days, the due-soon warning at most 720 hours",
        ),
        "settings.attachment_limits" => (
            "附件上限无效：单个文件 1 字节至 50 MiB，每个工单至少能容纳一个文件且不超过 2 GiB",
            "Attachment limits are invalid: a file is 1 byte to 50 MiB, a case holds at least one file and at most 2 GiB",
        ),
        // Evidence (photos, signatures, documents) and their upload.
        "attachment.media_type" => (
            "只能上传 JPEG、PNG、WebP 图片或 PDF 文件",
            "Only JPEG, PNG or WebP images and PDF files can be attached",
        ),
        "attachment.too_large" => (
            "附件超过公司允许的大小",
            "The file is larger than the company allows",
        ),
        "attachment.case_too_large" => (
            "该工单的附件合计已超过公司允许的大小",
            "The case would hold more attachments than the company allows",
        ),
        "attachment.too_many" => (
            "该工单的附件数量已达上限",
            "The case holds as many attachments as one may",
        ),
        "attachment.size_mismatch" => (
            "该文件已以另一大小或类型记录，附件声明的与之不符",
            "This file is stored with another size or type than the attachment declares",
        ),
        "case.personal_data_hidden" => (
            "您的角色看不到住户的姓名或电话，不能更正",
            "Your role sees the resident's name or phone masked and cannot correct it",
        ),
        "case.clock_fields" => (
            "受理渠道和受理时间决定处理时限，只有登记人和管理人员可以更正",
            "How and when the case was received set its deadlines: only whoever registered it and management may correct them",
        ),
        "attachment.unknown_file" => (
            "该文件不属于您所辖项目的任何工单，不能作为附件引用",
            "This file belongs to no case of your properties and cannot be attached",
        ),
        "attachment.signature_reused" => (
            "住户（投诉人、报修人等）签名的文件不能同时作为其他附件",
            "A resident's signature cannot also be another kind of attachment",
        ),
        "blob.unknown" => (
            "服务器尚未收到引用此文件的附件记录，请先同步",
            "No synced attachment names this file yet: sync first",
        ),
        "blob.discarded" => (
            "管理员已丢弃引用此文件的隔离记录，本设备无需再上传",
            "An administrator discarded the record that named this file; it is no longer uploaded",
        ),
        "blob.wrong_type" => (
            "文件内容与附件声明的类型不符（只接受 JPEG、PNG、WebP 图片和 PDF），服务器未保存",
            "The file is not of the type its attachment says (only JPEG, PNG and WebP pictures and PDF are taken); the server did not keep it",
        ),
        "blob.wrong_offset" => (
            "上传位置与服务器不一致，将从服务器的位置继续",
            "The upload is out of step with the server; it continues from the server's offset",
        ),
        "blob.too_large" => (
            "上传的内容超过附件声明的大小",
            "More bytes than the attachment declared",
        ),
        "blob.hash_mismatch" => (
            "文件内容与其标识不符，未保存，请重新上传",
            "The file does not match its SHA-256 and was not kept; upload it again",
        ),
        "blob.masked" => (
            "您的角色不能查看住户（投诉人、报修人等）的签名",
            "Your role may not see the resident's signature",
        ),
        "blob.pending" => (
            "文件尚未从登记设备上传",
            "The file has not been uploaded from the device that recorded it yet",
        ),
        // The holiday calendar.
        "calendar.invalid" => ("节假日安排无效", "The holiday schedule is not valid"),
        "calendar.year_not_loaded" => (
            "该年份的节假日安排尚未导入，请管理员导入后再试",
            "That year's holiday schedule is not loaded; the administrator must import it",
        ),
        "calendar.year_out_of_range" => (
            "年份须在 2000–2100 之间",
            "The year must lie between 2000 and 2100",
        ),
        "calendar.long_source" => ("来源最多 200 个字", "The source is at most 200 characters"),
        "calendar.date_outside_year" => (
            "有日期不属于该年份",
            "A date lies outside the schedule's year",
        ),
        "calendar.statutory_day_at_work" => (
            "元旦、劳动节或国庆节在安排中是工作日：请载入国务院办公厅发布的完整安排",
            "New Year's Day, Labour Day or National Day is a working day in this schedule: load the whole schedule the State Council published",
        ),
        "calendar.rest_and_workday" => (
            "同一天不能既是放假日又是调休上班日",
            "A day cannot be both a rest day and a make-up working day",
        ),
        "calendar.workday_not_weekend" => (
            "调休上班日必须是周六或周日",
            "A make-up working day must be a Saturday or Sunday",
        ),
        "calendar.duplicate_rest_day" => ("放假日有重复的日期", "A rest day is listed twice"),
        "calendar.duplicate_workday" => (
            "调休上班日有重复的日期",
            "A make-up working day is listed twice",
        ),
        "calendar.duplicate_year" => ("该年份重复", "The year is listed twice"),
        // Categories.
        "categories.bad_code" => (
            "类别代码须为 1–32 位小写英文字母、数字或 _",
            "A category code is 1–32 lowercase letters, digits or _",
        ),
        "categories.missing_name" => (
            "每个类别都需要中文名称和英文名称",
            "Every category needs a Chinese and an English name",
        ),
        "categories.duplicate_code" => ("类别代码重复", "A category code is listed twice"),
        "categories.code_in_use" => (
            "已有工单使用该类别，不能删除，只能停用",
            "Cases use this category: retire it instead of removing it",
        ),
        "categories.long_name" => (
            "类别名称最多 40 个字",
            "A category's names are at most 40 characters",
        ),
        "categories.too_many" => ("类别最多 200 个", "At most 200 categories"),
        "categories.none_active" => (
            "至少要保留一个启用的类别",
            "At least one category must stay active",
        ),
        // The quarantine.
        "quarantine.reason_required" => (
            "请填写丢弃原因（最多 1000 字）",
            "Give a reason (at most 1000 characters)",
        ),
        "quarantine.resolved" => (
            "该记录已被重新应用或丢弃",
            "This record was already re-applied or discarded",
        ),
        "quarantine.sequence_taken" => (
            "该设备序号已被另一条记录占用（设备可能被复制过），请丢弃此条",
            "Another record holds this device sequence number (a copied device?); discard this one",
        ),
        // Deleting expired cases.
        "retention.not_closed" => (
            "工单尚未结案，不能删除",
            "The case is not closed; it cannot be deleted",
        ),
        "retention.major_case" => (
            "重大工单需长期保存，不能删除",
            "Major cases are kept long-term; it cannot be deleted",
        ),
        "retention.too_young" => (
            "工单结案未满保存年限，不能删除",
            "The case was closed too recently to be deleted",
        ),
        "retention.expired" => ("保存期限已满", "The retention period has passed"),
        // Spot-checks and statistics.
        "spot_check.bad_quarter" | "stats.bad_quarter" => {
            ("季度无效（应为 1–4）", "Not a valid quarter (1–4)")
        }
        "spot_check.quarter_not_over" => (
            "该季度尚未结束，结束后才能抽取抽查样本",
            "The quarter is not over; draw its sample after it ends",
        ),
        "spot_check.already_drawn" => (
            "该项目本季度的抽查样本已经抽取过",
            "This property's sample for the quarter was already drawn",
        ),
        "stats.bad_period" => ("统计周期无效", "Not a valid period"),
        "stats.period_bounds" => (
            "自定义周期需要开始日期和结束日期",
            "A custom period needs a start and an end date",
        ),
        "stats.period_reversed" => (
            "开始日期不能晚于结束日期",
            "The start date cannot be after the end date",
        ),
        "stats.period_too_long" => (
            "统计周期过长，请缩短后再试",
            "The period is too long; choose a shorter one",
        ),
        "stats.period_out_of_range" => (
            "日期须在 2000 年至 2100 年之间",
            "Dates must lie between 2000 and 2100",
        ),
        // Requests the server could not read.
        "request.bad_id" => ("编号格式不正确", "Not a valid id"),
        "request.bad_if_match" => (
            "请求所带的版本标记无效，请重新载入后再试。",
            "The request's revision tag is not valid; reload and try again.",
        ),
        "request.method_not_allowed" => (
            "服务器不接受此请求方式，请更新应用",
            "The server does not take this request; update the app",
        ),
        "request.nul_character" => (
            "文字中含有无法保存的空字符（U+0000）",
            "A text holds the NUL character (U+0000), which cannot be stored",
        ),
        "request.bad_kind" => ("未知的工单类型", "Unknown case kind"),
        "request.bad_state" => ("未知的工单状态", "Unknown case state"),
        "request.bad_lang" => ("未知的语言", "Unknown language"),
        "request.bad_query" => (
            "查询条件不正确，请检查后再试",
            "The query is not valid; check it and try again",
        ),
        "request.content_type" | "request.malformed_json" | "request.unreadable" => (
            "服务器无法读取提交的内容，请刷新页面后重试",
            "The server could not read what was sent; reload the page and try again",
        ),
        "request.invalid_json" => (
            "提交的内容格式不正确，请检查后重试",
            "What was sent is not in the expected form; check it and try again",
        ),
        "request.too_large" => (
            "提交的内容过大，请分批提交",
            "What you sent is too large; send it in parts",
        ),
        "request.too_long" => (
            "提交的内容过长，请删减后再试",
            "What you sent is too long; shorten it and try again",
        ),
        "client.update_required" => (
            "应用需要更新，正在重新加载",
            "The app needs an update; reloading",
        ),
        "client.server_older" => (
            "服务器的版本比本应用旧（可能刚回退了升级），暂时无法同步。记录保存在本机，服务器升级后会自动上传；请联系系统管理员",
            "The server is older than this app (an upgrade rolled back?) and cannot sync now. The records stay on this tablet and upload once the server is upgraded; contact the administrator",
        ),
        "client.bad_schema_header" => (
            "应用版本信息无效，请刷新页面",
            "The app's version header is invalid; reload the page",
        ),
        // Sync: answers to a push or pull, and the reasons the server
        // quarantines an op (shown in 管理 → 隔离区).
        "sync.device_mismatch" | "sync.op_device_mismatch" => (
            "上传的记录不属于当前登录的设备",
            "The records sent are not this session's device's",
        ),
        "sync.batch_too_large" => ("一次上传的记录过多", "Too many records in one upload"),
        "sync.bad_seq" => ("记录的序号无效", "A record's sequence number is invalid"),
        "sync.bad_cursor" => ("同步位置无效", "The sync position is invalid"),
        "sync.schema_too_new" => (
            "记录的格式比服务器的版本新，请更新服务器",
            "The record is newer than the server understands; update the server",
        ),
        "sync.schema_older" => (
            "记录声称的格式比该设备之前的记录旧",
            "The record claims an older format than the tablet's records before it",
        ),
        "sync.hlc_device_mismatch" => (
            "记录的时钟标记与设备不符",
            "The record's clock stamp names another device",
        ),
        "sync.duplicate_op_id" => (
            "记录编号与另一条记录重复",
            "The record's id is already used by another record",
        ),
        "sync.author_mismatch" => (
            "记录的操作人与登录的用户不符",
            "The record's author is not the logged-in user",
        ),
        "sync.author_disabled" => (
            "记录的操作人已被停用，其记录不再接收",
            "The record's author is disabled; their records are no longer taken",
        ),
        "sync.device_revoked" => (
            "记录来自已吊销的设备，不再接收",
            "The record comes from a revoked tablet and is no longer taken",
        ),
        "import.empty" => ("文件中没有记录", "The file holds no records"),
        "import.too_many" => (
            "文件中的记录太多，一次最多导入 2000 条",
            "The file holds too many records: at most 2000 at a time",
        ),
        "import.mixed_devices" => (
            "文件中的记录来自不同的平板，不是一台平板导出的文件",
            "The file's records come from several tablets: it is no export of one tablet",
        ),
        "import.device_active" => (
            "这台平板未被吊销，它会在同步时自己上传这些记录",
            "This tablet is not revoked: it uploads these records itself when it syncs",
        ),
        "import.device_unknown" => (
            "服务器不认识做这些记录的平板（例如从备份恢复之后），无法导入",
            "The server does not know the tablet these records were made on (after a restore from a backup, for example), so they cannot be imported",
        ),
        "import.unproven" => (
            "文件不能证明这条记录是其操作人在这台平板上做的（导出后被改过、由他人写入，或是在记录带证明之前做的）：只有向操作人核实后才重新应用",
            "The file does not prove this record was made by its author on this tablet (changed after it was made, written by someone else, or made before records carried proofs): re-apply it only once its author confirms it",
        ),
        "sync.role_mismatch" => (
            "记录的角色与该用户当前的角色不符",
            "The record's role is not the user's current role",
        ),
        "sync.role_not_allowed" => ("该角色不能登记工单", "This role may not register cases"),
        "sync.unknown_property" => ("服务器上没有该项目", "The server has no such property"),
        "sync.invalid_registration" => ("登记内容无效", "The registration is not valid"),
        "sync.unknown_case" => (
            "服务器上还没有该工单的登记（登记被隔离的，管理员重新应用登记后本条随之生效）",
            "The server has no registration of this case yet (if its registration was set aside, this takes effect with it once an administrator re-applies it)",
        ),
        "sync.out_of_scope" => (
            "该工单的项目不在该用户的负责范围内",
            "The case's property is outside the user's scope",
        ),
        "sync.clone" => (
            "该设备序号已被另一条不同的记录占用（设备可能被复制过）",
            "Another record holds this device sequence number (a copied device?)",
        ),
        "sync.unreadable" => ("记录无法读取", "The record cannot be read"),
        "sync.cursor_ahead" => (
            "服务器的数据比本机已同步的还少（数据库恢复后没有开始新的同步纪元），请联系系统管理员运行 server new-epoch",
            "The server holds less than this tablet already pulled (its database was restored without a new sync epoch): ask the administrator to run server new-epoch",
        ),
        "sync.epoch_changed" => (
            "服务器刚从备份恢复，稍后会自动重新同步",
            "The server was just restored from a backup; syncing again shortly",
        ),
        "sync.not_acknowledged" => (
            "服务器没有确认收到上传的记录，稍后会自动重试",
            "The server did not acknowledge the records sent; retrying shortly",
        ),
        "assign.unknown_user" => (
            "派单对象不是系统中的用户",
            "The person assigned is not a user of the system",
        ),
        "assign.not_assignable" => (
            "派单对象已停用、不处理工单或不在该项目：请改派给本项目的人员",
            "The person assigned is disabled, does not work cases or is not of this property: assign someone of the property",
        ),
        "assign.not_handling" => (
            "部门主管只能转派本部门（或本人）负责、或尚未派单的工单：该工单已由其他部门负责，请由管理处改派",
            "A department head passes on only the cases of their department (or their own) or of no one yet: another department has this case; management reassigns it",
        ),
        "change_responder.unknown_user" => (
            "新的首问责任人不是系统中的用户",
            "The new first responder is not a user of the system",
        ),
        "change_responder.not_assignable" => (
            "新的首问责任人已停用、不处理工单或不在该项目：请改选本项目的人员",
            "The new first responder is disabled, does not work cases or is not of this property: choose someone of the property",
        ),
        "conflict.not_yours" => (
            "该冲突应由原操作人或有权进行该操作的人员处理",
            "The conflict is for the one who made the action, or someone who may take it, to settle",
        ),
        "void.unknown_case" => (
            "作废所填的保留工单不存在或不在您负责的项目：请填写本项目中保留的那一张",
            "No case of your properties has the number given as the one kept: name the case of the property that is kept",
        ),
        "void.duplicate_voided" => (
            "作废所填的保留工单本身已作废：请填写保留的那一张",
            "The case named as the one kept is voided itself: name the case that is kept",
        ),
        "sync.too_many_refusals" => (
            "一次询问的隔离记录过多",
            "Too many records set aside asked about at once",
        ),
        // `shared::wire::QUARANTINE_DISCARDED`, spelt out: the test that
        // every code has words here reads the literals.
        "quarantine.discarded" => (
            "系统管理员已在隔离区丢弃这条记录，它不会生效；如仍需要，请重新录入",
            "The administrator discarded it from the quarantine: it will not take effect; record it again if it is still needed",
        ),
        // `shared::wire::CASE_DELETED`, spelt out likewise.
        "case.deleted" => (
            "该工单已按保存期限删除，不再接受新的记录",
            "The case was deleted at the end of its retention period; it takes no new records",
        ),
        "case.already_registered" => (
            "该工单已在服务器上登记过",
            "The case is already registered on the server",
        ),
        "case.reg_no_mismatch" => (
            "登记号与项目、日期或设备编号不符",
            "The registration number does not match the property, date or device",
        ),
        "case.reg_no_taken" => (
            "登记号已被其他工单使用",
            "Another case already has this registration number",
        ),
        "clock.out_of_range" => (
            "时间超出允许范围：设备的时钟可能不准，请校准时间",
            "A time is out of range: the tablet's clock may be wrong",
        ),
        "clock.behind" | "clock.went_back" => (
            "记录的时间早于本设备的记录所允许的范围：设备的时钟可能被调慢，请校准时间",
            "The record's time lies further back than this tablet's own records allow: its clock may have been set back",
        ),
        // The bounds of `shared::validation`, as the server quarantines an
        // op for them (the form shows the field's own message first).
        "validation.required" => ("有必填项未填写", "A required field is empty"),
        "validation.phone_characters" | "validation.phone_malformed" => {
            ("电话号码不正确", "The phone number is not valid")
        }
        "validation.empty_content" => ("内容不能为空", "The content is empty"),
        "validation.too_long" => ("内容过长", "Too long"),
        "validation.control_character" => (
            "内容含有不可见的控制字符",
            "The text holds invisible control characters",
        ),
        "validation.not_in_property" => (
            "所选楼栋/房号不属于该项目",
            "The unit is not part of the property",
        ),
        "validation.unknown_category" => (
            "类别不存在或已停用",
            "The category does not exist or is retired",
        ),
        "validation.property_retired" => (
            "该项目已停用，不能再登记新工单",
            "The property is retired: no new case can be registered in it",
        ),
        "validation.received_in_future" => (
            "受理时间不能晚于登记时间",
            "Received cannot be after recorded",
        ),
        "validation.out_of_range" => ("数值超出允许范围", "A number is out of range"),
        "validation.too_many" => ("项目数量超过上限", "Too many items"),
        "validation.not_a_reg_no" => (
            "关联工单应为完整的登记号，例如 HY-261123-0K-0042",
            "A related case is named by its whole registration number, e.g. HY-261123-0K-0042",
        ),
        "validation.invalid" => ("内容无效", "Not valid"),
        _ => return None,
    };
    Some(lang.pick(zh, en).to_string())
}

/// Why the server set an op aside, from its quarantine's code and words:
/// never the server's English on a Chinese screen, even for a code this
/// build lacks.
pub fn refusal_words(code: &str, message: &str, lang: Lang) -> String {
    // One discarded carries the administrator's reason, in whatever
    // language it was typed.
    if code == shared::wire::QUARANTINE_DISCARDED {
        let words = code_words(code, lang);
        return match (lang, message.trim()) {
            (_, "") => words,
            (Lang::ZhCn, note) => format!("{words}（说明：{note}）"),
            (Lang::En, note) => format!("{words} (the administrator's note: {note})"),
        };
    }
    match lang {
        Lang::ZhCn => code_words(code, lang),
        Lang::En => code_message(code, lang).unwrap_or_else(|| message.to_string()),
    }
}

/// A code in words, or, for a code this build does not know, a generic
/// message that names it.
pub fn code_words(code: &str, lang: Lang) -> String {
    code_message(code, lang).unwrap_or_else(|| match lang {
        Lang::ZhCn => format!("未知原因（代码 {code}）"),
        Lang::En => format!("Unknown reason (code {code})"),
    })
}

/// "At least 8 characters", as the server and the forms say it.
pub fn password_too_short(lang: Lang) -> String {
    let min = shared::validation::MIN_PASSWORD_CHARS;
    match lang {
        Lang::ZhCn => format!("密码至少需要 {min} 个字符"),
        Lang::En => format!("A password needs at least {min} characters"),
    }
}

/// Too many attempts, with how long to wait when the server said.
fn rate_limited(retry_after_secs: Option<u64>, lang: Lang) -> String {
    let Some(secs) = retry_after_secs else {
        return lang
            .pick(
                "尝试次数过多，请稍后再试",
                "Too many attempts; wait a while and try again",
            )
            .into();
    };
    // Whole minutes, rounded up, once it is a minute or more.
    match (lang, secs) {
        (Lang::ZhCn, 0..60) => format!("尝试次数过多，请 {secs} 秒后再试"),
        (Lang::ZhCn, _) => format!("尝试次数过多，请 {} 分钟后再试", secs.div_ceil(60)),
        (Lang::En, 0..60) => format!("Too many attempts; wait {secs} seconds and try again"),
        (Lang::En, _) => format!(
            "Too many attempts; wait {} minutes and try again",
            secs.div_ceil(60)
        ),
    }
}

/// How long a request may take, its answer's body included, before it
/// is given up as a network failure. A link or proxy that stops answering
/// without closing the connection would otherwise hold a sync, and the
/// sync button, until the app is reloaded. A pull page or a push batch
/// takes seconds even on a poor estate link.
const REQUEST_TIMEOUT_MS: u32 = 90_000;

/// How long a download may take: a photo, an export or a case's bundle
/// of several megabytes may take minutes to come down a poor link.
pub(crate) const DOWNLOAD_TIMEOUT_MS: u32 = 600_000;

/// Gives up the request after `ms` (its body included): it then fails as
/// the network does.
pub(crate) fn within(req: RequestBuilder, ms: u32) -> RequestBuilder {
    req.abort_signal(Some(&web_sys::AbortSignal::timeout_with_u32(ms)))
}

/// The app's headers, and [`REQUEST_TIMEOUT_MS`].
fn with_headers(req: RequestBuilder, token: Option<&str>) -> RequestBuilder {
    let req =
        within(req, REQUEST_TIMEOUT_MS).header(CLIENT_SCHEMA_HEADER, &SCHEMA_VERSION.to_string());
    match token {
        Some(t) => req.header("Authorization", &format!("Bearer {t}")),
        None => req,
    }
}

async fn read<T: DeserializeOwned>(resp: Response) -> Result<T, ApiError> {
    crate::clock::heard(&resp);
    let status = resp.status();
    if (200..300).contains(&status) {
        // A body cut off (the network gone, the timeout reached while it
        // came) is the network's fault, not an answer the app cannot read.
        let text = resp
            .text()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        return serde_json::from_str(&text).map_err(|e| ApiError::Decode(e.to_string()));
    }
    Err(refusal(resp).await)
}

/// The error an answer outside 2xx stands for.
async fn refusal(resp: Response) -> ApiError {
    let status = resp.status();
    let retry_after_secs = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok());
    let body = resp.json::<ErrorBody>().await.ok();
    let (code, message) =
        body.map_or_else(|| (String::new(), String::new()), |b| (b.code, b.message));
    match status {
        401 => ApiError::Unauthorized { code },
        429 => ApiError::RateLimited { retry_after_secs },
        426 => ApiError::UpdateRequired,
        _ => ApiError::Server {
            status,
            code,
            message,
        },
    }
}

/// `GET /healthz`: whether the server answers at all (the login screen's
/// connection check).
pub async fn health() -> Result<(), ApiError> {
    let resp = within(Request::get("/healthz"), REQUEST_TIMEOUT_MS)
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    if resp.ok() {
        Ok(())
    } else {
        Err(ApiError::Server {
            status: resp.status(),
            code: String::new(),
            message: String::new(),
        })
    }
}

/// `POST /api/v1/auth/login`.
pub async fn login(req: &LoginRequest) -> Result<LoginResponse, ApiError> {
    let resp = with_headers(Request::post("/api/v1/auth/login"), None)
        .json(req)
        .map_err(|e| ApiError::Decode(e.to_string()))?
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    read(resp).await
}

/// `POST /api/v1/auth/logout`; failures are ignored by the caller, since
/// the token is forgotten locally anyway.
pub async fn logout(token: &str) -> Result<(), ApiError> {
    let resp = with_headers(Request::post("/api/v1/auth/logout"), Some(token))
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    if resp.ok() {
        Ok(())
    } else {
        read::<serde::de::IgnoredAny>(resp).await.map(drop)
    }
}

/// `POST /api/v1/auth/record-key`: the session user's key on this device,
/// for a session begun before logins gave one.
pub async fn record_key(token: &str) -> Result<shared::wire::RecordKey, ApiError> {
    let resp = with_headers(Request::post("/api/v1/auth/record-key"), Some(token))
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    read(resp).await
}

/// `POST /api/v1/auth/password`: changes one's own password (204).
pub async fn change_password(token: &str, req: &PasswordChange) -> Result<(), ApiError> {
    send_empty(Method::Post, token, "/api/v1/auth/password", req, None).await
}

/// `POST /api/v1/sync/push`.
pub async fn push(token: &str, req: &PushRequest) -> Result<PushResponse, ApiError> {
    let resp = with_headers(Request::post("/api/v1/sync/push"), Some(token))
        .json(req)
        .map_err(|e| ApiError::Decode(e.to_string()))?
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    read(resp).await
}

/// `POST /api/v1/sync/refusals`: which of this device's ops set aside an
/// administrator settled since.
pub async fn settled_refusals(
    token: &str,
    asked: &shared::wire::RefusalsAsked,
) -> Result<shared::wire::RefusalsSettled, ApiError> {
    send(Method::Post, token, "/api/v1/sync/refusals", asked).await
}

/// A pulled op as the server wrote it: read on its own
/// (`sync::pull_pages`), so that one this build cannot read (a newer
/// release's, pulled from a server rolled back after it) is kept for a
/// later build rather than failing the page; and stored as written, so
/// that what this build does not know of it is not lost.
#[derive(serde::Deserialize)]
pub struct RawPulledOp {
    /// The op's JSON.
    pub op: Box<serde_json::value::RawValue>,
}

/// A configuration item of a pull page as the server sent it: its key and
/// its value, which the device stores as JSON text and reads with
/// `state::parse_config`. Reading the page's items as `ConfigItem`s
/// would put a second reader of every configuration type into the wasm
/// (serde's adjacently tagged enums buffer their content when the tag does
/// not come first): 72 KiB of the 2.5 MB wasm.
#[derive(Debug, serde::Deserialize)]
pub struct ConfigJson {
    /// Which item: the `type` tag of a `ConfigItem`.
    #[serde(rename = "type")]
    pub key: ConfigKey,
    /// The item's value.
    pub value: serde_json::Value,
}

/// `GET /api/v1/sync/pull?after=N&limit=M`.
pub async fn pull(
    token: &str,
    after: i64,
    limit: u32,
) -> Result<PullResponse<ConfigJson, RawPulledOp>, ApiError> {
    let url = format!("/api/v1/sync/pull?after={after}&limit={limit}");
    let resp = with_headers(Request::get(&url), Some(token))
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    read(resp).await
}

/// `GET /api/v1/cases/{id}`, of which only the complainant's phone as
/// the server shows it to the user. Read as a whole `Case`, the answer
/// would put a reader of every type of a case into the wasm for this one
/// field.
pub async fn case_phone(token: &str, id: shared::id::CaseId) -> Result<Option<String>, ApiError> {
    #[derive(serde::Deserialize)]
    struct Shown {
        registration: Registration,
    }
    #[derive(serde::Deserialize)]
    struct Registration {
        complainant: Complainant,
    }
    #[derive(serde::Deserialize)]
    struct Complainant {
        phone: Option<String>,
    }
    let shown: Shown = get(token, &format!("/api/v1/cases/{id}")).await?;
    Ok(shown.registration.complainant.phone)
}

/// `GET url` with the session's token, decoded as `T`.
async fn get<T: DeserializeOwned>(token: &str, url: &str) -> Result<T, ApiError> {
    let resp = with_headers(Request::get(url), Some(token))
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    read(resp).await
}

/// `method url` with a JSON body and the session's token, decoded as `T`.
async fn send<B: serde::Serialize, T: DeserializeOwned>(
    method: Method,
    token: &str,
    url: &str,
    body: &B,
) -> Result<T, ApiError> {
    read(send_raw(method, token, url, body, None).await?).await
}

/// What a read of an item the admin screens save whole (the properties,
/// the settings, the categories) answered, with its revision (`ETag`).
/// The save sends the revision back (`If-Match`), and the server refuses
/// it with `admin.changed_meanwhile` when another save came in between,
/// instead of letting this older copy undo that change.
#[derive(Debug, Clone, PartialEq)]
pub struct Tagged<T> {
    /// What was read.
    pub value: T,
    /// Its revision, when the server sent one.
    pub tag: Option<String>,
}

/// `GET url`, decoded as `T`, with its `ETag`.
async fn get_tagged<T: DeserializeOwned>(token: &str, url: &str) -> Result<Tagged<T>, ApiError> {
    let resp = with_headers(Request::get(url), Some(token))
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    let tag = resp.headers().get("etag");
    Ok(Tagged {
        value: read(resp).await?,
        tag,
    })
}

/// Like [`send`], with `If-Match: if_match` when given, answering the
/// saved item's new `ETag` with it.
async fn send_tagged<B: serde::Serialize, T: DeserializeOwned>(
    method: Method,
    token: &str,
    url: &str,
    body: &B,
    if_match: Option<&str>,
) -> Result<Tagged<T>, ApiError> {
    let resp = send_raw(method, token, url, body, if_match).await?;
    let tag = resp.headers().get("etag");
    Ok(Tagged {
        value: read(resp).await?,
        tag,
    })
}

/// Like [`send`], for answers without a body (`204 No Content`), with
/// `If-Match: if_match` when given.
async fn send_empty<B: serde::Serialize>(
    method: Method,
    token: &str,
    url: &str,
    body: &B,
    if_match: Option<&str>,
) -> Result<(), ApiError> {
    let resp = send_raw(method, token, url, body, if_match).await?;
    if resp.ok() {
        Ok(())
    } else {
        read::<serde::de::IgnoredAny>(resp).await.map(drop)
    }
}

async fn send_raw<B: serde::Serialize>(
    method: Method,
    token: &str,
    url: &str,
    body: &B,
    if_match: Option<&str>,
) -> Result<Response, ApiError> {
    let builder = match method {
        Method::Post => Request::post(url),
        Method::Put => Request::put(url),
        Method::Delete => Request::delete(url),
    };
    let builder = match if_match {
        Some(tag) => builder.header("If-Match", tag),
        None => builder,
    };
    with_headers(builder, Some(token))
        .json(body)
        .map_err(|e| ApiError::Decode(e.to_string()))?
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))
}

/// The HTTP methods [`send`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    /// Create or act.
    Post,
    /// Replace.
    Put,
    /// Delete.
    Delete,
}
