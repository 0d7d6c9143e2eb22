//! A case's bundle for head office (`GET /api/v1/cases/{id}/bundle.zip`)
//! over real HTTP against a real server on a temp data dir: evidence
//! uploaded through the real upload API comes back in the ZIP with its
//! bytes intact and linked from `record.html`; scope, personal data and
//! pending uploads are respected.

mod common;

use common::{Author, Client, Fixture, Server, attach, bytes, code, push_body};
use shared::blob::BlobHash;
use shared::case::AttachmentKind;
use shared::id::CaseId;
use shared::op::{Action, Op};
use std::collections::BTreeMap;
use std::io::{Cursor, Read};

/// A server and a case of PA registered by PA's staff, with two photos and
/// the complainant's signature uploaded and a third photo still on the
/// tablet.
struct World {
    _fx: Fixture,
    server: Server,
    case: CaseId,
    reg_no: String,
    photos: [Vec<u8>; 2],
    signature: Vec<u8>,
    pending: Vec<u8>,
}

fn world() -> World {
    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    let (staff, login) = Client::login(&server.base, "staff_a");
    let mut author = Author::new(&login);
    let reg = author.register(&fx.pa, "楼道漏水，墙面发霉");
    let case = reg.case_id;
    let reg_no = match &reg.action {
        Action::Register(r) => r.reg_no.to_string(),
        _ => unreachable!("register makes a register op"),
    };
    let photos = [bytes(3000, 21), bytes(5000, 22)];
    let signature = bytes(700, 23);
    let pending = bytes(900, 24);
    let ops = vec![
        reg,
        attach(&mut author, case, AttachmentKind::Photo, &photos[0], None),
        attach(
            &mut author,
            case,
            AttachmentKind::ComplainantSignature,
            &signature,
            None,
        ),
        attach(&mut author, case, AttachmentKind::Photo, &photos[1], None),
        attach(&mut author, case, AttachmentKind::Photo, &pending, None),
    ];
    push(&staff, &author, &ops);
    for b in [&photos[0], &photos[1], &signature] {
        assert_eq!(staff.blob_upload(b, 0).status, 200);
    }
    World {
        _fx: fx,
        server,
        case,
        reg_no,
        photos,
        signature,
        pending,
    }
}

fn push(c: &Client, author: &Author, ops: &[Op]) {
    let (status, answer) = c.post("/api/v1/sync/push", &push_body(author.device, ops));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["quarantined"], serde_json::json!([]), "{answer}");
}

/// A downloaded bundle: `record.html` and every other file by name.
struct Bundle {
    record: String,
    files: BTreeMap<String, Vec<u8>>,
}

impl Bundle {
    /// The file whose name starts with `prefix`, if one does.
    fn named(&self, prefix: &str) -> Option<(&str, &[u8])> {
        self.files
            .iter()
            .find(|(name, _)| name.starts_with(prefix))
            .map(|(n, b)| (n.as_str(), b.as_slice()))
    }
}

/// Downloads the bundle of `w`'s case as `login` (with `query`), checks
/// the answer's headers, and unzips it.
fn download(w: &World, login: &str, query: &str) -> Bundle {
    let (client, _) = Client::login(&w.server.base, login);
    let (status, headers, body) = client.get_bytes(
        &format!("/api/v1/cases/{}/bundle.zip{query}", w.case),
        &["content-type", "content-disposition", "content-length"],
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers[0].as_deref(), Some("application/zip"));
    assert_eq!(
        headers[1].as_deref(),
        Some(format!("attachment; filename=\"{}.zip\"", w.reg_no).as_str())
    );
    assert_eq!(headers[2], Some(body.len().to_string()));
    let mut zip = zip::ZipArchive::new(Cursor::new(body)).expect("a ZIP");
    let mut files = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("an entry");
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).expect("read an entry");
        files.insert(f.name().expect("a UTF-8 name").to_string(), bytes);
    }
    let record = files
        .remove("record.html")
        .map(|b| String::from_utf8(b).expect("UTF-8"))
        .expect("record.html");
    Bundle { record, files }
}

/// The first 12 hex digits of the hash of `bytes`, as bundle names use.
fn short(bytes: &[u8]) -> String {
    BlobHash::of(bytes).to_string()[..12].to_string()
}

#[test]
fn a_manager_gets_the_record_and_every_uploaded_attachment() {
    let w = world();
    let b = download(&w, "manager_a", "");
    assert!(b.record.contains(&w.reg_no), "the record names the case");
    assert!(b.record.contains("客户投诉记录表"));
    assert!(b.record.contains("楼道漏水，墙面发霉"));
    assert!(
        b.record.contains("王小明"),
        "a manager sees the complainant"
    );
    let expected = [
        ("attachments/01-photo-", &w.photos[0]),
        ("attachments/02-complainant_signature-", &w.signature),
        ("attachments/03-photo-", &w.photos[1]),
    ];
    assert_eq!(b.files.len(), expected.len(), "{:?}", b.files.keys());
    for (prefix, content) in expected {
        let name = format!("{prefix}{}.jpg", short(content));
        let (found, bytes) = b
            .named(&name)
            .unwrap_or_else(|| panic!("{name} in the ZIP"));
        assert_eq!(
            BlobHash::of(bytes),
            BlobHash::of(content),
            "{found} is the uploaded file"
        );
        assert!(
            b.record.contains(&format!("href=\"{name}\"")),
            "record.html links {name}"
        );
    }
    // The signature is on its line of the form, the photos on their page.
    let signature = format!(
        "attachments/02-complainant_signature-{}.jpg",
        short(&w.signature)
    );
    let line = b
        .record
        .split("<td>")
        .find(|cell| cell.starts_with("投诉人确认/日期："))
        .expect("the complainant's line");
    assert!(
        line.contains(&format!("<img src=\"{signature}\"")),
        "{line}"
    );
    for (number, photo) in [(1, &w.photos[0]), (3, &w.photos[1])] {
        let img = format!(
            "<img src=\"attachments/{number:02}-photo-{}.jpg\"",
            short(photo)
        );
        assert!(b.record.contains(&img), "the photo page shows {img}");
    }
}

#[test]
fn an_attachment_not_uploaded_yet_is_named_pending() {
    let w = world();
    let b = download(&w, "manager_a", "");
    let hash = short(&w.pending);
    assert!(
        !b.files.keys().any(|n| n.contains(&hash)),
        "nothing to put in the ZIP for it"
    );
    let row = b
        .record
        .lines()
        .find(|l| l.contains(&hash))
        .expect("record.html lists the pending attachment");
    assert!(row.contains("等待上传"), "{row}");
    assert!(
        row.starts_with("<tr class=\"pending\"><td>04</td>"),
        "{row}"
    );

    let en = download(&w, "manager_a", "?lang=en");
    assert!(en.record.contains("Customer complaint record"));
    let row = en
        .record
        .lines()
        .find(|l| l.contains(&hash))
        .expect("the English record lists it too");
    assert!(row.contains("Pending upload"), "{row}");
}

#[test]
fn without_personal_data_the_complainant_signature_stays_out() {
    let w = world();
    let b = download(&w, "head_a", "");
    let hash = short(&w.signature);
    assert!(
        b.files.keys().all(|n| !n.contains("complainant_signature")),
        "{:?}",
        b.files.keys()
    );
    assert!(!b.record.contains(&hash), "not even named");
    assert!(!b.record.contains("王小明"));
    assert!(b.record.contains("王**"), "the name is masked");
    assert!(b.record.contains("139****5678"), "the phone is masked");
    // The photos keep their numbers: the names do not depend on the reader.
    assert!(b.named("attachments/01-photo-").is_some());
    assert!(b.named("attachments/03-photo-").is_some());
    assert_eq!(b.files.len(), 2);
    // It left the system: the audit log says who took it, and that it
    // was masked.
    let (admin, _) = Client::login(&w.server.base, "admin");
    let (_, log) = admin.get("/api/v1/admin/audit?limit=20");
    let entry = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "export.case_bundle")
        .expect("the bundle is audited");
    assert_eq!(entry["login"], "head_a");
    assert_eq!(entry["detail"]["reg_no"], w.reg_no.as_str());
    assert_eq!(entry["detail"]["personal_data"], false);
}

/// Bytes that are a complainant's signature on some case are one in every
/// bundle: attached also as a photo (in data stored before the push
/// refused that), they stay out for a reader who sees the complainant
/// masked, as the blob download refuses them. (SQLite's data, written as
/// an older build left it.)
#[test]
fn bytes_that_are_a_signature_anywhere_stay_out_without_personal_data() {
    let w = world();
    if common::database_of(w._fx.data.path()).is_some() {
        return;
    }
    let db = w._fx.data.path().join(server::DB_FILE);
    let photo = BlobHash::of(&w.photos[0]).to_string();
    let conn = rusqlite::Connection::open(&db).expect("the SQLite file");
    let changed = conn
        .execute(
            "INSERT INTO case_blobs (case_id, attachment_id, thumbnail, hash, purpose, media_type, size, device_id)
             SELECT case_id, 'older-signature', thumbnail, hash, 'complainant_signature', media_type, size, device_id
             FROM case_blobs WHERE hash = ?1 AND thumbnail = 0",
            [&photo],
        )
        .expect("the photo's bytes also a signature");
    assert_eq!(changed, 1);
    drop(conn);
    let masked = download(&w, "head_a", "");
    assert!(
        masked.named("attachments/01-photo-").is_none(),
        "{:?}",
        masked.files.keys()
    );
    let whole = download(&w, "manager_a", "");
    assert!(whole.named("attachments/01-photo-").is_some());
}

#[test]
fn outside_the_scope_the_case_does_not_exist() {
    let w = world();
    let path = format!("/api/v1/cases/{}/bundle.zip", w.case);
    for login in ["manager_b", "staff_b"] {
        let (other, _) = Client::login(&w.server.base, login);
        let (status, body) = other.get(&path);
        assert_eq!((status, code(&body)), (404, "not_found"), "{login}");
    }
    let (manager, _) = Client::login(&w.server.base, "manager_a");
    let missing = format!("/api/v1/cases/{}/bundle.zip", CaseId(uuid::Uuid::now_v7()));
    let (status, body) = manager.get(&missing);
    assert_eq!((status, code(&body)), (404, "not_found"));
    let (status, body) = manager.get("/api/v1/cases/nope/bundle.zip");
    assert_eq!((status, code(&body)), (400, "request.bad_id"));
    let (status, body) = manager.get(&format!("{path}?lang=fr"));
    assert_eq!((status, code(&body)), (400, "request.bad_lang"));
    let (status, body) = manager.get(&format!("{path}?page=2"));
    assert_eq!((status, code(&body)), (400, "request.bad_query"));
}
