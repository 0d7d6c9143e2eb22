//! The signature pad: a canvas the resident (or the handler, or the
//! verifier) signs on with a finger or a stylus. Pointer events cover
//! mouse, touch and pen alike; the canvas takes no touch gestures
//! (`touch-action: none` in the CSS), so signing does not scroll the page.
//! Strokes are kept by the form (`super::Staged`), so the last one can be
//! taken back and a pad drawn again shows them; the finished signature is
//! a PNG.

use super::photo::canvas_blob;
use crate::components::form::CancelButton;
use crate::state::use_app;
use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The canvas's own pixels; the CSS stretches it to the form's width.
const WIDTH: u32 = 600;
const HEIGHT: u32 = 240;

/// One stroke: the points a finger passed, in the canvas's pixels.
pub type Stroke = Vec<(f64, f64)>;

/// The least ink a signature has, in the pad's units (it is 600 wide): a
/// stray tap or a flick of the finger is no one's signature.
const MIN_INK: f64 = 60.0;

/// How far the pen went over all of `strokes`.
fn ink(strokes: &[Stroke]) -> f64 {
    strokes
        .iter()
        .flat_map(|s| s.windows(2))
        .map(|w| (w[1].0 - w[0].0).hypot(w[1].1 - w[0].1))
        .sum()
}

/// A signature pad drawing `strokes`, those drawn before first. `on_done`
/// gets the PNG bytes; `on_cancel` closes it.
#[component]
pub fn SignaturePad(
    strokes: RwSignal<Vec<Stroke>>,
    on_done: Callback<Vec<u8>>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let ctx = use_app();
    let canvas = NodeRef::<Canvas>::new();
    let drawing = StoredValue::new(false);
    let empty = Memo::new(move |_| strokes.with(Vec::is_empty));
    let error = RwSignal::new(None::<String>);
    // What 清除 took away, which 撤销 gives back: a tap that missed 完成
    // wiped a signature whose signer may have gone.
    let cleared = StoredValue::new(Vec::<Stroke>::new());
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);

    let context = move || -> Option<web_sys::CanvasRenderingContext2d> {
        canvas
            .get_untracked()?
            .get_context("2d")
            .ok()??
            .dyn_into()
            .ok()
    };
    // Where a pointer is, in the canvas's own pixels.
    let point = move |ev: &web_sys::PointerEvent| -> Option<(f64, f64)> {
        let c = canvas.get_untracked()?;
        let rect = c.get_bounding_client_rect();
        if rect.width() <= 0.0 || rect.height() <= 0.0 {
            return None;
        }
        Some((
            (f64::from(ev.client_x()) - rect.left()) * f64::from(WIDTH) / rect.width(),
            (f64::from(ev.client_y()) - rect.top()) * f64::from(HEIGHT) / rect.height(),
        ))
    };
    let redraw = move || {
        let Some(c) = context() else { return };
        c.clear_rect(0.0, 0.0, WIDTH.into(), HEIGHT.into());
        strokes.with_untracked(|all| {
            for stroke in all {
                draw(&c, stroke);
            }
        });
    };
    // A pad drawn again (the case changed under the form) shows what was
    // signed on the one before.
    Effect::new(move |_| {
        if canvas.get().is_some() {
            redraw();
        }
    });

    let down = move |ev: web_sys::PointerEvent| {
        ev.prevent_default();
        let Some(p) = point(&ev) else { return };
        if let Some(c) = canvas.get_untracked() {
            // A synthetic or already-lifted pointer cannot be captured;
            // drawing works without it.
            let _ = c.set_pointer_capture(ev.pointer_id());
        }
        drawing.set_value(true);
        strokes.update(|all| all.push(vec![p]));
        redraw();
    };
    let moved = move |ev: web_sys::PointerEvent| {
        if !drawing.get_value() {
            return;
        }
        ev.prevent_default();
        let Some(p) = point(&ev) else { return };
        // Untracked: a point more changes no stroke count, and a signal's
        // subscribers need not run on every move.
        strokes.update_untracked(|all| {
            if let Some(last) = all.last_mut() {
                last.push(p);
            }
        });
        if let (Some(c), Some(stroke)) =
            (context(), strokes.with_untracked(|all| all.last().cloned()))
        {
            let n = stroke.len();
            draw(&c, &stroke[n.saturating_sub(2)..]);
        }
    };
    let up = move |_: web_sys::PointerEvent| drawing.set_value(false);

    let done = move |_| {
        if strokes.with_untracked(Vec::is_empty) {
            error.set(Some(ctx.l().pick("请先签名", "Sign first").to_string()));
            return;
        }
        if strokes.with_untracked(|s| ink(s)) < MIN_INK {
            error.set(Some(
                ctx.l()
                    .pick(
                        "签名过短，请清除后重新签名",
                        "Too short for a signature: clear it and sign again",
                    )
                    .to_string(),
            ));
            return;
        }
        let Some(c) = canvas.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let png = match canvas_blob(&c, "image/png", None).await {
                Ok(blob) => super::blob_bytes(&blob).await,
                Err(e) => Err(e),
            };
            match png {
                // The pad may be gone meanwhile (another signer chosen,
                // the form cancelled), its callback with it.
                Ok(bytes) => {
                    on_done.try_run(bytes);
                }
                Err(e) => {
                    leptos::logging::error!("signature: {e}");
                    error.set(Some(
                        ctx.l()
                            .pick(
                                "签名未能保存，请重新签名",
                                "The signature could not be saved; sign again",
                            )
                            .to_string(),
                    ));
                }
            }
        });
    };

    view! {
        <div class="signature-pad" data-testid="signature-pad">
            <canvas node_ref=canvas width=WIDTH height=HEIGHT data-testid="signature-canvas"
                data-empty=move || empty.get().to_string()
                on:pointerdown=down on:pointermove=moved on:pointerup=up on:pointercancel=up
                on:pointerleave=up></canvas>
            <p class="field-error" role="alert" data-testid="signature-error">{move || error.get()}</p>
            // The strokes' buttons, then apart the pad's: a finger that
            // misses 完成 lands on no button that drops the signature.
            <div class="actions">
                <button type="button" class="btn" data-testid="signature-undo"
                    on:click=move |_| {
                        if strokes.with_untracked(Vec::is_empty) {
                            strokes.set(std::mem::take(&mut cleared.write_value()));
                        } else {
                            strokes.update(|all| { all.pop(); });
                        }
                        redraw();
                    }>
                    {t("撤销", "Undo")}
                </button>
                <button type="button" class="btn" data-testid="signature-clear"
                    on:click=move |_| {
                        let all = strokes.try_update(std::mem::take).unwrap_or_default();
                        if !all.is_empty() {
                            cleared.set_value(all);
                        }
                        redraw();
                    }>
                    {t("清除", "Clear")}
                </button>
                <span class="actions-gap"></span>
                <CancelButton testid="signature-cancel" holding=Signal::derive(move || !empty.get())
                    busy=Signal::derive(|| false) on_cancel=on_cancel/>
                <button type="button" class="btn primary" data-testid="signature-done" on:click=done>
                    {t("完成签名", "Done")}
                </button>
            </div>
        </div>
    }
}

/// Draws a stroke: a dot for a tap, a line through the points otherwise.
fn draw(c: &web_sys::CanvasRenderingContext2d, stroke: &[(f64, f64)]) {
    c.set_line_width(3.0);
    c.set_line_cap("round");
    c.set_line_join("round");
    c.set_stroke_style_str("#111");
    c.begin_path();
    if let Some(&(x, y)) = stroke.first() {
        c.move_to(x, y);
        if stroke.len() == 1 {
            c.line_to(x + 0.1, y + 0.1);
        }
        for &(x, y) in &stroke[1..] {
            c.line_to(x, y);
        }
    }
    c.stroke();
}
