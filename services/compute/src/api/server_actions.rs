//! `POST /v2.1/servers/{id}/action`: the actions built so far — os-start,
//! os-stop, reboot, pause/unpause, suspend/resume, lock/unlock, rebuild,
//! os-resetState, os-getConsoleOutput, changePassword, createImage and
//! shelve/shelveOffload/unshelve, resize/confirmResize/revertResize, migrate
//! os-migrateLive, evacuate, rescue/unrescue, the 2.1–2.5 console actions and
//! the network service's (security groups, floating IPs).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schema::{boolean, field_error, only, python_repr};
use super::server_body::rebuild_request;
use super::{parse, AppState};
use crate::domain::servers::{
    ImageRequest, LockRequest, MoveRequest, RebuildRequest, ServerOp, UnshelveRequest,
};
use crate::domain::{Caller, NovaError, Result};

/// What an action body asks for.
#[derive(Debug, Clone, PartialEq)]
enum Action {
    Op(ServerOp),
    Lock(LockRequest),
    Unlock,
    Rebuild(Box<RebuildRequest>),
    ResetState(String),
    /// A soft-deleted server back (`reclaim_instance_interval`).
    Restore,
    ForceDelete,
    /// The console's last lines (all when none).
    ConsoleOutput(Option<u64>),
    ChangePassword(String),
    CreateImage(ImageRequest),
    Shelve,
    ShelveOffload,
    Unshelve(UnshelveRequest),
    Move(MoveRequest),
    /// The move, and the password asked for.
    Evacuate(MoveRequest, Option<String>),
    /// A password and a rescue image, each if given.
    Rescue(Option<String>, Option<String>),
    ConfirmResize,
    RevertResize,
    /// A remote console's URL (the 2.1–2.5 `os-get*Console` actions).
    Console(super::remote_consoles::ConsoleAsk),
    InjectNetworkInfo,
    /// One the network service carries out.
    Network(super::server_network_actions::NetworkAction),
}

/// `rescue`'s body: null, or an `adminPass` and a `rescue_image_ref`.
fn rescue_request(args: &Value) -> Result<Action> {
    if args.is_null() {
        return Ok(Action::Rescue(None, None));
    }
    only("rescue", args, &["adminPass", "rescue_image_ref"])?;
    let text = |field: &str| match args.get(field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(field_error(
            field,
            other,
            &format!("{} is not of type 'string'", python_repr(other)),
        )),
    };
    let image = text("rescue_image_ref")?;
    if let Some(image) = &image {
        if uuid::Uuid::parse_str(image).is_err() {
            return Err(field_error(
                "rescue_image_ref",
                &json!(image),
                &format!("'{image}' is not a 'uuid'"),
            ));
        }
    }
    Ok(Action::Rescue(text("adminPass")?, image))
}

/// `resize`'s flavor (`flavorRef`).
fn resize_request(args: &Value) -> Result<MoveRequest> {
    only("resize", args, &["flavorRef", "OS-DCF:diskConfig"])?;
    super::schema::disk_config(args)?;
    match args.get("flavorRef") {
        Some(Value::String(r)) if !r.is_empty() => Ok(MoveRequest::Resize(r.clone())),
        Some(Value::Number(n)) => Ok(MoveRequest::Resize(n.to_string())),
        Some(other) => Err(field_error(
            "flavorRef",
            other,
            &format!("{} is not a valid flavor reference", python_repr(other)),
        )),
        None => Err(field_error(
            "resize",
            args,
            "'flavorRef' is a required property",
        )),
    }
}

/// `os-migrateLive`'s body: a host (or null) and `block_migration` (a
/// boolean, or `auto` from 2.25), with `disk_over_commit` before 2.25 and
/// `force` from 2.30 to 2.67.
fn live_request(args: &Value, version: ApiVersion) -> Result<MoveRequest> {
    let v = |minor| ApiVersion::new(2, minor);
    let mut allowed = vec!["host", "block_migration"];
    if version < v(25) {
        allowed.push("disk_over_commit");
    }
    if version >= v(30) && version < v(68) {
        allowed.push("force");
    }
    only("os-migrateLive", args, &allowed)?;
    let required: &[&str] = if version < v(25) {
        &["host", "block_migration", "disk_over_commit"]
    } else {
        &["host", "block_migration"]
    };
    for key in required {
        if args.get(*key).is_none() {
            return Err(field_error(
                "os-migrateLive",
                args,
                &format!("'{key}' is a required property"),
            ));
        }
    }
    match args.get("block_migration") {
        Some(Value::String(a)) if a == "auto" && version >= v(25) => {}
        Some(value) => {
            boolean("block_migration", value)?;
        }
        None => {}
    }
    for key in ["disk_over_commit", "force"] {
        if let Some(value) = args.get(key) {
            boolean(key, value)?;
        }
    }
    match args.get("host") {
        None | Some(Value::Null) => Ok(MoveRequest::Live(None)),
        Some(Value::String(host)) if !host.is_empty() && host.len() <= 255 => {
            Ok(MoveRequest::Live(Some(host.clone())))
        }
        Some(other) => Err(field_error(
            "host",
            other,
            &format!("{} is not of type 'string', 'null'", python_repr(other)),
        )),
    }
}

/// `evacuate`'s body: a host, a password, `onSharedStorage` before 2.14 and
/// `force` from 2.29 to 2.67; from 2.95 the server ends stopped. The
/// password the reply gives before 2.14, if any.
fn evacuate_request(args: &Value, version: ApiVersion) -> Result<(MoveRequest, Option<String>)> {
    let v = |minor| ApiVersion::new(2, minor);
    let mut allowed = vec!["host", "adminPass"];
    if version < v(14) {
        allowed.push("onSharedStorage");
    }
    if version >= v(29) && version < v(68) {
        allowed.push("force");
    }
    only("evacuate", args, &allowed)?;
    let shared = match args.get("onSharedStorage") {
        Some(value) => boolean("onSharedStorage", value)?,
        None if version < v(14) => {
            return Err(field_error(
                "evacuate",
                args,
                "'onSharedStorage' is a required property",
            ))
        }
        None => false,
    };
    if let Some(force) = args.get("force") {
        boolean("force", force)?;
    }
    let text = |field: &str| match args.get(field) {
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(other) => Err(field_error(
            field,
            other,
            &format!("{} is not of type 'string'", python_repr(other)),
        )),
    };
    let host = text("host")?;
    let password = text("adminPass")?;
    if shared && password.is_some() {
        return Err(NovaError::BadRequest(
            "admin password can't be changed on existing disk".into(),
        ));
    }
    let request = MoveRequest::Evacuate {
        host,
        stop: version >= v(95),
    };
    Ok((request, password))
}

/// `migrate`'s body: null, or from 2.56 a host (or null).
fn migrate_request(args: &Value, version: ApiVersion) -> Result<MoveRequest> {
    // Before 2.56 Nova validates nothing here: the body is ignored.
    if args.is_null() || version < ApiVersion::new(2, 56) {
        return Ok(MoveRequest::Migrate(None));
    }
    only("migrate", args, &["host"])?;
    match args.get("host") {
        None | Some(Value::Null) => Ok(MoveRequest::Migrate(None)),
        Some(Value::String(host)) if !host.is_empty() && host.len() <= 255 => {
            Ok(MoveRequest::Migrate(Some(host.clone())))
        }
        Some(other) => Err(field_error(
            "host",
            other,
            &format!("{} is not of type 'string', 'null'", python_repr(other)),
        )),
    }
}

/// `unshelve`'s body: null, or from 2.77 a zone (2.91: null to unpin, and a
/// host).
fn unshelve_request(args: &Value, version: ApiVersion) -> Result<UnshelveRequest> {
    // Before 2.77 Nova validates nothing here: the body is ignored.
    if args.is_null() || version < ApiVersion::new(2, 77) {
        return Ok(UnshelveRequest::default());
    }
    let allowed: &[&str] = if version >= ApiVersion::new(2, 91) {
        &["availability_zone", "host"]
    } else {
        &["availability_zone"]
    };
    only("unshelve", args, allowed)?;
    let availability_zone = match args.get("availability_zone") {
        None => None,
        Some(Value::Null) if version >= ApiVersion::new(2, 91) => Some(None),
        Some(Value::String(zone)) if !zone.is_empty() => Some(Some(zone.clone())),
        Some(other) => {
            return Err(field_error(
                "availability_zone",
                other,
                &format!("{} is not of type 'string'", python_repr(other)),
            ))
        }
    };
    let host = match args.get("host") {
        None => None,
        Some(Value::String(host)) if !host.is_empty() => Some(host.clone()),
        Some(other) => {
            return Err(field_error(
                "host",
                other,
                &format!("{} is not of type 'string'", python_repr(other)),
            ))
        }
    };
    if args.as_object().is_some_and(|a| a.is_empty()) {
        return Err(field_error(
            "unshelve",
            args,
            "{} does not have enough properties",
        ));
    }
    Ok(UnshelveRequest {
        availability_zone,
        host,
    })
}

/// `createImage`'s name and metadata.
fn image_request(args: &Value) -> Result<ImageRequest> {
    only("createImage", args, &["name", "metadata"])?;
    let name = match args.get("name") {
        Some(Value::String(name)) if !name.is_empty() && name.chars().count() <= 255 => {
            super::schema::check_name(name)?;
            name.clone()
        }
        Some(other) => {
            return Err(field_error(
                "name",
                other,
                &format!(
                    "{} is not a valid name (1 to 255 characters)",
                    python_repr(other)
                ),
            ))
        }
        None => {
            return Err(field_error(
                "createImage",
                args,
                "'name' is a required property",
            ))
        }
    };
    let metadata = match args.get("metadata") {
        Some(value) => super::server_body::metadata("metadata", value)?,
        None => Default::default(),
    };
    Ok(ImageRequest {
        name,
        metadata,
        backup: None,
    })
}

/// `createBackup`'s name, type, rotation and metadata.
fn backup_request(args: &Value) -> Result<ImageRequest> {
    only(
        "createBackup",
        args,
        &["name", "backup_type", "rotation", "metadata"],
    )?;
    for key in ["name", "backup_type", "rotation"] {
        if args.get(key).is_none() {
            return Err(field_error(
                "createBackup",
                args,
                &format!("'{key}' is a required property"),
            ));
        }
    }
    let backup_type = match &args["backup_type"] {
        Value::String(t) => t.clone(),
        other => {
            return Err(field_error(
                "backup_type",
                other,
                &format!("{} is not of type 'string'", python_repr(other)),
            ))
        }
    };
    let rotation = super::schema::bounded_integer("rotation", &args["rotation"], 0)?;
    let mut request = image_request(&json!({
        "name": args["name"],
        "metadata": args.get("metadata").cloned().unwrap_or_else(|| json!({})),
    }))?;
    request.backup = Some((backup_type, rotation));
    Ok(request)
}

/// `os-getConsoleOutput`'s `length`: an integer, a string of one, or null;
/// -1 (or none) for the whole output.
fn console_length(args: &Value) -> Result<Option<u64>> {
    only("os-getConsoleOutput", args, &["length"])?;
    let value = match args.get("length") {
        None | Some(Value::Null) => return Ok(None),
        Some(value) => value,
    };
    let number = match value {
        Value::Number(n) => n.as_i64().ok_or_else(|| {
            field_error(
                "length",
                value,
                &format!(
                    "{} is not of type 'integer', 'string', 'null'",
                    python_repr(value)
                ),
            )
        })?,
        Value::String(text) => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(field_error(
                    "length",
                    value,
                    &format!("{} does not match '^-?[0-9]+$'", python_repr(value)),
                ));
            }
            text.parse::<i64>().unwrap_or(i64::MAX)
        }
        other => {
            return Err(field_error(
                "length",
                other,
                &format!(
                    "{} is not of type 'integer', 'string', 'null'",
                    python_repr(other)
                ),
            ))
        }
    };
    match number {
        -1 => Ok(None),
        n if n < -1 => Err(field_error(
            "length",
            value,
            &format!("{} is less than the minimum of -1", python_repr(value)),
        )),
        n => Ok(Some(n as u64)),
    }
}

/// `changePassword`'s `adminPass`.
fn admin_pass(args: &Value) -> Result<String> {
    only("changePassword", args, &["adminPass"])?;
    match args.get("adminPass") {
        Some(Value::String(password)) => Ok(password.clone()),
        Some(other) => Err(field_error(
            "adminPass",
            other,
            &format!("{} is not of type 'string'", python_repr(other)),
        )),
        None => Err(field_error(
            "changePassword",
            args,
            "'adminPass' is a required property",
        )),
    }
}

fn reset_state(args: &Value) -> Result<String> {
    only("os-resetState", args, &["state"])?;
    let Some(state) = args.get("state") else {
        return Err(NovaError::BadRequest(
            "'state' is a required property".into(),
        ));
    };
    match state.as_str() {
        Some(s @ ("active" | "error")) => Ok(s.to_string()),
        _ => Err(field_error(
            "state",
            state,
            &format!("{} is not one of ['active', 'error']", python_repr(state)),
        )),
    }
}

fn reboot_type(args: &Value) -> Result<ServerOp> {
    only("reboot", args, &["type"])?;
    let Some(kind) = args.get("type") else {
        return Err(NovaError::BadRequest(
            "'type' is a required property".into(),
        ));
    };
    match kind.as_str().map(str::to_ascii_uppercase).as_deref() {
        Some("SOFT") => Ok(ServerOp::RebootSoft),
        Some("HARD") => Ok(ServerOp::RebootHard),
        _ => Err(field_error(
            "type",
            kind,
            &format!(
                "{} is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']",
                python_repr(kind)
            ),
        )),
    }
}

/// The one action a body names.
fn action(body: &Value, version: ApiVersion) -> Result<Action> {
    let Some((name, args)) = body.as_object().and_then(|m| m.iter().next()) else {
        return Err(NovaError::BadRequest("Malformed request body".into()));
    };
    if let Some(ask) = super::remote_consoles::legacy_action(name, args, version)? {
        return Ok(Action::Console(ask));
    }
    if let Some(network) = super::server_network_actions::network_action(name, args, version)? {
        return Ok(Action::Network(network));
    }
    Ok(match name.as_str() {
        "os-start" => Action::Op(ServerOp::Start),
        "os-stop" => Action::Op(ServerOp::Stop),
        "reboot" => Action::Op(reboot_type(args)?),
        "pause" => Action::Op(ServerOp::Pause),
        "unpause" => Action::Op(ServerOp::Unpause),
        "suspend" => Action::Op(ServerOp::Suspend),
        "resume" => Action::Op(ServerOp::Resume),
        "unlock" => Action::Unlock,
        "rebuild" => Action::Rebuild(Box::new(rebuild_request(args, version)?)),
        "os-resetState" => Action::ResetState(reset_state(args)?),
        "os-getConsoleOutput" => Action::ConsoleOutput(console_length(args)?),
        "changePassword" => Action::ChangePassword(admin_pass(args)?),
        "createImage" => Action::CreateImage(image_request(args)?),
        "createBackup" => Action::CreateImage(backup_request(args)?),
        "shelve" => Action::Shelve,
        "shelveOffload" => Action::ShelveOffload,
        "unshelve" => Action::Unshelve(unshelve_request(args, version)?),
        "resize" => Action::Move(resize_request(args)?),
        "migrate" => Action::Move(migrate_request(args, version)?),
        "os-migrateLive" => Action::Move(live_request(args, version)?),
        "evacuate" => {
            let (request, password) = evacuate_request(args, version)?;
            Action::Evacuate(request, password)
        }
        "confirmResize" => Action::ConfirmResize,
        "rescue" => rescue_request(args)?,
        "unrescue" => Action::Op(ServerOp::Unrescue),
        "revertResize" => Action::RevertResize,
        "restore" => Action::Restore,
        "forceDelete" => Action::ForceDelete,
        "injectNetworkInfo" => Action::InjectNetworkInfo,
        // Removed from Nova in 23.0.0 (it only served XenAPI).
        "resetNetwork" => {
            return Err(NovaError::Gone(
                "This resource is no longer available. No forwarding address is given.".into(),
            ))
        }
        "lock" => {
            let mut request = LockRequest::default();
            if version >= ApiVersion::new(2, 73) && !args.is_null() {
                only("lock", args, &["locked_reason"])?;
                if let Some(reason) = args.get("locked_reason") {
                    let text = reason.as_str().ok_or_else(|| {
                        field_error(
                            "locked_reason",
                            reason,
                            &format!("{} is not of type 'string'", python_repr(reason)),
                        )
                    })?;
                    if text.chars().count() > 255 {
                        return Err(field_error("locked_reason", reason, "is too long"));
                    }
                    request.reason = Some(text.to_string());
                }
            }
            Action::Lock(request)
        }
        other => {
            return Err(NovaError::NotFound(format!(
                "There is no such action: {other}"
            )))
        }
    })
}

/// Run an action on a server.
#[utoipa::path(post, path = "/v2.1/servers/{server_id}/action", tag = "servers",
    operation_id = "server_action", params(("server_id" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "One action: {\"os-stop\": null}, {\"reboot\": {\"type\": \"SOFT\"}}, ..."),
    responses((status = 202, description = "Accepted"), (status = 400), (status = 404), (status = 409)))]
async fn run(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let body: Value = parse(&body)?;
    let args = body
        .as_object()
        .and_then(|m| m.values().next())
        .cloned()
        .unwrap_or_default();
    match action(&body, version)? {
        Action::Op(op) => nova.server_op(&caller, &id, op).await?,
        Action::Lock(request) => nova.lock_server(&caller, &id, request).await?,
        Action::Unlock => nova.unlock_server(&caller, &id).await?,
        Action::ResetState(state) => nova.reset_server_state(&caller, &id, &state).await?,
        Action::Restore => nova.restore_server(&caller, &id).await?,
        Action::ForceDelete => nova.force_delete(&caller, &id).await?,
        Action::InjectNetworkInfo => nova.inject_network_info(&caller, &id).await?,
        Action::Network(network) => {
            super::server_network_actions::run(&nova, &caller, &id, network).await?
        }
        Action::ConsoleOutput(length) => {
            let output = nova.console_output(&caller, &id, length).await?;
            return Ok(axum::Json(json!({"output": output})).into_response());
        }
        Action::Console(ask) => {
            let url = nova
                .remote_console(&caller, &id, ask.protocol, &ask.console_type)
                .await?;
            return Ok(
                axum::Json(json!({"console": {"type": ask.console_type, "url": url}}))
                    .into_response(),
            );
        }
        Action::ChangePassword(password) => nova.change_password(&caller, &id, &password).await?,
        Action::Shelve => nova.shelve(&caller, &id).await?,
        Action::ShelveOffload => nova.shelve_offload(&caller, &id).await?,
        Action::Unshelve(request) => nova.unshelve(&caller, &id, request).await?,
        Action::Move(request) => {
            nova.move_server(&caller, &id, request).await?;
            if let Some(auto) = super::schema::disk_config(&args)? {
                nova.set_disk_config(&id, auto).await?;
            }
        }
        Action::Evacuate(request, password) => {
            nova.move_server(&caller, &id, request).await?;
            if version >= ApiVersion::new(2, 14) {
                return Ok(StatusCode::OK.into_response());
            }
            let password = password.unwrap_or_else(crate::domain::servers::generate_password);
            return Ok(axum::Json(json!({"adminPass": password})).into_response());
        }
        Action::Rescue(password, image) => {
            let password = nova.rescue_server(&caller, &id, password, image).await?;
            return Ok(axum::Json(json!({"adminPass": password})).into_response());
        }
        Action::ConfirmResize => {
            nova.confirm_resize(&caller, &id).await?;
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        Action::RevertResize => nova.revert_resize(&caller, &id).await?,
        Action::CreateImage(request) => {
            // A backup kept by no rotation gives no location (Nova).
            let located = request.backup.as_ref().is_none_or(|b| b.1 > 0);
            let image_id = nova.create_image(&caller, &id, request).await?;
            if version >= ApiVersion::new(2, 45) {
                return Ok((
                    StatusCode::ACCEPTED,
                    axum::Json(json!({"image_id": image_id})),
                )
                    .into_response());
            }
            if !located {
                return Ok(StatusCode::ACCEPTED.into_response());
            }
            let location = format!(
                "{}/images/{image_id}",
                nova.images.url().await.unwrap_or_default()
            );
            return Ok((
                StatusCode::ACCEPTED,
                [(axum::http::header::LOCATION, location)],
            )
                .into_response());
        }
        Action::Rebuild(request) => {
            let (mut server, password) = nova.rebuild_server(&caller, &id, *request).await?;
            if let Some(auto) = super::schema::disk_config(&args)? {
                nova.set_disk_config(&id, auto).await?;
                server.row.auto_disk_config = auto;
            }
            let base = super::base_url(&nova, &headers);
            let mut view = super::servers::full_views(
                &nova,
                &caller,
                &base,
                version,
                &[server],
                super::server_view::ViewKind::Rebuilt,
            )
            .await?
            .remove(0);
            view["adminPass"] = json!(password);
            return Ok((StatusCode::ACCEPTED, axum::Json(json!({"server": view}))).into_response());
        }
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(run))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reset_network_is_gone() {
        assert!(matches!(
            action(&json!({"resetNetwork": null}), ApiVersion::new(2, 1)),
            Err(NovaError::Gone(_))
        ));
    }

    #[test]
    fn console_lengths_follow_novas_schema() {
        let v = ApiVersion::new(2, 1);
        let length = |args: Value| action(&json!({"os-getConsoleOutput": args}), v);
        assert_eq!(length(json!({})).unwrap(), Action::ConsoleOutput(None));
        assert_eq!(
            length(json!({"length": -1})).unwrap(),
            Action::ConsoleOutput(None)
        );
        assert_eq!(
            length(json!({"length": "3"})).unwrap(),
            Action::ConsoleOutput(Some(3))
        );
        assert_eq!(
            length(json!({"length": 0})).unwrap(),
            Action::ConsoleOutput(Some(0))
        );
        assert!(length(json!({"length": -2})).is_err());
        assert!(length(json!({"length": "x"})).is_err());
        assert!(length(json!({"length": 1.5})).is_err());
        assert!(length(json!({"size": 1})).is_err());
        let unshelve =
            |args: Value, minor| action(&json!({"unshelve": args}), ApiVersion::new(2, minor));
        assert_eq!(
            unshelve(Value::Null, 1).unwrap(),
            Action::Unshelve(UnshelveRequest::default())
        );
        assert_eq!(
            unshelve(json!({"availability_zone": "az"}), 76).unwrap(),
            Action::Unshelve(UnshelveRequest::default())
        );
        assert_eq!(
            unshelve(json!({"availability_zone": "az"}), 77).unwrap(),
            Action::Unshelve(UnshelveRequest {
                availability_zone: Some(Some("az".into())),
                host: None
            })
        );
        assert!(unshelve(json!({"availability_zone": null}), 77).is_err());
        assert!(unshelve(json!({"host": "h"}), 77).is_err());
        assert_eq!(
            unshelve(json!({"availability_zone": null, "host": "h"}), 91).unwrap(),
            Action::Unshelve(UnshelveRequest {
                availability_zone: Some(None),
                host: Some("h".into())
            })
        );
        assert!(unshelve(json!({}), 91).is_err());
        let resize = |args: Value| action(&json!({"resize": args}), v);
        assert_eq!(
            resize(json!({"flavorRef": "2"})).unwrap(),
            Action::Move(MoveRequest::Resize("2".into()))
        );
        assert_eq!(
            resize(json!({"flavorRef": 2})).unwrap(),
            Action::Move(MoveRequest::Resize("2".into()))
        );
        assert!(resize(json!({})).is_err());
        assert!(resize(json!({"flavorRef": "2", "OS-DCF:diskConfig": "x"})).is_err());
        let migrate =
            |args: Value, minor| action(&json!({"migrate": args}), ApiVersion::new(2, minor));
        assert_eq!(
            migrate(Value::Null, 1).unwrap(),
            Action::Move(MoveRequest::Migrate(None))
        );
        // Below 2.56 the body is not looked at.
        assert_eq!(
            migrate(json!({}), 1).unwrap(),
            Action::Move(MoveRequest::Migrate(None))
        );
        assert_eq!(
            migrate(json!({"host": "h"}), 55).unwrap(),
            Action::Move(MoveRequest::Migrate(None))
        );
        assert_eq!(
            migrate(json!({"host": "h"}), 56).unwrap(),
            Action::Move(MoveRequest::Migrate(Some("h".into())))
        );
        let live = |args: Value, minor| {
            action(&json!({"os-migrateLive": args}), ApiVersion::new(2, minor))
        };
        assert_eq!(
            live(json!({"host": null, "block_migration": "auto"}), 25).unwrap(),
            Action::Move(MoveRequest::Live(None))
        );
        assert!(live(json!({"host": null, "block_migration": "auto"}), 24).is_err());
        assert!(live(json!({"host": "h", "block_migration": false}), 24).is_err());
        assert_eq!(
            live(
                json!({"host": "h", "block_migration": false, "disk_over_commit": false}),
                1
            )
            .unwrap(),
            Action::Move(MoveRequest::Live(Some("h".into())))
        );
        assert!(live(
            json!({"host": null, "block_migration": "auto", "force": true}),
            68
        )
        .is_err());
        let backup = |args: Value| action(&json!({"createBackup": args}), v);
        match backup(json!({"name": "b", "backup_type": "daily", "rotation": "2"})) {
            Ok(Action::CreateImage(r)) => assert_eq!(r.backup, Some(("daily".into(), 2))),
            other => panic!("{other:?}"),
        }
        assert!(backup(json!({"name": "b", "backup_type": "daily"})).is_err());
        assert!(backup(json!({"name": "b", "backup_type": "daily", "rotation": -1})).is_err());
        let image = |args: Value| action(&json!({"createImage": args}), v);
        assert!(matches!(
            image(json!({"name": "s", "metadata": {"k": "v"}})),
            Ok(Action::CreateImage(_))
        ));
        assert!(image(json!({})).is_err());
        assert!(image(json!({"name": ""})).is_err());
        assert!(image(json!({"name": "s", "metadata": {"k": 1}})).is_err());
        let password = |args: Value| action(&json!({"changePassword": args}), v);
        assert_eq!(
            password(json!({"adminPass": "s3cret"})).unwrap(),
            Action::ChangePassword("s3cret".into())
        );
        assert!(password(json!({})).is_err());
        assert!(password(json!({"adminPass": 1})).is_err());
    }

    #[test]
    fn bodies_name_their_action() {
        let v = ApiVersion::new(2, 73);
        assert_eq!(
            action(&json!({"os-stop": null}), v).unwrap(),
            Action::Op(ServerOp::Stop)
        );
        assert_eq!(
            action(&json!({"reboot": {"type": "hard"}}), v).unwrap(),
            Action::Op(ServerOp::RebootHard)
        );
        assert!(action(&json!({"reboot": {"type": "warm"}}), v).is_err());
        assert!(action(&json!({"reboot": {}}), v).is_err());
        assert_eq!(
            action(&json!({"lock": {"locked_reason": "x"}}), v).unwrap(),
            Action::Lock(LockRequest {
                reason: Some("x".into())
            })
        );
        assert!(matches!(
            action(&json!({"fly": null}), v),
            Err(NovaError::NotFound(_))
        ));
    }
}
