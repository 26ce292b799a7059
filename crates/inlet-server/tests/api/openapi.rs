//! `docs/openapi.json` is generated from the code; this test fails when it drifts.
//! Regenerate with `cargo run -- openapi > docs/openapi.json`.

#[test]
fn committed_document_matches_the_code() {
    let generated = inlet_server::openapi::document_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    if std::env::var_os("INLET_UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is stale: run `INLET_UPDATE_OPENAPI=1 cargo test -p inlet-server --test api openapi` and commit it"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/sources",
        "/api/v1/sources/{shortName}",
        "/api/v1/collections/{id}",
        "/api/v1/source-connections",
        "/api/v1/source-connections/{id}/credentials",
        "/api/v1/api-keys",
        "/api/v1/organizations",
        "/api/v1/users/{id}/memberships",
        "/healthz",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
}
