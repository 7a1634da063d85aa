//! `/v2.1/servers/{id}/os-instance-actions`: what was asked of a server and
//! how each step went.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha224};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::db::entity::instance_action;
use crate::domain::{Caller, Result};

const fn v(minor: u16) -> ApiVersion {
    ApiVersion::new(2, minor)
}

fn time(t: &chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

fn opt_time(t: &Option<chrono::NaiveDateTime>) -> Value {
    t.as_ref().map_or(Value::Null, |t| json!(time(t)))
}

fn action_view(a: &instance_action::Model, version: ApiVersion) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("action".into(), json!(a.action));
    body.insert("instance_uuid".into(), json!(a.instance_uuid));
    body.insert("message".into(), json!(a.message));
    body.insert("project_id".into(), json!(a.project_id));
    body.insert("request_id".into(), json!(a.request_id));
    body.insert("start_time".into(), json!(time(&a.start_time)));
    body.insert("user_id".into(), json!(a.user_id));
    if version >= v(58) {
        body.insert("updated_at".into(), json!(time(&a.updated_at)));
    }
    body
}

/// List a server's actions.
#[utoipa::path(get, path = "/v2.1/servers/{server_id}/os-instance-actions", tag = "servers",
    operation_id = "list_instance_actions", params(("server_id" = String, Path)),
    responses((status = 200, description = "Actions"), (status = 404)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    let actions = nova.list_actions(&caller, &id).await?;
    let items: Vec<Value> = actions
        .iter()
        .map(|a| Value::Object(action_view(a, version)))
        .collect();
    Ok(axum::Json(json!({"instanceActions": items})).into_response())
}

/// Show one action of a server with its events.
#[utoipa::path(get, path = "/v2.1/servers/{server_id}/os-instance-actions/{request_id}",
    tag = "servers", operation_id = "show_instance_action",
    params(("server_id" = String, Path), ("request_id" = String, Path)),
    responses((status = 200, description = "The action"), (status = 404)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((id, request_id)): Path<(String, String)>,
) -> Result<Response> {
    let (record, events_allowed, details) = nova.show_action(&caller, &id, &request_id).await?;
    let mut body = action_view(&record.action, version);
    if events_allowed || version >= v(51) {
        let events: Vec<Value> = record
            .events
            .iter()
            .map(|e| {
                let mut event = json!({
                    "event": e.event,
                    "start_time": time(&e.start_time),
                    "finish_time": opt_time(&e.finish_time),
                    "result": e.result,
                });
                if events_allowed {
                    event["traceback"] = json!(e.traceback);
                }
                if version >= v(62) {
                    let host = e.host.clone().unwrap_or_default();
                    event["hostId"] = json!(if host.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "{:x}",
                            Sha224::digest(format!("{}{host}", record.action.project_id))
                        )
                    });
                    if events_allowed {
                        event["host"] = json!(host);
                    }
                }
                if version >= v(84) && details {
                    event["details"] = json!(e.traceback);
                }
                event
            })
            .collect();
        body.insert("events".into(), json!(events));
    }
    Ok(axum::Json(json!({"instanceAction": body})).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
}
