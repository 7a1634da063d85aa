//! `/v2.1/servers/{id}/os-server-password`: the encrypted administrator
//! password a guest posted to the metadata service (empty until one did),
//! and clearing it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::domain::{Caller, Result};

/// Show a server's encrypted password.
#[utoipa::path(get, path = "/v2.1/servers/{server_id}/os-server-password", tag = "servers", operation_id = "show_server_password",
    params(("server_id" = String, Path, description = "Server id")),
    responses((status = 200, description = "{\"password\": ...}"), (status = 404)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let password = nova.server_password(&caller, &id).await?;
    Ok(axum::Json(json!({ "password": password })).into_response())
}

/// Clear a server's encrypted password.
#[utoipa::path(delete, path = "/v2.1/servers/{server_id}/os-server-password", tag = "servers", operation_id = "clear_server_password",
    params(("server_id" = String, Path, description = "Server id")),
    responses((status = 204, description = "Cleared"), (status = 404)))]
async fn clear(
    State(nova): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    nova.clear_server_password(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show, clear))
}
