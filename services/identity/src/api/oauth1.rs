//! OS-OAUTH1 delegation over HTTP: request tokens, their authorization, access
//! tokens (form-encoded replies, as OAuth clients read them) and a user's access
//! tokens. Consumers are in `oauth_consumers`.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ferrostack_api::Json;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::V3Url;
use super::{render, AppState, Caller};
use crate::db::entity::access_token;
use crate::domain::{isotime, refuse_delegated, Error, SignedRequest};

/// The request an OAuth signature covers: the public URL it was sent to, its
/// query and its `Authorization` header.
pub struct Signed(pub SignedRequest);

impl FromRequestParts<AppState> for Signed {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        identity: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let V3Url(base) = V3Url::from_request_parts(parts, identity).await?;
        let path = parts.uri.path();
        let url = format!("{base}{}", path.strip_prefix("/v3").unwrap_or(path));
        let query = parts
            .uri
            .query()
            .and_then(|q| serde_urlencoded::from_str(q).ok())
            .unwrap_or_default();
        Ok(Signed(SignedRequest {
            authorization: parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            method: parts.method.to_string(),
            url,
            query,
        }))
    }
}

/// `oauth_token=..&oauth_token_secret=..&oauth_expires_at=..` as Keystone sends it.
fn form_reply(id: &str, secret: &str, expires_at: Option<chrono::NaiveDateTime>) -> Response {
    let mut body = format!("oauth_token={id}&oauth_token_secret={secret}");
    if let Some(at) = expires_at {
        body.push_str(&format!("&oauth_expires_at={}", isotime(&at.and_utc())));
    }
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/x-www-form-urlencoded")],
        body,
    )
        .into_response()
}

/// Get a request token (signed by the consumer) for `Requested-Project-Id`.
#[utoipa::path(post, path = "/v3/OS-OAUTH1/request_token", tag = "oauth1",
    operation_id = "create_request_token",
    params(("Requested-Project-Id" = String, Header, description = "The project to delegate")),
    responses((status = 201, description = "`oauth_token`, `oauth_token_secret`, `oauth_expires_at` (form-encoded)"),
        (status = 400), (status = 401), (status = 404)),
    security(()))]
async fn request_token(
    State(identity): State<AppState>,
    headers: HeaderMap,
    Signed(signed): Signed,
) -> Result<Response, Error> {
    let project = headers
        .get("requested-project-id")
        .and_then(|v| v.to_str().ok());
    let token = identity.create_request_token(&signed, project).await?;
    Ok(form_reply(
        &token.id,
        &token.request_secret,
        token.expires_at,
    ))
}

/// Authorize a request token with some of the caller's roles on its project.
#[utoipa::path(put, path = "/v3/OS-OAUTH1/authorize/{request_token_id}", tag = "oauth1",
    operation_id = "authorize_request_token",
    params(("request_token_id" = String, Path, description = "Request token id")),
    request_body(content = Object, content_type = "application/json",
        description = "`{\"roles\": [{\"id\"} | {\"name\"}]}`"),
    responses((status = 200, description = "`{\"token\": {\"oauth_verifier\"}}`"), (status = 401),
        (status = 403), (status = 404)))]
async fn authorize(
    State(identity): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Result<(StatusCode, axum::Json<Value>), Error> {
    caller.authorize(&identity, "identity:authorize_request_token", &json!({}))?;
    let roles = body
        .get("roles")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let verifier = identity
        .authorize_request_token(&caller.token, &id, &roles)
        .await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"token": {"oauth_verifier": verifier}})),
    ))
}

/// Trade an authorized request token for an access token.
#[utoipa::path(post, path = "/v3/OS-OAUTH1/access_token", tag = "oauth1",
    operation_id = "create_access_token",
    responses((status = 201, description = "`oauth_token`, `oauth_token_secret`, `oauth_expires_at` (form-encoded)"),
        (status = 400), (status = 401), (status = 404)),
    security(()))]
async fn access_token_create(
    State(identity): State<AppState>,
    Signed(signed): Signed,
) -> Result<Response, Error> {
    let token = identity.create_access_token(&signed).await?;
    Ok(form_reply(
        &token.id,
        &token.access_secret,
        token.expires_at,
    ))
}

fn view(base: &str, t: &access_token::Model) -> Value {
    let url = format!(
        "{base}/users/{}/OS-OAUTH1/access_tokens/{}",
        t.authorizing_user_id, t.id
    );
    json!({
        "id": t.id,
        "consumer_id": t.consumer_id,
        "project_id": t.project_id,
        "authorizing_user_id": t.authorizing_user_id,
        "expires_at": t.expires_at.map(|e| isotime(&e.and_utc())),
        "links": {"self": url, "roles": format!("{url}/roles")},
    })
}

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

/// The caller may manage access tokens: policy, and not with a delegated token.
fn manage(identity: &AppState, caller: &Caller, rule: &str, user_id: &str) -> Result<(), Error> {
    caller.authorize(
        identity,
        rule,
        &json!({"target": {"user": {"id": user_id}}}),
    )?;
    refuse_delegated(&caller.token)
}

/// List the access tokens a user authorized.
#[utoipa::path(get, path = "/v3/users/{user_id}/OS-OAUTH1/access_tokens", tag = "oauth1",
    operation_id = "list_access_tokens",
    params(("user_id" = String, Path, description = "User id")),
    responses((status = 200, description = "The access tokens"), (status = 403), (status = 404)))]
async fn list(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path(user_id): Path<String>,
) -> Reply {
    manage(&identity, &caller, "identity:list_access_tokens", &user_id)?;
    let tokens: Vec<Value> = identity
        .list_access_tokens(&user_id)
        .await?
        .iter()
        .map(|t| view(&base, t))
        .collect();
    let links =
        render::collection_links(&format!("{base}/users/{user_id}/OS-OAUTH1/access_tokens"));
    Ok((
        StatusCode::OK,
        axum::Json(json!({"access_tokens": tokens, "links": links})),
    ))
}

/// Show an access token.
#[utoipa::path(get, path = "/v3/users/{user_id}/OS-OAUTH1/access_tokens/{access_token_id}",
    tag = "oauth1", operation_id = "get_access_token",
    params(("user_id" = String, Path, description = "User id"),
        ("access_token_id" = String, Path, description = "Access token id")),
    responses((status = 200, description = "The access token"), (status = 403), (status = 404)))]
async fn show(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path((user_id, id)): Path<(String, String)>,
) -> Reply {
    manage(&identity, &caller, "identity:get_access_token", &user_id)?;
    let token = identity.get_access_token(&user_id, &id).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"access_token": view(&base, &token)})),
    ))
}

/// Revoke an access token (and the tokens made with it).
#[utoipa::path(delete, path = "/v3/users/{user_id}/OS-OAUTH1/access_tokens/{access_token_id}",
    tag = "oauth1", operation_id = "delete_access_token",
    params(("user_id" = String, Path, description = "User id"),
        ("access_token_id" = String, Path, description = "Access token id")),
    responses((status = 204, description = "Revoked"), (status = 403), (status = 404)))]
async fn delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path((user_id, id)): Path<(String, String)>,
) -> Result<StatusCode, Error> {
    manage(&identity, &caller, "identity:delete_access_token", &user_id)?;
    identity.delete_access_token(&user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The roles an access token delegates.
#[utoipa::path(get, path = "/v3/users/{user_id}/OS-OAUTH1/access_tokens/{access_token_id}/roles",
    tag = "oauth1", operation_id = "list_access_token_roles",
    params(("user_id" = String, Path, description = "User id"),
        ("access_token_id" = String, Path, description = "Access token id")),
    responses((status = 200, description = "The roles"), (status = 403), (status = 404)))]
async fn roles(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path((user_id, id)): Path<(String, String)>,
) -> Reply {
    manage(
        &identity,
        &caller,
        "identity:list_access_token_roles",
        &user_id,
    )?;
    let token = identity.get_access_token(&user_id, &id).await?;
    let roles: Vec<Value> = identity
        .roles_by_ids(&token.role_ids())
        .await?
        .values()
        .map(|r| render::role(&base, r))
        .collect();
    let links = render::collection_links(&format!(
        "{base}/users/{user_id}/OS-OAUTH1/access_tokens/{id}/roles"
    ));
    Ok((
        StatusCode::OK,
        axum::Json(json!({"roles": roles, "links": links})),
    ))
}

/// One role an access token delegates.
#[utoipa::path(get,
    path = "/v3/users/{user_id}/OS-OAUTH1/access_tokens/{access_token_id}/roles/{role_id}",
    tag = "oauth1", operation_id = "get_access_token_role",
    params(("user_id" = String, Path, description = "User id"),
        ("access_token_id" = String, Path, description = "Access token id"),
        ("role_id" = String, Path, description = "Role id")),
    responses((status = 200, description = "The role"), (status = 403), (status = 404)))]
async fn role(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    Path((user_id, id, role_id)): Path<(String, String, String)>,
) -> Reply {
    manage(
        &identity,
        &caller,
        "identity:get_access_token_role",
        &user_id,
    )?;
    let token = identity.get_access_token(&user_id, &id).await?;
    if !token.role_ids().contains(&role_id) {
        return Err(Error::not_found("role", role_id));
    }
    let role = identity.get_role(&role_id).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"role": render::role(&base, &role)})),
    ))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_token))
        .routes(routes!(authorize))
        .routes(routes!(access_token_create))
        .routes(routes!(list))
        .routes(routes!(show, delete))
        .routes(routes!(roles))
        .routes(routes!(role))
}
