use axum::extract::{Path, State};
use axum::http::StatusCode;
use ferrostack_api::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::V3Url;
use super::query::QueryPairs;
use super::{render, AppState, Caller};
use crate::db::entity::group;
use crate::domain::{Error, GroupInput};

#[derive(Deserialize)]
struct Body {
    group: GroupInput,
}

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

fn target(group: &group::Model) -> Value {
    json!({"target": {"group": {"id": group.id, "domain_id": group.domain_id}}})
}

/// List groups.
#[utoipa::path(
    get,
    path = "/v3/groups",
    tag = "groups",
    operation_id = "list_groups",
    params(
        ("name" = Option<String>, Query, description = "Only groups with this name"),
        ("domain_id" = Option<String>, Query, description = "Only groups of this domain"),
    ),
    responses(
        (status = 200, description = "The groups"),
        (status = 400, description = "Invalid query string"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
    ),
)]
async fn list(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    query: QueryPairs,
) -> Reply {
    let domain_id = query
        .string("domain_id")
        .or_else(|| caller.token.domain_id().map(str::to_owned));
    caller.authorize(
        &identity,
        "identity:list_groups",
        &caller.domain_list_target(|d| json!({ "group": {"domain_id": d} })),
    )?;
    let groups: Vec<Value> = identity
        .list_groups(query.get("name"), domain_id.as_deref())
        .await?
        .iter()
        .map(|g| render::group(&base, g))
        .collect();
    Ok((
        StatusCode::OK,
        axum::Json(
            json!({"groups": groups, "links": render::collection_links(&format!("{base}/groups"))}),
        ),
    ))
}

/// Create a group.
#[utoipa::path(
    post,
    path = "/v3/groups",
    tag = "groups",
    operation_id = "create_group",
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"group\": {...}}`"
    ),
    responses(
        (status = 201, description = "The created group"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 409, description = "A group with this name exists in the domain"),
    ),
)]
async fn create(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Json(body): Json<Body>,
) -> Reply {
    let domain_id = body
        .group
        .domain_id
        .clone()
        .unwrap_or_else(|| identity.cfg.default_domain_id.clone());
    caller.authorize(
        &identity,
        "identity:create_group",
        &json!({"target": {"group": {"domain_id": domain_id}}}),
    )?;
    let group = identity.create_group(body.group).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"group": render::group(&base, &group)})),
    ))
}

/// Show a group.
#[utoipa::path(
    get,
    path = "/v3/groups/{id}",
    tag = "groups",
    operation_id = "get_group",
    params(("id" = String, Path, description = "Group id")),
    responses(
        (status = 200, description = "The group"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such group"),
    ),
)]
async fn get_one(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    let group = identity.get_group(&id).await?;
    caller.authorize(&identity, "identity:get_group", &target(&group))?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"group": render::group(&base, &group)})),
    ))
}

/// Update a group.
#[utoipa::path(
    patch,
    path = "/v3/groups/{id}",
    tag = "groups",
    operation_id = "update_group",
    params(("id" = String, Path, description = "Group id")),
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"group\": {...}}`"
    ),
    responses(
        (status = 200, description = "The updated group"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such group"),
        (status = 409, description = "A group with this name exists in the domain"),
    ),
)]
async fn update(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    Json(body): Json<Body>,
) -> Reply {
    let group = identity.get_group(&id).await?;
    caller.authorize(&identity, "identity:update_group", &target(&group))?;
    let group = identity.update_group(&id, body.group).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"group": render::group(&base, &group)})),
    ))
}

/// Delete a group.
#[utoipa::path(
    delete,
    path = "/v3/groups/{id}",
    tag = "groups",
    operation_id = "delete_group",
    params(("id" = String, Path, description = "Group id")),
    responses(
        (status = 204, description = "The group is deleted"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such group"),
    ),
)]
async fn delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    let group = identity.get_group(&id).await?;
    caller.authorize(&identity, "identity:delete_group", &target(&group))?;
    identity.delete_group(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List the members of a group.
#[utoipa::path(
    get,
    path = "/v3/groups/{id}/users",
    tag = "groups",
    operation_id = "list_users_in_group",
    params(("id" = String, Path, description = "Group id")),
    responses(
        (status = 200, description = "The users"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such group"),
    ),
)]
async fn members(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    let group = identity.get_group(&id).await?;
    caller.authorize(&identity, "identity:list_users_in_group", &target(&group))?;
    let users: Vec<Value> = identity
        .list_users_in_group(&id)
        .await?
        .iter()
        .map(|u| render::user(&base, u))
        .collect();
    Ok((
        StatusCode::OK,
        axum::Json(
            json!({"users": users, "links": render::collection_links(&format!("{base}/groups/{id}/users"))}),
        ),
    ))
}

async fn membership_target(
    identity: &AppState,
    group_id: &str,
    user_id: &str,
) -> Result<Value, Error> {
    let group = identity.get_group(group_id).await?;
    let user = identity.get_user(user_id).await?;
    Ok(json!({"target": {
        "group": {"id": group.id, "domain_id": group.domain_id},
        "user": {"id": user.id, "domain_id": user.domain_id},
    }}))
}

/// Add a user to a group.
#[utoipa::path(
    put,
    path = "/v3/groups/{id}/users/{user_id}",
    tag = "groups",
    operation_id = "add_user_to_group",
    params(
        ("id" = String, Path, description = "Group id"),
        ("user_id" = String, Path, description = "User id"),
    ),
    responses(
        (status = 204, description = "The user is a member"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such group or user"),
    ),
)]
async fn add_member(
    State(identity): State<AppState>,
    caller: Caller,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, Error> {
    let target = membership_target(&identity, &id, &user_id).await?;
    caller.authorize(&identity, "identity:add_user_to_group", &target)?;
    identity.add_user_to_group(&id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Check that a user is a member of a group.
#[utoipa::path(
    get,
    path = "/v3/groups/{id}/users/{user_id}",
    tag = "groups",
    operation_id = "check_user_in_group",
    params(
        ("id" = String, Path, description = "Group id"),
        ("user_id" = String, Path, description = "User id"),
    ),
    responses(
        (status = 204, description = "The user is a member"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such group or user, or not a member"),
    ),
)]
async fn check_member(
    State(identity): State<AppState>,
    caller: Caller,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, Error> {
    let target = membership_target(&identity, &id, &user_id).await?;
    caller.authorize(&identity, "identity:check_user_in_group", &target)?;
    identity.check_user_in_group(&id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Check that a user is a member of a group (HEAD).
#[utoipa::path(
    head,
    path = "/v3/groups/{id}/users/{user_id}",
    tag = "groups",
    operation_id = "check_user_in_group_head",
    params(
        ("id" = String, Path, description = "Group id"),
        ("user_id" = String, Path, description = "User id"),
    ),
    responses(
        (status = 204, description = "The user is a member"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such group or user, or not a member"),
    ),
)]
async fn check_member_head(
    state: State<AppState>,
    caller: Caller,
    path: Path<(String, String)>,
) -> Result<StatusCode, Error> {
    check_member(state, caller, path).await
}

/// Remove a user from a group.
#[utoipa::path(
    delete,
    path = "/v3/groups/{id}/users/{user_id}",
    tag = "groups",
    operation_id = "remove_user_from_group",
    params(
        ("id" = String, Path, description = "Group id"),
        ("user_id" = String, Path, description = "User id"),
    ),
    responses(
        (status = 204, description = "The user is no longer a member"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such group or user, or not a member"),
    ),
)]
async fn remove_member(
    State(identity): State<AppState>,
    caller: Caller,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, Error> {
    let target = membership_target(&identity, &id, &user_id).await?;
    caller.authorize(&identity, "identity:remove_user_from_group", &target)?;
    identity.remove_user_from_group(&id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, update, delete))
        .routes(routes!(members))
        .routes(routes!(
            add_member,
            check_member_head,
            check_member,
            remove_member
        ))
}
