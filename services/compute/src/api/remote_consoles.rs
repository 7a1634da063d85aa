//! Remote consoles: `POST /servers/{id}/remote-consoles` (2.6), the actions
//! it replaced (`os-getVNCConsole`, `os-getSPICEConsole`,
//! `os-getSerialConsole`, `os-getRDPConsole`, up to 2.5) and
//! `GET /os-console-auth-tokens/{token}` (what a token opens, for proxies).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schema::{field_error, one_of, only};
use super::{added_in, parse, AppState};
use crate::domain::{Caller, NovaError, Result};

/// A console a request asks for: its protocol and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ConsoleAsk {
    /// The action's name (the legacy reply names the type only).
    pub protocol: &'static str,
    pub console_type: String,
}

/// The console an `os-get*Console` action (2.1–2.5) asks for; `None` when
/// `name` is no console action.
pub(super) fn legacy_action(
    name: &str,
    args: &Value,
    version: ApiVersion,
) -> Result<Option<ConsoleAsk>> {
    let (protocol, types): (&'static str, &[&str]) = match name {
        "os-getVNCConsole" => ("vnc", &["novnc", "xvpvnc"]),
        "os-getSPICEConsole" => ("spice", &["spice-html5"]),
        "os-getSerialConsole" => ("serial", &["serial"]),
        "os-getRDPConsole" => ("rdp", &[]),
        _ => return Ok(None),
    };
    super::gone_after(version, 5)?;
    if protocol == "rdp" {
        // Only Hyper-V had RDP consoles; Nova answers a bare 400 since 29.0.0.
        return Err(NovaError::BadRequest(
            "The server could not comply with the request since it is either malformed or otherwise incorrect.".into(),
        ));
    }
    only(name, args, &["type"])?;
    let kind = args
        .get("type")
        .ok_or_else(|| field_error(name, args, "'type' is a required property"))?;
    Ok(Some(ConsoleAsk {
        protocol,
        console_type: one_of("type", kind, types)?.to_string(),
    }))
}

/// The protocols and types a 2.6+ body may name at `version`.
fn allowed(version: ApiVersion) -> (Vec<&'static str>, Vec<&'static str>) {
    let mut protocols = vec!["vnc", "spice", "serial", "rdp"];
    let mut types = vec!["novnc", "xvpvnc", "spice-html5", "serial", "rdp-html5"];
    if version >= ApiVersion::new(2, 8) {
        protocols.push("mks");
        types.push("webmks");
    }
    if version >= ApiVersion::new(2, 99) {
        types.push("spice-direct");
    }
    (protocols, types)
}

/// A `remote_console` body as Nova's schemas take it at `version`.
fn remote_console(body: &Value, version: ApiVersion) -> Result<(String, String)> {
    if let Some(extra) = body
        .as_object()
        .and_then(|m| m.keys().find(|k| *k != "remote_console"))
    {
        return Err(NovaError::BadRequest(format!(
            "Additional properties are not allowed ('{extra}' was unexpected)"
        )));
    }
    let console = body
        .get("remote_console")
        .ok_or_else(|| NovaError::BadRequest("'remote_console' is a required property".into()))?;
    only("remote_console", console, &["protocol", "type"])?;
    let (protocols, types) = allowed(version);
    let field = |name: &str, allowed: &[&str]| -> Result<String> {
        let value = console.get(name).ok_or_else(|| {
            field_error(
                "remote_console",
                console,
                &format!("'{name}' is a required property"),
            )
        })?;
        Ok(one_of(name, value, allowed)?.to_string())
    };
    let protocol = field("protocol", &protocols)?;
    let console_type = field("type", &types)?;
    Ok((protocol, console_type))
}

/// Get a URL to a server's remote console (2.6).
#[utoipa::path(post, path = "/v2.1/servers/{server_id}/remote-consoles", tag = "servers",
    operation_id = "create_remote_console", params(("server_id" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "{\"remote_console\": {\"protocol\": \"vnc\", \"type\": \"novnc\"}}"),
    responses((status = 200, description = "The console's URL"), (status = 400), (status = 404), (status = 409), (status = 501)))]
async fn create(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    added_in(version, 6)?;
    let (protocol, console_type) = remote_console(&parse(&body)?, version)?;
    let url = nova
        .remote_console(&caller, &id, &protocol, &console_type)
        .await?;
    Ok(axum::Json(json!({"remote_console": {
        "protocol": protocol,
        "type": console_type,
        "url": url,
    }}))
    .into_response())
}

/// Show what a console token connects to (admin; 2.31 for every type).
#[utoipa::path(get, path = "/v2.1/os-console-auth-tokens/{console_token}", tag = "servers",
    operation_id = "show_console_auth_token", params(("console_token" = String, Path)),
    responses((status = 200, description = "Connection information"), (status = 400), (status = 403), (status = 404)))]
async fn show_token(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(token): Path<String>,
) -> Result<Response> {
    // Below 2.31 only RDP tokens were shown, and RDP is gone.
    if version < ApiVersion::new(2, 31) {
        return Err(NovaError::BadRequest(
            "The server could not comply with the request since it is either malformed or otherwise incorrect.".into(),
        ));
    }
    let info = nova.console_connection(&caller, &token).await?;
    let mut console = json!({
        "instance_uuid": info.instance_uuid,
        "host": info.host,
        "port": info.port,
        "internal_access_path": info.internal_access_path,
    });
    if info.console_type == "spice-direct" && version >= ApiVersion::new(2, 99) {
        console["tls_port"] = json!(info.tls_port);
    }
    Ok(axum::Json(json!({"console": console})).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(show_token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(minor: u16) -> ApiVersion {
        ApiVersion::new(2, minor)
    }

    #[test]
    fn a_body_names_a_protocol_and_a_type_of_its_version() {
        let body = json!({"remote_console": {"protocol": "vnc", "type": "novnc"}});
        assert_eq!(
            remote_console(&body, v(6)).unwrap(),
            ("vnc".into(), "novnc".into())
        );
        let mks = json!({"remote_console": {"protocol": "mks", "type": "webmks"}});
        assert!(remote_console(&mks, v(8)).is_ok());
        assert_eq!(
            remote_console(&mks, v(7)).unwrap_err().to_string(),
            "Invalid input for field/attribute protocol. Value: mks. 'mks' is not one of ['vnc', 'spice', 'serial', 'rdp']"
        );
        let direct = json!({"remote_console": {"protocol": "spice", "type": "spice-direct"}});
        assert!(remote_console(&direct, v(98)).is_err());
        assert!(remote_console(&direct, v(99)).is_ok());
    }

    #[test]
    fn bad_bodies_are_refused_as_nova_does() {
        let message = |body: Value| remote_console(&body, v(6)).unwrap_err().to_string();
        assert_eq!(
            message(json!({})),
            "'remote_console' is a required property"
        );
        assert_eq!(
            message(json!({"remote_console": {"protocol": "vnc"}})),
            "Invalid input for field/attribute remote_console. Value: {'protocol': 'vnc'}. 'type' is a required property"
        );
        assert_eq!(
            message(json!({"remote_console": {"protocol": "vnc", "type": "novnc", "x": 1}})),
            "Invalid input for field/attribute remote_console. Value: {'protocol': 'vnc', 'type': 'novnc', 'x': 1}. Additional properties are not allowed ('x' was unexpected)"
        );
        assert_eq!(
            message(json!({"remote_console": {"protocol": 1, "type": "novnc"}})),
            "Invalid input for field/attribute protocol. Value: 1. 1 is not of type 'string'"
        );
        assert!(
            message(json!({"remote_console": {}, "other": 1})).contains("'other' was unexpected")
        );
    }

    #[test]
    fn the_legacy_actions_exist_up_to_2_5() {
        let vnc = json!({"type": "novnc"});
        assert_eq!(
            legacy_action("os-getVNCConsole", &vnc, v(5)).unwrap(),
            Some(ConsoleAsk {
                protocol: "vnc",
                console_type: "novnc".into()
            })
        );
        assert!(legacy_action("os-getVNCConsole", &vnc, v(6)).is_err());
        assert_eq!(legacy_action("reboot", &vnc, v(1)).unwrap(), None);
        assert_eq!(
            legacy_action("os-getSPICEConsole", &json!({}), v(1))
                .unwrap_err()
                .to_string(),
            "Invalid input for field/attribute os-getSPICEConsole. Value: {}. 'type' is a required property"
        );
        assert_eq!(
            legacy_action("os-getSerialConsole", &json!({"type": "novnc"}), v(1))
                .unwrap_err()
                .to_string(),
            "Invalid input for field/attribute type. Value: novnc. 'novnc' is not one of ['serial']"
        );
        assert!(legacy_action("os-getRDPConsole", &json!({"type": "rdp-html5"}), v(1)).is_err());
    }
}
