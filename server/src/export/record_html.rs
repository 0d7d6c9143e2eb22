//! The record sheet (`shared::report::RecordSheet`) as one self-contained
//! HTML page: the `record.html` of a case's bundle ([`super::bundle`]).
//!
//! Self-contained means it opens from an unzipped folder on any computer,
//! offline: the CSS is inline (A4, like `style/print.css` for the app's
//! print page), and the only links are relative ones to the bundle's own
//! `attachments/` files. The form comes first, with each signature image
//! on its line; the evidence follows on a page of its own: every
//! attachment listed with its file, or said to be pending upload, and the
//! photos with their captions.

use shared::lang::Lang;
use shared::report::{Evidence, RecordField, RecordRow, RecordSheet, SIGNATURES_PER_ROW};
use std::fmt::Write;

/// Where an attachment's bytes are, as the page links them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    /// In the bundle, at this relative path.
    Included(String),
    /// Recorded on a tablet that has not uploaded the bytes yet.
    Pending,
    /// Recorded before evidence was content-addressed: the bytes never
    /// left the tablet.
    NotKept,
}

/// The page of `sheet` in `lang`, with each attachment's file as `file`
/// says.
pub fn render(sheet: &RecordSheet, lang: Lang, file: &dyn Fn(&Evidence) -> FileState) -> String {
    let l = lang;
    let mut out = String::with_capacity(16 * 1024);
    // `write!` to a String cannot fail; the results are ignored below.
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{} {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        l.code(),
        esc(&sheet.title),
        esc(sheet.reg_no()),
    );
    out.push_str("<article class=\"record-form\">\n");
    let _ = writeln!(out, "<h1>{}</h1>", esc(&sheet.title));
    out.push_str("<p class=\"record-meta\">");
    for m in &sheet.meta {
        let value = if m.key == "reg_no" {
            format!("<b class=\"reg-no\">{}</b>", esc(&m.value))
        } else {
            esc(&m.value)
        };
        let _ = write!(out, "<span>{}{value}</span>", esc(&m.label));
    }
    out.push_str("</p>\n<table class=\"record\"><tbody>\n");
    for row in &sheet.rows {
        match row {
            RecordRow::Pair(a, b) => {
                let _ = writeln!(out, "<tr>{}{}</tr>", cell(a), cell(b));
            }
            RecordRow::Wide { field, tall } => {
                let class = if *tall { " class=\"tall\"" } else { "" };
                let _ = writeln!(
                    out,
                    "<tr{class}><th>{}</th><td colspan=\"3\">{}</td></tr>",
                    esc(&field.label),
                    lines(&field.lines)
                );
            }
        }
    }
    out.push_str("</tbody></table>\n<table class=\"signatures\"><tbody>\n");
    for line_row in sheet.signatures.chunks(SIGNATURES_PER_ROW) {
        out.push_str("<tr>");
        for line in line_row {
            let signed = match &line.signed {
                None => String::new(),
                Some(e) => match file(e) {
                    FileState::Included(path) => format!(
                        "<img src=\"{}\" alt=\"{}\">",
                        esc(&path),
                        esc(&e.kind_label)
                    ),
                    FileState::Pending => pending(l),
                    FileState::NotKept => String::new(),
                },
            };
            let _ = write!(out, "<td>{}{signed}</td>", esc(&line.label));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n</article>\n");
    if !sheet.evidence.is_empty() {
        evidence(&mut out, sheet, l, file);
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// The evidence page: the list of attachments, then the photos.
fn evidence(out: &mut String, sheet: &RecordSheet, l: Lang, file: &dyn Fn(&Evidence) -> FileState) {
    let _ = write!(
        out,
        "<section class=\"evidence\">\n<h2>{} {}</h2>\n\
         <table class=\"record evidence-list\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>\n",
        esc(sheet.reg_no()),
        l.pick("附件", "Evidence"),
        l.pick("序号", "No."),
        l.pick("类型", "Kind"),
        l.pick("说明", "Caption"),
        l.pick("记录", "Recorded"),
        l.pick("文件", "File"),
    );
    for e in &sheet.evidence {
        let short = e
            .hash
            .map(|h| short_hash(&h.to_string()).to_string())
            .unwrap_or_default();
        let state = file(e);
        let (class, shown) = match &state {
            FileState::Included(path) => {
                ("included", format!("<a href=\"{0}\">{0}</a>", esc(path)))
            }
            FileState::Pending => ("pending", format!("{} · {short}", pending(l))),
            FileState::NotKept => (
                "not-kept",
                l.pick("未上传（旧记录）", "Never uploaded (older record)")
                    .to_string(),
            ),
        };
        let caption = if e.caption.is_empty() {
            &e.name
        } else {
            &e.caption
        };
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td>{:02}</td><td>{}</td><td>{}</td><td>{}</td><td>{shown}</td></tr>",
            e.number,
            esc(&e.kind_label),
            esc(caption),
            esc(&e.recorded),
        );
    }
    out.push_str("</tbody></table>\n");
    let photos: Vec<&Evidence> = sheet.photos().collect();
    if !photos.is_empty() {
        let _ = writeln!(
            out,
            "<h2>{}</h2>\n<div class=\"photos\">",
            l.pick("照片", "Photos")
        );
        for p in photos {
            let picture = match file(p) {
                FileState::Included(path) => {
                    format!("<img src=\"{0}\" alt=\"{1}\">", esc(&path), esc(&p.caption))
                }
                FileState::Pending => format!("<div class=\"missing\">{}</div>", pending(l)),
                FileState::NotKept => format!(
                    "<div class=\"missing\">{}</div>",
                    l.pick("未上传（旧记录）", "Never uploaded (older record)")
                ),
            };
            let _ = writeln!(
                out,
                "<figure>{picture}<figcaption>{:02} {}</figcaption></figure>",
                p.number,
                esc(&p.caption)
            );
        }
        out.push_str("</div>\n");
    }
    out.push_str("</section>\n");
}

/// The first 12 hex digits of a hash: enough to tell files apart by eye.
pub fn short_hash(hex: &str) -> &str {
    &hex[..hex.len().min(12)]
}

fn pending(l: Lang) -> String {
    format!(
        "<span class=\"pending\">{}</span>",
        l.pick("等待上传", "Pending upload")
    )
}

fn cell(field: &RecordField) -> String {
    format!(
        "<th>{}</th><td>{}</td>",
        esc(&field.label),
        lines(&field.lines)
    )
}

fn lines(lines: &[String]) -> String {
    match lines {
        [one] => esc(one),
        many => many.iter().map(|l| format!("<p>{}</p>", esc(l))).collect(),
    }
}

/// Text made safe for HTML content and quoted attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page's style: the form on A4 as the app prints it, the evidence
/// from a new page.
const CSS: &str = "
@page { size: A4; margin: 12mm; }
body { margin: 0; color: #000; background: #fff; font-family: 'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif; font-size: 13px; }
.record-form, .evidence { max-width: 186mm; margin: 0 auto; }
h1 { text-align: center; font-size: 22px; letter-spacing: 4px; margin: 0 0 4mm; }
h2 { font-size: 16px; margin: 0 0 3mm; }
.record-meta { display: flex; justify-content: space-between; margin: 0 0 3mm; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
.record th, .record td { border: 1px solid #000; padding: 2mm; vertical-align: top; text-align: left; word-break: break-all; }
.record td { white-space: pre-line; }
.record th { width: 26mm; background: #f3f3f3; font-weight: 600; }
.record tr.tall td { height: 28mm; }
.record td p { margin: 0 0 1mm; }
.signatures { margin-top: 6mm; }
.signatures td { padding: 6mm 2mm 2mm; width: 33%; vertical-align: top; }
.signatures img { display: block; max-width: 100%; max-height: 18mm; }
.evidence { break-before: page; page-break-before: always; }
.evidence-list th { width: auto; }
.evidence-list th:first-child { width: 12mm; }
.photos figure { display: inline-block; width: 88mm; margin: 0 2mm 4mm 0; vertical-align: top; break-inside: avoid; }
.photos img { max-width: 100%; max-height: 100mm; }
.photos .missing { border: 1px dashed #999; height: 40mm; display: flex; align-items: center; justify-content: center; }
.pending { color: #b00; }
@media print { .record th { background: none; } }
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_become_markup() {
        assert_eq!(
            esc("<img src=x onerror='a'> & \"b\""),
            "&lt;img src=x onerror=&#39;a&#39;&gt; &amp; &quot;b&quot;"
        );
        assert_eq!(lines(&[]), "");
        assert_eq!(lines(&["<a>".into()]), "&lt;a&gt;");
        assert_eq!(lines(&["1".into(), "2".into()]), "<p>1</p><p>2</p>");
        assert_eq!(short_hash("0123456789abcdef"), "0123456789ab");
    }
}
