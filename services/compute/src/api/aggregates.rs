//! `/v2.1/os-aggregates` (admin): host aggregates, their hosts and metadata
//! (`add_host`, `remove_host`, `set_metadata`).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::schema::{self, field_error, python_repr};
use super::services::time;
use super::{parse, AppState};
use crate::domain::aggregates::Aggregate;
use crate::domain::{Caller, NovaError, Result};

/// The aggregate at `version` (`uuid` from 2.41); `full` adds hosts and
/// metadata, which a create's answer leaves out.
fn view(a: &Aggregate, version: ApiVersion, full: bool) -> Value {
    let mut body = json!({
        "id": a.row.id,
        "name": a.row.name,
        "availability_zone": a.availability_zone(),
        "created_at": time(&a.row.created_at),
        "updated_at": a.row.updated_at.as_ref().map(time),
        "deleted": false,
        "deleted_at": null,
    });
    if full {
        body["hosts"] = json!(a.hosts);
        body["metadata"] = json!(a.metadata);
    }
    if version >= ApiVersion::new(2, 41) {
        body["uuid"] = json!(a.row.uuid);
    }
    json!({"aggregate": body})
}

/// A name: 1..255 printable characters without surrounding whitespace.
fn name_of(value: &Value) -> Result<String> {
    match value {
        Value::String(name) if name.is_empty() => {
            Err(field_error("name", value, "'' should be non-empty"))
        }
        Value::String(name) if name.chars().count() > 255 => {
            Err(field_error("name", value, &format!("'{name}' is too long")))
        }
        Value::String(name) => {
            schema::check_name(name)?;
            Ok(name.clone())
        }
        other => Err(field_error(
            "name",
            other,
            &format!("{} is not of type 'string'", python_repr(other)),
        )),
    }
}

/// An availability zone: a name without ':', or null.
fn zone_of(value: &Value) -> Result<Option<String>> {
    match value {
        Value::Null => Ok(None),
        Value::String(zone)
            if !zone.is_empty()
                && zone.chars().count() <= 255
                && !zone.contains(':')
                && schema::check_name(zone).is_ok() =>
        {
            Ok(Some(zone.clone()))
        }
        other => Err(field_error(
            "availability_zone",
            other,
            &format!(
                "{} is not valid under any of the given schemas",
                python_repr(other)
            ),
        )),
    }
}

fn strict(raw: Option<&str>, version: ApiVersion) -> Result<()> {
    if version >= ApiVersion::new(2, 102) {
        Query::parse(raw)?.only(&[])?;
    }
    Ok(())
}

/// List aggregates.
#[utoipa::path(get, path = "/v2.1/os-aggregates", tag = "aggregates", operation_id = "list_aggregates",
    responses((status = 200, description = "Aggregates"), (status = 403)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    strict(raw.as_deref(), version)?;
    let all: Vec<Value> = nova
        .list_aggregates(&caller)
        .await?
        .iter()
        .map(|a| view(a, version, true)["aggregate"].clone())
        .collect();
    Ok(axum::Json(json!({"aggregates": all})).into_response())
}

/// Create an aggregate.
#[utoipa::path(post, path = "/v2.1/os-aggregates", tag = "aggregates", operation_id = "create_aggregate",
    request_body(content = Object, content_type = "application/json", description = "{\"aggregate\": {\"name\", \"availability_zone\"}}"),
    responses((status = 200, description = "The aggregate"), (status = 400), (status = 403), (status = 409)))]
async fn create(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    body: Bytes,
) -> Result<Response> {
    let body: Value = parse(&body)?;
    let Some(fields) = body.get("aggregate") else {
        return Err(NovaError::BadRequest(
            "'aggregate' is a required property".into(),
        ));
    };
    schema::only("aggregate", fields, &["name", "availability_zone"])?;
    let Some(name) = fields.get("name") else {
        return Err(field_error(
            "aggregate",
            fields,
            "'name' is a required property",
        ));
    };
    let name = name_of(name)?;
    let zone = fields
        .get("availability_zone")
        .map(zone_of)
        .transpose()?
        .flatten();
    let made = nova
        .create_aggregate(&caller, &name, zone.as_deref())
        .await?;
    Ok(axum::Json(view(&made, version, false)).into_response())
}

/// Show an aggregate.
#[utoipa::path(get, path = "/v2.1/os-aggregates/{aggregate_id}", tag = "aggregates", operation_id = "show_aggregate",
    params(("aggregate_id" = String, Path, description = "Aggregate id")),
    responses((status = 200, description = "The aggregate"), (status = 400), (status = 403), (status = 404)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    strict(raw.as_deref(), version)?;
    let found = nova.show_aggregate(&caller, &id).await?;
    Ok(axum::Json(view(&found, version, true)).into_response())
}

/// Rename an aggregate or change its availability zone.
#[utoipa::path(put, path = "/v2.1/os-aggregates/{aggregate_id}", tag = "aggregates", operation_id = "update_aggregate",
    params(("aggregate_id" = String, Path, description = "Aggregate id")),
    request_body(content = Object, content_type = "application/json", description = "{\"aggregate\": {\"name\", \"availability_zone\"}}"),
    responses((status = 200, description = "The aggregate"), (status = 400), (status = 403), (status = 404), (status = 409)))]
async fn update(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let body: Value = parse(&body)?;
    let Some(fields) = body.get("aggregate") else {
        return Err(NovaError::BadRequest(
            "'aggregate' is a required property".into(),
        ));
    };
    schema::only("aggregate", fields, &["name", "availability_zone"])?;
    if fields.get("name").is_none() && fields.get("availability_zone").is_none() {
        return Err(field_error(
            "aggregate",
            fields,
            &format!(
                "{} is not valid under any of the given schemas",
                python_repr(fields)
            ),
        ));
    }
    // An update keeps Nova's leniency: surrounding spaces are trimmed.
    let name = match fields.get("name") {
        Some(Value::String(name)) if !name.trim().is_empty() && name.chars().count() <= 255 => {
            Some(name.trim().to_string())
        }
        Some(other) => {
            return Err(field_error(
                "name",
                other,
                "printable characters with at least one non space character",
            ))
        }
        None => None,
    };
    let zone = match fields.get("availability_zone") {
        Some(Value::Null) => Some(None),
        Some(value) => Some(zone_of(value)?),
        None => None,
    };
    let updated = nova
        .update_aggregate(
            &caller,
            &id,
            name.as_deref(),
            zone.as_ref().map(|z| z.as_deref()),
        )
        .await?;
    Ok(axum::Json(view(&updated, version, true)).into_response())
}

/// Delete an aggregate without hosts.
#[utoipa::path(delete, path = "/v2.1/os-aggregates/{aggregate_id}", tag = "aggregates", operation_id = "delete_aggregate",
    params(("aggregate_id" = String, Path, description = "Aggregate id")),
    responses((status = 200, description = "Deleted"), (status = 400), (status = 403), (status = 404)))]
async fn delete(
    State(nova): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    nova.delete_aggregate(&caller, &id).await?;
    Ok(axum::http::StatusCode::OK.into_response())
}

/// `add_host`, `remove_host` or `set_metadata`.
#[utoipa::path(post, path = "/v2.1/os-aggregates/{aggregate_id}/action", tag = "aggregates", operation_id = "aggregate_action",
    params(("aggregate_id" = String, Path, description = "Aggregate id")),
    request_body(content = Object, content_type = "application/json", description = "{\"add_host\": {\"host\"}}, ..."),
    responses((status = 200, description = "The aggregate"), (status = 400), (status = 403), (status = 404), (status = 409)))]
async fn action(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let body: Value = parse(&body)?;
    let Some((name, args)) = body
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.iter().next())
    else {
        return Err(NovaError::BadRequest("Malformed request body".into()));
    };
    let done = match name.as_str() {
        "add_host" | "remove_host" => {
            schema::only(name, args, &["host"])?;
            let host = match args.get("host") {
                Some(Value::String(host))
                    if !host.is_empty()
                        && host.len() <= 255
                        && host
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)) =>
                {
                    host.clone()
                }
                Some(other) => {
                    return Err(field_error(
                        "host",
                        other,
                        &format!("{} does not match '^[a-zA-Z0-9-._]*$'", python_repr(other)),
                    ))
                }
                None => return Err(field_error(name, args, "'host' is a required property")),
            };
            if name == "add_host" {
                nova.add_aggregate_host(&caller, &id, &host).await?
            } else {
                nova.remove_aggregate_host(&caller, &id, &host).await?
            }
        }
        "set_metadata" => {
            schema::only(name, args, &["metadata"])?;
            let Some(Value::Object(metadata)) = args.get("metadata") else {
                return Err(field_error(name, args, "'metadata' is a required property"));
            };
            let mut changes = BTreeMap::new();
            for (key, value) in metadata {
                let key_ok = (1..=255).contains(&key.chars().count())
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_:. ".contains(c));
                if !key_ok {
                    return Err(field_error(
                        "metadata",
                        &Value::Object(metadata.clone()),
                        &format!("'{key}' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{{1,255}}$'"),
                    ));
                }
                let value = match value {
                    Value::Null => None,
                    Value::String(text) if text.chars().count() <= 255 => Some(text.clone()),
                    other => {
                        return Err(field_error(
                            key,
                            other,
                            &format!("{} is not of type 'string', 'null'", python_repr(other)),
                        ))
                    }
                };
                changes.insert(key.clone(), value);
            }
            nova.set_aggregate_metadata(&caller, &id, &changes).await?
        }
        other => {
            return Err(NovaError::BadRequest(format!(
                "There is no such action: {other}"
            )))
        }
    };
    Ok(axum::Json(view(&done, version, true)).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, delete))
        .routes(routes!(action))
}
