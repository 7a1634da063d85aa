//! `/v2.1/os-services` (admin): the conductor and agents, up or down by their
//! heartbeats.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::AppState;
use crate::domain::infrastructure::ServiceView;
use crate::domain::{Caller, Result};

/// Nova's time format (`2012-10-29T13:42:02.000000`).
pub(super) fn time(t: &chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// A service at `version`: integer id before 2.53, UUID from then;
/// `forced_down` from 2.11.
pub(super) fn view(s: &ServiceView, version: ApiVersion) -> Value {
    let mut body = json!({
        "binary": s.state.binary,
        "host": s.state.host,
        "id": if version >= ApiVersion::new(2, 53) { json!(s.uuid) } else { json!(s.id) },
        "zone": s.state.zone,
        "status": if s.state.disabled { "disabled" } else { "enabled" },
        "state": if s.up() { "up" } else { "down" },
        "updated_at": time(&s.state.updated_at),
        "disabled_reason": s.state.disabled_reason,
    });
    if version >= ApiVersion::new(2, 11) {
        body["forced_down"] = json!(s.forced_down);
    }
    body
}

/// List compute services, by `host` and `binary`.
#[utoipa::path(get, path = "/v2.1/os-services", tag = "services", operation_id = "list_services",
    params(("host" = Option<String>, Query, description = "Only this host's"), ("binary" = Option<String>, Query, description = "Only this binary")),
    responses((status = 200, description = "Services"), (status = 403)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let query = Query::parse(raw.as_deref())?;
    if version >= ApiVersion::new(2, 75) {
        query.only(&["host", "binary"])?;
    }
    let services: Vec<Value> = nova
        .list_services(&caller, query.get("host"), query.get("binary"))
        .await?
        .iter()
        .map(|s| view(s, version))
        .collect();
    Ok(axum::Json(json!({"services": services})).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}
