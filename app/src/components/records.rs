//! The file of the records this tablet has not uploaded
//! (`shared::wire::RecordsFile`), for the administrator to import
//! (`pages::admin::records`): the outbox of a revoked tablet, with the
//! photos and signatures the server lacks, or what the tablet made under a
//! former device id.

use crate::evidence::js_error;
use crate::state::{AppCtx, now, use_app};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::blob::BlobHash;
use shared::id::OpId;
use shared::lang::Lang;
use shared::op::Op;
use shared::wire::{RECORDS_FILE_CHARS, RecordsDevice, RecordsFile, RecordsUser, records_parts};
use std::collections::BTreeMap;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// What an export of the outbox holds, as its file says.
const UNSENT_WHAT: &str = "records this tablet made that the server has not acknowledged";
/// What an export of a former identity's records holds.
const FORMER_WHAT: &str = "records this tablet made under a former device id, which the server no longer knows: they cannot sync or be imported, and are kept here for the record";

/// The evidence the server lacks that goes with a file of `ops`, the
/// tablet's unsent records: the bytes those records name; those of this
/// tablet's records the server took whose bytes never reached it (a
/// colleague's too, and with nobody logged in: a revoked tablet's file is
/// all that will be left of them); and those the logged-in user took that
/// the server set aside (their ops acknowledged and quarantined). Not a
/// colleague's set-aside photos, which the tablet keeps for their own
/// login and the server would not show this user (a case of another
/// property, a resident's signature to a role that sees complainants
/// masked). Tracks the uploads, for the count the banner shows.
pub fn uploads_of(ctx: AppCtx, ops: &[Op]) -> Vec<BlobHash> {
    let named: std::collections::HashSet<BlobHash> = ops.iter().flat_map(Op::blob_hashes).collect();
    let me = ctx.actor().map(|a| a.user);
    let device = ctx.device.with_untracked(|d| d.as_ref().map(|d| d.device));
    ctx.uploads.with(|uploads| {
        ctx.ops.with_value(|log| {
            // An upload is named by this device's op of its sequence number.
            let ours = |u: &crate::db::PendingUpload| {
                (log.cases().flat_map(|(_, ops)| ops).chain(log.kept())).any(|op| {
                    Some(op.device) == device
                        && op.case_id == u.case_id
                        && op.seq == u.seq
                        && (!u.set_aside || Some(op.author) == me)
                })
            };
            uploads
                .values()
                .filter(|u| named.contains(&u.hash) || ours(u))
                .map(|u| u.hash)
                .collect()
        })
    })
}

/// The files made, each behind an object URL.
#[derive(Debug, Clone, PartialEq)]
struct Made {
    parts: Vec<Part>,
    records: usize,
    /// The evidence files they carry.
    files: usize,
    /// The evidence files that could not be read from storage.
    unread: usize,
}

/// One file of an export (`shared::wire::records_parts`): the first holds
/// the records.
#[derive(Debug, Clone, PartialEq)]
struct Part {
    url: String,
    name: String,
    files: usize,
}

/// Makes, when tapped, this device's unsent records as a JSON file, with
/// the evidence bytes the server lacks, and offers it as a link (a `Blob`
/// behind an `<a download>`); with `former`, those records instead: what
/// the tablet made under a former device id (`db::stranded_ops`). The ops
/// are exactly as a push would send them; nothing is deleted. The file is
/// made only when asked: the photos are read from storage then, and a
/// tablet offline for long may hold hundreds of megabytes of them.
#[component]
pub fn ExportUnsent(
    testid: &'static str,
    #[prop(optional, into)] former: Option<Signal<Vec<Op>>>,
) -> impl IntoView {
    let ctx = use_app();
    let made = RwSignal::new(None::<Made>);
    let making = RwSignal::new(false);
    let failed = RwSignal::new(None::<String>);
    // A file made before the records changed would leave some out: it
    // goes, and the next tap makes another. One being made meanwhile is
    // dropped when it is done (its generation passed).
    let generation = StoredValue::new(0u32);
    // What a file would hold: its records, and for the outbox the uploads
    // waiting. Compared, not only tracked: a list read again with the same
    // records (a sync, a login's reads) leaves the file made.
    let holds = Memo::new(move |_| match former {
        Some(ops) => ops.with(|ops| (ops.iter().map(|op| op.id).collect::<Vec<_>>(), Vec::new())),
        None => {
            let ops = ctx.exported();
            let mut uploads: Vec<BlobHash> = ctx.uploads.with(|u| u.keys().copied().collect());
            uploads.sort();
            (ops.iter().map(|op| op.id).collect(), uploads)
        }
    });
    Effect::new(move |first: Option<()>| {
        holds.track();
        if first.is_some() {
            generation.update_value(|g| *g += 1);
            forget(made);
        }
    });
    on_cleanup(move || forget(made));
    let make = move |_| {
        if making.get_untracked() {
            return;
        }
        making.set(true);
        failed.set(None);
        let started = generation.get_value();
        spawn_local(async move {
            let result = match former {
                Some(ops) => {
                    let ops = ops.get_untracked();
                    // The photos and signatures go with the records: the
                    // file is all that will be left of them once the
                    // tablet is reset.
                    let hashes = ops.iter().flat_map(Op::blob_hashes).collect();
                    file_of(ctx, FORMER_WHAT, ops, false, hashes).await
                }
                None => {
                    // With what the server set aside: judged again at the
                    // import, once its cause is mended.
                    let ops = untrack(|| ctx.exported());
                    let hashes = uploads_of(ctx, &ops);
                    file_of(ctx, UNSENT_WHAT, ops, true, hashes).await
                }
            };
            // The screen may have gone (its signals with it), or the
            // records changed while the file was made: its bytes go at once.
            let current = generation.try_get_value() == Some(started);
            match result {
                Ok(file) if current => {
                    forget(made);
                    if let Some(Some(file)) = made.try_set(Some(file)) {
                        revoke(&file);
                    }
                }
                Ok(file) => revoke(&file),
                Err(e) => {
                    leptos::logging::warn!("making the records file: {e}");
                    failed.try_set(Some(e));
                }
            }
            making.try_set(false);
        });
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let link = move || {
        made.get().map(|m| {
            let count = m.parts.len();
            let links = m
                .parts
                .into_iter()
                .enumerate()
                .map(|(k, part)| {
                    let saying = part_saying(ctx.lang.get(), (k + 1, count), m.records, part.files);
                    view! {
                        <a class="button" data-testid=format!("{testid}-file") download=part.name
                            href=part.url data-records=if k == 0 { m.records } else { 0 }
                            data-files=part.files>{saying}</a>
                    }
                })
                .collect_view();
            let unread = (m.unread > 0).then(|| {
                let n = m.unread;
                view! {
                    <p class="error" role="alert" data-testid=format!("{testid}-unread")>
                        {move || match ctx.lang.get() {
                            Lang::ZhCn => format!("有 {n} 个照片或签名文件无法从本机读取，文件中不含它们。"),
                            Lang::En => format!("{n} photo or signature files could not be read on this tablet, and the file leaves them out."),
                        }}
                    </p>
                }
            });
            view! {
                {links}
                {unread}
            }
        })
    };
    view! {
        <button type="button" class="btn" data-testid=testid disabled=move || making.get() on:click=make>
            {move || if making.get() {
                t("正在生成文件…", "Making the file…")()
            } else {
                t("导出未上传的记录（JSON 文件）", "Export the records not uploaded (JSON file)")()
            }}
        </button>
        {link}
        // In words; the detail is in the console.
        {move || failed.get().map(|_| view! {
            <p class="error" role="alert" data-testid=format!("{testid}-error")>
                {t("无法生成文件，请重试；如仍失败，请联系系统管理员。", "The file could not be made; try again, or contact the administrator.")}
            </p>
        })}
    }
}

/// What the link to part `k` of `n` says.
fn part_saying(l: Lang, (k, n): (usize, usize), records: usize, files: usize) -> String {
    match (l, k, n) {
        (Lang::ZhCn, _, 1) => format!("保存文件（{records} 条记录，{files} 个照片和签名文件）"),
        (Lang::ZhCn, 1, _) => {
            format!("保存文件 1/{n}（{records} 条记录，{files} 个照片和签名文件）")
        }
        (Lang::ZhCn, _, _) => format!("保存文件 {k}/{n}（{files} 个照片和签名文件）"),
        (Lang::En, _, 1) => {
            format!("Save the file ({records} records, {files} photo and signature files)")
        }
        (Lang::En, 1, _) => {
            format!("Save file 1 of {n} ({records} records, {files} photo and signature files)")
        }
        (Lang::En, _, _) => format!("Save file {k} of {n} ({files} photo and signature files)"),
    }
}

/// Drops the files made, and their object URLs.
fn forget(made: RwSignal<Option<Made>>) {
    if let Some(Some(old)) = made.try_update(Option::take) {
        revoke(&old);
    }
}

fn revoke(made: &Made) {
    for part in &made.parts {
        let _ = web_sys::Url::revoke_object_url(&part.url);
    }
}

/// Makes the files of `ops`, with the stored bytes named `hashes`: the
/// first holds the records, and the bytes go in as many files as keep
/// each readable whole (`shared::wire::records_parts`).
async fn file_of(
    ctx: AppCtx,
    what: &str,
    ops: Vec<Op>,
    identity: bool,
    hashes: Vec<BlobHash>,
) -> Result<Made, String> {
    let mut stored = Vec::new();
    let mut unread = 0;
    for hash in hashes {
        match crate::db::blob(hash).await {
            Ok(Some(blob)) => stored.push((hash, blob)),
            _ => unread += 1,
        }
    }
    let sizes: Vec<u64> = stored.iter().map(|(_, b)| b.size() as u64).collect();
    let plan = records_parts(&sizes, RECORDS_FILE_CHARS);
    let records = ops.len();
    let name = file_name(ctx, identity);
    let proofs = proofs_of(&ops).await;
    let mut ops = Some((ops, proofs));
    let mut parts = Vec::new();
    let mut files = 0;
    for (k, range) in plan.iter().enumerate() {
        let mut file = records_file(ctx, what, ops.take().unwrap_or_default(), identity);
        if k > 0 {
            file.what = format!(
                "photos and signatures of the records in file 1 of {}",
                plan.len()
            );
        }
        let made = match part_blob(&file, &stored[range.clone()]).await {
            Ok(made) => made,
            Err(e) => return Err(dropped(parts, e)),
        };
        let (blob, carried, failed) = made;
        unread += failed;
        // A later file whose every photo failed to read would carry
        // nothing: the import would take it for no export.
        if k > 0 && carried == 0 {
            continue;
        }
        files += carried;
        let url = match web_sys::Url::create_object_url_with_blob(&blob) {
            Ok(url) => url,
            Err(e) => return Err(dropped(parts, js_error(e))),
        };
        let name = if plan.len() == 1 {
            format!("{name}.json")
        } else {
            format!("{name}-{:02}of{:02}.json", k + 1, plan.len())
        };
        parts.push(Part {
            url,
            name,
            files: carried,
        });
    }
    Ok(Made {
        parts,
        records,
        files,
        unread,
    })
}

/// `e`, once the files made before it are let go.
fn dropped(parts: Vec<Part>, e: String) -> String {
    for part in parts {
        let _ = web_sys::Url::revoke_object_url(&part.url);
    }
    e
}

/// One file: `file`'s JSON with `stored`'s bytes; how many it carries and
/// how many could not be read.
async fn part_blob(
    file: &RecordsFile,
    stored: &[(BlobHash, web_sys::Blob)],
) -> Result<(web_sys::Blob, usize, usize), String> {
    let text = serde_json::to_string_pretty(file).map_err(|e| e.to_string())?;
    let parts = js_sys::Array::new();
    let (mut files, mut unread) = (0, 0);
    // The bytes join the file as JavaScript strings, never through the
    // app's memory: the JSON closes after the files (`RecordsFile::files`;
    // hashes and base64 need no escaping).
    match text.strip_suffix('}') {
        Some(open) if !stored.is_empty() => {
            parts.push(&format!("{},\n  \"files\": [", open.trim_end()).into());
            for (hash, blob) in stored {
                let Ok(base64) = base64_of(blob).await else {
                    unread += 1;
                    continue;
                };
                let comma = if files == 0 { "" } else { "," };
                parts.push(&format!("{comma}\n    {{\"hash\": \"{hash}\", \"base64\": \"").into());
                parts.push(&base64);
                parts.push(&"\"}".into());
                files += 1;
            }
            parts.push(&"\n  ]\n}".into());
        }
        _ => {
            parts.push(&text.into());
        }
    }
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(js_error)?;
    Ok((blob, files, unread))
}

/// `blob` in base64, read by the browser (`FileReader`'s data URL).
async fn base64_of(blob: &web_sys::Blob) -> Result<js_sys::JsString, String> {
    let reader = web_sys::FileReader::new().map_err(js_error)?;
    let read = js_sys::Promise::new(&mut |resolve, reject| {
        reader.set_onload(Some(&resolve));
        reader.set_onerror(Some(&reject));
    });
    reader.read_as_data_url(blob).map_err(js_error)?;
    JsFuture::from(read).await.map_err(js_error)?;
    let url: js_sys::JsString = reader
        .result()
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| "the file was not read as text".to_string())?;
    // `data:<type>;base64,<bytes>`
    let start = url.index_of(",", 0);
    if start < 0 {
        return Err("the file was not read as a data URL".into());
    }
    Ok(url.substring(start as u32 + 1, url.length()))
}

/// The files' name, without its ending: what they hold, the tablet's
/// number and when.
fn file_name(ctx: AppCtx, outbox: bool) -> String {
    let number = ctx
        .device
        .with_untracked(|d| d.as_ref().map(|d| d.number))
        .unwrap_or_default();
    let tz = ctx.config.with_untracked(|c| c.settings.tz());
    let stamp = now().with_timezone(&tz).format("%Y%m%d-%H%M");
    let what = if outbox { "unsent" } else { "former" };
    format!("{what}-device{number}-{stamp}")
}

/// The proofs of `ops` (`shared::proof`), each stored with its op when it
/// was made (or when its user's key first came, `db::prove_own`). An op
/// without one goes without, and the import sets it aside.
async fn proofs_of(ops: &[Op]) -> BTreeMap<OpId, String> {
    let mut stored = crate::db::proofs().await.unwrap_or_else(|e| {
        leptos::logging::error!("reading the records' proofs: {e}");
        Default::default()
    });
    ops.iter()
        .filter_map(|op| Some((op.id, stored.remove(&op.id)?)))
        .collect()
}

/// The file's records: who and what, then the ops and their proofs.
fn records_file(
    ctx: AppCtx,
    what: &str,
    (ops, proofs): (Vec<Op>, BTreeMap<OpId, String>),
    identity: bool,
) -> RecordsFile {
    RecordsFile {
        what: what.into(),
        exported_at: now(),
        blocked: ctx.blocked.get_untracked().map(|b| b.code().to_string()),
        // A former identity's records name their own device; the file
        // names the tablet's only for its outbox.
        device: identity
            .then(|| {
                ctx.device.with_untracked(|d| {
                    d.as_ref().map(|d| RecordsDevice {
                        id: d.device,
                        number: d.number,
                        acked_seq: d.acked_seq,
                        last_seq: d.last_seq,
                    })
                })
            })
            .flatten(),
        user: ctx.session.with_untracked(|s| {
            s.as_ref().map(|s| RecordsUser {
                id: s.user.id,
                login: s.user.login.clone(),
                display_name: s.user.display_name.clone(),
            })
        }),
        count: ops.len(),
        ops,
        proofs,
        files: Vec::new(),
    }
}
