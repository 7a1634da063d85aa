//! `/v3/{project_id}/scheduler-stats/get_pools` and
//! `/v3/{project_id}/capabilities/{host}`: what the backends report (admin only).

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::domain::{Caller, Result};

/// List the backend pools the scheduler knows are up (`detail` adds their
/// capabilities).
#[utoipa::path(get, path = "/v3/{project_id}/scheduler-stats/get_pools", tag = "backends", operation_id = "list_pools",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Pools"), (status = 403)))]
async fn get_pools(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let mut pairs = super::query::pairs(raw.as_deref())?;
    let detail = super::query::take_flag(&mut pairs, "detail")?;
    let pools = cinder.pools(&caller, &pairs, detail, version).await?;
    Ok(axum::Json(pools).into_response())
}

/// Show what a volume backend (`host@backend`) reports.
#[utoipa::path(get, path = "/v3/{project_id}/capabilities/{host}", tag = "backends", operation_id = "show_capabilities",
    params(("project_id" = String, Path, description = "Project id"), ("host" = String, Path, description = "host@backend")),
    responses((status = 200, description = "Capabilities"), (status = 403), (status = 404)))]
async fn show_capabilities(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, host)): Path<(String, String)>,
) -> Result<Response> {
    let body = cinder.backend_capabilities(&caller, &host).await?;
    Ok(axum::Json(body).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_pools))
        .routes(routes!(show_capabilities))
}
