//! Evidence in a real browser: photos (through the file input, as the
//! gallery hands them over) and a signature (drawn with pointer events on
//! the pad) taken offline with a complaint survive a reload and a browser
//! restart, upload when the server is back, and reach a colleague's tablet
//! byte for byte; a user of another property cannot fetch them.

use e2e::{Browser, Server, bmp};
use serde_json::{Value, json};
use shared::blob::BlobHash;
use std::path::Path;

/// Two test pictures, 2000 × 1500 (over the 1600 pixels a tablet keeps): a
/// smooth one and a noisy one (what a JPEG compresses worst).
fn pictures(dir: &Path) -> [String; 2] {
    let smooth = bmp(2000, 1500, |x, y| [(x / 8) as u8, (y / 6) as u8, 128]);
    let mut seed = 0x2545_f491_u32;
    let noise: Vec<[u8; 3]> = (0..2000 * 1500)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let [a, b, c, _] = seed.to_le_bytes();
            [a, b, c]
        })
        .collect();
    let noisy = bmp(2000, 1500, |x, y| noise[(y * 2000 + x) as usize]);
    let paths = [dir.join("leak.bmp"), dir.join("door.bmp")];
    for (path, bytes) in paths.iter().zip([smooth, noisy]) {
        std::fs::write(path, bytes).expect("write a test picture");
    }
    paths.map(|p| p.display().to_string())
}

/// Draws a signature on the open pad with pointer events, as a finger
/// would, and finishes it.
async fn sign(browser: &Browser) {
    draw_signature(browser).await;
    browser.click("signature-done").await;
}

/// Draws a signature on the open pad, not finished.
async fn draw_signature(browser: &Browser) {
    browser.wait_for_test_id("signature-canvas").await;
    browser
        .eval(
            "const c = document.querySelector('[data-testid=signature-canvas]');
             c.scrollIntoView({block: 'center'});
             const r = c.getBoundingClientRect();
             const at = (type, x, y) => c.dispatchEvent(new PointerEvent(type, {
                 clientX: r.left + x * r.width, clientY: r.top + y * r.height,
                 pointerId: 7, pointerType: 'touch', isPrimary: true, bubbles: true }));
             at('pointerdown', 0.1, 0.6);
             for (let i = 1; i <= 30; i++) at('pointermove', 0.1 + i * 0.025, 0.6 - Math.sin(i / 3) * 0.3);
             at('pointerup', 0.85, 0.5);
             return true;",
        )
        .await;
    browser
        .wait_attr("signature-canvas", "data-empty", "false")
        .await;
}

/// How many pixels of the signature pad are drawn on.
async fn inked_pixels(browser: &Browser) -> u64 {
    let inked = browser
        .eval(
            "const c = document.querySelector('[data-testid=signature-canvas]');
             const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
             let n = 0;
             for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
             return n;",
        )
        .await;
    inked.as_u64().expect("a count of pixels")
}

/// The bytes of `GET /api/v1/blobs/{hash}` as `login`, or the status.
fn download(server: &Server, token: &str, hash: &str) -> Result<Vec<u8>, u16> {
    let mut response = server
        .agent()
        .get(server.url(&format!("/api/v1/blobs/{hash}")))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("GET a blob");
    match response.status().as_u16() {
        200 => Ok(response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .expect("the blob's bytes")),
        status => Err(status),
    }
}

/// The case registered as `reg_no`, as the server shows it to `token`'s
/// user.
fn case_on_server(server: &Server, token: &str, reg_no: &str) -> Value {
    let (status, cases) = server.get_json(token, "/api/v1/cases?per_page=100");
    assert_eq!(status, 200, "{cases}");
    let id = cases["items"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["reg_no"] == json!(reg_no)))
        .and_then(|c| c["id"].as_str())
        .unwrap_or_else(|| panic!("case {reg_no} on the server: {cases}"))
        .to_string();
    let (status, detail) = server.get_json(token, &format!("/api/v1/cases/{id}"));
    assert_eq!(status, 200, "{detail}");
    detail
}

/// Hands the picture in the file `picture` to the open form's photo
/// input, and waits until the form holds it.
async fn stage_photo(browser: &Browser, picture: &str) {
    let input = browser.wait_for_test_id("evidence-photos").await;
    input
        .send_keys(picture)
        .await
        .expect("hand a picture to the file input");
    browser.wait_count("staged-evidence", 1).await;
}

/// 清空重填 (start afresh) on a draft drops the photos taken for it: they
/// are of that draft's complainant, and were saved with the next case.
#[tokio::test(flavor = "multi_thread")]
async fn starting_afresh_drops_the_photos_taken_for_the_draft() {
    let server = Server::start();
    server.seed();
    let files = tempfile::tempdir().expect("a directory for the pictures");
    let [smooth, _] = pictures(files.path());
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.fill_complaint("褚十四", "单元门禁损坏").await;
    browser.open(&server.url("/")).await;
    browser.wait_for_test_id("case-list").await;
    browser.click("nav-new").await;
    browser.wait_for_test_id("draft-restored").await;
    stage_photo(&browser, &smooth).await;
    browser.click("draft-discard").await;
    browser.wait_count("staged-evidence", 0).await;
    assert_eq!(browser.value("field-content").await, "");
    browser.close().await;
}

/// staff1 logged in, with a complaint about `content` typed and one photo
/// staged, not saved; the directory holds the picture.
async fn a_complaint_with_a_photo_staged(content: &str) -> (Server, tempfile::TempDir, Browser) {
    let server = Server::start();
    server.seed();
    let files = tempfile::tempdir().expect("a directory for the pictures");
    let [smooth, _] = pictures(files.path());
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.fill_complaint("褚十三", content).await;
    stage_photo(&browser, &smooth).await;
    (server, files, browser)
}

/// Registers a complaint of `name` about `content` with the photo in
/// the file `picture`, and waits until it is saved with it.
async fn register_with_a_photo(browser: &Browser, name: &str, content: &str, picture: &str) {
    browser.fill_complaint(name, content).await;
    stage_photo(browser, picture).await;
    browser.click("save-case").await;
    browser.wait_attr("saved-evidence", "data-count", "1").await;
}

/// Saves a complaint of `name` about `content` with the photo in the file
/// `picture` on a tablet revoked meanwhile: the saved card, which the
/// tablet hides once it hears of the revocation, is not waited for.
async fn save_with_a_photo_when_revoked(
    browser: &Browser,
    name: &str,
    content: &str,
    picture: &str,
) {
    browser.fill_complaint(name, content).await;
    stage_photo(browser, picture).await;
    browser.click("save-case").await;
    browser
        .wait_attr("device-blocked", "data-reason", "revoked")
        .await;
}

/// Waits until `n` images of the printed record (signatures and photos)
/// have loaded.
async fn wait_images_loaded(browser: &Browser, n: u64) {
    let loaded = "return Array.from(document.querySelectorAll(
        '[data-testid=print-signature] img, [data-testid=print-photo] img'))
        .filter(i => i.complete && i.naturalWidth > 0).length;";
    let deadline = std::time::Instant::now() + e2e::TIMEOUT;
    while browser.eval(loaded).await != json!(n) {
        assert!(
            std::time::Instant::now() < deadline,
            "the signature and both photos show on the record"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The bytes the colleague's tablet holds for `hash` (what the app shows
/// through an object URL, read from its IndexedDB, as the page's CSP keeps
/// `fetch` off `blob:` URLs), and the width of the photo the full view
/// shows (0 until it has loaded, or while it shows another photo than
/// `hash`).
async fn shown_bytes(browser: &Browser, hash: &str) -> (Vec<u8>, u64) {
    let answer = browser
        .client
        .execute_async(
            "const [hash, done] = arguments;
             const img = document.querySelector('[data-testid=evidence-viewer] [data-testid=evidence-img]');
             const width = img && img.dataset.hash === hash ? img.naturalWidth : 0;
             const open = indexedDB.open('complaints');
             open.onerror = () => done({error: String(open.error)});
             open.onsuccess = () => {
                 const get = open.result.transaction('blobs').objectStore('blobs').get(hash);
                 get.onerror = () => done({error: String(get.error)});
                 get.onsuccess = () => {
                     if (!get.result) return done({bytes: [], width});
                     get.result.arrayBuffer().then(
                         b => done({bytes: Array.from(new Uint8Array(b)), width}),
                         e => done({error: String(e)}));
                 };
             };",
            vec![json!(hash)],
        )
        .await
        .expect("read the shown photo");
    let bytes = answer["bytes"]
        .as_array()
        .unwrap_or_else(|| panic!("the photo's bytes: {answer}"))
        .iter()
        .map(|b| b.as_u64().expect("a byte") as u8)
        .collect();
    (bytes, answer["width"].as_u64().unwrap_or(0))
}

/// Opens the photo named `hash` from the open case's grid and waits until
/// the full view shows it: the bytes shown, and their width.
async fn open_photo(browser: &Browser, hash: &str) -> (Vec<u8>, u64) {
    let tile = browser
        .client
        .find(fantoccini::Locator::Css(&format!(
            "[data-testid=evidence-item][data-hash=\"{hash}\"]"
        )))
        .await
        .expect("the photo's tile");
    tile.click().await.expect("open the photo");
    browser.wait_for_test_id("evidence-viewer").await;
    let deadline = std::time::Instant::now() + e2e::TIMEOUT;
    loop {
        let shown = shown_bytes(browser, hash).await;
        if shown.1 > 0 && !shown.0.is_empty() {
            return shown;
        }
        assert!(std::time::Instant::now() < deadline, "the photo opened");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The bytes the origin's storage uses, by the browser's estimate.
async fn storage_used(browser: &Browser) -> u64 {
    let answer = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             navigator.storage.estimate().then(e => done(e.usage), e => done(String(e)));",
            vec![],
        )
        .await
        .expect("estimate the storage");
    answer
        .as_u64()
        .unwrap_or_else(|| panic!("storage estimate: {answer}"))
}

/// The hashes of the blobs a browser's app keeps in IndexedDB, sorted.
async fn held_blobs(browser: &Browser) -> Vec<String> {
    let answer = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const open = indexedDB.open('complaints');
             open.onerror = () => done({error: String(open.error)});
             open.onsuccess = () => {
                 const keys = open.result.transaction('blobs').objectStore('blobs').getAllKeys();
                 keys.onsuccess = () => done(keys.result.map(String).sort());
                 keys.onerror = () => done({error: String(keys.error)});
             };",
            vec![],
        )
        .await
        .expect("list the kept blobs");
    serde_json::from_value(answer.clone()).unwrap_or_else(|_| panic!("blob keys: {answer}"))
}

/// A photo taken under a device id the server lost (restored from a
/// backup older than the tablet): once the tablet has a new id, the photo
/// holds no colleague's login (its op's number is the former id's, not one
/// the new id is still to send).
#[tokio::test(flavor = "multi_thread")]
async fn a_photo_of_a_former_device_id_holds_no_colleagues_login() {
    let mut server = Server::start();
    server.seed();
    let files = tempfile::tempdir().expect("a directory for the pictures");
    let [smooth, _] = pictures(files.path());
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    let old = browser.device_id().await;
    server.kill();
    browser.fill_complaint("韩十四", "楼道墙皮脱落").await;
    let input = browser.wait_for_test_id("evidence-photos").await;
    input.send_keys(&smooth).await.expect("hand a picture over");
    browser.wait_count("staged-evidence", 1).await;
    browser.click("save-case").await;
    browser.wait_attr("saved-evidence", "data-count", "1").await;
    browser.lose_device_secret().await;
    browser.click("nav-settings").await;
    browser.log_out().await;
    server.restart();
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    assert_ne!(browser.device_id().await, old, "a new identity");
    browser.log_out().await;
    browser.login("manager1").await;
    browser.wait_synced().await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn photos_and_a_signature_taken_offline_upload_and_reach_a_colleague() {
    let mut server = Server::start();
    server.seed();
    let files = tempfile::tempdir().expect("a directory for the pictures");
    let [smooth, noisy] = pictures(files.path());
    let profile = tempfile::tempdir().expect("a browser profile");
    let browser = Browser::start_in(profile.path()).await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.wait_service_worker().await;

    // Offline: a complaint with two photos and the resident's signature.
    server.kill();
    let before = storage_used(&browser).await;
    browser
        .fill_complaint("孙七", "楼道天花板漏水，墙面起皮")
        .await;
    let input = browser.wait_for_test_id("evidence-photos").await;
    input
        .send_keys(&format!("{smooth}\n{noisy}"))
        .await
        .expect("hand two pictures to the file input");
    browser.wait_count("staged-evidence", 2).await;
    browser.click("sign-complainant_signature").await;
    // A stray tap is no signature.
    browser.wait_for_test_id("signature-canvas").await;
    browser
        .eval(
            "const c = document.querySelector('[data-testid=signature-canvas]');
             const r = c.getBoundingClientRect();
             for (const type of ['pointerdown', 'pointerup']) c.dispatchEvent(new PointerEvent(type, {
                 clientX: r.left + r.width / 2, clientY: r.top + r.height / 2,
                 pointerId: 7, pointerType: 'touch', isPrimary: true, bubbles: true }));
             return true;",
        )
        .await;
    browser
        .wait_attr("signature-canvas", "data-empty", "false")
        .await;
    browser.click("signature-done").await;
    browser.wait_text("signature-error", "签名过短").await;
    // A clear tapped by mistake is taken back.
    browser.click("signature-clear").await;
    browser
        .wait_attr("signature-canvas", "data-empty", "true")
        .await;
    browser.click("signature-undo").await;
    browser
        .wait_attr("signature-canvas", "data-empty", "false")
        .await;
    browser.click("signature-clear").await;
    sign(&browser).await;
    browser.wait_count("staged-evidence", 3).await;
    browser.fill("evidence-caption", "漏水位置").await;
    browser.click("save-case").await;
    let reg_no = browser.text("reg-no").await;
    browser.wait_attr("saved-evidence", "data-count", "3").await;
    // Four ops (the registration and three attaches) and five files (two
    // photos, their thumbnails, the signature) wait.
    browser.wait_attr("sync-pending", "data-pending", "4").await;
    browser.wait_attr("sync-uploads", "data-waiting", "5").await;
    // Measured for the closing note: what the case and its evidence cost
    // the tablet's storage (the browser's own estimate, coarse).
    println!(
        "storage used by the case, two photos and a signature: {} bytes",
        storage_used(&browser).await.saturating_sub(before)
    );

    // A reload and a browser restart, still offline, lose nothing, and the
    // case shows its evidence from the tablet's own copy.
    browser.open(&server.url("/")).await;
    browser.wait_attr("sync-uploads", "data-waiting", "5").await;
    browser.close().await;
    let browser = Browser::start_in(profile.path()).await;
    browser.open(&server.url("/")).await;
    browser.wait_attr("sync-pending", "data-pending", "4").await;
    browser.wait_attr("sync-uploads", "data-waiting", "5").await;
    // The settings count the files apart from the records.
    browser.click("nav-settings").await;
    browser.wait_text("settings-files", "5").await;
    browser.click("nav-list").await;
    browser.click("case-row").await;
    browser.wait_count("evidence-item", 3).await;
    browser.wait_count("evidence-img", 3 + 3).await; // the grid and the timeline

    // The server is back: the ops go, then the bytes.
    server.restart();
    browser.sync_now().await;
    browser.wait_attr("sync-uploads", "data-waiting", "0").await;

    let manager = server.token("manager1");
    let detail = case_on_server(&server, &manager, &reg_no);
    let attachments = detail["attachments"]
        .as_array()
        .unwrap_or_else(|| panic!("attachments: {detail}"))
        .clone();
    assert_eq!(attachments.len(), 3, "{attachments:?}");
    let kinds: Vec<&str> = attachments
        .iter()
        .map(|a| a["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "photo").count(),
        2,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"complainant_signature"), "{kinds:?}");
    let mut hashes = Vec::new();
    for a in &attachments {
        let named: Vec<&Value> = std::iter::once(&a["hash"])
            .chain(a["thumbnail"].get("hash"))
            .collect();
        for hash in named {
            let hash = hash.as_str().expect("a hash");
            let bytes = download(&server, &manager, hash).expect("the bytes are on the server");
            assert_eq!(
                BlobHash::of(&bytes).to_string(),
                hash,
                "bytes match their name"
            );
        }
        hashes.push(a["hash"].as_str().expect("a hash").to_string());
        if a["kind"] == json!("photo") {
            let size = a["size"].as_u64().unwrap_or(0);
            let thumb = a["thumbnail"]["size"].as_u64().unwrap_or(0);
            // Measured for the closing note: what one photo costs the tablet.
            println!("photo {}: {size} bytes, thumbnail {thumb} bytes", a["name"]);
        }
    }
    // A user of another property cannot fetch them.
    let outsider = server.token("staff2");
    for hash in &hashes {
        assert_eq!(download(&server, &outsider, hash), Err(404), "{hash}");
    }

    // A colleague of the property sees the thumbnails and opens a photo:
    // the bytes the page shows are the bytes the tablet named.
    let colleague = Browser::start().await;
    colleague.open(&server.url("/")).await;
    colleague.login("manager1").await;
    // Its first sync kept the thumbnails and the signature for offline,
    // before anyone opened the case, and not the whole photos.
    let mut small: Vec<String> = attachments
        .iter()
        .map(|a| {
            let small = a["thumbnail"].get("hash").unwrap_or(&a["hash"]);
            small.as_str().expect("a hash").to_string()
        })
        .collect();
    small.sort();
    assert_eq!(held_blobs(&colleague).await, small);
    // Offline, the colleague's printed record shows the photos from the
    // thumbnails kept, and the signature.
    server.kill();
    colleague.click("case-row").await;
    colleague.click("open-print").await;
    colleague.wait_count("print-photo", 2).await;
    wait_images_loaded(&colleague, 3).await;
    colleague.click("print-back").await;
    server.restart();
    colleague.sync_now().await;
    colleague.wait_count("evidence-item", 3).await;
    colleague.wait_count("evidence-img", 3 + 3).await;
    let photo = attachments
        .iter()
        .find(|a| a["kind"] == json!("photo"))
        .expect("a photo");
    let hash = photo["hash"].as_str().expect("a hash");
    let (bytes, width) = open_photo(&colleague, hash).await;
    assert_eq!(BlobHash::of(&bytes).to_string(), hash);
    assert_eq!(width, 1600, "the tablet scaled the 2000-pixel picture down");
    // A double tap zooms in: the page's policy refuses a `style` attribute,
    // so the zoom must be set as properties.
    colleague
        .eval(
            "document.querySelector('.viewer-stage')
                 .dispatchEvent(new MouseEvent('dblclick', {bubbles: true}));
             return null;",
        )
        .await;
    colleague
        .wait_until(
            "return getComputedStyle(document.querySelector('.viewer-stage'))
                 .getPropertyValue('--zoom').trim() === '2.5';",
            "the photo zoomed in",
        )
        .await;
    colleague.click("viewer-close").await;
    // Head office's bundle of the case downloads through the app.
    colleague.click("download-bundle").await;
    colleague.wait_text("bundle-progress", "证据包已下载").await;
    colleague.close().await;

    // The printed record shows the resident's signature on its line, the
    // form still on one A4 page, and the photos on a page of their own.
    browser.click("open-print").await;
    browser.wait_text("print-reg-no", &reg_no).await;
    browser.wait_count("print-photo", 2).await;
    // Every attachment is listed, the signature too, not only the photos.
    let listed = browser
        .eval(
            "return Array.from(document.querySelectorAll('[data-testid=print-evidence-row]'))
                 .map(r => r.dataset.kind).sort();",
        )
        .await;
    assert_eq!(listed, json!(["complainant_signature", "photo", "photo"]));
    wait_images_loaded(&browser, 3).await;
    let signed = browser
        .eval(
            "return Array.from(document.querySelectorAll('[data-testid=print-signature]'))
                 .filter(s => s.querySelector('img')).map(s => s.dataset.kind);",
        )
        .await;
    assert_eq!(signed, json!(["complainant_signature"]));
    browser
        .eval("document.querySelector('.signatures').scrollIntoView({block: 'center'}); return 1;")
        .await;
    browser.screenshot("print-evidence").await;
    assert_eq!(
        browser.print_pages("record-form-evidence").await,
        2,
        "the form on one A4 page, the photos on a second"
    );
    browser.close().await;
}

/// Photos taken and not saved live only on their screen: a tap in the
/// navigation first says that leaving drops them, and leaves only when
/// tapped again.
/// A tablet keeps the whole photos of a case while it is open and for two
/// weeks after it was closed or withdrawn; then the sync lets them go,
/// keeping the thumbnail for the grid, and opening the photo fetches it
/// from the server again. Months of photos would otherwise fill the
/// browser's storage. Those it took itself stay as long as the ops that
/// name them (30 days), which a server restored from a backup asks for
/// again, with their bytes.
#[tokio::test(flavor = "multi_thread")]
async fn the_whole_photos_of_a_case_withdrawn_weeks_ago_leave_the_tablet() {
    let server = Server::start();
    server.seed();
    let files = tempfile::tempdir().expect("a directory for the pictures");
    let [smooth, _] = pictures(files.path());
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    register_with_a_photo(&browser, "卫十五", "楼道堆放杂物", &smooth).await;
    let reg_no = browser.text("reg-no").await;
    browser.click("open-case").await;
    browser.click("action-withdraw").await;
    browser.fill("in-reason", "业主已自行清理").await;
    browser.click("submit-withdraw").await;
    browser
        .wait_attr("detail-state", "data-state", "withdrawn")
        .await;
    browser.sync_now().await;
    browser.wait_attr("sync-uploads", "data-waiting", "0").await;

    let manager = server.token("manager1");
    let detail = case_on_server(&server, &manager, &reg_no);
    let photo = &detail["attachments"][0];
    let whole = photo["hash"]
        .as_str()
        .expect("the photo's hash")
        .to_string();
    let thumbnail = photo["thumbnail"]["hash"]
        .as_str()
        .expect("the thumbnail's hash")
        .to_string();
    let mut both = vec![whole.clone(), thumbnail.clone()];
    both.sort();
    assert_eq!(held_blobs(&browser).await, both, "withdrawn today: kept");

    // Fifteen days on, by the tablet's clock: taken here, the photo stays
    // while a restored server may still ask for it.
    browser
        .eval("const real = Date.now; Date.now = () => real.call(Date) + 15 * 86400000; return 0;")
        .await;
    browser.sync_now().await;
    assert_eq!(
        held_blobs(&browser).await,
        both,
        "taken here 15 days ago: kept"
    );
    // Thirty-one days on, it goes.
    browser
        .eval(
            "const later = Date.now; Date.now = () => later.call(Date) + 16 * 86400000; return 0;",
        )
        .await;
    browser.sync_now().await;
    assert_eq!(held_blobs(&browser).await, vec![thumbnail.clone()]);

    // Opened, the photo comes from the server again.
    let (bytes, _) = open_photo(&browser, &whole).await;
    assert_eq!(BlobHash::of(&bytes).to_string(), whole);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn leaving_photos_not_saved_takes_a_second_tap() {
    let (_server, _files, browser) = a_complaint_with_a_photo_staged("垃圾桶破损").await;
    browser.click("nav-list").await;
    browser.wait_for_test_id("leave-warning").await;
    assert_eq!(browser.value("field-content").await, "垃圾桶破损");
    browser.wait_count("staged-evidence", 1).await;
    browser.click("nav-list").await;
    browser.wait_for_test_id("case-list").await;
    assert!(browser.find("leave-warning").await.is_none());
    browser.close().await;
}

/// The system's Back (a tablet's back gesture) goes back a screen within
/// the app, warning first of photos not saved, as the app's own ways off
/// a screen do: it left the app, and the photos with it.
#[tokio::test(flavor = "multi_thread")]
async fn the_systems_back_warns_of_photos_not_saved_then_goes_back_a_screen() {
    let (_server, _files, browser) = a_complaint_with_a_photo_staged("井盖松动").await;
    browser.client.back().await.expect("the system's Back");
    browser.wait_for_test_id("leave-warning").await;
    assert_eq!(browser.value("field-content").await, "井盖松动");
    browser.wait_count("staged-evidence", 1).await;
    browser
        .client
        .back()
        .await
        .expect("the system's Back again");
    browser.wait_for_test_id("case-list").await;
    browser.close().await;
}

/// On a case, the screen's own ways off it (its back, print and receipt
/// buttons) warn of photos not saved as the navigation does, and the
/// evidence card's 取消 asks before it drops them.
#[tokio::test(flavor = "multi_thread")]
async fn a_cases_back_button_and_cancel_keep_photos_not_saved() {
    let server = Server::start();
    server.seed();
    let files = tempfile::tempdir().expect("a directory for the pictures");
    let [smooth, _] = pictures(files.path());
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    let reg_no = browser.register_complaint("卫十六", "楼道灯不亮").await;
    browser.click("open-case").await;
    browser.wait_text("detail-reg-no", &reg_no).await;
    browser.click("add-evidence").await;
    stage_photo(&browser, &smooth).await;

    browser.click("back").await;
    browser.wait_for_test_id("leave-warning").await;
    browser.wait_count("staged-evidence", 1).await;
    browser.click("cancel-evidence").await;
    browser.wait_for_test_id("discard-ask").await;
    browser.wait_count("staged-evidence", 1).await;
    browser.click("discard-confirm").await;
    browser.wait_count("evidence-form", 0).await;
    // Nothing is held now: one tap leaves.
    browser.click("back").await;
    browser.wait_for_test_id("case-list").await;
    browser.close().await;
}

/// The manager corrects the phone of case `reg_no` to `phone` from
/// another tablet, and `browser`, showing the case, syncs it (started
/// from the page, so that the field typed in keeps the focus) and draws
/// it again; answers the case's id.
async fn phone_corrected_by_the_manager(
    server: &Server,
    browser: &Browser,
    reg_no: &str,
    phone: &str,
) -> String {
    let detail = case_on_server(server, &server.token("staff1"), reg_no);
    let id = detail["id"].as_str().expect("a case id");
    let case = shared::id::CaseId(id.parse().expect("a case id"));
    let mut manager = e2e::bulk::Tablet::log_in(server, "manager1", "经理的平板");
    let edit = manager.op(
        case,
        None,
        shared::op::Action::Edit(shared::case::RegistrationPatch {
            complainant_phone: Some(shared::phone::Phone::parse(phone).ok()),
            ..Default::default()
        }),
    );
    manager.push(server, &[edit]);
    let entries = browser.find_all("timeline-entry").await.len();
    browser
        .eval("document.querySelector('[data-testid=sync-now]').click(); return true;")
        .await;
    browser.wait_count("timeline-entry", entries + 1).await;
    id.to_string()
}

/// Of two photos staged, the second's caption being typed keeps the focus
/// when a sync draws the case again: the captions share a test id, and the
/// keys went on into the first photo's.
#[tokio::test(flavor = "multi_thread")]
async fn the_caption_typed_keeps_the_focus_among_several_when_a_sync_redraws_the_case() {
    let server = Server::start();
    server.seed();
    let files = tempfile::tempdir().expect("a directory for the pictures");
    let [smooth, noisy] = pictures(files.path());
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    let reg_no = browser.register_complaint("蒋十六", "楼道堆放杂物").await;
    browser.sync_now().await;
    browser.click("open-case").await;
    browser.wait_text("detail-reg-no", &reg_no).await;
    browser.click("add-evidence").await;
    stage_photo(&browser, &smooth).await;
    browser
        .wait_for_test_id("evidence-photos")
        .await
        .send_keys(&noisy)
        .await
        .expect("hand a second picture to the file input");
    browser.wait_count("evidence-caption", 2).await;
    browser.find_all("evidence-caption").await[1]
        .send_keys("三楼楼梯间")
        .await
        .expect("type the second caption");

    phone_corrected_by_the_manager(&server, &browser, &reg_no, "13900003333").await;
    browser
        .wait_until(
            "return document.activeElement === \
             document.querySelectorAll('[data-testid=evidence-caption]')[1];",
            "the second caption has the focus again",
        )
        .await;
    browser
        .client
        .active_element()
        .await
        .expect("the focused caption")
        .send_keys("左侧")
        .await
        .expect("type on");
    let captions = browser.find_all("evidence-caption").await;
    assert_eq!(
        captions[1].prop("value").await.ok().flatten().as_deref(),
        Some("三楼楼梯间左侧")
    );
    assert_eq!(
        captions[0].prop("value").await.ok().flatten().as_deref(),
        Some("")
    );
    browser.close().await;
}

/// A sync that brings a colleague's change to a case draws its screen
/// again, evidence card and all: a signature half drawn and a caption
/// typed (the field not left yet) stay, and are saved with the photo.
#[tokio::test(flavor = "multi_thread")]
async fn a_signature_half_drawn_and_a_caption_typed_stay_when_a_sync_redraws_the_case() {
    let server = Server::start();
    server.seed();
    let files = tempfile::tempdir().expect("a directory for the pictures");
    let [smooth, _] = pictures(files.path());
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    let reg_no = browser.register_complaint("卫十五", "垃圾房异味").await;
    browser.sync_now().await;
    browser.click("open-case").await;
    browser.wait_text("detail-reg-no", &reg_no).await;
    browser.click("add-evidence").await;
    stage_photo(&browser, &smooth).await;
    // Typed, the field not left: no `change` event yet.
    browser
        .wait_for_test_id("evidence-caption")
        .await
        .send_keys("垃圾房门口")
        .await
        .expect("type a caption");
    browser.click("sign-handler_signature").await;
    draw_signature(&browser).await;
    let inked = inked_pixels(&browser).await;
    assert!(inked > 0, "the pad shows the strokes");

    // Meanwhile the manager corrects the phone from another tablet, and
    // this tablet syncs (started from the page, so that the caption keeps
    // the focus).
    let id = phone_corrected_by_the_manager(&server, &browser, &reg_no, "13900001111").await;

    assert_eq!(browser.value("evidence-caption").await, "垃圾房门口");
    browser
        .wait_attr("signature-canvas", "data-empty", "false")
        .await;
    // Drawn again as whole strokes, not point by point: the edges'
    // anti-aliasing differs a little.
    let again = inked_pixels(&browser).await;
    assert!(
        again * 10 >= inked * 9,
        "the pad drawn again shows the strokes: {again} pixels inked, {inked} before"
    );
    // Saving before the signature is finished would leave it out.
    browser.click("save-evidence").await;
    browser
        .wait_text("evidence-error", "签名尚未完成：请先点“完成签名”，或取消")
        .await;
    browser.click("signature-done").await;
    browser.wait_count("staged-evidence", 2).await;
    browser.click("save-evidence").await;
    browser.wait_count("evidence-form", 0).await;
    browser.sync_now().await;

    let (status, detail) = server.get_json(&server.token("staff1"), &format!("/api/v1/cases/{id}"));
    assert_eq!(status, 200, "{detail}");
    let attachments = detail["attachments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let kinds: Vec<(&str, &str)> = attachments
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap_or_default(),
                a["caption"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [("photo", "垃圾房门口"), ("handler_signature", "")],
        "{detail}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_company_limits_refuse_evidence_on_the_tablet_before_anything_is_saved() {
    let server = Server::start();
    server.seed();
    let files = tempfile::tempdir().expect("a directory for the pictures");
    let [smooth, noisy] = pictures(files.path());

    // The administrator sets 1 MiB per file and per case in the settings
    // form (typed in MiB, stored in bytes).
    let admin = Browser::start().await;
    admin.open(&server.url("/")).await;
    admin.login("admin1").await;
    admin.open_settings().await;
    assert_eq!(admin.value("setting-max_blob_bytes").await, "10");
    assert_eq!(admin.value("setting-max_case_bytes").await, "200");
    admin.fill("setting-max_blob_bytes", "1").await;
    admin.fill("setting-max_case_bytes", "1").await;
    admin.click("settings-save").await;
    admin.wait_text("settings-status", "设置已保存").await;
    admin.close().await;
    let token = server.token("admin1");
    let (_, settings) = server.get_json(&token, "/api/v1/admin/settings");
    assert_eq!(
        settings["attachments"]["max_case_bytes"],
        json!(1024 * 1024),
        "{settings}"
    );

    // A tablet that synced the limits refuses the noisy photo (about
    // 1.01 MiB with its thumbnail) beside the picker as soon as it is
    // taken; the smooth one stays, and the case saves with it.
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.fill_complaint("周八", "地下车库照明不足").await;
    let input = browser.wait_for_test_id("evidence-photos").await;
    input
        .send_keys(&format!("{smooth}\n{noisy}"))
        .await
        .expect("hand two pictures to the file input");
    browser.wait_text("evidence-error", "door.jpg").await;
    browser.wait_text("evidence-error", "附件合计").await;
    browser.wait_attr("evidence-busy", "data-busy", "0").await;
    browser.wait_count("staged-evidence", 1).await;
    browser.click("save-case").await;
    browser.wait_attr("saved-evidence", "data-count", "1").await;
    browser.sync_now().await;
    browser.wait_attr("sync-uploads", "data-waiting", "0").await;
    browser.close().await;
}

/// A photo recorded offline whose attach op the server then quarantined
/// (the admin lowered the limit to 1 KiB a file): staff1 is logged in, and
/// the photo and its thumbnail are set aside on the tablet.
struct Quarantined {
    server: Server,
    browser: Browser,
    /// The admin's token.
    token: String,
    /// The company settings as the admin left them.
    settings: Value,
    /// The bytes the tablet holds: the photo and its thumbnail.
    held: Vec<String>,
    /// The attach op's quarantine entry.
    entry: i64,
    _pictures: tempfile::TempDir,
}

async fn quarantined_photo() -> Quarantined {
    let mut server = Server::start();
    server.seed();
    let pictures_dir = tempfile::tempdir().expect("a directory for the pictures");
    let [_, noisy] = pictures(pictures_dir.path());
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;

    // Offline, the tablet has not heard of the limit the company lowers
    // (below) before the photo is taken: recorded an hour later by the
    // tablet's clock, the photo comes after the save. (A photo taken
    // before it is judged by the limit of its time, and taken.)
    server.kill();
    browser
        .eval(
            "window.realNow = Date.now; \
             Date.now = () => window.realNow.call(Date) + 3600000; return true;",
        )
        .await;
    browser.fill_complaint("吴九", "楼道墙面渗水").await;
    stage_photo(&browser, &noisy).await;
    browser.fill("evidence-caption", "三楼楼梯间东墙").await;
    browser.click("save-case").await;
    browser.wait_attr("saved-evidence", "data-count", "1").await;
    browser.wait_attr("sync-uploads", "data-waiting", "2").await;
    let held = held_blobs(&browser).await;
    assert_eq!(held.len(), 2, "the photo and its thumbnail: {held:?}");
    browser
        .eval("Date.now = window.realNow; return true;")
        .await;

    server.restart();
    let token = server.token("admin1");
    let (status, mut settings) = server.get_json(&token, "/api/v1/admin/settings");
    assert_eq!(status, 200, "{settings}");
    settings["attachments"]["max_blob_bytes"] = json!(1024);
    server.save_settings(&token, &settings);
    // The sync that reports the quarantine has tried the upload too.
    browser.click("sync-now").await;
    browser.wait_text("sync-error", "隔离").await;
    browser
        .wait_attr("sync-uploads", "data-set-aside", "2")
        .await;
    browser.wait_attr("sync-uploads", "data-waiting", "0").await;
    browser.wait_text("sync-uploads", "待管理员处理").await;
    let (_, quarantine) = server.get_json(&token, "/api/v1/admin/quarantine");
    assert_eq!(
        quarantine[0]["code"],
        json!("attachment.too_large"),
        "{quarantine}"
    );
    let entry = quarantine[0]["id"].as_i64().expect("the entry's id");
    Quarantined {
        server,
        browser,
        token,
        settings,
        held,
        entry,
        _pictures: pictures_dir,
    }
}

/// A photo the server quarantined (taken after the company lowered its
/// limit, while the tablet was offline) is one it takes no bytes for. Its upload is set
/// aside on the tablet: the bytes stay there, and another user may log in
/// on the shared tablet, which an upload still waiting refuses.
#[tokio::test(flavor = "multi_thread")]
async fn a_photo_the_server_quarantined_no_longer_holds_the_tablet() {
    let Quarantined {
        server,
        browser,
        token,
        mut settings,
        held,
        entry,
        _pictures,
    } = quarantined_photo().await;
    browser.click("nav-settings").await;
    browser.log_out().await;
    browser.login("manager1").await;
    assert_eq!(held_blobs(&browser).await, held, "the bytes stay");

    // The company allows the photo after all and the admin re-applies the
    // op: the tablet, whoever is logged in, uploads its bytes.
    for hash in &held {
        assert_eq!(download(&server, &token, hash), Err(404), "not yet");
    }
    settings["attachments"]["max_blob_bytes"] = json!(10 * 1024 * 1024);
    server.save_settings(&token, &settings);
    let (status, outcome) = server.post_json(
        Some(&token),
        &format!("/api/v1/admin/quarantine/{entry}/reapply"),
        &json!({}),
    );
    assert_eq!(
        (status, &outcome["outcome"]),
        (200, &json!("accepted")),
        "{outcome}"
    );
    browser.click("sync-now").await;
    browser
        .wait_attr("sync-uploads", "data-set-aside", "0")
        .await;
    browser.wait_attr("sync-uploads", "data-waiting", "0").await;
    for hash in &held {
        assert!(download(&server, &token, hash).is_ok(), "{hash} uploaded");
    }
    browser.close().await;
}

/// The tablet is revoked while its photo's record waits in quarantine:
/// the file it exports carries that record too, and the import judges it
/// again once the company allows the photo (before, the file carried the
/// photo but not its record, which could then only be discarded).
#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_tablets_record_set_aside_is_taken_from_its_file_once_allowed() {
    let Quarantined {
        server,
        browser,
        token,
        mut settings,
        held,
        _pictures,
        ..
    } = quarantined_photo().await;
    let device = browser.device_id().await;
    server.revoke_device(&device);
    browser.click("sync-now").await;
    browser
        .wait_attr("device-blocked", "data-reason", "revoked")
        .await;
    // Said, and not "every record reached the server".
    browser.wait_attr("set-aside-text", "data-count", "1").await;
    assert!(browser.find("unsent-none").await.is_none());
    let href = browser.made_file("export-unsent").await;
    browser.client.goto(&href).await.expect("open the export");
    let text = browser.eval("return document.body.innerText;").await;
    let text = text.as_str().unwrap_or_default().to_string();
    let export: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the export is not JSON ({e}): {text}"));
    assert_eq!(export["count"], json!(1), "{export}");
    browser.close().await;

    settings["attachments"]["max_blob_bytes"] = json!(10 * 1024 * 1024);
    server.save_settings(&token, &settings);
    let mut records = export.clone();
    records["files"] = json!([]);
    let (status, report) = server.post_json(Some(&token), "/api/v1/admin/records/import", &records);
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["stored"], json!(1), "{report}");
    // And its photo's bytes, in the same file, are taken with it.
    for file in export["files"].as_array().expect("files") {
        let hash = file["hash"].as_str().expect("a hash");
        assert!(held.contains(&hash.to_string()), "{hash}");
    }
}

/// Once the admin discards the quarantined op, nothing will take the
/// photo: the tablet stops offering it, and its bytes go once no op on the
/// tablet shows them.
#[tokio::test(flavor = "multi_thread")]
async fn a_photo_whose_quarantined_op_was_discarded_leaves_the_tablet() {
    let q = quarantined_photo().await;
    let (status, body) = q.server.post_json(
        Some(&q.token),
        &format!("/api/v1/admin/quarantine/{}/discard", q.entry),
        &json!({"reason": "照片过大，已线下补交"}),
    );
    assert_eq!(status, 204, "{body}");
    q.browser.click("sync-now").await;
    q.browser
        .wait_attr("sync-uploads", "data-set-aside", "0")
        .await;
    q.browser
        .wait_attr("sync-uploads", "data-waiting", "0")
        .await;
    // staff1's copy of the discarded op still shows the photo here, so the
    // bytes stay until another user logs in and staff1's cases are cleared.
    assert_eq!(held_blobs(&q.browser).await, q.held);
    q.browser.click("nav-settings").await;
    q.browser.log_out().await;
    q.browser.login("manager1").await;
    assert_eq!(held_blobs(&q.browser).await, Vec::<String>::new());
    q.browser.close().await;
}

/// An action the server quarantined did not take effect, and the tablet
/// says so: the case shows as the server holds it (without the photo),
/// marked in the list and explained on the case, after a reload too; once
/// an admin re-applies the op, the next sync takes it in.
#[tokio::test(flavor = "multi_thread")]
async fn a_quarantined_action_shows_as_not_taken_until_an_admin_reapplies_it() {
    let Quarantined {
        server,
        browser,
        token,
        mut settings,
        entry,
        ..
    } = quarantined_photo().await;
    browser.click("nav-list").await;
    browser.wait_count("case-refused", 1).await;
    browser.click("case-open").await;
    browser
        .wait_attr("refused-op", "data-code", "attachment.too_large")
        .await;
    browser.wait_text("refused-op", "未生效").await;
    // What was typed with it can still be read.
    let mut typed = Vec::new();
    for text in browser.find_all("refused-text").await {
        typed.push(text.text().await.unwrap_or_default());
    }
    assert!(
        typed.iter().any(|t| t.contains("三楼楼梯间东墙")),
        "{typed:?}"
    );
    browser.wait_for_test_id("evidence-none").await;

    // A reload still tells.
    browser.open(&server.url("/")).await;
    browser.wait_count("case-refused", 1).await;
    browser.wait_text("sync-error", "隔离").await;

    settings["attachments"]["max_blob_bytes"] = json!(10 * 1024 * 1024);
    server.save_settings(&token, &settings);
    let (status, outcome) = server.post_json(
        Some(&token),
        &format!("/api/v1/admin/quarantine/{entry}/reapply"),
        &json!({}),
    );
    assert_eq!(status, 200, "{outcome}");
    browser.click("sync-now").await;
    browser.wait_count("case-refused", 0).await;
    browser.click("case-open").await;
    browser.wait_count("evidence-item", 1).await;
    assert!(browser.find_all("refused-op").await.is_empty());
    browser.close().await;
}

/// A server restored from a backup taken before a photo was uploaded, on
/// a new disk, gets the photo's bytes again from the tablet that took it:
/// the tablet had forgotten the upload once done, and now offers its files
/// again, the server taking those it lacks.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_restored_from_a_backup_gets_the_photos_it_lost_again() {
    photos_lost_in_a_restore_are_uploaded_again(After::Sync).await;
}

/// The same when the tablet's user logs in again before the next sync (a
/// login made after the backup is unknown to the restored server): the
/// login is what learns of the restore, and the files are offered then.
#[tokio::test(flavor = "multi_thread")]
async fn a_login_after_a_restore_offers_the_lost_photos_again() {
    photos_lost_in_a_restore_are_uploaded_again(After::LogInAgain).await;
}

/// The sync that learns of the restore cannot store the uploads it owes
/// (the storage is full, say): it syncs the ops all the same, and the next
/// sync offers the files, though the device's state already holds the new
/// epoch.
#[tokio::test(flavor = "multi_thread")]
async fn photos_a_restore_is_owed_are_offered_until_the_offer_is_stored() {
    photos_lost_in_a_restore_are_uploaded_again(After::StorageRefusesFirst).await;
}

/// A shared tablet: another user logged in before the restore, which set
/// the photo's op aside for its author's next login. Its bytes were kept
/// with it, and are offered to the restored server once its author is
/// back.
#[tokio::test(flavor = "multi_thread")]
async fn photos_of_ops_set_aside_for_their_author_are_offered_to_a_restored_server() {
    photos_lost_in_a_restore_are_uploaded_again(After::AnotherUserBefore).await;
}

/// What the tablet meets after the restore.
#[derive(PartialEq)]
enum After {
    /// Its next sync.
    Sync,
    /// Another user logged in before the restore; the photo's author logs
    /// in again after it.
    AnotherUserBefore,
    /// A login, then a sync.
    LogInAgain,
    /// A sync whose storage refuses the uploads, then another.
    StorageRefusesFirst,
}

async fn photos_lost_in_a_restore_are_uploaded_again(after: After) {
    let mut server = Server::start();
    server.seed();
    let files = tempfile::tempdir().expect("a directory for the pictures");
    let [smooth, _] = pictures(files.path());
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.wait_synced().await;
    let backup = tempfile::tempdir().expect("a backup dir");
    let file = backup.path().join("backup.db");
    let file = file.to_str().expect("a UTF-8 path");
    server.cli(&["backup", file]);

    register_with_a_photo(&browser, "周十", "电梯按钮失灵", &smooth).await;
    browser.sync_now().await;
    browser.wait_attr("sync-uploads", "data-waiting", "0").await;
    let held = held_blobs(&browser).await;
    assert_eq!(held.len(), 2, "the photo and its thumbnail: {held:?}");
    let manager = server.token("manager1");
    for hash in &held {
        assert!(download(&server, &manager, hash).is_ok(), "{hash} uploaded");
    }

    if after == After::AnotherUserBefore {
        browser.click("nav-settings").await;
        browser.log_out().await;
        browser.login("manager1").await;
        assert_eq!(held_blobs(&browser).await, held, "kept with staff1's op");
    }

    // The disk is lost with the bytes; the backup is restored.
    server.kill();
    std::fs::remove_dir_all(server.data_dir().join("blobs")).expect("lose the blobs");
    server.cli(&["restore", file]);
    server.restart();
    let manager = server.token("manager1");
    if after == After::LogInAgain {
        browser.click("nav-settings").await;
        browser.log_out().await;
        browser.login("staff1").await;
    }
    if after == After::AnotherUserBefore {
        // manager1's session is unknown to the restored server.
        browser.click("sync-now").await;
        browser
            .wait_attr("device-blocked", "data-reason", "session_ended")
            .await;
        browser.click("blocked-relogin").await;
        browser.login("staff1").await;
    }
    if after == After::StorageRefusesFirst {
        // The ops sync all the same; the files wait.
        browser.refuse_store("uploads").await;
        browser.sync_now().await;
        for hash in &held {
            assert!(download(&server, &manager, hash).is_err(), "{hash}");
        }
        browser.restore_storage().await;
    }
    browser.sync_now().await;
    let deadline = std::time::Instant::now() + e2e::TIMEOUT;
    for hash in &held {
        while download(&server, &manager, hash).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "{hash} is uploaded again"
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
    browser.close().await;
}

/// A photo the tablet's storage refused when the case was saved (full,
/// say) is not lost: the saved card keeps it and offers to save it again,
/// and once the storage takes it, it is recorded on the case.
#[tokio::test(flavor = "multi_thread")]
async fn a_photo_the_storage_refused_at_intake_can_be_saved_again() {
    let (server, _files, browser) = a_complaint_with_a_photo_staged("楼道窗户玻璃破损").await;

    // The storage refuses the photo's bytes, not the registration.
    browser.refuse_store("blobs").await;
    browser.click("save-case").await;
    let reg_no = browser.text("reg-no").await;
    browser.wait_for_test_id("retry-evidence").await;
    let said = browser.text("evidence-save-error").await;
    assert!(said.contains("存储空间已满"), "{said}");
    assert!(browser.find("saved-evidence").await.is_none());

    browser.restore_storage().await;
    browser.click("retry-evidence").await;
    browser.wait_attr("saved-evidence", "data-count", "1").await;
    browser.wait_count("retry-evidence", 0).await;
    browser.sync_now().await;
    let token = server.token("manager1");
    let (_, page) = server.get_json(&token, &format!("/api/v1/cases?q={reg_no}"));
    let id = page["items"][0]["id"]
        .as_str()
        .expect("the case")
        .to_string();
    let (_, case) = server.get_json(&token, &format!("/api/v1/cases/{id}"));
    assert_eq!(
        case["attachments"].as_array().map(Vec::len),
        Some(1),
        "{case}"
    );
    browser.close().await;
}

/// A tablet out of storage (the transaction aborted at its commit, as the
/// browser does when the quota is used up) says so, in words that say
/// what to do; what was typed and the photo stay, and the case is saved
/// with it once there is room.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_tablet_says_so_and_keeps_the_case_typed() {
    let (_server, _files, browser) = a_complaint_with_a_photo_staged("地下车库照明损坏").await;

    browser.fill_storage("ops").await;
    browser.click("save-case").await;
    browser.wait_for_test_id("save-error").await;
    let said = browser.text("save-error").await;
    assert!(said.contains("存储空间已满"), "{said}");
    assert_eq!(browser.value("field-content").await, "地下车库照明损坏");
    browser.wait_count("staged-evidence", 1).await;

    browser.restore_storage().await;
    browser.click("save-case").await;
    browser.wait_attr("saved-evidence", "data-count", "1").await;
    browser.close().await;
}

/// A photo the server cannot store (its disk full; here its directory of
/// uploads made unusable) is said at the sync, not passed over for a
/// line in the console: the case's records went up, the photo waits on
/// the tablet, and it goes up at the next sync once the server can take it.
#[tokio::test(flavor = "multi_thread")]
async fn a_photo_the_server_cannot_store_is_said_and_sent_later() {
    let (server, _files, browser) = a_complaint_with_a_photo_staged("消防通道堵塞").await;
    let partial = server.data_dir().join("blobs").join("partial");
    let away = server.data_dir().join("blobs").join("partial.away");
    std::fs::rename(&partial, &away).expect("move the uploads away");
    std::fs::write(&partial, b"not a directory").expect("block the uploads");

    browser.click("save-case").await;
    browser.wait_attr("saved-evidence", "data-count", "1").await;
    browser.wait_attr("sync-pending", "data-pending", "0").await;
    browser.wait_text("sync-error", "服务器内部错误").await;
    // The photo and its thumbnail.
    browser.wait_attr("sync-uploads", "data-waiting", "2").await;

    std::fs::remove_file(&partial).expect("unblock");
    std::fs::rename(&away, &partial).expect("move the uploads back");
    browser.click("sync-now").await;
    browser.wait_attr("sync-uploads", "data-waiting", "0").await;
    browser.wait_no_text("sync-error").await;
    browser.close().await;
}

/// Settings say how much of the tablet's storage the app uses, as the
/// browser estimates it, and warn when the browser has not promised to
/// keep it (it may evict it when the disk fills).
#[tokio::test(flavor = "multi_thread")]
async fn settings_say_how_much_storage_the_records_use() {
    let (_server, _files, browser) = a_complaint_with_a_photo_staged("电梯异响").await;
    browser.click("save-case").await;
    browser.wait_attr("saved-evidence", "data-count", "1").await;
    browser.click("nav-settings").await;
    browser.wait_for_test_id("settings-storage").await;
    let deadline = std::time::Instant::now() + e2e::TIMEOUT;
    let shown = loop {
        let used = browser.attr("settings-storage", "data-used").await;
        if let Ok(used) = used.parse::<f64>() {
            break used;
        }
        assert!(std::time::Instant::now() < deadline, "no storage figure");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    // The browser's figure, read the same way; it grows only as the
    // browser settles what it wrote.
    let estimate = storage_used(&browser).await as f64;
    assert!(
        shown > 0.0 && shown <= estimate * 1.5,
        "shown {shown}, the browser's estimate {estimate}"
    );
    // Whether the browser promised to keep the data, asked of it
    // directly: the warning shows exactly when it did not.
    let promised = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             navigator.storage.persisted().then(done, e => done(String(e)));",
            vec![],
        )
        .await
        .expect("ask whether the storage persists");
    let promised = promised
        .as_bool()
        .unwrap_or_else(|| panic!("persisted: {promised}"));
    let persisted = browser.attr("settings-storage", "data-persisted").await;
    assert_eq!(persisted, promised.to_string());
    assert_eq!(
        browser.find("settings-storage-evictable").await.is_some(),
        !promised,
        "persisted: {persisted}"
    );
    browser.close().await;
}

/// A revoked tablet lists the records it could not upload, and says which
/// photos only it holds instead of claiming that nothing is missing.
#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_tablet_says_that_its_photos_were_not_uploaded() {
    let server = Server::start();
    server.seed();
    let dir = tempfile::tempdir().expect("a picture dir");
    let [smooth, _] = pictures(dir.path());
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser.wait_synced().await;
    server.revoke_device(&browser.device_id().await);

    save_with_a_photo_when_revoked(&browser, "周十", "电梯按钮失灵", &smooth).await;
    // The registration and the photo's record.
    browser.wait_count("unsent-op", 2).await;
    // The photo and its thumbnail.
    browser.wait_attr("files-waiting", "data-files", "2").await;
    browser.wait_text("files-waiting", "只保存在本机").await;
    assert!(browser.find("unsent-none").await.is_none());
    browser.close().await;
}

/// A revoked tablet's photos reach the server through the file it
/// exports: one whose record synced before the revocation while its bytes
/// did not (the network dropped the uploads), and one taken after, whose
/// record did not go either. The administrator imports the file in the
/// office; the server then holds every photo and thumbnail, byte for byte,
/// and a second import stores nothing twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_tablets_photos_reach_the_server_in_the_file_it_exports() {
    let server = Server::start();
    server.seed();
    let dir = tempfile::tempdir().expect("a directory for the pictures");
    let pictures = [("gate.bmp", 40u8), ("bins.bmp", 200u8)].map(|(name, blue)| {
        let path = dir.path().join(name);
        std::fs::write(&path, bmp(64, 48, |x, y| [x as u8, y as u8, blue]))
            .expect("write a test picture");
        path.display().to_string()
    });
    let browser = Browser::start().await;
    browser.open(&server.url("/")).await;
    browser.login("staff1").await;
    browser
        .eval(
            "const real = window.fetch;
             window.fetch = function (input, init) {
                 const url = typeof input === 'string' ? input : input.url;
                 if (url.includes('/api/v1/blobs/')) {
                     return Promise.reject(new TypeError('the network dropped it'));
                 }
                 return real.apply(this, arguments);
             };
             return true;",
        )
        .await;
    register_with_a_photo(&browser, "钱八", "单元门禁损坏", &pictures[0]).await;
    let synced = browser.text("reg-no").await;
    browser.wait_attr("sync-pending", "data-pending", "0").await;
    browser.wait_attr("sync-uploads", "data-waiting", "2").await;
    let device = browser.device_id().await;
    server.revoke_device(&device);
    save_with_a_photo_when_revoked(&browser, "孙七", "垃圾清运不及时", &pictures[1]).await;
    browser.wait_attr("files-waiting", "data-files", "4").await;
    browser.wait_count("unsent-op", 2).await;
    let unsent = browser
        .find_all("unsent-op")
        .await
        .first()
        .expect("the registration's row")
        .text()
        .await
        .expect("its text")
        .split_whitespace()
        .find(|w| w.starts_with("HY-"))
        .expect("its number")
        .to_string();
    // The file carries the two records and the four files.
    let href = browser.made_file("export-unsent").await;
    browser
        .wait_attr("export-unsent-file", "data-files", "4")
        .await;
    browser.client.goto(&href).await.expect("open the export");
    let text = browser.eval("return document.body.innerText;").await;
    let text = text.as_str().unwrap_or_default().to_string();
    let export: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the export is not JSON ({e}): {text}"));
    assert_eq!(export["count"], json!(2), "{export}");
    assert_eq!(export["files"].as_array().map(Vec::len), Some(4));
    // Logged out, and the next login refused: nobody is logged in, and the
    // file still carries the photo whose record the server took.
    browser.open(&server.url("/")).await;
    browser.click("nav-settings").await;
    browser.log_out().await;
    browser.fill("login-name", "staff1").await;
    browser.fill("login-password", e2e::PASSWORD).await;
    browser.click("login-submit").await;
    browser
        .wait_attr("device-blocked", "data-reason", "revoked")
        .await;
    browser.wait_attr("files-waiting", "data-files", "4").await;
    browser.made_file("export-unsent").await;
    browser
        .wait_attr("export-unsent-file", "data-files", "4")
        .await;
    browser.close().await;

    // A copy damaged on the way: one file's bytes are another's.
    let mut damaged = export.clone();
    damaged["files"][0]["base64"] = damaged["files"][1]["base64"].clone();
    let damaged_path = dir.path().join("damaged.json");
    std::fs::write(&damaged_path, damaged.to_string()).expect("save the damaged copy");
    let admin = Browser::start().await;
    admin.open(&server.url("/")).await;
    admin.login("admin1").await;
    admin.click("nav-admin").await;
    admin.click("admin-tab-quarantine").await;
    // The same export as a tablet with more photos than one file holds
    // makes it: the records and two files, then the other two alone,
    // handed to the input together and last first.
    let (first, second) = (
        dir.path().join("unsent-01of02.json"),
        dir.path().join("unsent-02of02.json"),
    );
    let mut part = export.clone();
    part["files"] = json!(export["files"].as_array().expect("files")[..2]);
    std::fs::write(&first, part.to_string()).expect("save the first file");
    part["files"] = json!(export["files"].as_array().expect("files")[2..]);
    part["ops"] = json!([]);
    part["count"] = json!(0);
    std::fs::write(&second, part.to_string()).expect("save the second file");
    let both = format!("{}\n{}", second.display(), first.display());
    let rounds = [
        (damaged_path.display().to_string(), ("2", "0"), ("3", "1")),
        (both, ("0", "2"), ("4", "0")),
    ];
    for (files, (stored, held), (uploaded, refused)) in rounds {
        let input = admin.wait_for_test_id("records-file").await;
        input
            .send_keys(&files)
            .await
            .expect("hand the files to the input");
        admin
            .wait_attr("records-files", "data-stored", uploaded)
            .await;
        assert_eq!(admin.attr("records-files", "data-damaged").await, refused);
        assert_eq!(admin.attr("records-files", "data-waiting").await, "0");
        assert_eq!(admin.attr("records-imported", "data-held").await, held);
        assert_eq!(admin.attr("records-imported", "data-stored").await, stored);
    }
    admin.screenshot("admin-records-files").await;
    // A file that is no export is named in the error.
    let notes = dir.path().join("notes.json");
    std::fs::write(&notes, "{\"what\": 1}").expect("save a stray file");
    let input = admin.wait_for_test_id("records-file").await;
    input
        .send_keys(&notes.display().to_string())
        .await
        .expect("hand the file to the input");
    admin.wait_text("records-error", "notes.json").await;
    admin.close().await;

    let manager = server.token("manager1");
    for reg_no in [&synced, &unsent] {
        let detail = case_on_server(&server, &manager, reg_no);
        let photo = &detail["attachments"][0];
        for hash in [&photo["hash"], &photo["thumbnail"]["hash"]] {
            let hash = hash.as_str().unwrap_or_else(|| panic!("a hash: {detail}"));
            let bytes = download(&server, &manager, hash)
                .unwrap_or_else(|status| panic!("{reg_no}'s {hash}: {status}"));
            assert_eq!(BlobHash::of(&bytes).to_string(), hash);
        }
    }
}
