//! Evidence over real HTTP against a real server on a temp data dir: the
//! resumable upload (across a server kill), the hash check, the size
//! limits, who may download what, and `server check`, `backup` and
//! `restore` with blobs.

mod common;

use common::{
    Author, Client, Fixture, Server, attach, attach_declared, bytes, cli, code, push_body,
    secret_of,
};
use serde_json::Value;
use shared::blob::{BlobHash, CHUNK_BYTES};
use shared::case::AttachmentKind;
use shared::id::CaseId;
use shared::op::Op;
use std::process::Command;

/// A server, a staff member of PA logged in on a new device, and a case
/// registered by them.
struct World {
    fx: Fixture,
    server: Server,
    staff: Client,
    author: Author,
    secret: String,
    case: CaseId,
}

fn world() -> World {
    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    let (staff, login) = Client::login(&server.base, "staff_a");
    let mut author = Author::new(&login);
    let reg = author.register(&fx.pa, "楼道漏水");
    let case = reg.case_id;
    push(&staff, &author, &[reg]);
    World {
        fx,
        server,
        staff,
        secret: secret_of(&login),
        author,
        case,
    }
}

/// Pushes `ops`; returns the quarantine codes, in order.
fn push(c: &Client, author: &Author, ops: &[Op]) -> Vec<String> {
    let (status, answer) = c.post("/api/v1/sync/push", &push_body(author.device, ops));
    assert_eq!(status, 200, "{answer}");
    answer["quarantined"]
        .as_array()
        .expect("a quarantine list")
        .iter()
        .map(|q| q["code"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Pushes one attach op of `bytes` as `kind` to the world's case, which
/// the server accepts.
fn attach_accepted(w: &mut World, kind: AttachmentKind, bytes: &[u8]) {
    let op = attach(&mut w.author, w.case, kind, bytes, None);
    assert_eq!(push(&w.staff, &w.author, &[op]), Vec::<String>::new());
}

/// Every file under the data dir's `blobs/` shard directories.
fn stored_files(w: &World) -> Vec<std::path::PathBuf> {
    let root = w.fx.data.path().join("blobs");
    let mut files = Vec::new();
    for shard in std::fs::read_dir(&root).expect("blobs dir") {
        let shard = shard.expect("entry").path();
        if shard.is_dir() && !shard.ends_with("partial") {
            for f in std::fs::read_dir(&shard).expect("shard") {
                files.push(f.expect("entry").path());
            }
        }
    }
    files
}

#[test]
fn an_upload_interrupted_by_a_server_kill_resumes_where_head_says() {
    let mut w = world();
    let photo = bytes(2 * CHUNK_BYTES + 1000, 1);
    let thumb = common::webp_bytes(3000, 2);
    let hash = BlobHash::of(&photo);
    let op = attach(
        &mut w.author,
        w.case,
        AttachmentKind::Photo,
        &photo,
        Some(&thumb),
    );
    assert_eq!(push(&w.staff, &w.author, &[op]), Vec::<String>::new());

    let head = w.staff.blob_head(&hash);
    assert_eq!(
        (head.status, head.offset, head.length),
        (200, Some(0), Some(photo.len() as u64))
    );
    let first = w.staff.blob_put(&hash, 0, &photo[..CHUNK_BYTES]);
    assert_eq!(first.status, 200, "{}", first.json());
    assert_eq!(first.json()["offset"], CHUNK_BYTES as u64);
    assert_eq!(first.json()["complete"], false);

    // The server dies between chunks and comes back on the same data dir.
    w.server.kill();
    w.server = Server::start(w.fx.data.path());
    let (staff, _) = Client::login_on(&w.server.base, "staff_a", w.author.device, &w.secret);
    let head = staff.blob_head(&hash);
    assert_eq!((head.status, head.offset), (200, Some(CHUNK_BYTES as u64)));
    // A device that lost count is told where to continue.
    let wrong = staff.blob_put(&hash, 0, &photo[..CHUNK_BYTES]);
    assert_eq!(wrong.status, 409);
    assert_eq!(code(&wrong.json()), "blob.wrong_offset");
    assert_eq!(wrong.offset, Some(CHUNK_BYTES as u64));
    assert!(
        wrong.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains(&CHUNK_BYTES.to_string())),
        "{}",
        wrong.json()
    );

    let done = staff.blob_upload(&photo, head.offset.unwrap_or(0));
    assert_eq!(done.status, 200, "{}", done.json());
    assert_eq!(done.json()["complete"], true);
    let (status, headers, body) = staff.blob_get(&hash);
    assert_eq!(status, 200);
    assert!(body == photo, "the bytes come back as they went");
    assert_eq!(headers[0].as_deref(), Some("image/jpeg"));
    // Never cached by the browser: its cache does not key on the bearer
    // token, so on a shared tablet the next user would get the bytes
    // without the scope and masking checks.
    assert_eq!(headers[1].as_deref(), Some("no-store"));

    // The same bytes again: nothing changes.
    let again = staff.blob_upload(&photo, 0);
    assert_eq!(
        (again.status, again.json()["complete"].clone()),
        (200, true.into())
    );
    assert_eq!(stored_files(&w).len(), 1);
    // The upload is audited once, as the session's: who, on which tablet.
    let (admin, _) = Client::login(&w.server.base, "admin");
    let (_, log) = admin.get("/api/v1/admin/audit");
    let uploads: Vec<&serde_json::Value> = log
        .as_array()
        .expect("the audit log")
        .iter()
        .filter(|e| e["action"] == "blob.uploaded")
        .collect();
    assert_eq!(uploads.len(), 1, "{log}");
    assert_eq!(uploads[0]["detail"]["hash"], hash.to_string(), "{log}");
    assert_eq!(uploads[0]["device"], w.author.device.to_string(), "{log}");

    // The thumbnail is uploaded and served alike, with its own media type.
    let thumb_hash = BlobHash::of(&thumb);
    assert_eq!(staff.blob_upload(&thumb, 0).status, 200);
    let (status, headers, body) = staff.blob_get(&thumb_hash);
    assert_eq!((status, headers[0].as_deref()), (200, Some("image/webp")));
    assert!(body == thumb);
}

#[test]
fn a_corrupted_chunk_fails_the_hash_and_nothing_is_kept() {
    let mut w = world();
    let photo = bytes(CHUNK_BYTES + 500, 3);
    let hash = BlobHash::of(&photo);
    let op = attach(&mut w.author, w.case, AttachmentKind::Photo, &photo, None);
    assert_eq!(push(&w.staff, &w.author, &[op]), Vec::<String>::new());

    // Not uploaded yet: the answer names the device that holds it.
    let (status, _, body) = w.staff.blob_get(&hash);
    let body: Value = serde_json::from_slice(&body).expect("a JSON error");
    assert_eq!((status, code(&body)), (404, "blob.pending"));
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains(&format!("device {}", w.author.number))),
        "{body}"
    );

    let mut corrupted = photo.clone();
    corrupted[CHUNK_BYTES + 7] ^= 0xFF;
    assert_eq!(
        w.staff.blob_put(&hash, 0, &corrupted[..CHUNK_BYTES]).status,
        200
    );
    let last = w
        .staff
        .blob_put(&hash, CHUNK_BYTES as u64, &corrupted[CHUNK_BYTES..]);
    assert_eq!(
        (last.status, code(&last.json())),
        (422, "blob.hash_mismatch")
    );
    assert_eq!(w.staff.blob_head(&hash).offset, Some(0));
    assert!(stored_files(&w).is_empty());
    assert_eq!(w.staff.blob_get(&hash).0, 404);

    // The right bytes then go through.
    assert_eq!(w.staff.blob_upload(&photo, 0).status, 200);
    assert_eq!(w.staff.blob_get(&hash).0, 200);
}

/// Anyone in the case's scope may upload its files (a tablet is shared),
/// but each device into its own upload: a colleague who learnt the hash
/// from a pulled attach op and sends other bytes spoils only their own,
/// not the honest tablet's, however often they try.
#[test]
fn a_colleagues_bytes_never_spoil_the_tablets_upload() {
    let mut w = world();
    let photo = bytes(2 * CHUNK_BYTES + 300, 8);
    let hash = BlobHash::of(&photo);
    let op = attach(&mut w.author, w.case, AttachmentKind::Photo, &photo, None);
    assert_eq!(push(&w.staff, &w.author, &[op]), Vec::<String>::new());
    assert_eq!(
        w.staff.blob_put(&hash, 0, &photo[..CHUNK_BYTES]).status,
        200
    );

    let (colleague, _) = Client::login(&w.server.base, "head_a");
    assert_eq!(colleague.blob_head(&hash).offset, Some(0));
    let mut junk = photo.clone();
    junk[2 * CHUNK_BYTES + 10] ^= 0xFF;
    for _ in 0..2 {
        assert_eq!(
            colleague.blob_put(&hash, 0, &junk[..CHUNK_BYTES]).status,
            200
        );
        assert_eq!(
            colleague
                .blob_put(
                    &hash,
                    CHUNK_BYTES as u64,
                    &junk[CHUNK_BYTES..2 * CHUNK_BYTES]
                )
                .status,
            200
        );
        let last = colleague.blob_put(&hash, 2 * CHUNK_BYTES as u64, &junk[2 * CHUNK_BYTES..]);
        assert_eq!(
            (last.status, code(&last.json())),
            (422, "blob.hash_mismatch")
        );
    }
    // The colleague starts again and stops after a chunk.
    assert_eq!(
        colleague.blob_put(&hash, 0, &junk[..CHUNK_BYTES]).status,
        200
    );

    assert_eq!(w.staff.blob_head(&hash).offset, Some(CHUNK_BYTES as u64));
    let done = w.staff.blob_upload(&photo, CHUNK_BYTES as u64);
    assert_eq!(done.status, 200, "{}", done.json());
    assert_eq!(done.json()["complete"], true);
    let (status, _, body) = colleague.blob_get(&hash);
    assert_eq!(status, 200);
    assert!(body == photo, "the tablet's bytes are the blob");
    // The whole blob ends the colleague's upload too: no bytes are left
    // behind in the upload directory.
    let partial = w.fx.data.path().join("blobs").join("partial");
    let left: Vec<String> = std::fs::read_dir(&partial)
        .expect("the upload directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .collect();
    assert_eq!(left, Vec::<String>::new());
    assert_eq!(colleague.blob_head(&hash).offset, Some(photo.len() as u64));
}

/// A chunk cut short, its connection broken mid-body (as on a poor estate
/// link), is no size problem: `request.unreadable`, and nothing is kept.
#[test]
fn a_chunk_cut_short_is_unreadable_not_too_large() {
    use std::io::{Read, Write};
    let mut w = world();
    let photo = bytes(1000, 4);
    let hash = BlobHash::of(&photo);
    let op = attach(&mut w.author, w.case, AttachmentKind::Photo, &photo, None);
    assert_eq!(push(&w.staff, &w.author, &[op]), Vec::<String>::new());
    let addr = w.staff.base.trim_start_matches("http://").to_string();
    let token = w.staff.token.clone().expect("logged in");
    let mut tcp = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        tcp,
        "PUT /api/v1/blobs/{hash}?offset=0 HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: 1000\r\nConnection: close\r\n\r\n"
    )
    .expect("head");
    tcp.write_all(&photo[..100]).expect("part of the body");
    tcp.shutdown(std::net::Shutdown::Write).expect("cut");
    let mut answer = String::new();
    let _ = tcp.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("request.unreadable"), "{answer}");
    let progress = w.staff.blob_head(&hash);
    assert_eq!(progress.offset, Some(0), "nothing of it kept");
}

/// Bytes that are not what their attachment declares (a HEIC picture
/// named .jpg, a page a proxy answered) are refused at the first chunk:
/// kept, they would show broken in the gallery, the print and the bundle.
#[test]
fn a_file_that_is_not_its_declared_type_is_not_stored() {
    let mut w = world();
    let mut heic = b"\0\0\0\x18ftypheic".to_vec();
    heic.extend(bytes(1000, 30));
    let hash = BlobHash::of(&heic);
    let op = attach(&mut w.author, w.case, AttachmentKind::Photo, &heic, None);
    assert_eq!(push(&w.staff, &w.author, &[op]), Vec::<String>::new());
    let put = w.staff.blob_put(&hash, 0, &heic);
    assert_eq!((put.status, code(&put.json())), (415, "blob.wrong_type"));
    assert_eq!(
        w.staff.blob_head(&hash).offset,
        Some(0),
        "nothing of it kept"
    );

    // A PNG declared as one is taken.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(bytes(500, 31));
    let mut op = common::attach_declared(
        &mut w.author,
        w.case,
        AttachmentKind::Photo,
        png.len() as u64,
        BlobHash::of(&png),
        None,
    );
    if let shared::op::Action::Attach { mime, .. } = &mut op.action {
        *mime = "image/png".into();
    }
    assert_eq!(push(&w.staff, &w.author, &[op]), Vec::<String>::new());
    assert_eq!(w.staff.blob_upload(&png, 0).status, 200);
}

#[test]
fn sizes_media_types_and_names_are_bounded() {
    let mut w = world();
    const MIB: u64 = 1024 * 1024;
    let photo = bytes(1000, 4);
    let hash = BlobHash::of(&photo);
    let op = attach(&mut w.author, w.case, AttachmentKind::Photo, &photo, None);
    assert_eq!(push(&w.staff, &w.author, &[op]), Vec::<String>::new());

    let past = w.staff.blob_put(&hash, 0, &bytes(1001, 4));
    assert_eq!((past.status, code(&past.json())), (413, "blob.too_large"));
    let huge = w.staff.blob_put(&hash, 0, &vec![0; CHUNK_BYTES + 1]);
    assert_eq!(
        (huge.status, code(&huge.json())),
        (413, "request.too_large")
    );
    let json = w.staff.blob_put_as(&hash, 0, &photo, "application/json");
    assert_eq!(
        (json.status, code(&json.json())),
        (415, "request.content_type")
    );
    let unknown = w
        .staff
        .blob_put(&BlobHash::of(b"nobody attached this"), 0, b"x");
    assert_eq!(
        (unknown.status, code(&unknown.json())),
        (404, "blob.unknown")
    );
    let (status, body) = w.staff.get("/api/v1/blobs/ABC");
    assert_eq!((status, code(&body)), (400, "request.bad_id"));
    let (status, body) = w
        .staff
        .send("PUT", &format!("/api/v1/blobs/{hash}?offset=x"), "");
    assert_eq!((status, code(&body)), (400, "request.bad_query"));
    assert_eq!(
        w.staff.blob_head(&hash).offset,
        Some(0),
        "nothing was stored"
    );

    // The company's limits (10 MiB a file, 200 MiB a case by default).
    let mut ops = vec![attach_declared(
        &mut w.author,
        w.case,
        AttachmentKind::Photo,
        10 * MIB + 1,
        BlobHash::of(b"too big"),
        None,
    )];
    for i in 0..19u8 {
        ops.push(attach_declared(
            &mut w.author,
            w.case,
            AttachmentKind::Document,
            10 * MIB,
            BlobHash::of(&[i]),
            None,
        ));
    }
    // 1,000 bytes + 19 × 10 MiB are in; 10 MiB more is over 200 MiB.
    ops.push(attach_declared(
        &mut w.author,
        w.case,
        AttachmentKind::Photo,
        10 * MIB,
        BlobHash::of(b"one too many"),
        None,
    ));
    let mut gif = attach(
        &mut w.author,
        w.case,
        AttachmentKind::Photo,
        b"GIF89a",
        None,
    );
    if let shared::op::Action::Attach { mime, .. } = &mut gif.action {
        *mime = "image/gif".into();
    }
    ops.push(gif);
    assert_eq!(
        push(&w.staff, &w.author, &ops),
        [
            "attachment.too_large",
            "attachment.case_too_large",
            "attachment.media_type"
        ]
    );
    // A refused attach names no blob the server would take.
    let refused = w.staff.blob_put(&BlobHash::of(b"too big"), 0, b"x");
    assert_eq!(
        (refused.status, code(&refused.json())),
        (404, "blob.unknown")
    );
}

/// One byte each would let a case grow without bound under the bytes
/// limit: the number of attachments is bounded too.
#[test]
fn a_case_holds_a_bounded_number_of_attachments() {
    let mut w = world();
    let photo = bytes(16, 3);
    let max = shared::validation::MAX_CASE_ATTACHMENTS;
    let ops: Vec<Op> = (0..max)
        .map(|_| attach(&mut w.author, w.case, AttachmentKind::Photo, &photo, None))
        .collect();
    assert_eq!(push(&w.staff, &w.author, &ops), Vec::<String>::new());
    let one_more = attach(&mut w.author, w.case, AttachmentKind::Photo, &photo, None);
    assert_eq!(
        push(&w.staff, &w.author, &[one_more]),
        ["attachment.too_many"]
    );
}

#[test]
fn blobs_follow_the_case_scope_and_personal_data() {
    let mut w = world();
    let photo = bytes(500, 5);
    let complainant = bytes(400, 6);
    let handler = bytes(300, 7);
    let ops = vec![
        attach(&mut w.author, w.case, AttachmentKind::Photo, &photo, None),
        attach(
            &mut w.author,
            w.case,
            AttachmentKind::ComplainantSignature,
            &complainant,
            None,
        ),
        attach(
            &mut w.author,
            w.case,
            AttachmentKind::HandlerSignature,
            &handler,
            None,
        ),
    ];
    assert_eq!(push(&w.staff, &w.author, &ops), Vec::<String>::new());
    for b in [&photo, &complainant, &handler] {
        assert_eq!(w.staff.blob_upload(b, 0).status, 200);
    }

    // Another property's staff: the blobs do not exist for them.
    let (other, _) = Client::login(&w.server.base, "staff_b");
    let (status, _, body) = other.blob_get(&BlobHash::of(&photo));
    let body: Value = serde_json::from_slice(&body).expect("a JSON error");
    assert_eq!((status, code(&body)), (404, "not_found"));
    let put = other.blob_put(&BlobHash::of(&photo), 0, &photo);
    assert_eq!((put.status, code(&put.json())), (404, "blob.unknown"));
    assert_eq!(other.blob_head(&BlobHash::of(&photo)).status, 404);

    // A department head sees the case but not the complainant's data.
    let (head, _) = Client::login(&w.server.base, "head_a");
    assert_eq!(head.blob_get(&BlobHash::of(&photo)).0, 200);
    assert_eq!(head.blob_get(&BlobHash::of(&handler)).0, 200);
    let (status, _, body) = head.blob_get(&BlobHash::of(&complainant));
    let body: Value = serde_json::from_slice(&body).expect("a JSON error");
    assert_eq!((status, code(&body)), (403, "blob.masked"));
    // Quality (all properties, personal data) sees it.
    let (quality, _) = Client::login(&w.server.base, "quality");
    let (status, _, body) = quality.blob_get(&BlobHash::of(&complainant));
    assert_eq!(status, 200);
    assert!(body == complainant);
    // The case itself lists the attachments with their hashes.
    let (_, case) = quality.get(&format!("/api/v1/cases/{}", w.case));
    let kinds: Vec<&str> = case["attachments"]
        .as_array()
        .expect("attachments")
        .iter()
        .map(|a| a["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        kinds,
        ["photo", "complainant_signature", "handler_signature"]
    );
    assert_eq!(
        case["attachments"][1]["hash"],
        BlobHash::of(&complainant).to_string()
    );
}

/// A photo whose attach op the server took, but whose upload was cut off
/// before its author was moved to another property, still goes up from
/// the tablet that took it: the bytes are proven by their hash, and
/// reading them still needs the scope. Another user of that tablet who
/// made nothing there gets nothing.
#[test]
fn a_photo_is_uploaded_from_its_tablet_after_its_author_was_moved() {
    let mut w = world();
    let photo = bytes(700, 11);
    attach_accepted(&mut w, AttachmentKind::Photo, &photo);
    let hash = BlobHash::of(&photo);
    let (admin, _) = Client::login(&w.server.base, "admin");
    let (status, body) = admin.put(
        &format!("/api/v1/admin/users/{}", w.author.user),
        &serde_json::json!({ "display_name": "staff_a", "role": "staff", "properties": [w.fx.pb.id] }),
    );
    assert_eq!(status, 200, "{body}");
    let (moved, _) = Client::login_on(&w.server.base, "staff_a", w.author.device, &w.secret);
    assert_eq!(moved.blob_head(&hash).status, 200);
    let put = moved.blob_upload(&photo, 0);
    assert_eq!(put.status, 200, "{:?}", put.json());
    let (status, _, _) = moved.blob_get(&hash);
    assert_eq!(status, 404, "uploading is not reading");
    let (quality, _) = Client::login(&w.server.base, "quality");
    let (status, _, body) = quality.blob_get(&hash);
    assert_eq!((status, body == photo), (200, true));
    let (staff_b, _) = Client::login_on(&w.server.base, "staff_b", w.author.device, &w.secret);
    assert_eq!(staff_b.blob_head(&hash).status, 404);
}

/// Staff who kept the hash of another property's photo (from a pull
/// before they left it, or an old export) attach it to a case of their
/// own: the op is kept aside, the file stays out of their reach, and the
/// refusal tells nothing of the other references. Staff of that property
/// attach it again as they please.
#[test]
fn a_file_only_another_propertys_cases_hold_cannot_be_referenced() {
    let w = world();
    let (staff_b, login) = Client::login(&w.server.base, "staff_b");
    let mut author_b = Author::new(&login);
    let reg = author_b.register(&w.fx.pb, "电梯故障");
    let case_b = reg.case_id;
    let photo = bytes(700, 11);
    let attached = attach(&mut author_b, case_b, AttachmentKind::Photo, &photo, None);
    assert_eq!(
        push(&staff_b, &author_b, &[reg, attached]),
        Vec::<String>::new()
    );
    assert_eq!(staff_b.blob_upload(&photo, 0).status, 200);

    let mut author_a = w.author;
    for (kind, size) in [
        (AttachmentKind::Photo, photo.len() as u64),
        (AttachmentKind::ComplainantSignature, 10),
    ] {
        let kept = attach_declared(
            &mut author_a,
            w.case,
            kind,
            size,
            BlobHash::of(&photo),
            None,
        );
        assert_eq!(
            push(&w.staff, &author_a, &[kept]),
            ["attachment.unknown_file"]
        );
    }
    // A thumbnail of the author's own property does not vouch for the
    // foreign file it comes with.
    let own = bytes(300, 12);
    let own_photo = attach(&mut author_a, w.case, AttachmentKind::Photo, &own, None);
    assert_eq!(
        push(&w.staff, &author_a, &[own_photo]),
        Vec::<String>::new()
    );
    let paired = attach_declared(
        &mut author_a,
        w.case,
        AttachmentKind::Photo,
        photo.len() as u64,
        BlobHash::of(&photo),
        Some(&own),
    );
    assert_eq!(
        push(&w.staff, &author_a, &[paired]),
        ["attachment.unknown_file"]
    );
    let (status, _, _) = w.staff.blob_get(&BlobHash::of(&photo));
    assert_eq!(status, 404);

    let again = attach(&mut author_b, case_b, AttachmentKind::Photo, &photo, None);
    assert_eq!(push(&staff_b, &author_b, &[again]), Vec::<String>::new());
}

/// A colleague who sees a file's hash before its bytes are uploaded
/// declares a smaller size for it, on the earliest attachment id there is
/// (which the upload would take the size from): the op is kept aside, and
/// the recorder's upload goes through.
#[test]
fn a_second_attachment_of_a_file_cannot_declare_another_size_or_type() {
    let mut w = world();
    let photo = bytes(600, 9);
    attach_accepted(&mut w, AttachmentKind::Photo, &photo);

    let (head, login) = Client::login(&w.server.base, "head_a");
    let mut head_author = Author::new(&login);
    let mut smaller = attach_declared(
        &mut head_author,
        w.case,
        AttachmentKind::Photo,
        10,
        BlobHash::of(&photo),
        None,
    );
    if let shared::op::Action::Attach { id, .. } = &mut smaller.action {
        *id = shared::id::AttachmentId(uuid::Uuid::from_u128(1));
    }
    assert_eq!(
        push(&head, &head_author, &[smaller]),
        ["attachment.size_mismatch"]
    );
    // Nor another type: uploaded as a PDF, the photo would be refused as
    // not one, at every try.
    let mut retyped = attach_declared(
        &mut head_author,
        w.case,
        AttachmentKind::Photo,
        photo.len() as u64,
        BlobHash::of(&photo),
        None,
    );
    if let shared::op::Action::Attach { id, mime, .. } = &mut retyped.action {
        *id = shared::id::AttachmentId(uuid::Uuid::from_u128(1));
        *mime = "application/pdf".into();
    }
    assert_eq!(
        push(&head, &head_author, &[retyped]),
        ["attachment.size_mismatch"]
    );
    assert_eq!(w.staff.blob_upload(&photo, 0).status, 200);
}

/// The department head reads the signature's hash from the case and
/// attaches those bytes again as a photo, which they may see: the server
/// keeps the op aside, so the signature stays masked.
#[test]
fn a_complainants_signature_cannot_be_attached_again_as_a_photo() {
    let mut w = world();
    let complainant = bytes(400, 6);
    attach_accepted(&mut w, AttachmentKind::ComplainantSignature, &complainant);
    assert_eq!(w.staff.blob_upload(&complainant, 0).status, 200);

    let (head, login) = Client::login(&w.server.base, "head_a");
    let mut head_author = Author::new(&login);
    let again = attach(
        &mut head_author,
        w.case,
        AttachmentKind::Photo,
        &complainant,
        None,
    );
    assert_eq!(
        push(&head, &head_author, &[again]),
        ["attachment.signature_reused"]
    );
    let (status, _, body) = head.blob_get(&BlobHash::of(&complainant));
    let body: Value = serde_json::from_slice(&body).expect("a JSON error");
    assert_eq!((status, code(&body)), (403, "blob.masked"));
    // As a signature on another case it is still a signature: masked for
    // them, and accepted.
    let second = w.author.register(&w.fx.pa, "同一投诉人的另一件事");
    let other = second.case_id;
    assert_eq!(push(&w.staff, &w.author, &[second]), Vec::<String>::new());
    let signed = attach(
        &mut w.author,
        other,
        AttachmentKind::ComplainantSignature,
        &complainant,
        None,
    );
    assert_eq!(push(&w.staff, &w.author, &[signed]), Vec::<String>::new());
}

/// Both in one push, before either reaches the case's stored evidence:
/// the second is judged against the first all the same, in either order.
#[test]
fn a_signature_and_a_photo_of_the_same_bytes_in_one_push_are_refused() {
    let mut w = world();
    let second = w.author.register(&w.fx.pa, "同一批次的另一件事");
    let other = second.case_id;
    assert_eq!(push(&w.staff, &w.author, &[second]), Vec::<String>::new());
    for (n, (first, then)) in [
        (AttachmentKind::ComplainantSignature, AttachmentKind::Photo),
        (AttachmentKind::Photo, AttachmentKind::ComplainantSignature),
    ]
    .into_iter()
    .enumerate()
    {
        let file = bytes(300, 20 + n as u8);
        let ops = [
            attach(&mut w.author, w.case, first, &file, None),
            attach(&mut w.author, other, then, &file, None),
        ];
        assert_eq!(
            push(&w.staff, &w.author, &ops),
            ["attachment.signature_reused"],
            "{first:?} then {then:?}"
        );
    }
    let (head, _) = Client::login(&w.server.base, "head_a");
    let signature = BlobHash::of(&bytes(300, 20));
    let (status, _, body) = head.blob_get(&signature);
    let body: Value = serde_json::from_slice(&body).expect("a JSON error");
    assert_eq!((status, code(&body)), (403, "blob.masked"));
}

/// The other order: bytes attached as a photo cannot then become the
/// complainant's signature, which some roles may not see.
#[test]
fn bytes_attached_as_a_photo_cannot_become_a_signature() {
    let mut w = world();
    let photo = bytes(400, 8);
    attach_accepted(&mut w, AttachmentKind::Photo, &photo);
    let signed = attach(
        &mut w.author,
        w.case,
        AttachmentKind::ComplainantSignature,
        &photo,
        None,
    );
    assert_eq!(
        push(&w.staff, &w.author, &[signed]),
        ["attachment.signature_reused"]
    );
    assert_eq!(w.staff.blob_upload(&photo, 0).status, 200);
    let (head, _) = Client::login(&w.server.base, "head_a");
    assert_eq!(head.blob_get(&BlobHash::of(&photo)).0, 200, "still a photo");
}

#[test]
fn check_names_missing_blobs_and_finds_damaged_ones() {
    let mut w = world();
    let photo = bytes(CHUNK_BYTES + 10, 8);
    let missing = bytes(100, 9);
    let hash = BlobHash::of(&photo);
    let ops = vec![
        attach(&mut w.author, w.case, AttachmentKind::Photo, &photo, None),
        attach(&mut w.author, w.case, AttachmentKind::Photo, &missing, None),
    ];
    assert_eq!(push(&w.staff, &w.author, &ops), Vec::<String>::new());
    assert_eq!(w.staff.blob_upload(&photo, 0).status, 200);
    w.server.kill();

    // Healthy: `ok`, with the blob its device has not sent named.
    let said = cli(w.fx.data.path(), &["check"]);
    assert!(said.trim_end().ends_with("ok"), "{said}");
    assert!(said.contains(&BlobHash::of(&missing).to_string()), "{said}");

    // One byte changed on disk is found.
    let mut altered = std::fs::read(stored(&w, &hash)).expect("the stored blob");
    altered[3] ^= 1;
    std::fs::write(stored(&w, &hash), &altered).expect("alter the blob");
    let stderr = common::cli_refused(w.fx.data.path(), &["check"]);
    assert!(stderr.contains(&format!("blob {hash}")), "{stderr}");

    // A blob uploaded once and gone since (a blob directory not restored
    // with the database) is lost, not still on its tablet: a failure.
    std::fs::remove_file(stored(&w, &hash)).expect("lose the blob");
    let stderr = common::cli_refused(w.fx.data.path(), &["check"]);
    assert!(
        stderr.contains(&format!("blob {hash} was uploaded")),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&BlobHash::of(&missing).to_string()),
        "the one never uploaded is not lost: {stderr}"
    );
}

/// A file no case references (a crash between a retention deletion and
/// the removal of its files leaves one, whole or in part) is listed by
/// `check`, not removed: after a restore, a tablet may still send the op
/// that names it.
#[test]
fn check_lists_the_blobs_no_case_references() {
    let mut w = world();
    let photo = bytes(400, 8);
    let kept = BlobHash::of(&photo);
    attach_accepted(&mut w, AttachmentKind::Photo, &photo);
    assert_eq!(w.staff.blob_upload(&photo, 0).status, 200);
    let left = bytes(300, 9);
    let whole = BlobHash::of(&left);
    let path = stored(&w, &whole);
    std::fs::create_dir_all(path.parent().expect("a shard")).expect("the shard");
    std::fs::write(&path, &left).expect("a file nothing references");
    let partial = BlobHash::of(&bytes(200, 10));
    let partial_path =
        w.fx.data
            .path()
            .join("blobs/partial")
            .join(partial.to_string());
    std::fs::write(&partial_path, &left[..100]).expect("a part nothing references");

    let said = cli(w.fx.data.path(), &["check"]);
    assert!(said.trim_end().ends_with("ok"), "{said}");
    for hash in [whole, partial] {
        assert!(
            said.contains(&format!("blob {hash} is stored but no case references it")),
            "{said}"
        );
    }
    assert!(!said.contains(&kept.to_string()), "{said}");
    assert!(
        path.exists() && partial_path.exists(),
        "listed, not removed"
    );
}

#[test]
fn backup_and_restore_cover_the_blobs() {
    if !common::sqlite_only("backup and restore work on the SQLite file") {
        return;
    }
    let mut w = world();
    let photo = bytes(CHUNK_BYTES + 10, 8);
    let hash = BlobHash::of(&photo);
    attach_accepted(&mut w, AttachmentKind::Photo, &photo);
    assert_eq!(w.staff.blob_upload(&photo, 0).status, 200);
    let backup = w.fx.data.path().join("nightly.sqlite3");
    // A backup that fails after the database is written (here a blob it
    // cannot copy; a full disk in the field) leaves nothing behind to keep
    // the disk full.
    let uncopyable = stored(&w, &hash).with_file_name("ff".repeat(32));
    std::fs::create_dir(&uncopyable).expect("a blob that cannot be copied");
    common::cli_refused(w.fx.data.path(), &["backup", backup.to_str().unwrap()]);
    std::fs::remove_dir(&uncopyable).expect("remove it");
    let partials: Vec<String> = std::fs::read_dir(w.fx.data.path())
        .expect("the data dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("nightly"))
        .collect();
    assert!(partials.is_empty(), "{partials:?}");
    // What an earlier run cut off left is replaced, and nothing is left
    // under another name once the backup is whole.
    let cut_off = w.fx.data.path().join("nightly.sqlite3.partial");
    std::fs::write(&cut_off, b"half a backup").expect("a cut-off backup");
    let said = cli(w.fx.data.path(), &["backup", backup.to_str().unwrap()]);
    assert!(said.contains("1 blob(s)"), "{said}");
    assert!(!cut_off.exists(), "the cut-off backup is replaced");
    let leftovers: Vec<String> = std::fs::read_dir(w.fx.data.path())
        .expect("the data dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.contains("partial") && n.starts_with("nightly"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    w.server.kill();
    let mut altered = std::fs::read(stored(&w, &hash)).expect("the stored blob");
    altered[3] ^= 1;
    std::fs::write(stored(&w, &hash), &altered).expect("alter the blob");

    // Restoring the backup into a new data dir brings the blob along.
    let fresh = tempfile::tempdir().expect("temp dir");
    cli(fresh.path(), &["restore", backup.to_str().unwrap()]);
    let server = Server::start(fresh.path());
    let (staff, _) = Client::login(&server.base, "staff_a");
    let (status, _, body) = staff.blob_get(&hash);
    assert_eq!(status, 200);
    assert!(body == photo);
    drop(server);
    // And over the damaged one, it repairs it.
    cli(w.fx.data.path(), &["restore", backup.to_str().unwrap()]);
    assert!(std::fs::read(stored(&w, &hash)).expect("the blob") == photo);
    assert!(cli(w.fx.data.path(), &["check"]).trim_end().ends_with("ok"));
}

/// A mistyped `--data-dir` is refused, not given a new empty database that
/// a backup would copy or a check would find healthy.
#[test]
fn backup_check_and_migrate_refuse_a_data_dir_without_a_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing");
    let out = dir.path().join("backup.sqlite3");
    let commands: [&[&str]; 3] = [
        &["backup", "--data-dir"],
        &["check", "--data-dir"],
        // Refused before the database is reached: none listens there.
        &[
            "migrate",
            "--to",
            "postgres://nobody@127.0.0.1:1/none",
            "--from-data-dir",
        ],
    ];
    for args in commands {
        let mut command = Command::new(common::bin());
        command.args(args).arg(&missing);
        if args[0] == "backup" {
            command.arg(&out);
        }
        let ran = command.output().expect("run server");
        let stderr = String::from_utf8_lossy(&ran.stderr);
        assert!(!ran.status.success(), "{args:?} succeeded");
        assert!(
            stderr.contains("no database at") && stderr.contains("--data-dir"),
            "{args:?}: {stderr}"
        );
        assert!(!missing.exists(), "{args:?} made the data dir");
        assert!(!out.exists(), "{args:?} wrote a backup");
    }
}

/// A backup or check run by a build newer than the server beside it
/// does not upgrade the database under that server.
#[test]
fn backup_and_check_leave_a_database_of_another_schema_as_it_is() {
    let fx = common::Fixture::new();
    if common::database_of(fx.data.path()).is_some() {
        return a_check_leaves_a_postgres_database_as_it_is(&fx);
    }
    let db = fx.data.path().join(server::DB_FILE);
    let older = server::store::schema::latest() - 1;
    rusqlite::Connection::open(&db)
        .and_then(|c| c.pragma_update(None, "user_version", older))
        .expect("an older schema");
    let out = fx.data.path().join("backup.sqlite3");
    for args in [vec!["backup", out.to_str().expect("utf-8")], vec!["check"]] {
        let stderr = common::cli_refused(fx.data.path(), &args);
        assert!(
            stderr.contains(&format!("is at schema {older}")),
            "{args:?}: {stderr}"
        );
    }
    assert!(!out.exists());
    let version: i64 = rusqlite::Connection::open(&db)
        .and_then(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
        .expect("read the version");
    assert_eq!(version, older, "left as it was");
}

/// On PostgreSQL (backups are its own tools'), `check` neither upgrades a
/// database of an older schema nor makes the tables in an empty one.
fn a_check_leaves_a_postgres_database_as_it_is(fx: &common::Fixture) {
    let latest = server::store::postgres::latest_schema();
    let forget = format!("DELETE FROM schema_migrations WHERE version = {latest}");
    assert_eq!(common::update(fx.data.path(), &forget, &[]), 1);
    let stderr = common::cli_refused(fx.data.path(), &["check"]);
    assert!(
        stderr.contains(&format!("at schema version {}", latest - 1)),
        "{stderr}"
    );
    assert_eq!(
        common::update(fx.data.path(), &forget, &[]),
        0,
        "check applied the newest migration"
    );

    let empty = tempfile::tempdir().expect("a data dir");
    let url = server::store::postgres::test_database::fresh().expect("a test cluster");
    common::put_on_database(empty.path(), &url);
    let stderr = common::cli_refused(empty.path(), &["check"]);
    assert!(stderr.contains("no schema of this server"), "{stderr}");
    let made = "DELETE FROM schema_migrations";
    let left_empty = std::panic::catch_unwind(|| common::update(empty.path(), made, &[]));
    assert!(
        left_empty.is_err(),
        "check made the schema in an empty database"
    );
}

/// Where the server keeps the blob `hash` in the data dir.
fn stored(w: &World, hash: &BlobHash) -> std::path::PathBuf {
    let hash = hash.to_string();
    w.fx.data.path().join("blobs").join(&hash[..2]).join(hash)
}

#[test]
fn the_company_sets_the_limits() {
    let mut w = world();
    let (admin, _) = Client::login(&w.server.base, "admin");
    let (status, mut settings) = admin.get("/api/v1/admin/settings");
    assert_eq!(status, 200, "{settings}");
    settings["attachments"] = serde_json::json!({"max_blob_bytes": 0, "max_case_bytes": 3000});
    let (status, body) = admin.put("/api/v1/admin/settings", &settings);
    assert_eq!((status, code(&body)), (400, "settings.attachment_limits"));
    settings["attachments"] = serde_json::json!({"max_blob_bytes": 2000, "max_case_bytes": 3000});
    let (status, body) = admin.put("/api/v1/admin/settings", &settings);
    assert_eq!(status, 200, "{body}");

    let small = bytes(2000, 10);
    let ops = vec![
        attach(
            &mut w.author,
            w.case,
            AttachmentKind::Photo,
            &bytes(2001, 11),
            None,
        ),
        attach(&mut w.author, w.case, AttachmentKind::Photo, &small, None),
        attach(
            &mut w.author,
            w.case,
            AttachmentKind::Photo,
            &bytes(1000, 12),
            Some(&bytes(1, 13)),
        ),
    ];
    assert_eq!(
        push(&w.staff, &w.author, &ops),
        ["attachment.too_large", "attachment.case_too_large"]
    );
    assert_eq!(w.staff.blob_upload(&small, 0).status, 200);

    // A photo taken offline before the limits were lowered is judged by
    // the limits then, as every op is by the rules in force at its time.
    let mut taken_before = attach(
        &mut w.author,
        w.case,
        AttachmentKind::Photo,
        &bytes(2500, 14),
        None,
    );
    taken_before.at -= chrono::Duration::hours(1);
    assert!(push(&w.staff, &w.author, &[taken_before]).is_empty());

    // The photo refused under the lowered limit is taken once the company
    // allows it again and an admin re-applies it.
    settings["attachments"] =
        serde_json::json!({"max_blob_bytes": 1_000_000, "max_case_bytes": 1_000_000});
    let (status, body) = admin.put("/api/v1/admin/settings", &settings);
    assert_eq!(status, 200, "{body}");
    let (_, list) = admin.get("/api/v1/admin/quarantine");
    let entry = list
        .as_array()
        .expect("a list")
        .iter()
        .find(|e| e["code"] == "attachment.too_large")
        .expect("the photo too large then")["id"]
        .as_i64()
        .expect("an id");
    let (status, outcome) = admin.post(
        &format!("/api/v1/admin/quarantine/{entry}/reapply"),
        &serde_json::json!({}),
    );
    assert_eq!(
        (status, &outcome["outcome"]),
        (200, &serde_json::json!("accepted")),
        "{outcome}"
    );
}

#[test]
fn the_device_whose_attach_was_discarded_is_told_to_drop_the_bytes() {
    let mut w = world();
    // Two attach ops naming the same bytes, both over the 10 MiB a file
    // allowed: quarantined, so the server takes none of the bytes.
    let hash = BlobHash::of(b"too big");
    let ops: Vec<Op> = (0..2)
        .map(|_| {
            attach_declared(
                &mut w.author,
                w.case,
                AttachmentKind::Photo,
                10 * 1024 * 1024 + 1,
                hash,
                None,
            )
        })
        .collect();
    assert_eq!(
        push(&w.staff, &w.author, &ops),
        ["attachment.too_large", "attachment.too_large"]
    );
    let (admin, _) = Client::login(&w.server.base, "admin");
    let (_, list) = admin.get("/api/v1/admin/quarantine");
    let ids: Vec<i64> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["id"].as_i64().expect("an id"))
        .collect();
    assert_eq!(ids.len(), 2);
    let discard = |id: i64| {
        let (status, body) = admin.post(
            &format!("/api/v1/admin/quarantine/{id}/discard"),
            &serde_json::json!({"reason": "照片过大，已线下补交"}),
        );
        assert_eq!(status, 204, "{body}");
    };

    // Waiting for an admin's decision: the device keeps the bytes.
    assert_eq!(w.staff.blob_head(&hash).status, 404);
    discard(ids[0]);
    // The other op still waits: the bytes may yet be wanted.
    assert_eq!(w.staff.blob_head(&hash).status, 404);
    let put = w.staff.blob_put(&hash, 0, b"x");
    assert_eq!((put.status, code(&put.json())), (404, "blob.unknown"));

    discard(ids[1]);
    assert_eq!(w.staff.blob_head(&hash).status, 410);
    let put = w.staff.blob_put(&hash, 0, b"x");
    assert_eq!((put.status, code(&put.json())), (410, "blob.discarded"));
    assert!(stored_files(&w).is_empty());

    // An administrator, importing the tablet's file from the office, is
    // told so too: the import counted the file as waiting for good.
    assert_eq!(admin.blob_head(&hash).status, 410);

    // Another device, of the same user and scope, discarded nothing.
    let (other, _) = Client::login(&w.server.base, "staff_a");
    assert_eq!(other.blob_head(&hash).status, 404);
    let put = other.blob_put(&hash, 0, b"x");
    assert_eq!((put.status, code(&put.json())), (404, "blob.unknown"));

    // Bytes a case references are never discarded, even for a user who
    // cannot see that case: here a photo accepted once and, attached again
    // too large, quarantined and discarded.
    let photo = bytes(600, 9);
    let again = BlobHash::of(&photo);
    let accepted = attach(&mut w.author, w.case, AttachmentKind::Photo, &photo, None);
    let too_large = attach_declared(
        &mut w.author,
        w.case,
        AttachmentKind::Photo,
        10 * 1024 * 1024 + 1,
        again,
        None,
    );
    assert_eq!(
        push(&w.staff, &w.author, &[accepted, too_large]),
        ["attachment.too_large"]
    );
    let (_, list) = admin.get("/api/v1/admin/quarantine");
    let last = list.as_array().and_then(|l| l.last()).expect("an entry");
    discard(last["id"].as_i64().expect("an id"));
    assert_eq!(w.staff.blob_head(&again).status, 200);
    let (staff_b, _) = Client::login_on(&w.server.base, "staff_b", w.author.device, &w.secret);
    assert_eq!(staff_b.blob_head(&again).status, 404, "kept for staff_a");
}
