//! `/v2.1/os-security-groups` and `/v2.1/os-security-group-rules` (removed
//! after 2.35), and `/v2.1/servers/{id}/os-security-groups`: Nova's proxy
//! to the network service's security groups.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::schema::{field_error, python_repr, uuid};
use super::{gone_after, parse, AppState};
use crate::domain::security_groups::RuleRequest;
use crate::domain::{Caller, Result};

/// The last microversion with these proxies.
const LAST: u16 = 35;

/// A string of at most `max` characters.
fn text(field: &str, value: &Value, max: usize) -> Result<String> {
    match value.as_str() {
        Some(s) if s.chars().count() <= max => Ok(s.to_string()),
        Some(_) => Err(field_error(
            field,
            value,
            &format!("{} is too long", python_repr(value)),
        )),
        None => Err(field_error(
            field,
            value,
            &format!("{} is not of type 'string'", python_repr(value)),
        )),
    }
}

/// A required member of an object, as jsonschema's `required` reports it.
fn required<'a>(field: &str, object: &'a Value, key: &str) -> Result<&'a Value> {
    if !object.is_object() {
        return Err(field_error(
            field,
            object,
            &format!("{} is not of type 'object'", python_repr(object)),
        ));
    }
    object
        .get(key)
        .ok_or_else(|| field_error(field, object, &format!("'{key}' is a required property")))
}

/// The name and description of a create or update body.
fn group_request(body: &Value) -> Result<(String, String)> {
    let group = required("body", body, "security_group")?;
    let name = text("name", required("security_group", group, "name")?, 255)?;
    let description = text(
        "description",
        required("security_group", group, "description")?,
        255,
    )?;
    Ok((name, description))
}

/// The rule a `security_group_rule` body asks for.
fn rule_request(body: &Value) -> Result<RuleRequest> {
    let rule = required("body", body, "security_group_rule")?;
    let parent = uuid(
        "parent_group_id",
        required("security_group_rule", rule, "parent_group_id")?,
    )?;
    let group_id = match rule.get("group_id") {
        None | Some(Value::Null) => None,
        Some(id) => Some(uuid("group_id", id)?),
    };
    let field = |key: &str| rule.get(key).cloned().unwrap_or(Value::Null);
    Ok(RuleRequest {
        parent_group_id: parent,
        group_id,
        ip_protocol: field("ip_protocol"),
        from_port: field("from_port"),
        to_port: field("to_port"),
        cidr: field("cidr"),
    })
}

fn groups_body(groups: Vec<Value>) -> Response {
    axum::Json(json!({ "security_groups": groups })).into_response()
}

fn group_body(group: Value) -> Response {
    axum::Json(json!({ "security_group": group })).into_response()
}

/// List the project's security groups.
#[utoipa::path(get, path = "/v2.1/os-security-groups", tag = "security-groups", operation_id = "list_security_groups",
    responses((status = 200, description = "{\"security_groups\": [...]}"), (status = 404)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    gone_after(version, LAST)?;
    let query = Query::parse(raw.as_deref())?;
    let limit = query.limit(nova.cfg.max_limit)?;
    let offset = query.offset()?;
    let all_tenants = query.get("all_tenants").is_some();
    let groups = nova
        .list_security_groups(&caller, all_tenants, offset, limit)
        .await?;
    Ok(groups_body(groups))
}

/// Create a security group.
#[utoipa::path(post, path = "/v2.1/os-security-groups", tag = "security-groups", operation_id = "create_security_group",
    request_body(content = Object, content_type = "application/json", description = "{\"security_group\": {\"name\", \"description\"}}"),
    responses((status = 200, description = "{\"security_group\": {...}}"), (status = 400), (status = 403)))]
async fn create(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    body: Bytes,
) -> Result<Response> {
    gone_after(version, LAST)?;
    let (name, description) = group_request(&parse(&body)?)?;
    let group = nova
        .create_security_group(&caller, &name, &description)
        .await?;
    Ok(group_body(group))
}

/// Show a security group.
#[utoipa::path(get, path = "/v2.1/os-security-groups/{id}", tag = "security-groups", operation_id = "show_security_group",
    params(("id" = String, Path, description = "Security group id")),
    responses((status = 200, description = "{\"security_group\": {...}}"), (status = 400), (status = 404)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    gone_after(version, LAST)?;
    Ok(group_body(nova.show_security_group(&caller, &id).await?))
}

/// Update a security group's name and description.
#[utoipa::path(put, path = "/v2.1/os-security-groups/{id}", tag = "security-groups", operation_id = "update_security_group",
    params(("id" = String, Path, description = "Security group id")),
    request_body(content = Object, content_type = "application/json", description = "{\"security_group\": {\"name\", \"description\"}}"),
    responses((status = 200, description = "{\"security_group\": {...}}"), (status = 400), (status = 404)))]
async fn update(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    gone_after(version, LAST)?;
    let (name, description) = group_request(&parse(&body)?)?;
    let group = nova
        .update_security_group(&caller, &id, &name, &description)
        .await?;
    Ok(group_body(group))
}

/// Delete a security group.
#[utoipa::path(delete, path = "/v2.1/os-security-groups/{id}", tag = "security-groups", operation_id = "delete_security_group",
    params(("id" = String, Path, description = "Security group id")),
    responses((status = 202, description = "Deleted"), (status = 400), (status = 404)))]
async fn delete(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    gone_after(version, LAST)?;
    nova.delete_security_group(&caller, &id).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// Create an ingress rule.
#[utoipa::path(post, path = "/v2.1/os-security-group-rules", tag = "security-groups", operation_id = "create_security_group_rule",
    request_body(content = Object, content_type = "application/json", description = "{\"security_group_rule\": {\"parent_group_id\", \"ip_protocol\", \"from_port\", \"to_port\", \"cidr\" | \"group_id\"}}"),
    responses((status = 200, description = "{\"security_group_rule\": {...}}"), (status = 400), (status = 403), (status = 404)))]
async fn create_rule(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    body: Bytes,
) -> Result<Response> {
    gone_after(version, LAST)?;
    let request = rule_request(&parse(&body)?)?;
    let rule = nova.create_security_group_rule(&caller, &request).await?;
    Ok(axum::Json(json!({ "security_group_rule": rule })).into_response())
}

/// Delete a rule.
#[utoipa::path(delete, path = "/v2.1/os-security-group-rules/{id}", tag = "security-groups", operation_id = "delete_security_group_rule",
    params(("id" = String, Path, description = "Rule id")),
    responses((status = 202, description = "Deleted"), (status = 400), (status = 404)))]
async fn delete_rule(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    gone_after(version, LAST)?;
    nova.delete_security_group_rule(&caller, &id).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// List a server's security groups.
#[utoipa::path(get, path = "/v2.1/servers/{server_id}/os-security-groups", tag = "servers", operation_id = "list_server_security_groups",
    params(("server_id" = String, Path, description = "Server id")),
    responses((status = 200, description = "{\"security_groups\": [...]}"), (status = 404)))]
async fn server_groups(
    State(nova): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    Ok(groups_body(
        nova.server_security_groups(&caller, &id).await?,
    ))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, delete))
        .routes(routes!(create_rule))
        .routes(routes!(delete_rule))
        .routes(routes!(server_groups))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_checked_as_nova_s_schema_does() {
        let long = "x".repeat(256);
        assert!(
            group_request(&json!({"security_group": {"name": "a", "description": ""}})).is_ok()
        );
        for (body, why) in [
            (
                json!({"security_group": {"name": "a"}}),
                "'description' is a required property",
            ),
            (
                json!({"security_group": {"name": long, "description": ""}}),
                "is too long",
            ),
            (
                json!({"security_group": {"name": 1, "description": ""}}),
                "is not of type 'string'",
            ),
            (json!({}), "'security_group' is a required property"),
        ] {
            let message = group_request(&body).unwrap_err().to_string();
            assert!(message.contains(why), "{message}");
        }
        let parent = "0a9e0f8e-6bd4-4b76-a6d5-2d4f1e0e2a11";
        let rule = rule_request(&json!({"security_group_rule": {"parent_group_id": parent, "ip_protocol": "tcp", "from_port": 22, "to_port": 22}})).unwrap();
        assert_eq!((rule.group_id, rule.from_port), (None, json!(22)));
        assert!(
            rule_request(&json!({"security_group_rule": {"parent_group_id": "1"}}))
                .unwrap_err()
                .to_string()
                .contains("is not a 'uuid'")
        );
        assert!(rule_request(
            &json!({"security_group_rule": {"parent_group_id": parent, "group_id": "x"}})
        )
        .is_err());
    }
}
