//! `/v2.1/os-assisted-volume-snapshots` (admin and service users): the volume
//! host has the hypervisor of an attached volume's server snapshot it, or
//! delete such a snapshot.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::schema::{field_error, one_of, only, python_repr};
use super::{parse, AppState};
use crate::domain::assisted_snapshots::SnapshotStep;
use crate::domain::{Caller, NovaError, Result};

/// `object[key]`, which must be a non-empty string when `required` or present.
fn text(object: &Value, key: &str, required: bool) -> Result<Option<String>> {
    match object.get(key) {
        None if required => Err(NovaError::BadRequest(format!(
            "'{key}' is a required property"
        ))),
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(Value::String(s)) => Err(field_error(key, &json!(s), "'' should be non-empty")),
        Some(other) => Err(field_error(
            key,
            other,
            &format!("{} is not of type 'string'", python_repr(other)),
        )),
    }
}

/// The create body: the volume, and the create_info as given.
fn create_body(body: &Value) -> Result<(String, Value)> {
    only("snapshot", body, &["snapshot"])?;
    let snapshot = body
        .get("snapshot")
        .ok_or_else(|| NovaError::BadRequest("'snapshot' is a required property".into()))?;
    only("snapshot", snapshot, &["volume_id", "create_info"])?;
    let volume_id = text(snapshot, "volume_id", true)?.unwrap_or_default();
    let info = snapshot
        .get("create_info")
        .ok_or_else(|| NovaError::BadRequest("'create_info' is a required property".into()))?;
    only(
        "create_info",
        info,
        &["snapshot_id", "type", "new_file", "id"],
    )?;
    text(info, "snapshot_id", true)?;
    text(info, "new_file", true)?;
    text(info, "id", false)?;
    let kind = info
        .get("type")
        .ok_or_else(|| NovaError::BadRequest("'type' is a required property".into()))?;
    one_of("type", kind, &["qcow2"])?;
    Ok((volume_id, info.clone()))
}

/// Snapshot a volume through its server's hypervisor.
#[utoipa::path(post, path = "/v2.1/os-assisted-volume-snapshots", tag = "assisted volume snapshots",
    operation_id = "create_assisted_volume_snapshot",
    request_body(content = Object, content_type = "application/json", description = "{\"snapshot\": {\"volume_id\", \"create_info\": {\"snapshot_id\", \"type\": \"qcow2\", \"new_file\", \"id\"}}}"),
    responses((status = 200, description = "The snapshot asked for"), (status = 400, description = "Not attached to one server that is ready")))]
async fn create(
    State(nova): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<axum::Json<Value>> {
    let body: Value = parse(&body)?;
    let (volume_id, info) = create_body(&body)?;
    let snapshot_id = info["snapshot_id"].as_str().unwrap_or_default().to_string();
    nova.assisted_snapshot(
        &caller,
        SnapshotStep::Create,
        &volume_id,
        &snapshot_id,
        &info,
    )
    .await?;
    Ok(axum::Json(json!({
        "snapshot": {"id": info.get("id").cloned().unwrap_or(Value::Null), "volumeId": volume_id},
    })))
}

/// Delete a snapshot made through a server's hypervisor.
#[utoipa::path(delete, path = "/v2.1/os-assisted-volume-snapshots/{snapshot_id}", tag = "assisted volume snapshots",
    operation_id = "delete_assisted_volume_snapshot",
    params(("snapshot_id" = String, Path), ("delete_info" = String, Query, description = "JSON: {\"volume_id\", ...}")),
    responses((status = 204, description = "Deletion under way"), (status = 400, description = "No delete_info, or the volume not attached to one ready server")))]
async fn delete(
    State(nova): State<AppState>,
    caller: Caller,
    Path(snapshot_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<StatusCode> {
    let query = Query::parse(raw.as_deref())?;
    let info: Value = query
        .get("delete_info")
        .ok_or_else(|| NovaError::BadRequest("'delete_info' is a required query parameter".into()))
        .and_then(|text| {
            serde_json::from_str(text)
                .map_err(|e| NovaError::BadRequest(format!("delete_info is not JSON: {e}")))
        })?;
    let volume_id = info
        .get("volume_id")
        .and_then(Value::as_str)
        .ok_or_else(|| NovaError::BadRequest("delete_info has no 'volume_id'".into()))?
        .to_string();
    nova.assisted_snapshot(
        &caller,
        SnapshotStep::Delete,
        &volume_id,
        &snapshot_id,
        &info,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(delete))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(info: Value) -> Value {
        json!({"snapshot": {"volume_id": "v1", "create_info": info}})
    }

    #[test]
    fn create_bodies_follow_novas_schema() {
        let good = json!({"snapshot_id": "s1", "type": "qcow2", "new_file": "f", "id": "x"});
        assert_eq!(
            create_body(&body(good.clone())).unwrap(),
            ("v1".into(), good)
        );
        for (info, why) in [
            (
                json!({"type": "qcow2", "new_file": "f"}),
                "'snapshot_id' is a required property",
            ),
            (
                json!({"snapshot_id": "s", "type": "raw", "new_file": "f"}),
                "'raw' is not one of",
            ),
            (
                json!({"snapshot_id": "s", "type": "qcow2", "new_file": 1}),
                "1 is not of type 'string'",
            ),
            (
                json!({"snapshot_id": "s", "type": "qcow2", "new_file": "f", "x": 1}),
                "'x' was unexpected",
            ),
        ] {
            let NovaError::BadRequest(message) = create_body(&body(info)).unwrap_err() else {
                panic!("not a 400");
            };
            assert!(message.contains(why), "{message}");
        }
        assert!(create_body(&json!({"snapshot": {"create_info": {}}})).is_err());
    }
}
