//! A photo from the camera or the gallery, scaled down on the tablet
//! before it is stored: the longest side at most
//! `shared::settings::PHOTO_LONGEST_SIDE` pixels, JPEG at quality 0.8, and
//! a thumbnail of `shared::settings::THUMBNAIL_LONGEST_SIDE`. A phone
//! camera's 4–8 MB picture becomes a few hundred kilobytes that still show
//! a crack or a water stain clearly, and upload in a few chunks on a weak
//! network. The company setting `keep_original_photos` keeps the camera's
//! file instead (when it is a type the server takes).

use super::{Taken, blob_bytes, js_error};
use shared::blob::{MEDIA_TYPES, jpeg_name, scaled_size};
use shared::case::AttachmentKind;
use shared::settings::{PHOTO_LONGEST_SIDE, THUMBNAIL_LONGEST_SIDE};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

const PHOTO_QUALITY: f64 = 0.8;
const THUMBNAIL_QUALITY: f64 = 0.7;

/// Reads, scales and names one picked file. With `keep_original`, a
/// file of at most `max_original` bytes whose first bytes are a type the
/// server takes is kept as it is; any other is scaled as for everyone.
pub async fn take(
    file: &web_sys::File,
    keep_original: bool,
    max_original: u64,
) -> Result<Taken, String> {
    let bitmap: web_sys::ImageBitmap = JsFuture::from(
        window()
            .create_image_bitmap_with_blob(file)
            .map_err(js_error)?,
    )
    .await
    .map_err(js_error)?
    .dyn_into()
    .map_err(js_error)?;
    // The decoded picture is tens of megabytes: let go of it whatever
    // happens below.
    let taken = from_bitmap(file, &bitmap, keep_original, max_original).await;
    bitmap.close();
    taken
}

async fn from_bitmap(
    file: &web_sys::File,
    bitmap: &web_sys::ImageBitmap,
    keep_original: bool,
    max_original: u64,
) -> Result<Taken, String> {
    // Read only when it may be kept: an over-large original would be
    // copied whole into the app's memory to be refused.
    let original = if keep_original && file.size() as u64 <= max_original {
        let bytes = blob_bytes(file).await?;
        // The browser's type is a guess from the file's name; the bytes
        // say what it is (a HEIC named .jpg is scaled, not kept).
        shared::blob::sniff(&bytes)
            .filter(|t| MEDIA_TYPES[..3].contains(t))
            .map(|t| Taken::new(AttachmentKind::Photo, file.name(), t, bytes))
    } else {
        None
    };
    let mut taken = match original {
        Some(taken) => taken,
        None => {
            let bytes = scaled(bitmap, PHOTO_LONGEST_SIDE, PHOTO_QUALITY).await?;
            Taken::new(
                AttachmentKind::Photo,
                jpeg_name(&file.name()),
                "image/jpeg",
                bytes,
            )
        }
    };
    taken.thumbnail = Some(
        scaled(bitmap, THUMBNAIL_LONGEST_SIDE, THUMBNAIL_QUALITY)
            .await?
            .into(),
    );
    Ok(taken)
}

fn window() -> web_sys::Window {
    web_sys::window().expect("a browser window")
}

/// `bitmap` drawn at most `longest` pixels on its longest side (never
/// enlarged), as JPEG bytes.
async fn scaled(
    bitmap: &web_sys::ImageBitmap,
    longest: u32,
    quality: f64,
) -> Result<Vec<u8>, String> {
    let (w, h) = scaled_size(bitmap.width(), bitmap.height(), longest);
    let canvas: web_sys::HtmlCanvasElement = window()
        .document()
        .ok_or("no document")?
        .create_element("canvas")
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| "not a canvas")?;
    canvas.set_width(w);
    canvas.set_height(h);
    let context: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(js_error)?
        .ok_or("no 2d context")?
        .dyn_into()
        .map_err(|_| "not a 2d context")?;
    context
        .draw_image_with_image_bitmap_and_dw_and_dh(bitmap, 0.0, 0.0, w.into(), h.into())
        .map_err(js_error)?;
    let blob = canvas_blob(&canvas, "image/jpeg", Some(quality)).await?;
    blob_bytes(&blob).await
}

/// The canvas's pixels encoded as `mime`.
pub async fn canvas_blob(
    canvas: &web_sys::HtmlCanvasElement,
    mime: &str,
    quality: Option<f64>,
) -> Result<web_sys::Blob, String> {
    // `toBlob` takes a callback; a promise's resolve function is one.
    let mut failed = None;
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let quality = quality.map_or(wasm_bindgen::JsValue::UNDEFINED, Into::into);
        if let Err(e) = canvas.to_blob_with_type_and_encoder_options(&resolve, mime, &quality) {
            failed = Some(js_error(e));
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    JsFuture::from(promise)
        .await
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| "the picture could not be encoded".to_string())
}
