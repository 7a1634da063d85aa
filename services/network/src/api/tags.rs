//! `/v2.0/{collection}/{id}/tags`: tags of networks, subnets, ports and
//! security groups, set as a whole or one by one.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::domain::{Caller, NeutronError, Result};

/// The `tags` list of a body.
fn tags_body(body: &[u8]) -> Result<Vec<String>> {
    let invalid = || NeutronError::invalid_input("Invalid tags body");
    let value: Value = serde_json::from_slice(body).map_err(|_| invalid())?;
    let list = value
        .get("tags")
        .and_then(Value::as_array)
        .ok_or_else(invalid)?;
    let mut tags: Vec<String> = Vec::new();
    for item in list {
        let tag = item.as_str().ok_or_else(invalid)?;
        if tag.chars().count() > crate::domain::tags::MAX_TAG_LEN {
            return Err(NeutronError::invalid_input(format!(
                "'{tag}' exceeds maximum length of 255"
            )));
        }
        if tags.iter().any(|t| t == tag) {
            return Err(NeutronError::invalid_input(format!(
                "Duplicate items in the list: '{tag}'"
            )));
        }
        tags.push(tag.to_string());
    }
    Ok(tags)
}

/// List a resource's tags.
#[utoipa::path(get, path = "/v2.0/{collection}/{resource_id}/tags", tag = "tags", operation_id = "list_tags",
    params(("collection" = String, Path), ("resource_id" = String, Path)),
    responses((status = 200, description = "Tags"), (status = 404)))]
async fn list(
    State(neutron): State<AppState>,
    caller: Caller,
    Path((collection, id)): Path<(String, String)>,
) -> Result<Response> {
    let kind = neutron.taggable(&caller, &collection, &id, false).await?;
    Ok(axum::Json(json!({"tags": neutron.tags_of(kind, &id).await?})).into_response())
}

/// Replace a resource's tags.
#[utoipa::path(put, path = "/v2.0/{collection}/{resource_id}/tags", tag = "tags", operation_id = "replace_tags",
    params(("collection" = String, Path), ("resource_id" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "{\"tags\": [...]}"),
    responses((status = 200, description = "Tags"), (status = 400), (status = 404)))]
async fn replace(
    State(neutron): State<AppState>,
    caller: Caller,
    Path((collection, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let kind = neutron.taggable(&caller, &collection, &id, true).await?;
    let tags = tags_body(&body)?;
    if tags.len() > crate::domain::tags::MAX_TAGS {
        return Err(NeutronError::new(
            400,
            "BadRequest",
            format!(
                "Bad {collection} request: The number of tags exceed the per-resource limit of 50."
            ),
        ));
    }
    neutron.set_tags(kind, &id, &tags).await?;
    Ok(axum::Json(json!({"tags": tags})).into_response())
}

/// Remove every tag of a resource.
#[utoipa::path(delete, path = "/v2.0/{collection}/{resource_id}/tags", tag = "tags", operation_id = "clear_tags",
    params(("collection" = String, Path), ("resource_id" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 404)))]
async fn clear(
    State(neutron): State<AppState>,
    caller: Caller,
    Path((collection, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let kind = neutron.taggable(&caller, &collection, &id, true).await?;
    neutron.clear_tags(kind, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether a resource has a tag (204 or 404).
#[utoipa::path(get, path = "/v2.0/{collection}/{resource_id}/tags/{tag}", tag = "tags", operation_id = "check_tag",
    params(("collection" = String, Path), ("resource_id" = String, Path), ("tag" = String, Path)),
    responses((status = 204, description = "Present"), (status = 404)))]
async fn check(
    State(neutron): State<AppState>,
    caller: Caller,
    Path((collection, id, tag)): Path<(String, String, String)>,
) -> Result<StatusCode> {
    let kind = neutron.taggable(&caller, &collection, &id, false).await?;
    if neutron.tags_of(kind, &id).await?.contains(&tag) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(NeutronError::not_found(
            "TagNotFound",
            format!("Tag {tag} could not be found."),
        ))
    }
}

/// Add a tag to a resource.
#[utoipa::path(put, path = "/v2.0/{collection}/{resource_id}/tags/{tag}", tag = "tags", operation_id = "add_tag",
    params(("collection" = String, Path), ("resource_id" = String, Path), ("tag" = String, Path)),
    responses((status = 201, description = "Added"), (status = 400), (status = 404)))]
async fn add(
    State(neutron): State<AppState>,
    caller: Caller,
    Path((collection, id, tag)): Path<(String, String, String)>,
) -> Result<StatusCode> {
    let kind = neutron.taggable(&caller, &collection, &id, true).await?;
    if tag.chars().count() > crate::domain::tags::MAX_TAG_LEN {
        return Err(NeutronError::invalid_input(format!(
            "'{tag}' exceeds maximum length of 255"
        )));
    }
    neutron.add_tag(kind, &id, &tag).await?;
    Ok(StatusCode::CREATED)
}

/// Remove a tag from a resource.
#[utoipa::path(delete, path = "/v2.0/{collection}/{resource_id}/tags/{tag}", tag = "tags", operation_id = "remove_tag",
    params(("collection" = String, Path), ("resource_id" = String, Path), ("tag" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 404)))]
async fn remove(
    State(neutron): State<AppState>,
    caller: Caller,
    Path((collection, id, tag)): Path<(String, String, String)>,
) -> Result<StatusCode> {
    let kind = neutron.taggable(&caller, &collection, &id, true).await?;
    neutron.remove_tag(kind, &id, &tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, replace, clear))
        .routes(routes!(check, add, remove))
}
