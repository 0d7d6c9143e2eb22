//! One case as the paper record form of its kind (客户投诉记录表,
//! 维修服务单, 合理化建议记录表, 咨询服务记录) that
//! auditors expect: the intake fields the regulations list (who, how to
//! reach them, when, where, through which channel, what they said and
//! asked for), the handling (assessment, responsible department, measures,
//! result), the follow-up and the closure, and the signature lines.
//!
//! The sheet's content is `shared::report::RecordSheet` (the server's
//! head-office bundle draws the same one); this page only draws it.
//! Rendered from the device's own fold, so it prints offline too. The A4
//! layout is `style/print.css`; the app's header and buttons are hidden on
//! paper by `@media print`.

use crate::evidence::gallery::{EvidenceImage, holder};
use crate::state::{Config, Screen, use_app};
use chrono_tz::Tz;
use leptos::prelude::*;
use shared::blob::BlobHash;
use shared::case::Case;
use shared::id::{CaseId, PropertyId, UserId};
use shared::lang::Lang;
use shared::property::Location;
use shared::report::{
    PersonalData, RecordField, RecordNames, RecordRow, RecordSheet, SIGNATURES_PER_ROW,
    SignatureLine,
};
use std::sync::Arc;

/// The printable record of case `id`.
#[component]
pub fn PrintRecord(id: CaseId) -> impl IntoView {
    let ctx = use_app();
    let case = Memo::new(move |_| ctx.cases.with(|m| m.get(&id).cloned()));
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let paper = RwSignal::new(Lang::ZhCn);
    view! {
        <section class="print-page" data-testid="print-page">
            <PrintTools id=id testid="print" paper=paper/>
            {move || match case.get() {
                None => view! { <p data-testid="case-missing">{t("找不到该工单", "Case not found")}</p> }.into_any(),
                Some(c) => view! { <RecordForm case=c lang=paper.get()/> }.into_any(),
            }}
        </section>
    }
}

/// The buttons above a page to print (hidden on paper): back to case
/// `id`, the paper's language, and print; `{testid}-back`,
/// `{testid}-lang` and `{testid}-now`.
///
/// The paper is Chinese whatever language the app is in: the record is
/// filed for auditors and the receipt is the resident's, so a member of
/// staff who reads the app in English does not hand out an English one
/// unless they choose to.
#[component]
pub(crate) fn PrintTools(id: CaseId, testid: &'static str, paper: RwSignal<Lang>) -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="print-tools no-print">
            <button class="btn" data-testid=format!("{testid}-back") on:click=move |_| ctx.screen.set(Screen::Detail(id))>
                {t("← 返回工单", "← Back to the case")}
            </button>
            <label class="field inline">
                <span>{t("打印语言", "Language on paper")}</span>
                <select data-testid=format!("{testid}-lang")
                    prop:value=move || paper.get().code()
                    on:change=move |ev| paper.set(Lang::from_code(&event_target_value(&ev)).unwrap_or(Lang::ZhCn))>
                    <option value=Lang::ZhCn.code()>"中文"</option>
                    <option value=Lang::En.code()>"English"</option>
                </select>
            </label>
            <button class="btn primary" data-testid=format!("{testid}-now") on:click=move |_| {
                let _ = window().print();
            }>{t("打印", "Print")}</button>
        </div>
    }
}

/// The names the sheet needs, from the synced configuration.
pub(crate) struct ConfigNames<'a>(pub(crate) &'a Config);

impl RecordNames for ConfigNames<'_> {
    fn user(&self, id: UserId) -> String {
        self.0.user_name(id)
    }

    fn category(&self, code: &str, lang: Lang) -> String {
        self.0.category_name(code, lang)
    }

    fn place(&self, property: PropertyId, location: &Location, lang: Lang) -> String {
        self.0
            .property(property)
            .map(|p| format!("{} {}", p.name, p.describe_in(location, lang)))
            .unwrap_or_default()
    }

    fn contact(&self, property: PropertyId) -> String {
        self.0
            .property(property)
            .map(|p| p.contact.clone())
            .unwrap_or_default()
    }

    fn tz(&self) -> Tz {
        self.0.settings.tz()
    }
}

#[component]
fn RecordForm(case: Arc<Case>, lang: Lang) -> impl IntoView {
    let ctx = use_app();
    let config = ctx.config.get_untracked();
    // A device of a role without personal data holds masked ops already;
    // the sheet masks again all the same and leaves out the signature.
    let personal = PersonalData::shown_if(ctx.shown(Some(&case)).all());
    let sheet = RecordSheet::of(
        &case,
        &ConfigNames(&config),
        lang,
        personal,
        ctx.now.get_untracked(),
    );
    // The device that holds bytes not uploaded yet, by hash.
    // Per file: the device that holds it, and its thumbnail, which the
    // device keeps and prints from when the whole photo is not here.
    let holders: Vec<(BlobHash, String, Option<BlobHash>)> = case
        .attachments
        .iter()
        .filter_map(|a| Some((a.hash?, holder(a), a.thumbnail.as_ref().map(|t| t.hash))))
        .collect();
    let holder_of = move |hash: BlobHash| {
        holders
            .iter()
            .find(|(h, _, _)| *h == hash)
            .map(|(_, d, small)| (d.clone(), *small))
            .unwrap_or_default()
    };
    let photos: Vec<_> = sheet
        .photos()
        .filter_map(|e| {
            let hash = e.hash?;
            let caption = format!("{} {}", e.caption, e.recorded);
            let (holder, small) = holder_of(hash);
            Some(view! {
                <figure data-testid="print-photo">
                    <EvidenceImage hash=hash alt=e.name.clone() holder=holder fallback=small lang=Some(lang)/>
                    <figcaption>{caption}</figcaption>
                </figure>
            })
        })
        .collect();
    // Every attachment is listed, as on the record head office exports: a
    // document or a signature is evidence as much as a photo, which alone
    // is drawn.
    let listed: Vec<_> = sheet
        .evidence
        .iter()
        .map(|e| {
            let caption = if e.caption.is_empty() {
                &e.name
            } else {
                &e.caption
            };
            view! {
                <tr data-testid="print-evidence-row" data-kind=e.kind.code()>
                    <td>{format!("{:02}", e.number)}</td>
                    <td>{e.kind_label.clone()}</td>
                    <td>{caption.clone()}</td>
                    <td>{e.recorded.clone()}</td>
                </tr>
            }
        })
        .collect();
    let photos_title =
        (!photos.is_empty()).then(|| view! { <h2>{lang.pick("现场照片", "Photos")}</h2> });
    let evidence_page = (!listed.is_empty()).then(|| {
        view! {
            <section class="record-photos" data-testid="print-evidence">
                <h2>{lang.pick("附件", "Evidence")}</h2>
                <table class="record evidence-list">
                    <thead><tr>
                        <th>{lang.pick("序号", "No.")}</th><th>{lang.pick("类型", "Kind")}</th>
                        <th>{lang.pick("说明", "Caption")}</th><th>{lang.pick("记录", "Recorded")}</th>
                    </tr></thead>
                    <tbody>{listed}</tbody>
                </table>
                {photos_title}
                {photos}
            </section>
        }
    });
    let meta = sheet
        .meta
        .into_iter()
        .map(|m| {
            let value = if m.key == "reg_no" {
                view! { <b data-testid="print-reg-no">{m.value}</b> }.into_any()
            } else {
                m.value.into_any()
            };
            view! { <span>{m.label}{value}</span> }
        })
        .collect_view();
    let rows = sheet.rows.into_iter().map(row).collect_view();
    let mut lines = sheet.signatures.into_iter().peekable();
    let mut signature_rows = Vec::new();
    while lines.peek().is_some() {
        let cells = lines
            .by_ref()
            .take(SIGNATURES_PER_ROW)
            .map(|line| {
                let holder = line.signed.as_ref().and_then(|e| e.hash).map(&holder_of);
                signature(
                    line,
                    holder.map(|(device, _)| device).unwrap_or_default(),
                    lang,
                )
            })
            .collect_view();
        signature_rows.push(view! { <tr>{cells}</tr> });
    }
    view! {
        <article class="record-form" data-testid="record-form" lang=lang.code()>
            <h1>{sheet.title}</h1>
            <p class="record-meta">{meta}</p>
            <table class="record">
                <tbody>{rows}</tbody>
            </table>
            <table class="signatures">
                <tbody>{signature_rows}</tbody>
            </table>
            {evidence_page}
        </article>
    }
}

/// One row of the table: two label and value cells, or one across.
fn row(row: RecordRow) -> AnyView {
    match row {
        RecordRow::Pair(a, b) => view! { <tr>{cell(a)}{cell(b)}</tr> }.into_any(),
        RecordRow::Wide { field, tall } => {
            let testid = (field.key == "content").then_some("print-content");
            let length = length_class(&field.lines, WIDE_LONG);
            // The clocks are many short entries: on paper they run on in
            // one paragraph (`flow`) rather than taking a line each.
            let flow = field.key == "deadlines";
            view! {
                <tr class:tall=tall>
                    <th>{field.label}</th>
                    <td colspan="3" class=length class:flow=flow data-testid=testid>{lines(field.lines)}</td>
                </tr>
            }
            .into_any()
        }
    }
}

/// A label cell and its value cell.
fn cell(field: RecordField) -> impl IntoView {
    let length = length_class(&field.lines, HALF_LONG);
    view! {
        <th>{field.label}</th>
        <td class=length>{lines(field.lines)}</td>
    }
}

/// The characters above which a value across the width is set smaller
/// (`long`), and twice as many for `longer`: about two lines of the
/// form's normal type.
const WIDE_LONG: usize = 100;
/// The same for a value in half the width.
const HALF_LONG: usize = 40;

/// The class that sets a long value in smaller type, so that a case whose
/// every section was written at length still prints on one A4 page: the
/// text stays whole (nothing is clipped), it only takes fewer lines.
fn length_class(lines: &[String], long: usize) -> &'static str {
    let chars: usize = lines.iter().map(|l| l.chars().count()).sum();
    if chars > 2 * long {
        "longer"
    } else if chars > long {
        "long"
    } else {
        ""
    }
}

/// A value: one line as text, several as paragraphs.
fn lines(mut lines: Vec<String>) -> AnyView {
    if lines.len() > 1 {
        lines
            .into_iter()
            .map(|l| view! { <p>{l}</p> })
            .collect_view()
            .into_any()
    } else {
        lines.pop().unwrap_or_default().into_any()
    }
}

/// A signature cell; a line an attachment signs gets a slot, with the
/// latest such signature's image when there is one.
fn signature(line: SignatureLine, holder: String, lang: Lang) -> impl IntoView {
    let slot = line.kind.map(|k| {
        let image = line.signed.and_then(|e| {
            let hash = e.hash?;
            Some(view! { <EvidenceImage hash=hash alt=e.kind_label holder=holder.clone() lang=Some(lang)/> })
        });
        view! { <span class="signature-slot" data-testid="print-signature" data-kind=k.code()>{image}</span> }
    });
    view! { <td>{line.label}{slot}</td> }
}
