//! `/v2/metadefs/resource_types` and a namespace's associations with them.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views;
use crate::api::images::json_body;
use crate::api::AppState;
use crate::domain::{Caller, Result};

/// List the resource types namespaces can be associated with.
#[utoipa::path(get, path = "/v2/metadefs/resource_types", tag = "metadefs", operation_id = "list_metadef_resource_types",
    responses((status = 200, description = "The resource types")))]
async fn list(State(glance): State<AppState>, caller: Caller) -> Result<Response> {
    let found = glance.metadef_resource_types(&caller).await?;
    Ok(axum::Json(
        json!({"resource_types": found.iter().map(views::resource_type).collect::<Vec<_>>()}),
    )
    .into_response())
}

/// List a namespace's resource type associations.
#[utoipa::path(get, path = "/v2/metadefs/namespaces/{namespace}/resource_types", tag = "metadefs", operation_id = "list_metadef_associations",
    params(("namespace" = String, Path, description = "Namespace name")),
    responses((status = 200, description = "The associations"), (status = 404)))]
async fn associations(
    State(glance): State<AppState>,
    caller: Caller,
    Path(ns): Path<String>,
) -> Result<Response> {
    let found = glance.metadef_associations(&caller, &ns).await?;
    Ok(axum::Json(json!({"resource_type_associations": found.iter().map(views::association).collect::<Vec<_>>()})).into_response())
}

/// Associate a namespace with a resource type, made when new (admin).
#[utoipa::path(post, path = "/v2/metadefs/namespaces/{namespace}/resource_types", tag = "metadefs", operation_id = "create_metadef_association",
    request_body(content = Object, content_type = "application/json", description = "{\"name\", \"prefix\", \"properties_target\"}"),
    params(("namespace" = String, Path, description = "Namespace name")),
    responses((status = 201, description = "The association"), (status = 400), (status = 403), (status = 404), (status = 409)))]
async fn associate(
    State(glance): State<AppState>,
    caller: Caller,
    Path(ns): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let made = glance
        .associate_metadef(&caller, &ns, &json_body(&body)?)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(views::association(&made))).into_response())
}

/// Remove a namespace's association with a resource type (admin).
#[utoipa::path(delete, path = "/v2/metadefs/namespaces/{namespace}/resource_types/{resource_type}", tag = "metadefs", operation_id = "delete_metadef_association",
    params(("namespace" = String, Path, description = "Namespace name"), ("resource_type" = String, Path, description = "Resource type name")),
    responses((status = 204, description = "Removed"), (status = 403), (status = 404)))]
async fn dissociate(
    State(glance): State<AppState>,
    caller: Caller,
    Path((ns, name)): Path<(String, String)>,
) -> Result<StatusCode> {
    glance.dissociate_metadef(&caller, &ns, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(associations, associate))
        .routes(routes!(dissociate))
}
