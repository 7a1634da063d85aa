//! `/v2.0/security-groups`: groups with their rules; each project's
//! `default` group appears on its first list.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::{self, Object};
use super::listing::{self, ListQuery, Listable};
use super::{timestamp, AppState};
use crate::domain::security_groups::{GroupRecord, GroupUpdate, NewGroup};
use crate::domain::{Caller, NeutronError, Result};

const ATTRIBUTES: &[&str] = &[
    "id",
    "name",
    "description",
    "stateful",
    "security_group_rules",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];
const READ_ONLY: &[&str] = &[
    "id",
    "security_group_rules",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];

pub const LISTABLE: Listable = Listable {
    filters: &[
        "id",
        "name",
        "description",
        "stateful",
        "revision_number",
        "changed_since",
    ],
    sort_keys: &[
        "id",
        "name",
        "project_id",
        "tenant_id",
        "stateful",
        "created_at",
        "updated_at",
        "revision_number",
    ],
    taggable: true,
};

/// A group as Neutron shows it, its rules in full.
pub fn view(record: &GroupRecord) -> Value {
    let row = &record.row;
    let rules: Vec<Value> = record
        .rules
        .iter()
        .map(|r| super::security_group_rules::view(r, record.is_default))
        .collect();
    json!({
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "tenant_id": row.project_id,
        "project_id": row.project_id,
        "stateful": row.stateful,
        "security_group_rules": rules,
        "tags": record.tags,
        "created_at": timestamp(&row.created_at),
        "updated_at": timestamp(&row.updated_at),
        "revision_number": row.revision_number,
    })
}

fn new_group(caller: &Caller, object: &Object) -> Result<NewGroup> {
    body::only_known(object, ATTRIBUTES)?;
    body::not_in_post(object, READ_ONLY)?;
    Ok(NewGroup {
        project_id: body::project(caller, object)?,
        name: body::string(object, "name", 255)?.unwrap_or_default(),
        description: body::string(object, "description", 255)?.unwrap_or_default(),
        stateful: body::boolean(object, "stateful")?.unwrap_or(true),
    })
}

/// Create a security group (or several, in bulk).
#[utoipa::path(post, path = "/v2.0/security-groups", tag = "security-groups", operation_id = "create_security_group",
    request_body(content = Object, content_type = "application/json", description = "{\"security_group\": {...}}"),
    responses((status = 201, description = "Created"), (status = 400), (status = 409)))]
async fn create(State(neutron): State<AppState>, caller: Caller, body: Bytes) -> Result<Response> {
    let (objects, bulk) = body::creates(&body, "security_group", "security_groups")?;
    let asked = objects
        .iter()
        .map(|o| new_group(&caller, o))
        .collect::<Result<Vec<_>>>()?;
    let mut made = Vec::new();
    for new in asked {
        made.push(view(&neutron.create_group(&caller, new).await?));
    }
    let body = if bulk {
        json!({"security_groups": made})
    } else {
        json!({"security_group": made.remove(0)})
    };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// List security groups.
#[utoipa::path(get, path = "/v2.0/security-groups", tag = "security-groups", operation_id = "list_security_groups",
    responses((status = 200, description = "Security groups"), (status = 400)))]
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
    let projects: Vec<String> = query
        .filters
        .iter()
        .filter(|(k, _)| k == "project_id" || k == "tenant_id")
        .flat_map(|(_, v)| v.clone())
        .collect();
    let items = neutron
        .list_groups(&caller, &projects)
        .await?
        .iter()
        .map(view)
        .collect();
    let base = super::base_url(&neutron, &headers);
    Ok(axum::Json(listing::page(
        items,
        &query,
        &base,
        "/v2.0/security-groups",
        "security_groups",
        crate::domain::security_groups::group_not_found,
    )?)
    .into_response())
}

/// Show a security group.
#[utoipa::path(get, path = "/v2.0/security-groups/{security_group_id}", tag = "security-groups", operation_id = "show_security_group",
    params(("security_group_id" = String, Path)), responses((status = 200, description = "The group"), (status = 404)))]
async fn show(
    State(neutron): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let record = neutron.show_group(&caller, &id).await?;
    let item = listing::select(view(&record), query.as_deref().unwrap_or_default());
    Ok(axum::Json(json!({"security_group": item})).into_response())
}

/// Update a security group.
#[utoipa::path(put, path = "/v2.0/security-groups/{security_group_id}", tag = "security-groups", operation_id = "update_security_group",
    params(("security_group_id" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "{\"security_group\": {...}}"),
    responses((status = 200, description = "Updated"), (status = 400), (status = 404), (status = 409), (status = 412)))]
async fn update(
    State(neutron): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let object = body::update(&body, "security_group")?;
    body::only_known(&object, ATTRIBUTES)?;
    body::not_in_put(&object, READ_ONLY)?;
    if object.contains_key("tenant_id") || object.contains_key("project_id") {
        return Err(NeutronError::bad_request(
            "Cannot update read-only attribute project_id",
        ));
    }
    let update = GroupUpdate {
        name: body::string(&object, "name", 255)?,
        description: body::string(&object, "description", 255)?,
        stateful: body::boolean(&object, "stateful")?,
    };
    let record = neutron
        .update_group(&caller, &id, update, body::if_match(&headers)?)
        .await?;
    Ok(axum::Json(json!({"security_group": view(&record)})).into_response())
}

/// Delete a security group.
#[utoipa::path(delete, path = "/v2.0/security-groups/{security_group_id}", tag = "security-groups", operation_id = "delete_security_group",
    params(("security_group_id" = String, Path)), responses((status = 204, description = "Deleted"), (status = 404), (status = 409), (status = 412)))]
async fn delete(
    State(neutron): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    neutron
        .delete_group(&caller, &id, body::if_match(&headers)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, update, delete))
}
