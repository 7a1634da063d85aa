//! Catalog administration: regions, services and endpoints.

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
use crate::domain::{EndpointInput, Error, RegionInput, ServiceInput};

#[derive(Deserialize)]
struct RegionBody {
    region: RegionInput,
}

#[derive(Deserialize)]
struct ServiceBody {
    service: ServiceInput,
}

#[derive(Deserialize)]
struct EndpointBody {
    endpoint: EndpointInput,
}

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

fn ok(status: StatusCode, body: Value) -> Reply {
    Ok((status, axum::Json(body)))
}

/// List regions.
#[utoipa::path(
    get,
    path = "/v3/regions",
    tag = "regions",
    operation_id = "list_regions",
    params(
        ("parent_region_id" = Option<String>, Query, description = "Only children of this region"),
    ),
    responses(
        (status = 200, description = "The regions"),
        (status = 400, description = "Invalid query string"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
    ),
)]
async fn list_regions(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    query: QueryPairs,
) -> Reply {
    caller.authorize(&identity, "identity:list_regions", &json!({}))?;
    let regions: Vec<Value> = identity
        .list_regions(query.get("parent_region_id"))
        .await?
        .iter()
        .map(|r| render::region(&base, r))
        .collect();
    ok(
        StatusCode::OK,
        json!({"regions": regions, "links": render::collection_links(&format!("{base}/regions"))}),
    )
}

/// Create a region.
#[utoipa::path(
    post,
    path = "/v3/regions",
    tag = "regions",
    operation_id = "create_region",
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"region\": {...}}`"
    ),
    responses(
        (status = 201, description = "The created region"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 409, description = "Conflicts with existing data"),
    ),
)]
async fn create_region(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Json(body): Json<RegionBody>,
) -> Reply {
    caller.authorize(&identity, "identity:create_region", &json!({}))?;
    let region = identity.create_region(body.region).await?;
    ok(
        StatusCode::CREATED,
        json!({"region": render::region(&base, &region)}),
    )
}

/// Create a region with a chosen id.
#[utoipa::path(
    put,
    path = "/v3/regions/{id}",
    tag = "regions",
    operation_id = "create_region_with_id",
    params(("id" = String, Path, description = "Region id")),
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"region\": {...}}`"
    ),
    responses(
        (status = 201, description = "The created region"),
        (status = 400, description = "Invalid request body, or its id differs from the URL"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 409, description = "A region with this id exists"),
    ),
)]
async fn put_region(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    Json(mut body): Json<RegionBody>,
) -> Reply {
    caller.authorize(&identity, "identity:create_region", &json!({}))?;
    if body.region.id.as_deref().is_some_and(|given| given != id) {
        return Err(Error::invalid(
            "The region id in the body does not match the URL.",
        ));
    }
    body.region.id = Some(id);
    let region = identity.create_region(body.region).await?;
    ok(
        StatusCode::CREATED,
        json!({"region": render::region(&base, &region)}),
    )
}

/// Show a region.
#[utoipa::path(
    get,
    path = "/v3/regions/{id}",
    tag = "regions",
    operation_id = "get_region",
    params(("id" = String, Path, description = "A region id")),
    responses(
        (status = 200, description = "The region"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such region"),
    ),
)]
async fn get_region(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    let region = identity.get_region(&id).await?;
    caller.authorize(&identity, "identity:get_region", &json!({}))?;
    ok(
        StatusCode::OK,
        json!({"region": render::region(&base, &region)}),
    )
}

/// Update a region.
#[utoipa::path(
    patch,
    path = "/v3/regions/{id}",
    tag = "regions",
    operation_id = "update_region",
    params(("id" = String, Path, description = "A region id")),
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"region\": {...}}`"
    ),
    responses(
        (status = 200, description = "The updated region"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such region"),
        (status = 409, description = "Conflicts with existing data"),
    ),
)]
async fn update_region(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    Json(body): Json<RegionBody>,
) -> Reply {
    caller.authorize(&identity, "identity:update_region", &json!({}))?;
    let region = identity.update_region(&id, body.region).await?;
    ok(
        StatusCode::OK,
        json!({"region": render::region(&base, &region)}),
    )
}

/// Delete a region.
#[utoipa::path(
    delete,
    path = "/v3/regions/{id}",
    tag = "regions",
    operation_id = "delete_region",
    params(("id" = String, Path, description = "A region id")),
    responses(
        (status = 204, description = "The region is deleted"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such region"),
        (status = 409, description = "The region is still referenced"),
    ),
)]
async fn delete_region(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    caller.authorize(&identity, "identity:delete_region", &json!({}))?;
    identity.delete_region(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List services.
#[utoipa::path(
    get,
    path = "/v3/services",
    tag = "services",
    operation_id = "list_services",
    params(
        ("type" = Option<String>, Query, description = "Only services of this type"),
        ("name" = Option<String>, Query, description = "Only services with this name"),
    ),
    responses(
        (status = 200, description = "The services"),
        (status = 400, description = "Invalid query string"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
    ),
)]
async fn list_services(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    query: QueryPairs,
) -> Reply {
    caller.authorize(&identity, "identity:list_services", &json!({}))?;
    let services: Vec<Value> = identity
        .list_services(query.get("type"), query.get("name"))
        .await?
        .iter()
        .map(|s| render::service(&base, s))
        .collect();
    ok(
        StatusCode::OK,
        json!({"services": services, "links": render::collection_links(&format!("{base}/services"))}),
    )
}

/// Create a service.
#[utoipa::path(
    post,
    path = "/v3/services",
    tag = "services",
    operation_id = "create_service",
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"service\": {...}}`"
    ),
    responses(
        (status = 201, description = "The created service"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 409, description = "Conflicts with existing data"),
    ),
)]
async fn create_service(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Json(body): Json<ServiceBody>,
) -> Reply {
    caller.authorize(&identity, "identity:create_service", &json!({}))?;
    let service = identity.create_service(body.service).await?;
    ok(
        StatusCode::CREATED,
        json!({"service": render::service(&base, &service)}),
    )
}

/// Show a service.
#[utoipa::path(
    get,
    path = "/v3/services/{id}",
    tag = "services",
    operation_id = "get_service",
    params(("id" = String, Path, description = "A service id")),
    responses(
        (status = 200, description = "The service"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such service"),
    ),
)]
async fn get_service(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    let service = identity.get_service(&id).await?;
    caller.authorize(&identity, "identity:get_service", &json!({}))?;
    ok(
        StatusCode::OK,
        json!({"service": render::service(&base, &service)}),
    )
}

/// Update a service.
#[utoipa::path(
    patch,
    path = "/v3/services/{id}",
    tag = "services",
    operation_id = "update_service",
    params(("id" = String, Path, description = "A service id")),
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"service\": {...}}`"
    ),
    responses(
        (status = 200, description = "The updated service"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such service"),
        (status = 409, description = "Conflicts with existing data"),
    ),
)]
async fn update_service(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    Json(body): Json<ServiceBody>,
) -> Reply {
    caller.authorize(&identity, "identity:update_service", &json!({}))?;
    let service = identity.update_service(&id, body.service).await?;
    ok(
        StatusCode::OK,
        json!({"service": render::service(&base, &service)}),
    )
}

/// Delete a service.
#[utoipa::path(
    delete,
    path = "/v3/services/{id}",
    tag = "services",
    operation_id = "delete_service",
    params(("id" = String, Path, description = "A service id")),
    responses(
        (status = 204, description = "The service is deleted"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such service"),
        (status = 409, description = "The service is still referenced"),
    ),
)]
async fn delete_service(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    caller.authorize(&identity, "identity:delete_service", &json!({}))?;
    identity.delete_service(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List endpoints.
#[utoipa::path(
    get,
    path = "/v3/endpoints",
    tag = "endpoints",
    operation_id = "list_endpoints",
    params(
        ("service_id" = Option<String>, Query, description = "Only endpoints of this service"),
        ("interface" = Option<String>, Query, description = "Only endpoints of this interface (public, internal, admin)"),
        ("region_id" = Option<String>, Query, description = "Only endpoints in this region"),
    ),
    responses(
        (status = 200, description = "The endpoints"),
        (status = 400, description = "Invalid query string"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
    ),
)]
async fn list_endpoints(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    query: QueryPairs,
) -> Reply {
    caller.authorize(&identity, "identity:list_endpoints", &json!({}))?;
    let endpoints: Vec<Value> = identity
        .list_endpoints(
            query.get("service_id"),
            query.get("interface"),
            query.get("region_id"),
        )
        .await?
        .iter()
        .map(|e| render::endpoint(&base, e))
        .collect();
    ok(
        StatusCode::OK,
        json!({"endpoints": endpoints, "links": render::collection_links(&format!("{base}/endpoints"))}),
    )
}

/// Create an endpoint.
#[utoipa::path(
    post,
    path = "/v3/endpoints",
    tag = "endpoints",
    operation_id = "create_endpoint",
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"endpoint\": {...}}`"
    ),
    responses(
        (status = 201, description = "The created endpoint"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 409, description = "Conflicts with existing data"),
    ),
)]
async fn create_endpoint(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Json(body): Json<EndpointBody>,
) -> Reply {
    caller.authorize(&identity, "identity:create_endpoint", &json!({}))?;
    let endpoint = identity.create_endpoint(body.endpoint).await?;
    ok(
        StatusCode::CREATED,
        json!({"endpoint": render::endpoint(&base, &endpoint)}),
    )
}

/// Show an endpoint.
#[utoipa::path(
    get,
    path = "/v3/endpoints/{id}",
    tag = "endpoints",
    operation_id = "get_endpoint",
    params(("id" = String, Path, description = "An endpoint id")),
    responses(
        (status = 200, description = "The endpoint"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such endpoint"),
    ),
)]
async fn get_endpoint(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    let endpoint = identity.get_endpoint(&id).await?;
    caller.authorize(&identity, "identity:get_endpoint", &json!({}))?;
    ok(
        StatusCode::OK,
        json!({"endpoint": render::endpoint(&base, &endpoint)}),
    )
}

/// Update an endpoint.
#[utoipa::path(
    patch,
    path = "/v3/endpoints/{id}",
    tag = "endpoints",
    operation_id = "update_endpoint",
    params(("id" = String, Path, description = "An endpoint id")),
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"endpoint\": {...}}`"
    ),
    responses(
        (status = 200, description = "The updated endpoint"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such endpoint"),
        (status = 409, description = "Conflicts with existing data"),
    ),
)]
async fn update_endpoint(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    Json(body): Json<EndpointBody>,
) -> Reply {
    caller.authorize(&identity, "identity:update_endpoint", &json!({}))?;
    let endpoint = identity.update_endpoint(&id, body.endpoint).await?;
    ok(
        StatusCode::OK,
        json!({"endpoint": render::endpoint(&base, &endpoint)}),
    )
}

/// Delete an endpoint.
#[utoipa::path(
    delete,
    path = "/v3/endpoints/{id}",
    tag = "endpoints",
    operation_id = "delete_endpoint",
    params(("id" = String, Path, description = "An endpoint id")),
    responses(
        (status = 204, description = "The endpoint is deleted"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such endpoint"),
        (status = 409, description = "The endpoint is still referenced"),
    ),
)]
async fn delete_endpoint(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    caller.authorize(&identity, "identity:delete_endpoint", &json!({}))?;
    identity.delete_endpoint(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_regions, create_region))
        .routes(routes!(
            get_region,
            put_region,
            update_region,
            delete_region
        ))
        .routes(routes!(list_services, create_service))
        .routes(routes!(get_service, update_service, delete_service))
        .routes(routes!(list_endpoints, create_endpoint))
        .routes(routes!(get_endpoint, update_endpoint, delete_endpoint))
}
