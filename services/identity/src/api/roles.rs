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
use crate::db::entity::role;
use crate::domain::{Error, RoleInput};

#[derive(Deserialize)]
struct Body {
    role: RoleInput,
}

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

fn target(role: &role::Model) -> Value {
    json!({"target": {"role": {"id": role.id, "name": role.name}}})
}

/// List roles.
#[utoipa::path(
    get,
    path = "/v3/roles",
    tag = "roles",
    operation_id = "list_roles",
    params(
        ("name" = Option<String>, Query, description = "Only roles with this name"),
        ("domain_id" = Option<String>, Query, description = "Only roles of this domain"),
    ),
    responses(
        (status = 200, description = "The roles"),
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
    caller.authorize(&identity, "identity:list_roles", &json!({}))?;
    let roles: Vec<Value> = identity
        .list_roles(query.get("name"), query.get("domain_id"))
        .await?
        .iter()
        .map(|r| render::role(&base, r))
        .collect();
    Ok((
        StatusCode::OK,
        axum::Json(
            json!({"roles": roles, "links": render::collection_links(&format!("{base}/roles"))}),
        ),
    ))
}

/// Create a role.
#[utoipa::path(
    post,
    path = "/v3/roles",
    tag = "roles",
    operation_id = "create_role",
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"role\": {...}}`"
    ),
    responses(
        (status = 201, description = "The created role"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 409, description = "A role with this name exists"),
    ),
)]
async fn create(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Json(body): Json<Body>,
) -> Reply {
    caller.authorize(
        &identity,
        "identity:create_role",
        &json!({"target": {"role": {"name": body.role.name}}}),
    )?;
    let role = identity.create_role(body.role).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"role": render::role(&base, &role)})),
    ))
}

/// Show a role.
#[utoipa::path(
    get,
    path = "/v3/roles/{id}",
    tag = "roles",
    operation_id = "get_role",
    params(("id" = String, Path, description = "Role id")),
    responses(
        (status = 200, description = "The role"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such role"),
    ),
)]
async fn get_one(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    let role = identity.get_role(&id).await?;
    caller.authorize(&identity, "identity:get_role", &target(&role))?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"role": render::role(&base, &role)})),
    ))
}

/// Update a role.
#[utoipa::path(
    patch,
    path = "/v3/roles/{id}",
    tag = "roles",
    operation_id = "update_role",
    params(("id" = String, Path, description = "Role id")),
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"role\": {...}}`"
    ),
    responses(
        (status = 200, description = "The updated role"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such role"),
        (status = 409, description = "A role with this name exists"),
    ),
)]
async fn update(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    Json(body): Json<Body>,
) -> Reply {
    let role = identity.get_role(&id).await?;
    caller.authorize(&identity, "identity:update_role", &target(&role))?;
    let role = identity.update_role(&id, body.role).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"role": render::role(&base, &role)})),
    ))
}

/// Delete a role.
#[utoipa::path(
    delete,
    path = "/v3/roles/{id}",
    tag = "roles",
    operation_id = "delete_role",
    params(("id" = String, Path, description = "Role id")),
    responses(
        (status = 204, description = "The role is deleted"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such role"),
    ),
)]
async fn delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    let role = identity.get_role(&id).await?;
    caller.authorize(&identity, "identity:delete_role", &target(&role))?;
    identity.delete_role(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn inference(base: &str, prior: &role::Model, implied: &role::Model) -> Value {
    json!({"role_inference": {"prior_role": render::role_ref(base, prior), "implies": render::role_ref(base, implied)},
           "links": {"self": format!("{base}/roles/{}/implies/{}", prior.id, implied.id)}})
}

/// List the roles a role implies.
#[utoipa::path(
    get,
    path = "/v3/roles/{id}/implies",
    tag = "roles",
    operation_id = "list_implied_roles",
    params(("id" = String, Path, description = "Role id")),
    responses(
        (status = 200, description = "The implied roles"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such role"),
    ),
)]
async fn implies_list(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(prior): Path<String>,
) -> Reply {
    caller.authorize(&identity, "identity:list_implied_roles", &json!({}))?;
    let prior_role = identity.get_role(&prior).await?;
    let implied_ids = identity
        .implied_rules()
        .await?
        .iter()
        .filter(|(p, _)| *p == prior)
        .map(|(_, i)| i.clone())
        .collect();
    let implies: Vec<Value> = identity
        .roles_by_ids(&implied_ids)
        .await?
        .values()
        .map(|r| render::role_ref(&base, r))
        .collect();
    Ok((
        StatusCode::OK,
        axum::Json(json!({
            "role_inference": {"prior_role": render::role_ref(&base, &prior_role), "implies": implies},
            "links": {"self": format!("{base}/roles/{prior}/implies")},
        })),
    ))
}

/// Create a role inference rule.
#[utoipa::path(
    put,
    path = "/v3/roles/{id}/implies/{implied}",
    tag = "roles",
    operation_id = "create_implied_role",
    params(
        ("id" = String, Path, description = "Prior role id"),
        ("implied" = String, Path, description = "Implied role id"),
    ),
    responses(
        (status = 201, description = "The created rule"),
        (status = 400, description = "Invalid rule"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such role"),
        (status = 409, description = "The rule exists"),
    ),
)]
async fn implies_create(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path((prior, implied)): Path<(String, String)>,
) -> Reply {
    caller.authorize(&identity, "identity:create_implied_role", &json!({}))?;
    let (p, i) = identity.create_implied_role(&prior, &implied).await?;
    Ok((StatusCode::CREATED, axum::Json(inference(&base, &p, &i))))
}

/// Show a role inference rule.
#[utoipa::path(
    get,
    path = "/v3/roles/{id}/implies/{implied}",
    tag = "roles",
    operation_id = "get_implied_role",
    params(
        ("id" = String, Path, description = "Prior role id"),
        ("implied" = String, Path, description = "Implied role id"),
    ),
    responses(
        (status = 200, description = "The rule"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such rule"),
    ),
)]
async fn implies_get(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path((prior, implied)): Path<(String, String)>,
) -> Reply {
    caller.authorize(&identity, "identity:get_implied_role", &json!({}))?;
    let (p, i) = identity.get_implied_role(&prior, &implied).await?;
    Ok((StatusCode::OK, axum::Json(inference(&base, &p, &i))))
}

/// Check that a role inference rule exists.
#[utoipa::path(
    head,
    path = "/v3/roles/{id}/implies/{implied}",
    tag = "roles",
    operation_id = "check_implied_role",
    params(
        ("id" = String, Path, description = "Prior role id"),
        ("implied" = String, Path, description = "Implied role id"),
    ),
    responses(
        (status = 204, description = "The rule exists"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such rule"),
    ),
)]
async fn implies_head(
    state: State<AppState>,
    caller: Caller,
    base: V3Url,
    path: Path<(String, String)>,
) -> Result<StatusCode, Error> {
    // Keystone answers the check 204, where GET shows the rule (200).
    let _shown = implies_get(state, caller, base, path).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a role inference rule.
#[utoipa::path(
    delete,
    path = "/v3/roles/{id}/implies/{implied}",
    tag = "roles",
    operation_id = "delete_implied_role",
    params(
        ("id" = String, Path, description = "Prior role id"),
        ("implied" = String, Path, description = "Implied role id"),
    ),
    responses(
        (status = 204, description = "The rule is deleted"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such rule"),
    ),
)]
async fn implies_delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path((prior, implied)): Path<(String, String)>,
) -> Result<StatusCode, Error> {
    caller.authorize(&identity, "identity:delete_implied_role", &json!({}))?;
    identity.delete_implied_role(&prior, &implied).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List all role inference rules.
#[utoipa::path(
    get,
    path = "/v3/role_inferences",
    tag = "roles",
    operation_id = "list_role_inference_rules",
    responses(
        (status = 200, description = "The rules, by prior role"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
    ),
)]
async fn inferences(State(identity): State<AppState>, caller: Caller, V3Url(base): V3Url) -> Reply {
    caller.authorize(&identity, "identity:list_role_inference_rules", &json!({}))?;
    let rules = identity.implied_rules().await?;
    let ids = rules
        .iter()
        .flat_map(|(p, i)| [p.clone(), i.clone()])
        .collect();
    let roles = identity.roles_by_ids(&ids).await?;
    let mut grouped: std::collections::BTreeMap<&str, Vec<Value>> = Default::default();
    for (prior, implied) in rules.iter() {
        if let Some(role) = roles.get(implied) {
            grouped
                .entry(prior.as_str())
                .or_default()
                .push(render::role_ref(&base, role));
        }
    }
    let inferences: Vec<Value> = grouped
        .into_iter()
        .filter_map(|(prior, implies)| {
            roles
                .get(prior)
                .map(|p| json!({"prior_role": render::role_ref(&base, p), "implies": implies}))
        })
        .collect();
    Ok((
        StatusCode::OK,
        axum::Json(
            json!({"role_inferences": inferences, "links": render::collection_links(&format!("{base}/role_inferences"))}),
        ),
    ))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, update, delete))
        .routes(routes!(implies_list))
        .routes(routes!(
            implies_get,
            implies_head,
            implies_create,
            implies_delete
        ))
        .routes(routes!(inferences))
}
