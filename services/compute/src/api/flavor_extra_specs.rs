//! `/v2.1/flavors/{id}/os-extra_specs`: a flavor's extra specs.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::schema::{field_error, python_repr};
use super::{parse, AppState};
use crate::domain::extra_spec_rules;
use crate::domain::{Caller, NovaError, Result};

const KEY_PATTERN: &str = "^[a-zA-Z0-9-_:. ]{1,255}$";

fn key_ok(key: &str) -> bool {
    (1..=255).contains(&key.chars().count())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_:. ".contains(c))
}

/// Extra specs as Nova's `metadata` schema takes them (values strings or
/// numbers), then its length and (from 2.86) value checks; `field` names the
/// object in messages (`None`: at the root).
fn specs(
    object: &Map<String, Value>,
    field: Option<&str>,
    version: ApiVersion,
) -> Result<BTreeMap<String, String>> {
    let whole = Value::Object(object.clone());
    for key in object.keys() {
        if !key_ok(key) {
            let why = format!("'{key}' does not match any of the regexes: '{KEY_PATTERN}'");
            return Err(match field {
                Some(field) => field_error(field, &whole, &why),
                None => NovaError::BadRequest(why),
            });
        }
    }
    let mut out = BTreeMap::new();
    for (key, value) in object {
        let text = match value {
            Value::String(text) if text.chars().count() > 255 => {
                return Err(field_error(key, value, &format!("'{text}' is too long")))
            }
            Value::String(text) => text.clone(),
            Value::Number(n) => n.to_string(),
            other => {
                return Err(field_error(
                    key,
                    other,
                    &format!("{} is not of type 'string', 'number'", python_repr(other)),
                ))
            }
        };
        if text.chars().count() > 255 {
            return Err(NovaError::BadRequest(format!(
                "extra_specs value has {} characters, more than 255.",
                text.chars().count()
            )));
        }
        if version >= ApiVersion::new(2, 86) {
            extra_spec_rules::validate(key, &text)?;
        }
        out.insert(key.clone(), text);
    }
    Ok(out)
}

fn strict_query(raw: Option<&str>, version: ApiVersion) -> Result<()> {
    if version >= ApiVersion::new(2, 102) {
        Query::parse(raw)?.only(&[])?;
    }
    Ok(())
}

/// List a flavor's extra specs.
#[utoipa::path(get, path = "/v2.1/flavors/{flavor_id}/os-extra_specs", tag = "flavors", operation_id = "list_flavor_extra_specs",
    params(("flavor_id" = String, Path, description = "Flavor id")),
    responses((status = 200, description = "The extra specs"), (status = 403), (status = 404)))]
async fn index(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    strict_query(raw.as_deref(), version)?;
    let specs = nova.list_extra_specs(&caller, &id).await?;
    Ok(axum::Json(json!({"extra_specs": specs})).into_response())
}

/// Add or replace extra specs (admin); answers the request body.
#[utoipa::path(post, path = "/v2.1/flavors/{flavor_id}/os-extra_specs", tag = "flavors", operation_id = "create_flavor_extra_specs",
    params(("flavor_id" = String, Path, description = "Flavor id")),
    request_body(content = Object, content_type = "application/json", description = "{\"extra_specs\": {key: value}}"),
    responses((status = 200, description = "What was set"), (status = 400), (status = 403), (status = 404)))]
async fn create(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let body: Value = parse(&body)?;
    super::schema::only("", &body, &["extra_specs"]).map_err(|e| {
        NovaError::BadRequest(
            e.to_string()
                .rsplit(". ")
                .next()
                .unwrap_or_default()
                .to_string(),
        )
    })?;
    let object = match body.get("extra_specs") {
        Some(Value::Object(object)) => object,
        Some(other) => {
            return Err(field_error(
                "extra_specs",
                other,
                &format!("{} is not of type 'object'", python_repr(other)),
            ))
        }
        None => {
            return Err(NovaError::BadRequest(
                "'extra_specs' is a required property".into(),
            ))
        }
    };
    let specs = specs(object, Some("extra_specs"), version)?;
    nova.set_extra_specs(&caller, &id, &specs, false).await?;
    Ok(axum::Json(body).into_response())
}

/// Show one extra spec.
#[utoipa::path(get, path = "/v2.1/flavors/{flavor_id}/os-extra_specs/{key}", tag = "flavors", operation_id = "show_flavor_extra_spec",
    params(("flavor_id" = String, Path, description = "Flavor id"), ("key" = String, Path, description = "Extra spec key")),
    responses((status = 200, description = "{key: value}"), (status = 403), (status = 404)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((id, key)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    strict_query(raw.as_deref(), version)?;
    let value = nova.show_extra_spec(&caller, &id, &key).await?;
    Ok(axum::Json(json!({ key: value })).into_response())
}

/// Set one extra spec (admin); the body is `{key: value}` for the URL's key.
#[utoipa::path(put, path = "/v2.1/flavors/{flavor_id}/os-extra_specs/{key}", tag = "flavors", operation_id = "update_flavor_extra_spec",
    params(("flavor_id" = String, Path, description = "Flavor id"), ("key" = String, Path, description = "Extra spec key")),
    request_body(content = Object, content_type = "application/json", description = "{key: value}"),
    responses((status = 200, description = "What was set"), (status = 400), (status = 403), (status = 404)))]
async fn update(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((id, key)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let body: Value = parse(&body)?;
    let Some(object) = body.as_object() else {
        return Err(NovaError::BadRequest(format!(
            "{} is not of type 'object'",
            python_repr(&body)
        )));
    };
    if object.is_empty() {
        return Err(NovaError::BadRequest("{} should be non-empty".into()));
    }
    if object.len() > 1 {
        return Err(NovaError::BadRequest(format!(
            "{} has too many properties",
            python_repr(&body)
        )));
    }
    let specs = specs(object, None, version)?;
    if !specs.contains_key(&key) {
        return Err(NovaError::BadRequest(
            "Request body and URI mismatch".into(),
        ));
    }
    nova.set_extra_specs(&caller, &id, &specs, true).await?;
    Ok(axum::Json(body).into_response())
}

/// Remove one extra spec (admin).
#[utoipa::path(delete, path = "/v2.1/flavors/{flavor_id}/os-extra_specs/{key}", tag = "flavors", operation_id = "delete_flavor_extra_spec",
    params(("flavor_id" = String, Path, description = "Flavor id"), ("key" = String, Path, description = "Extra spec key")),
    responses((status = 200, description = "Removed"), (status = 403), (status = 404)))]
async fn delete(
    State(nova): State<AppState>,
    caller: Caller,
    Path((id, key)): Path<(String, String)>,
) -> Result<Response> {
    nova.delete_extra_spec(&caller, &id, &key).await?;
    Ok(axum::http::StatusCode::OK.into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(index, create))
        .routes(routes!(show, update, delete))
}
