//! Shelving: a server's disk saved into an image (`<name>-shelved`) and its
//! guest powered off, then offloaded from its host (`shelved_offload_time`
//! 0: at once), giving back the host's resources; unshelving powers a shelved
//! server on again, or schedules an offloaded one anew and builds it from that
//! image, which is then deleted.

use std::collections::BTreeMap;

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::ops::invalid_state;
use super::snapshot::SNAPSHOT_STATES;
use super::{ImageRequest, InstanceFlavor};
use crate::db::entity::{instance, instance_system_metadata as system};
use crate::domain::{now, Caller, Nova, NovaError, Result};
use crate::rpc::messages::{BuildInstances, RequestSpec, Shelve};
use crate::rpc::{agent, conductor};

/// The system metadata key of the image a server was shelved to.
const SHELVED_IMAGE: &str = "shelved_image_id";

/// Where an offloaded server may be unshelved (2.77 zone, 2.91 host).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnshelveRequest {
    /// `Some(None)`: unpinned from its zone (2.91).
    pub availability_zone: Option<Option<String>>,
    pub host: Option<String>,
}

impl Nova {
    async fn system_metadata(&self, uuid: &str) -> Result<BTreeMap<String, String>> {
        Ok(system::Entity::find()
            .filter(system::Column::InstanceUuid.eq(uuid))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| (m.key, m.value.unwrap_or_default()))
            .collect())
    }

    async fn forget_shelving(&self, uuid: &str) -> Result<()> {
        system::Entity::delete_many()
            .filter(system::Column::InstanceUuid.eq(uuid))
            .filter(system::Column::Key.is_in([SHELVED_IMAGE, "shelved_at", "shelved_host"]))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    async fn cast_failed(&self, id: &str, e: impl std::fmt::Display) -> NovaError {
        let _ = instance::Entity::update_many()
            .col_expr(
                instance::Column::TaskState,
                sea_orm::sea_query::Expr::value(Option::<String>::None),
            )
            .filter(instance::Column::Uuid.eq(id))
            .exec(&self.db)
            .await;
        NovaError::Internal(format!("a compute role is unreachable: {e}"))
    }

    /// `shelve`.
    pub async fn shelve(&self, caller: &Caller, id: &str) -> Result<()> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-shelve:shelve")
            .await?;
        Self::check_unlocked(caller, &row)?;
        if !SNAPSHOT_STATES.contains(&row.vm_state.as_str()) || row.task_state.is_some() {
            return Err(invalid_state("shelve", &row));
        }
        let request = ImageRequest {
            name: format!("{}-shelved", row.display_name),
            metadata: BTreeMap::new(),
            backup: None,
        };
        let image_id = self.new_image(caller, &row, &request).await?;
        if !self.claim_task(id, SNAPSHOT_STATES, "shelving").await? {
            self.images.delete(&caller.ctx.token.0, &image_id).await;
            let now = self
                .server_row(caller, id, "os_compute_api:servers:show")
                .await?;
            return Err(invalid_state("shelve", &now));
        }
        self.forget_shelving(id).await?;
        let stamp = now().format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
        let host = row.host.clone().unwrap_or_default();
        system::Entity::insert_many(
            [
                (SHELVED_IMAGE, image_id.clone()),
                ("shelved_at", stamp),
                ("shelved_host", host.clone()),
            ]
            .map(|(key, value)| system::ActiveModel {
                instance_uuid: Set(id.to_string()),
                key: Set(key.to_string()),
                value: Set(Some(value)),
            }),
        )
        .exec(&self.db)
        .await?;
        let request_id = self.record_action(caller, &row, "shelve").await?;
        let mut context = caller.rpc_context();
        context.request_id = request_id;
        let shelve = Shelve {
            uuid: row.uuid.clone(),
            image_id,
            offload: self.cfg.offload_shelved,
        };
        if let Err(e) = self
            .agents
            .cast::<agent::Shelve>(&context, Some(&host), &shelve)
            .await
        {
            return Err(self.cast_failed(id, e).await);
        }
        Ok(())
    }

    /// `shelveOffload` (admin): a shelved server leaves its host.
    pub async fn shelve_offload(&self, caller: &Caller, id: &str) -> Result<()> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-shelve:shelve_offload")
            .await?;
        if !self
            .claim_task(id, &["shelved"], "shelving_offloading")
            .await?
        {
            return Err(invalid_state("shelveOffload", &row));
        }
        let request_id = self.record_action(caller, &row, "shelveOffload").await?;
        self.cast_op(caller, &row, "shelve_offload", request_id)
            .await
    }

    /// `unshelve`.
    pub async fn unshelve(
        &self,
        caller: &Caller,
        id: &str,
        request: UnshelveRequest,
    ) -> Result<()> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-shelve:unshelve")
            .await?;
        Self::check_unlocked(caller, &row)?;
        if request.host.is_some() {
            self.authorize(
                caller,
                "os_compute_api:os-shelve:unshelve_to_host",
                &serde_json::json!({"project_id": row.project_id}),
            )?;
        }
        let offloaded = row.vm_state == "shelved_offloaded";
        if (request.availability_zone.is_some() || request.host.is_some()) && !offloaded {
            return Err(NovaError::Conflict(format!(
                "The unshelve action on a server with a zone or host needs the server to be shelved offloaded, server {id} is in vm_state {}",
                row.vm_state
            )));
        }
        if !self
            .claim_task(id, &["shelved", "shelved_offloaded"], "unshelving")
            .await?
        {
            let now = self
                .server_row(caller, id, "os_compute_api:servers:show")
                .await?;
            return Err(invalid_state("unshelve", &now));
        }
        let image_id = self
            .system_metadata(id)
            .await?
            .remove(SHELVED_IMAGE)
            .unwrap_or_default();
        self.forget_shelving(id).await?;
        let request_id = self.record_action(caller, &row, "unshelve").await?;
        if !offloaded {
            self.cast_op(caller, &row, "unshelve", request_id).await?;
            self.images.delete(&caller.ctx.token.0, &image_id).await;
            return Ok(());
        }
        let zone = match request.availability_zone {
            Some(zone) => zone.unwrap_or_default(),
            None => row.availability_zone.clone().unwrap_or_default(),
        };
        let spec = RequestSpec {
            project_id: row.project_id.clone(),
            user_id: row.user_id.clone(),
            flavor: Some(InstanceFlavor::parse(&row.flavor).to_spec()),
            availability_zone: zone,
            force_host: request.host.unwrap_or_default(),
            instance_uuids: vec![row.uuid.clone()],
            ..Default::default()
        };
        let mut context = caller.rpc_context();
        context.request_id = request_id;
        let build = BuildInstances {
            instance_uuids: vec![row.uuid.clone()],
            spec: Some(spec),
            unshelve_image_id: image_id,
        };
        if let Err(e) = self
            .conductor
            .cast::<conductor::BuildInstances>(&context, None, &build)
            .await
        {
            return Err(self.cast_failed(id, e).await);
        }
        Ok(())
    }
}
