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
use crate::db::entity::application_credential;
use crate::domain::{AppCredRequest, Error};

#[derive(Deserialize)]
struct Body {
    application_credential: AppCredRequest,
}

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

async fn rendered(
    identity: &AppState,
    base: &str,
    cred: &application_credential::Model,
) -> Result<Value, Error> {
    let ids = cred.role_ids();
    let roles: Vec<(String, String)> = identity
        .roles_by_ids(&ids)
        .await?
        .into_values()
        .map(|r| (r.id, r.name))
        .collect();
    let rules = identity.access_rules_of_app_cred(&cred.id).await?;
    Ok(render::app_cred(base, cred, &roles, &rules))
}

/// List a user's application credentials.
#[utoipa::path(
    get,
    path = "/v3/users/{user_id}/application_credentials",
    tag = "application_credentials",
    operation_id = "list_application_credentials",
    params(
        ("user_id" = String, Path, description = "User id"),
        ("name" = Option<String>, Query, description = "Only the credential with this name"),
    ),
    responses(
        (status = 200, description = "The application credentials"),
        (status = 400, description = "Invalid query string"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
    ),
)]
async fn list(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(user_id): Path<String>,
    query: QueryPairs,
) -> Reply {
    caller.authorize(
        &identity,
        "identity:list_application_credentials",
        &json!({"user_id": user_id}),
    )?;
    let mut creds = Vec::new();
    for cred in identity.list_app_creds(&user_id, query.get("name")).await? {
        creds.push(rendered(&identity, &base, &cred).await?);
    }
    let self_url = format!("{base}/users/{user_id}/application_credentials");
    Ok((
        StatusCode::OK,
        axum::Json(
            json!({"application_credentials": creds, "links": render::collection_links(&self_url)}),
        ),
    ))
}

/// Create an application credential.
///
/// The secret is shown once, in this response.
#[utoipa::path(
    post,
    path = "/v3/users/{user_id}/application_credentials",
    tag = "application_credentials",
    operation_id = "create_application_credential",
    params(("user_id" = String, Path, description = "User id")),
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"application_credential\": {...}}`"
    ),
    responses(
        (status = 201, description = "The created credential, with its secret"),
        (status = 400, description = "Invalid request body"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "A role asked for is unknown"),
        (status = 409, description = "A credential with this name exists"),
    ),
)]
async fn create(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(user_id): Path<String>,
    Json(body): Json<Body>,
) -> Reply {
    caller.authorize(
        &identity,
        "identity:create_application_credential",
        &json!({"user_id": user_id}),
    )?;
    let created = identity
        .create_app_cred(&user_id, &caller.token, body.application_credential)
        .await?;
    let mut cred = rendered(&identity, &base, &created.row).await?;
    cred["secret"] = json!(created.secret);
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"application_credential": cred})),
    ))
}

/// Show an application credential.
#[utoipa::path(
    get,
    path = "/v3/users/{user_id}/application_credentials/{id}",
    tag = "application_credentials",
    operation_id = "get_application_credential",
    params(
        ("user_id" = String, Path, description = "User id"),
        ("id" = String, Path, description = "Application credential id"),
    ),
    responses(
        (status = 200, description = "The application credential"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such application credential"),
    ),
)]
async fn get_one(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path((user_id, id)): Path<(String, String)>,
) -> Reply {
    caller.authorize(
        &identity,
        "identity:get_application_credential",
        &json!({"user_id": user_id}),
    )?;
    let cred = identity.get_app_cred(&user_id, &id).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"application_credential": rendered(&identity, &base, &cred).await?})),
    ))
}

/// Delete an application credential.
#[utoipa::path(
    delete,
    path = "/v3/users/{user_id}/application_credentials/{id}",
    tag = "application_credentials",
    operation_id = "delete_application_credential",
    params(
        ("user_id" = String, Path, description = "User id"),
        ("id" = String, Path, description = "Application credential id"),
    ),
    responses(
        (status = 204, description = "The application credential is deleted"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such application credential"),
    ),
)]
async fn delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path((user_id, id)): Path<(String, String)>,
) -> Result<StatusCode, Error> {
    caller.authorize(
        &identity,
        "identity:delete_application_credential",
        &json!({"user_id": user_id}),
    )?;
    identity.delete_app_cred(&user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, delete))
}
