//! A case's bundle for head office: one ZIP with the record sheet as a
//! printable page (`record.html`, see [`super::record_html`]) and the
//! evidence the server holds, `attachments/NN-<kind>-<hash12>.<ext>`, `NN`
//! being the attachment's place in the case (so names do not shift when
//! one is left out) and `hash12` the first 12 hex digits of its SHA-256.
//!
//! What goes in is decided by the sheet: it already leaves out the
//! complainant's signatures for a reader who may not see personal data,
//! like `GET /api/v1/blobs/{hash}`. An attachment whose bytes its tablet
//! has not uploaded yet is listed in `record.html` as pending.
//!
//! **Built in a temporary file, not in memory.** A case may hold up to
//! `Settings::attachments.max_case_bytes` of evidence (200 MiB by
//! default), and several offices may download at once: in RAM that is
//! hundreds of MiB for a moment, in an unnamed temporary file it is
//! constant memory. A file also gives the answer a `Content-Length` (a
//! ZIP's directory comes last, so it cannot be streamed with one while it
//! is made).

use super::ExportError;
use super::record_html::{self, FileState};
use crate::store::blobs::BlobStore;
use shared::lang::Lang;
use shared::report::{Evidence, RecordSheet};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

/// The media type of the bundle.
pub const CONTENT_TYPE: &str = "application/zip";

/// The name of the page inside the bundle.
pub const RECORD_FILE: &str = "record.html";

/// Writes the bundle of `sheet` to a temporary file (deleted once the
/// returned handle is closed) and answers it with its length.
pub fn write(
    sheet: &RecordSheet,
    lang: Lang,
    blobs: &BlobStore,
) -> Result<(File, u64), ExportError> {
    // Each blob is opened once, before the page is written, so the page
    // links exactly the files that go in, even if an upload finishes
    // meanwhile.
    let mut opened: BTreeMap<usize, (String, File)> = BTreeMap::new();
    for e in &sheet.evidence {
        let Some(hash) = e.hash else { continue };
        if let Some(file) = blobs.open_blob(&hash)? {
            opened.insert(e.number, (path_of(e), file));
        }
    }
    let state = |e: &Evidence| match (e.hash, opened.get(&e.number)) {
        (_, Some((path, _))) => FileState::Included(path.clone()),
        (Some(_), None) => FileState::Pending,
        (None, None) => FileState::NotKept,
    };
    let page = record_html::render(sheet, lang, &state);

    let mut zip = zip::ZipWriter::new(tempfile::tempfile()?);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    zip.start_file(RECORD_FILE, deflated)?;
    zip.write_all(page.as_bytes())?;
    for (path, mut file) in opened.into_values() {
        let len = file.metadata()?.len();
        // Photos and signatures are compressed already; only PDFs gain.
        let method = if path.ends_with(".pdf") {
            CompressionMethod::Deflated
        } else {
            CompressionMethod::Stored
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .large_file(len >= u64::from(u32::MAX));
        zip.start_file(path, options)?;
        std::io::copy(&mut file, &mut zip)?;
    }
    let mut file = zip.finish()?;
    let len = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(0))?;
    Ok((file, len))
}

/// Where an attachment goes in the bundle:
/// `attachments/NN-<kind>-<hash12>.<ext>`.
pub fn path_of(e: &Evidence) -> String {
    let hash = e.hash.map(|h| h.to_string()).unwrap_or_default();
    format!(
        "attachments/{:02}-{}-{}.{}",
        e.number,
        e.kind.code(),
        record_html::short_hash(&hash),
        extension(&e.mime)
    )
}

/// The file extension of one of `shared::blob::MEDIA_TYPES`.
fn extension(mime: &str) -> &'static str {
    match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "application/pdf" => "pdf",
        // The push refuses other types; older records may still have one.
        _ => "bin",
    }
}

/// A file name for the bundle of the case `reg_no`: the registration
/// number, with anything but letters, digits, `-` and `_` replaced, so the
/// header needs no quoting rules.
pub fn file_name(reg_no: &str) -> String {
    let stem: String = reg_no
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{stem}.zip")
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::blob::{BlobHash, MEDIA_TYPES};
    use shared::case::AttachmentKind;

    #[test]
    fn names_say_place_kind_and_hash() {
        let hash = BlobHash::of(b"photo");
        let e = Evidence {
            number: 3,
            kind: AttachmentKind::HandlerSignature,
            kind_label: String::new(),
            name: "x.png".into(),
            caption: String::new(),
            mime: "image/png".into(),
            size: 5,
            hash: Some(hash),
            recorded: String::new(),
        };
        assert_eq!(
            path_of(&e),
            format!(
                "attachments/03-handler_signature-{}.png",
                &hash.to_string()[..12]
            )
        );
        for mime in MEDIA_TYPES {
            assert_ne!(extension(mime), "bin", "{mime}");
        }
        assert_eq!(file_name("PA-250106-01-0001"), "PA-250106-01-0001.zip");
        assert_eq!(file_name("P\"A/1"), "P_A_1.zip");
    }
}
