//! `/v2.1/os-migrations` (admin): the record of server moves. Resize, cold and
//! live migration are not built yet, so there are none to list; the filters
//! and paging parameters are accepted as Nova takes them.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::AppState;
use crate::domain::{Caller, Result};

/// List migrations (admin).
#[utoipa::path(get, path = "/v2.1/os-migrations", tag = "migrations",
    operation_id = "list_migrations",
    responses((status = 200, description = "Migrations"), (status = 403)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    Query::parse(raw.as_deref())?;
    nova.authorize(
        &caller,
        "os_compute_api:os-migrations:index",
        &json!({"project_id": caller.project()}),
    )?;
    Ok(axum::Json(json!({"migrations": []})).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}
