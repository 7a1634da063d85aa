//! `/v2.1/servers/{id}/os-interface`: a server's ports — list, show, attach
//! (a port, a network with an optional fixed IP, or the project's one
//! network; tag 2.49, shown 2.70) and detach.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schema::{device_tag, field_error, only, python_repr, uuid};
use super::{parse, AppState};
use crate::domain::servers::interfaces::{Interface, InterfaceRequest};
use crate::domain::{Caller, NovaError, Result};

const fn v(minor: u16) -> ApiVersion {
    ApiVersion::new(2, minor)
}

/// Nova's `interfaceAttachment` view.
fn view(interface: &Interface, version: ApiVersion) -> Value {
    let port = &interface.port;
    let mut body = json!({
        "net_id": port["network_id"],
        "port_id": port["id"],
        "mac_addr": port["mac_address"],
        "port_state": port["status"],
        "fixed_ips": port["fixed_ips"],
    });
    if version >= v(70) {
        body["tag"] = json!(interface.tag);
    }
    body
}

/// The request of a create body (Nova's `interfaceAttachment` schema).
fn attach_request(body: &Value, version: ApiVersion) -> Result<InterfaceRequest> {
    if body.is_null() {
        return Ok(InterfaceRequest::default());
    }
    only("body", body, &["interfaceAttachment"])?;
    let Some(attachment) = body.get("interfaceAttachment") else {
        return Ok(InterfaceRequest::default());
    };
    let mut allowed = vec!["net_id", "port_id", "fixed_ips"];
    if version >= v(49) {
        allowed.push("tag");
    }
    only("interfaceAttachment", attachment, &allowed)?;
    let mut request = InterfaceRequest {
        network_id: attachment
            .get("net_id")
            .map(|v| uuid("net_id", v))
            .transpose()?,
        port_id: attachment
            .get("port_id")
            .map(|v| uuid("port_id", v))
            .transpose()?,
        ..InterfaceRequest::default()
    };
    if let Some(ips) = attachment.get("fixed_ips") {
        let [ip] = ips.as_array().map(Vec::as_slice).unwrap_or_default() else {
            return Err(field_error(
                "fixed_ips",
                ips,
                &format!("{} is not an array of exactly one item", python_repr(ips)),
            ));
        };
        only("fixed_ips", ip, &["ip_address"])?;
        let address = ip["ip_address"].as_str().unwrap_or_default();
        if address.parse::<std::net::IpAddr>().is_err() {
            return Err(field_error(
                "ip_address",
                &ip["ip_address"],
                &format!(
                    "{} is not a 'ipv4' or 'ipv6'",
                    python_repr(&ip["ip_address"])
                ),
            ));
        }
        request.fixed_ip = Some(address.to_string());
    }
    if let Some(tag) = attachment.get("tag") {
        request.tag = Some(device_tag(tag)?);
    }
    if request.network_id.is_none() && request.fixed_ip.is_some() {
        return Err(NovaError::BadRequest(
            "Must input network_id when request IP address".into(),
        ));
    }
    if request.network_id.is_some() && request.port_id.is_some() {
        return Err(NovaError::BadRequest(
            "Must not input both network_id and port_id".into(),
        ));
    }
    Ok(request)
}

/// List a server's interfaces.
#[utoipa::path(get, path = "/v2.1/servers/{server_id}/os-interface", tag = "servers", operation_id = "list_server_interfaces",
    params(("server_id" = String, Path, description = "Server id")),
    responses((status = 200, description = "{\"interfaceAttachments\": [...]}"), (status = 404)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    let interfaces = nova.list_interfaces(&caller, &id).await?;
    let views: Vec<Value> = interfaces.iter().map(|i| view(i, version)).collect();
    Ok(axum::Json(json!({ "interfaceAttachments": views })).into_response())
}

/// Attach an interface to a server.
#[utoipa::path(post, path = "/v2.1/servers/{server_id}/os-interface", tag = "servers", operation_id = "attach_server_interface",
    params(("server_id" = String, Path, description = "Server id")),
    request_body(content = Object, content_type = "application/json", description = "{\"interfaceAttachment\": {\"net_id\" | \"port_id\", \"fixed_ips\", \"tag\"}}"),
    responses((status = 200, description = "{\"interfaceAttachment\": {...}}"), (status = 400), (status = 404), (status = 409)))]
async fn attach(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let body: Value = if body.is_empty() {
        Value::Null
    } else {
        parse(&body)?
    };
    let request = attach_request(&body, version)?;
    let port_id = nova.attach_interface(&caller, &id, request).await?;
    let interface = nova.show_interface(&caller, &id, &port_id).await?;
    Ok(axum::Json(json!({"interfaceAttachment": view(&interface, version)})).into_response())
}

/// Show one of a server's interfaces.
#[utoipa::path(get, path = "/v2.1/servers/{server_id}/os-interface/{port_id}", tag = "servers", operation_id = "show_server_interface",
    params(("server_id" = String, Path, description = "Server id"), ("port_id" = String, Path, description = "Port id")),
    responses((status = 200, description = "{\"interfaceAttachment\": {...}}"), (status = 404)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((id, port_id)): Path<(String, String)>,
) -> Result<Response> {
    let interface = nova.show_interface(&caller, &id, &port_id).await?;
    Ok(axum::Json(json!({"interfaceAttachment": view(&interface, version)})).into_response())
}

/// Detach an interface from a server.
#[utoipa::path(delete, path = "/v2.1/servers/{server_id}/os-interface/{port_id}", tag = "servers", operation_id = "detach_server_interface",
    params(("server_id" = String, Path, description = "Server id"), ("port_id" = String, Path, description = "Port id")),
    responses((status = 202, description = "Detached"), (status = 404), (status = 409)))]
async fn detach(
    State(nova): State<AppState>,
    caller: Caller,
    Path((id, port_id)): Path<(String, String)>,
) -> Result<Response> {
    nova.detach_interface(&caller, &id, &port_id).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, attach))
        .routes(routes!(show, detach))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attach_bodies_are_checked_as_nova_does() {
        let port = "0a9e0f8e-6bd4-4b76-a6d5-2d4f1e0e2a11";
        let ok = attach_request(&json!({"interfaceAttachment": {"port_id": port}}), v(1)).unwrap();
        assert_eq!(ok.port_id.as_deref(), Some(port));
        assert_eq!(
            attach_request(&Value::Null, v(1)).unwrap(),
            InterfaceRequest::default()
        );
        let message =
            |body: Value, version| attach_request(&body, version).unwrap_err().to_string();
        assert_eq!(
            message(
                json!({"interfaceAttachment": {"fixed_ips": [{"ip_address": "10.0.0.4"}]}}),
                v(1)
            ),
            "Must input network_id when request IP address"
        );
        assert_eq!(
            message(
                json!({"interfaceAttachment": {"net_id": port, "port_id": port}}),
                v(1)
            ),
            "Must not input both network_id and port_id"
        );
        assert!(
            message(json!({"interfaceAttachment": {"port_id": "x"}}), v(1))
                .contains("is not a 'uuid'")
        );
        assert!(message(
            json!({"interfaceAttachment": {"port_id": port, "tag": "t"}}),
            v(48)
        )
        .contains("Additional properties"));
        assert!(message(
            json!({"interfaceAttachment": {"net_id": port, "fixed_ips": [{"ip_address": "no"}]}}),
            v(1)
        )
        .contains("is not a 'ipv4' or 'ipv6'"));
    }
}
