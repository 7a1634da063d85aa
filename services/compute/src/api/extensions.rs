//! `/v2.1/extensions`: the legacy extension list, for clients that still read
//! it. Nova lists every extension it ever had; this cloud lists those whose
//! APIs and attributes it serves.

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::domain::{Caller, NovaError, Result};

/// (alias, name, description) as Nova names them.
const EXTENSIONS: &[(&str, &str, &str)] = &[
    ("OS-DCF", "DiskConfig", "Disk Management Extension."),
    (
        "OS-EXT-AZ",
        "ExtendedAvailabilityZone",
        "Extended Availability Zone support.",
    ),
    (
        "OS-EXT-IMG-SIZE",
        "ImageSize",
        "Adds image size to image listings.",
    ),
    (
        "OS-EXT-IPS",
        "ExtendedIps",
        "Adds type parameter to the ip list.",
    ),
    (
        "OS-EXT-IPS-MAC",
        "ExtendedIpsMac",
        "Adds mac address parameter to the ip list.",
    ),
    (
        "OS-EXT-SRV-ATTR",
        "ExtendedServerAttributes",
        "Extended Server Attributes support.",
    ),
    ("OS-EXT-STS", "ExtendedStatus", "Extended Status support."),
    (
        "OS-FLV-DISABLED",
        "FlavorDisabled",
        "Support to show the disabled status of a flavor.",
    ),
    (
        "OS-FLV-EXT-DATA",
        "FlavorExtraData",
        "Provide additional data for flavors.",
    ),
    (
        "OS-SCH-HNT",
        "SchedulerHints",
        "Pass arbitrary key/value pairs to the scheduler.",
    ),
    (
        "OS-SRV-USG",
        "ServerUsage",
        "Adds launched_at and terminated_at on Servers.",
    ),
    ("ips", "Ips", "Server IP addresses."),
    ("os-access-ips", "AccessIPs", "Access IPs support."),
    (
        "os-admin-actions",
        "AdminActions",
        "Enable admin-only server actions

    Actions include: resetNetwork, injectNetworkInfo, os-resetState
    ",
    ),
    (
        "os-admin-password",
        "AdminPassword",
        "Admin password management support.",
    ),
    (
        "os-aggregates",
        "Aggregates",
        "Admin-only aggregate administration.",
    ),
    (
        "os-assisted-volume-snapshots",
        "AssistedVolumeSnapshots",
        "Assisted volume snapshots.",
    ),
    (
        "os-attach-interfaces",
        "AttachInterfaces",
        "Attach interface support.",
    ),
    (
        "os-availability-zone",
        "AvailabilityZone",
        "1. Add availability_zone to the Create Server API.
       2. Add availability zones describing.
    ",
    ),
    (
        "os-block-device-mapping",
        "BlockDeviceMapping",
        "Block device mapping boot support.",
    ),
    (
        "os-block-device-mapping-v2-boot",
        "BlockDeviceMappingV2Boot",
        "Allow boot with the new BDM data format.",
    ),
    ("os-config-drive", "ConfigDrive", "Config Drive Extension."),
    (
        "os-console-auth-tokens",
        "ConsoleAuthTokens",
        "Console token authentication support.",
    ),
    (
        "os-console-output",
        "ConsoleOutput",
        "Console log output support, with tailing ability.",
    ),
    ("os-consoles", "Consoles", "Interactive Console support."),
    (
        "os-create-backup",
        "CreateBackup",
        "Create a backup of a server.",
    ),
    (
        "os-deferred-delete",
        "DeferredDelete",
        "Instance deferred delete.",
    ),
    ("os-evacuate", "Evacuate", "Enables server evacuation."),
    (
        "os-extended-evacuate-find-host",
        "ExtendedEvacuateFindHost",
        "Enables server evacuation without target host. Scheduler will select one to target.",
    ),
    (
        "os-extended-hypervisors",
        "ExtendedHypervisors",
        "Extended hypervisors support.",
    ),
    (
        "os-extended-quotas",
        "ExtendedQuotas",
        "Adds ability for admins to delete quota and optionally force the update Quota command.",
    ),
    (
        "os-extended-rescue-with-image",
        "ExtendedRescueWithImage",
        "Allow the user to specify the image to use for rescue.",
    ),
    (
        "os-extended-services",
        "ExtendedServices",
        "Extended services support.",
    ),
    (
        "os-extended-services-delete",
        "ExtendedServicesDelete",
        "Extended services deletion support.",
    ),
    (
        "os-extended-status",
        "ExtendedStatus",
        "Extended Status support.",
    ),
    (
        "os-extended-volumes",
        "ExtendedVolumes",
        "Extended Volumes support.",
    ),
    ("os-flavor-access", "FlavorAccess", "Flavor access support."),
    (
        "os-flavor-extra-specs",
        "FlavorExtraSpecs",
        "Flavors extra specs support.",
    ),
    (
        "os-flavor-manage",
        "FlavorManage",
        "Flavor create/delete API support.",
    ),
    (
        "os-flavor-rxtx",
        "FlavorRxtx",
        "Support to show the rxtx status of a flavor.",
    ),
    (
        "os-flavor-swap",
        "FlavorSwap",
        "Support to show the swap status of a flavor.",
    ),
    ("os-hosts", "Hosts", "Admin-only host administration."),
    (
        "os-hypervisor-status",
        "HypervisorStatus",
        "Show hypervisor status.",
    ),
    (
        "os-hypervisors",
        "Hypervisors",
        "Admin-only hypervisor administration.",
    ),
    (
        "os-instance-actions",
        "InstanceActions",
        "View a log of actions and events taken on an instance.",
    ),
    (
        "os-instance_usage_audit_log",
        "OSInstanceUsageAuditLog",
        "Admin-only Task Log Monitoring.",
    ),
    ("os-keypairs", "Keypairs", "Keypair Support."),
    (
        "os-lock-server",
        "LockServer",
        "Enable lock/unlock server actions.",
    ),
    (
        "os-migrate-server",
        "MigrateServer",
        "Enable migrate and live-migrate server actions.",
    ),
    ("os-migrations", "Migrations", "Provide data on migrations."),
    (
        "os-multiple-create",
        "MultipleCreate",
        "Allow multiple create in the Create Server v2.1 API.",
    ),
    (
        "os-pause-server",
        "PauseServer",
        "Enable pause/unpause server actions.",
    ),
    (
        "os-preserve-ephemeral-rebuild",
        "PreserveEphemeralOnRebuild",
        "Allow preservation of the ephemeral partition on rebuild.",
    ),
    (
        "os-quota-class-sets",
        "QuotaClasses",
        "Quota classes management support.",
    ),
    ("os-quota-sets", "Quotas", "Quotas management support."),
    ("os-rescue", "Rescue", "Instance rescue mode."),
    (
        "os-server-diagnostics",
        "ServerDiagnostics",
        "Allow Admins to view server diagnostics through server action.",
    ),
    (
        "os-server-external-events",
        "ServerExternalEvents",
        "Server External Event Triggers.",
    ),
    (
        "os-server-group-quotas",
        "ServerGroupQuotas",
        "Adds quota support to server groups.",
    ),
    ("os-server-groups", "ServerGroups", "Server group support."),
    (
        "os-server-list-multi-status",
        "ServerListMultiStatus",
        "Allow to filter the servers by a set of status values.",
    ),
    (
        "os-server-password",
        "ServerPassword",
        "Server password support.",
    ),
    (
        "os-server-sort-keys",
        "ServerSortKeys",
        "Add sorting support in get Server v2 API.",
    ),
    (
        "os-server-start-stop",
        "ServerStartStop",
        "Start/Stop instance compute API support.",
    ),
    ("os-services", "Services", "Services support."),
    ("os-shelve", "Shelve", "Instance shelve mode."),
    (
        "os-simple-tenant-usage",
        "SimpleTenantUsage",
        "Simple tenant usage extension.",
    ),
    (
        "os-suspend-server",
        "SuspendServer",
        "Enable suspend/resume server actions.",
    ),
    (
        "os-used-limits",
        "UsedLimits",
        "Provide data on limited resources that are being used.",
    ),
    (
        "os-user-data",
        "UserData",
        "Add user_data to the Create Server API.",
    ),
    ("os-volumes", "Volumes", "Volumes support."),
];

fn view(&(alias, name, description): &(&str, &str, &str)) -> Value {
    json!({
        "alias": alias,
        "name": name,
        "description": description,
        "namespace": "http://docs.openstack.org/compute/ext/fake_xml",
        "updated": "2014-12-03T00:00:00Z",
        "links": [],
    })
}

/// List the extensions this cloud serves.
#[utoipa::path(get, path = "/v2.1/extensions", tag = "extensions", operation_id = "list_extensions",
    responses((status = 200, description = "Extensions")))]
async fn list(_caller: Caller) -> Response {
    axum::Json(json!({"extensions": EXTENSIONS.iter().map(view).collect::<Vec<_>>()}))
        .into_response()
}

/// Show an extension by alias.
#[utoipa::path(get, path = "/v2.1/extensions/{alias}", tag = "extensions", operation_id = "show_extension",
    params(("alias" = String, Path, description = "Extension alias")),
    responses((status = 200, description = "The extension"), (status = 404)))]
async fn show(_caller: Caller, Path(alias): Path<String>) -> Result<Response> {
    let found = EXTENSIONS
        .iter()
        .find(|(a, _, _)| *a == alias)
        .ok_or_else(|| NovaError::NotFound(format!("Extension {alias} could not be found.")))?;
    Ok(axum::Json(json!({"extension": view(found)})).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
}
