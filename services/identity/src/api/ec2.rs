//! `/v3/users/{user_id}/credentials/OS-EC2`: a user's EC2 credentials (an
//! access key and secret for one project), as Keystone's OS-EC2 extension.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use ferrostack_api::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::V3Url;
use super::{render, AppState, Caller};
use crate::domain::{Ec2Credential, Error};

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

#[derive(Deserialize)]
struct CreateBody {
    tenant_id: Option<String>,
}

fn view(base: &str, cred: &Ec2Credential) -> Value {
    json!({
        "user_id": cred.user_id,
        "tenant_id": cred.project_id,
        "access": cred.access,
        "secret": cred.secret,
        "trust_id": cred.trust_id,
        "links": {"self": format!("{base}/users/{}/credentials/OS-EC2/{}", cred.user_id, cred.access)},
    })
}

/// The policy target of a credential, with the user of the URL (`rule:owner`).
fn target(user_id: &str, cred: &Ec2Credential) -> Value {
    json!({"user_id": user_id, "target": {"credential": {"user_id": cred.user_id, "project_id": cred.project_id}}})
}

/// List a user's EC2 credentials.
#[utoipa::path(get, path = "/v3/users/{user_id}/credentials/OS-EC2", tag = "credentials", operation_id = "list_ec2_credentials",
    params(("user_id" = String, Path, description = "User id")),
    responses((status = 200, description = "The EC2 credentials"), (status = 403), (status = 404)))]
async fn list(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(user_id): Path<String>,
) -> Reply {
    caller.authorize(
        &identity,
        "identity:ec2_list_credentials",
        &json!({"user_id": user_id}),
    )?;
    let creds: Vec<Value> = identity
        .list_ec2_credentials(&user_id)
        .await?
        .iter()
        .map(|c| view(&base, c))
        .collect();
    let self_url = format!("{base}/users/{user_id}/credentials/OS-EC2");
    Ok((
        StatusCode::OK,
        axum::Json(json!({"credentials": creds, "links": render::collection_links(&self_url)})),
    ))
}

/// Make an EC2 credential for a project (`tenant_id`); the answer holds its secret.
#[utoipa::path(post, path = "/v3/users/{user_id}/credentials/OS-EC2", tag = "credentials", operation_id = "create_ec2_credential",
    params(("user_id" = String, Path, description = "User id")),
    request_body(content = Object, content_type = "application/json", description = "{\"tenant_id\": project id}"),
    responses((status = 201, description = "The EC2 credential"), (status = 403), (status = 404)))]
async fn create(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(user_id): Path<String>,
    Json(body): Json<CreateBody>,
) -> Reply {
    caller.authorize(
        &identity,
        "identity:ec2_create_credential",
        &json!({"user_id": user_id, "target": {"credential": {"user_id": user_id}}}),
    )?;
    let made = identity
        .create_ec2_credential(&user_id, body.tenant_id.as_deref(), &caller.token)
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"credential": view(&base, &made)})),
    ))
}

/// Show an EC2 credential by its access key.
#[utoipa::path(get, path = "/v3/users/{user_id}/credentials/OS-EC2/{credential_id}", tag = "credentials", operation_id = "get_ec2_credential",
    params(("user_id" = String, Path, description = "User id"), ("credential_id" = String, Path, description = "Access key")),
    responses((status = 200, description = "The EC2 credential"), (status = 401), (status = 403), (status = 404)))]
async fn show(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path((user_id, access)): Path<(String, String)>,
) -> Reply {
    let cred = identity.get_ec2_credential(&access).await?;
    caller.authorize(
        &identity,
        "identity:ec2_get_credential",
        &target(&user_id, &cred),
    )?;
    identity.get_user(&user_id).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"credential": view(&base, &cred)})),
    ))
}

/// Delete an EC2 credential by its access key.
#[utoipa::path(delete, path = "/v3/users/{user_id}/credentials/OS-EC2/{credential_id}", tag = "credentials", operation_id = "delete_ec2_credential",
    params(("user_id" = String, Path, description = "User id"), ("credential_id" = String, Path, description = "Access key")),
    responses((status = 204, description = "Deleted"), (status = 401), (status = 403), (status = 404)))]
async fn delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path((user_id, access)): Path<(String, String)>,
) -> Result<StatusCode, Error> {
    let cred = identity.get_ec2_credential(&access).await?;
    caller.authorize(
        &identity,
        "identity:ec2_delete_credential",
        &target(&user_id, &cred),
    )?;
    identity.get_user(&user_id).await?;
    identity.delete_ec2_credential(&access).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, delete))
}
