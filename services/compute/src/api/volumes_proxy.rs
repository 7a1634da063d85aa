//! The deprecated proxies to block storage, up to 2.35: `/os-volumes` and
//! `/os-snapshots` (list, detail, show, create, delete), answered from the
//! block-storage API on the caller's token in Nova's camelCase views.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use reqwest::Method;
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::schema::{boolean, bounded_integer, field_error, only, python_repr};
use super::{gone_after, parse, AppState};
use crate::domain::{Caller, NovaError, Result};
use crate::volume_api::VolumeApiError;

/// The last version with the proxies.
const LAST: u16 = 35;

fn volume_error(kind: &str, id: &str, e: VolumeApiError) -> NovaError {
    match e {
        VolumeApiError::NotFound => NovaError::NotFound(format!("{kind} {id} could not be found.")),
        VolumeApiError::Refused(m) => NovaError::BadRequest(m),
        VolumeApiError::Unavailable(_) => NovaError::Unavailable(e.to_string()),
    }
}

async fn call(
    nova: &AppState,
    caller: &Caller,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> std::result::Result<Value, VolumeApiError> {
    nova.volumes
        .call(&caller.ctx.token.0, caller.project(), method, path, body)
        .await
}

fn authorize(nova: &AppState, caller: &Caller, rule: &str) -> Result<()> {
    nova.authorize(caller, rule, &json!({"project_id": caller.project()}))
}

/// A block-storage volume as Nova shows it.
fn volume_view(v: &Value) -> Value {
    let attachments: Vec<Value> = v["attachments"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|a| {
                    json!({"id": a["attachment_id"].as_str().unwrap_or(v["id"].as_str().unwrap_or_default()),
                        "volumeId": v["id"], "serverId": a["server_id"], "device": a["device"]})
                })
                .collect()
        })
        .filter(|list: &Vec<Value>| !list.is_empty())
        .unwrap_or_else(|| vec![json!({})]);
    json!({
        "id": v["id"],
        "status": v["status"],
        "size": v["size"],
        "availabilityZone": v["availability_zone"],
        "createdAt": v["created_at"],
        "attachments": attachments,
        "displayName": v["name"],
        "displayDescription": v["description"],
        "volumeType": v["volume_type"],
        "snapshotId": v["snapshot_id"],
        "metadata": v.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

/// A block-storage snapshot as Nova shows it.
fn snapshot_view(s: &Value) -> Value {
    json!({
        "id": s["id"],
        "volumeId": s["volume_id"],
        "status": s["status"],
        "size": s["size"],
        "createdAt": s["created_at"],
        "displayName": s["name"],
        "displayDescription": s["description"],
    })
}

/// `POST /os-volumes`'s body as Cinder's.
fn volume_request(body: &Value) -> Result<Value> {
    only("body", body, &["volume"])?;
    let volume = body
        .get("volume")
        .ok_or_else(|| field_error("body", body, "'volume' is a required property"))?;
    only(
        "volume",
        volume,
        &[
            "volume_type",
            "metadata",
            "snapshot_id",
            "size",
            "availability_zone",
            "display_name",
            "display_description",
        ],
    )?;
    let size = match volume.get("size") {
        Some(size) => bounded_integer("size", size, 1)?,
        None => {
            return Err(field_error(
                "volume",
                volume,
                "'size' is a required property",
            ))
        }
    };
    let mut request = Map::new();
    request.insert("size".into(), json!(size));
    for (from, to) in [
        ("display_name", "name"),
        ("display_description", "description"),
        ("volume_type", "volume_type"),
        ("availability_zone", "availability_zone"),
        ("snapshot_id", "snapshot_id"),
        ("metadata", "metadata"),
    ] {
        match volume.get(from) {
            None | Some(Value::Null) => {}
            Some(value @ Value::String(_)) => {
                request.insert(to.into(), value.clone());
            }
            Some(value @ Value::Object(_)) if from == "metadata" => {
                request.insert(to.into(), value.clone());
            }
            Some(other) => {
                return Err(field_error(
                    from,
                    other,
                    &format!("{} is not of type 'string'", python_repr(other)),
                ))
            }
        }
    }
    Ok(json!({"volume": Value::Object(request)}))
}

/// `POST /os-snapshots`'s body as Cinder's.
fn snapshot_request(body: &Value) -> Result<Value> {
    only("body", body, &["snapshot"])?;
    let snapshot = body
        .get("snapshot")
        .ok_or_else(|| field_error("body", body, "'snapshot' is a required property"))?;
    only(
        "snapshot",
        snapshot,
        &["volume_id", "force", "display_name", "display_description"],
    )?;
    let volume_id = match snapshot.get("volume_id") {
        Some(Value::String(id)) => id.clone(),
        Some(other) => {
            return Err(field_error(
                "volume_id",
                other,
                &format!("{} is not of type 'string'", python_repr(other)),
            ))
        }
        None => {
            return Err(field_error(
                "snapshot",
                snapshot,
                "'volume_id' is a required property",
            ))
        }
    };
    let force = match snapshot.get("force") {
        Some(value) => boolean("force", value)?,
        None => false,
    };
    Ok(json!({"snapshot": {
        "volume_id": volume_id,
        "force": force,
        "name": snapshot.get("display_name").cloned().unwrap_or(Value::Null),
        "description": snapshot.get("display_description").cloned().unwrap_or(Value::Null),
    }}))
}

/// A proxied listing: `key` of block storage's `path`, each in Nova's `view`.
async fn listing(
    nova: &AppState,
    caller: &Caller,
    version: ApiVersion,
    rule: &str,
    (path, key): (&str, &str),
    view: fn(&Value) -> Value,
    raw: Option<String>,
) -> Result<Response> {
    gone_after(version, LAST)?;
    authorize(nova, caller, rule)?;
    let query = Query::parse(raw.as_deref())?;
    let (offset, limit) = (query.offset()?, query.limit(nova.cfg.max_limit)?);
    let found = call(nova, caller, Method::GET, path, None)
        .await
        .map_err(|e| volume_error("Volume", "", e))?;
    let items: Vec<Value> = found[key]
        .as_array()
        .map(|list| list.iter().skip(offset).take(limit).map(view).collect())
        .unwrap_or_default();
    Ok(axum::Json(json!({ key: items })).into_response())
}

/// List volumes (proxied, to 2.35).
#[utoipa::path(get, path = "/v2.1/os-volumes", tag = "volumes", operation_id = "list_proxied_volumes",
    responses((status = 200, description = "Volumes"), (status = 404)))]
async fn list_volumes(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let at = ("/volumes/detail", "volumes");
    listing(
        &nova,
        &caller,
        version,
        "os_compute_api:os-volumes:list",
        at,
        volume_view,
        raw,
    )
    .await
}

/// List volumes with details (proxied, to 2.35).
#[utoipa::path(get, path = "/v2.1/os-volumes/detail", tag = "volumes", operation_id = "list_proxied_volumes_detail",
    responses((status = 200, description = "Volumes"), (status = 404)))]
async fn detail_volumes(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let at = ("/volumes/detail", "volumes");
    listing(
        &nova,
        &caller,
        version,
        "os_compute_api:os-volumes:detail",
        at,
        volume_view,
        raw,
    )
    .await
}

/// List snapshots (proxied, to 2.35).
#[utoipa::path(get, path = "/v2.1/os-snapshots", tag = "volumes", operation_id = "list_proxied_snapshots",
    responses((status = 200, description = "Snapshots"), (status = 404)))]
async fn list_snapshots(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let at = ("/snapshots/detail", "snapshots");
    let rule = "os_compute_api:os-volumes:snapshots:list";
    listing(&nova, &caller, version, rule, at, snapshot_view, raw).await
}

/// List snapshots with details (proxied, to 2.35).
#[utoipa::path(get, path = "/v2.1/os-snapshots/detail", tag = "volumes", operation_id = "list_proxied_snapshots_detail",
    responses((status = 200, description = "Snapshots"), (status = 404)))]
async fn detail_snapshots(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let at = ("/snapshots/detail", "snapshots");
    let rule = "os_compute_api:os-volumes:snapshots:detail";
    listing(&nova, &caller, version, rule, at, snapshot_view, raw).await
}

/// Create a volume (proxied, to 2.35).
#[utoipa::path(post, path = "/v2.1/os-volumes", tag = "volumes", operation_id = "create_proxied_volume",
    request_body(content = Object, content_type = "application/json", description = "{\"volume\": {\"size\", \"display_name\", ...}}"),
    responses((status = 200, description = "The volume"), (status = 400), (status = 403), (status = 404)))]
async fn create_volume(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    body: Bytes,
) -> Result<Response> {
    gone_after(version, LAST)?;
    authorize(&nova, &caller, "os_compute_api:os-volumes:create")?;
    let request = volume_request(&parse::<Value>(&body)?)?;
    let created = call(&nova, &caller, Method::POST, "/volumes", Some(request))
        .await
        .map_err(|e| volume_error("Volume", "", e))?;
    Ok(axum::Json(json!({"volume": volume_view(&created["volume"])})).into_response())
}

/// Create a snapshot (proxied, to 2.35).
#[utoipa::path(post, path = "/v2.1/os-snapshots", tag = "volumes", operation_id = "create_proxied_snapshot",
    request_body(content = Object, content_type = "application/json", description = "{\"snapshot\": {\"volume_id\", \"force\", ...}}"),
    responses((status = 200, description = "The snapshot"), (status = 400), (status = 403), (status = 404)))]
async fn create_snapshot(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    body: Bytes,
) -> Result<Response> {
    gone_after(version, LAST)?;
    authorize(&nova, &caller, "os_compute_api:os-volumes:snapshots:create")?;
    let request = snapshot_request(&parse::<Value>(&body)?)?;
    let volume = request["snapshot"]["volume_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let created = call(&nova, &caller, Method::POST, "/snapshots", Some(request))
        .await
        .map_err(|e| volume_error("Volume", &volume, e))?;
    Ok(axum::Json(json!({"snapshot": snapshot_view(&created["snapshot"])})).into_response())
}

/// Show a volume (proxied, to 2.35).
#[utoipa::path(get, path = "/v2.1/os-volumes/{id}", tag = "volumes", operation_id = "show_proxied_volume",
    params(("id" = String, Path)), responses((status = 200, description = "The volume"), (status = 404)))]
async fn show_volume(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    gone_after(version, LAST)?;
    authorize(&nova, &caller, "os_compute_api:os-volumes:show")?;
    let found = call(&nova, &caller, Method::GET, &format!("/volumes/{id}"), None)
        .await
        .map_err(|e| volume_error("Volume", &id, e))?;
    Ok(axum::Json(json!({"volume": volume_view(&found["volume"])})).into_response())
}

/// Delete a volume (proxied, to 2.35).
#[utoipa::path(delete, path = "/v2.1/os-volumes/{id}", tag = "volumes", operation_id = "delete_proxied_volume",
    params(("id" = String, Path)), responses((status = 202, description = "Deleting"), (status = 400), (status = 404)))]
async fn delete_volume(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    gone_after(version, LAST)?;
    authorize(&nova, &caller, "os_compute_api:os-volumes:delete")?;
    call(
        &nova,
        &caller,
        Method::DELETE,
        &format!("/volumes/{id}"),
        None,
    )
    .await
    .map_err(|e| volume_error("Volume", &id, e))?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// Show a snapshot (proxied, to 2.35).
#[utoipa::path(get, path = "/v2.1/os-snapshots/{id}", tag = "volumes", operation_id = "show_proxied_snapshot",
    params(("id" = String, Path)), responses((status = 200, description = "The snapshot"), (status = 404)))]
async fn show_snapshot(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    gone_after(version, LAST)?;
    authorize(&nova, &caller, "os_compute_api:os-volumes:snapshots:show")?;
    let found = call(
        &nova,
        &caller,
        Method::GET,
        &format!("/snapshots/{id}"),
        None,
    )
    .await
    .map_err(|e| volume_error("Snapshot", &id, e))?;
    Ok(axum::Json(json!({"snapshot": snapshot_view(&found["snapshot"])})).into_response())
}

/// Delete a snapshot (proxied, to 2.35).
#[utoipa::path(delete, path = "/v2.1/os-snapshots/{id}", tag = "volumes", operation_id = "delete_proxied_snapshot",
    params(("id" = String, Path)), responses((status = 202, description = "Deleting"), (status = 404)))]
async fn delete_snapshot(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    gone_after(version, LAST)?;
    authorize(&nova, &caller, "os_compute_api:os-volumes:snapshots:delete")?;
    call(
        &nova,
        &caller,
        Method::DELETE,
        &format!("/snapshots/{id}"),
        None,
    )
    .await
    .map_err(|e| volume_error("Snapshot", &id, e))?;
    Ok(StatusCode::ACCEPTED.into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_volumes, create_volume))
        .routes(routes!(detail_volumes))
        .routes(routes!(show_volume, delete_volume))
        .routes(routes!(list_snapshots, create_snapshot))
        .routes(routes!(detail_snapshots))
        .routes(routes!(show_snapshot, delete_snapshot))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_are_shown_in_novas_words() {
        let cinder = json!({"id": "v", "status": "in-use", "size": 1, "availability_zone": "nova",
            "created_at": "t", "name": "n", "description": null, "volume_type": "file",
            "snapshot_id": null, "metadata": {"k": "v"},
            "attachments": [{"attachment_id": "a", "server_id": "s", "device": "/dev/vdb"}]});
        let view = volume_view(&cinder);
        assert_eq!(view["displayName"], "n");
        assert_eq!(view["attachments"][0]["serverId"], "s");
        let unattached = volume_view(&json!({"id": "v", "attachments": []}));
        assert_eq!(unattached["attachments"], json!([{}]));
    }

    #[test]
    fn requests_are_checked_as_novas_schema() {
        let ok = volume_request(&json!({"volume": {"size": "1", "display_name": "x"}})).unwrap();
        assert_eq!(ok, json!({"volume": {"size": 1, "name": "x"}}));
        assert!(volume_request(&json!({"volume": {"size": 0}})).is_err());
        assert!(volume_request(&json!({"volume": {"size": "#$%"}})).is_err());
        assert!(volume_request(&json!({"volume": {}})).is_err());
        assert!(snapshot_request(&json!({"snapshot": {"force": true}})).is_err());
        let snap =
            snapshot_request(&json!({"snapshot": {"volume_id": "v", "force": "true"}})).unwrap();
        assert_eq!(snap["snapshot"]["force"], true);
    }
}
