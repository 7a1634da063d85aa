//! `/v3/OS-OAUTH1/consumers`: OAuth1 consumers (admin to write, system readers and
//! admins to read). The secret is in the create response only.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use ferrostack_api::Json;
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::V3Url;
use super::{render, AppState, Caller};
use crate::db::entity::consumer;
use crate::domain::{Error, Extra};

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

fn view(base: &str, c: &consumer::Model) -> Value {
    let mut body = json!({
        "id": c.id,
        "description": c.description,
        "links": {"self": format!("{base}/OS-OAUTH1/consumers/{}", c.id)},
    });
    for (key, value) in Extra::parse(&c.extra).0 {
        if body.get(&key).is_none() {
            body[key] = value;
        }
    }
    body
}

/// The `consumer` object of a body; a missing one is an empty consumer.
fn consumer_of(body: Value) -> Result<Map<String, Value>, Error> {
    match body {
        Value::Object(mut body) => match body.remove("consumer") {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(consumer)) => Ok(consumer),
            Some(other) => Err(Error::invalid(format!(
                "Invalid input for field 'consumer': {other} is not of type 'object'"
            ))),
        },
        other => Err(Error::invalid(format!(
            "Invalid input for field '': {other} is not of type 'object'"
        ))),
    }
}

/// List consumers.
#[utoipa::path(get, path = "/v3/OS-OAUTH1/consumers", tag = "oauth1", operation_id = "list_consumers",
    responses((status = 200, description = "The consumers"), (status = 403)))]
async fn list(State(identity): State<AppState>, caller: Caller, V3Url(base): V3Url) -> Reply {
    caller.authorize(&identity, "identity:list_consumers", &json!({}))?;
    let consumers: Vec<Value> = identity
        .list_consumers()
        .await?
        .iter()
        .map(|c| view(&base, c))
        .collect();
    let links = render::collection_links(&format!("{base}/OS-OAUTH1/consumers"));
    Ok((
        StatusCode::OK,
        axum::Json(json!({"consumers": consumers, "links": links})),
    ))
}

/// Create a consumer; the response carries its secret, shown only here.
#[utoipa::path(post, path = "/v3/OS-OAUTH1/consumers", tag = "oauth1", operation_id = "create_consumer",
    request_body(content = Object, content_type = "application/json",
        description = "`{\"consumer\": {\"description\"}}`"),
    responses((status = 201, description = "The consumer and its secret"), (status = 400), (status = 403)))]
async fn create(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Json(body): Json<Value>,
) -> Reply {
    caller.authorize(&identity, "identity:create_consumer", &json!({}))?;
    let made = identity.create_consumer(consumer_of(body)?).await?;
    let mut body = view(&base, &made);
    body["secret"] = Value::String(made.secret);
    Ok((StatusCode::CREATED, axum::Json(json!({ "consumer": body }))))
}

/// Show a consumer.
#[utoipa::path(get, path = "/v3/OS-OAUTH1/consumers/{consumer_id}", tag = "oauth1",
    operation_id = "get_consumer",
    params(("consumer_id" = String, Path, description = "Consumer id")),
    responses((status = 200, description = "The consumer"), (status = 403), (status = 404)))]
async fn show(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    caller.authorize(&identity, "identity:get_consumer", &json!({}))?;
    let found = identity.get_consumer(&id).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"consumer": view(&base, &found)})),
    ))
}

/// Update a consumer's description (its secret cannot change).
#[utoipa::path(patch, path = "/v3/OS-OAUTH1/consumers/{consumer_id}", tag = "oauth1",
    operation_id = "update_consumer",
    params(("consumer_id" = String, Path, description = "Consumer id")),
    request_body(content = Object, content_type = "application/json",
        description = "`{\"consumer\": {\"description\"}}`"),
    responses((status = 200, description = "The consumer"), (status = 400), (status = 403), (status = 404)))]
async fn update(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Reply {
    caller.authorize(&identity, "identity:update_consumer", &json!({}))?;
    let updated = identity.update_consumer(&id, consumer_of(body)?).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"consumer": view(&base, &updated)})),
    ))
}

/// Delete a consumer.
#[utoipa::path(delete, path = "/v3/OS-OAUTH1/consumers/{consumer_id}", tag = "oauth1",
    operation_id = "delete_consumer",
    params(("consumer_id" = String, Path, description = "Consumer id")),
    responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    caller.authorize(&identity, "identity:delete_consumer", &json!({}))?;
    identity.delete_consumer(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, delete))
}
