//! `/v2.1/flavors/{id}/os-flavor-access` and the `addTenantAccess` /
//! `removeTenantAccess` flavor actions (admin).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::schema::{field_error, only, python_repr};
use super::{parse, AppState};
use crate::domain::{Caller, NovaError, Result};

fn access_list(id: &str, projects: &[String]) -> Value {
    let list: Vec<Value> = projects
        .iter()
        .map(|p| json!({"flavor_id": id, "tenant_id": p}))
        .collect();
    json!({"flavor_access": list})
}

/// List the projects a private flavor is shared with.
#[utoipa::path(get, path = "/v2.1/flavors/{flavor_id}/os-flavor-access", tag = "flavors", operation_id = "list_flavor_access",
    params(("flavor_id" = String, Path, description = "Flavor id")),
    responses((status = 200, description = "The access list"), (status = 403), (status = 404)))]
async fn index(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    if version >= ApiVersion::new(2, 102) {
        Query::parse(raw.as_deref())?.only(&[])?;
    }
    let projects = nova.flavor_access(&caller, &id).await?;
    Ok(axum::Json(access_list(&id, &projects)).into_response())
}

/// Share a flavor with a project, or stop (`addTenantAccess`, `removeTenantAccess`).
#[utoipa::path(post, path = "/v2.1/flavors/{flavor_id}/action", tag = "flavors", operation_id = "flavor_action",
    params(("flavor_id" = String, Path, description = "Flavor id")),
    request_body(content = Object, content_type = "application/json", description = "{\"addTenantAccess\": {\"tenant\": project}}"),
    responses((status = 200, description = "The access list"), (status = 400), (status = 403), (status = 404), (status = 409)))]
async fn action(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let body: Value = parse(&body)?;
    let Some((name, args)) = body
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.iter().next())
    else {
        return Err(NovaError::BadRequest("Malformed request body".into()));
    };
    if !matches!(name.as_str(), "addTenantAccess" | "removeTenantAccess") {
        return Err(NovaError::BadRequest(format!(
            "There is no such action: {name}"
        )));
    }
    only(name, args, &["tenant"])?;
    let tenant = match args.get("tenant") {
        Some(Value::String(t)) if !t.is_empty() && t.chars().count() <= 255 => t.clone(),
        Some(Value::String(t)) if t.is_empty() => {
            return Err(field_error(
                "tenant",
                &args["tenant"],
                "'' should be non-empty",
            ))
        }
        Some(other) => {
            return Err(field_error(
                "tenant",
                other,
                &format!("{} is not of type 'string'", python_repr(other)),
            ))
        }
        None => return Err(field_error(name, args, "'tenant' is a required property")),
    };
    if name == "addTenantAccess" {
        nova.add_flavor_access(&caller, &id, &tenant, version >= ApiVersion::new(2, 7))
            .await?;
    } else {
        nova.remove_flavor_access(&caller, &id, &tenant).await?;
    }
    let projects = nova.flavor_access_unchecked(&id).await?;
    Ok(axum::Json(access_list(&id, &projects)).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(index))
        .routes(routes!(action))
}
