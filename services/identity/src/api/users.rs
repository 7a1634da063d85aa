use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use ferrostack_api::Json;
use serde::Deserialize;
use serde_json::{json, Value};

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

async fn list(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    query: QueryPairs,
) -> Reply {
    let filter = UserFilter {
        name: query.string("name"),
        domain_id: query.string("domain_id"),
        enabled: query.boolean("enabled"),
    };
    caller.authorize(
        &identity,
        "identity:list_users",
        &json!({"target": {"domain_id": filter.domain_id}}),
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

/// `POST /v3/users/{id}/password`: the user changes their own password.
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

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/users", get(list).post(create))
        .route("/v3/users/{id}", get(get_one).patch(update).delete(delete))
        .route("/v3/users/{id}/password", post(change_password))
        .route("/v3/users/{id}/projects", get(projects))
        .route("/v3/users/{id}/groups", get(groups))
}
