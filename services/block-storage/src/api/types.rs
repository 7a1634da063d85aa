//! `/v3/{project_id}/types`: volume types, their extra specs and project access.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{parse, AppState};
use crate::db::entity::volume_type;
use crate::domain::types::{extra_specs, TypeRequest};
use crate::domain::{Caller, CinderError, Result};

/// Extra specs every user may see.
const USER_VISIBLE: &[&str] = &[
    "multiattach",
    "RESKEY:availability_zones",
    "replication_enabled",
];

fn view(kind: &volume_type::Model, admin: bool) -> Value {
    let specs: BTreeMap<String, String> = extra_specs(kind)
        .into_iter()
        .filter(|(k, _)| admin || USER_VISIBLE.contains(&k.as_str()))
        .collect();
    let mut body = json!({
        "id": kind.id,
        "name": kind.name,
        "description": kind.description,
        "is_public": kind.is_public,
        "os-volume-type-access:is_public": kind.is_public,
        "extra_specs": specs,
    });
    // volume_extension:access_types_qos_specs_id is admin_api.
    if admin {
        body["qos_specs_id"] = json!(kind.qos_specs_id);
    }
    body
}

#[derive(Deserialize)]
struct TypeBody {
    volume_type: TypeRequest,
}

/// An update names publicity `is_public` (a create, with the access
/// extension's `os-volume-type-access:is_public`).
#[derive(Deserialize)]
struct UpdateBody {
    volume_type: TypeUpdate,
}

#[derive(Deserialize)]
struct TypeUpdate {
    name: Option<String>,
    description: Option<String>,
    is_public: Option<bool>,
}

#[derive(Deserialize)]
struct SpecsBody {
    extra_specs: BTreeMap<String, String>,
}

/// List the volume types the caller may use.
#[utoipa::path(get, path = "/v3/{project_id}/types", tag = "volume types", operation_id = "list_volume_types",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Volume types")))]
async fn list(State(cinder): State<AppState>, caller: Caller) -> Result<Response> {
    let types = cinder.list_types(&caller).await?;
    let body: Vec<Value> = types.iter().map(|t| view(t, caller.is_admin)).collect();
    Ok(axum::Json(json!({"volume_types": body})).into_response())
}

/// A type as Cinder answers a create: without the admin's `qos_specs_id`
/// (which shows and lists carry).
fn created_view(kind: &volume_type::Model) -> Value {
    let mut body = view(kind, true);
    if let Some(body) = body.as_object_mut() {
        body.remove("qos_specs_id");
    }
    body
}

/// A type as Cinder answers an update: nor the access extension's
/// `os-volume-type-access:is_public`.
fn updated_view(kind: &volume_type::Model) -> Value {
    let mut body = created_view(kind);
    if let Some(body) = body.as_object_mut() {
        body.remove("os-volume-type-access:is_public");
    }
    body
}

/// Create a volume type (admin).
#[utoipa::path(post, path = "/v3/{project_id}/types", tag = "volume types", operation_id = "create_volume_type",
    params(("project_id" = String, Path, description = "Project id")),
    request_body(content = Object, content_type = "application/json", description = "{\"volume_type\": {\"name\", ...}}"),
    responses((status = 200, description = "The volume type"), (status = 403), (status = 409)))]
async fn create(State(cinder): State<AppState>, caller: Caller, body: Bytes) -> Result<Response> {
    let request: TypeBody = parse(&body)?;
    let kind = cinder.create_type(&caller, request.volume_type).await?;
    Ok(axum::Json(json!({"volume_type": created_view(&kind)})).into_response())
}

/// Show the default volume type.
#[utoipa::path(get, path = "/v3/{project_id}/types/default", tag = "volume types", operation_id = "show_default_volume_type",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "The default volume type")))]
async fn default(State(cinder): State<AppState>, caller: Caller) -> Result<Response> {
    let kind = cinder.volume_type(&caller, None).await?;
    Ok(axum::Json(json!({"volume_type": view(&kind, caller.is_admin)})).into_response())
}

/// Show a volume type.
#[utoipa::path(get, path = "/v3/{project_id}/types/{type_id}", tag = "volume types", operation_id = "show_volume_type",
    params(("project_id" = String, Path, description = "Project id"), ("type_id" = String, Path, description = "Type id or name")),
    responses((status = 200, description = "The volume type"), (status = 404)))]
async fn show(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, type_id)): Path<(String, String)>,
) -> Result<Response> {
    let kind = cinder.volume_type(&caller, Some(&type_id)).await?;
    cinder.authorize(&caller, "volume_extension:type_get", caller.project())?;
    Ok(axum::Json(json!({"volume_type": view(&kind, caller.is_admin)})).into_response())
}

/// Update a volume type (admin).
#[utoipa::path(put, path = "/v3/{project_id}/types/{type_id}", tag = "volume types", operation_id = "update_volume_type",
    params(("project_id" = String, Path, description = "Project id"), ("type_id" = String, Path, description = "Type id")),
    request_body(content = Object, content_type = "application/json", description = "{\"volume_type\": {...}}"),
    responses((status = 200, description = "The volume type"), (status = 403), (status = 404)))]
async fn update(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, type_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let UpdateBody {
        volume_type: change,
    } = parse(&body)?;
    let request = TypeRequest {
        name: change.name,
        description: change.description,
        is_public: change.is_public,
        extra_specs: None,
    };
    let kind = cinder.update_type(&caller, &type_id, request).await?;
    Ok(axum::Json(json!({"volume_type": updated_view(&kind)})).into_response())
}

/// Delete a volume type (admin).
#[utoipa::path(delete, path = "/v3/{project_id}/types/{type_id}", tag = "volume types", operation_id = "delete_volume_type",
    params(("project_id" = String, Path, description = "Project id"), ("type_id" = String, Path, description = "Type id")),
    responses((status = 202, description = "Deleted"), (status = 400), (status = 403), (status = 404)))]
async fn delete(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, type_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    cinder.delete_type(&caller, &type_id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// List a type's extra specs.
#[utoipa::path(get, path = "/v3/{project_id}/types/{type_id}/extra_specs", tag = "volume types", operation_id = "list_extra_specs",
    params(("project_id" = String, Path, description = "Project id"), ("type_id" = String, Path, description = "Type id")),
    responses((status = 200, description = "Extra specs")))]
async fn list_specs(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, type_id)): Path<(String, String)>,
) -> Result<Response> {
    let kind = cinder.volume_type(&caller, Some(&type_id)).await?;
    Ok(
        axum::Json(json!({"extra_specs": view(&kind, caller.is_admin)["extra_specs"]}))
            .into_response(),
    )
}

/// Set extra specs on a type (admin).
#[utoipa::path(post, path = "/v3/{project_id}/types/{type_id}/extra_specs", tag = "volume types", operation_id = "set_extra_specs",
    params(("project_id" = String, Path, description = "Project id"), ("type_id" = String, Path, description = "Type id")),
    request_body(content = Object, content_type = "application/json", description = "{\"extra_specs\": {key: value}}"),
    responses((status = 200, description = "Extra specs"), (status = 403)))]
async fn set_specs(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, type_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let request: SpecsBody = parse(&body)?;
    cinder
        .set_extra_specs(&caller, &type_id, request.extra_specs.clone())
        .await?;
    Ok(axum::Json(json!({"extra_specs": request.extra_specs})).into_response())
}

/// Show one extra spec.
#[utoipa::path(get, path = "/v3/{project_id}/types/{type_id}/extra_specs/{key}", tag = "volume types", operation_id = "show_extra_spec",
    params(("project_id" = String, Path, description = "Project id"), ("type_id" = String, Path, description = "Type id"), ("key" = String, Path, description = "Spec key")),
    responses((status = 200, description = "The spec"), (status = 404)))]
async fn show_spec(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, type_id, key)): Path<(String, String, String)>,
) -> Result<Response> {
    let kind = cinder.volume_type(&caller, Some(&type_id)).await?;
    let specs = view(&kind, caller.is_admin)["extra_specs"].clone();
    let value = specs.get(&key).cloned().ok_or_else(|| {
        CinderError::NotFound(format!(
            "Volume Type {} has no extra specs with key {key}.",
            kind.id
        ))
    })?;
    Ok(axum::Json(json!({ key: value })).into_response())
}

/// Set one extra spec (admin).
#[utoipa::path(put, path = "/v3/{project_id}/types/{type_id}/extra_specs/{key}", tag = "volume types", operation_id = "update_extra_spec",
    params(("project_id" = String, Path, description = "Project id"), ("type_id" = String, Path, description = "Type id"), ("key" = String, Path, description = "Spec key")),
    request_body(content = Object, content_type = "application/json", description = "{key: value}"),
    responses((status = 200, description = "The spec"), (status = 400), (status = 403)))]
async fn update_spec(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, type_id, key)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response> {
    let request: BTreeMap<String, String> = parse(&body)?;
    if request.len() != 1 || !request.contains_key(&key) {
        return Err(CinderError::BadRequest(
            "Request body and URI mismatch".into(),
        ));
    }
    cinder
        .set_extra_specs(&caller, &type_id, request.clone())
        .await?;
    Ok(axum::Json(request).into_response())
}

/// Remove one extra spec (admin).
#[utoipa::path(delete, path = "/v3/{project_id}/types/{type_id}/extra_specs/{key}", tag = "volume types", operation_id = "delete_extra_spec",
    params(("project_id" = String, Path, description = "Project id"), ("type_id" = String, Path, description = "Type id"), ("key" = String, Path, description = "Spec key")),
    responses((status = 202, description = "Removed"), (status = 403), (status = 404)))]
async fn delete_spec(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, type_id, key)): Path<(String, String, String)>,
) -> Result<StatusCode> {
    cinder.delete_extra_spec(&caller, &type_id, &key).await?;
    Ok(StatusCode::ACCEPTED)
}

/// List the projects a private type is shared with (admin).
#[utoipa::path(get, path = "/v3/{project_id}/types/{type_id}/os-volume-type-access", tag = "volume types", operation_id = "list_type_access",
    params(("project_id" = String, Path, description = "Project id"), ("type_id" = String, Path, description = "Type id")),
    responses((status = 200, description = "Access list"), (status = 403), (status = 404)))]
async fn access(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, type_id)): Path<(String, String)>,
) -> Result<Response> {
    let projects = cinder.type_access(&caller, &type_id).await?;
    let list: Vec<Value> = projects
        .iter()
        .map(|p| json!({"volume_type_id": type_id, "project_id": p}))
        .collect();
    Ok(axum::Json(json!({"volume_type_access": list})).into_response())
}

/// Share or unshare a private type (`addProjectAccess`, `removeProjectAccess`).
#[utoipa::path(post, path = "/v3/{project_id}/types/{type_id}/action", tag = "volume types", operation_id = "volume_type_action",
    params(("project_id" = String, Path, description = "Project id"), ("type_id" = String, Path, description = "Type id")),
    request_body(content = Object, content_type = "application/json", description = "{\"addProjectAccess\": {\"project\": id}}"),
    responses((status = 202, description = "Done"), (status = 400), (status = 403), (status = 404), (status = 409)))]
async fn action(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, type_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode> {
    let request: Value = parse(&body)?;
    let (add, inner) = match (request.get("addProjectAccess"), request.get("removeProjectAccess")) {
        (Some(inner), None) => (true, inner),
        (None, Some(inner)) => (false, inner),
        _ => {
            return Err(CinderError::BadRequest(
                "There is no such action. Verify the request body and Content-Type header and try again.".into(),
            ))
        }
    };
    let project = inner
        .get("project")
        .and_then(Value::as_str)
        .ok_or_else(|| CinderError::BadRequest("Access list requires a project.".into()))?;
    cinder
        .set_type_access(&caller, &type_id, project, add)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(default))
        .routes(routes!(show, update, delete))
        .routes(routes!(list_specs, set_specs))
        .routes(routes!(show_spec, update_spec, delete_spec))
        .routes(routes!(access))
        .routes(routes!(action))
}
