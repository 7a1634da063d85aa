//! `/v2.0/security-group-rules`: rules are created and deleted, never changed.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::{self, python_str, Object};
use super::listing::{self, ListQuery, Listable};
use super::{timestamp, AppState};
use crate::db::entity::security_group_rule as rule;
use crate::domain::rules::{normalized_cidr, NewRule};
use crate::domain::{Caller, NeutronError, Result};

const ATTRIBUTES: &[&str] = &[
    "id",
    "security_group_id",
    "direction",
    "ethertype",
    "protocol",
    "port_range_min",
    "port_range_max",
    "remote_ip_prefix",
    "remote_group_id",
    "normalized_cidr",
    "belongs_to_default_sg",
    "description",
    "created_at",
    "updated_at",
    "revision_number",
];
const READ_ONLY: &[&str] = &[
    "id",
    "normalized_cidr",
    "belongs_to_default_sg",
    "created_at",
    "updated_at",
    "revision_number",
];

pub const LISTABLE: Listable = Listable {
    filters: &[
        "id",
        "security_group_id",
        "direction",
        "ethertype",
        "protocol",
        "port_range_min",
        "port_range_max",
        "remote_ip_prefix",
        "remote_group_id",
        "normalized_cidr",
        "belongs_to_default_sg",
        "description",
        "revision_number",
        "changed_since",
    ],
    sort_keys: &[
        "id",
        "security_group_id",
        "direction",
        "ethertype",
        "protocol",
        "port_range_min",
        "port_range_max",
        "remote_ip_prefix",
        "remote_group_id",
        "project_id",
        "tenant_id",
        "created_at",
        "updated_at",
        "revision_number",
    ],
    taggable: false,
};

/// A rule as Neutron shows it (`of_default`: its group is a default group).
pub fn view(row: &rule::Model, of_default: bool) -> Value {
    json!({
        "id": row.id,
        "security_group_id": row.security_group_id,
        "direction": row.direction,
        "ethertype": row.ethertype,
        "protocol": row.protocol,
        "port_range_min": row.port_range_min,
        "port_range_max": row.port_range_max,
        "remote_ip_prefix": row.remote_ip_prefix,
        "remote_group_id": row.remote_group_id,
        "normalized_cidr": normalized_cidr(row),
        "belongs_to_default_sg": of_default,
        "description": row.description,
        "tenant_id": row.project_id,
        "project_id": row.project_id,
        "created_at": timestamp(&row.created_at),
        "updated_at": timestamp(&row.updated_at),
        "revision_number": row.revision_number,
    })
}

/// A port value: an integer 0-65535 (or its string), or null.
fn port(object: &Object, attribute: &str) -> Result<Option<i64>> {
    match object.get(attribute) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => python_str(value)
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| {
                NeutronError::new(
                    400,
                    "SecurityGroupInvalidPortValue",
                    format!("Invalid value for port {}", python_str(value)),
                )
            }),
    }
}

fn new_rule(caller: &Caller, object: &Object) -> Result<NewRule> {
    body::only_known(object, ATTRIBUTES)?;
    body::not_in_post(object, READ_ONLY)?;
    body::required(object, "security_group_id")?;
    let direction = match body::required(object, "direction")? {
        Value::String(d) if d == "ingress" || d == "egress" => d.clone(),
        other => {
            return Err(body::invalid(
                "direction",
                format!("{} is not in ['ingress', 'egress']", python_str(other)),
            ))
        }
    };
    let protocol = match object.get("protocol") {
        None | Some(Value::Null) => None,
        Some(value) => Some(python_str(value)),
    };
    Ok(NewRule {
        project_id: body::project(caller, object)?,
        // Neither id is checked for form: an unknown one is 404 on lookup.
        security_group_id: body::string(object, "security_group_id", 255)?.unwrap_or_default(),
        direction,
        ethertype: body::string(object, "ethertype", 40)?,
        protocol,
        port_range_min: port(object, "port_range_min")?,
        port_range_max: port(object, "port_range_max")?,
        remote_ip_prefix: body::string_or_null(object, "remote_ip_prefix", 64)?.flatten(),
        remote_group_id: body::string_or_null(object, "remote_group_id", 255)?.flatten(),
        description: body::string(object, "description", 255)?.unwrap_or_default(),
    })
}

/// Create a security group rule (or several of one group, in bulk).
#[utoipa::path(post, path = "/v2.0/security-group-rules", tag = "security-groups", operation_id = "create_security_group_rule",
    request_body(content = Object, content_type = "application/json", description = "{\"security_group_rule\": {...}}"),
    responses((status = 201, description = "Created"), (status = 400), (status = 404), (status = 409)))]
async fn create(State(neutron): State<AppState>, caller: Caller, body: Bytes) -> Result<Response> {
    let (objects, bulk) = body::creates(&body, "security_group_rule", "security_group_rules")?;
    let asked = objects
        .iter()
        .map(|o| new_rule(&caller, o))
        .collect::<Result<Vec<_>>>()?;
    if asked
        .iter()
        .any(|r| r.security_group_id != asked[0].security_group_id)
    {
        return Err(NeutronError::new(
            400,
            "SecurityGroupNotSingleGroupRules",
            "Only allowed to update rules for one security profile at a time",
        ));
    }
    let fingerprints = asked
        .iter()
        .map(|r| crate::domain::rules::check(r).map(|c| c.fingerprint))
        .collect::<Result<Vec<_>>>()?;
    if (1..fingerprints.len()).any(|i| fingerprints[..i].contains(&fingerprints[i])) {
        return Err(NeutronError::conflict(
            "DuplicateSecurityGroupRuleInPost",
            "Duplicate Security Group Rule in POST.",
        ));
    }
    let defaults = neutron.default_group_ids().await?;
    let mut made = Vec::new();
    for new in asked {
        let row = neutron.create_rule(&caller, new).await?;
        made.push(view(&row, defaults.contains(&row.security_group_id)));
    }
    let body = if bulk {
        json!({"security_group_rules": made})
    } else {
        json!({"security_group_rule": made.remove(0)})
    };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// List security group rules.
#[utoipa::path(get, path = "/v2.0/security-group-rules", tag = "security-groups", operation_id = "list_security_group_rules",
    responses((status = 200, description = "Rules"), (status = 400)))]
async fn list(
    State(neutron): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let query = ListQuery::parse(
        query.as_deref().unwrap_or_default(),
        &LISTABLE,
        neutron.cfg.max_limit,
    )?;
    let defaults = neutron.default_group_ids().await?;
    let items = neutron
        .list_rules(&caller)
        .await?
        .iter()
        .map(|r| view(r, defaults.contains(&r.security_group_id)))
        .collect();
    let base = super::base_url(&neutron, &headers);
    Ok(axum::Json(listing::page(
        items,
        &query,
        &base,
        "/v2.0/security-group-rules",
        "security_group_rules",
        crate::domain::rules::rule_not_found,
    )?)
    .into_response())
}

/// Show a security group rule.
#[utoipa::path(get, path = "/v2.0/security-group-rules/{rule_id}", tag = "security-groups", operation_id = "show_security_group_rule",
    params(("rule_id" = String, Path)), responses((status = 200, description = "The rule"), (status = 404)))]
async fn show(
    State(neutron): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let row = neutron.show_rule(&caller, &id).await?;
    let defaults = neutron.default_group_ids().await?;
    let item = listing::select(
        view(&row, defaults.contains(&row.security_group_id)),
        query.as_deref().unwrap_or_default(),
    );
    Ok(axum::Json(json!({"security_group_rule": item})).into_response())
}

/// Delete a security group rule.
#[utoipa::path(delete, path = "/v2.0/security-group-rules/{rule_id}", tag = "security-groups", operation_id = "delete_security_group_rule",
    params(("rule_id" = String, Path)), responses((status = 204, description = "Deleted"), (status = 404)))]
async fn delete(
    State(neutron): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    neutron.delete_rule(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, delete))
}
