//! Glance's metadata definitions API (`/v2/metadefs/*`) and its schemas.

mod contents;
mod namespaces;
mod resource_types;
mod schemas;
mod views;

use utoipa_axum::router::OpenApiRouter;

use super::AppState;
use crate::domain::{ImageError, Result};

/// The decoded query string.
fn pairs(raw: Option<&str>) -> Result<Vec<(String, String)>> {
    serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ImageError::BadRequest("Invalid query string.".into()))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(namespaces::routes())
        .merge(contents::routes())
        .merge(resource_types::routes())
        .merge(schemas::routes())
}
