//! `/v3/domains/{id}/config` and `/v3/domains/config/.../default`: domain-specific
//! configuration and its defaults. Every body is `{"config": ...}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use ferrostack_api::Json;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, Caller};
use crate::domain::{default_domain_config, ConfigGroups, Error, Stored};

type Reply = Result<(StatusCode, axum::Json<Value>), Error>;

fn reply(status: StatusCode, config: ConfigGroups) -> Reply {
    Ok((status, axum::Json(json!({ "config": config }))))
}

/// The `config` object of a request body (none is Keystone's "No options specified").
fn config_of(body: Value) -> ConfigGroups {
    match body {
        Value::Object(mut body) => match body.remove("config") {
            Some(Value::Object(config)) => config,
            _ => ConfigGroups::new(),
        },
        _ => ConfigGroups::new(),
    }
}

/// The `security_compliance` group any user may read, for the default domain only:
/// the password pattern users must meet and its description.
fn security_compliance(identity: &AppState, domain_id: &str, option: Option<&str>) -> Reply {
    if domain_id != identity.cfg.default_domain_id {
        return Err(Error::Forbidden(
            "Invalid domain specific configuration: Reading security compliance information for any domain other than the default domain is not allowed or supported.".into(),
        ));
    }
    let rules = &identity.cfg.security;
    let options = ConfigGroups::from_iter([
        (
            "password_regex".to_string(),
            rules
                .password_regex
                .as_ref()
                .map_or(Value::Null, |r| Value::String(r.as_str().to_string())),
        ),
        (
            "password_regex_description".to_string(),
            rules
                .password_regex_description
                .clone()
                .map_or(Value::Null, Value::String),
        ),
    ]);
    match option {
        None => reply(
            StatusCode::OK,
            ConfigGroups::from_iter([("security_compliance".into(), Value::Object(options))]),
        ),
        Some(option) if options.contains_key(option) => reply(
            StatusCode::OK,
            ConfigGroups::from_iter([(option.to_string(), options[option].clone())]),
        ),
        Some(_) => Err(Error::Forbidden(
            "Invalid domain specific configuration: Reading security compliance values other than password_regex and password_regex_description is not allowed.".into(),
        )),
    }
}

async fn show_config(
    identity: &AppState,
    caller: &Caller,
    domain_id: &str,
    group: Option<&str>,
    option: Option<&str>,
) -> Reply {
    if group == Some("security_compliance") {
        caller.authorize(
            identity,
            "identity:get_security_compliance_domain_config",
            &json!({}),
        )?;
        identity.get_domain(domain_id).await?;
        return security_compliance(identity, domain_id, option);
    }
    caller.authorize(identity, "identity:get_domain_config", &json!({}))?;
    reply(
        StatusCode::OK,
        identity.get_domain_config(domain_id, group, option).await?,
    )
}

async fn patch_config(
    identity: &AppState,
    caller: &Caller,
    domain_id: &str,
    group: Option<&str>,
    option: Option<&str>,
    body: Value,
) -> Reply {
    caller.authorize(identity, "identity:update_domain_config", &json!({}))?;
    let config = identity
        .update_domain_config(domain_id, group, option, config_of(body))
        .await?;
    reply(StatusCode::OK, config)
}

async fn delete_config(
    identity: &AppState,
    caller: &Caller,
    domain_id: &str,
    group: Option<&str>,
    option: Option<&str>,
) -> Result<StatusCode, Error> {
    caller.authorize(identity, "identity:delete_domain_config", &json!({}))?;
    identity
        .delete_domain_config(domain_id, group, option)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Show a domain's configuration.
#[utoipa::path(get, path = "/v3/domains/{domain_id}/config", tag = "domain configuration",
    operation_id = "get_domain_config",
    params(("domain_id" = String, Path, description = "Domain id")),
    responses((status = 200, description = "The configuration"), (status = 403), (status = 404)))]
async fn show(
    State(identity): State<AppState>,
    caller: Caller,
    Path(domain_id): Path<String>,
) -> Reply {
    show_config(&identity, &caller, &domain_id, None, None).await
}

/// Create or replace a domain's configuration (201 when it had none).
#[utoipa::path(put, path = "/v3/domains/{domain_id}/config", tag = "domain configuration",
    operation_id = "create_domain_config",
    params(("domain_id" = String, Path, description = "Domain id")),
    request_body(content = Object, content_type = "application/json",
        description = "`{\"config\": {\"identity\": {...}, \"ldap\": {...}}}`"),
    responses((status = 201, description = "Created"), (status = 200, description = "Replaced"),
        (status = 403), (status = 404)))]
async fn put(
    State(identity): State<AppState>,
    caller: Caller,
    Path(domain_id): Path<String>,
    Json(body): Json<Value>,
) -> Reply {
    caller.authorize(&identity, "identity:create_domain_config", &json!({}))?;
    match identity
        .put_domain_config(&domain_id, config_of(body))
        .await?
    {
        Stored::Created(config) => reply(StatusCode::CREATED, config),
        Stored::Replaced(config) => reply(StatusCode::OK, config),
    }
}

/// Merge options into a domain's configuration.
#[utoipa::path(patch, path = "/v3/domains/{domain_id}/config", tag = "domain configuration",
    operation_id = "update_domain_config",
    params(("domain_id" = String, Path, description = "Domain id")),
    request_body(content = Object, content_type = "application/json", description = "`{\"config\": {...}}`"),
    responses((status = 200, description = "The whole configuration"), (status = 403), (status = 404)))]
async fn patch(
    State(identity): State<AppState>,
    caller: Caller,
    Path(domain_id): Path<String>,
    Json(body): Json<Value>,
) -> Reply {
    patch_config(&identity, &caller, &domain_id, None, None, body).await
}

/// Delete a domain's configuration.
#[utoipa::path(delete, path = "/v3/domains/{domain_id}/config", tag = "domain configuration",
    operation_id = "delete_domain_config",
    params(("domain_id" = String, Path, description = "Domain id")),
    responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete(
    State(identity): State<AppState>,
    caller: Caller,
    Path(domain_id): Path<String>,
) -> Result<StatusCode, Error> {
    delete_config(&identity, &caller, &domain_id, None, None).await
}

/// Show one group of a domain's configuration.
#[utoipa::path(get, path = "/v3/domains/{domain_id}/config/{group}", tag = "domain configuration",
    operation_id = "get_domain_config_group",
    params(("domain_id" = String, Path, description = "Domain id"),
        ("group" = String, Path, description = "`identity` or `ldap`")),
    responses((status = 200, description = "The group"), (status = 403), (status = 404)))]
async fn show_group(
    State(identity): State<AppState>,
    caller: Caller,
    Path((domain_id, group)): Path<(String, String)>,
) -> Reply {
    show_config(&identity, &caller, &domain_id, Some(&group), None).await
}

/// Update one existing group of a domain's configuration.
#[utoipa::path(patch, path = "/v3/domains/{domain_id}/config/{group}", tag = "domain configuration",
    operation_id = "update_domain_config_group",
    params(("domain_id" = String, Path, description = "Domain id"),
        ("group" = String, Path, description = "`identity` or `ldap`")),
    request_body(content = Object, content_type = "application/json",
        description = "`{\"config\": {\"<group>\": {...}}}`"),
    responses((status = 200, description = "The whole configuration"), (status = 403), (status = 404)))]
async fn patch_group(
    State(identity): State<AppState>,
    caller: Caller,
    Path((domain_id, group)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Reply {
    patch_config(&identity, &caller, &domain_id, Some(&group), None, body).await
}

/// Delete one group of a domain's configuration.
#[utoipa::path(delete, path = "/v3/domains/{domain_id}/config/{group}", tag = "domain configuration",
    operation_id = "delete_domain_config_group",
    params(("domain_id" = String, Path, description = "Domain id"),
        ("group" = String, Path, description = "`identity` or `ldap`")),
    responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete_group(
    State(identity): State<AppState>,
    caller: Caller,
    Path((domain_id, group)): Path<(String, String)>,
) -> Result<StatusCode, Error> {
    delete_config(&identity, &caller, &domain_id, Some(&group), None).await
}

/// Show one option of a domain's configuration (`{"config": {"<option>": value}}`).
#[utoipa::path(get, path = "/v3/domains/{domain_id}/config/{group}/{option}",
    tag = "domain configuration", operation_id = "get_domain_config_option",
    params(("domain_id" = String, Path, description = "Domain id"),
        ("group" = String, Path, description = "`identity` or `ldap`"),
        ("option" = String, Path, description = "Option name")),
    responses((status = 200, description = "The option"), (status = 403), (status = 404)))]
async fn show_option(
    State(identity): State<AppState>,
    caller: Caller,
    Path((domain_id, group, option)): Path<(String, String, String)>,
) -> Reply {
    show_config(&identity, &caller, &domain_id, Some(&group), Some(&option)).await
}

/// Update one existing option of a domain's configuration.
#[utoipa::path(patch, path = "/v3/domains/{domain_id}/config/{group}/{option}",
    tag = "domain configuration", operation_id = "update_domain_config_option",
    params(("domain_id" = String, Path, description = "Domain id"),
        ("group" = String, Path, description = "`identity` or `ldap`"),
        ("option" = String, Path, description = "Option name")),
    request_body(content = Object, content_type = "application/json",
        description = "`{\"config\": {\"<option>\": value}}`"),
    responses((status = 200, description = "The whole configuration"), (status = 403), (status = 404)))]
async fn patch_option(
    State(identity): State<AppState>,
    caller: Caller,
    Path((domain_id, group, option)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> Reply {
    patch_config(
        &identity,
        &caller,
        &domain_id,
        Some(&group),
        Some(&option),
        body,
    )
    .await
}

/// Delete one option of a domain's configuration.
#[utoipa::path(delete, path = "/v3/domains/{domain_id}/config/{group}/{option}",
    tag = "domain configuration", operation_id = "delete_domain_config_option",
    params(("domain_id" = String, Path, description = "Domain id"),
        ("group" = String, Path, description = "`identity` or `ldap`"),
        ("option" = String, Path, description = "Option name")),
    responses((status = 204, description = "Deleted"), (status = 403), (status = 404)))]
async fn delete_option(
    State(identity): State<AppState>,
    caller: Caller,
    Path((domain_id, group, option)): Path<(String, String, String)>,
) -> Result<StatusCode, Error> {
    delete_config(&identity, &caller, &domain_id, Some(&group), Some(&option)).await
}

/// The default configuration.
#[utoipa::path(get, path = "/v3/domains/config/default", tag = "domain configuration",
    operation_id = "get_domain_config_default",
    responses((status = 200, description = "Every group's defaults"), (status = 403)))]
async fn defaults(State(identity): State<AppState>, caller: Caller) -> Reply {
    caller.authorize(&identity, "identity:get_domain_config_default", &json!({}))?;
    reply(StatusCode::OK, default_domain_config(None, None)?)
}

/// One group's defaults.
#[utoipa::path(get, path = "/v3/domains/config/{group}/default", tag = "domain configuration",
    operation_id = "get_domain_config_default_group",
    params(("group" = String, Path, description = "`identity` or `ldap`")),
    responses((status = 200, description = "The group's defaults"), (status = 403)))]
async fn group_defaults(
    State(identity): State<AppState>,
    caller: Caller,
    Path(group): Path<String>,
) -> Reply {
    caller.authorize(&identity, "identity:get_domain_config_default", &json!({}))?;
    reply(StatusCode::OK, default_domain_config(Some(&group), None)?)
}

/// One option's default.
#[utoipa::path(get, path = "/v3/domains/config/{group}/{option}/default",
    tag = "domain configuration", operation_id = "get_domain_config_default_option",
    params(("group" = String, Path, description = "`identity` or `ldap`"),
        ("option" = String, Path, description = "Option name")),
    responses((status = 200, description = "The option's default"), (status = 403)))]
async fn option_default(
    State(identity): State<AppState>,
    caller: Caller,
    Path((group, option)): Path<(String, String)>,
) -> Reply {
    caller.authorize(&identity, "identity:get_domain_config_default", &json!({}))?;
    reply(
        StatusCode::OK,
        default_domain_config(Some(&group), Some(&option))?,
    )
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show, put, patch, delete))
        .routes(routes!(show_group, patch_group, delete_group))
        .routes(routes!(show_option, patch_option, delete_option))
        .routes(routes!(defaults))
        .routes(routes!(group_defaults))
        .routes(routes!(option_default))
}
