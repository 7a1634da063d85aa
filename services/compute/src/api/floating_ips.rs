//! `/v2.1/os-floating-ips` and `/v2.1/os-floating-ip-pools` (removed after
//! 2.35): Nova's proxy to the network service's floating IPs.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schema::{field_error, python_repr};
use super::{gone_after, parse, AppState};
use crate::domain::{Caller, Result};

/// The last microversion with these proxies.
const LAST: u16 = 35;

/// The pool a create body names, if any (Nova's schema: an object or null,
/// whose `pool` is a string or null).
fn pool_request(body: &Value) -> Result<Option<String>> {
    if body.is_null() {
        return Ok(None);
    }
    if !body.is_object() {
        return Err(field_error(
            "body",
            body,
            &format!("{} is not of type 'object', 'null'", python_repr(body)),
        ));
    }
    match body.get("pool") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(pool)) => Ok(Some(pool.clone())),
        Some(other) => Err(field_error(
            "pool",
            other,
            &format!("{} is not of type 'string', 'null'", python_repr(other)),
        )),
    }
}

/// List the project's floating IPs.
#[utoipa::path(get, path = "/v2.1/os-floating-ips", tag = "floating-ips", operation_id = "list_floating_ips",
    responses((status = 200, description = "{\"floating_ips\": [...]}"), (status = 404)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
) -> Result<Response> {
    gone_after(version, LAST)?;
    let fips = nova.list_floating_ips(&caller).await?;
    Ok(axum::Json(json!({ "floating_ips": fips })).into_response())
}

/// Allocate a floating IP from a pool.
#[utoipa::path(post, path = "/v2.1/os-floating-ips", tag = "floating-ips", operation_id = "create_floating_ip",
    request_body(content = Object, content_type = "application/json", description = "{\"pool\": name} or nothing"),
    responses((status = 200, description = "{\"floating_ip\": {...}}"), (status = 400), (status = 403), (status = 404)))]
async fn create(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    body: Bytes,
) -> Result<Response> {
    gone_after(version, LAST)?;
    let body: Value = if body.is_empty() {
        Value::Null
    } else {
        parse(&body)?
    };
    let pool = pool_request(&body)?;
    let fip = nova.allocate_floating_ip(&caller, pool.as_deref()).await?;
    Ok(axum::Json(json!({ "floating_ip": fip })).into_response())
}

/// Show a floating IP.
#[utoipa::path(get, path = "/v2.1/os-floating-ips/{id}", tag = "floating-ips", operation_id = "show_floating_ip",
    params(("id" = String, Path, description = "Floating IP id")),
    responses((status = 200, description = "{\"floating_ip\": {...}}"), (status = 404)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    gone_after(version, LAST)?;
    let fip = nova.show_floating_ip(&caller, &id).await?;
    Ok(axum::Json(json!({ "floating_ip": fip })).into_response())
}

/// Release a floating IP.
#[utoipa::path(delete, path = "/v2.1/os-floating-ips/{id}", tag = "floating-ips", operation_id = "delete_floating_ip",
    params(("id" = String, Path, description = "Floating IP id")),
    responses((status = 202, description = "Released"), (status = 403), (status = 404)))]
async fn delete(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    gone_after(version, LAST)?;
    nova.release_floating_ip(&caller, &id).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// List the floating IP pools (external networks).
#[utoipa::path(get, path = "/v2.1/os-floating-ip-pools", tag = "floating-ips", operation_id = "list_floating_ip_pools",
    responses((status = 200, description = "{\"floating_ip_pools\": [{\"name\"}]}"), (status = 404)))]
async fn pools(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
) -> Result<Response> {
    gone_after(version, LAST)?;
    let pools: Vec<Value> = nova
        .floating_ip_pools(&caller)
        .await?
        .into_iter()
        .map(|name| json!({ "name": name }))
        .collect();
    Ok(axum::Json(json!({ "floating_ip_pools": pools })).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, delete))
        .routes(routes!(pools))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_are_read_as_nova_s_schema_does() {
        assert_eq!(pool_request(&Value::Null).unwrap(), None);
        assert_eq!(pool_request(&json!({})).unwrap(), None);
        assert_eq!(
            pool_request(&json!({"pool": "public"})).unwrap().as_deref(),
            Some("public")
        );
        assert!(pool_request(&json!({"pool": 1})).is_err());
        assert!(pool_request(&json!([])).is_err());
    }
}
