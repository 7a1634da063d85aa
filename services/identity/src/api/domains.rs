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
use crate::domain::{DomainInput, Error};

#[derive(Deserialize)]
struct Body {
    domain: DomainInput,
}

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

async fn list(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    query: QueryPairs,
) -> Reply {
    caller.authorize(&identity, "identity:list_domains", &json!({}))?;
    let domains: Vec<Value> = identity
        .list_domains(query.get("name"), query.boolean("enabled"))
        .await?
        .iter()
        .map(|d| render::domain(&base, d))
        .collect();
    Ok((
        StatusCode::OK,
        axum::Json(
            json!({"domains": domains, "links": render::collection_links(&format!("{base}/domains"))}),
        ),
    ))
}

async fn create(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Json(body): Json<Body>,
) -> Reply {
    caller.authorize(
        &identity,
        "identity:create_domain",
        &json!({"target": {"domain": {"name": body.domain.name}}}),
    )?;
    let domain = identity.create_domain(body.domain).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"domain": render::domain(&base, &domain)})),
    ))
}

/// `GET /v3/domains/{id}`: unknown ids (the CLI tries names here first) are 404.
async fn get_one(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    let domain = identity.get_domain(&id).await?;
    caller.authorize(
        &identity,
        "identity:get_domain",
        &json!({"target": {"domain": {"id": domain.id}}}),
    )?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"domain": render::domain(&base, &domain)})),
    ))
}

async fn update(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    Json(body): Json<Body>,
) -> Reply {
    caller.authorize(
        &identity,
        "identity:update_domain",
        &json!({"target": {"domain": {"id": id}}}),
    )?;
    let domain = identity.update_domain(&id, body.domain).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"domain": render::domain(&base, &domain)})),
    ))
}

async fn delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    caller.authorize(
        &identity,
        "identity:delete_domain",
        &json!({"target": {"domain": {"id": id}}}),
    )?;
    identity.delete_domain(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/domains", get(list).post(create))
        .route(
            "/v3/domains/{id}",
            get(get_one).patch(update).delete(delete),
        )
}
