//! Evidence bytes (photos, signatures, documents) are named by their
//! SHA-256, computed here so that the tablet and the server agree on every
//! name. The bytes travel apart from the ops: an `attach` op names the hash
//! and the size, and the device uploads the bytes afterwards in chunks of
//! [`CHUNK_BYTES`] (see `docs/sync.md`).

use crate::case::{AttachmentKind, Case};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

/// How many bytes a tablet sends per upload request: small enough that a
/// lost connection costs little, large enough that a photo takes a few
/// requests.
pub const CHUNK_BYTES: usize = 256 * 1024;

/// The media types evidence may have: photos and signatures as images,
/// documents as PDF. Anything else is refused when the attach op is pushed.
pub const MEDIA_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/webp", "application/pdf"];

/// The media type of [`MEDIA_TYPES`] that the first bytes of a file show
/// (its signature: JPEG `FF D8 FF`, PNG `89 50 4E 47 0D 0A 1A 0A`, WebP
/// `RIFF`…`WEBP`, PDF `%PDF-`), if any. A file's name or the browser's
/// guess from it says nothing of what the bytes are: a HEIC named `.jpg`
/// was kept as a JPEG that no gallery, print or bundle could show. The
/// tablet asks it before keeping a camera's file as it is, the server
/// before storing the first chunk of an upload.
pub fn sniff(first: &[u8]) -> Option<&'static str> {
    if first.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(MEDIA_TYPES[0])
    } else if first.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(MEDIA_TYPES[1])
    } else if first.starts_with(b"RIFF") && first.get(8..12) == Some(b"WEBP") {
        Some(MEDIA_TYPES[2])
    } else if first.starts_with(b"%PDF-") {
        Some(MEDIA_TYPES[3])
    } else {
        None
    }
}

/// A SHA-256, written as 64 lowercase hex digits on the wire and on disk.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlobHash([u8; 32]);

/// A string that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a SHA-256 is 64 hexadecimal digits")]
pub struct BadBlobHash;

impl BlobHash {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> BlobHash {
        BlobHash(Sha256::digest(bytes).into())
    }

    /// A finished digest, for callers that hash in pieces.
    pub fn from_digest(digest: [u8; 32]) -> BlobHash {
        BlobHash(digest)
    }
}

/// Hashes bytes that arrive in pieces (a file read in chunks), giving the
/// same [`BlobHash`] as [`BlobHash::of`] over the whole.
#[derive(Default, Clone)]
pub struct BlobHasher(Sha256);

impl BlobHasher {
    /// An empty hasher.
    pub fn new() -> BlobHasher {
        BlobHasher(Sha256::new())
    }

    /// Adds the next piece.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The hash of every piece, in order.
    pub fn finish(self) -> BlobHash {
        BlobHash(self.0.finalize().into())
    }
}

impl fmt::Display for BlobHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for BlobHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobHash({self})")
    }
}

impl FromStr for BlobHash {
    type Err = BadBlobHash;

    /// Only the canonical form (lowercase) is accepted, so one blob has one
    /// name.
    fn from_str(s: &str) -> Result<BlobHash, BadBlobHash> {
        let bytes = s.as_bytes();
        if bytes.len() != 64 {
            return Err(BadBlobHash);
        }
        let digit = |c: u8| match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            _ => Err(BadBlobHash),
        };
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks(2).enumerate() {
            out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Ok(BlobHash(out))
    }
}

impl Serialize for BlobHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for BlobHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<BlobHash, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// On the wire a hash is its 64 hex digits, so its schema is a string.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for BlobHash {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .description(Some("A SHA-256 as 64 lowercase hexadecimal digits."))
            .examples(["ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for BlobHash {}

/// The size of a `width` × `height` picture scaled to at most `longest`
/// pixels on its longest side, keeping its proportions; never enlarged,
/// never below one pixel. The tablet scales photos to this before storing
/// them (`crate::settings::PHOTO_LONGEST_SIDE`).
pub fn scaled_size(width: u32, height: u32, longest: u32) -> (u32, u32) {
    let side = width.max(height);
    if side <= longest {
        return (width.max(1), height.max(1));
    }
    let scale = |v: u32| {
        let v = (u64::from(v) * u64::from(longest) + u64::from(side) / 2) / u64::from(side);
        u32::try_from(v).unwrap_or(longest).max(1)
    };
    (scale(width), scale(height))
}

/// A picked file's name for its scaled copy, which is a JPEG.
pub fn jpeg_name(name: &str) -> String {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let stem = if stem.trim().is_empty() {
        "photo"
    } else {
        stem
    };
    format!("{stem}.jpg")
}

/// How many days a tablet keeps the whole photos and documents of a case
/// that is closed or withdrawn, counted from the case's last change.
pub const WHOLE_KEPT_DAYS: i64 = 14;

/// The evidence bytes a tablet keeps of its `cases` at `now`, once the
/// server holds them: every thumbnail and every signature (small: the
/// grid and the printed record work offline), and the whole photos and
/// documents of the cases still open or changed within
/// [`WHOLE_KEPT_DAYS`]. The rest are fetched again when opened: months of
/// photos would otherwise fill the browser's storage. Bytes still to
/// upload are the caller's to keep.
pub fn kept_on_tablet<'a>(
    cases: impl IntoIterator<Item = &'a Case>,
    now: DateTime<Utc>,
) -> HashSet<BlobHash> {
    let mut kept = HashSet::new();
    for case in cases {
        let recent = case.state.is_open()
            || case
                .timeline
                .iter()
                .map(|e| e.stamp.at)
                .max()
                .is_none_or(|last| now - last <= Duration::days(WHOLE_KEPT_DAYS));
        for a in &case.attachments {
            kept.extend(a.thumbnail.as_ref().map(|t| t.hash));
            let whole = matches!(a.kind, AttachmentKind::Photo | AttachmentKind::Document);
            if recent || !whole {
                kept.extend(a.hash);
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_bytes_say_the_type() {
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some("image/jpeg")
        );
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        // HEIC, as an iPhone writes it; a RIFF that is a WAV; HTML.
        assert_eq!(sniff(b"\0\0\0\x18ftypheic"), None);
        assert_eq!(sniff(b"RIFF\x24\0\0\0WAVEfmt "), None);
        assert_eq!(sniff(b"<!doctype html>"), None);
        assert_eq!(sniff(&[0xFF, 0xD8]), None);
        assert_eq!(sniff(&[]), None);
    }
    use crate::case::{Attachment, CaseState, Thumbnail};
    use crate::id::{AttachmentId, PropertyId};

    /// A case registered at `at` by a simulated device, in `state`, with a
    /// photo and its thumbnail, a document and a handler's signature.
    fn case_at(at: DateTime<Utc>, state: CaseState) -> Case {
        let mut fleet = crate::sim::Fleet::new(
            &[(crate::role::Role::Staff, 0)],
            PropertyId(uuid::Uuid::from_u128(7)),
            0,
        );
        let op = fleet.register(0, at, 0);
        let mut case = crate::fold::fold(&[op], fleet.ctx()).expect("a case");
        case.state = state;
        let stamp = case.registered.clone();
        let attachment = |i: u8, kind, thumbnail: Option<u8>| Attachment {
            id: AttachmentId(uuid::Uuid::from_u128(i.into())),
            kind,
            name: format!("{i}.jpg"),
            mime: "image/jpeg".into(),
            size: 10,
            hash: Some(BlobHash::of(&[i])),
            caption: String::new(),
            thumbnail: thumbnail.map(|t| Thumbnail {
                hash: BlobHash::of(&[t]),
                size: 1,
                mime: "image/jpeg".into(),
            }),
            stamp: stamp.clone(),
        };
        case.attachments = vec![
            attachment(1, AttachmentKind::Photo, Some(11)),
            attachment(2, AttachmentKind::Document, None),
            attachment(3, AttachmentKind::HandlerSignature, None),
        ];
        case
    }

    fn hashes(bytes: &[u8]) -> HashSet<BlobHash> {
        bytes.iter().map(|b| BlobHash::of(&[*b])).collect()
    }

    #[test]
    fn a_tablet_lets_whole_photos_of_cases_long_closed_go() {
        let then: DateTime<Utc> = "2026-03-02T01:00:00Z".parse().expect("a time");
        let days = |n| then + Duration::days(n);
        let every = hashes(&[1, 2, 3, 11]);
        let small = hashes(&[3, 11]);
        let open = case_at(then, CaseState::Assigned);
        assert_eq!(kept_on_tablet([&open], days(400)), every);
        for state in [CaseState::Closed, CaseState::Withdrawn] {
            let ended = case_at(then, state);
            assert_eq!(kept_on_tablet([&ended], days(WHOLE_KEPT_DAYS)), every);
            assert_eq!(kept_on_tablet([&ended], days(WHOLE_KEPT_DAYS + 1)), small);
        }
        // One case's recent change keeps its own bytes, not another's.
        let closed = case_at(then, CaseState::Closed);
        let mut later = case_at(days(20), CaseState::Closed);
        later.attachments.clear();
        assert_eq!(kept_on_tablet([&closed, &later], days(21)), small);
    }

    #[test]
    fn hashes_like_the_reference() {
        // FIPS 180-2 example "abc".
        assert_eq!(
            BlobHash::of(b"abc").to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn parses_only_the_canonical_form() {
        let hash = BlobHash::of(b"photo");
        assert_eq!(hash.to_string().parse(), Ok(hash));
        assert_eq!(
            hash.to_string().to_uppercase().parse::<BlobHash>(),
            Err(BadBlobHash)
        );
        assert_eq!("ab".parse::<BlobHash>(), Err(BadBlobHash));
        assert_eq!("g".repeat(64).parse::<BlobHash>(), Err(BadBlobHash));
    }

    #[test]
    fn hashing_in_pieces_gives_the_same_name() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(CHUNK_BYTES + 17).collect();
        let mut hasher = BlobHasher::new();
        for piece in bytes.chunks(1000) {
            hasher.update(piece);
        }
        assert_eq!(hasher.finish(), BlobHash::of(&bytes));
        assert_ne!(BlobHash::of(&bytes[1..]), BlobHash::of(&bytes));
    }

    #[test]
    fn travels_as_a_string() {
        let hash = BlobHash::of(b"signature");
        let json = serde_json::to_string(&hash).expect("serialize");
        assert_eq!(json, format!("\"{hash}\""));
        assert_eq!(
            serde_json::from_str::<BlobHash>(&json).expect("deserialize"),
            hash
        );
        assert!(serde_json::from_str::<BlobHash>("\"nope\"").is_err());
    }

    #[test]
    fn pictures_shrink_to_the_longest_side_and_never_grow() {
        assert_eq!(scaled_size(4000, 3000, 1600), (1600, 1200));
        assert_eq!(scaled_size(3000, 4000, 1600), (1200, 1600));
        assert_eq!(scaled_size(800, 600, 1600), (800, 600));
        assert_eq!(scaled_size(10_000, 1, 320), (320, 1));
        assert_eq!(scaled_size(0, 0, 320), (1, 1));
    }

    #[test]
    fn the_scaled_copy_is_named_as_a_jpeg() {
        assert_eq!(jpeg_name("IMG_0001.HEIC"), "IMG_0001.jpg");
        assert_eq!(jpeg_name("leak.png"), "leak.jpg");
        assert_eq!(jpeg_name(".png"), "photo.jpg");
        assert_eq!(jpeg_name("门"), "门.jpg");
    }
}
