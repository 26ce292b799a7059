//! The new-connection form, generated from the catalog: one input per auth
//! and config field of the chosen source type, typed as the catalog says;
//! secret fields are password inputs and are never filled back.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use inlet_core::ids::CollectionId;
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};
use inlet_core::service::ConnectionInput;
use maud::{Markup, html};
use serde_json::Map;

use super::admin::collections_of;
use super::layout::{Section, page};
use super::session::{Session, SessionForm, failure};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Form values by input name (`name`, `auth.host`, `config.schedule`, …).
type Values = BTreeMap<String, String>;

/// `GET /connections/new` (`?type=` picks the source type).
pub async fn form(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    match q.get("type").filter(|t| !t.is_empty()) {
        None => pick_type(&state, &session),
        Some(t) => render(&state, &session, t, &Values::new(), None).await,
    }
}

/// `POST /connections/new`: creates it (tested first when asked), then its
/// page; on a refusal, the form again with the reason and the non-secret
/// values kept.
pub async fn create(
    State(state): State<AppState>,
    SessionForm { session, values }: SessionForm,
) -> Response {
    let source_type = values.get("type").cloned().unwrap_or_default();
    let Some(spec) = state.services.catalog().get(&source_type).map(|c| c.spec()) else {
        return failure(inlet_core::CoreError::invalid(
            "sourceShortName",
            "choose a source type",
        ));
    };
    let input = match input(spec, &values) {
        Ok(i) => i,
        Err(e) => {
            return render(&state, &session, &source_type, &values, Some(e.problem())).await;
        }
    };
    let test_first = values.get("test").is_some_and(|v| v == "on");
    match state
        .services
        .create_connection(&session.who, input, test_first)
        .await
    {
        Ok(conn) => Redirect::to(&format!("/connections/{}", conn.id)).into_response(),
        Err(e) => {
            let refused = ApiError::from(e).problem();
            render(&state, &session, &source_type, &values, Some(refused)).await
        }
    }
}

/// The form's values as a create request, typed by the catalog.
fn input(spec: &SourceType, values: &Values) -> Result<ConnectionInput, ApiError> {
    let collection = values.get("collection").map_or("", String::as_str);
    let collection_id = CollectionId::parse(collection).ok_or_else(|| {
        ApiError::from(inlet_core::CoreError::invalid(
            "collectionId",
            "choose a collection",
        ))
    })?;
    Ok(ConnectionInput {
        collection_id,
        source_type: spec.short_name.to_owned(),
        name: values.get("name").cloned().unwrap_or_default(),
        description: values.get("description").cloned().filter(|d| !d.is_empty()),
        credentials: typed(&spec.auth_fields, values, "auth", "credentials")?,
        config: typed(&spec.config_fields, values, "config", "config")?,
        tags: Vec::new(),
    })
}

/// The non-empty inputs `<prefix>.<field>` as JSON of each field's type.
fn typed(
    fields: &[FieldSpec],
    values: &Values,
    prefix: &str,
    wire: &str,
) -> Result<Map<String, serde_json::Value>, ApiError> {
    let mut out = Map::new();
    for f in fields {
        let Some(text) = values
            .get(&format!("{prefix}.{}", f.name))
            .filter(|t| !t.is_empty())
        else {
            continue;
        };
        let v = f.kind.parse_text(text).map_err(|what| {
            ApiError::from(inlet_core::CoreError::invalid(
                format!("{wire}.{}", f.name),
                format!("must be {what}"),
            ))
        })?;
        out.insert(f.name.to_owned(), v);
    }
    Ok(out)
}

fn pick_type(state: &AppState, session: &Session) -> Response {
    let body = html! {
        p { a href="/connections" { "← Connections" } }
        h1 { "New connection" }
        p { "What does it connect to?" }
        ul.cards.plain {
            @for t in state.services.catalog().specs() {
                li.card {
                    a href={"/connections/new?type=" (t.short_name)} { strong { (t.name) } }
                    p.hint { (t.description) }
                }
            }
        }
    };
    page("New connection", Section::Connections, session, body).into_response()
}

async fn render(
    state: &AppState,
    session: &Session,
    source_type: &str,
    values: &Values,
    refused: Option<Problem>,
) -> Response {
    let status = refused.as_ref().map_or(StatusCode::OK, |p| p.status);
    // The input the refusal names is marked invalid and described by it.
    let invalid = refused
        .as_ref()
        .and_then(|p| p.field.as_deref())
        .and_then(input_id);
    let invalid = invalid.as_deref();
    let Some(spec) = state.services.catalog().get(source_type).map(|c| c.spec()) else {
        return failure(inlet_core::CoreError::NotFound("source type"));
    };
    let collections = match collections_of(state, &session.who).await {
        Ok(c) => c,
        Err(e) => return failure(e),
    };
    let value = |k: &str| values.get(k).cloned().unwrap_or_default();
    let body = html! {
        p { a href="/connections/new" { "← Source types" } }
        h1 { "New " (spec.name) " connection" }
        @if let Some(p) = &refused { p.error #form-error role="alert" { (p.message) } }
        @if collections.is_empty() {
            div.empty { p { "Create a collection first: connections live in one." } }
        } @else {
            form.stack.form method="post" action="/connections/new" {
                input type="hidden" name="csrf" value=(session.csrf());
                input type="hidden" name="type" value=(spec.short_name);
                div {
                    label for="name" { "Name" }
                    input #name type="text" name="name" required value=(value("name"))
                        aria-invalid=[invalid_attr(invalid, "name")] aria-describedby=[error_ref(invalid, "name")];
                }
                div {
                    label for="collection" { "Collection" }
                    select #collection name="collection" required
                        aria-invalid=[invalid_attr(invalid, "collection")] aria-describedby=[error_ref(invalid, "collection")] {
                        @for c in &collections {
                            option value=(c.id) selected[value("collection") == c.id.to_string()] { (c.name.as_str()) }
                        }
                    }
                }
                div {
                    label for="description" { "Description " span.hint { "(optional)" } }
                    input #description type="text" name="description" value=(value("description"));
                }
                fieldset {
                    legend { "Credentials" }
                    @for f in &spec.auth_fields { (field(f, "auth", values, invalid)) }
                }
                @if !spec.config_fields.is_empty() {
                    fieldset {
                        legend { "Configuration" }
                        @for f in &spec.config_fields { (field(f, "config", values, invalid)) }
                    }
                }
                div.check {
                    input #test type="checkbox" name="test" checked[values.is_empty() || value("test") == "on"];
                    label for="test" { "Test it first (nothing is created if the test fails)" }
                }
                button type="submit" { "Create connection" }
            }
        }
    };
    (
        status,
        page("New connection", Section::Connections, session, body),
    )
        .into_response()
}

/// One labelled input for a catalog field. Secret ones are password inputs
/// and never carry a value back.
fn field(f: &FieldSpec, prefix: &str, values: &Values, invalid: Option<&str>) -> Markup {
    let name = format!("{prefix}.{}", f.name);
    let id = format!("{prefix}-{}", f.name);
    // The hint, and the form's error when it names this field.
    let hint_id = match error_ref(invalid, &id) {
        Some(error) => format!("{id}-hint {error}"),
        None => format!("{id}-hint"),
    };
    let bad = invalid_attr(invalid, &id);
    let kept = if f.secret {
        String::new()
    } else {
        values.get(&name).cloned().unwrap_or_default()
    };
    let options: Vec<&str> = if f.kind == FieldType::Boolean {
        vec!["true", "false"]
    } else {
        f.options.to_vec()
    };
    html! {
        div {
            label for=(id) {
                (f.name)
                @if !f.required { " " span.hint { "(optional)" } }
            }
            @if !options.is_empty() {
                select id=(id) name=(name) required[f.required] aria-describedby=(hint_id) aria-invalid=[bad] {
                    @if !f.required { option value="" { "—" } }
                    @for o in &options { option value=(o) selected[kept == *o] { (o) } }
                }
            } @else if f.secret {
                input id=(id) type="password" name=(name) required[f.required] autocomplete="new-password"
                    aria-describedby=(hint_id) aria-invalid=[bad];
            } @else {
                input id=(id) type=(input_type(f.kind)) name=(name) required[f.required] value=(kept)
                    aria-describedby=(hint_id) aria-invalid=[bad];
            }
            @if !f.description.is_empty() { p.hint id={(id) "-hint"} { (f.description) } }
            @else if f.kind == FieldType::Array { p.hint id={(id) "-hint"} { "Comma-separated." } }
        }
    }
}

/// The form input a refusal's field names: `credentials.port` is
/// `auth-port`, `config.schema` is `config-schema`.
fn input_id(field: &str) -> Option<String> {
    match field {
        "name" => Some("name".into()),
        "collectionId" => Some("collection".into()),
        f => f
            .strip_prefix("credentials.")
            .map(|n| format!("auth-{n}"))
            .or_else(|| f.strip_prefix("config.").map(|n| format!("config-{n}"))),
    }
}

/// `aria-invalid` for the input `id` when the refusal names it.
fn invalid_attr(invalid: Option<&str>, id: &str) -> Option<&'static str> {
    (invalid == Some(id)).then_some("true")
}

/// The id of the form's error, for the input the refusal names.
fn error_ref(invalid: Option<&str>, id: &str) -> Option<&'static str> {
    (invalid == Some(id)).then_some("form-error")
}

fn input_type(kind: FieldType) -> &'static str {
    match kind {
        FieldType::Number | FieldType::Integer => "number",
        FieldType::Password => "password",
        FieldType::String | FieldType::Boolean | FieldType::Array => "text",
    }
}
