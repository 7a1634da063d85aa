//! `/v3/{project_id}/qos-specs`: QoS specs and their volume type associations
//! (admin).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{bodies, parse, AppState};
use crate::db::entity::qos_specs;
use crate::domain::qos::specs_of;
use crate::domain::{Caller, Result};

fn view(base: &str, project: &str, q: &qos_specs::Model) -> (Value, Value) {
    let body = json!({"id": q.id, "name": q.name, "consumer": q.consumer, "specs": specs_of(q)});
    (
        body,
        super::render::links(base, project, "qos-specs", &q.id),
    )
}

fn detail(base: &str, caller: &Caller, q: &qos_specs::Model) -> Response {
    let (body, links) = view(base, caller.project(), q);
    axum::Json(json!({"qos_specs": body, "links": links})).into_response()
}

/// The `vol_type_id` query of associate and disassociate.
#[derive(Deserialize)]
struct TypeQuery {
    vol_type_id: Option<String>,
}

/// The `force` query of delete.
#[derive(Deserialize)]
struct ForceQuery {
    force: Option<String>,
}

/// List QoS specs.
#[utoipa::path(get, path = "/v3/{project_id}/qos-specs", tag = "qos specs", operation_id = "list_qos_specs",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "QoS specs"), (status = 403)))]
async fn list(
    State(cinder): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response> {
    let base = super::base_url(&cinder, &headers);
    let all: Vec<Value> = cinder
        .list_qos(&caller)
        .await?
        .iter()
        .map(|q| view(&base, caller.project(), q).0)
        .collect();
    Ok(axum::Json(json!({"qos_specs": all})).into_response())
}

/// Create QoS specs: a name, an optional consumer and any keys.
#[utoipa::path(post, path = "/v3/{project_id}/qos-specs", tag = "qos specs", operation_id = "create_qos_specs",
    params(("project_id" = String, Path, description = "Project id")),
    request_body(content = Object, content_type = "application/json", description = "{\"qos_specs\": {\"name\", \"consumer\", <key>: <value>}}"),
    responses((status = 200, description = "The QoS specs"), (status = 400), (status = 409)))]
async fn create(
    State(cinder): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let (name, specs) = bodies::qos::create(&parse(&body)?)?;
    let made = cinder.create_qos(&caller, name, specs).await?;
    Ok(detail(&super::base_url(&cinder, &headers), &caller, &made))
}

/// Show QoS specs.
#[utoipa::path(get, path = "/v3/{project_id}/qos-specs/{qos_id}", tag = "qos specs", operation_id = "show_qos_specs",
    params(("project_id" = String, Path, description = "Project id"), ("qos_id" = String, Path, description = "QoS specs id")),
    responses((status = 200, description = "The QoS specs"), (status = 404)))]
async fn show(
    State(cinder): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((_project_id, id)): Path<(String, String)>,
) -> Result<Response> {
    let found = cinder.show_qos(&caller, &id).await?;
    Ok(detail(&super::base_url(&cinder, &headers), &caller, &found))
}

/// Set keys (or the consumer) of QoS specs.
#[utoipa::path(put, path = "/v3/{project_id}/qos-specs/{qos_id}", tag = "qos specs", operation_id = "update_qos_specs",
    params(("project_id" = String, Path, description = "Project id"), ("qos_id" = String, Path, description = "QoS specs id")),
    request_body(content = Object, content_type = "application/json", description = "{\"qos_specs\": {<key>: <value>}}"),
    responses((status = 200, description = "What was set"), (status = 400), (status = 404)))]
async fn update(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let set = bodies::qos::update(&parse(&body)?)?;
    cinder.update_qos(&caller, &id, &set).await?;
    Ok(axum::Json(json!({"qos_specs": set})).into_response())
}

/// Delete QoS specs (`force` also when associated).
#[utoipa::path(delete, path = "/v3/{project_id}/qos-specs/{qos_id}", tag = "qos specs", operation_id = "delete_qos_specs",
    params(("project_id" = String, Path, description = "Project id"), ("qos_id" = String, Path, description = "QoS specs id"),
        ("force" = Option<String>, Query, description = "Delete even when associated")),
    responses((status = 202, description = "Deleted"), (status = 400), (status = 404)))]
async fn delete(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id)): Path<(String, String)>,
    Query(query): Query<ForceQuery>,
) -> Result<StatusCode> {
    let force = super::query::boolean("force", query.force.as_deref())?;
    cinder.delete_qos(&caller, &id, force).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Unset keys of QoS specs.
#[utoipa::path(put, path = "/v3/{project_id}/qos-specs/{qos_id}/delete_keys", tag = "qos specs", operation_id = "delete_qos_keys",
    params(("project_id" = String, Path, description = "Project id"), ("qos_id" = String, Path, description = "QoS specs id")),
    request_body(content = Object, content_type = "application/json", description = "{\"keys\": [...]}"),
    responses((status = 202, description = "Unset"), (status = 404)))]
async fn delete_keys(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode> {
    let keys = bodies::qos::keys(&parse(&body)?)?;
    cinder.delete_qos_keys(&caller, &id, &keys).await?;
    Ok(StatusCode::ACCEPTED)
}

/// List the volume types associated with QoS specs.
#[utoipa::path(get, path = "/v3/{project_id}/qos-specs/{qos_id}/associations", tag = "qos specs", operation_id = "list_qos_associations",
    params(("project_id" = String, Path, description = "Project id"), ("qos_id" = String, Path, description = "QoS specs id")),
    responses((status = 200, description = "Associations"), (status = 404)))]
async fn associations(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id)): Path<(String, String)>,
) -> Result<Response> {
    let found: Vec<Value> = cinder
        .list_qos_associations(&caller, &id)
        .await?
        .into_iter()
        .map(|(id, name)| json!({"association_type": "volume_type", "name": name, "id": id}))
        .collect();
    Ok(axum::Json(json!({"qos_associations": found})).into_response())
}

/// Associate QoS specs with the volume type `vol_type_id`.
#[utoipa::path(get, path = "/v3/{project_id}/qos-specs/{qos_id}/associate", tag = "qos specs", operation_id = "associate_qos_specs",
    params(("project_id" = String, Path, description = "Project id"), ("qos_id" = String, Path, description = "QoS specs id"),
        ("vol_type_id" = String, Query, description = "Volume type id")),
    responses((status = 202, description = "Associated"), (status = 400), (status = 404)))]
async fn associate(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id)): Path<(String, String)>,
    Query(query): Query<TypeQuery>,
) -> Result<StatusCode> {
    cinder
        .associate_qos(&caller, &id, query.vol_type_id.as_deref())
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// End the association of QoS specs with the volume type `vol_type_id`.
#[utoipa::path(get, path = "/v3/{project_id}/qos-specs/{qos_id}/disassociate", tag = "qos specs", operation_id = "disassociate_qos_specs",
    params(("project_id" = String, Path, description = "Project id"), ("qos_id" = String, Path, description = "QoS specs id"),
        ("vol_type_id" = String, Query, description = "Volume type id")),
    responses((status = 202, description = "Disassociated"), (status = 400), (status = 404)))]
async fn disassociate(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id)): Path<(String, String)>,
    Query(query): Query<TypeQuery>,
) -> Result<StatusCode> {
    cinder
        .disassociate_qos(&caller, &id, query.vol_type_id.as_deref())
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// End every association of QoS specs.
#[utoipa::path(get, path = "/v3/{project_id}/qos-specs/{qos_id}/disassociate_all", tag = "qos specs", operation_id = "disassociate_all_qos_specs",
    params(("project_id" = String, Path, description = "Project id"), ("qos_id" = String, Path, description = "QoS specs id")),
    responses((status = 202, description = "Disassociated"), (status = 404)))]
async fn disassociate_all(
    State(cinder): State<AppState>,
    caller: Caller,
    Path((_project_id, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    cinder.disassociate_all_qos(&caller, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, delete))
        .routes(routes!(delete_keys))
        .routes(routes!(associations))
        .routes(routes!(associate))
        .routes(routes!(disassociate))
        .routes(routes!(disassociate_all))
}
