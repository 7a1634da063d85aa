//! `/v2.1/os-migrations` (admin): the record of server moves (resizes and
//! cold migrations), newest first, with each version's fields — 2.23
//! `migration_type`, 2.59 `uuid` and paging, 2.80 `user_id`/`project_id`.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::AppState;
use crate::db::entity::migration;
use crate::domain::migrations::MigrationFilters;
use crate::domain::{Caller, Result};

fn stamp(t: &chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// A flavor id as Nova shows it: its number when it is one.
fn flavor_id(id: &str) -> Value {
    id.parse::<i64>().map_or_else(|_| json!(id), |n| json!(n))
}

fn view(m: &migration::Model, version: ApiVersion) -> Value {
    let mut body = Map::new();
    body.insert("id".into(), json!(m.id));
    body.insert("instance_uuid".into(), json!(m.instance_uuid));
    body.insert("status".into(), json!(m.status));
    body.insert("source_compute".into(), json!(m.source_compute));
    body.insert("source_node".into(), json!(m.source_node));
    body.insert("dest_compute".into(), json!(m.dest_compute));
    body.insert("dest_node".into(), json!(m.dest_node));
    body.insert("dest_host".into(), Value::Null);
    body.insert("old_instance_type_id".into(), flavor_id(&m.old_flavorid));
    body.insert("new_instance_type_id".into(), flavor_id(&m.new_flavorid));
    body.insert("created_at".into(), json!(stamp(&m.created_at)));
    body.insert("updated_at".into(), json!(stamp(&m.updated_at)));
    if version >= ApiVersion::new(2, 23) {
        body.insert("migration_type".into(), json!(m.migration_type));
    }
    if version >= ApiVersion::new(2, 59) {
        body.insert("uuid".into(), json!(m.uuid));
    }
    if version >= ApiVersion::new(2, 80) {
        body.insert("user_id".into(), json!(m.user_id));
        body.insert("project_id".into(), json!(m.project_id));
    }
    Value::Object(body)
}

/// List migrations (admin).
#[utoipa::path(get, path = "/v2.1/os-migrations", tag = "migrations",
    operation_id = "list_migrations",
    responses((status = 200, description = "Migrations"), (status = 400), (status = 403), (status = 404)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let query = Query::parse(raw.as_deref())?;
    let paged = version >= ApiVersion::new(2, 59);
    let filters = MigrationFilters {
        instance_uuid: query.get("instance_uuid").map(str::to_string),
        status: query.get("status").map(str::to_string),
        host: query.get("host").map(str::to_string),
        source_compute: query.get("source_compute").map(str::to_string),
        migration_type: (version >= ApiVersion::new(2, 23))
            .then(|| query.get("migration_type").map(str::to_string))
            .flatten(),
        project_id: (version >= ApiVersion::new(2, 80))
            .then(|| query.get("project_id").map(str::to_string))
            .flatten(),
        user_id: (version >= ApiVersion::new(2, 80))
            .then(|| query.get("user_id").map(str::to_string))
            .flatten(),
        marker: paged
            .then(|| query.get("marker").map(str::to_string))
            .flatten(),
        limit: if paged {
            query.limit(nova.cfg.max_limit)?
        } else {
            usize::MAX
        },
    };
    let found = nova.list_migrations(&caller, filters).await?;
    let items: Vec<Value> = found.iter().map(|m| view(m, version)).collect();
    Ok(axum::Json(json!({"migrations": items})).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}
