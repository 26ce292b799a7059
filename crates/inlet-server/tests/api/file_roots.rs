//! File-based sources and INLET_FILE_ROOTS: a path outside the roots is
//! refused before the file system is asked about it, so no answer — create
//! with a test, test, discovery, sync — tells whether something exists there.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Options, Resp, TestApp};
use crate::sync::{run, wait};

/// What one probe answered at every step, with the connection id removed.
#[derive(Debug, PartialEq)]
struct Answers {
    create_tested: (StatusCode, String),
    test: (StatusCode, String),
    refresh: (StatusCode, String),
    sync_error: Value,
}

fn answer(r: &Resp) -> (StatusCode, String) {
    (r.status, r.text.clone())
}

/// Runs every step against one `kind` whose path-like field is `value`.
async fn probe(app: &TestApp, col: &str, kind: &str, field: &str, value: &str) -> Answers {
    let body = json!({"collectionId": col, "sourceShortName": kind, "name": "probe",
                      "credentials": {field: value}});
    let tested = app
        .post(
            "/api/v1/source-connections?test=true",
            &app.admin_key,
            body.clone(),
        )
        .await;
    let id = app.connection(&app.admin_key, body).await;
    let test = app
        .post(
            &format!("/api/v1/source-connections/{id}/test"),
            &app.admin_key,
            json!({}),
        )
        .await;
    let refresh = app
        .post(
            &format!("/api/v1/source-connections/{id}/schema/refresh"),
            &app.admin_key,
            json!({}),
        )
        .await;
    let job = wait(app, &run(app, &id).await).await;
    let r = app
        .delete(&format!("/api/v1/source-connections/{id}"), &app.admin_key)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let strip = |(s, t): (StatusCode, String)| (s, t.replace(&id, "ID"));
    Answers {
        create_tested: answer(&tested),
        test: strip(answer(&test)),
        refresh: strip(answer(&refresh)),
        sync_error: job["error"].clone(),
    }
}

fn assert_refused(a: &Answers, what: &str, outside: &str) {
    for (step, (status, text)) in [
        ("create?test", &a.create_tested),
        ("test", &a.test),
        ("refresh", &a.refresh),
    ] {
        assert_eq!(*status, StatusCode::BAD_REQUEST, "{what} {step}: {text}");
        let body: Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            body["error"]["code"], "path_not_allowed",
            "{what} {step}: {text}"
        );
        assert!(
            !text.contains(outside),
            "{what} {step} quotes the path: {text}"
        );
    }
    assert_eq!(
        a.sync_error["code"], "path_not_allowed",
        "{what}: {}",
        a.sync_error
    );
    assert!(
        !a.sync_error.to_string().contains(outside),
        "{what}: {}",
        a.sync_error
    );
}

#[tokio::test]
async fn outside_the_roots_existing_and_missing_files_answer_alike() {
    let app = TestApp::with(Options {
        allow_local_git: true,
        ..Default::default()
    })
    .await;
    let col = app.collection(&app.admin_key, "files").await;
    let outside = tempfile::tempdir().unwrap();
    let out = outside.path().to_str().unwrap().to_owned();
    std::fs::write(outside.path().join("there.csv"), "id,name\n1,a\n").unwrap();
    std::fs::write(outside.path().join("there.db"), "x").unwrap();
    std::fs::create_dir(outside.path().join("there")).unwrap();
    std::os::unix::fs::symlink(outside.path(), app.files.join("out")).unwrap();
    let up = format!(
        "../{}",
        outside.path().file_name().unwrap().to_str().unwrap()
    );
    // Each pair: the same shape of path, once to something that exists and
    // once to nothing.
    let pairs = [
        (
            "csv",
            "path",
            format!("{out}/there.csv"),
            format!("{out}/nope.csv"),
        ),
        (
            "csv",
            "path",
            format!("{up}/there.csv"),
            format!("{up}/nope.csv"),
        ),
        (
            "csv",
            "path",
            "out/there.csv".to_owned(),
            "out/nope.csv".to_owned(),
        ),
        (
            "sqlite",
            "path",
            format!("{out}/there.db"),
            format!("{out}/nope.db"),
        ),
        (
            "sqlite",
            "path",
            "out/there.db".to_owned(),
            "out/nope.db".to_owned(),
        ),
        (
            "folder",
            "path",
            format!("{out}/there"),
            format!("{out}/nope"),
        ),
        (
            "folder",
            "path",
            format!("{up}/there"),
            format!("{up}/nope"),
        ),
        ("git", "url", format!("{out}/there"), format!("{out}/nope")),
        (
            "git",
            "url",
            format!("file://{out}/there"),
            format!("file://{out}/nope"),
        ),
    ];
    for (kind, field, there, nope) in &pairs {
        let a = probe(&app, &col, kind, field, there).await;
        let b = probe(&app, &col, kind, field, nope).await;
        assert_refused(&a, &format!("{kind} {there}"), &out);
        assert_eq!(a, b, "{kind}: {there} and {nope} answer differently");
    }
    // Nothing was created by the refused tested creates.
    let r = app
        .get(
            &format!("/api/v1/source-connections?collectionId={col}"),
            &app.admin_key,
        )
        .await;
    assert_eq!(r.body["pagination"]["totalItems"], 0, "{}", r.text);

    // Inside the root, a missing file is still reported as missing.
    let a = probe(&app, &col, "csv", "path", "sub/../missing.csv").await;
    assert_eq!(a.test.0, StatusCode::BAD_REQUEST);
    assert!(a.test.1.contains("file_not_found"), "{}", a.test.1);
    assert!(a.test.1.contains("does not exist"), "{}", a.test.1);
    app.finish().await;
}
