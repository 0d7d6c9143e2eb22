//! 审计日志: the latest audit records, newest first.

use super::{company_tz, short, token};
use crate::api::admin::{self, AuditRecord};
use crate::components::table::{DataTable, Loaded, loaded};
use crate::i18n;
use crate::state::use_app;
use leptos::prelude::*;
use serde_json::Value;
use shared::lang::Lang;

/// How many records the tab shows.
const LATEST: u32 = 200;

/// The audit tab.
#[component]
pub fn AuditTab() -> impl IntoView {
    let ctx = use_app();
    let records: Loaded<Vec<AuditRecord>> =
        LocalResource::new(move || async move { admin::audit(&token(ctx)?, LATEST).await });
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="admin-section" data-testid="admin-audit">
            <div class="admin-section-head">
                <h3>{t("审计日志（最近 200 条）", "Audit log (latest 200)")}</h3>
                <button type="button" class="btn small" data-testid="audit-refresh" on:click=move |_| records.refetch()>
                    {t("刷新", "Refresh")}
                </button>
            </div>
            {loaded(records, move |list| {
                let tz = company_tz(ctx);
                let rows = list
                    .into_iter()
                    .map(|r| {
                        let who = r.login.clone().unwrap_or_else(|| {
                            short(&r.user.map(|u| u.to_string()).unwrap_or_default())
                        });
                        let device = r.device.map(|d| d.to_string()).unwrap_or_default();
                        // Named as the devices list names it: ids made in
                        // the same minute share their first characters.
                        let shown = match (r.device_number, &r.device_name) {
                            (Some(n), Some(name)) if !name.is_empty() => format!("#{n} {name}"),
                            (Some(n), _) => format!("#{n}"),
                            _ => short(&device),
                        };
                        let action = r.action.clone();
                        let code = action.clone();
                        let title = action.clone();
                        let detail = detail_text(&r.detail);
                        let detail_short: String = detail.chars().take(200).collect();
                        view! {
                            <tr data-testid="audit-row" data-action=action.clone()>
                                <td class="admin-nowrap">{i18n::fmt_time(r.at, tz)}</td>
                                <td>{who}</td>
                                <td data-testid="audit-device"><code title=device.clone()>{shown}</code></td>
                                <td>{
                                    // What the server's own commands record.
                                    let address = r.address.clone().unwrap_or_default();
                                    move || match address.as_str() {
                                        shared::admin::COMMAND_LINE => ctx.lang.get().pick("命令行", "command line").to_string(),
                                        other => other.to_string(),
                                    }
                                }</td>
                                <td title=title>{move || audit_action(&code, ctx.lang.get())}</td>
                                <td class="admin-detail" title=detail>{detail_short}</td>
                            </tr>
                        }
                    })
                    .collect_view();
                view! {
                    <DataTable testid="audit-table" headers=&[
                        ("时间", "When"),
                        ("操作人", "Who"),
                        ("设备", "Device"),
                        ("来源地址", "From"),
                        ("操作", "What"),
                        ("详情", "Details"),
                    ]>
                        {rows}
                    </DataTable>
                }
                .into_any()
            })}
        </div>
    }
}

/// A record's details as the server stored them. They are free-form per
/// action (an object, or the raw text when the stored JSON did not parse),
/// so the tab shows text as it is and anything else as its JSON.
fn detail_text(detail: &Value) -> String {
    match detail {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// An audit action code for a person; unknown codes are shown as they are.
fn audit_action(code: &str, l: Lang) -> String {
    let (zh, en) = match code {
        "user.create" => ("新增用户", "User created"),
        "user.set_active" => ("启用/停用用户", "User enabled or disabled"),
        "user.update" => ("修改用户", "User corrected"),
        "user.reset_password" => ("重置用户密码", "User's password reset"),
        "user.must_change_password" => (
            "设置初始密码（首次登录时须修改）",
            "Initial password set (to be changed at the first login)",
        ),
        "auth.password_change" => ("修改密码", "Password changed"),
        "auth.password_change_repeated" => (
            "重复提交的修改密码（已修改，未再改动）",
            "Password change sent again (already made, nothing changed)",
        ),
        "auth.password_change_failed" => (
            "修改密码失败（当前密码错误）",
            "Password change refused (wrong current password)",
        ),
        "auth.logout" => ("退出登录", "Logout"),
        "device.revoke" => ("吊销设备", "Device revoked"),
        "property.put" => ("保存项目", "Property saved"),
        "settings.put" => ("修改设置", "Settings changed"),
        "categories.put" => ("修改类别", "Categories changed"),
        "calendar.put" => ("导入节假日", "Holiday calendar loaded"),
        "quarantine.reapply" => ("重新应用隔离记录", "Quarantined record re-applied"),
        "quarantine.discard" => ("丢弃隔离记录", "Quarantined record discarded"),
        "records.import" => (
            "导入平板导出的记录",
            "Records exported from a tablet imported",
        ),
        "export.cases" => ("导出工单列表", "Case list exported"),
        "export.stats" => ("导出统计报表", "Statistics exported"),
        "export.case_bundle" => (
            "导出工单档案（记录表与证据）",
            "Case record and evidence exported",
        ),
        "case.delete" => ("删除过期工单", "Expired case deleted"),
        "auth.login" => ("登录", "Login"),
        "auth.login_failed" => ("登录失败", "Failed login"),
        "auth.login_refused_revoked" => (
            "已吊销设备上的登录被拒绝",
            "Login refused on a revoked device",
        ),
        "spot_check.draw" => ("抽取季度抽查样本", "Spot-check sample drawn"),
        "blob.uploaded" => ("上传照片或签名", "Photo or signature uploaded"),
        "database.migrate" => ("迁移数据库到 PostgreSQL", "Database moved to PostgreSQL"),
        "server.restore" => ("从备份恢复数据库", "Database restored from a backup"),
        "server.new_epoch" => (
            "开始新的同步纪元（数据库已恢复）",
            "New sync epoch (database restored)",
        ),
        _ => return code.to_string(),
    };
    l.pick(zh, en).to_string()
}
