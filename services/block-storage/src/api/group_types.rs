//! `/v3/{project_id}/group_types` (3.11+): group types and their group specs.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::bodies::group_type as bodies;
use super::microversion::require;
use super::{parse, AppState};
use crate::db::entity::group_type;
use crate::domain::group_types::group_specs;
use crate::domain::{Caller, CinderError, Result};

const GROUP_TYPES: ApiVersion = ApiVersion::new(3, 11);

/// A group type; its specs only for those `group:access_group_types_specs`
/// lets see them.
fn view(cinder: &AppState, caller: &Caller, kind: &group_type::Model) -> Value {
    let mut body = json!({
        "id": kind.id,
        "name": kind.name,
        "description": kind.description,
        "is_public": kind.is_public,
    });
    if cinder
        .authorize(caller, "group:access_group_types_specs", caller.project())
        .is_ok()
    {
        body["group_specs"] = json!(group_specs(kind));
    }
    body
}

/// List group types (admins filter with `is_public`; `None` for all).
#[utoipa::path(get, path = "/v3/{project_id}/group_types", tag = "group types", operation_id = "list_group_types",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Group types"), (status = 400), (status = 404)))]
async fn list(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    require(version, GROUP_TYPES)?;
    let pairs: Vec<(String, String)> = super::query::pairs(raw.as_deref())?;
    let page = cinder.list_group_types(&caller, &pairs).await?;
    let types: Vec<Value> = page
        .rows
        .iter()
        .map(|t| view(&cinder, &caller, t))
        .collect();
    let mut body = json!({"group_types": types});
    if let Some(marker) = page.next_marker {
        body["group_type_links"] = super::next_links(
            &cinder,
            &headers,
            caller.project(),
            "group_types",
            &pairs,
            &marker,
        );
    }
    Ok(axum::Json(body).into_response())
}

/// Create a group type (admin).
#[utoipa::path(post, path = "/v3/{project_id}/group_types", tag = "group types", operation_id = "create_group_type",
    params(("project_id" = String, Path, description = "Project id")),
    request_body(content = Object, content_type = "application/json", description = "{\"group_type\": {\"name\", ...}}"),
    responses((status = 202, description = "The group type"), (status = 400), (status = 403), (status = 409)))]
async fn create(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    body: Bytes,
) -> Result<Response> {
    require(version, GROUP_TYPES)?;
    let request = bodies::group_type(&parse(&body)?, true)?;
    let made = cinder.create_group_type(&caller, request).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({"group_type": view(&cinder, &caller, &made)})),
    )
        .into_response())
}

/// Show a group type (`default`: the configured default, which this cloud has not).
#[utoipa::path(get, path = "/v3/{project_id}/group_types/{group_type_id}", tag = "group types", operation_id = "show_group_type",
    params(("project_id" = String, Path, description = "Project id"), ("group_type_id" = String, Path, description = "Group type id")),
    responses((status = 200, description = "The group type"), (status = 404)))]
async fn show(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, id)): Path<(String, String)>,
) -> Result<Response> {
    require(version, GROUP_TYPES)?;
    if id == "default" {
        return Err(CinderError::NotFound(
            "Default group type can not be found.".into(),
        ));
    }
    let kind = cinder.group_type(&caller, &id).await?;
    Ok(axum::Json(json!({"group_type": view(&cinder, &caller, &kind)})).into_response())
}

/// Rename, describe or publish a group type (admin).
#[utoipa::path(put, path = "/v3/{project_id}/group_types/{group_type_id}", tag = "group types", operation_id = "update_group_type",
    params(("project_id" = String, Path, description = "Project id"), ("group_type_id" = String, Path, description = "Group type id")),
    request_body(content = Object, content_type = "application/json", description = "{\"group_type\": {...}}"),
    responses((status = 200, description = "The group type"), (status = 400), (status = 403), (status = 404), (status = 409)))]
async fn update(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    require(version, GROUP_TYPES)?;
    let request = bodies::group_type(&parse(&body)?, false)?;
    let changed = cinder.update_group_type(&caller, &id, request).await?;
    Ok(axum::Json(json!({"group_type": view(&cinder, &caller, &changed)})).into_response())
}

/// Delete a group type (admin).
#[utoipa::path(delete, path = "/v3/{project_id}/group_types/{group_type_id}", tag = "group types", operation_id = "delete_group_type",
    params(("project_id" = String, Path, description = "Project id"), ("group_type_id" = String, Path, description = "Group type id")),
    responses((status = 202, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    require(version, GROUP_TYPES)?;
    cinder.delete_group_type(&caller, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// List a group type's specs (admin).
#[utoipa::path(get, path = "/v3/{project_id}/group_types/{group_type_id}/group_specs", tag = "group types", operation_id = "list_group_specs",
    params(("project_id" = String, Path, description = "Project id"), ("group_type_id" = String, Path, description = "Group type id")),
    responses((status = 200, description = "The specs"), (status = 403), (status = 404)))]
async fn list_specs(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, id)): Path<(String, String)>,
) -> Result<Response> {
    require(version, GROUP_TYPES)?;
    let specs = cinder.group_type_specs(&caller, &id).await?;
    Ok(axum::Json(json!({"group_specs": specs})).into_response())
}

/// Add or replace group specs (admin).
#[utoipa::path(post, path = "/v3/{project_id}/group_types/{group_type_id}/group_specs", tag = "group types", operation_id = "create_group_specs",
    params(("project_id" = String, Path, description = "Project id"), ("group_type_id" = String, Path, description = "Group type id")),
    request_body(content = Object, content_type = "application/json", description = "{\"group_specs\": {key: value}}"),
    responses((status = 202, description = "The specs set"), (status = 400), (status = 403), (status = 404)))]
async fn create_specs(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    require(version, GROUP_TYPES)?;
    let body: Value = parse(&body)?;
    super::bodies::required_object(&body, "group_specs")?;
    let specs = bodies::specs("group_specs", &body["group_specs"])?;
    cinder
        .set_group_specs(
            &caller,
            &id,
            "group:group_types_specs:create",
            specs.clone(),
        )
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({"group_specs": specs})),
    )
        .into_response())
}

/// Show one group spec (admin).
#[utoipa::path(get, path = "/v3/{project_id}/group_types/{group_type_id}/group_specs/{spec_id}", tag = "group types", operation_id = "show_group_spec",
    params(("project_id" = String, Path, description = "Project id"), ("group_type_id" = String, Path, description = "Group type id"), ("spec_id" = String, Path, description = "Spec key")),
    responses((status = 200, description = "The spec"), (status = 403), (status = 404)))]
async fn show_spec(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, id, key)): Path<(String, String, String)>,
) -> Result<Response> {
    require(version, GROUP_TYPES)?;
    let value = cinder.group_spec(&caller, &id, &key).await?;
    Ok(axum::Json(json!({key: value})).into_response())
}

/// Set one group spec (admin); the body names that key alone.
#[utoipa::path(put, path = "/v3/{project_id}/group_types/{group_type_id}/group_specs/{spec_id}", tag = "group types", operation_id = "update_group_spec",
    params(("project_id" = String, Path, description = "Project id"), ("group_type_id" = String, Path, description = "Group type id"), ("spec_id" = String, Path, description = "Spec key")),
    request_body(content = Object, content_type = "application/json", description = "{key: value}"),
    responses((status = 200, description = "The spec"), (status = 400), (status = 403), (status = 404)))]
async fn update_spec(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, id, key)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response> {
    require(version, GROUP_TYPES)?;
    let body: Value = parse(&body)?;
    let specs = bodies::specs("group_specs", &body)?;
    if specs.len() > 1 {
        return Err(CinderError::BadRequest(
            "Request body contains too many items".into(),
        ));
    }
    if !specs.contains_key(&key) {
        return Err(CinderError::BadRequest(
            "Request body and URI mismatch".into(),
        ));
    }
    cinder
        .set_group_specs(
            &caller,
            &id,
            "group:group_types_specs:update",
            specs.clone(),
        )
        .await?;
    Ok(axum::Json(json!(specs)).into_response())
}

/// Remove one group spec (admin).
#[utoipa::path(delete, path = "/v3/{project_id}/group_types/{group_type_id}/group_specs/{spec_id}", tag = "group types", operation_id = "delete_group_spec",
    params(("project_id" = String, Path, description = "Project id"), ("group_type_id" = String, Path, description = "Group type id"), ("spec_id" = String, Path, description = "Spec key")),
    responses((status = 202, description = "Removed"), (status = 403), (status = 404)))]
async fn delete_spec(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, id, key)): Path<(String, String, String)>,
) -> Result<StatusCode> {
    require(version, GROUP_TYPES)?;
    cinder.delete_group_spec(&caller, &id, &key).await?;
    Ok(StatusCode::ACCEPTED)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, delete))
        .routes(routes!(list_specs, create_specs))
        .routes(routes!(show_spec, update_spec, delete_spec))
}
