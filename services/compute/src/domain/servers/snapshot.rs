//! `createImage` and `createBackup`: an image made from a server's disk. The
//! api creates the image record (on the caller's token, with Nova's snapshot
//! or backup properties) and marks the server `image_snapshot` or
//! `image_backup`; its agent uploads the disk, rotates a backup's older
//! images out and gives the server back its state.

use std::collections::BTreeMap;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Map, Value};

use super::ops::invalid_state;
use super::InstanceFlavor;
use crate::db::entity::instance;
use crate::domain::{now, Caller, Nova, NovaError, Result};
use crate::rpc::agent;
use crate::rpc::messages::Snapshot;

/// What `createImage` (or `createBackup`) asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageRequest {
    pub name: String,
    pub metadata: BTreeMap<String, String>,
    /// `createBackup`: the backup type and how many of that type to keep.
    pub backup: Option<(String, i64)>,
}

/// The vm_states a server may be snapshotted or shelved in (task_state none).
pub(super) const SNAPSHOT_STATES: &[&str] = &["active", "stopped", "paused", "suspended"];

/// The server an image is made from.
struct Origin<'a> {
    uuid: &'a str,
    image_ref: &'a str,
    user_id: &'a str,
    root_gb: i64,
}

/// The new image's record: the base image's hardware and OS properties, the
/// snapshot's own, then the caller's metadata.
fn image_record(row: &Origin<'_>, base: Option<&Value>, request: &ImageRequest) -> Value {
    let mut record = Map::new();
    if let Some(base) = base.and_then(Value::as_object) {
        for (key, value) in base {
            let glance_owned =
                matches!(key.as_str(), "os_hash_algo" | "os_hash_value" | "os_hidden")
                    || key.starts_with("os_glance");
            if (key.starts_with("hw_") || key.starts_with("os_"))
                && !glance_owned
                && value.is_string()
            {
                record.insert(key.clone(), value.clone());
            }
        }
    }
    let min_ram = base.and_then(|b| b["min_ram"].as_i64()).unwrap_or(0);
    record.extend([
        ("name".into(), json!(request.name)),
        ("disk_format".into(), json!("raw")),
        ("container_format".into(), json!("bare")),
        ("visibility".into(), json!("private")),
        ("min_disk".into(), json!(row.root_gb)),
        ("min_ram".into(), json!(min_ram)),
        ("image_type".into(), json!("snapshot")),
        ("instance_uuid".into(), json!(row.uuid)),
        ("base_image_ref".into(), json!(row.image_ref)),
        ("user_id".into(), json!(row.user_id)),
    ]);
    if let Some((backup_type, _)) = &request.backup {
        record.insert("image_type".into(), json!("backup"));
        record.insert("backup_type".into(), json!(backup_type));
    }
    for (key, value) in &request.metadata {
        record.insert(key.clone(), json!(value));
    }
    Value::Object(record)
}

impl Nova {
    /// An image record for server `row`'s disk, on the caller's token: its id.
    pub(super) async fn new_image(
        &self,
        caller: &Caller,
        row: &instance::Model,
        request: &ImageRequest,
    ) -> Result<String> {
        let token = &caller.ctx.token.0;
        let base = self.images.find(token, &row.image_ref).await.ok();
        let origin = Origin {
            uuid: &row.uuid,
            image_ref: &row.image_ref,
            user_id: &row.user_id,
            root_gb: InstanceFlavor::parse(&row.flavor).root_gb,
        };
        let image = self
            .images
            .create(token, &image_record(&origin, base.as_ref(), request))
            .await
            .map_err(|e| match e {
                ferrostack_auth::image_api::ImageApiError::Unavailable(_) => {
                    NovaError::Unavailable(e.to_string())
                }
                other => NovaError::BadRequest(other.to_string()),
            })?;
        Ok(image["id"].as_str().unwrap_or_default().to_string())
    }

    /// Sets server `id`'s task_state to `task` if it is in one of `vm_states`
    /// with no task; whether it was.
    pub(super) async fn claim_task(
        &self,
        id: &str,
        vm_states: &[&str],
        task: &str,
    ) -> Result<bool> {
        let claimed = instance::Entity::update_many()
            .col_expr(instance::Column::TaskState, Expr::value(task))
            .col_expr(instance::Column::UpdatedAt, Expr::value(now()))
            .filter(instance::Column::Uuid.eq(id))
            .filter(instance::Column::VmState.is_in(vm_states.iter().copied()))
            .filter(instance::Column::TaskState.is_null())
            .exec(&self.db)
            .await?;
        Ok(claimed.rows_affected == 1)
    }

    /// `createImage`, or `createBackup` when the request names a backup
    /// type: the new image's id.
    pub async fn create_image(
        &self,
        caller: &Caller,
        id: &str,
        request: ImageRequest,
    ) -> Result<String> {
        let (rule, method, task) = match request.backup {
            Some(_) => (
                "os_compute_api:os-create-backup",
                "createBackup",
                "image_backup",
            ),
            None => (
                "os_compute_api:servers:create_image",
                "createImage",
                "image_snapshot",
            ),
        };
        let row = self.server_row(caller, id, rule).await?;
        Self::check_unlocked(caller, &row)?;
        if !SNAPSHOT_STATES.contains(&row.vm_state.as_str()) || row.task_state.is_some() {
            return Err(invalid_state(method, &row));
        }
        let token = &caller.ctx.token.0;
        let image_id = self.new_image(caller, &row, &request).await?;
        if !self.claim_task(id, SNAPSHOT_STATES, task).await? {
            self.images.delete(token, &image_id).await;
            let now = self
                .server_row(caller, id, "os_compute_api:servers:show")
                .await?;
            return Err(invalid_state(method, &now));
        }
        let request_id = self.record_action(caller, &row, method).await?;
        let mut context = caller.rpc_context();
        context.request_id = request_id;
        let host = row.host.clone().unwrap_or_default();
        let cast = self
            .agents
            .cast::<agent::Snapshot>(
                &context,
                Some(&host),
                &Snapshot {
                    uuid: row.uuid.clone(),
                    image_id: image_id.clone(),
                    vm_state: row.vm_state.clone(),
                    power_state: row.power_state,
                    backup_type: request.backup.clone().map(|b| b.0).unwrap_or_default(),
                    rotation: request.backup.as_ref().map_or(-1, |b| b.1),
                },
            )
            .await;
        if let Err(e) = cast {
            self.images.delete(token, &image_id).await;
            instance::Entity::update_many()
                .col_expr(
                    instance::Column::TaskState,
                    Expr::value(Option::<String>::None),
                )
                .filter(instance::Column::Uuid.eq(id))
                .exec(&self.db)
                .await?;
            return Err(NovaError::Internal(format!(
                "the compute host {host} is unreachable: {e}"
            )));
        }
        Ok(image_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_carry_the_snapshot_properties_and_the_metadata() {
        let row = Origin {
            uuid: "s",
            image_ref: "base",
            user_id: "u",
            root_gb: 3,
        };
        let base = json!({"hw_disk_bus": "scsi", "min_ram": 128, "owner": "x", "os_distro": "cirros", "os_hash_algo": "sha512", "os_glance_importing_to_stores": ""});
        let request = ImageRequest {
            name: "snap".into(),
            metadata: [("k".to_string(), "v".to_string())].into(),
            backup: None,
        };
        let record = image_record(&row, Some(&base), &request);
        assert_eq!(record["hw_disk_bus"], "scsi");
        assert_eq!(record["os_distro"], "cirros");
        assert!(record.get("owner").is_none());
        assert!(record.get("os_hash_algo").is_none());
        assert!(record.get("os_glance_importing_to_stores").is_none());
        assert_eq!(record["image_type"], "snapshot");
        assert_eq!(record["instance_uuid"], "s");
        assert_eq!(record["base_image_ref"], "base");
        assert_eq!(
            (record["min_ram"].clone(), record["min_disk"].clone()),
            (json!(128), json!(3))
        );
        assert_eq!(record["k"], "v");
        let backup = ImageRequest {
            backup: Some(("weekly".into(), 1)),
            ..request
        };
        let record = image_record(&row, None, &backup);
        assert_eq!(
            (record["image_type"].clone(), record["backup_type"].clone()),
            (json!("backup"), json!("weekly"))
        );
    }
}
