use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ferrostack_api::Json;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::V3Url;
use super::oauth1::Signed;
use super::query::QueryPairs;
use super::{render, AppState, Caller};
use crate::domain::{AuthRequest, Error, ProjectFilter, Target};

fn subject_token(headers: &HeaderMap) -> Result<String, Error> {
    headers
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .ok_or_else(|| Error::invalid("Expecting to find X-Subject-Token in request headers."))
}

pub(super) fn with_subject(status: StatusCode, token: &str, body: Option<String>) -> Response {
    let mut response = match body {
        Some(body) => render::json_text(status, body),
        None => status.into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(token) {
        response.headers_mut().insert("x-subject-token", value);
    }
    response
}

/// Authenticate and issue a token.
///
/// The token is returned in the `X-Subject-Token` header.
#[utoipa::path(
    post,
    path = "/v3/auth/tokens",
    tag = "auth",
    operation_id = "issue_token",
    params(
        ("nocatalog" = Option<String>, Query, description = "Leave the service catalog out of the token body"),
    ),
    request_body(
        content = Object,
        content_type = "application/json",
        description = "`{\"auth\": {\"identity\": {...}, \"scope\": {...}}}`"
    ),
    responses(
        (status = 201, description = "The token", headers(("X-Subject-Token" = String, description = "The issued token"))),
        (status = 400, description = "Invalid request body or query string"),
        (status = 401, description = "Authentication failed"),
        (status = 403, description = "The user may not get this scope"),
    ),
    security(()),
)]
async fn issue(
    State(identity): State<AppState>,
    query: QueryPairs,
    Signed(signed): Signed,
    Json(request): Json<AuthRequest>,
) -> Result<Response, Error> {
    let (token, info) = identity.authenticate(request, Some(signed)).await?;
    let body = identity.token_body(&info, !query.flag("nocatalog")).await?;
    Ok(with_subject(StatusCode::CREATED, &token, Some(body)))
}

async fn subject(
    identity: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    query: &QueryPairs,
    rule: &str,
) -> Result<(String, std::sync::Arc<crate::domain::TokenInfo>), Error> {
    let token = subject_token(headers)?;
    // As Keystone builds the policy target: from the validated subject token, so
    // an invalid one is 404 whoever asks.
    let info = identity
        .validate_token(&token, query.flag("allow_expired"))
        .await?;
    caller.authorize(
        identity,
        rule,
        &json!({"target": {"token": {"user_id": info.user.id}}}),
    )?;
    Ok((token, info))
}

/// A token restricted by access rules validates only for a caller that says it
/// enforces them (`OpenStack-Identity-Access-Rules`, as keystonemiddleware sends):
/// anything else would let the token through unrestricted.
fn access_rules_supported(
    headers: &HeaderMap,
    info: &crate::domain::TokenInfo,
    token: &str,
) -> Result<(), Error> {
    let supported = headers
        .get("openstack-identity-access-rules")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .is_some_and(|version| version >= 1.0);
    if info.access_rules.is_empty() || supported {
        Ok(())
    } else {
        Err(Error::not_found("token", token))
    }
}

/// Validate a token and show its body.
#[utoipa::path(
    get,
    path = "/v3/auth/tokens",
    tag = "auth",
    operation_id = "validate_token",
    params(
        ("X-Subject-Token" = String, Header, description = "The token to act on"),
        ("nocatalog" = Option<String>, Query, description = "Leave the service catalog out of the token body"),
        ("allow_expired" = Option<String>, Query, description = "Accept a recently expired token"),
    ),
    responses(
        (status = 200, description = "The token", headers(("X-Subject-Token" = String, description = "The validated token"))),
        (status = 400, description = "Missing X-Subject-Token or invalid query string"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "The subject token is not valid"),
    ),
)]
async fn validate(
    State(identity): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    query: QueryPairs,
) -> Result<Response, Error> {
    let (token, info) = subject(
        &identity,
        &caller,
        &headers,
        &query,
        "identity:validate_token",
    )
    .await?;
    access_rules_supported(&headers, &info, &token)?;
    let body = identity.token_body(&info, !query.flag("nocatalog")).await?;
    Ok(with_subject(StatusCode::OK, &token, Some(body)))
}

/// Check that a token is valid.
#[utoipa::path(
    head,
    path = "/v3/auth/tokens",
    tag = "auth",
    operation_id = "check_token",
    params(
        ("X-Subject-Token" = String, Header, description = "The token to act on"),
        ("allow_expired" = Option<String>, Query, description = "Accept a recently expired token"),
    ),
    responses(
        (status = 200, description = "The token is valid"),
        (status = 400, description = "Missing X-Subject-Token or invalid query string"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "The subject token is not valid"),
    ),
)]
async fn check(
    State(identity): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    query: QueryPairs,
) -> Result<Response, Error> {
    let (token, info) =
        subject(&identity, &caller, &headers, &query, "identity:check_token").await?;
    access_rules_supported(&headers, &info, &token)?;
    Ok(with_subject(StatusCode::OK, &token, None))
}

/// Revoke a token.
#[utoipa::path(
    delete,
    path = "/v3/auth/tokens",
    tag = "auth",
    operation_id = "revoke_token",
    params(("X-Subject-Token" = String, Header, description = "The token to act on")),
    responses(
        (status = 204, description = "The token is revoked"),
        (status = 400, description = "Missing X-Subject-Token"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "The subject token is not valid"),
    ),
)]
async fn revoke(
    State(identity): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<StatusCode, Error> {
    let (token, _) = subject(
        &identity,
        &caller,
        &headers,
        &QueryPairs::default(),
        "identity:revoke_token",
    )
    .await?;
    identity.revoke_token(&token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Show the service catalog of the token in use.
#[utoipa::path(
    get,
    path = "/v3/auth/catalog",
    tag = "auth",
    operation_id = "get_auth_catalog",
    responses(
        (status = 200, description = "The service catalog"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "The token is unscoped"),
    ),
)]
async fn catalog(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
) -> Result<Response, Error> {
    if matches!(caller.token.scope, crate::domain::ScopeInfo::Unscoped) {
        return Err(Error::Forbidden(
            "A scoped token is required to access the catalog.".into(),
        ));
    }
    let catalog = identity.catalog_for(caller.token.project_id()).await?;
    let links = render::collection_links(&format!("{base}/auth/catalog"));
    Ok(render::json_text(
        StatusCode::OK,
        format!("{{\"catalog\":{catalog},\"links\":{links}}}"),
    ))
}

/// List the projects the caller has a role on.
#[utoipa::path(
    get,
    path = "/v3/auth/projects",
    tag = "auth",
    operation_id = "get_auth_projects",
    responses(
        (status = 200, description = "The enabled projects with a role assignment"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
    ),
)]
async fn projects(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
) -> Result<axum::Json<serde_json::Value>, Error> {
    let ids = identity.projects_with_roles(caller.user_id()).await?;
    let filter = ProjectFilter {
        ids: Some(ids),
        enabled: Some(true),
        ..ProjectFilter::default()
    };
    let projects: Vec<_> = identity
        .list_projects(&filter)
        .await?
        .iter()
        .map(|p| render::project(&base, p))
        .collect();
    Ok(axum::Json(
        json!({"projects": projects, "links": render::collection_links(&format!("{base}/auth/projects"))}),
    ))
}

/// List the domains the caller has a role on.
#[utoipa::path(
    get,
    path = "/v3/auth/domains",
    tag = "auth",
    operation_id = "get_auth_domains",
    responses(
        (status = 200, description = "The enabled domains with a role assignment"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
    ),
)]
async fn domains(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
) -> Result<axum::Json<serde_json::Value>, Error> {
    let mut domains = Vec::new();
    for domain in identity.list_domains(None, Some(true)).await? {
        if !identity
            .effective_role_ids(caller.user_id(), &Target::Domain(domain.id.clone()))
            .await?
            .is_empty()
        {
            domains.push(render::domain(&base, &domain));
        }
    }
    Ok(axum::Json(
        json!({"domains": domains, "links": render::collection_links(&format!("{base}/auth/domains"))}),
    ))
}

/// Show whether the caller has a role on the system.
#[utoipa::path(
    get,
    path = "/v3/auth/system",
    tag = "auth",
    operation_id = "get_auth_system",
    responses(
        (status = 200, description = "The system scopes available"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
    ),
)]
async fn system(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
) -> Result<axum::Json<serde_json::Value>, Error> {
    let has_system = !identity
        .effective_role_ids(caller.user_id(), &Target::System)
        .await?
        .is_empty();
    let system = if has_system {
        json!([{"all": true}])
    } else {
        json!([])
    };
    Ok(axum::Json(
        json!({"system": system, "links": render::collection_links(&format!("{base}/auth/system"))}),
    ))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(validate, check, issue, revoke))
        .routes(routes!(catalog))
        .routes(routes!(projects))
        .routes(routes!(domains))
        .routes(routes!(system))
}
