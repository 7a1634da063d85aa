//! `POST /v2.1/os-server-external-events`: events from other services about
//! servers (admin and service users), with each event's own code.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schema::{field_error, only, python_repr};
use super::{parse, AppState};
use crate::domain::external_events::ExternalEvent;
use crate::domain::{Caller, NovaError, Result};

/// The event names each microversion takes.
fn names(version: ApiVersion) -> Vec<&'static str> {
    let mut names = vec![
        "network-changed",
        "network-vif-plugged",
        "network-vif-unplugged",
        "network-vif-deleted",
    ];
    let v = |minor| ApiVersion::new(2, minor);
    if version >= v(51) {
        names.push("volume-extended");
    }
    if version >= v(76) {
        names.push("power-update");
    }
    if version >= v(82) {
        names.push("accelerator-request-bound");
    }
    if version >= v(93) {
        names.push("volume-reimaged");
    }
    names
}

fn event(item: &Value, version: ApiVersion) -> Result<ExternalEvent> {
    only("events", item, &["name", "server_uuid", "status", "tag"])?;
    let text = |key: &str| -> Result<Option<String>> {
        match item.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(field_error(
                key,
                other,
                &format!("{} is not of type 'string'", python_repr(other)),
            )),
        }
    };
    let required = |key: &str| -> Result<String> {
        text(key)?.ok_or_else(|| NovaError::BadRequest(format!("'{key}' is a required property")))
    };
    let name = required("name")?;
    let allowed = names(version);
    if !allowed.contains(&name.as_str()) {
        return Err(field_error(
            "name",
            &json!(name),
            &format!("'{name}' is not one of {allowed:?}"),
        ));
    }
    let status = text("status")?.unwrap_or_else(|| "completed".into());
    if !["failed", "completed", "in-progress"].contains(&status.as_str()) {
        return Err(field_error(
            "status",
            &json!(status),
            &format!("'{status}' is not one of ['failed', 'completed', 'in-progress']"),
        ));
    }
    Ok(ExternalEvent {
        name,
        server_uuid: required("server_uuid")?,
        status,
        tag: text("tag")?,
    })
}

/// Tell compute about events of servers.
#[utoipa::path(post, path = "/v2.1/os-server-external-events", tag = "servers",
    operation_id = "create_external_events",
    request_body(content = Object, content_type = "application/json", description = "{\"events\": [{\"name\", \"server_uuid\", \"status\", \"tag\"}]}"),
    responses((status = 200, description = "Events accepted"), (status = 207, description = "Some accepted"), (status = 404, description = "None accepted")))]
async fn create(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    body: Bytes,
) -> Result<Response> {
    let body: Value = parse(&body)?;
    if let Some(extra) = body
        .as_object()
        .and_then(|b| b.keys().find(|k| *k != "events"))
    {
        return Err(NovaError::BadRequest(format!(
            "Additional properties are not allowed ('{extra}' was unexpected)"
        )));
    }
    let items = body
        .get("events")
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| NovaError::BadRequest("'events' must be a non-empty list".into()))?;
    let events = items
        .iter()
        .map(|item| event(item, version))
        .collect::<Result<Vec<_>>>()?;
    let outcomes = nova.external_events(&caller, events).await?;
    let accepted = outcomes.iter().filter(|o| o.code == 200).count();
    let views: Vec<Value> = outcomes
        .iter()
        .map(|o| {
            let mut view = json!({
                "name": o.event.name,
                "server_uuid": o.event.server_uuid,
                "status": if o.code == 200 { o.event.status.as_str() } else { "failed" },
                "code": o.code,
            });
            if let Some(tag) = &o.event.tag {
                view["tag"] = json!(tag);
            }
            view
        })
        .collect();
    let status = if accepted == outcomes.len() {
        StatusCode::OK
    } else if accepted == 0 {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::MULTI_STATUS
    };
    Ok((status, axum::Json(json!({"events": views}))).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create))
}
