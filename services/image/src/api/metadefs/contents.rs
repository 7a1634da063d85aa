//! `/v2/metadefs/namespaces/{namespace}/{objects,properties,tags}[/{name}]`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{pairs, views};
use crate::api::images::json_body;
use crate::api::AppState;
use crate::domain::metadefs::model::{Item, Kind};
use crate::domain::metadefs::ItemQuery;
use crate::domain::query::parse_limit;
use crate::domain::{Caller, ImageError, Result};

/// The one-item view of `kind`.
fn view(namespace: &str, kind: Kind, item: &Item) -> Value {
    match kind {
        Kind::Object => views::object(namespace, item),
        Kind::Property => views::property(item),
        Kind::Tag => views::tag(item),
    }
}

fn created(namespace: &str, kind: Kind, item: &Item) -> Response {
    (StatusCode::CREATED, axum::Json(view(namespace, kind, item))).into_response()
}

/// The resource_type of a query, if any.
fn resource_type(raw: Option<&str>) -> Result<Option<String>> {
    Ok(pairs(raw)?
        .into_iter()
        .find(|(k, _)| k == "resource_type")
        .map(|(_, v)| v))
}

/// List a namespace's objects.
#[utoipa::path(get, path = "/v2/metadefs/namespaces/{namespace}/objects", tag = "metadefs", operation_id = "list_metadef_objects",
    params(("namespace" = String, Path, description = "Namespace name")),
    responses((status = 200, description = "The objects"), (status = 404)))]
async fn list_objects(
    State(glance): State<AppState>,
    caller: Caller,
    Path(ns): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    for (key, value) in pairs(raw.as_deref())? {
        if key == "limit" && parse_limit(&value)? == 0 {
            return Err(ImageError::BadRequest(
                "limit param must be positive".into(),
            ));
        }
    }
    let objects = glance
        .list_metadef_items(&caller, &ns, Kind::Object, &ItemQuery::default())
        .await?;
    Ok(axum::Json(json!({
        "objects": objects.iter().map(|o| views::object(&ns, o)).collect::<Vec<_>>(),
        "schema": "v2/schemas/metadefs/objects",
    }))
    .into_response())
}

/// Create an object in a namespace (admin).
#[utoipa::path(post, path = "/v2/metadefs/namespaces/{namespace}/objects", tag = "metadefs", operation_id = "create_metadef_object",
    request_body(content = Object, content_type = "application/json", description = "The object"),
    params(("namespace" = String, Path, description = "Namespace name")),
    responses((status = 201, description = "The object"), (status = 400), (status = 403), (status = 404), (status = 409)))]
async fn create_object(
    State(glance): State<AppState>,
    caller: Caller,
    Path(ns): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let made = glance
        .create_metadef_item(&caller, &ns, Kind::Object, &json_body(&body)?)
        .await?;
    Ok(created(&ns, Kind::Object, &made))
}

/// Show an object.
#[utoipa::path(get, path = "/v2/metadefs/namespaces/{namespace}/objects/{object_name}", tag = "metadefs", operation_id = "show_metadef_object",
    params(("namespace" = String, Path, description = "Namespace name"), ("object_name" = String, Path, description = "Object name")),
    responses((status = 200, description = "The object"), (status = 404)))]
async fn show_object(
    State(glance): State<AppState>,
    caller: Caller,
    Path((ns, name)): Path<(String, String)>,
) -> Result<Response> {
    let found = glance
        .show_metadef_item(&caller, &ns, Kind::Object, &name, None)
        .await?;
    Ok(axum::Json(views::object(&ns, &found)).into_response())
}

/// Replace an object, renaming it when the body says (admin).
#[utoipa::path(put, path = "/v2/metadefs/namespaces/{namespace}/objects/{object_name}", tag = "metadefs", operation_id = "update_metadef_object",
    request_body(content = Object, content_type = "application/json", description = "The object"),
    params(("namespace" = String, Path, description = "Namespace name"), ("object_name" = String, Path, description = "Object name")),
    responses((status = 200, description = "The object"), (status = 400), (status = 403), (status = 404), (status = 409)))]
async fn update_object(
    State(glance): State<AppState>,
    caller: Caller,
    Path((ns, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let changed = glance
        .update_metadef_item(&caller, &ns, Kind::Object, &name, &json_body(&body)?)
        .await?;
    Ok(axum::Json(views::object(&ns, &changed)).into_response())
}

/// Delete an object (admin).
#[utoipa::path(delete, path = "/v2/metadefs/namespaces/{namespace}/objects/{object_name}", tag = "metadefs", operation_id = "delete_metadef_object",
    params(("namespace" = String, Path, description = "Namespace name"), ("object_name" = String, Path, description = "Object name")),
    responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete_object(
    State(glance): State<AppState>,
    caller: Caller,
    Path((ns, name)): Path<(String, String)>,
) -> Result<StatusCode> {
    glance
        .delete_metadef_item(&caller, &ns, Kind::Object, &name)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a namespace's properties, as a map by name.
#[utoipa::path(get, path = "/v2/metadefs/namespaces/{namespace}/properties", tag = "metadefs", operation_id = "list_metadef_properties",
    params(("namespace" = String, Path, description = "Namespace name")),
    responses((status = 200, description = "The properties"), (status = 404)))]
async fn list_properties(
    State(glance): State<AppState>,
    caller: Caller,
    Path(ns): Path<String>,
) -> Result<Response> {
    let found = glance
        .list_metadef_items(&caller, &ns, Kind::Property, &ItemQuery::default())
        .await?;
    Ok(axum::Json(json!({"properties": views::properties(&found)})).into_response())
}

/// Create a property in a namespace (admin).
#[utoipa::path(post, path = "/v2/metadefs/namespaces/{namespace}/properties", tag = "metadefs", operation_id = "create_metadef_property",
    request_body(content = Object, content_type = "application/json", description = "The property"),
    params(("namespace" = String, Path, description = "Namespace name")),
    responses((status = 201, description = "The property"), (status = 400), (status = 403), (status = 404), (status = 409)))]
async fn create_property(
    State(glance): State<AppState>,
    caller: Caller,
    Path(ns): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let made = glance
        .create_metadef_item(&caller, &ns, Kind::Property, &json_body(&body)?)
        .await?;
    Ok(created(&ns, Kind::Property, &made))
}

/// Show a property; with `resource_type`, by its prefixed name.
#[utoipa::path(get, path = "/v2/metadefs/namespaces/{namespace}/properties/{property_name}", tag = "metadefs", operation_id = "show_metadef_property",
    params(("namespace" = String, Path, description = "Namespace name"), ("property_name" = String, Path, description = "Property name")),
    responses((status = 200, description = "The property"), (status = 404)))]
async fn show_property(
    State(glance): State<AppState>,
    caller: Caller,
    Path((ns, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let rt = resource_type(raw.as_deref())?;
    let found = glance
        .show_metadef_item(&caller, &ns, Kind::Property, &name, rt.as_deref())
        .await?;
    Ok(axum::Json(views::property(&found)).into_response())
}

/// Replace a property, renaming it when the body says (admin).
#[utoipa::path(put, path = "/v2/metadefs/namespaces/{namespace}/properties/{property_name}", tag = "metadefs", operation_id = "update_metadef_property",
    request_body(content = Object, content_type = "application/json", description = "The property"),
    params(("namespace" = String, Path, description = "Namespace name"), ("property_name" = String, Path, description = "Property name")),
    responses((status = 200, description = "The property"), (status = 400), (status = 403), (status = 404), (status = 409)))]
async fn update_property(
    State(glance): State<AppState>,
    caller: Caller,
    Path((ns, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let changed = glance
        .update_metadef_item(&caller, &ns, Kind::Property, &name, &json_body(&body)?)
        .await?;
    Ok(axum::Json(views::property(&changed)).into_response())
}

/// Delete a property (admin).
#[utoipa::path(delete, path = "/v2/metadefs/namespaces/{namespace}/properties/{property_name}", tag = "metadefs", operation_id = "delete_metadef_property",
    params(("namespace" = String, Path, description = "Namespace name"), ("property_name" = String, Path, description = "Property name")),
    responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete_property(
    State(glance): State<AppState>,
    caller: Caller,
    Path((ns, name)): Path<(String, String)>,
) -> Result<StatusCode> {
    glance
        .delete_metadef_item(&caller, &ns, Kind::Property, &name)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a namespace's tags (names; `limit`, `marker`, `sort_dir`).
#[utoipa::path(get, path = "/v2/metadefs/namespaces/{namespace}/tags", tag = "metadefs", operation_id = "list_metadef_tags",
    params(("namespace" = String, Path, description = "Namespace name")),
    responses((status = 200, description = "The tags"), (status = 400), (status = 404)))]
async fn list_tags(
    State(glance): State<AppState>,
    caller: Caller,
    Path(ns): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let mut query = ItemQuery::default();
    for (key, value) in pairs(raw.as_deref())? {
        match key.as_str() {
            "limit" if !value.is_empty() => query.limit = Some(parse_limit(&value)?),
            "marker" => query.marker = Some(value),
            "sort_dir" => query.sort_dir = Some(value),
            _ => {}
        }
    }
    let tags = glance
        .list_metadef_items(&caller, &ns, Kind::Tag, &query)
        .await?;
    Ok(axum::Json(json!({"tags": views::tag_names(&tags)})).into_response())
}

/// Create several tags; unless `X-Openstack-Append: true`, they replace the
/// namespace's tags (admin).
#[utoipa::path(post, path = "/v2/metadefs/namespaces/{namespace}/tags", tag = "metadefs", operation_id = "create_metadef_tags",
    request_body(content = Object, content_type = "application/json", description = "{\"tags\": [{\"name\": ...}]}"),
    params(("namespace" = String, Path, description = "Namespace name")),
    responses((status = 201, description = "The tags"), (status = 400), (status = 403), (status = 404), (status = 409)))]
async fn create_tags(
    State(glance): State<AppState>,
    caller: Caller,
    Path(ns): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let append = headers
        .get("x-openstack-append")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "t" | "true" | "on" | "y" | "yes"
            )
        });
    let tags = glance
        .create_metadef_tags(&caller, &ns, &json_body(&body)?, append)
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"tags": views::tag_names(&tags)})),
    )
        .into_response())
}

/// Create a tag by name (no body; admin).
#[utoipa::path(post, path = "/v2/metadefs/namespaces/{namespace}/tags/{tag_name}", tag = "metadefs", operation_id = "create_metadef_tag",
    request_body(content = String, description = "None: the name is in the path"),
    params(("namespace" = String, Path, description = "Namespace name"), ("tag_name" = String, Path, description = "Tag name")),
    responses((status = 201, description = "The tag"), (status = 400), (status = 403), (status = 404), (status = 409)))]
async fn create_tag(
    State(glance): State<AppState>,
    caller: Caller,
    Path((ns, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    if !body.iter().all(u8::is_ascii_whitespace) {
        return Err(ImageError::BadRequest(
            "A body is not expected with this request.".into(),
        ));
    }
    let made = glance
        .create_metadef_item(&caller, &ns, Kind::Tag, &json!({"name": name}))
        .await?;
    Ok(created(&ns, Kind::Tag, &made))
}

/// Show a tag.
#[utoipa::path(get, path = "/v2/metadefs/namespaces/{namespace}/tags/{tag_name}", tag = "metadefs", operation_id = "show_metadef_tag",
    params(("namespace" = String, Path, description = "Namespace name"), ("tag_name" = String, Path, description = "Tag name")),
    responses((status = 200, description = "The tag"), (status = 404)))]
async fn show_tag(
    State(glance): State<AppState>,
    caller: Caller,
    Path((ns, name)): Path<(String, String)>,
) -> Result<Response> {
    let found = glance
        .show_metadef_item(&caller, &ns, Kind::Tag, &name, None)
        .await?;
    Ok(axum::Json(views::tag(&found)).into_response())
}

/// Rename a tag (admin).
#[utoipa::path(put, path = "/v2/metadefs/namespaces/{namespace}/tags/{tag_name}", tag = "metadefs", operation_id = "update_metadef_tag",
    request_body(content = Object, content_type = "application/json", description = "{\"name\": new name}"),
    params(("namespace" = String, Path, description = "Namespace name"), ("tag_name" = String, Path, description = "Tag name")),
    responses((status = 200, description = "The tag"), (status = 400), (status = 403), (status = 404), (status = 409)))]
async fn update_tag(
    State(glance): State<AppState>,
    caller: Caller,
    Path((ns, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let changed = glance
        .update_metadef_item(&caller, &ns, Kind::Tag, &name, &json_body(&body)?)
        .await?;
    Ok(axum::Json(views::tag(&changed)).into_response())
}

/// Delete a tag (admin).
#[utoipa::path(delete, path = "/v2/metadefs/namespaces/{namespace}/tags/{tag_name}", tag = "metadefs", operation_id = "delete_metadef_tag",
    params(("namespace" = String, Path, description = "Namespace name"), ("tag_name" = String, Path, description = "Tag name")),
    responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete_tag(
    State(glance): State<AppState>,
    caller: Caller,
    Path((ns, name)): Path<(String, String)>,
) -> Result<StatusCode> {
    glance
        .delete_metadef_item(&caller, &ns, Kind::Tag, &name)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_objects, create_object))
        .routes(routes!(show_object, update_object, delete_object))
        .routes(routes!(list_properties, create_property))
        .routes(routes!(show_property, update_property, delete_property))
        .routes(routes!(list_tags, create_tags))
        .routes(routes!(create_tag, show_tag, update_tag, delete_tag))
}
