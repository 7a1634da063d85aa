use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use ferrostack_api::Json;
use serde_json::json;

use super::context::V3Url;
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

fn with_subject(status: StatusCode, token: &str, body: Option<serde_json::Value>) -> Response {
    let mut response = match body {
        Some(body) => (status, axum::Json(body)).into_response(),
        None => status.into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(token) {
        response.headers_mut().insert("x-subject-token", value);
    }
    response
}

/// `POST /v3/auth/tokens`.
async fn issue(
    State(identity): State<AppState>,
    query: QueryPairs,
    Json(request): Json<AuthRequest>,
) -> Result<Response, Error> {
    let (token, info) = identity.authenticate(request).await?;
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
    let info = identity
        .validate_token(&token, query.flag("allow_expired"))
        .await;
    let target_user = info.as_ref().map(|i| i.user.id.clone()).unwrap_or_default();
    caller.authorize(
        identity,
        rule,
        &json!({"target": {"token": {"user_id": target_user}}}),
    )?;
    Ok((token, info?))
}

/// `GET /v3/auth/tokens`: validate `X-Subject-Token`.
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
    let body = identity.token_body(&info, !query.flag("nocatalog")).await?;
    Ok(with_subject(StatusCode::OK, &token, Some(body)))
}

/// `HEAD /v3/auth/tokens`.
async fn check(
    State(identity): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    query: QueryPairs,
) -> Result<Response, Error> {
    let (token, _) = subject(&identity, &caller, &headers, &query, "identity:check_token").await?;
    Ok(with_subject(StatusCode::OK, &token, None))
}

/// `DELETE /v3/auth/tokens`.
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

/// `GET /v3/auth/catalog`.
async fn catalog(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
) -> Result<axum::Json<serde_json::Value>, Error> {
    if matches!(caller.token.scope, crate::domain::ScopeInfo::Unscoped) {
        return Err(Error::Forbidden(
            "A scoped token is required to access the catalog.".into(),
        ));
    }
    let catalog = identity.catalog_for(caller.token.project_id()).await?;
    Ok(axum::Json(
        json!({"catalog": catalog, "links": render::collection_links(&format!("{base}/auth/catalog"))}),
    ))
}

/// `GET /v3/auth/projects`: projects the caller has a role on.
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

/// `GET /v3/auth/domains`: domains the caller has a role on.
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

/// `GET /v3/auth/system`.
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

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v3/auth/tokens",
            get(validate).head(check).post(issue).delete(revoke),
        )
        .route("/v3/auth/catalog", get(catalog))
        .route("/v3/auth/projects", get(projects))
        .route("/v3/auth/domains", get(domains))
        .route("/v3/auth/system", get(system))
}
