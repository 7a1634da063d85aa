//! `/v3/{project_id}/volumes`: create, list, detail, show, update, delete.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::render;
use super::{bodies, parse, AppState};
use crate::db::entity::{attachment, volume};
use crate::domain::actions::Outcome;
use crate::domain::volumes::{CreateRequest, UpdateRequest};
use crate::domain::{Caller, CinderError, Result};

#[derive(Deserialize)]
struct CreateBody {
    volume: CreateFields,
}

/// A create request, with the fields the domain's request does not read.
#[derive(Deserialize)]
struct CreateFields {
    #[serde(flatten)]
    request: CreateRequest,
    size: Option<Value>,
    multiattach: Option<Value>,
}

impl CreateFields {
    /// The domain's request; Cinder's 400 for a bad size or a `multiattach`.
    fn into_request(self) -> Result<CreateRequest> {
        if self
            .multiattach
            .is_some_and(|m| m == Value::Bool(true) || m == "true")
        {
            return Err(CinderError::BadRequest("multiattach parameter has been removed. The default behavior is to use multiattach enabled volume types. Contact your administrator to create a multiattach enabled volume type and use it to create multiattach volumes.".into()));
        }
        let mut request = self.request;
        request.size = match self.size {
            None | Some(Value::Null) => None,
            given => Some(bodies::size_of("size", given.as_ref())?),
        };
        Ok(request)
    }
}

#[derive(Deserialize)]
struct UpdateBody {
    volume: UpdateRequest,
}

async fn detail_of(
    cinder: &AppState,
    headers: &HeaderMap,
    v: &volume::Model,
    version: ApiVersion,
    admin: bool,
) -> Result<Value> {
    let names = cinder.type_names([v.volume_type_id.as_str()]).await?;
    let name = names
        .get(&v.volume_type_id)
        .map(String::as_str)
        .unwrap_or_default();
    let attached = cinder.attached(vec![v.id.clone()]).await?;
    let attached: Vec<&attachment::Model> = attached.iter().collect();
    Ok(render::detail(
        &super::base_url(cinder, headers),
        v,
        name,
        &attached,
        version,
        admin,
    ))
}

/// Create a volume.
#[utoipa::path(post, path = "/v3/{project_id}/volumes", tag = "volumes", operation_id = "create_volume",
    params(("project_id" = String, Path, description = "Project id")),
    request_body(content = Object, content_type = "application/json", description = "{\"volume\": {\"size\": GiB, ...}}"),
    responses((status = 202, description = "The volume, creating"), (status = 400), (status = 404)))]
async fn create(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let request: CreateBody = parse(&body)?;
    let mut request = request.volume.into_request()?;
    if version < ApiVersion::new(3, 47) {
        // Below 3.47 `backup_id` is an unknown key, which Cinder ignores.
        request.backup_id = None;
    }
    let created = cinder.create_volume(&caller, request).await?;
    let body = detail_of(&cinder, &headers, &created, version, caller.is_admin).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(json!({"volume": body}))).into_response())
}

async fn listing(
    cinder: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    raw: Option<String>,
    detailed: bool,
    version: ApiVersion,
) -> Result<Response> {
    let pairs: Vec<(String, String)> = super::query::pairs(raw.as_deref())?;
    let page = cinder.list_volumes(caller, &pairs, version).await?;
    let base = super::base_url(cinder, headers);
    let names = if detailed {
        cinder
            .type_names(page.volumes.iter().map(|v| v.volume_type_id.as_str()))
            .await?
    } else {
        HashMap::new()
    };
    let attached = if detailed {
        cinder
            .attached(page.volumes.iter().map(|v| v.id.clone()).collect())
            .await?
    } else {
        Vec::new()
    };
    let volumes: Vec<Value> = page
        .volumes
        .iter()
        .map(|v| {
            if detailed {
                let name = names
                    .get(&v.volume_type_id)
                    .map(String::as_str)
                    .unwrap_or_default();
                let mine: Vec<&attachment::Model> =
                    attached.iter().filter(|a| a.volume_id == v.id).collect();
                let mut body = render::detail(&base, v, name, &mine, version, caller.is_admin);
                render::add_extended_attributes(&mut body, v, caller.is_admin);
                render::add_image_metadata(&mut body, v);
                body
            } else {
                render::summary(&base, v)
            }
        })
        .collect();
    let mut body = json!({"volumes": volumes});
    if let Some(count) = page.count {
        body["count"] = json!(count);
    }
    if let Some(marker) = page.next_marker {
        let path = if detailed {
            "volumes/detail"
        } else {
            "volumes"
        };
        body["volumes_links"] =
            super::next_links(cinder, headers, caller.project(), path, &pairs, &marker);
    }
    Ok(axum::Json(body).into_response())
}

/// List volumes (id, name, links).
#[utoipa::path(get, path = "/v3/{project_id}/volumes", tag = "volumes", operation_id = "list_volumes",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Volumes")))]
async fn list(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    listing(&cinder, &caller, &headers, raw, false, version).await
}

/// List volumes with details.
#[utoipa::path(get, path = "/v3/{project_id}/volumes/detail", tag = "volumes", operation_id = "list_volumes_detail",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Volumes with details")))]
async fn detail(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    listing(&cinder, &caller, &headers, raw, true, version).await
}

/// Show a volume.
#[utoipa::path(get, path = "/v3/{project_id}/volumes/{volume_id}", tag = "volumes", operation_id = "show_volume",
    params(("project_id" = String, Path, description = "Project id"), ("volume_id" = String, Path, description = "Volume id")),
    responses((status = 200, description = "The volume"), (status = 404)))]
async fn show(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    Path((_project_id, volume_id)): Path<(String, String)>,
) -> Result<Response> {
    let v = cinder.show_volume(&caller, &volume_id).await?;
    let mut body = detail_of(&cinder, &headers, &v, version, caller.is_admin).await?;
    render::add_extended_attributes(&mut body, &v, caller.is_admin);
    render::add_image_metadata(&mut body, &v);
    Ok(axum::Json(json!({"volume": body})).into_response())
}

/// Update a volume's name, description or metadata.
#[utoipa::path(put, path = "/v3/{project_id}/volumes/{volume_id}", tag = "volumes", operation_id = "update_volume",
    params(("project_id" = String, Path, description = "Project id"), ("volume_id" = String, Path, description = "Volume id")),
    request_body(content = Object, content_type = "application/json", description = "{\"volume\": {\"name\", \"description\", \"metadata\"}}"),
    responses((status = 200, description = "The volume"), (status = 400), (status = 404)))]
async fn update(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    Path((_project_id, volume_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let request: UpdateBody = parse(&body)?;
    let v = cinder
        .update_volume(&caller, &volume_id, request.volume)
        .await?;
    let body = detail_of(&cinder, &headers, &v, version, caller.is_admin).await?;
    Ok(axum::Json(json!({"volume": body})).into_response())
}

/// Delete a volume.
#[utoipa::path(delete, path = "/v3/{project_id}/volumes/{volume_id}", tag = "volumes", operation_id = "delete_volume",
    params(("project_id" = String, Path, description = "Project id"), ("volume_id" = String, Path, description = "Volume id")),
    responses((status = 202, description = "Deleting"), (status = 400), (status = 404)))]
async fn delete(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, volume_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<StatusCode> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let cascade = pairs.iter().any(|(k, v)| {
        k == "cascade" && matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes")
    });
    cinder.delete_volume(&caller, &volume_id, cascade).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Run a volume action (`os-extend`, `os-retype`, `os-volume_upload_image`,
/// `os-reset_status`, the legacy attach actions, ...).
#[utoipa::path(post, path = "/v3/{project_id}/volumes/{volume_id}/action", tag = "volumes", operation_id = "volume_action",
    params(("project_id" = String, Path, description = "Project id"), ("volume_id" = String, Path, description = "Volume id")),
    request_body(content = Object, content_type = "application/json", description = "{\"os-extend\": {\"new_size\": GiB}}, ..."),
    responses((status = 202, description = "Accepted"), (status = 200, description = "Done"), (status = 400), (status = 403), (status = 404)))]
async fn action(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((_project_id, volume_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let action = bodies::volume_action::parse(&parse(&body)?, version)?;
    let (status, body) = match cinder.volume_action(&caller, &volume_id, action).await? {
        Outcome::Accepted(body) => (StatusCode::ACCEPTED, body),
        Outcome::Done(body) => (StatusCode::OK, body),
    };
    Ok(match body {
        Some(body) => (status, axum::Json(body)).into_response(),
        None => status.into_response(),
    })
}

/// Count and size of volumes, with their distinct metadata from 3.36 (3.12+).
#[utoipa::path(get, path = "/v3/{project_id}/volumes/summary", tag = "volumes", operation_id = "volume_summary",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Volume summary"), (status = 404)))]
async fn summary(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    if version < ApiVersion::new(3, 12) {
        // Before 3.12 `summary` is only a volume id nobody has.
        let path = Path(("".to_string(), "summary".to_string()));
        return show(State(cinder), caller, Extension(version), headers, path).await;
    }
    let mut pairs = super::query::pairs(raw.as_deref())?;
    let all_tenants = super::query::take_flag(&mut pairs, "all_tenants")?;
    let body = cinder.volume_summary(&caller, all_tenants, version).await?;
    Ok(axum::Json(body).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(detail))
        .routes(routes!(summary))
        .routes(routes!(show, update, delete))
        .routes(routes!(action))
}
