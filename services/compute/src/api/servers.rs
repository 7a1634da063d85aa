//! `/v2.1/servers`: create, list (and detail), show, update and delete.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::schema::{boolean, query_error};
use super::server_body::{new_server, server_update};
use super::server_view::{full, links, summary, ViewContext, ViewKind};
use super::{parse, AppState};
use crate::domain::servers::{Server, ServerFilters, SortKey};
use crate::domain::{Caller, NovaError, Result};

const fn v(minor: u16) -> ApiVersion {
    ApiVersion::new(2, minor)
}

/// Full views of `servers` for `caller`.
pub(super) async fn full_views(
    nova: &AppState,
    caller: &Caller,
    base: &str,
    version: ApiVersion,
    servers: &[Server],
    kind: ViewKind,
) -> Result<Vec<Value>> {
    let extended = nova
        .authorize(
            caller,
            "os_compute_api:os-extended-server-attributes",
            &json!({"project_id": caller.project()}),
        )
        .is_ok();
    let statuses: Option<BTreeMap<String, &str>> = if version >= v(16) {
        nova.host_statuses(caller, caller.project()).await?
    } else {
        None
    };
    let zones = nova.host_zones().await?;
    Ok(servers
        .iter()
        .map(|server| {
            let host_status = statuses.as_ref().map(|s| match &server.row.host {
                Some(host) => s.get(host).copied().unwrap_or("UNKNOWN"),
                None => "",
            });
            full(
                server,
                &ViewContext {
                    base,
                    version,
                    caller,
                    extended,
                    host_status,
                    kind,
                    zones: &zones,
                },
            )
        })
        .collect())
}

/// Create one or more servers.
#[utoipa::path(post, path = "/v2.1/servers", tag = "servers", operation_id = "create_server",
    request_body(content = Object, content_type = "application/json", description = "{\"server\": {\"name\", \"imageRef\", \"flavorRef\", \"networks\", ...}, \"os:scheduler_hints\": {...}}"),
    responses((status = 202, description = "Accepted"), (status = 400), (status = 403)))]
async fn create(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let body: Value = parse(&body)?;
    let (new, return_reservation) = new_server(&body, version)?;
    let asked_groups = new.security_groups.clone();
    let created = nova.create_server(&caller, new).await?;
    if return_reservation {
        return Ok((
            StatusCode::ACCEPTED,
            axum::Json(json!({"reservation_id": created.reservation_id})),
        )
            .into_response());
    }
    let base = super::base_url(&nova, &headers);
    let first = &created.servers[0];
    let groups: Vec<Value> = if asked_groups.is_empty() {
        vec![json!({"name": "default"})]
    } else {
        asked_groups
            .iter()
            .map(|name| json!({ "name": name }))
            .collect()
    };
    let body = json!({"server": {
        "id": first.uuid,
        "links": links(&base, &first.uuid),
        "OS-DCF:diskConfig": if first.auto_disk_config { "AUTO" } else { "MANUAL" },
        "security_groups": groups,
        "adminPass": created.admin_pass,
    }});
    let location = format!("{base}/v2.1/servers/{}", first.uuid);
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        axum::Json(body),
    )
        .into_response())
}

/// Comma-separated tags of a tag filter.
fn tag_list(query: &Query, name: &str) -> Vec<String> {
    query
        .get(name)
        .map(|t| {
            t.split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn timestamp(name: &str, raw: &str) -> Result<chrono::NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| t.naive_utc())
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f"))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .map_err(|_| query_error(name, raw, &format!("'{raw}' is not a 'date-time'")))
}

/// The list filters of a query as Nova reads them at `version`.
fn filters(query: &Query, version: ApiVersion, max_limit: usize) -> Result<ServerFilters> {
    let mut f = ServerFilters {
        limit: query.limit(max_limit)?,
        marker: query.get("marker").map(str::to_string),
        name: query.get("name").map(str::to_string),
        status: query.get("status").map(str::to_string),
        image: query.get("image").map(str::to_string),
        flavor: query.get("flavor").map(str::to_string),
        host: query.get("host").map(str::to_string),
        ip: query.get("ip").map(str::to_string),
        ip6: query.get("ip6").map(str::to_string),
        ..ServerFilters::default()
    };
    if let Some(raw) = query.get("all_tenants") {
        f.all_tenants = raw.is_empty()
            || boolean("all_tenants", &json!(raw)).map_err(|_| {
                NovaError::BadRequest(format!("Invalid value '{raw}' for all_tenants"))
            })?;
    }
    f.project_id = query
        .get("project_id")
        .or(query.get("tenant_id"))
        .map(str::to_string);
    if let Some(raw) = query.get("changes-since") {
        f.changes_since = Some(timestamp("changes-since", raw)?);
    }
    if version >= v(66) {
        if let Some(raw) = query.get("changes-before") {
            f.changes_before = Some(timestamp("changes-before", raw)?);
        }
        if let (Some(since), Some(before)) = (f.changes_since, f.changes_before) {
            if since > before {
                return Err(NovaError::BadRequest(
                    "The value of changes-since must be less than or equal to changes-before."
                        .into(),
                ));
            }
        }
    }
    if version >= v(73) {
        if let Some(raw) = query.get("locked") {
            f.locked = Some(boolean("locked", &json!(raw)).map_err(|_| {
                query_error("locked", raw, &format!("'{raw}' is not a valid boolean"))
            })?);
        }
    }
    if version >= v(26) {
        f.tags = tag_list(query, "tags");
        f.tags_any = tag_list(query, "tags-any");
        f.not_tags = tag_list(query, "not-tags");
        f.not_tags_any = tag_list(query, "not-tags-any");
    }
    let keys: Vec<&str> = query.all("sort_key");
    let dirs: Vec<&str> = query.all("sort_dir");
    for (i, key) in keys.iter().enumerate() {
        let key = SortKey::parse(key).ok_or_else(|| {
            query_error(
                "sort_key",
                key,
                &format!("'{key}' is not one of the sort keys"),
            )
        })?;
        let descending = match dirs.get(i).copied().unwrap_or("desc") {
            "asc" => false,
            "desc" => true,
            other => {
                return Err(query_error(
                    "sort_dir",
                    other,
                    &format!("'{other}' is not one of ['asc', 'desc']"),
                ))
            }
        };
        f.sort.push((key, descending));
    }
    Ok(f)
}

async fn list_page(
    nova: AppState,
    caller: Caller,
    version: ApiVersion,
    headers: HeaderMap,
    raw: Option<String>,
    detail: bool,
) -> Result<Response> {
    let query = Query::parse(raw.as_deref())?;
    let filters = filters(&query, version, nova.cfg.max_limit)?;
    let servers = nova.list_servers(&caller, &filters, detail).await?;
    let base = super::base_url(&nova, &headers);
    let items: Vec<Value> = if detail {
        full_views(&nova, &caller, &base, version, &servers, ViewKind::Detail).await?
    } else {
        servers.iter().map(|s| summary(&base, s)).collect()
    };
    let mut body = json!({"servers": items});
    if let Some(last) = servers
        .last()
        .filter(|_| servers.len() == filters.limit && filters.limit > 0)
    {
        let path = if detail {
            "/v2.1/servers/detail"
        } else {
            "/v2.1/servers"
        };
        let href = ferrostack_api::pagination::next_link(
            &base,
            path,
            &query.without_marker(),
            &last.row.uuid,
        );
        body["servers_links"] = json!([{"rel": "next", "href": href}]);
    }
    Ok(axum::Json(body).into_response())
}

/// List servers (id, name, links).
#[utoipa::path(get, path = "/v2.1/servers", tag = "servers", operation_id = "list_servers",
    responses((status = 200, description = "Servers"), (status = 400), (status = 403)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    list_page(nova, caller, version, headers, raw, false).await
}

/// List servers with details.
#[utoipa::path(get, path = "/v2.1/servers/detail", tag = "servers", operation_id = "list_servers_detail",
    responses((status = 200, description = "Servers"), (status = 400), (status = 403)))]
async fn detail(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    list_page(nova, caller, version, headers, raw, true).await
}

/// Show a server.
#[utoipa::path(get, path = "/v2.1/servers/{server_id}", tag = "servers", operation_id = "show_server",
    params(("server_id" = String, Path)),
    responses((status = 200, description = "The server"), (status = 404)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response> {
    let server = nova.show_server(&caller, &id).await?;
    let base = super::base_url(&nova, &headers);
    let view = full_views(&nova, &caller, &base, version, &[server], ViewKind::Show).await?;
    Ok(axum::Json(json!({"server": view[0]})).into_response())
}

/// Update a server's name, description, access IPs or hostname.
#[utoipa::path(put, path = "/v2.1/servers/{server_id}", tag = "servers", operation_id = "update_server",
    params(("server_id" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "{\"server\": {\"name\", \"description\", \"accessIPv4\", \"accessIPv6\", \"hostname\"}}"),
    responses((status = 200, description = "The server"), (status = 400), (status = 404)))]
async fn update(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let body: Value = parse(&body)?;
    let update = server_update(&body, version)?;
    let mut server = nova.update_server(&caller, &id, update).await?;
    if let Some(auto) = super::schema::disk_config(&body["server"])? {
        nova.set_disk_config(&id, auto).await?;
        server.row.auto_disk_config = auto;
    }
    let base = super::base_url(&nova, &headers);
    let view = full_views(&nova, &caller, &base, version, &[server], ViewKind::Changed).await?;
    Ok(axum::Json(json!({"server": view[0]})).into_response())
}

/// Delete a server.
#[utoipa::path(delete, path = "/v2.1/servers/{server_id}", tag = "servers", operation_id = "delete_server",
    params(("server_id" = String, Path)),
    responses((status = 204, description = "Deleting"), (status = 404), (status = 409)))]
async fn delete(
    State(nova): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    nova.delete_server(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(detail))
        .routes(routes!(show, update, delete))
}
