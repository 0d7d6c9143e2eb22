//! 设备: the devices the server issued, and revoking one.

use super::{company_tz, short, token};
use crate::api::ApiError;
use crate::api::admin::{self, DeviceInfo};
use crate::components::form::AskFirst;
use crate::components::table::{DataTable, Loaded, loaded};
use crate::i18n;
use crate::state::use_app;
use chrono_tz::Tz;
use leptos::prelude::*;

/// The devices tab.
#[component]
pub fn DevicesTab() -> impl IntoView {
    let ctx = use_app();
    let devices: Loaded<Vec<DeviceInfo>> =
        LocalResource::new(move || async move { admin::devices(&token(ctx)?).await });
    let error = RwSignal::new(None::<ApiError>);
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="admin-section" data-testid="admin-devices">
            <h3>{t("设备", "Devices")}</h3>
            <p class="hint">{t(
                "吊销后，该设备的登录立即失效，且不能再登录或同步。设备上尚未同步的记录将无法上传。",
                "A revoked device's logins stop at once and it can no longer log in or sync. Records it has not synced cannot be uploaded.",
            )}</p>
            <p class="error" role="alert" data-testid="admin-error">{move || error.with(|e| e.as_ref().map(|e| e.message(ctx.lang.get())))}</p>
            {loaded(devices, move |list| {
                let tz = company_tz(ctx);
                let rows = list
                    .into_iter()
                    .map(|d| view! { <DeviceRow device=d tz=tz reload=devices error=error/> })
                    .collect_view();
                view! {
                    <DataTable testid="device-table" headers=&[
                        ("名称", "Name"),
                        ("设备码（见登记号）", "Code (in case numbers)"),
                        ("设备 ID", "Device id"),
                        ("首次登录", "First login"),
                        ("最近联系", "Last seen"),
                        ("已确认序号", "Acknowledged"),
                        ("状态", "Status"),
                        ("", ""),
                    ]>
                        {rows}
                    </DataTable>
                }
                .into_any()
            })}
        </div>
    }
}

#[component]
fn DeviceRow(
    device: DeviceInfo,
    tz: Tz,
    reload: Loaded<Vec<DeviceInfo>>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let ctx = use_app();
    let id = device.id.to_string();
    let revoked = device.revoked;
    // The tablet this admin works on: revoked, it could never log in
    // again, and the server refuses it (`admin.revoke_own_device`).
    let this = ctx
        .identity
        .with_untracked(|i| i.as_ref().is_some_and(|i| i.device == device.id));
    let confirming = RwSignal::new(false);
    let revoke = Action::new_local(move |id: &String| {
        let id = id.clone();
        async move {
            let result = admin::revoke_device(&token(ctx)?, &id).await;
            confirming.set(false);
            match &result {
                Ok(()) => {
                    error.set(None);
                    reload.refetch();
                }
                Err(e) => error.set(Some(e.clone())),
            }
            result
        }
    });
    let confirm = {
        let id = id.clone();
        Callback::new(move |()| {
            revoke.dispatch_local(id.clone());
        })
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <tr data-testid="device-row" data-device=id.clone() data-revoked=revoked.to_string()>
            <td class="admin-wrap">
                {device.name}
                {this.then(|| view! { " " <span class="badge ok" data-testid="device-this">{t("本设备", "This device")}</span> })}
            </td>
            // As the registration numbers made on it show it (`0K`).
            <td data-testid="device-code">{shared::regno::device_code(device.number)}</td>
            <td><code title=id.clone()>{short(&id)}</code></td>
            <td>{i18n::fmt_time(device.first_seen, tz)}</td>
            <td>{i18n::fmt_time(device.last_seen, tz)}</td>
            <td>{device.acked_seq}</td>
            <td>
                <span class="badge" class:overdue=revoked class:ok=!revoked>
                    {move || if revoked { ctx.lang.get().pick("已吊销", "Revoked") } else { ctx.lang.get().pick("正常", "Active") }}
                </span>
            </td>
            <td class="admin-row-actions">
                {(!revoked && !this).then(|| view! {
                    <Show
                        when=move || confirming.get()
                        fallback=move || view! {
                            <button type="button" class="btn small danger" data-testid="device-revoke"
                                on:click=move |_| confirming.set(true)>
                                {t("吊销", "Revoke")}
                            </button>
                        }
                    >
                        <AskFirst question=("确定吊销该设备？", "Revoke this device?")
                            confirm=("确认吊销", "Yes, revoke") testid="device-revoke"
                            asking=confirming busy=revoke.pending() on_confirm=confirm/>
                    </Show>
                })}
            </td>
        </tr>
    }
}
