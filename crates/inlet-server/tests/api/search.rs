//! Search over synced documents, on both stores: ranking on a small known
//! corpus, snippets, each form of the query language, hostile input,
//! Unicode, collection restrictions, alive connections, and what clearing
//! and deleting leave behind.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Options, TestApp};
use crate::sync::{run, wait, wait_stored};

/// The corpus: one row per line, `id,name,body`.
const CORPUS: &str = "id,name,body
1,Kestrel falcon,small bird of prey hovering over fields
2,Harbour report,the kestrel was seen near the harbour at dawn
3,Café Zoë,espresso and croissants in the morning
4,Tokyo notes,日本語のテキストを検索する
5,Pizza night,we ordered 🍕 and salad for everyone
6,Searching tips,search engines rank documents by relevance
7,Old news,the harbour closed for repairs last winter
8,<b>Markup</b> & co,escaping <script>alert(1)</script> matters
9,Falcon heavy,rockets and launch schedules
10,Null bytes,plain text about nothing in particular
";

struct Corpus {
    app: TestApp,
    collection: String,
    conn: String,
}

async fn corpus(postgres: bool) -> Corpus {
    let app = TestApp::with(Options {
        postgres,
        ..Default::default()
    })
    .await;
    let collection = app.collection(&app.admin_key, "birds").await;
    std::fs::write(app.files.join("corpus.csv"), CORPUS).unwrap();
    let conn = app
        .connection(
            &app.admin_key,
            json!({"collectionId": collection, "sourceShortName": "csv", "name": "corpus",
                   "credentials": {"path": "corpus.csv"}, "config": {"keyColumns": ["id"]}}),
        )
        .await;
    app.activate(&conn).await;
    let job = wait(&app, &run(&app, &conn).await).await;
    assert_eq!(job["status"], "completed", "{job}");
    Corpus {
        app,
        collection,
        conn,
    }
}

impl Corpus {
    async fn search(&self, query: &str) -> Value {
        let r = self.post(json!({"query": query})).await;
        assert_eq!(r.0, StatusCode::OK, "{query:?}: {}", r.1);
        r.1
    }

    async fn post(&self, body: Value) -> (StatusCode, Value) {
        let r = self
            .app
            .post(
                &format!("/api/v1/collections/{}/search", self.collection),
                &self.app.admin_key,
                body,
            )
            .await;
        (r.status, r.body)
    }

    /// Titles of the results of `query`, best first.
    async fn titles(&self, query: &str) -> Vec<String> {
        self.search(query).await["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["title"].as_str().unwrap().to_owned())
            .collect()
    }
}

#[tokio::test]
async fn search_on_the_embedded_store() {
    search_works(false).await;
}

#[tokio::test]
async fn search_on_the_postgres_store() {
    search_works(true).await;
}

async fn search_works(postgres: bool) {
    let c = corpus(postgres).await;
    assert_eq!(c.app.connection_state(&c.conn).await["alive"], true);

    // Ranking: the title match first, then the body-only one.
    let body = c.search("kestrel").await;
    assert_eq!(body["total"], 2, "{body}");
    assert_eq!(body["totalRelation"], "eq", "{body}");
    assert!(body["indexSeq"].as_u64().unwrap() >= 1, "{body}");
    assert_eq!(
        c.titles("kestrel").await,
        ["Kestrel falcon", "Harbour report"]
    );
    let first = &body["results"][0];
    assert_eq!(first["sourceConnectionId"], c.conn.as_str());
    assert_eq!(first["stream"], "corpus.csv");
    assert_eq!(first["key"], "1");
    assert!(first["documentId"].as_str().unwrap().starts_with("doc_"));
    assert!(first["syncedAt"].as_str().unwrap().ends_with('Z'));
    let (s0, s1) = (
        first["score"].as_f64().unwrap(),
        body["results"][1]["score"].as_f64().unwrap(),
    );
    assert!(s0 > s1 && s1 > 0.0, "{s0} {s1}");
    // Snippets mark the matches and escape HTML.
    assert_eq!(
        body["results"][1]["snippet"],
        "the <mark>kestrel</mark> was seen near the harbour at dawn\n2\nHarbour report"
    );
    let markup = c.search("script").await;
    let snippet = markup["results"][0]["snippet"].as_str().unwrap();
    assert!(
        snippet.contains("&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;"),
        "{snippet}"
    );
    assert!(!snippet.contains("<script>"));

    // Each form of the query language.
    assert_eq!(c.titles("kestrel dawn").await, ["Harbour report"]);
    assert_eq!(c.titles("\"kestrel was seen\"").await, ["Harbour report"]);
    assert!(c.titles("\"seen kestrel\"").await.is_empty());
    assert_eq!(c.titles("search*").await.len(), 1);
    assert_eq!(c.titles("harb*").await.len(), 2);
    let either = c.titles("croissants OR rockets").await;
    assert_eq!(either.len(), 2, "{either:?}");
    assert_eq!(c.titles("harbour -kestrel").await, ["Old news"]);
    assert_eq!(
        c.titles("falcon -\"launch schedules\"").await,
        ["Kestrel falcon"]
    );
    assert!(c.titles("nothingmatcheshere").await.is_empty());

    // Unicode: accents either way, CJK inside a run, emoji.
    assert_eq!(c.titles("cafe").await, ["Café Zoë"]);
    assert_eq!(c.titles("ZOË").await, ["Café Zoë"]);
    assert_eq!(c.titles("日本語").await, ["Tokyo notes"]);
    assert_eq!(c.titles("検索").await, ["Tokyo notes"]);
    assert_eq!(c.titles("🍕").await, ["Pizza night"]);
    let cjk = c.search("テキスト").await;
    assert!(
        cjk["results"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>テキスト</mark>"),
        "{cjk}"
    );

    // Paging.
    let page = c
        .post(json!({"query": "harbour", "limit": 1, "offset": 1}))
        .await;
    assert_eq!(page.1["total"], 2);
    assert_eq!(page.1["results"].as_array().unwrap().len(), 1);
    let past = c.post(json!({"query": "harbour", "offset": 5})).await;
    assert_eq!(past.1["total"], 2, "{}", past.1);
    assert_eq!(past.1["results"], json!([]));
    // Filters by connection and stream.
    let other = c
        .post(json!({"query": "kestrel", "sourceConnectionIds": ["sc_999999"]}))
        .await;
    assert_eq!(other.1["total"], 0);
    let mine = c
        .post(
            json!({"query": "kestrel", "sourceConnectionIds": [c.conn], "streams": ["corpus.csv"]}),
        )
        .await;
    assert_eq!(mine.1["total"], 2);
    let no_stream = c
        .post(json!({"query": "kestrel", "streams": ["nope"]}))
        .await;
    assert_eq!(no_stream.1["total"], 0);

    // The GET forms, here and across collections.
    let r = c
        .app
        .get(
            &format!(
                "/api/v1/collections/{}/search?q=kestrel&limit=1",
                c.collection
            ),
            &c.app.admin_key,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["total"], 2);
    assert_eq!(r.body["results"].as_array().unwrap().len(), 1);
    let r = c
        .app
        .get("/api/v1/search?q=kestrel", &c.app.admin_key)
        .await;
    assert_eq!(r.body["total"], 2, "{}", r.text);

    hostile_input(&c).await;
    restrictions(&c).await;
    clearing_and_deleting(c).await;
}

async fn hostile_input(c: &Corpus) {
    // Anything answers 200 or a 400 that names the problem, never 500.
    let long = "kestrel ".repeat(1_300);
    let inputs = [
        "\"unclosed phrase",
        "OR",
        "kestrel OR",
        "NEAR(",
        "NEAR(kestrel dawn, 2)",
        "*",
        "-",
        "--kestrel",
        "a\0b",
        "kestrel\0",
        "🍕🍕🍕",
        "title:kestrel",
        "kestrel AND NOT dawn",
        "{kestrel}",
        "^kestrel",
        "'; DROP TABLE documents; --",
        "\\",
        "\"\"",
        "((((",
        long.as_str(),
    ];
    for q in inputs {
        let (status, body) = c.post(json!({"query": q})).await;
        let shown: String = q.chars().take(40).collect();
        match status {
            StatusCode::OK => assert!(body["results"].is_array(), "{shown:?}: {body}"),
            StatusCode::BAD_REQUEST => {
                assert_eq!(
                    body["error"]["code"], "invalid_request",
                    "{shown:?}: {body}"
                );
                assert!(body["error"]["field"] == "query", "{shown:?}: {body}");
            }
            other => panic!("{shown:?} answered {other}: {body}"),
        }
    }
    let (status, body) = c.post(json!({"query": long})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("longer than")
    );
    // Stray operators are words or nothing, never syntax.
    assert_eq!(c.titles("NEAR(kestrel").await, Vec::<String>::new());
    assert_eq!(c.titles("kestrel OR").await.len(), 2);
    assert_eq!(c.titles("\"kestrel was").await, ["Harbour report"]);

    // Bad parameters name their field.
    for (body, field) in [
        (json!({"query": "x", "limit": 0}), "limit"),
        (json!({"query": "x", "limit": 201}), "limit"),
        (json!({"query": "x", "offset": -1}), "offset"),
        (json!({"query": "x", "offset": 10_001}), "offset"),
        (json!({"query": "x", "streams": vec!["s"; 101]}), "streams"),
        (json!({"query": "x", "streams": "s"}), "streams"),
        (
            json!({"query": "x", "sourceConnectionIds": vec!["sc_1"; 101]}),
            "sourceConnectionIds",
        ),
        (json!({"query": "x", "limit": "ten"}), "limit"),
        (json!({"query": 5}), "query"),
        (
            json!({"query": "x", "sourceConnectionIds": ["nope"]}),
            "sourceConnectionIds",
        ),
        (json!({"query": "x", "colour": "red"}), "colour"),
        (json!({"limit": 5}), "query"),
        (json!({"query": "k*"}), "query"),
        (json!({"query": "x", "after": -1}), "after"),
        (json!({"query": "x", "after": "soon"}), "after"),
    ] {
        let (status, r) = c.post(body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {r}");
        assert!(
            r["error"]["message"].as_str().unwrap().contains(field),
            "{body}: {r}"
        );
    }
    let r = c.app.get("/api/v1/search?q=", &c.app.admin_key).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.message().starts_with("q:"), "{}", r.text);
    // A change this node has not applied: waited for, then 503 with a hint.
    let r = c
        .app
        .get("/api/v1/search?q=kestrel&after=999999999", &c.app.admin_key)
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "index_behind", "{}", r.text);
    assert_eq!(r.headers["retry-after"], "1");
    let r = c
        .app
        .get("/api/v1/search?q=x&limit=many", &c.app.admin_key)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let r = c
        .app
        .get(
            "/api/v1/collections/col_999999/search?q=x",
            &c.app.admin_key,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}

async fn restrictions(c: &Corpus) {
    let app = &c.app;
    // A key restricted to another collection finds nothing of this one.
    let elsewhere = app.collection(&app.admin_key, "elsewhere").await;
    let key = app
        .key(&json!({"name": "r", "scopes": ["read"], "collectionIds": [elsewhere]}))
        .await;
    let r = app.get("/api/v1/search?q=kestrel", &key).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["total"], 0, "{}", r.text);
    let r = app
        .get(
            &format!("/api/v1/collections/{}/search?q=kestrel", c.collection),
            &key,
        )
        .await;
    assert!(
        [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&r.status),
        "{}",
        r.text
    );
    // A key restricted to this collection finds it.
    let key = app
        .key(&json!({"name": "r2", "scopes": ["read"], "collectionIds": [c.collection]}))
        .await;
    let r = app.get("/api/v1/search?q=kestrel", &key).await;
    assert_eq!(r.body["total"], 2, "{}", r.text);
    // Another organization sees nothing, and not this collection.
    let (_, other) = app.org_with_key("other-org", &["read"]).await;
    let r = app.get("/api/v1/search?q=kestrel", &other).await;
    assert_eq!(r.body["total"], 0, "{}", r.text);
    let r = app
        .get(
            &format!("/api/v1/collections/{}/search?q=kestrel", c.collection),
            &other,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);

    // Not alive (switched off): not searched, and the list filter agrees.
    let conn = &c.conn;
    let r = app
        .patch(
            &format!("/api/v1/source-connections/{conn}"),
            &app.admin_key,
            json!({"status": "maintenance"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["sourceConnection"]["alive"], false);
    assert_eq!(c.search("kestrel").await["total"], 0);
    let alive = app
        .get("/api/v1/source-connections?alive=true", &app.admin_key)
        .await;
    assert_eq!(alive.body["pagination"]["totalItems"], 0, "{}", alive.text);
    let dead = app
        .get("/api/v1/source-connections?alive=false", &app.admin_key)
        .await;
    assert_eq!(dead.body["pagination"]["totalItems"], 1, "{}", dead.text);
    let bad = app
        .get("/api/v1/source-connections?alive=maybe", &app.admin_key)
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.message().contains("alive"));
    // Switched on again (a passing test makes it active): alive again.
    app.patch(
        &format!("/api/v1/source-connections/{conn}"),
        &app.admin_key,
        json!({"status": "pending"}),
    )
    .await;
    app.post(
        &format!("/api/v1/source-connections/{conn}/test"),
        &app.admin_key,
        json!({}),
    )
    .await;
    let alive = app
        .get("/api/v1/source-connections?alive=true", &app.admin_key)
        .await;
    assert_eq!(alive.body["pagination"]["totalItems"], 1, "{}", alive.text);
    assert_eq!(c.search("kestrel").await["total"], 2);
}

async fn clearing_and_deleting(c: Corpus) {
    let app = &c.app;
    // A re-sync after a change: the new text is found, the old is not.
    std::fs::write(
        app.files.join("corpus.csv"),
        CORPUS.replace("small bird of prey", "tiny raptor"),
    )
    .unwrap();
    let job = wait(app, &run(app, &c.conn).await).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(c.titles("raptor").await, ["Kestrel falcon"]);
    assert!(c.titles("prey").await.is_empty());

    let r = app
        .delete(
            &format!("/api/v1/source-connections/{}/data", c.conn),
            &app.admin_key,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Read your writes: a search after the clear's position waits for it.
    let seq = r.body["indexSeq"]
        .as_u64()
        .expect("a clear answers its indexSeq");
    let (status, body) = c.post(json!({"query": "kestrel", "after": seq})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 0, "{body}");
    assert!(body["indexSeq"].as_u64().unwrap() >= seq, "{body}");
    let job = wait(app, &run(app, &c.conn).await).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(c.search("kestrel").await["total"], 2);
    let r = app
        .delete(
            &format!("/api/v1/source-connections/{}", c.conn),
            &app.admin_key,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.index_caught_up().await;
    assert_eq!(c.search("kestrel").await["total"], 0);
    let r = app.get("/api/v1/search?q=harbour", &app.admin_key).await;
    assert_eq!(r.body["total"], 0, "{}", r.text);
    c.app.finish().await;
}

/// The index directory removed under a running node: the follower notices,
/// rebuilds it from the store, and searches find the same documents again.
#[tokio::test]
async fn an_index_directory_removed_while_running_is_rebuilt() {
    let c = corpus(false).await;
    assert_eq!(c.search("kestrel").await["total"], 2);
    let dir = c.app._index_dir.path().to_path_buf();
    let node = std::fs::read_to_string(dir.join("node-id")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let mut rebuilt = false;
    for _ in 0..300 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let ready = c
            .app
            .call(reqwest::Method::GET, "/readyz", None, None)
            .await;
        if dir.join("meta.json").exists() && ready.status == StatusCode::OK {
            rebuilt = true;
            break;
        }
    }
    assert!(rebuilt, "rebuilt and ready again");
    // The node keeps its name in the store across the rebuild.
    assert_eq!(std::fs::read_to_string(dir.join("node-id")).unwrap(), node);
    assert_eq!(
        c.titles("kestrel").await,
        ["Kestrel falcon", "Harbour report"]
    );
    c.app.finish().await;
}

/// Mounts a tmpfs of `size` at `dir` (the tests run as root, as CI does).
fn mount_tmpfs(dir: &std::path::Path, size: &str, remount: bool) {
    let options = if remount {
        format!("remount,size={size}")
    } else {
        format!("size={size}")
    };
    let status = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &options, "tmpfs"])
        .arg(dir)
        .status()
        .expect("mount");
    assert!(status.success(), "mount -o {options} {}", dir.display());
}

/// A disk too full for the index to commit: the sync still commits to the
/// store, `/readyz` says the index is failing, and once there is room the
/// follower's retry applies everything, nothing lost.
#[tokio::test]
async fn a_full_index_disk_fails_readiness_and_loses_nothing() {
    let mnt = tempfile::tempdir().unwrap();
    mount_tmpfs(mnt.path(), "256k", false);
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            // Lazily: the stopping follower may still hold its files.
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(&self.0)
                .status();
        }
    }
    let _unmount = Unmount(mnt.path().to_path_buf());
    let index_dir = mnt.path().join("index");
    let app = TestApp::with(Options {
        index_dir: Some(index_dir.clone()),
        ..Default::default()
    })
    .await;
    let collection = app.collection(&app.admin_key, "big").await;
    let mut csv = String::from("id,name,body\n");
    for i in 0..5_000 {
        csv.push_str(&format!(
            "{i},row {i},words of row {i} to fill the index beyond the room it has\n"
        ));
    }
    std::fs::write(app.files.join("big.csv"), csv).unwrap();
    let conn = app
        .connection(
            &app.admin_key,
            json!({"collectionId": collection, "sourceShortName": "csv", "name": "big",
                   "credentials": {"path": "big.csv"}, "config": {"keyColumns": ["id"]}}),
        )
        .await;
    app.activate(&conn).await;
    // The store takes the sync whole; the index cannot commit it.
    let job = wait_stored(&app, &run(&app, &conn).await).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["counts"]["inserted"], 5_000, "{job}");
    let seq = job["indexSeq"].as_u64().unwrap();
    let mut failing = None;
    for _ in 0..300 {
        let r = app.call(reqwest::Method::GET, "/readyz", None, None).await;
        if r.status == StatusCode::SERVICE_UNAVAILABLE
            && r.body["reason"].as_str().unwrap_or("").contains("failing")
        {
            failing = Some(r.body["reason"].as_str().unwrap().to_owned());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(failing.is_some(), "readyz reports the failing index");

    // Room again: the retry applies every change.
    mount_tmpfs(mnt.path(), "64m", true);
    let mut found = Value::Null;
    for _ in 0..60 {
        let r = app
            .get(
                &format!("/api/v1/search?q=%22row+4321%22&after={seq}"),
                &app.admin_key,
            )
            .await;
        if r.status == StatusCode::OK {
            found = r.body;
            break;
        }
    }
    assert_eq!(found["total"], 1, "{found}");
    let all = app
        .get(
            &format!("/api/v1/search?q=fill&after={seq}"),
            &app.admin_key,
        )
        .await;
    assert_eq!(all.body["total"], 5_000, "{}", all.text);
    let ready = app.call(reqwest::Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    app.finish().await;
}
