//! Evidence bytes (photos, signatures, documents) are named by their
//! SHA-256, computed here so that the tablet and the server agree on every
//! name. The bytes travel apart from the ops: an `attach` op names the hash
//! and the size, and the device uploads the bytes afterwards in chunks of
//! [`CHUNK_BYTES`] (see `docs/sync.md`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// How many bytes a tablet sends per upload request: small enough that a
/// lost connection costs little, large enough that a photo takes a few
/// requests.
pub const CHUNK_BYTES: usize = 256 * 1024;

/// The media types evidence may have: photos and signatures as images,
/// documents as PDF. Anything else is refused when the attach op is pushed.
pub const MEDIA_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/webp", "application/pdf"];

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

#[cfg(test)]
mod tests {
    use super::*;

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
