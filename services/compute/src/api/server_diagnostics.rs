//! `/v2.1/servers/{id}/diagnostics` (admin): what the host's driver sees of a
//! server's guest — Nova's standard format from 2.48, a flat one before.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::domain::{Caller, Result};
use crate::rpc::messages::Diagnostics;

/// The 2.48 view: every field, what the driver cannot tell as null.
fn standard(d: &Diagnostics, config_drive: bool) -> Value {
    let cpus: Vec<Value> = (0..d.num_cpus)
        .map(|id| json!({"id": id, "time": null, "utilisation": null}))
        .collect();
    let disks: Vec<Value> = (0..d.num_disks)
        .map(|_| {
            json!({"read_bytes": null, "read_requests": null, "write_bytes": null,
            "write_requests": null, "errors_count": null})
        })
        .collect();
    let nics: Vec<Value> = d
        .nic_macs
        .iter()
        .map(|mac| {
            json!({"mac_address": mac, "rx_octets": null, "rx_errors": null, "rx_drop": null,
            "rx_packets": null, "rx_rate": null, "tx_octets": null, "tx_errors": null,
            "tx_drop": null, "tx_packets": null, "tx_rate": null})
        })
        .collect();
    json!({
        "state": d.state,
        "driver": d.driver,
        "hypervisor": d.hypervisor,
        "hypervisor_os": d.hypervisor_os,
        "uptime": d.uptime,
        "config_drive": config_drive,
        "num_cpus": d.num_cpus,
        "num_nics": d.nic_macs.len(),
        "num_disks": d.num_disks,
        "memory_details": {"maximum": d.memory_maximum_mb, "used": d.memory_used_mb},
        "cpu_details": cpus,
        "nic_details": nics,
        "disk_details": disks,
    })
}

/// Before 2.48 each driver answered its own flat keys; these are the ones
/// this driver knows.
fn legacy(d: &Diagnostics) -> Value {
    let mut body = json!({"state": d.state, "driver": d.driver, "num_cpus": d.num_cpus});
    if let Some(uptime) = d.uptime {
        body["uptime"] = json!(uptime);
    }
    if let Some(max) = d.memory_maximum_mb {
        body["memory"] = json!(max * 1024);
    }
    body
}

/// Show a server's diagnostics (admin).
#[utoipa::path(get, path = "/v2.1/servers/{server_id}/diagnostics", tag = "servers", operation_id = "show_server_diagnostics",
    params(("server_id" = String, Path, description = "Server id")),
    responses((status = 200, description = "Diagnostics"), (status = 403), (status = 404), (status = 409)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> Result<Response> {
    let found = nova.server_diagnostics(&caller, &id).await?;
    let body = if version >= ApiVersion::new(2, 48) {
        let server = nova.show_server(&caller, &id).await?;
        standard(&found, server.row.config_drive)
    } else {
        legacy(&found)
    };
    Ok(axum::Json(body).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show))
}
