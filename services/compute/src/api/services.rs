//! `/v2.1/os-services` (admin): the conductor and agents, up or down by their
//! heartbeats.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::schema::{self, field_error, python_repr};
use super::{parse, AppState};
use crate::domain::infrastructure::{ServiceChange, ServiceTarget, ServiceView};
use crate::domain::{Caller, NovaError, Result};

/// Nova's time format (`2012-10-29T13:42:02.000000`).
pub(super) fn time(t: &chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// A service at `version`: integer id before 2.53, UUID from then;
/// `forced_down` from 2.11.
pub(super) fn view(s: &ServiceView, version: ApiVersion) -> Value {
    let mut body = json!({
        "binary": s.state.binary,
        "host": s.state.host,
        "id": if version >= ApiVersion::new(2, 53) { json!(s.uuid) } else { json!(s.id) },
        "zone": s.state.zone,
        "status": if s.state.disabled { "disabled" } else { "enabled" },
        "state": if s.up() { "up" } else { "down" },
        "updated_at": time(&s.state.updated_at),
        "disabled_reason": s.state.disabled_reason,
    });
    if version >= ApiVersion::new(2, 11) {
        body["forced_down"] = json!(s.forced_down);
    }
    body
}

/// List compute services, by `host` and `binary`.
#[utoipa::path(get, path = "/v2.1/os-services", tag = "services", operation_id = "list_services",
    params(("host" = Option<String>, Query, description = "Only this host's"), ("binary" = Option<String>, Query, description = "Only this binary")),
    responses((status = 200, description = "Services"), (status = 403)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let query = Query::parse(raw.as_deref())?;
    if version >= ApiVersion::new(2, 75) {
        query.only(&["host", "binary"])?;
    }
    let services: Vec<Value> = nova
        .list_services(&caller, query.get("host"), query.get("binary"))
        .await?
        .iter()
        .map(|s| view(s, version))
        .collect();
    Ok(axum::Json(json!({"services": services})).into_response())
}

/// A `disabled_reason`: 1..255 characters.
fn reason_of(value: &Value) -> Result<String> {
    match value {
        Value::String(text) if !text.is_empty() && text.chars().count() <= 255 => Ok(text.clone()),
        Value::String(text) if text.is_empty() => Err(field_error(
            "disabled_reason",
            value,
            "'' should be non-empty",
        )),
        Value::String(text) => Err(field_error(
            "disabled_reason",
            value,
            &format!("'{text}' is too long"),
        )),
        other => Err(field_error(
            "disabled_reason",
            other,
            &format!("{} is not of type 'string'", python_repr(other)),
        )),
    }
}

/// The 2.53 body: `status`, `disabled_reason`, `forced_down`.
fn change_v253(body: &Value) -> Result<ServiceChange> {
    schema::only("", body, &["status", "disabled_reason", "forced_down"]).map_err(|e| {
        NovaError::BadRequest(
            e.to_string()
                .rsplit(". ")
                .next()
                .unwrap_or_default()
                .to_string(),
        )
    })?;
    let reason = body.get("disabled_reason").map(reason_of).transpose()?;
    let disabled = match body.get("status") {
        None => None,
        Some(Value::String(s)) if s == "enabled" => {
            if reason.is_some() {
                return Err(NovaError::BadRequest(
                    "Specifying 'disabled_reason' with status 'enabled' is invalid.".into(),
                ));
            }
            Some((false, None))
        }
        Some(Value::String(s)) if s == "disabled" => Some((true, reason)),
        Some(other) => {
            return Err(field_error(
                "status",
                other,
                &format!(
                    "{} is not one of ['enabled', 'disabled']",
                    python_repr(other)
                ),
            ))
        }
    };
    let forced_down = body
        .get("forced_down")
        .map(|v| schema::boolean("forced_down", v))
        .transpose()?;
    if disabled.is_none() && forced_down.is_none() {
        return Err(NovaError::BadRequest(
            "No updates were requested. Fields 'status' or 'forced_down' should be specified."
                .into(),
        ));
    }
    Ok(ServiceChange {
        disabled,
        forced_down,
    })
}

/// Change a service: from 2.53 `{service_id}` is its UUID and the body says
/// what changes; before, it names an action (`enable`, `disable`,
/// `disable-log-reason`, `force-down` from 2.11) on the host and binary given.
#[utoipa::path(put, path = "/v2.1/os-services/{service_id}", tag = "services", operation_id = "update_service",
    params(("service_id" = String, Path, description = "Service UUID (2.53), or an action before")),
    request_body(content = Object, content_type = "application/json", description = "{\"status\", \"disabled_reason\", \"forced_down\"}"),
    responses((status = 200, description = "The service"), (status = 400), (status = 403), (status = 404)))]
async fn update(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let body: Value = parse(&body)?;
    if version >= ApiVersion::new(2, 53) {
        let change = change_v253(&body)?;
        let service = nova
            .update_service(&caller, ServiceTarget::Uuid(&id), change)
            .await?;
        return Ok(axum::Json(json!({"service": view(&service, version)})).into_response());
    }
    let mut allowed = vec!["host", "binary", "disabled_reason"];
    if version >= ApiVersion::new(2, 11) {
        allowed.push("forced_down");
    }
    schema::only("", &body, &allowed).map_err(|e| {
        NovaError::BadRequest(
            e.to_string()
                .rsplit(". ")
                .next()
                .unwrap_or_default()
                .to_string(),
        )
    })?;
    let text = |key: &str| -> Result<String> {
        match body.get(key) {
            Some(Value::String(t)) if !t.is_empty() && t.len() <= 255 => Ok(t.clone()),
            Some(other) => Err(field_error(
                key,
                other,
                &format!("{} is not of type 'string'", python_repr(other)),
            )),
            None => Err(NovaError::BadRequest(format!(
                "'{key}' is a required property"
            ))),
        }
    };
    let (host, binary) = (text("host")?, text("binary")?);
    let reason = body.get("disabled_reason").map(reason_of).transpose()?;
    let (change, answer) = match id.as_str() {
        "enable" => (
            ServiceChange {
                disabled: Some((false, None)),
                forced_down: None,
            },
            json!({"host": host, "binary": binary, "status": "enabled"}),
        ),
        "disable" => (
            ServiceChange {
                disabled: Some((true, None)),
                forced_down: None,
            },
            json!({"host": host, "binary": binary, "status": "disabled"}),
        ),
        "disable-log-reason" => {
            let reason = reason
                .ok_or_else(|| NovaError::BadRequest("Missing disabled reason field".into()))?;
            (
                ServiceChange {
                    disabled: Some((true, Some(reason.clone()))),
                    forced_down: None,
                },
                json!({"host": host, "binary": binary, "status": "disabled", "disabled_reason": reason}),
            )
        }
        "force-down" if version >= ApiVersion::new(2, 11) => {
            let Some(value) = body.get("forced_down") else {
                return Err(NovaError::BadRequest("Missing forced_down field".into()));
            };
            let forced = schema::boolean("forced_down", value)?;
            (
                ServiceChange {
                    disabled: None,
                    forced_down: Some(forced),
                },
                json!({"host": host, "binary": binary, "forced_down": forced}),
            )
        }
        _ => return Err(NovaError::NotFound("Unknown action".into())),
    };
    nova.update_service(
        &caller,
        ServiceTarget::HostBinary {
            host: &host,
            binary: &binary,
        },
        change,
    )
    .await?;
    Ok(axum::Json(json!({"service": answer})).into_response())
}

/// Delete a service (a compute service with its node and aggregate memberships).
#[utoipa::path(delete, path = "/v2.1/os-services/{service_id}", tag = "services", operation_id = "delete_service",
    params(("service_id" = String, Path, description = "Service id (a UUID from 2.53)")),
    responses((status = 204, description = "Deleted"), (status = 400), (status = 403), (status = 404), (status = 409)))]
async fn delete(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    nova.delete_service(&caller, &id, version >= ApiVersion::new(2, 53))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(update, delete))
}
