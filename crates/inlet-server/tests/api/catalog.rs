use reqwest::StatusCode;

use crate::harness::TestApp;

#[tokio::test]
async fn lists_every_source_type_in_003_shape() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/sources", &app.admin_key).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["success"], true);
    let sources = r.body["sources"].as_array().unwrap();
    let names: Vec<&str> = sources
        .iter()
        .map(|s| s["shortName"].as_str().unwrap())
        .collect();
    for want in ["postgresql", "mysql", "sqlite", "csv", "git", "folder"] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let pg = sources
        .iter()
        .find(|s| s["shortName"] == "postgresql")
        .unwrap();
    for field in [
        "id",
        "name",
        "shortName",
        "description",
        "authMethods",
        "labels",
        "supportsContinuous",
    ] {
        assert!(!pg[field].is_null(), "{field}");
    }
    assert_eq!(pg["authMethods"][0], "credentials");
    app.finish().await;
}

#[tokio::test]
async fn postgresql_detail_has_the_documented_auth_fields() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/sources/postgresql", &app.admin_key).await;
    assert_eq!(r.status, StatusCode::OK);
    let fields = r.body["source"]["authFields"].as_array().unwrap();
    for (name, kind) in [
        ("host", "string"),
        ("port", "number"),
        ("database", "string"),
        ("username", "string"),
        ("password", "password"),
    ] {
        let f = fields.iter().find(|f| f["name"] == name).unwrap();
        assert_eq!(f["type"], kind, "{name}");
        assert_eq!(f["required"], true, "{name}");
    }
    let sslmode = fields.iter().find(|f| f["name"] == "sslmode").unwrap();
    assert_eq!(sslmode["required"], false);
    let password = fields.iter().find(|f| f["name"] == "password").unwrap();
    assert_eq!(password["secret"], true);
    assert!(r.body["source"]["configFields"].is_array());

    app.get("/api/v1/sources/oracle", &app.admin_key)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.finish().await;
}
