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
use crate::db::entity::user;
use crate::domain::{Error, ProjectFilter, UserFilter, UserInput};

#[derive(Deserialize)]
struct Body {
    user: UserInput,
}

#[derive(Deserialize)]
struct PasswordBody {
    user: PasswordChange,
}

#[derive(Deserialize)]
struct PasswordChange {
    password: String,
    original_password: String,
}

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

fn target(user: &user::Model) -> Value {
    json!({"target": {"user": {"id": user.id, "domain_id": user.domain_id}}})
}

/// List users.
#[utoipa::path(
    get,
    path = "/v3/users",
    tag = "users",
    operation_id = "list_users",
    params(
        ("name" = Option<String>, Query, description = "Only users with this name"),
        ("domain_id" = Option<String>, Query, description = "Only users of this domain"),
        ("enabled" = Option<bool>, Query, description = "Only enabled (or disabled) users"),
    ),
    responses(
        (status = 200, description = "The users"),
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
    let filter = UserFilter {
        name: query.string("name"),
        domain_id: query
            .string("domain_id")
            .or_else(|| caller.token.domain_id().map(str::to_owned)),
        enabled: query.boolean("enabled"),
    };
    caller.authorize(
        &identity,
        "identity:list_users",
        &caller.domain_list_target(|d| json!({ "domain_id": d })),
    )?;
    let users: Vec<Value> = identity
        .list_users(&filter)
        .await?
        .iter()
        .map(|u| render::user(&base, u))
        .collect();
    Ok((
        StatusCode::OK,
        axum::Json(
            json!({"users": users, "links": render::collection_links(&format!("{base}/users"))}),
        ),
    ))
}

/// Create a user.
#[utoipa::path(
    post,
    path = "/v3/users",
    tag = "users",
    operation_id = "create_user",
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"user\": {...}}`"
    ),
    responses(
        (status = 201, description = "The created user"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 409, description = "A user with this name exists in the domain"),
    ),
)]
async fn create(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Json(body): Json<Body>,
) -> Reply {
    let domain_id = body
        .user
        .domain_id
        .clone()
        .unwrap_or_else(|| identity.cfg.default_domain_id.clone());
    caller.authorize(
        &identity,
        "identity:create_user",
        &json!({"target": {"user": {"domain_id": domain_id}}}),
    )?;
    let user = identity.create_user(body.user).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"user": render::user(&base, &user)})),
    ))
}

/// Show a user.
#[utoipa::path(
    get,
    path = "/v3/users/{id}",
    tag = "users",
    operation_id = "get_user",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The user"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such user"),
    ),
)]
async fn get_one(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    let user = identity.get_user(&id).await?;
    caller.authorize(&identity, "identity:get_user", &target(&user))?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"user": render::user(&base, &user)})),
    ))
}

/// Update a user.
#[utoipa::path(
    patch,
    path = "/v3/users/{id}",
    tag = "users",
    operation_id = "update_user",
    params(("id" = String, Path, description = "User id")),
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"user\": {...}}`"
    ),
    responses(
        (status = 200, description = "The updated user"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such user"),
        (status = 409, description = "A user with this name exists in the domain"),
    ),
)]
async fn update(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    Json(body): Json<Body>,
) -> Reply {
    let user = identity.get_user(&id).await?;
    caller.authorize(&identity, "identity:update_user", &target(&user))?;
    let user = identity.update_user(&id, body.user).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"user": render::user(&base, &user)})),
    ))
}

/// Delete a user.
#[utoipa::path(
    delete,
    path = "/v3/users/{id}",
    tag = "users",
    operation_id = "delete_user",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "The user is deleted"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such user"),
    ),
)]
async fn delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    let user = identity.get_user(&id).await?;
    caller.authorize(&identity, "identity:delete_user", &target(&user))?;
    identity.delete_user(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change your own password.
///
/// Authenticated by the original password in the body, not by a token.
#[utoipa::path(
    post,
    path = "/v3/users/{id}/password",
    tag = "users",
    operation_id = "change_password",
    params(("id" = String, Path, description = "User id")),
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"user\": {\"password\": \"...\", \"original_password\": \"...\"}}`"
    ),
    responses(
        (status = 204, description = "The password is changed"),
        (status = 400, description = "Invalid request body or new password"),
        (status = 401, description = "Wrong original password"),
        (status = 404, description = "No such user"),
    ),
    security(()),
)]
async fn change_password(
    State(identity): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<PasswordBody>,
) -> Result<StatusCode, Error> {
    identity
        .change_password(&id, body.user.original_password, body.user.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List the projects a user has a role on.
#[utoipa::path(
    get,
    path = "/v3/users/{id}/projects",
    tag = "users",
    operation_id = "list_user_projects",
    params(
        ("id" = String, Path, description = "User id"),
        ("name" = Option<String>, Query, description = "Only projects with this name"),
        ("domain_id" = Option<String>, Query, description = "Only projects of this domain"),
        ("enabled" = Option<bool>, Query, description = "Only enabled (or disabled) projects"),
    ),
    responses(
        (status = 200, description = "The projects"),
        (status = 400, description = "Invalid query string"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such user"),
    ),
)]
async fn projects(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    query: QueryPairs,
) -> Reply {
    let user = identity.get_user(&id).await?;
    caller.authorize(&identity, "identity:list_user_projects", &target(&user))?;
    let filter = ProjectFilter {
        ids: Some(identity.projects_with_roles(&id).await?),
        name: query.string("name"),
        domain_id: query.string("domain_id"),
        enabled: query.boolean("enabled"),
        ..ProjectFilter::default()
    };
    let projects: Vec<Value> = identity
        .list_projects(&filter)
        .await?
        .iter()
        .map(|p| render::project(&base, p))
        .collect();
    Ok((
        StatusCode::OK,
        axum::Json(
            json!({"projects": projects, "links": render::collection_links(&format!("{base}/users/{id}/projects"))}),
        ),
    ))
}

/// List the groups a user is a member of.
#[utoipa::path(
    get,
    path = "/v3/users/{id}/groups",
    tag = "users",
    operation_id = "list_groups_for_user",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The groups"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such user"),
    ),
)]
async fn groups(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    let user = identity.get_user(&id).await?;
    caller.authorize(&identity, "identity:list_groups_for_user", &target(&user))?;
    let groups: Vec<Value> = identity
        .list_groups_for_user(&id)
        .await?
        .iter()
        .map(|g| render::group(&base, g))
        .collect();
    Ok((
        StatusCode::OK,
        axum::Json(
            json!({"groups": groups, "links": render::collection_links(&format!("{base}/users/{id}/groups"))}),
        ),
    ))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, update, delete))
        .routes(routes!(change_password))
        .routes(routes!(projects))
        .routes(routes!(groups))
}
