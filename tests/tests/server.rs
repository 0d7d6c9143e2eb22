//! The real server binary over real HTTP: health check and the app's files.

use e2e::Server;
use serde_json::Value;

#[test]
fn healthz_reports_ok_and_the_version() {
    let server = Server::start();
    let mut response = ureq::get(server.url("/healthz"))
        .call()
        .expect("GET /healthz");
    assert_eq!(response.status(), 200);
    let body: Value = response.body_mut().read_json().expect("a JSON body");
    assert_eq!(body["status"], "ok", "body: {body}");
    assert!(body["version"].is_string(), "body: {body}");
}

#[test]
fn unknown_paths_get_the_app_page_so_its_routes_survive_a_reload() {
    let server = Server::start();
    for path in ["/", "/cases/some-case"] {
        let mut response = ureq::get(server.url(path)).call().expect("GET a page");
        assert_eq!(response.status(), 200, "{path}");
        let html = response.body_mut().read_to_string().expect("an HTML body");
        // index.html is the page that starts the app's module script
        // (its file name changes with every build).
        assert!(
            html.contains("<script type=\"module\""),
            "{path} did not serve index.html: {html}"
        );
    }
}
