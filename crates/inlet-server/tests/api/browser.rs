//! The web console in a real browser: Debian's Chromium, headless, driven
//! through chromedriver (WebDriver) against the real server and a real
//! PostgreSQL source. Screenshots of the main pages land in
//! `target/console-screenshots/` for review.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::harness::TestApp;
use crate::sync::SourceDb;

/// At most two browsers at a time (each case starts its own): more, on a
/// busy machine, would make the waits below flaky.
static BROWSERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// chromedriver on a free loopback port, killed when dropped; it holds one
/// of the [`BROWSERS`] permits.
struct Driver {
    child: Child,
    url: String,
    _permit: tokio::sync::SemaphorePermit<'static>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn driver() -> Driver {
    let permit = BROWSERS.acquire().await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (Debian's chromium-driver) is installed; .ci/run installs it");
    // Owned by the guard from here on, so every path kills and reaps it.
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _permit: permit,
    };
    for _ in 0..100 {
        if reqwest::get(format!("{}/status", driver.url)).await.is_ok() {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer on {}", driver.url);
}

async fn browser(driver: &Driver) -> Client {
    // Two crypto providers are linked in (ring and aws-lc, through other
    // crates); WebDriver here is plain http, but the client needs one named.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--no-first-run", "--no-default-browser-check"]
        }),
    );
    ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a headless Chromium session")
}

/// Polls `check` for up to `secs` seconds.
async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..secs * 10 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within {secs} s");
}

/// The text of `css`, once the page has it: a click that submits a form
/// may still be navigating, so a missing or stale element is looked up
/// again for up to 10 s.
async fn text_of(c: &Client, css: &str) -> String {
    let mut last = None;
    for _ in 0..100 {
        match c.find(Locator::Css(css)).await {
            Ok(e) => match e.text().await {
                Ok(t) => return t,
                Err(err) => last = Some(err.to_string()),
            },
            Err(err) => last = Some(err.to_string()),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {css}: {last:?}");
}

/// Waits (10 s at most) until `css` says `want`: after a click the old page
/// may still be showing.
async fn see(c: &Client, css: &str, want: &str) {
    let mut seen = String::new();
    for _ in 0..100 {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && let Ok(t) = e.text().await
        {
            if t == want {
                return;
            }
            seen = t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} says {seen:?}, not {want:?}");
}

/// Types `value` into `css` (looked up again while the page navigates).
async fn fill(c: &Client, css: &str, value: &str) {
    for _ in 0..100 {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && e.clear().await.is_ok()
            && e.send_keys(value).await.is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cannot type into {css}");
}

/// Clicks `css` (looked up again while the page navigates).
async fn click(c: &Client, css: &str) {
    for _ in 0..100 {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && e.click().await.is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cannot click {css}");
}

async fn shot(c: &Client, name: &str) {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("{name}.png")),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
}

/// The console's audit page, as HTML.
async fn audit_log(c: &Client, base: &str) -> String {
    c.goto(&format!("{base}/audit")).await.unwrap();
    c.source().await.unwrap()
}

/// A source database of 500 support tickets, each "had a late delivery".
async fn tickets() -> SourceDb {
    SourceDb::create(
        "CREATE TABLE tickets (id int PRIMARY KEY, body text);
         INSERT INTO tickets SELECT g, 'parcel ' || g || ' had a late delivery' FROM generate_series(1, 500) g;",
    )
    .await
}

/// The real server and a headless Chromium (through its chromedriver) on
/// it; with [`Console::signed_in`] signed in with the admin key, with
/// [`Console::lived_in`] holding a synced connection and a revoked key.
struct Console {
    app: TestApp,
    c: Client,
    base: String,
    tickets: Option<SourceDb>,
    _driver: Driver,
}

impl Console {
    /// A server and a browser that has not signed in.
    async fn start() -> Self {
        let app = TestApp::spawn().await;
        let driver = driver().await;
        let c = browser(&driver).await;
        let base = app.base.clone();
        Self {
            app,
            c,
            base,
            tickets: None,
            _driver: driver,
        }
    }

    /// Signed in through the sign-in form, on the overview.
    async fn signed_in() -> Self {
        let s = Self::start().await;
        s.c.goto(&format!("{}/sign-in", s.base)).await.unwrap();
        fill(&s.c, "#key", &s.app.admin_key).await;
        click(&s.c, "button[type=submit]").await;
        see(&s.c, "h1", "Overview").await;
        s
    }

    /// Signed in, with (made through the API) a collection `Support`, a
    /// PostgreSQL connection `tickets db` to [`tickets`] synced to the end,
    /// and a key `browser`, revoked. Returns the connection's page too.
    async fn lived_in() -> (Self, String) {
        let mut s = Self::signed_in().await;
        let db = tickets().await;
        let app = &s.app;
        let k = &app.admin_key;
        let col = app.collection(k, "Support").await;
        let conn = app
            .connection(
                k,
                json!({"collectionId": col, "sourceShortName": "postgresql", "name": "tickets db",
                       "credentials": {"host": "127.0.0.1", "port": 5432, "database": db.name,
                                       "username": "postgres", "password": "browser-secret-pw",
                                       "sslmode": "disable"}}),
            )
            .await;
        app.activate(&conn).await;
        let job = crate::sync::run(app, &conn).await;
        assert_eq!(crate::sync::wait(app, &job).await["status"], "completed");
        let r = app
            .post(
                "/api/v1/api-keys",
                k,
                json!({"name": "browser", "scopes": ["read"]}),
            )
            .await;
        assert_eq!(r.status, reqwest::StatusCode::CREATED, "{}", r.text);
        let key = r.body["apiKey"]["id"].as_str().unwrap().to_owned();
        let r = app.delete(&format!("/api/v1/api-keys/{key}"), k).await;
        assert!(r.status.is_success(), "{}", r.text);
        s.tickets = Some(db);
        (s, format!("/connections/{conn}"))
    }

    /// `path` of the server, in the browser.
    async fn goto(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    async fn finish(self) {
        self.c.close().await.unwrap();
        if let Some(db) = self.tickets {
            db.drop_db().await;
        }
        self.app.finish().await;
    }
}

/// The console is closed until signed in, and a wrong key is refused; the
/// right key signs in from the keyboard alone (the key, then Enter) to an
/// empty overview.
#[tokio::test]
async fn the_console_is_closed_until_a_key_signs_in_from_the_keyboard() {
    let s = Console::start().await;
    let c = &s.c;
    s.goto("/").await;
    assert!(c.current_url().await.unwrap().path().ends_with("/sign-in"));
    shot(c, "sign-in").await;
    fill(c, "#key", "inl_wrong").await;
    click(c, "button[type=submit]").await;
    assert!(text_of(c, ".error").await.contains("That key was refused"));
    fill(c, "#key", &s.app.admin_key).await;
    c.find(Locator::Css("#key"))
        .await
        .unwrap()
        .send_keys(&char::from(Key::Enter).to_string())
        .await
        .unwrap();
    see(c, "h1", "Overview").await;
    assert!(c.source().await.unwrap().contains("No connections yet."));
    s.finish().await;
}

/// A collection, then a PostgreSQL connection through the catalog's form:
/// active, the password never shown; tested again, then synced with the
/// live progress reaching completed; reloaded, the documents browser pages
/// through what was indexed; the audit log has each step.
#[tokio::test]
async fn a_connection_made_in_the_forms_syncs_live_and_pages_its_documents() {
    let mut s = Console::signed_in().await;
    let db = tickets().await;
    let c = &s.c;
    s.goto("/collections").await;
    fill(c, "#name", "Support").await;
    click(c, "form.form button[type=submit]").await;
    s.goto("/connections/new?type=postgresql").await;
    fill(c, "#name", "tickets db").await;
    fill(c, "#auth-host", "127.0.0.1").await;
    fill(c, "#auth-port", "5432").await;
    fill(c, "#auth-database", &db.name).await;
    fill(c, "#auth-username", "postgres").await;
    fill(c, "#auth-password", "browser-secret-pw").await;
    c.find(Locator::Css("#auth-sslmode"))
        .await
        .unwrap()
        .select_by_value("disable")
        .await
        .unwrap();
    shot(c, "new-connection").await;
    click(c, "form.form button[type=submit]").await;
    see(c, "h1 .badge", "active").await;
    assert!(!c.source().await.unwrap().contains("browser-secret-pw"));

    click(c, "form[action$='/test'] button").await;
    see(c, "h1 .badge", "active").await;
    click(c, "form[action$='/sync'] button").await;
    eventually(60, "the live progress reaching completed", || async {
        let live = c.find(Locator::Css("[data-field=status]")).await;
        match live {
            Ok(e) => e.text().await.unwrap_or_default() == "completed",
            Err(_) => c
                .source()
                .await
                .unwrap_or_default()
                .contains("badge completed"),
        }
    })
    .await;
    shot(c, "connection").await;
    c.refresh().await.unwrap();
    let pages = "nav[aria-label='Document pages']";
    assert!(
        text_of(c, &format!("{pages} span"))
            .await
            .ends_with("500 documents")
    );
    click(c, &format!("{pages} a[rel=next]")).await;
    assert!(
        text_of(c, &format!("{pages} span"))
            .await
            .starts_with("Page 2 of 25")
    );

    let log = audit_log(c, &s.base).await;
    for action in ["collection.created", "connection.created", "job.started"] {
        assert!(log.contains(action), "{action}");
    }
    s.tickets = Some(db);
    s.finish().await;
}

/// Search shows a snippet with the matching word marked.
#[tokio::test]
async fn search_marks_the_matching_words() {
    let (s, _) = Console::lived_in().await;
    s.goto("/search?q=late+delivery").await;
    assert_eq!(text_of(&s.c, ".snippet mark").await, "late");
    shot(&s.c, "search").await;
    s.finish().await;
}

/// A new key's secret is shown once (not on the next visit); revoked from
/// its button, it is refused by the API, and the audit log says so.
#[tokio::test]
async fn a_new_key_is_shown_once_then_revoked() {
    let s = Console::signed_in().await;
    let c = &s.c;
    s.goto("/keys").await;
    fill(c, "#key-name", "browser").await;
    click(c, "form.form button[type=submit]").await;
    // The page after the click may still be loading: look for the key.
    let mut secret = String::new();
    for _ in 0..100 {
        if let Ok(e) = c.find(Locator::Css("#new-key")).await {
            secret = e.prop("value").await.ok().flatten().unwrap_or_default();
            if secret.starts_with("inl_") {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(secret.starts_with("inl_"), "no new key shown");
    shot(c, "keys").await;
    s.goto("/keys").await;
    assert!(!c.source().await.unwrap().contains(&secret));
    click(c, "button[aria-label='Revoke browser']").await;
    see(c, "td .badge.failed", "revoked").await;
    assert_eq!(
        s.app.get("/api/v1/collections", &secret).await.status,
        reqwest::StatusCode::UNAUTHORIZED
    );
    assert!(audit_log(c, &s.base).await.contains("api_key.revoked"));
    s.finish().await;
}

/// The audit log tells the story: the sign-in, the collection and
/// connection created, the sync started, the key revoked.
#[tokio::test]
async fn the_audit_log_tells_the_story() {
    let (s, _) = Console::lived_in().await;
    let log = audit_log(&s.c, &s.base).await;
    for action in [
        "console.sign_in",
        "collection.created",
        "connection.created",
        "job.started",
        "api_key.revoked",
    ] {
        assert!(log.contains(action), "{action}");
    }
    shot(&s.c, "audit").await;
    s.goto("/").await;
    shot(&s.c, "overview").await;
    s.finish().await;
}

/// Keyboard: the first Tab reaches "Skip to content", and Enter on it
/// moves focus past the navigation to the page's content.
#[tokio::test]
async fn the_first_tab_skips_to_the_content() {
    let s = Console::signed_in().await;
    let c = &s.c;
    s.goto("/").await;
    let tab = KeyActions::new("keyboard".into())
        .then(KeyAction::Down {
            value: Key::Tab.into(),
        })
        .then(KeyAction::Up {
            value: Key::Tab.into(),
        });
    c.perform_actions(tab).await.unwrap();
    let focused = c.active_element().await.unwrap();
    assert_eq!(focused.text().await.unwrap(), "Skip to content");
    focused
        .send_keys(&char::from(Key::Enter).to_string())
        .await
        .unwrap();
    eventually(5, "focus on the content", || async {
        c.execute("return document.activeElement.id", vec![])
            .await
            .is_ok_and(|id| id == "main")
    })
    .await;
    s.finish().await;
}

/// In a narrow window (a phone's 390 px), no page scrolls sideways: the
/// overview, a synced connection, the audit log, the keys.
#[tokio::test]
async fn no_page_scrolls_sideways_in_a_phone_sized_window() {
    let (s, connection_page) = Console::lived_in().await;
    let c = &s.c;
    c.set_window_size(390, 844).await.unwrap();
    for (path, name) in [
        ("/", "overview-narrow"),
        (connection_page.as_str(), "connection-narrow"),
        ("/audit", "audit-narrow"),
        ("/keys", "keys-narrow"),
    ] {
        s.goto(path).await;
        let overflow = c
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            overflow.as_i64().unwrap() <= 0,
            "{path} scrolls sideways by {overflow} px at 390 px"
        );
        shot(c, name).await;
    }
    s.finish().await;
}

/// A forged form (no CSRF token) is refused, and does not sign out.
#[tokio::test]
async fn a_forged_form_without_its_csrf_token_is_refused() {
    let s = Console::signed_in().await;
    let c = &s.c;
    c.execute(
        "const f = document.createElement('form'); f.method = 'post'; f.action = '/sign-out';
         document.body.appendChild(f); f.submit();",
        vec![],
    )
    .await
    .unwrap();
    eventually(10, "the forged form's answer", || async {
        c.source()
            .await
            .unwrap_or_default()
            .contains("This form is not from this session")
    })
    .await;
    s.goto("/").await;
    see(c, "h1", "Overview").await;
    s.finish().await;
}

/// Signing out (the header's button) closes the pages.
#[tokio::test]
async fn signing_out_closes_the_pages() {
    let s = Console::signed_in().await;
    let c = &s.c;
    s.goto("/").await;
    click(c, "header form button").await;
    see(c, "h1", "Sign in to Inlet").await;
    s.goto("/connections").await;
    assert!(c.current_url().await.unwrap().path().ends_with("/sign-in"));
    s.finish().await;
}

/// A session that has expired is refused: back to the sign-in page.
#[tokio::test]
async fn an_expired_session_is_refused() {
    let s = Console::start().await;
    let c = &s.c;
    {
        use inlet_core::store::ConsoleStore;
        s.app
            .store
            .create_console_session(
                &inlet_core::auth::hash_key("old-browser-session"),
                &inlet_core::auth::hash_key(&s.app.admin_key),
                // Stored already expired, it would be swept at once.
                inlet_core::model::now() + chrono::Duration::milliseconds(500),
            )
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    s.goto("/sign-in").await;
    c.execute(
        "document.cookie = 'inlet_session=old-browser-session; path=/';",
        vec![],
    )
    .await
    .unwrap();
    s.goto("/").await;
    assert!(c.current_url().await.unwrap().path().ends_with("/sign-in"));
    s.finish().await;
}

/// The API docs under their Content-Security-Policy: Swagger UI's scripts
/// run (the page is drawn from the OpenAPI document), its stylesheet
/// applies, and an operation opens.
#[tokio::test]
async fn the_api_docs_work_under_their_content_security_policy() {
    let app = TestApp::spawn().await;
    let driver = driver().await;
    let c = browser(&driver).await;
    c.goto(&format!("{}/docs/", app.base)).await.unwrap();
    // Rendered by swagger-ui-bundle.js from /openapi.json, configured by
    // swagger-initializer.js: nothing shows if the policy blocked either.
    let title = text_of(&c, ".swagger-ui .info .title").await;
    assert!(title.starts_with("Inlet"), "{title}");
    // swagger-ui.css applies (it sets the title's size).
    let size = c
        .execute(
            "return getComputedStyle(document.querySelector('.swagger-ui .info .title')).fontSize;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(size, json!("36px"));
    // The logo's own <style> element, allowed by its hash, applies.
    let fill = c
        .execute(
            "return getComputedStyle(document.querySelector('.logo_small_svg__cls-3')).fill;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fill, json!("rgb(133, 234, 45)"));
    // An operation opens (React rendering on a click).
    click(
        &c,
        "#operations-sources-list_sources .opblock-summary-control",
    )
    .await;
    text_of(&c, "#operations-sources-list_sources .opblock-body").await;
    shot(&c, "docs").await;
    c.close().await.unwrap();
    app.finish().await;
}
