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

/// Every dialect's routes are in the document under its tag, and each
/// dialect's types are its own: same-named types of two dialects (an error
/// envelope, a pagination block) must not stand for one another.
#[test]
fn every_dialect_route_is_documented_with_its_own_types() {
    let doc = inlet_server::openapi::document();
    let doc = serde_json::to_value(&doc).unwrap();
    let routes = [
        (
            "rivergen-001",
            "/api/v1/data-sources",
            &["get", "post"][..],
            "Rivergen001",
        ),
        (
            "rivergen-001",
            "/api/v1/data-sources/{id}",
            &["get", "put", "patch", "delete"],
            "Rivergen001",
        ),
        (
            "rivergen-001",
            "/api/v1/data-sources/{id}/test",
            &["post"],
            "Rivergen001",
        ),
        (
            "codealive-000",
            "/api/datasources/all",
            &["get"],
            "Codealive000",
        ),
        (
            "codealive-000",
            "/api/datasources/alive",
            &["get"],
            "Codealive000",
        ),
        (
            "databrain-002",
            "/api/v2/datasource",
            &["get", "post", "put", "delete"],
            "Databrain002",
        ),
        (
            "databrain-002",
            "/api/v2/datasource/sync",
            &["post"],
            "Databrain002",
        ),
    ];
    for (tag, path, methods, prefix) in routes {
        for method in methods {
            let op = &doc["paths"][path][method];
            assert_eq!(op["tags"][0], tag, "{method} {path}");
            // Every schema an answer refers to is the dialect's own.
            for (status, resp) in op["responses"].as_object().unwrap() {
                let schema = &resp["content"]["application/json"]["schema"];
                let reference = schema["$ref"]
                    .as_str()
                    .or_else(|| schema["items"]["$ref"].as_str())
                    .unwrap_or_else(|| panic!("{method} {path} {status}: {schema}"));
                let name = reference.trim_start_matches("#/components/schemas/");
                assert!(name.starts_with(prefix), "{method} {path} {status}: {name}");
                assert!(doc["components"]["schemas"][name].is_object(), "{name}");
            }
        }
    }
    let pagination = &doc["components"]["schemas"]["Rivergen001Pagination"]["properties"];
    assert!(pagination["page_size"].is_object(), "{pagination}");
}
