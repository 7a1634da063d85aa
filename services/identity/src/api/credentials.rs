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
use crate::db::entity::credential;
use crate::domain::{CredentialInput, Error};

#[derive(Deserialize)]
struct Body {
    credential: CredentialInput,
}

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

fn target(c: &credential::Model) -> Value {
    json!({"target": {"credential": {"id": c.id, "user_id": c.user_id}}})
}

async fn list(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    query: QueryPairs,
) -> Reply {
    caller.authorize(&identity, "identity:list_credentials", &json!({}))?;
    let mut creds = identity
        .list_credentials(query.get("user_id"), query.get("type"))
        .await?;
    // Readers that are not system readers see only their own (as Keystone filters).
    let credentials = caller.credentials();
    creds.retain(|c| {
        identity
            .policy
            .enforce("identity:get_credential", &target(c), &credentials)
            .is_ok()
    });
    let rendered: Vec<Value> = creds.iter().map(|c| render::credential(&base, c)).collect();
    Ok((
        StatusCode::OK,
        axum::Json(
            json!({"credentials": rendered, "links": render::collection_links(&format!("{base}/credentials"))}),
        ),
    ))
}

async fn create(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Json(body): Json<Body>,
) -> Reply {
    let owner = body.credential.user_id.clone();
    caller.authorize(
        &identity,
        "identity:create_credential",
        &json!({"target": {"credential": {"user_id": owner}}}),
    )?;
    let cred = identity.create_credential(body.credential).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"credential": render::credential(&base, &cred)})),
    ))
}

async fn get_one(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
) -> Reply {
    let cred = identity.get_credential(&id).await?;
    caller.authorize(&identity, "identity:get_credential", &target(&cred))?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"credential": render::credential(&base, &cred)})),
    ))
}

async fn update(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    Json(body): Json<Body>,
) -> Reply {
    let cred = identity.get_credential(&id).await?;
    caller.authorize(&identity, "identity:update_credential", &target(&cred))?;
    let cred = identity.update_credential(&id, body.credential).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"credential": render::credential(&base, &cred)})),
    ))
}

async fn delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    let cred = identity.get_credential(&id).await?;
    caller.authorize(&identity, "identity:delete_credential", &target(&cred))?;
    identity.delete_credential(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/credentials", get(list).post(create))
        .route(
            "/v3/credentials/{id}",
            get(get_one).patch(update).delete(delete),
        )
}
