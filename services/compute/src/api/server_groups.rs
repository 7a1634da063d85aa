//! `/v2.1/os-server-groups`: list, create, show and delete server groups, with
//! their microversion changes (2.13 project and user ids, 2.15 soft policies,
//! 2.64 one `policy` with `rules`).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::schema::{bounded_integer, check_name, field_error, not_one_of, only, python_repr};
use super::{parse, AppState};
use crate::domain::server_groups::{NewServerGroup, ServerGroup};
use crate::domain::{Caller, NovaError, Result};

const fn v(minor: u16) -> ApiVersion {
    ApiVersion::new(2, minor)
}

fn view(group: &ServerGroup, version: ApiVersion) -> Value {
    let mut body = Map::new();
    body.insert("id".into(), json!(group.row.uuid));
    body.insert("name".into(), json!(group.row.name));
    body.insert("members".into(), json!(group.members));
    if version >= v(64) {
        body.insert("policy".into(), json!(group.row.policy));
        body.insert("rules".into(), group.rules());
    } else {
        body.insert("policies".into(), json!([group.row.policy]));
        body.insert("metadata".into(), json!({}));
    }
    if version >= v(13) {
        body.insert("project_id".into(), json!(group.row.project_id));
        body.insert("user_id".into(), json!(group.row.user_id));
    }
    Value::Object(body)
}

fn policies_allowed(version: ApiVersion) -> &'static [&'static str] {
    if version >= v(15) {
        &[
            "anti-affinity",
            "affinity",
            "soft-anti-affinity",
            "soft-affinity",
        ]
    } else {
        &["anti-affinity", "affinity"]
    }
}

/// A create body as Nova's schemas take it at `version`.
fn new_group(body: &Value, version: ApiVersion) -> Result<NewServerGroup> {
    let group = body
        .get("server_group")
        .ok_or_else(|| NovaError::BadRequest("'server_group' is a required property".into()))?;
    let allowed = policies_allowed(version);
    let name_value = group
        .get("name")
        .ok_or_else(|| NovaError::BadRequest("'name' is a required property".into()))?;
    let name = name_value
        .as_str()
        .filter(|n| !n.is_empty() && n.chars().count() <= 255)
        .ok_or_else(|| {
            field_error(
                "name",
                name_value,
                &format!("{} is not a valid name", python_repr(name_value)),
            )
        })?;
    check_name(name)?;
    if version >= v(64) {
        only("server_group", group, &["name", "policy", "rules"])?;
        let policy = group
            .get("policy")
            .ok_or_else(|| NovaError::BadRequest("'policy' is a required property".into()))?;
        let policy_name = policy
            .as_str()
            .filter(|p| allowed.contains(p))
            .ok_or_else(|| not_one_of("policy", policy, allowed))?;
        let mut max = None;
        if let Some(rules) = group.get("rules") {
            only("rules", rules, &["max_server_per_host"])?;
            if let Some(value) = rules.get("max_server_per_host") {
                if policy_name != "anti-affinity" {
                    return Err(NovaError::BadRequest(format!(
                        "Only anti-affinity policy supports rules: {policy_name}"
                    )));
                }
                max = Some(bounded_integer("max_server_per_host", value, 1)?);
            }
        }
        return Ok(NewServerGroup {
            name: name.to_string(),
            policy: policy_name.to_string(),
            max_server_per_host: max,
        });
    }
    only("server_group", group, &["name", "policies"])?;
    let policies = group
        .get("policies")
        .ok_or_else(|| NovaError::BadRequest("'policies' is a required property".into()))?;
    let items = policies
        .as_array()
        .filter(|p| p.len() == 1)
        .ok_or_else(|| {
            field_error(
                "policies",
                policies,
                &format!(
                    "{} is not valid under any of the given schemas",
                    python_repr(policies)
                ),
            )
        })?;
    let policy = items[0]
        .as_str()
        .filter(|p| allowed.contains(p))
        .ok_or_else(|| not_one_of("policies", &items[0], allowed))?;
    Ok(NewServerGroup {
        name: name.to_string(),
        policy: policy.to_string(),
        max_server_per_host: None,
    })
}

/// List server groups.
#[utoipa::path(get, path = "/v2.1/os-server-groups", tag = "server-groups",
    operation_id = "list_server_groups",
    responses((status = 200, description = "Server groups"), (status = 400)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let query = Query::parse(raw.as_deref())?;
    let all = query
        .get("all_projects")
        .is_some_and(|v| v.is_empty() || v.eq_ignore_ascii_case("true") || v == "1");
    let limit = query.limit(nova.cfg.max_limit)?;
    let offset = query.offset()?;
    let groups = nova.list_server_groups(&caller, all, offset, limit).await?;
    let items: Vec<Value> = groups.iter().map(|g| view(g, version)).collect();
    Ok(axum::Json(json!({"server_groups": items})).into_response())
}

/// Create a server group.
#[utoipa::path(post, path = "/v2.1/os-server-groups", tag = "server-groups",
    operation_id = "create_server_group",
    request_body(content = Object, content_type = "application/json", description = "{\"server_group\": {\"name\", \"policy\", \"rules\"}}"),
    responses((status = 200, description = "The group"), (status = 400), (status = 403)))]
async fn create(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    body: Bytes,
) -> Result<Response> {
    let new = new_group(&parse(&body)?, version)?;
    let group = nova.create_server_group(&caller, new).await?;
    Ok(axum::Json(json!({"server_group": view(&group, version)})).into_response())
}

/// Show a server group.
#[utoipa::path(get, path = "/v2.1/os-server-groups/{id}", tag = "server-groups",
    operation_id = "show_server_group", params(("id" = String, Path)),
    responses((status = 200, description = "The group"), (status = 404)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    let group = nova
        .server_group(&caller, &id, "os_compute_api:os-server-groups:show")
        .await?;
    Ok(axum::Json(json!({"server_group": view(&group, version)})).into_response())
}

/// Delete a server group.
#[utoipa::path(delete, path = "/v2.1/os-server-groups/{id}", tag = "server-groups",
    operation_id = "delete_server_group", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404)))]
async fn delete(
    State(nova): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    nova.delete_server_group(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, delete))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_per_version() {
        let old = json!({"server_group": {"name": "g", "policies": ["affinity"]}});
        assert_eq!(new_group(&old, v(1)).unwrap().policy, "affinity");
        assert!(new_group(&old, v(64)).is_err());
        let soft = json!({"server_group": {"name": "g", "policies": ["soft-affinity"]}});
        assert!(new_group(&soft, v(14)).is_err());
        assert!(new_group(&soft, v(15)).is_ok());
        let rules = json!({"server_group": {"name": "g", "policy": "anti-affinity",
            "rules": {"max_server_per_host": 2}}});
        assert_eq!(
            new_group(&rules, v(64)).unwrap().max_server_per_host,
            Some(2)
        );
        let bad = json!({"server_group": {"name": "g", "policy": "affinity",
            "rules": {"max_server_per_host": 2}}});
        assert!(new_group(&bad, v(64)).is_err());
    }
}
