//! `/v2/images/{id}/members`: sharing an image with other projects.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use serde_json::Value;

use super::images::json_body;
use super::render::{MemberList, MemberView};
use super::AppState;
use crate::domain::model::MemberStatus;
use crate::domain::{Caller, ImageError, Result};

/// The project a create body names (a string or a number).
fn member_of(body: &Value) -> Result<String> {
    match body.get("member") {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(ImageError::BadRequest(
            "Member to be added not specified".into(),
        )),
    }
}

/// The status an update body sets.
fn status_of(body: &Value) -> Result<MemberStatus> {
    let Some(status) = body.get("status") else {
        return Err(ImageError::BadRequest("Status not specified".into()));
    };
    status
        .as_str()
        .and_then(MemberStatus::parse)
        .ok_or_else(|| {
            ImageError::BadRequest(
                "Incorrect request: Status must be \"pending\", \"accepted\" or \"rejected\"."
                    .into(),
            )
        })
}

/// Share an image with a project (pending until the project accepts).
#[utoipa::path(post, path = "/v2/images/{image_id}/members", tag = "members", operation_id = "create_image_member",
    request_body(content = Object, content_type = "application/json", description = "{\"member\": project id}"),
    params(("image_id" = String, Path, description = "Image id")),
    responses((status = 200, description = "The membership"), (status = 400), (status = 403), (status = 404), (status = 409), (status = 413)))]
async fn create(
    State(glance): State<AppState>,
    caller: Caller,
    Path(image_id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let member = member_of(&json_body(&body)?)?;
    let member = glance.add_member(&caller, &image_id, &member).await?;
    Ok(axum::Json(MemberView::new(&member)).into_response())
}

/// List an image's members.
#[utoipa::path(get, path = "/v2/images/{image_id}/members", tag = "members", operation_id = "list_image_members",
    params(("image_id" = String, Path, description = "Image id")),
    responses((status = 200, description = "The members"), (status = 403), (status = 404)))]
async fn list(
    State(glance): State<AppState>,
    caller: Caller,
    Path(image_id): Path<String>,
) -> Result<Response> {
    let members = glance.list_members(&caller, &image_id).await?;
    Ok(axum::Json(MemberList {
        members: members.iter().map(MemberView::new).collect(),
        schema: "/v2/schemas/members",
    })
    .into_response())
}

/// Show a membership.
#[utoipa::path(get, path = "/v2/images/{image_id}/members/{member_id}", tag = "members", operation_id = "show_image_member",
    params(("image_id" = String, Path, description = "Image id"), ("member_id" = String, Path, description = "Member project id")),
    responses((status = 200, description = "The membership"), (status = 404)))]
async fn show(
    State(glance): State<AppState>,
    caller: Caller,
    Path((image_id, member_id)): Path<(String, String)>,
) -> Result<Response> {
    let member = glance.show_member(&caller, &image_id, &member_id).await?;
    Ok(axum::Json(MemberView::new(&member)).into_response())
}

/// Accept, reject or reset (pending) a membership; only the member may.
#[utoipa::path(put, path = "/v2/images/{image_id}/members/{member_id}", tag = "members", operation_id = "update_image_member",
    request_body(content = Object, content_type = "application/json", description = "{\"status\": pending|accepted|rejected}"),
    params(("image_id" = String, Path, description = "Image id"), ("member_id" = String, Path, description = "Member project id")),
    responses((status = 200, description = "The membership"), (status = 400), (status = 403), (status = 404)))]
async fn update(
    State(glance): State<AppState>,
    caller: Caller,
    Path((image_id, member_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let status = status_of(&json_body(&body)?)?;
    let member = glance
        .update_member(&caller, &image_id, &member_id, status)
        .await?;
    Ok(axum::Json(MemberView::new(&member)).into_response())
}

/// Stop sharing an image with a project.
#[utoipa::path(delete, path = "/v2/images/{image_id}/members/{member_id}", tag = "members", operation_id = "delete_image_member",
    params(("image_id" = String, Path, description = "Image id"), ("member_id" = String, Path, description = "Member project id")),
    responses((status = 204, description = "Removed"), (status = 403), (status = 404)))]
async fn delete(
    State(glance): State<AppState>,
    caller: Caller,
    Path((image_id, member_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    glance.delete_member(&caller, &image_id, &member_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, update, delete))
}
