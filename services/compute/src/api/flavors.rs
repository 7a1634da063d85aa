//! `/v2.1/flavors`: list, detail, show, create, update (2.55), delete.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::schema::{self, field_error, python_repr};
use super::{parse, AppState};
use crate::db::entity::flavor;
use crate::domain::flavors::{FlavorQuery, NewFlavor};
use crate::domain::{Caller, NovaError, Result};

const fn v(minor: u16) -> ApiVersion {
    ApiVersion::new(2, minor)
}

/// A flavor's self and bookmark links.
fn links(base: &str, id: &str) -> Value {
    json!([
        {"rel": "self", "href": format!("{base}/v2.1/flavors/{id}")},
        {"rel": "bookmark", "href": format!("{base}/flavors/{id}")},
    ])
}

/// The list item: id, name, links (and description from 2.55).
fn summary(base: &str, f: &flavor::Model, version: ApiVersion) -> Value {
    let mut body = json!({"id": f.flavorid, "name": f.name, "links": links(base, &f.flavorid)});
    if version >= v(55) {
        body["description"] = json!(f.description);
    }
    body
}

/// The full view at `version`; `extra_specs` from 2.61 when given.
pub(super) fn detail(
    base: &str,
    f: &flavor::Model,
    version: ApiVersion,
    extra_specs: Option<&BTreeMap<String, String>>,
) -> Value {
    let mut body = Map::new();
    body.insert("id".into(), json!(f.flavorid));
    body.insert("name".into(), json!(f.name));
    body.insert("ram".into(), json!(f.memory_mb));
    body.insert("disk".into(), json!(f.root_gb));
    body.insert(
        "swap".into(),
        if f.swap == 0 && version < v(75) {
            json!("")
        } else {
            json!(f.swap)
        },
    );
    body.insert("OS-FLV-EXT-DATA:ephemeral".into(), json!(f.ephemeral_gb));
    body.insert("vcpus".into(), json!(f.vcpus));
    body.insert("os-flavor-access:is_public".into(), json!(f.is_public));
    if version < v(102) {
        body.insert("OS-FLV-DISABLED:disabled".into(), json!(f.disabled));
        body.insert("rxtx_factor".into(), json!(f.rxtx_factor));
    }
    body.insert("links".into(), links(base, &f.flavorid));
    if version >= v(55) {
        body.insert("description".into(), json!(f.description));
    }
    if version >= v(61) {
        if let Some(specs) = extra_specs {
            body.insert("extra_specs".into(), json!(specs));
        }
    }
    Value::Object(body)
}

/// The flavor at `version`, with its extra specs when 2.61 and policy say so.
async fn full(
    nova: &AppState,
    caller: &Caller,
    base: &str,
    f: &flavor::Model,
    version: ApiVersion,
) -> Result<Value> {
    let specs = if version >= v(61) && nova.may_see_extra_specs(caller) {
        Some(nova.extra_specs_of(&f.flavorid).await?)
    } else {
        None
    };
    Ok(detail(base, f, version, specs.as_ref()))
}

/// What a list asks for, as Nova's query schemas take it.
fn list_query(query: &Query, version: ApiVersion, max: usize) -> Result<FlavorQuery> {
    let mut known = vec![
        "limit",
        "marker",
        "is_public",
        "minRam",
        "minDisk",
        "sort_key",
        "sort_dir",
    ];
    if version >= v(102) {
        known.push("name");
    }
    if version >= v(75) {
        query.only(&known)?;
    }
    const SORT_KEYS: &[&str] = &[
        "created_at",
        "description",
        "disabled",
        "ephemeral_gb",
        "flavorid",
        "id",
        "is_public",
        "memory_mb",
        "name",
        "root_gb",
        "rxtx_factor",
        "swap",
        "updated_at",
        "vcpu_weight",
        "vcpus",
    ];
    let sort_key = query.get("sort_key").unwrap_or("flavorid");
    if !SORT_KEYS.contains(&sort_key) || (version >= v(102) && sort_key == "rxtx_factor") {
        let keys: Vec<String> = SORT_KEYS
            .iter()
            .filter(|k| version < v(102) || **k != "rxtx_factor")
            .map(|k| format!("'{k}'"))
            .collect();
        return Err(schema::query_error(
            "sort_key",
            sort_key,
            &format!("'{sort_key}' is not one of [{}]", keys.join(", ")),
        ));
    }
    let descending = match query.get("sort_dir").unwrap_or("asc") {
        "asc" => false,
        "desc" => true,
        other => {
            return Err(schema::query_error(
                "sort_dir",
                other,
                &format!("'{other}' is not one of ['asc', 'desc']"),
            ))
        }
    };
    let int = |name: &str| -> Result<Option<i64>> {
        query
            .get(name)
            .map(|raw| {
                raw.trim()
                    .parse::<i64>()
                    .map_err(|_| NovaError::BadRequest(format!("Invalid {name} filter [{raw}]")))
            })
            .transpose()
    };
    let is_public = match query.get("is_public") {
        None => Some(true),
        Some(raw) if raw.eq_ignore_ascii_case("none") => None,
        Some(raw) => Some(match raw.trim().to_ascii_lowercase().as_str() {
            "1" | "t" | "true" | "on" | "y" | "yes" => true,
            "0" | "f" | "false" | "off" | "n" | "no" => false,
            _ => {
                return Err(NovaError::BadRequest(format!(
                    "Invalid is_public filter [{raw}]"
                )))
            }
        }),
    };
    Ok(FlavorQuery {
        is_public,
        min_ram: int("minRam")?,
        min_disk: int("minDisk")?,
        name: if version >= v(102) {
            query.get("name").map(str::to_string)
        } else {
            None
        },
        sort_key: sort_key.to_string(),
        descending,
        marker: query.get("marker").map(str::to_string),
        limit: query.limit(max)?,
    })
}

async fn listing(
    nova: AppState,
    caller: Caller,
    version: ApiVersion,
    headers: HeaderMap,
    raw: Option<String>,
    detailed: bool,
) -> Result<Response> {
    let query = Query::parse(raw.as_deref())?;
    let request = list_query(&query, version, nova.cfg.max_limit)?;
    let rows = nova.list_flavors(&caller, &request).await?;
    let base = super::base_url(&nova, &headers);
    let mut flavors = Vec::new();
    for f in &rows {
        flavors.push(if detailed {
            full(&nova, &caller, &base, f, version).await?
        } else {
            summary(&base, f, version)
        });
    }
    let mut body = json!({"flavors": flavors});
    if request.limit > 0 && rows.len() == request.limit {
        if let Some(last) = rows.last() {
            let path = if detailed {
                "/v2.1/flavors/detail"
            } else {
                "/v2.1/flavors"
            };
            let href = ferrostack_api::pagination::next_link(
                &base,
                path,
                &query.without_marker(),
                &last.flavorid,
            );
            body["flavors_links"] = json!([{"rel": "next", "href": href}]);
        }
    }
    Ok(axum::Json(body).into_response())
}

/// List flavors (id, name, links).
#[utoipa::path(get, path = "/v2.1/flavors", tag = "flavors", operation_id = "list_flavors",
    responses((status = 200, description = "Flavors"), (status = 400)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    listing(nova, caller, version, headers, raw, false).await
}

/// List flavors with details.
#[utoipa::path(get, path = "/v2.1/flavors/detail", tag = "flavors", operation_id = "list_flavors_detail",
    responses((status = 200, description = "Flavors with details"), (status = 400)))]
async fn list_detail(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    listing(nova, caller, version, headers, raw, true).await
}

/// Show a flavor.
#[utoipa::path(get, path = "/v2.1/flavors/{flavor_id}", tag = "flavors", operation_id = "show_flavor",
    params(("flavor_id" = String, Path, description = "Flavor id")),
    responses((status = 200, description = "The flavor"), (status = 404)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    if version >= v(102) {
        Query::parse(raw.as_deref())?.only(&[])?;
    }
    let row = nova.flavor(&caller, &id).await?;
    let base = super::base_url(&nova, &headers);
    let body = full(&nova, &caller, &base, &row, version).await?;
    Ok(axum::Json(json!({"flavor": body})).into_response())
}

/// A create body as Nova's `create` schemas (2.1, 2.55, 2.102) take it.
fn new_flavor(body: &Value, version: ApiVersion) -> Result<NewFlavor> {
    schema::only("", body, &["flavor"]).map_err(|_| {
        NovaError::BadRequest(
            match body.as_object().map(|o| o.keys().find(|k| *k != "flavor")) {
                Some(Some(extra)) => {
                    format!("Additional properties are not allowed ('{extra}' was unexpected)")
                }
                _ => format!("{} is not of type 'object'", python_repr(body)),
            },
        )
    })?;
    let Some(fields) = body.get("flavor") else {
        return Err(NovaError::BadRequest(
            "'flavor' is a required property".into(),
        ));
    };
    let mut allowed = vec![
        "name",
        "id",
        "ram",
        "vcpus",
        "disk",
        "OS-FLV-EXT-DATA:ephemeral",
        "swap",
        "os-flavor-access:is_public",
    ];
    if version < v(102) {
        allowed.push("rxtx_factor");
    }
    if version >= v(55) {
        allowed.push("description");
    }
    schema::only("flavor", fields, &allowed)?;
    for required in ["name", "ram", "vcpus", "disk"] {
        if fields.get(required).is_none() {
            return Err(field_error(
                "flavor",
                fields,
                &format!("'{required}' is a required property"),
            ));
        }
    }
    let name = match &fields["name"] {
        Value::String(name) if name.is_empty() => {
            return Err(field_error(
                "name",
                &fields["name"],
                "'' should be non-empty",
            ))
        }
        Value::String(name) if name.chars().count() > 255 => {
            return Err(field_error(
                "name",
                &fields["name"],
                &format!("'{name}' is too long"),
            ))
        }
        Value::String(name) => {
            schema::check_name(name)?;
            name.clone()
        }
        other => {
            return Err(field_error(
                "name",
                other,
                &format!("{} is not of type 'string'", python_repr(other)),
            ))
        }
    };
    let id = match fields.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => None,
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(id)) => {
            let id_ok = regex::Regex::new(r"^[a-zA-Z0-9. _-]+$")
                .map(|re| re.is_match(id))
                .unwrap_or(false)
                && !id.starts_with(' ')
                && !id.ends_with(' ');
            if id.chars().count() > 255 {
                return Err(field_error(
                    "id",
                    &fields["id"],
                    &format!("'{id}' is too long"),
                ));
            }
            if !id_ok {
                return Err(field_error(
                    "id",
                    &fields["id"],
                    &format!("'{id}' does not match '^(?! )[a-zA-Z0-9. _-]+(?<! )$'"),
                ));
            }
            Some(id.clone())
        }
        Some(other) => {
            return Err(field_error(
                "id",
                other,
                &format!(
                    "{} is not of type 'string', 'number', 'null'",
                    python_repr(other)
                ),
            ))
        }
    };
    let optional = |key: &str, min: i64| -> Result<i64> {
        fields
            .get(key)
            .map(|v| schema::bounded_integer(key, v, min))
            .transpose()
            .map(|v| v.unwrap_or(0))
    };
    let rxtx_factor = match fields.get("rxtx_factor") {
        None => 1.0,
        Some(value) => {
            let number = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(text) => text.parse::<f64>().ok().filter(|_| {
                    regex::Regex::new(r"^[0-9]+(\.[0-9]+)?$").is_ok_and(|re| re.is_match(text))
                }),
                _ => None,
            };
            match number {
                Some(f) if f > 0.0 && f <= 3.40282e38 => f,
                _ => {
                    return Err(NovaError::BadRequest(
                        "Invalid input received: 'rxtx_factor' argument must be a float between 0 and 3.40282e+38".into(),
                    ))
                }
            }
        }
    };
    let description = match fields.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.chars().count() > 65535 => {
            return Err(field_error(
                "description",
                &fields["description"],
                &format!("'{text}' is too long"),
            ))
        }
        Some(Value::String(text)) => Some(text.clone()),
        Some(other) => {
            return Err(field_error(
                "description",
                other,
                &format!("{} is not of type 'string', 'null'", python_repr(other)),
            ))
        }
    };
    Ok(NewFlavor {
        id,
        name,
        ram: schema::bounded_integer("ram", &fields["ram"], 1)?,
        vcpus: schema::bounded_integer("vcpus", &fields["vcpus"], 1)?,
        disk: schema::bounded_integer("disk", &fields["disk"], 0)?,
        ephemeral: optional("OS-FLV-EXT-DATA:ephemeral", 0)?,
        swap: optional("swap", 0)?,
        rxtx_factor,
        is_public: fields
            .get("os-flavor-access:is_public")
            .map(|v| schema::boolean("os-flavor-access:is_public", v))
            .transpose()?
            .unwrap_or(true),
        description,
    })
}

/// Create a flavor (admin).
#[utoipa::path(post, path = "/v2.1/flavors", tag = "flavors", operation_id = "create_flavor",
    request_body(content = Object, content_type = "application/json", description = "{\"flavor\": {\"name\", \"ram\", \"vcpus\", \"disk\", ...}}"),
    responses((status = 200, description = "The flavor"), (status = 400), (status = 403), (status = 409)))]
async fn create(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let new = new_flavor(&parse(&body)?, version)?;
    let row = nova.create_flavor(&caller, new).await?;
    let base = super::base_url(&nova, &headers);
    let specs = (version >= v(61) && nova.may_see_extra_specs(&caller)).then(BTreeMap::new);
    let body = detail(&base, &row, version, specs.as_ref());
    Ok(axum::Json(json!({"flavor": body})).into_response())
}

/// Set a flavor's description (2.55, admin).
#[utoipa::path(put, path = "/v2.1/flavors/{flavor_id}", tag = "flavors", operation_id = "update_flavor",
    params(("flavor_id" = String, Path, description = "Flavor id")),
    request_body(content = Object, content_type = "application/json", description = "{\"flavor\": {\"description\"}}"),
    responses((status = 200, description = "The flavor"), (status = 400), (status = 403), (status = 404)))]
async fn update(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    super::added_in(version, 55)?;
    let body: Value = parse(&body)?;
    let Some(fields) = body.get("flavor") else {
        return Err(NovaError::BadRequest(
            "'flavor' is a required property".into(),
        ));
    };
    schema::only("flavor", fields, &["description"])?;
    let description = match fields.get("description") {
        None => {
            return Err(field_error(
                "flavor",
                fields,
                "'description' is a required property",
            ))
        }
        Some(Value::Null) => None,
        Some(Value::String(text)) if text.chars().count() <= 65535 => Some(text.clone()),
        Some(other) => {
            return Err(field_error(
                "description",
                other,
                &format!("{} is not of type 'string', 'null'", python_repr(other)),
            ))
        }
    };
    let row = nova.update_flavor(&caller, &id, description).await?;
    let base = super::base_url(&nova, &headers);
    let body = full(&nova, &caller, &base, &row, version).await?;
    Ok(axum::Json(json!({"flavor": body})).into_response())
}

/// Delete a flavor (admin).
#[utoipa::path(delete, path = "/v2.1/flavors/{flavor_id}", tag = "flavors", operation_id = "delete_flavor",
    params(("flavor_id" = String, Path, description = "Flavor id")),
    responses((status = 202, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete(
    State(nova): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    nova.delete_flavor(&caller, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(list_detail))
        .routes(routes!(show, update, delete))
}
