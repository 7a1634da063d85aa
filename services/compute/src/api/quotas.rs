//! `/v2.1/os-quota-sets/{project_id}` (show, detail, defaults, update, reset;
//! a user's own within the project with `?user_id=`),
//! `/v2.1/os-quota-class-sets/{class}` and `/v2.1/limits`, with the keys each microversion shows: the network
//! quotas before 2.36 (fixed values: networking is not Nova's any more), the
//! injected-file ones before 2.57.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::schema::{boolean, field_error, only, python_repr};
use super::{parse, AppState};
use crate::domain::quotas::{QuotaDetail, NETWORK_QUOTAS};
use crate::domain::{Caller, NovaError, Result};

const fn v(minor: u16) -> ApiVersion {
    ApiVersion::new(2, minor)
}

const INJECTED: &[&str] = &[
    "injected_files",
    "injected_file_content_bytes",
    "injected_file_path_bytes",
];

/// Whether `key` is shown at `version`.
fn shown(key: &str, version: ApiVersion) -> bool {
    !(version >= v(57) && INJECTED.contains(&key))
}

fn quota_set<T: Copy>(
    project: Option<&str>,
    items: &BTreeMap<&'static str, T>,
    version: ApiVersion,
    render: impl Fn(T) -> Value,
    network: impl Fn(i64) -> Value,
) -> Value {
    let mut body = Map::new();
    if let Some(project) = project {
        body.insert("id".into(), json!(project));
    }
    for (key, value) in items {
        if shown(key, version) {
            body.insert((*key).into(), render(*value));
        }
    }
    if version < v(36) {
        for (key, limit) in NETWORK_QUOTAS {
            body.insert((*key).into(), network(*limit));
        }
    }
    json!({"quota_set": body})
}

/// The user whose quotas within the project a request is about
/// (`?user_id=`), if any.
fn user_of(raw: Option<&str>) -> Result<Option<String>> {
    Ok(Query::parse(raw)?
        .get("user_id")
        .filter(|u| !u.is_empty())
        .map(str::to_string))
}

/// Show a project's quotas.
#[utoipa::path(get, path = "/v2.1/os-quota-sets/{project_id}", tag = "quotas",
    operation_id = "show_quotas", params(("project_id" = String, Path)),
    responses((status = 200, description = "Quotas"), (status = 403)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(project): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let user = user_of(raw.as_deref())?;
    let quotas = nova
        .show_quotas(&caller, &project, user.as_deref(), false)
        .await?;
    let limits: BTreeMap<&'static str, i64> =
        quotas.into_iter().map(|(k, d)| (k, d.limit)).collect();
    let body = quota_set(Some(&project), &limits, version, |l| json!(l), |l| json!(l));
    Ok(axum::Json(body).into_response())
}

/// Show a project's quotas with what is in use.
#[utoipa::path(get, path = "/v2.1/os-quota-sets/{project_id}/detail", tag = "quotas",
    operation_id = "show_quota_details", params(("project_id" = String, Path)),
    responses((status = 200, description = "Quotas and usage"), (status = 403)))]
async fn detail(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(project): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let user = user_of(raw.as_deref())?;
    let quotas = nova
        .show_quotas(&caller, &project, user.as_deref(), true)
        .await?;
    let render = |d: QuotaDetail| json!({"limit": d.limit, "in_use": d.in_use, "reserved": 0});
    let body = quota_set(
        Some(&project),
        &quotas,
        version,
        render,
        |l| json!({"limit": l, "in_use": 0, "reserved": 0}),
    );
    Ok(axum::Json(body).into_response())
}

/// The default quotas.
#[utoipa::path(get, path = "/v2.1/os-quota-sets/{project_id}/defaults", tag = "quotas",
    operation_id = "show_default_quotas", params(("project_id" = String, Path)),
    responses((status = 200, description = "Default quotas")))]
async fn defaults(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(project): Path<String>,
) -> Result<Response> {
    let limits = nova.default_quotas(&caller, &project).await?;
    let body = quota_set(Some(&project), &limits, version, |l| json!(l), |l| json!(l));
    Ok(axum::Json(body).into_response())
}

/// A quota value: an integer (or a string of one) of -1 or more.
fn limit(key: &str, value: &Value) -> Result<i64> {
    let number = match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse::<i64>().ok(),
        _ => None,
    };
    match number {
        Some(n) if n >= -1 => Ok(n),
        Some(_) => Err(field_error(
            key,
            value,
            &format!("{} is less than the minimum of -1", python_repr(value)),
        )),
        None => Err(field_error(
            key,
            value,
            &format!("{} is not of type 'integer', 'string'", python_repr(value)),
        )),
    }
}

/// Set a project's quotas (admin).
#[utoipa::path(put, path = "/v2.1/os-quota-sets/{project_id}", tag = "quotas",
    operation_id = "update_quotas", params(("project_id" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "{\"quota_set\": {\"instances\": 20, \"force\": false, ...}}"),
    responses((status = 200, description = "Quotas"), (status = 400), (status = 403)))]
async fn update(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(project): Path<String>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response> {
    let user = user_of(raw.as_deref())?;
    let body: Value = parse(&body)?;
    let set = body
        .get("quota_set")
        .ok_or_else(|| NovaError::BadRequest("'quota_set' is a required property".into()))?;
    let mut allowed: Vec<&str> = nova
        .cfg
        .quota_defaults
        .keys()
        .copied()
        .filter(|k| shown(k, version))
        .collect();
    allowed.push("force");
    if version < v(36) {
        allowed.extend(NETWORK_QUOTAS.iter().map(|(k, _)| *k));
        allowed.push("networks");
    }
    only("quota_set", set, &allowed)?;
    let mut limits = BTreeMap::new();
    let mut force = false;
    for (key, value) in set.as_object().into_iter().flatten() {
        if key == "force" {
            force = boolean("force", value)?;
        } else {
            limits.insert(key.clone(), limit(key, value)?);
        }
    }
    let updated = nova
        .update_quotas(&caller, &project, user.as_deref(), limits, force)
        .await?;
    let body = quota_set(None, &updated, version, |l| json!(l), |l| json!(l));
    Ok(axum::Json(body).into_response())
}

/// Reset a project's quotas to the defaults (admin).
#[utoipa::path(delete, path = "/v2.1/os-quota-sets/{project_id}", tag = "quotas",
    operation_id = "reset_quotas", params(("project_id" = String, Path)),
    responses((status = 202, description = "Reset"), (status = 403)))]
async fn reset(
    State(nova): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<StatusCode> {
    let user = user_of(raw.as_deref())?;
    nova.reset_quotas(&caller, &project, user.as_deref())
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// Whether a quota class set shows `key` at `version`: the network quotas
/// before 2.50, server groups from 2.50, the injected-file quotas before 2.57.
fn class_shows(key: &str, version: ApiVersion) -> bool {
    let groups = matches!(key, "server_groups" | "server_group_members");
    let network = NETWORK_QUOTAS.iter().any(|(k, _)| *k == key);
    shown(key, version) && if version >= v(50) { !network } else { !groups }
}

/// A quota class set at `version`.
fn class_set(
    class: Option<&str>,
    limits: &BTreeMap<&'static str, i64>,
    version: ApiVersion,
) -> Value {
    let mut body = Map::new();
    if let Some(class) = class {
        body.insert("id".into(), json!(class));
    }
    for (key, limit) in limits {
        if class_shows(key, version) {
            body.insert((*key).into(), json!(limit));
        }
    }
    json!({"quota_class_set": body})
}

/// Show a quota class's limits (`default` is every project's default).
#[utoipa::path(get, path = "/v2.1/os-quota-class-sets/{id}", tag = "quotas",
    operation_id = "show_quota_class", params(("id" = String, Path, description = "Quota class")),
    responses((status = 200, description = "The class's limits"), (status = 403)))]
async fn show_class(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(class): Path<String>,
) -> Result<Response> {
    let limits = nova.show_quota_class(&caller, &class).await?;
    Ok(axum::Json(class_set(Some(&class), &limits, version)).into_response())
}

/// Set a quota class's limits (admin).
#[utoipa::path(put, path = "/v2.1/os-quota-class-sets/{id}", tag = "quotas",
    operation_id = "update_quota_class", params(("id" = String, Path, description = "Quota class")),
    request_body(content = Object, content_type = "application/json", description = "{\"quota_class_set\": {\"instances\": 20, ...}}"),
    responses((status = 200, description = "The class's limits"), (status = 400), (status = 403)))]
async fn update_class(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(class): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let body: Value = parse(&body)?;
    let set = body
        .get("quota_class_set")
        .ok_or_else(|| NovaError::BadRequest("'quota_class_set' is a required property".into()))?;
    let allowed: Vec<&str> = nova
        .cfg
        .quota_defaults
        .keys()
        .copied()
        .chain(NETWORK_QUOTAS.iter().map(|(k, _)| *k))
        .filter(|k| class_shows(k, version))
        .collect();
    only("quota_class_set", set, &allowed)?;
    let mut limits = BTreeMap::new();
    for (key, value) in set.as_object().into_iter().flatten() {
        limits.insert(key.clone(), limit(key, value)?);
    }
    let updated = nova.update_quota_class(&caller, &class, limits).await?;
    Ok(axum::Json(class_set(None, &updated, version)).into_response())
}

/// The absolute limits and usage of the caller's project.
#[utoipa::path(get, path = "/v2.1/limits", tag = "limits", operation_id = "show_limits",
    responses((status = 200, description = "Limits"), (status = 403)))]
async fn limits(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let query = Query::parse(raw.as_deref())?;
    let quotas = nova
        .absolute_limits(&caller, query.get("tenant_id"))
        .await?;
    let get = |key: &str| {
        quotas.get(key).copied().unwrap_or(QuotaDetail {
            limit: -1,
            in_use: 0,
        })
    };
    let mut absolute = Map::new();
    let mut put = |name: &str, value: i64| {
        absolute.insert(name.into(), json!(value));
    };
    put("maxServerMeta", get("metadata_items").limit);
    put("maxTotalKeypairs", get("key_pairs").limit);
    put("maxServerGroups", get("server_groups").limit);
    put("maxServerGroupMembers", get("server_group_members").limit);
    put("maxTotalCores", get("cores").limit);
    put("maxTotalInstances", get("instances").limit);
    put("maxTotalRAMSize", get("ram").limit);
    put("totalCoresUsed", get("cores").in_use);
    put("totalInstancesUsed", get("instances").in_use);
    put("totalRAMUsed", get("ram").in_use);
    put("totalServerGroupsUsed", get("server_groups").in_use);
    if version < v(57) {
        put("maxPersonality", get("injected_files").limit);
        put(
            "maxPersonalitySize",
            get("injected_file_content_bytes").limit,
        );
    }
    if version < v(39) {
        put("maxImageMeta", get("metadata_items").limit);
    }
    if version < v(36) {
        put("maxSecurityGroups", 10);
        put("maxSecurityGroupRules", 20);
        put("maxTotalFloatingIps", 10);
        put("totalFloatingIpsUsed", 0);
        put("totalSecurityGroupsUsed", 0);
    }
    Ok(axum::Json(json!({"limits": {"rate": [], "absolute": absolute}})).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show, update, reset))
        .routes(routes!(detail))
        .routes(routes!(defaults))
        .routes(routes!(limits))
        .routes(routes!(show_class, update_class))
}
