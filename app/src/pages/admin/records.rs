//! 导入平板记录: the file a revoked tablet exported of what it never
//! uploaded (`components::ExportUnsent`), imported so that the records
//! reach the server. The server judges each one as the tablet's own push
//! would be (`POST /api/v1/admin/records/import`); what it refuses joins the
//! quarantine list below, and importing the file again judges those again.
//! Then the photos and signatures the file carries are uploaded as any
//! evidence is (`evidence::upload::send`): the server takes those whose
//! records it now holds.

use super::token;
use crate::api::ApiError;
use crate::api::admin;
use crate::components::form::Unsaved;
use crate::evidence::{bytes_to_blob, from_base64, upload};
use crate::state::{AppCtx, use_app};
use crate::sync::{PUSH_BATCH, PUSH_BYTES, batch};
use leptos::prelude::*;
use shared::blob::BlobHash;
use shared::lang::Lang;
use shared::wire::{RecordsBlob, RecordsFile, RecordsImport};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Where an import stands.
#[derive(Debug, Clone)]
enum Imported {
    Reading,
    /// What the records did (none when the files carry only evidence),
    /// the evidence, and why the import stopped, if it did.
    Done(Option<RecordsImport>, Files, Option<Stop>),
}

/// Why an import stopped before its last file.
#[derive(Debug, Clone)]
enum Stop {
    /// The browser could not read the file named.
    Unreadable(String),
    /// The file named is no export of records.
    NotAnExport(String),
    /// The server refused the records.
    Refused(ApiError),
}

/// What became of the evidence bytes a file carries.
#[derive(Debug, Clone, Default)]
struct Files {
    /// On the server now: uploaded, or held already.
    stored: usize,
    /// Refused until the records that name them are stored: quarantined,
    /// or not in any file imported.
    waiting: usize,
    /// Not the bytes their name says (damaged in the file), or not of the
    /// type their record declares.
    damaged: usize,
    /// Of records an administrator discarded: never taken.
    discarded: usize,
    /// Why the uploads stopped (the network, the session).
    stopped: Option<ApiError>,
}

impl Files {
    fn add(&mut self, more: Files) {
        self.stored += more.stored;
        self.waiting += more.waiting;
        self.damaged += more.damaged;
        self.discarded += more.discarded;
        self.stopped = more.stopped;
    }
}

/// The import form; `done` runs after an import, so that the quarantine
/// list shows what it set aside.
#[component]
pub fn RecordsImportForm(done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let ctx = use_app();
    let state = RwSignal::new(None::<Imported>);
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let reading = move || matches!(state.get(), Some(Imported::Reading));
    // An import under way is not left, nor reloaded by an update: its
    // report would be lost, and its uploads cut off.
    Unsaved::track(reading);
    let chosen = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let chosen = input.files().map_or_else(Vec::new, |list| {
            (0..list.length())
                .filter_map(|i| list.get(i))
                .collect::<Vec<_>>()
        });
        if chosen.is_empty() {
            return;
        }
        // Emptied, so that choosing the same file again (after mending
        // what set records aside) is a change again.
        input.set_value("");
        state.set(Some(Imported::Reading));
        leptos::task::spawn_local(async move {
            let done_now = import_files(ctx, chosen, done).await;
            state.try_set(Some(done_now));
        });
    };
    let said = move || {
        let l = ctx.lang.get();
        state.get().map(|s| match s {
            Imported::Reading => view! {
                <p role="status" data-testid="records-reading">{l.pick("正在导入…", "Importing…")}</p>
            }
            .into_any(),
            Imported::Done(r, files, stop) => view! {
                {r.map(|r| view! {
                    <p class="admin-done" role="status" data-testid="records-imported"
                        data-stored=r.stored data-held=r.held data-quarantined=r.quarantined.len()>
                        {summary(&r, l)}
                    </p>
                })}
                {stop.map(|stop| view! {
                    <p class="error" role="alert" data-testid="records-error">{stop_said(&stop, l)}</p>
                })}
                {files_said(files, l)}
            }
            .into_any(),
        })
    };
    view! {
        <div class="card admin-form" data-testid="records-import">
            <h4>{t("导入平板导出的记录", "Import records exported from a tablet")}</h4>
            <p class="hint">{t(
                "被吊销的平板无法上传的记录可以在平板上导出为文件。选择该文件后，服务器逐条审核（作者、角色、项目权限和流程）：通过的记录入库，其余进入下方的隔离区。同一文件导入两次不会重复入库；排除隔离原因后（例如暂时重新启用已停用的作者），再次导入同一文件即可重新审核其中被隔离的记录。文件中的照片和签名在其记录入库后上传。照片多的平板会导出几个文件，请一次全部选中。",
                "A revoked tablet can export the records it could not upload as a file. Choose that file: the server judges each record (its author, role, property and the workflow); what passes is stored, the rest joins the quarantine list below. Importing the same file twice stores nothing twice; once the cause is mended (a disabled author enabled again for a while, say), importing it again judges its quarantined records again. The photos and signatures in the file are uploaded once their records are stored. A tablet with many photos exports several files: choose them all at once.",
            )}</p>
            <input type="file" accept=".json,application/json" multiple data-testid="records-file"
                prop:disabled=reading on:change=chosen/>
            {said}
        </div>
    }
}

/// Imports the files chosen, in the order of their names (an export's
/// first file holds the records, the next ones their photos and
/// signatures): each file's records, then its evidence. Stops at the first
/// file that cannot be read or imported.
/// `done` runs after each file's records, so that the quarantine list
/// shows what they did while the evidence goes up.
async fn import_files(ctx: AppCtx, mut chosen: Vec<web_sys::File>, done: impl Fn()) -> Imported {
    chosen.sort_by_key(web_sys::File::name);
    let mut report: Option<RecordsImport> = None;
    let mut files = Files::default();
    for file in chosen {
        let name = file.name();
        let text = match JsFuture::from(file.text()).await {
            Ok(text) => text.as_string().unwrap_or_default(),
            Err(e) => {
                leptos::logging::warn!("reading {name}: {}", crate::evidence::js_error(e));
                return Imported::Done(report, files, Some(Stop::Unreadable(name)));
            }
        };
        let parsed = serde_json::from_str::<RecordsFile>(&text);
        drop(text);
        let Ok(mut records) = parsed else {
            return Imported::Done(report, files, Some(Stop::NotAnExport(name)));
        };
        let carried = std::mem::take(&mut records.files);
        // A file of files alone: their records are in another file, or
        // reached the server before the tablet was revoked.
        let imported = if records.ops.is_empty() && !carried.is_empty() {
            Ok(None)
        } else {
            import(ctx, records).await.map(Some)
        };
        let (this, refused) = match imported {
            Ok(this) => (this, None),
            Err((e, before)) => (before, Some(e)),
        };
        report = add_up(report, this);
        done();
        // Uploaded even after a refusal: the server takes the bytes of
        // whatever records it holds, and refuses the rest.
        files.add(upload_files(ctx, &carried).await);
        if let Some(e) = refused {
            return Imported::Done(report, files, Some(Stop::Refused(e)));
        }
        if files.stopped.is_some() {
            break;
        }
    }
    Imported::Done(report, files, None)
}

/// Two reports of records imported as one.
fn add_up(sum: Option<RecordsImport>, more: Option<RecordsImport>) -> Option<RecordsImport> {
    match (sum, more) {
        (Some(mut sum), Some(more)) => {
            sum.stored += more.stored;
            sum.held += more.held;
            sum.quarantined.extend(more.quarantined);
            sum.missing_from = more.missing_from;
            Some(sum)
        }
        (sum, more) => sum.or(more),
    }
}

/// Why an import stopped, in words.
fn stop_said(stop: &Stop, l: Lang) -> String {
    match (stop, l) {
        (Stop::Unreadable(name), Lang::ZhCn) => format!("无法读取文件 {name}，请重新选择后再试。"),
        (Stop::Unreadable(name), Lang::En) => {
            format!("The file {name} could not be read; choose it again.")
        }
        (Stop::NotAnExport(name), Lang::ZhCn) => {
            format!("文件 {name} 不是平板导出的记录文件（JSON）。")
        }
        (Stop::NotAnExport(name), Lang::En) => {
            format!("The file {name} is not a file of records exported from a tablet (JSON).")
        }
        (Stop::Refused(e), l) => e.message(l),
    }
}

/// Imports `records` in parts a push would send (`sync::batch`): a
/// revoked tablet's outbox may be more than one request carries. The parts
/// go in sequence order and stop at a gap; their reports add up. A
/// refusal comes with what the parts before it did.
async fn import(
    ctx: AppCtx,
    records: RecordsFile,
) -> Result<RecordsImport, (ApiError, Option<RecordsImport>)> {
    let token = token(ctx).map_err(|e| (e, None))?;
    let mut rest = records.ops.clone();
    rest.sort_by_key(|op| op.seq);
    let mut total: Option<RecordsImport> = None;
    while !rest.is_empty() {
        let ops = batch(
            rest.iter().take(PUSH_BATCH).cloned().collect(),
            PUSH_BATCH,
            PUSH_BYTES,
        );
        rest.drain(..ops.len());
        // With the proofs of its own records only, and none of the file's
        // evidence bytes, which go up after.
        let proofs = ops
            .iter()
            .filter_map(|op| Some((op.id, records.proofs.get(&op.id)?.clone())))
            .collect();
        let part = RecordsFile {
            what: records.what.clone(),
            exported_at: records.exported_at,
            blocked: records.blocked.clone(),
            device: records.device.clone(),
            user: records.user.clone(),
            count: ops.len(),
            ops,
            proofs,
            files: Vec::new(),
        };
        let report = match admin::import_records(&token, &part).await {
            Ok(report) => report,
            Err(e) => return Err((e, total)),
        };
        let gap = report.missing_from.is_some();
        total = add_up(total, Some(report));
        if gap {
            break;
        }
    }
    // An empty file gets the server's own refusal.
    match total {
        Some(total) => Ok(total),
        None => admin::import_records(&token, &records)
            .await
            .map_err(|e| (e, None)),
    }
}

/// Uploads the evidence bytes a file carries, one by one, each checked
/// against its name first.
async fn upload_files(ctx: AppCtx, files: &[RecordsBlob]) -> Files {
    let mut sent = Files::default();
    if files.is_empty() {
        return sent;
    }
    let token = match token(ctx) {
        Ok(token) => token,
        Err(e) => {
            sent.stopped = Some(e);
            return sent;
        }
    };
    for file in files {
        let bytes = from_base64(&file.base64).ok();
        let Some(blob) = bytes
            .filter(|b| BlobHash::of(b) == file.hash)
            .and_then(|b| bytes_to_blob(&b, "application/octet-stream").ok())
        else {
            sent.damaged += 1;
            continue;
        };
        match upload::send(ctx, &token, file.hash, &blob).await {
            Ok(()) => sent.stored += 1,
            Err(e) if e.code() == Some("blob.unknown") => sent.waiting += 1,
            Err(e) if e.code() == Some("blob.discarded") => sent.discarded += 1,
            // Not what its record says it is (a file an older app kept as
            // the camera named it): the server will never take it, and
            // stopping here would stop every import of the file at it.
            Err(e) if e.code() == Some("blob.wrong_type") => sent.damaged += 1,
            Err(e) => {
                sent.stopped = Some(e);
                break;
            }
        }
    }
    sent
}

/// What became of a file's evidence bytes, when it carried any.
fn files_said(files: Files, l: Lang) -> Option<impl IntoView> {
    let total = files.stored + files.waiting + files.damaged + files.discarded;
    if total == 0 && files.stopped.is_none() {
        return None;
    }
    let mut text = match l {
        Lang::ZhCn => format!(
            "照片和签名文件：服务器已有 {} 个；{} 个等待其记录入库（记录在隔离区时，排除原因后再次导入本文件）；{} 个已损坏或类型不符，未上传。",
            files.stored, files.waiting, files.damaged
        ),
        Lang::En => format!(
            "Photo and signature files: {} on the server; {} waiting for their records to be stored (when those are quarantined, import this file again once the cause is mended); {} damaged or not of their declared type, not uploaded.",
            files.stored, files.waiting, files.damaged
        ),
    };
    if files.discarded > 0 {
        text.push(' ');
        text.push_str(&match l {
            Lang::ZhCn => format!(
                "另有 {} 个属于已被舍弃的记录，服务器不再接收。",
                files.discarded
            ),
            Lang::En => format!(
                "{} more belong to records that were discarded, which the server no longer takes.",
                files.discarded
            ),
        });
    }
    if let Some(e) = &files.stopped {
        text.push(' ');
        text.push_str(&match l {
            Lang::ZhCn => format!(
                "上传中断：{}。再次导入本文件可继续。",
                e.message(l).trim_end_matches('。')
            ),
            Lang::En => format!(
                "The uploads stopped: {}. Import this file again to go on.",
                e.message(l)
            ),
        });
    }
    Some(view! {
        <p class="admin-done" role="status" data-testid="records-files" data-stored=files.stored
            data-waiting=files.waiting data-damaged=files.damaged
            data-discarded=files.discarded>{text}</p>
    })
}

/// What an import did, in words.
fn summary(r: &RecordsImport, l: Lang) -> String {
    let aside = r.quarantined.len();
    let mut text = match l {
        Lang::ZhCn => format!(
            "已入库 {} 条；服务器已有 {} 条；进入隔离区 {aside} 条。",
            r.stored, r.held
        ),
        Lang::En => format!(
            "Stored {}; already on the server {}; quarantined {aside}.",
            r.stored, r.held
        ),
    };
    // Not on the server, though settled: the admin must not read them as
    // stored.
    if r.settled > 0 {
        text.push(' ');
        text.push_str(&match l {
            Lang::ZhCn => format!("另有 {} 条已被管理员丢弃（或其工单已删除），未入库。", r.settled),
            Lang::En => format!(
                "{} more were discarded by an administrator (or their case deleted), and are not stored.",
                r.settled
            ),
        });
    }
    if let Some(seq) = r.missing_from {
        text.push(' ');
        text.push_str(&match l {
            Lang::ZhCn => format!(
                "服务器缺少这台平板从第 {seq} 条起的记录，文件中之后的记录未入库：请导入包含这些记录的文件。"
            ),
            Lang::En => format!(
                "The server lacks this tablet's records from number {seq} on, so the file's later records were not stored: import a file that holds them."
            ),
        });
    }
    text
}
