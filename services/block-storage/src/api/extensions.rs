//! `/v3/{project_id}/extensions`: the Cinder API extensions this service
//! implements, as Cinder describes them (name, alias, docstring, date).

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::domain::{Caller, CinderError, Result};

/// `(name, alias, updated, description)`, in Cinder's order.
const EXTENSIONS: &[(&str, &str, &str, &str)] = &[
    (
        "AdminActions",
        "os-admin-actions",
        "2012-08-25T00:00:00+00:00",
        "Enable admin actions.",
    ),
    (
        "AvailabilityZones",
        "os-availability-zone",
        "2013-06-27T00:00:00+00:00",
        "Describe Availability Zones.",
    ),
    (
        "Capabilities",
        "capabilities",
        "2015-08-31T00:00:00+00:00",
        "Capabilities support.",
    ),
    (
        "ExtendedSnapshotAttributes",
        "os-extended-snapshot-attributes",
        "2012-06-19T00:00:00+00:00",
        "Extended SnapshotAttributes support.",
    ),
    (
        "Hosts",
        "os-hosts",
        "2011-06-29T00:00:00+00:00",
        "Admin-only host administration.",
    ),
    (
        "Qos_specs_manage",
        "qos-specs",
        "2013-08-02T00:00:00+00:00",
        "QoS specs support.",
    ),
    (
        "QuotaClasses",
        "os-quota-class-sets",
        "2012-03-12T00:00:00+00:00",
        "Quota classes management support.",
    ),
    (
        "Quotas",
        "os-quota-sets",
        "2011-08-08T00:00:00+00:00",
        "Quota management support.",
    ),
    (
        "Scheduler_stats",
        "scheduler-stats",
        "2014-09-07T00:00:00+00:00",
        "Scheduler stats support.",
    ),
    (
        "Services",
        "os-services",
        "2012-10-28T00:00:00-00:00",
        "Services support.",
    ),
    (
        "SnapshotActions",
        "os-snapshot-actions",
        "2013-07-16T00:00:00+00:00",
        "Enable snapshot manager actions.",
    ),
    (
        "TypesExtraSpecs",
        "os-types-extra-specs",
        "2011-08-24T00:00:00+00:00",
        "Type extra specs support.",
    ),
    (
        "TypesManage",
        "os-types-manage",
        "2011-08-24T00:00:00+00:00",
        "Types manage support.",
    ),
    (
        "UsedLimits",
        "os-used-limits",
        "2013-10-03T00:00:00+00:00",
        "Provide data on limited resources that are being used.",
    ),
    (
        "VolumeActions",
        "os-volume-actions",
        "2012-05-31T00:00:00+00:00",
        "Enable volume actions.",
    ),
    (
        "VolumeHostAttribute",
        "os-vol-host-attr",
        "2011-11-03T00:00:00+00:00",
        "Expose host as an attribute of a volume.",
    ),
    (
        "VolumeImageMetadata",
        "os-vol-image-meta",
        "2012-12-07T00:00:00+00:00",
        "Show image metadata associated with the volume.",
    ),
    (
        "VolumeMigStatusAttribute",
        "os-vol-mig-status-attr",
        "2013-08-08T00:00:00+00:00",
        "Expose migration_status as an attribute of a volume.",
    ),
    (
        "VolumeTenantAttribute",
        "os-vol-tenant-attr",
        "2011-11-03T00:00:00+00:00",
        "Expose the internal project_id as an attribute of a volume.",
    ),
    (
        "VolumeTransfer",
        "os-volume-transfer",
        "2013-05-29T00:00:00+00:00",
        "Volume transfer management support.",
    ),
    (
        "VolumeTypeEncryption",
        "encryption",
        "2013-07-01T00:00:00+00:00",
        "Encryption support for volume types.",
    ),
    (
        "VolumeTypeAccess",
        "os-volume-type-access",
        "2014-06-26T00:00:00Z",
        "Volume type access support.",
    ),
];

fn describe((name, alias, updated, description): &(&str, &str, &str, &str)) -> Value {
    json!({
        "name": name,
        "alias": alias,
        "description": description,
        "updated": updated,
        "links": [],
    })
}

/// List the API extensions.
#[utoipa::path(get, path = "/v3/{project_id}/extensions", tag = "extensions", operation_id = "list_extensions",
    params(("project_id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Extensions")))]
async fn list(_caller: Caller) -> Response {
    let all: Vec<Value> = EXTENSIONS.iter().map(describe).collect();
    axum::Json(json!({"extensions": all})).into_response()
}

/// Show one API extension by alias.
#[utoipa::path(get, path = "/v3/{project_id}/extensions/{alias}", tag = "extensions", operation_id = "show_extension",
    params(("project_id" = String, Path, description = "Project id"), ("alias" = String, Path, description = "Extension alias")),
    responses((status = 200, description = "Extension"), (status = 404)))]
async fn show(
    _caller: Caller,
    Path((_project_id, alias)): Path<(String, String)>,
) -> Result<Response> {
    let found = EXTENSIONS
        .iter()
        .find(|e| e.1 == alias)
        .ok_or_else(|| CinderError::NotFound("The resource could not be found.".into()))?;
    Ok(axum::Json(json!({"extension": describe(found)})).into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
}
