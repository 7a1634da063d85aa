//! `/v2/metadefs/namespaces[/{namespace}]`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{pairs, views};
use crate::api::images::json_body;
use crate::api::AppState;
use crate::domain::metadefs::model::Kind;
use crate::domain::metadefs::NamespaceQuery;
use crate::domain::query::parse_limit;
use crate::domain::{Caller, ImageError, Result};

/// List the metadata definition namespaces the caller sees.
#[utoipa::path(get, path = "/v2/metadefs/namespaces", tag = "metadefs", operation_id = "list_metadef_namespaces",
    responses((status = 200, description = "A page of namespaces"), (status = 400), (status = 404)))]
async fn list(
    State(glance): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let pairs = pairs(raw.as_deref())?;
    let mut query = NamespaceQuery::default();
    for (key, value) in &pairs {
        match key.as_str() {
            "limit" => query.limit = Some(parse_limit(value)?),
            "marker" => query.marker = Some(value.clone()),
            "sort_key" => query.sort_key = Some(value.clone()),
            "sort_dir" => query.sort_dir = Some(value.clone()),
            "visibility" => query.visibility = Some(value.clone()),
            "resource_types" => {
                query.resource_types = value.split(',').map(|s| s.trim().to_string()).collect()
            }
            _ => {}
        }
    }
    let page = glance.list_metadef_namespaces(&caller, &query).await?;
    let kept: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k != "marker").collect();
    let encoded = serde_urlencoded::to_string(&kept).unwrap_or_default();
    let first = if encoded.is_empty() {
        "/v2/metadefs/namespaces".to_string()
    } else {
        format!("/v2/metadefs/namespaces?{encoded}")
    };
    let mut body = json!({
        "namespaces": page.namespaces.iter().map(|(ns, a)| views::namespace(ns, a)).collect::<Vec<_>>(),
        "first": first,
        "schema": "/v2/schemas/metadefs/namespaces",
    });
    if let (true, Some((last, _))) = (page.more, page.namespaces.last()) {
        let separator = if encoded.is_empty() { "?" } else { "&" };
        let marker = serde_urlencoded::to_string([("marker", &last.namespace)]).unwrap_or_default();
        body["next"] = json!(format!("{first}{separator}{marker}"));
    }
    Ok(axum::Json(body).into_response())
}

/// Create a namespace, with resource type associations, properties, objects
/// and tags (admin).
#[utoipa::path(post, path = "/v2/metadefs/namespaces", tag = "metadefs", operation_id = "create_metadef_namespace",
    request_body(content = Object, content_type = "application/json", description = "The namespace"),
    responses((status = 201, description = "The namespace"), (status = 400), (status = 403), (status = 409)))]
async fn create(State(glance): State<AppState>, caller: Caller, body: Bytes) -> Result<Response> {
    let made = glance
        .create_metadef_namespace(&caller, &json_body(&body)?)
        .await?;
    let location = views::namespace_path(&made.namespace.namespace);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(views::detail(&made)),
    )
        .into_response())
}

/// Show a namespace with its contents; `resource_type` prefixes its property names.
#[utoipa::path(get, path = "/v2/metadefs/namespaces/{namespace}", tag = "metadefs", operation_id = "show_metadef_namespace",
    params(("namespace" = String, Path, description = "Namespace name")),
    responses((status = 200, description = "The namespace"), (status = 400), (status = 404)))]
async fn show(
    State(glance): State<AppState>,
    caller: Caller,
    Path(namespace): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let pairs = pairs(raw.as_deref())?;
    let find = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    if let Some(v) = find("visibility").filter(|v| !matches!(*v, "public" | "private")) {
        return Err(ImageError::BadRequest(format!(
            "Invalid visibility value: {v}"
        )));
    }
    let detail = glance
        .show_metadef_namespace(&caller, &namespace, find("resource_type"))
        .await?;
    Ok(axum::Json(views::detail(&detail)).into_response())
}

/// Replace a namespace's fields, renaming it when the body says (admin).
#[utoipa::path(put, path = "/v2/metadefs/namespaces/{namespace}", tag = "metadefs", operation_id = "update_metadef_namespace",
    request_body(content = Object, content_type = "application/json", description = "The namespace"),
    params(("namespace" = String, Path, description = "Namespace name")),
    responses((status = 200, description = "The namespace"), (status = 400), (status = 403), (status = 404), (status = 409)))]
async fn update(
    State(glance): State<AppState>,
    caller: Caller,
    Path(namespace): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let (ns, associations) = glance
        .update_metadef_namespace(&caller, &namespace, &json_body(&body)?)
        .await?;
    Ok(axum::Json(views::namespace(&ns, &associations)).into_response())
}

/// Delete a namespace and everything in it (admin; not a protected one).
#[utoipa::path(delete, path = "/v2/metadefs/namespaces/{namespace}", tag = "metadefs", operation_id = "delete_metadef_namespace",
    params(("namespace" = String, Path, description = "Namespace name")),
    responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete(
    State(glance): State<AppState>,
    caller: Caller,
    Path(namespace): Path<String>,
) -> Result<StatusCode> {
    glance.delete_metadef_namespace(&caller, &namespace).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete every object of a namespace (admin).
#[utoipa::path(delete, path = "/v2/metadefs/namespaces/{namespace}/objects", tag = "metadefs", operation_id = "delete_metadef_objects",
    params(("namespace" = String, Path, description = "Namespace name")),
    responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete_objects(
    State(glance): State<AppState>,
    caller: Caller,
    Path(namespace): Path<String>,
) -> Result<StatusCode> {
    glance
        .delete_metadef_contents(&caller, &namespace, Kind::Object)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete every property of a namespace (admin).
#[utoipa::path(delete, path = "/v2/metadefs/namespaces/{namespace}/properties", tag = "metadefs", operation_id = "delete_metadef_properties",
    params(("namespace" = String, Path, description = "Namespace name")),
    responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete_properties(
    State(glance): State<AppState>,
    caller: Caller,
    Path(namespace): Path<String>,
) -> Result<StatusCode> {
    glance
        .delete_metadef_contents(&caller, &namespace, Kind::Property)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete every tag of a namespace (admin).
#[utoipa::path(delete, path = "/v2/metadefs/namespaces/{namespace}/tags", tag = "metadefs", operation_id = "delete_metadef_tags",
    params(("namespace" = String, Path, description = "Namespace name")),
    responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete_tags(
    State(glance): State<AppState>,
    caller: Caller,
    Path(namespace): Path<String>,
) -> Result<StatusCode> {
    glance
        .delete_metadef_contents(&caller, &namespace, Kind::Tag)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, delete))
        .routes(routes!(delete_objects))
        .routes(routes!(delete_properties))
        .routes(routes!(delete_tags))
}
