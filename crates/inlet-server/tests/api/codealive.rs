//! Document 000 (`/api/datasources/all`, `/alive`): repositories and
//! workspaces as bare arrays, the `type` filter, alive-ness, errors in
//! 000's envelope, and the document's own Python example run against Inlet.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Options, Resp, TestApp};
use crate::sync::{run, wait};

fn assert_000_error(r: &Resp, status: StatusCode, code: &str) {
    r.assert_coded_error(status, code);
    assert_eq!(r.body.as_object().unwrap().len(), 1, "{}", r.text);
}

/// A local git repository under the test's file root.
fn git_repo(app: &TestApp, name: &str) {
    let repo = app.files.join(name);
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(repo.join("README.md"), format!("# {name}\n")).unwrap();
    crate::harness::git_commit_all(&repo);
}

fn ids(r: &Resp) -> Vec<(String, String)> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["type"].as_str().unwrap().to_owned(),
                d["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn repositories_workspaces_and_alive() {
    let app = TestApp::with(Options {
        allow_local_git: true,
        ..Default::default()
    })
    .await;
    let k = &app.admin_key;
    let dev = app.collection(k, "Development Workspace").await;
    let r = app
        .patch(
            &format!("/api/v1/collections/{dev}"),
            k,
            json!({"description": "All development repositories"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let empty = app.collection(k, "Empty").await;
    git_repo(&app, "api");
    git_repo(&app, "web");
    let create = |name: &'static str, url: &'static str| {
        app.connection(
            k,
            json!({"collectionId": dev, "sourceShortName": "git", "name": name,
                   "credentials": {"url": url, "branch": "main"}}),
        )
    };
    let api = create("MyApiProject", "api").await;
    let web = create("MyWebProject", "web").await;
    // Not a repository: never listed by 000.
    app.pg_connection(k, &empty, "warehouse", "pw-000").await;

    // All: repositories first, then workspaces, with the documented fields.
    let r = app.get("/api/datasources/all", k).await;
    assert_eq!(
        ids(&r),
        [
            ("Repository".into(), "MyApiProject".into()),
            ("Repository".into(), "MyWebProject".into()),
            ("Workspace".into(), "Development Workspace".into()),
            ("Workspace".into(), "Empty".into()),
        ]
    );
    let list = r.body.as_array().unwrap();
    assert_eq!(
        list[0],
        json!({"id": api, "name": "MyApiProject", "type": "Repository", "url": "api", "branch": "main"})
    );
    assert_eq!(
        list[2],
        json!({"id": dev, "name": "Development Workspace", "type": "Workspace",
               "description": "All development repositories", "repositoryIds": [api, web]})
    );
    assert_eq!(list[3]["repositoryIds"], json!([]));
    let r = app.get("/api/datasources/all?type=Repository", k).await;
    assert_eq!(ids(&r).len(), 2);
    let r = app.get("/api/datasources/all?type=Workspace", k).await;
    assert_eq!(ids(&r).len(), 2);

    // Alive: nothing until a repository is active and synced.
    let r = app.get("/api/datasources/alive", k).await;
    assert_eq!(r.body, json!([]), "{}", r.text);
    app.activate(&api).await;
    let job = wait(&app, &run(&app, &api).await).await;
    assert_eq!(job["status"], "completed", "{job}");
    let r = app.get("/api/datasources/alive", k).await;
    assert_eq!(
        ids(&r),
        [
            ("Repository".into(), "MyApiProject".into()),
            ("Workspace".into(), "Development Workspace".into()),
        ]
    );
    assert_eq!(r.body[1]["repositoryIds"], json!([api]));
    // Switched off: no longer alive (a change through the core API).
    app.patch(
        &format!("/api/v1/source-connections/{api}"),
        k,
        json!({"status": "inactive"}),
    )
    .await;
    let r = app.get("/api/datasources/alive?type=Workspace", k).await;
    assert_eq!(r.body, json!([]), "{}", r.text);

    // A key restricted to the empty collection sees only it.
    let restricted = app
        .key(&json!({"name": "r", "scopes": ["read"], "collectionIds": [empty]}))
        .await;
    let r = app.get("/api/datasources/all", &restricted).await;
    assert_eq!(ids(&r), [("Workspace".into(), "Empty".into())]);
    app.finish().await;
}

#[tokio::test]
async fn errors_in_000s_envelope() {
    let app = TestApp::with(Options {
        rate_limit: 3,
        ..Default::default()
    })
    .await;
    let k = &app.admin_key;
    let r = app
        .call(Method::GET, "/api/datasources/all", None, None)
        .await;
    assert_000_error(&r, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    let r = app.get("/api/datasources/alive", "inl_wrong").await;
    assert_000_error(&r, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    let r = app.get("/api/datasources/all?type=Folder", k).await;
    assert_000_error(&r, StatusCode::BAD_REQUEST, "INVALID_REQUEST");
    assert!(r.text.contains("Repository, Workspace"), "{}", r.text);
    let r = app.get("/api/datasources/all?colour=red", k).await;
    assert_000_error(&r, StatusCode::BAD_REQUEST, "INVALID_REQUEST");
    assert!(r.text.contains("colour"), "{}", r.text);
    let r = app.get("/api/datasources/nothing", k).await;
    assert_000_error(&r, StatusCode::NOT_FOUND, "NOT_FOUND");
    let mut r = app.get("/api/datasources/all", k).await;
    for _ in 0..4 {
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
        r = app.get("/api/datasources/all", k).await;
    }
    assert_000_error(&r, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED");
    assert!(r.headers.contains_key("retry-after"));
    app.finish().await;
}

/// Runs a Python script (with `requests`) and returns what it printed
/// (on a blocking thread: the server answering it runs on the test's).
async fn python(script: &str) -> String {
    let script = script.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args(["-c", &script])
            .output()
            .expect("python3 runs")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The document's examples, as written (the loop bodies indented, which
/// the published text lost), with the URL pointed at Inlet.
#[tokio::test]
async fn the_documents_python_example_runs() {
    let app = TestApp::spawn().await;
    let k = &app.admin_key;
    let col = app.collection(k, "Code").await;
    let id = app
        .connection(
            k,
            json!({"collectionId": col, "sourceShortName": "git", "name": "MyApiProject",
                   "credentials": {"url": "https://github.com/myorg/my-backend-api", "branch": "main"}}),
        )
        .await;
    let script = format!(
        r#"import requests
url = "{base}/api/datasources/all"
headers = {{
"Authorization": "Bearer {key}"
}}
params = {{
"type": "Repository"
}}
response = requests.get(url, headers=headers, params=params)
datasources = response.json()
for datasource in datasources:
    print(f"{{datasource['name']}} ({{datasource['type']}}): {{datasource['id']}}")
"#,
        base = app.base,
        key = k
    );
    assert_eq!(
        python(&script).await,
        format!("MyApiProject (Repository): {id}\n")
    );

    // The second: workspaces only.
    let script = format!(
        r#"import requests
# Get only workspaces
url = "{base}/api/datasources/all"
headers = {{"Authorization": "Bearer {key}"}}
params = {{"type": "Workspace"}}
response = requests.get(url, headers=headers, params=params)
workspaces = response.json()
for workspace in workspaces:
    print(f"Workspace: {{workspace['name']}}")
    if workspace.get('repositoryIds'):
        print(f" Contains {{len(workspace['repositoryIds'])}} repositories")
"#,
        base = app.base,
        key = k
    );
    assert_eq!(
        python(&script).await,
        "Workspace: Code\n Contains 1 repositories\n"
    );
    app.finish().await;
}
