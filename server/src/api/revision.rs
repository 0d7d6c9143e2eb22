//! The revision of an item the admin screens edit whole (the properties,
//! the settings, the categories) on the wire: a read answers with
//! `ETag: "N"`, and a save that sends `If-Match: "N"` is refused with 412
//! `admin.changed_meanwhile` when the item changed since. Two
//! administrators, or one in two tabs, then cannot undo each other's
//! change by saving an older copy. A save without `If-Match` (a script)
//! replaces what is there.

use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, header};

/// The `If-Match` revision of a save, if it sent one.
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        parse(value).map(IfMatch).ok_or_else(|| {
            ApiError::bad_request(
                "request.bad_if_match",
                "If-Match must be the ETag a read of this item answered with (a quoted number)",
            )
        })
    }
}

/// `"N"` (or `*`, any revision: `None`).
fn parse(value: &HeaderValue) -> Option<Option<i64>> {
    let text = value.to_str().ok()?.trim();
    if text == "*" {
        return Some(None);
    }
    let number = text.strip_prefix('"')?.strip_suffix('"')?;
    number.parse().ok().map(Some)
}

/// The `ETag` header of a read at `revision`.
pub fn etag(revision: i64) -> [(HeaderName, HeaderValue); 1] {
    let value = HeaderValue::from_str(&format!("\"{revision}\"")).expect("digits are a header");
    [(header::ETAG, value)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_is_a_quoted_number_or_any() {
        let parsed = |s: &str| parse(&HeaderValue::from_str(s).unwrap());
        assert_eq!(parsed("\"42\""), Some(Some(42)));
        assert_eq!(parsed(" \"7\" "), Some(Some(7)));
        assert_eq!(parsed("*"), Some(None));
        assert_eq!(parsed("42"), None);
        assert_eq!(parsed("W/\"42\""), None);
        assert_eq!(parsed("\"x\""), None);
        let etag = etag(42);
        assert_eq!(parse(&etag[0].1), Some(Some(42)));
    }
}
