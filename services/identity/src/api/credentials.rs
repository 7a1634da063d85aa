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
use crate::db::entity::credential;
use crate::domain::{CredentialInput, Error};

#[derive(Deserialize)]
struct Body {
    credential: CredentialInput,
}

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

fn target(c: &credential::Model) -> Value {
    json!({"target": {"credential": {"id": c.id, "user_id": c.user_id, "project_id": c.project_id}}})
}

/// List credentials.
///
/// Callers see only the credentials policy lets them read.
#[utoipa::path(
    get,
    path = "/v3/credentials",
    tag = "credentials",
    operation_id = "list_credentials",
    params(
        ("user_id" = Option<String>, Query, description = "Only credentials of this user"),
        ("type" = Option<String>, Query, description = "Only credentials of this type"),
    ),
    responses(
        (status = 200, description = "The credentials"),
        (status = 400, description = "Invalid query string"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
    ),
)]
async fn list(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    query: QueryPairs,
) -> Reply {
    let list_target = if caller.token.is_system() {
        json!({})
    } else {
        json!({"target": {"credential": {"user_id": caller.token.user.id}}})
    };
    caller.authorize(&identity, "identity:list_credentials", &list_target)?;
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

/// Create a credential.
#[utoipa::path(
    post,
    path = "/v3/credentials",
    tag = "credentials",
    operation_id = "create_credential",
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"credential\": {...}}`"
    ),
    responses(
        (status = 201, description = "The created credential"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 409, description = "Conflicts with existing data"),
    ),
)]
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

/// Show a credential.
#[utoipa::path(
    get,
    path = "/v3/credentials/{id}",
    tag = "credentials",
    operation_id = "get_credential",
    params(("id" = String, Path, description = "Credential id")),
    responses(
        (status = 200, description = "The credential"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such credential"),
    ),
)]
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

/// Update a credential.
#[utoipa::path(
    patch,
    path = "/v3/credentials/{id}",
    tag = "credentials",
    operation_id = "update_credential",
    params(("id" = String, Path, description = "Credential id")),
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"credential\": {...}}`"
    ),
    responses(
        (status = 200, description = "The updated credential"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such credential"),
    ),
)]
async fn update(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(id): Path<String>,
    Json(body): Json<Body>,
) -> Reply {
    let cred = identity.get_credential(&id).await?;
    caller.authorize(&identity, "identity:update_credential", &target(&cred))?;
    // Authorized on the credential as it would be, too: a user may not hand a
    // credential to another user (CVE-2020-12691).
    let updated = body.credential.applied_to(&cred);
    caller.authorize(&identity, "identity:update_credential", &target(&updated))?;
    let cred = identity.update_credential(cred, body.credential).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"credential": render::credential(&base, &cred)})),
    ))
}

/// Delete a credential.
#[utoipa::path(
    delete,
    path = "/v3/credentials/{id}",
    tag = "credentials",
    operation_id = "delete_credential",
    params(("id" = String, Path, description = "Credential id")),
    responses(
        (status = 204, description = "The credential is deleted"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such credential"),
    ),
)]
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

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, update, delete))
}
