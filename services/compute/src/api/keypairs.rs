//! `/v2.1/os-keypairs`: a user's key pairs (create or import, list, show,
//! delete), with their microversion changes (2.2 type, 2.10 user_id, 2.35
//! pages, 2.92 import only).

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
use crate::db::entity::key_pair;
use crate::domain::keypairs::NewKeyPair;
use crate::domain::{Caller, NovaError, Result};

const fn v(minor: u16) -> ApiVersion {
    ApiVersion::new(2, minor)
}

fn time(t: &chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// name, public_key, fingerprint (and type from 2.2).
fn base_view(k: &key_pair::Model, version: ApiVersion) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("name".into(), json!(k.name));
    body.insert("public_key".into(), json!(k.public_key));
    body.insert("fingerprint".into(), json!(k.fingerprint));
    if version >= v(2) {
        body.insert("type".into(), json!(k.kind));
    }
    body
}

/// `?user_id=` (2.10), the first value as Nova reads it.
fn user_param(query: &Query, version: ApiVersion) -> Option<String> {
    (version >= v(10))
        .then(|| query.first("user_id").map(str::to_string))
        .flatten()
}

fn known_params(query: &Query, version: ApiVersion, list: bool) -> Result<()> {
    if version < v(75) {
        return Ok(());
    }
    let mut known = vec!["user_id"];
    if list {
        known.extend(["limit", "marker"]);
    }
    query.only(&known)
}

/// List a user's key pairs.
#[utoipa::path(get, path = "/v2.1/os-keypairs", tag = "keypairs", operation_id = "list_keypairs",
    responses((status = 200, description = "Key pairs"), (status = 400), (status = 403)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let query = Query::parse(raw.as_deref())?;
    known_params(&query, version, true)?;
    let paged = version >= v(35);
    let limit = if paged {
        Some(query.limit(nova.cfg.max_limit)?)
    } else {
        None
    };
    let marker = if paged { query.get("marker") } else { None };
    let rows = nova
        .list_keypairs(
            &caller,
            user_param(&query, version).as_deref(),
            marker,
            limit,
        )
        .await?;
    let keypairs: Vec<Value> = rows
        .iter()
        .map(|k| json!({"keypair": base_view(k, version)}))
        .collect();
    let mut body = json!({"keypairs": keypairs});
    if let (Some(limit), Some(last)) = (limit, rows.last()) {
        if limit > 0 && rows.len() == limit {
            let base = super::base_url(&nova, &headers);
            let href = ferrostack_api::pagination::next_link(
                &base,
                "/v2.1/os-keypairs",
                &query.without_marker(),
                &last.name,
            );
            body["keypairs_links"] = json!([{"rel": "next", "href": href}]);
        }
    }
    Ok(axum::Json(body).into_response())
}

/// A create body as Nova's keypair schemas take it at `version`.
fn new_keypair(body: &Value, version: ApiVersion) -> Result<NewKeyPair> {
    if let Some(map) = body.as_object() {
        if let Some(extra) = map.keys().find(|k| *k != "keypair") {
            return Err(NovaError::BadRequest(format!(
                "Additional properties are not allowed ('{extra}' was unexpected)"
            )));
        }
    }
    let Some(fields) = body.get("keypair") else {
        return Err(NovaError::BadRequest(
            "'keypair' is a required property".into(),
        ));
    };
    let mut allowed = vec!["name", "public_key"];
    if version >= v(2) {
        allowed.push("type");
    }
    if version >= v(10) {
        allowed.push("user_id");
    }
    schema::only("keypair", fields, &allowed)?;
    let mut required = vec!["name"];
    if version >= v(92) {
        required.push("public_key");
    }
    for key in required {
        if fields.get(key).is_none() {
            return Err(field_error(
                "keypair",
                fields,
                &format!("'{key}' is a required property"),
            ));
        }
    }
    let name = match &fields["name"] {
        Value::String(name) => name.clone(),
        other => {
            return Err(field_error(
                "name",
                other,
                &format!("{} is not of type 'string'", python_repr(other)),
            ))
        }
    };
    if name.is_empty() {
        return Err(field_error(
            "name",
            &fields["name"],
            "'' should be non-empty",
        ));
    }
    if name.chars().count() > 255 {
        return Err(field_error(
            "name",
            &fields["name"],
            &format!("'{name}' is too long"),
        ));
    }
    schema::check_name(&name)?;
    let (extra, pattern) = if version >= v(92) {
        ("_-@. ", r"^[_\\-\\@\\. a-zA-Z0-9]+$")
    } else {
        ("_- ", r"^[_\\- a-zA-Z0-9]+$")
    };
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
    {
        return Err(field_error(
            "name",
            &fields["name"],
            &format!("'{name}' does not match '{pattern}'"),
        ));
    }
    let text = |key: &str| -> Result<Option<String>> {
        match fields.get(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(field_error(
                key,
                other,
                &format!("{} is not of type 'string'", python_repr(other)),
            )),
        }
    };
    let kind = text("type")?.unwrap_or_else(|| "ssh".into());
    if kind != "ssh" && kind != "x509" {
        return Err(field_error(
            "type",
            &fields["type"],
            &format!("'{kind}' is not one of ['ssh', 'x509']"),
        ));
    }
    Ok(NewKeyPair {
        name,
        kind,
        public_key: text("public_key")?,
        user_id: text("user_id")?,
    })
}

/// Import a public key, or (below 2.92) have one generated.
#[utoipa::path(post, path = "/v2.1/os-keypairs", tag = "keypairs", operation_id = "create_keypair",
    request_body(content = Object, content_type = "application/json", description = "{\"keypair\": {\"name\", \"public_key\", \"type\", \"user_id\"}}"),
    responses((status = 201, description = "The key pair (200 before 2.2)"), (status = 400), (status = 403), (status = 409)))]
async fn create(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    body: Bytes,
) -> Result<Response> {
    let new = new_keypair(&parse(&body)?, version)?;
    let created = nova.create_keypair(&caller, new).await?;
    let mut view = base_view(&created.row, version);
    view.insert("user_id".into(), json!(created.row.user_id));
    if let Some(private) = created.private_key {
        view.insert("private_key".into(), json!(private));
    }
    let status = if version >= v(2) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(json!({"keypair": view}))).into_response())
}

/// Show a key pair.
#[utoipa::path(get, path = "/v2.1/os-keypairs/{keypair_name}", tag = "keypairs", operation_id = "show_keypair",
    params(("keypair_name" = String, Path, description = "Key pair name")),
    responses((status = 200, description = "The key pair"), (status = 403), (status = 404)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let query = Query::parse(raw.as_deref())?;
    known_params(&query, version, false)?;
    let row = nova
        .show_keypair(&caller, &name, user_param(&query, version).as_deref())
        .await?;
    let mut view = base_view(&row, version);
    view.insert("user_id".into(), json!(row.user_id));
    view.insert("id".into(), json!(row.id));
    view.insert("created_at".into(), json!(time(&row.created_at)));
    view.insert("updated_at".into(), Value::Null);
    view.insert("deleted".into(), json!(false));
    view.insert("deleted_at".into(), Value::Null);
    Ok(axum::Json(json!({"keypair": view})).into_response())
}

/// Delete a key pair.
#[utoipa::path(delete, path = "/v2.1/os-keypairs/{keypair_name}", tag = "keypairs", operation_id = "delete_keypair",
    params(("keypair_name" = String, Path, description = "Key pair name")),
    responses((status = 204, description = "Deleted (202 before 2.2)"), (status = 403), (status = 404)))]
async fn delete(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<StatusCode> {
    let query = Query::parse(raw.as_deref())?;
    known_params(&query, version, false)?;
    nova.delete_keypair(&caller, &name, user_param(&query, version).as_deref())
        .await?;
    Ok(if version >= v(2) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::ACCEPTED
    })
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, delete))
}
