//! `/v2.1/os-hypervisors` (admin): compute nodes as their agents report them,
//! with each version's fields (2.28 cpu_info object, 2.33 pages, 2.53 UUIDs,
//! 2.88 without resource fields and statistics).

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::AppState;
use crate::domain::infrastructure::Hypervisor;
use crate::domain::{Caller, NovaError, Result};

const fn v(minor: u16) -> ApiVersion {
    ApiVersion::new(2, minor)
}

fn id_of(h: &Hypervisor, version: ApiVersion) -> Value {
    if version >= v(53) {
        json!(h.node.uuid)
    } else {
        json!(h.node.id)
    }
}

/// The list item, or (`detail`) the whole node, at `version`; with the
/// servers on it when they were asked for (`Some`).
fn view(
    h: &Hypervisor,
    version: ApiVersion,
    detail: bool,
    servers: Option<&BTreeMap<String, Vec<(String, String)>>>,
) -> Value {
    let n = &h.node;
    let s = &h.service;
    let mut body = json!({
        "id": id_of(h, version),
        "hypervisor_hostname": n.hypervisor_hostname,
        "state": if s.up() { "up" } else { "down" },
        "status": if s.state.disabled { "disabled" } else { "enabled" },
    });
    if detail {
        body["hypervisor_type"] = json!(n.hypervisor_type);
        body["hypervisor_version"] = json!(n.hypervisor_version);
        body["host_ip"] = json!(n.host_ip);
        body["service"] = json!({
            "id": if version >= v(53) { json!(s.uuid) } else { json!(s.id) },
            "host": n.host,
            "disabled_reason": s.state.disabled_reason,
        });
        if version < v(88) {
            for (key, value) in [
                ("vcpus", n.vcpus),
                ("memory_mb", n.memory_mb),
                ("local_gb", n.local_gb),
                ("vcpus_used", n.vcpus_used),
                ("memory_mb_used", n.memory_mb_used),
                ("local_gb_used", n.local_gb_used),
                ("free_ram_mb", n.memory_mb - n.memory_mb_used),
                ("free_disk_gb", n.local_gb - n.local_gb_used),
                ("current_workload", 0),
                ("running_vms", n.running_vms),
                ("disk_available_least", n.local_gb - n.local_gb_used),
            ] {
                body[key] = json!(value);
            }
            body["cpu_info"] = if version >= v(28) {
                serde_json::from_str(&n.cpu_info).unwrap_or_else(|_| json!({}))
            } else {
                json!(n.cpu_info)
            };
        } else {
            // The show asks the host's agent; lists leave it unknown.
            body["uptime"] = Value::Null;
        }
    }
    if let Some(servers) = servers {
        let on: Vec<Value> = servers
            .get(&n.hypervisor_hostname)
            .map(|list| {
                list.iter()
                    .map(|(name, uuid)| json!({"name": name, "uuid": uuid}))
                    .collect()
            })
            .unwrap_or_default();
        // From 2.75 an empty list is shown too.
        if !on.is_empty() || version >= v(75) {
            body["servers"] = json!(on);
        }
    }
    body
}

/// `with_servers` (2.53) as Nova's strict boolean.
fn with_servers(query: &Query, version: ApiVersion) -> Result<bool> {
    if version < v(53) {
        return Ok(false);
    }
    match query.get("with_servers").map(str::to_ascii_lowercase).as_deref() {
        None => Ok(false),
        Some("1" | "t" | "true" | "on" | "y" | "yes") => Ok(true),
        Some("0" | "f" | "false" | "off" | "n" | "no") => Ok(false),
        Some(other) => Err(super::schema::query_error(
            "with_servers",
            other,
            &format!("'{other}' is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']"),
        )),
    }
}

async fn listing(
    nova: AppState,
    caller: Caller,
    version: ApiVersion,
    headers: HeaderMap,
    raw: Option<String>,
    detail: bool,
) -> Result<Response> {
    let query = Query::parse(raw.as_deref())?;
    if version >= v(53) {
        query.only(&[
            "limit",
            "marker",
            "hypervisor_hostname_pattern",
            "with_servers",
        ])?;
    }
    let servers = with_servers(&query, version)?;
    let paged = version >= v(33);
    let limit = if paged {
        Some(query.limit(nova.cfg.max_limit)?)
    } else {
        None
    };
    let marker = if paged { query.get("marker") } else { None };
    let pattern = (version >= v(53))
        .then(|| query.get("hypervisor_hostname_pattern"))
        .flatten();
    if pattern.is_some() && (query.get("limit").is_some() || marker.is_some()) {
        return Err(NovaError::BadRequest(
            "Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.".into(),
        ));
    }
    let rule = if detail {
        "os_compute_api:os-hypervisors:list-detail"
    } else {
        "os_compute_api:os-hypervisors:list"
    };
    let mut found = nova
        .list_hypervisors(
            &caller,
            rule,
            marker,
            limit.filter(|_| pattern.is_none()),
            version >= v(53),
        )
        .await?;
    if let Some(pattern) = pattern {
        found.retain(|h| h.node.hypervisor_hostname.contains(pattern));
        if found.is_empty() {
            return Err(NovaError::NotFound(format!(
                "No hypervisor matching '{pattern}' could be found."
            )));
        }
    }
    let on = match servers {
        true => Some(nova.servers_on(&found).await?),
        false => None,
    };
    let items: Vec<Value> = found
        .iter()
        .map(|h| view(h, version, detail, on.as_ref()))
        .collect();
    let mut body = json!({"hypervisors": items});
    if let (Some(limit), Some(last), None) = (limit, found.last(), pattern) {
        if limit > 0 && found.len() == limit {
            let base = super::base_url(&nova, &headers);
            let path = if detail {
                "/v2.1/os-hypervisors/detail"
            } else {
                "/v2.1/os-hypervisors"
            };
            let marker = match id_of(last, version) {
                Value::String(s) => s,
                other => other.to_string(),
            };
            let href = ferrostack_api::pagination::next_link(
                &base,
                path,
                &query.without_marker(),
                &marker,
            );
            body["hypervisors_links"] = json!([{"rel": "next", "href": href}]);
        }
    }
    Ok(axum::Json(body).into_response())
}

/// List hypervisors.
#[utoipa::path(get, path = "/v2.1/os-hypervisors", tag = "hypervisors", operation_id = "list_hypervisors",
    responses((status = 200, description = "Hypervisors"), (status = 400), (status = 403)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    listing(nova, caller, version, headers, raw, false).await
}

/// List hypervisors with details.
#[utoipa::path(get, path = "/v2.1/os-hypervisors/detail", tag = "hypervisors", operation_id = "list_hypervisors_detail",
    responses((status = 200, description = "Hypervisors with details"), (status = 400), (status = 403)))]
async fn list_detail(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    listing(nova, caller, version, headers, raw, true).await
}

/// Sums over the enabled compute nodes (before 2.88).
#[utoipa::path(get, path = "/v2.1/os-hypervisors/statistics", tag = "hypervisors", operation_id = "hypervisor_statistics",
    responses((status = 200, description = "Statistics"), (status = 403), (status = 404)))]
async fn statistics(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
) -> Result<Response> {
    if version >= v(88) {
        return Err(NovaError::NotFound(
            "The resource could not be found.".into(),
        ));
    }
    let stats = nova.hypervisor_statistics(&caller).await?;
    Ok(axum::Json(json!({"hypervisor_statistics": stats})).into_response())
}

/// Show a hypervisor.
#[utoipa::path(get, path = "/v2.1/os-hypervisors/{hypervisor_id}", tag = "hypervisors", operation_id = "show_hypervisor",
    params(("hypervisor_id" = String, Path, description = "Hypervisor id (a UUID from 2.53)")),
    responses((status = 200, description = "The hypervisor"), (status = 400), (status = 403), (status = 404)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let query = Query::parse(raw.as_deref())?;
    if version >= v(53) {
        query.only(&["with_servers"])?;
    }
    let servers = with_servers(&query, version)?;
    let found = nova.hypervisor(&caller, &id, version >= v(53)).await?;
    let on = match servers {
        true => Some(nova.servers_on(std::slice::from_ref(&found)).await?),
        false => None,
    };
    let mut body = view(&found, version, true, on.as_ref());
    if version >= v(88) {
        // From 2.88 the uptime is part of the hypervisor, null when unknown.
        body["uptime"] = json!(nova.hypervisor_uptime(&found).await.ok());
    }
    Ok(axum::Json(json!({"hypervisor": body})).into_response())
}

/// A hypervisor's host uptime (before 2.88; the show has it after).
#[utoipa::path(get, path = "/v2.1/os-hypervisors/{hypervisor_id}/uptime", tag = "hypervisors", operation_id = "hypervisor_uptime",
    params(("hypervisor_id" = String, Path, description = "Hypervisor id (a UUID from 2.53)")),
    responses((status = 200, description = "The hypervisor with its uptime"), (status = 400), (status = 403), (status = 404), (status = 501)))]
async fn uptime(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    if version >= v(88) {
        return Err(NovaError::NotFound(
            "The resource could not be found.".into(),
        ));
    }
    nova.authorize(&caller, "os_compute_api:os-hypervisors:uptime", &json!({}))?;
    let found = nova.hypervisor(&caller, &id, version >= v(53)).await?;
    let uptime = nova.hypervisor_uptime(&found).await?;
    let mut body = view(&found, version, false, None);
    body["uptime"] = json!(uptime);
    Ok(axum::Json(json!({"hypervisor": body})).into_response())
}

/// Before 2.53 only; the search and servers paths are gone after.
fn before_253(version: ApiVersion) -> Result<()> {
    if version >= v(53) {
        return Err(NovaError::NotFound(
            "The resource could not be found.".into(),
        ));
    }
    Ok(())
}

/// Hypervisors whose hostname contains a pattern (before 2.53).
#[utoipa::path(get, path = "/v2.1/os-hypervisors/{hypervisor_hostname_pattern}/search", tag = "hypervisors", operation_id = "search_hypervisors",
    params(("hypervisor_hostname_pattern" = String, Path, description = "Part of a hypervisor hostname")),
    responses((status = 200, description = "The matching hypervisors"), (status = 403), (status = 404)))]
async fn search(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(pattern): Path<String>,
) -> Result<Response> {
    before_253(version)?;
    let found = nova
        .search_hypervisors(&caller, &pattern, "os_compute_api:os-hypervisors:search")
        .await?;
    let items: Vec<Value> = found
        .iter()
        .map(|h| view(h, version, false, None))
        .collect();
    Ok(axum::Json(json!({"hypervisors": items})).into_response())
}

/// Matching hypervisors with the servers on each (before 2.53).
#[utoipa::path(get, path = "/v2.1/os-hypervisors/{hypervisor_hostname_pattern}/servers", tag = "hypervisors", operation_id = "hypervisor_servers",
    params(("hypervisor_hostname_pattern" = String, Path, description = "Part of a hypervisor hostname")),
    responses((status = 200, description = "The matching hypervisors and their servers"), (status = 403), (status = 404)))]
async fn servers(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(pattern): Path<String>,
) -> Result<Response> {
    before_253(version)?;
    let found = nova
        .search_hypervisors(&caller, &pattern, "os_compute_api:os-hypervisors:servers")
        .await?;
    let on = nova.servers_on(&found).await?;
    let items: Vec<Value> = found
        .iter()
        .map(|h| view(h, version, false, Some(&on)))
        .collect();
    Ok(axum::Json(json!({"hypervisors": items})).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(list_detail))
        .routes(routes!(statistics))
        .routes(routes!(show))
        .routes(routes!(uptime))
        .routes(routes!(search))
        .routes(routes!(servers))
}
