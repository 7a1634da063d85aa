//! Volume transfers at `/v3/{project_id}/os-volume-transfer` and, from 3.55,
//! `/v3/{project_id}/volume-transfers` (where `no_snapshots` may be asked).

use axum::body::Bytes;
use axum::extract::{MatchedPath, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::render::time;
use super::{bodies, AppState};
use crate::db::entity::transfer;
use crate::domain::{Caller, CinderError, Result};

/// Microversion that adds `/volume-transfers` and `no_snapshots`.
const WITH_SNAPSHOTS: ApiVersion = ApiVersion::new(3, 55);
/// Microversion that adds the transfer history fields.
const WITH_HISTORY: ApiVersion = ApiVersion::new(3, 57);

/// Whether the request came in on the 3.55 path; below 3.55 that path is
/// not there.
fn new_path(matched: &MatchedPath, version: ApiVersion) -> Result<bool> {
    let new = matched.as_str().contains("/volume-transfers");
    if new && version < WITH_SNAPSHOTS {
        return Err(CinderError::NotFound(
            "The resource could not be found.".into(),
        ));
    }
    Ok(new)
}

fn links(base: &str, t: &transfer::Model) -> Value {
    super::render::links(base, &t.source_project_id, "os-volume-transfer", &t.id)
}

fn summary(base: &str, t: &transfer::Model) -> Value {
    json!({"id": t.id, "volume_id": t.volume_id, "name": t.name, "links": links(base, t)})
}

fn detail(base: &str, t: &transfer::Model, version: ApiVersion) -> Value {
    let mut body = json!({
        "id": t.id,
        "created_at": time(&t.created_at),
        "name": t.name,
        "volume_id": t.volume_id,
        "links": links(base, t),
    });
    if version >= WITH_SNAPSHOTS {
        body["no_snapshots"] = json!(t.no_snapshots);
    }
    if version >= WITH_HISTORY {
        // Accepted transfers are gone, so a listed one is not accepted yet.
        body["destination_project_id"] = Value::Null;
        body["source_project_id"] = json!(t.source_project_id);
        body["accepted"] = json!(false);
    }
    body
}

/// Offer a volume to another project; the answer holds the auth key, once.
#[utoipa::path(post, path = "/v3/{project_id}/os-volume-transfer", tag = "transfers", operation_id = "create_transfer",
    params(("project_id" = String, Path, description = "Project id")),
    request_body(content = Object, content_type = "application/json", description = "{\"transfer\": {\"volume_id\", \"name\", \"no_snapshots\" (3.55, /volume-transfers)}}"),
    responses((status = 202, description = "The transfer with its auth_key"), (status = 400), (status = 404)))]
async fn create(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    matched: MatchedPath,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let with_flag = new_path(&matched, version)?;
    let request = bodies::transfer::transfer_request(&super::parse(&body)?, with_flag)?;
    let (made, auth_key) = cinder.create_transfer(&caller, request).await?;
    let mut view = detail(&super::base_url(&cinder, &headers), &made, version);
    view["auth_key"] = json!(auth_key);
    Ok((StatusCode::ACCEPTED, axum::Json(json!({"transfer": view}))).into_response())
}

async fn listing(
    cinder: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    raw: Option<String>,
    version: ApiVersion,
    detailed: bool,
) -> Result<Response> {
    let mut pairs = super::query::pairs(raw.as_deref())?;
    let all_tenants = super::query::take_flag(&mut pairs, "all_tenants")?;
    let base = super::base_url(cinder, headers);
    let transfers: Vec<Value> = cinder
        .list_transfers(caller, &pairs, all_tenants)
        .await?
        .iter()
        .map(|t| {
            if detailed {
                detail(&base, t, version)
            } else {
                summary(&base, t)
            }
        })
        .collect();
    Ok(axum::Json(json!({"transfers": transfers})).into_response())
}

/// List the project's transfers.
#[utoipa::path(get, path = "/v3/{project_id}/os-volume-transfer", tag = "transfers", operation_id = "list_transfers",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Transfers")))]
async fn list(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    matched: MatchedPath,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    new_path(&matched, version)?;
    listing(&cinder, &caller, &headers, raw, version, false).await
}

/// List the project's transfers with details.
#[utoipa::path(get, path = "/v3/{project_id}/os-volume-transfer/detail", tag = "transfers", operation_id = "list_transfers_detail",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Transfers with details")))]
async fn list_detail(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    matched: MatchedPath,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    new_path(&matched, version)?;
    listing(&cinder, &caller, &headers, raw, version, true).await
}

/// Show a transfer.
#[utoipa::path(get, path = "/v3/{project_id}/os-volume-transfer/{transfer_id}", tag = "transfers", operation_id = "show_transfer",
    params(("project_id" = String, Path, description = "Project id"), ("transfer_id" = String, Path, description = "Transfer id")),
    responses((status = 200, description = "The transfer"), (status = 404)))]
async fn show(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    matched: MatchedPath,
    headers: HeaderMap,
    Path((_project_id, id)): Path<(String, String)>,
) -> Result<Response> {
    new_path(&matched, version)?;
    let found = cinder.show_transfer(&caller, &id).await?;
    let view = detail(&super::base_url(&cinder, &headers), &found, version);
    Ok(axum::Json(json!({"transfer": view})).into_response())
}

/// Withdraw a transfer; the volume is available again.
#[utoipa::path(delete, path = "/v3/{project_id}/os-volume-transfer/{transfer_id}", tag = "transfers", operation_id = "delete_transfer",
    params(("project_id" = String, Path, description = "Project id"), ("transfer_id" = String, Path, description = "Transfer id")),
    responses((status = 202, description = "Withdrawn"), (status = 404)))]
async fn delete(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    matched: MatchedPath,
    Path((_project_id, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    new_path(&matched, version)?;
    cinder.delete_transfer(&caller, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Accept a transfer with its auth key: the volume moves to the caller's project.
#[utoipa::path(post, path = "/v3/{project_id}/os-volume-transfer/{transfer_id}/accept", tag = "transfers", operation_id = "accept_transfer",
    params(("project_id" = String, Path, description = "Project id"), ("transfer_id" = String, Path, description = "Transfer id")),
    request_body(content = Object, content_type = "application/json", description = "{\"accept\": {\"auth_key\"}}"),
    responses((status = 202, description = "Accepted"), (status = 400), (status = 404), (status = 413)))]
async fn accept(
    State(cinder): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    matched: MatchedPath,
    headers: HeaderMap,
    Path((_project_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    new_path(&matched, version)?;
    let auth_key = bodies::transfer::accept_key(&super::parse(&body)?)?;
    let accepted = cinder.accept_transfer(&caller, &id, &auth_key).await?;
    let view = summary(&super::base_url(&cinder, &headers), &accepted);
    Ok((StatusCode::ACCEPTED, axum::Json(json!({"transfer": view}))).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    let new = "/v3/{project_id}/volume-transfers";
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(list_detail))
        .routes(routes!(show, delete))
        .routes(routes!(accept))
        // The same handlers at the 3.55 path, which they gate by version.
        .route(new, get(list).post(create))
        .route(&format!("{new}/detail"), get(list_detail))
        .route(&format!("{new}/{{transfer_id}}"), get(show).delete(delete))
        .route(&format!("{new}/{{transfer_id}}/accept"), post(accept))
}
