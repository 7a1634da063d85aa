//! Catalog administration: regions, services and endpoints.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use ferrostack_api::Json;
use serde::Deserialize;
use serde_json::{json, Value};

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

/// `PUT /v3/regions/{id}`: create with a chosen id.
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

async fn delete_region(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    caller.authorize(&identity, "identity:delete_region", &json!({}))?;
    identity.delete_region(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

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

async fn delete_service(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    caller.authorize(&identity, "identity:delete_service", &json!({}))?;
    identity.delete_service(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

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

async fn delete_endpoint(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    caller.authorize(&identity, "identity:delete_endpoint", &json!({}))?;
    identity.delete_endpoint(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/regions", get(list_regions).post(create_region))
        .route(
            "/v3/regions/{id}",
            get(get_region)
                .put(put_region)
                .patch(update_region)
                .delete(delete_region),
        )
        .route("/v3/services", get(list_services).post(create_service))
        .route(
            "/v3/services/{id}",
            get(get_service)
                .patch(update_service)
                .delete(delete_service),
        )
        .route("/v3/endpoints", get(list_endpoints).post(create_endpoint))
        .route(
            "/v3/endpoints/{id}",
            get(get_endpoint)
                .patch(update_endpoint)
                .delete(delete_endpoint),
        )
}
