use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::Router;
use ferrostack_api::Json;
use serde::Deserialize;
use serde_json::{json, Value};

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

async fn list(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    query: QueryPairs,
) -> Reply {
    let domain_id = query.string("domain_id");
    caller.authorize(
        &identity,
        "identity:list_groups",
        &json!({"target": {"group": {"domain_id": domain_id}}}),
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

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/groups", get(list).post(create))
        .route("/v3/groups/{id}", get(get_one).patch(update).delete(delete))
        .route("/v3/groups/{id}/users", get(members))
        .route(
            "/v3/groups/{id}/users/{user_id}",
            put(add_member)
                .head(check_member)
                .get(check_member)
                .delete(remove_member),
        )
}
