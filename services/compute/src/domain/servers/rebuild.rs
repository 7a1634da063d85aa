//! Rebuilding a server from an image (the same or another) with new name,
//! metadata, password, key, user data or hostname (a volume-backed one as
//! `rebuild_volume` says); an admin's reset of a server's state; the
//! soft-delete actions, which find no soft-deleted server.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

use super::read::{assemble, Server};
use super::{build_message, generate_password};
use crate::db::entity::{instance, instance_metadata};
use crate::domain::{now, Caller, Nova, NovaError, Result};
use crate::rpc::agent;

/// What a rebuild asks for, parsed by the API.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RebuildRequest {
    pub image_ref: String,
    pub name: Option<String>,
    pub admin_pass: Option<String>,
    /// Replaces the metadata when given.
    pub metadata: Option<BTreeMap<String, String>>,
    pub access_ip_v4: Option<String>,
    pub access_ip_v6: Option<String>,
    /// 2.19; `Some(None)` clears it.
    pub description: Option<Option<String>>,
    /// 2.54; `Some(None)` removes the key.
    pub key_name: Option<Option<String>>,
    /// 2.57; `Some(None)` removes it.
    pub user_data: Option<Option<String>>,
    /// 2.90.
    pub hostname: Option<String>,
    /// 2.93: a volume-backed server's root volume is rewritten with the image.
    pub reimage_boot_volume: bool,
}

/// The states a server can be rebuilt in.
const REBUILDABLE: &[&str] = &["active", "stopped", "error"];

impl Nova {
    /// `rebuild`: the server takes the new settings at once and its host
    /// replaces its guest; the reply shows it REBUILDing, with its password.
    pub async fn rebuild_server(
        &self,
        caller: &Caller,
        id: &str,
        request: RebuildRequest,
    ) -> Result<(Server, String)> {
        let row = self
            .server_row(caller, id, "os_compute_api:servers:rebuild")
            .await?;
        Self::check_unlocked(caller, &row)?;
        // A server that never reached a host has no guest to replace.
        if !REBUILDABLE.contains(&row.vm_state.as_str())
            || row.task_state.is_some()
            || row.host.is_none()
        {
            return Err(super::ops::invalid_state("rebuild", &row));
        }
        let mut flavor = super::InstanceFlavor::parse(&row.flavor);
        let root = self.root_volume(id).await?;
        if root.is_some() {
            // The image goes on a volume: the flavor's disk does not hold it.
            flavor.root_gb = 0;
        }
        let image = self.boot_image(caller, &request.image_ref, &flavor).await?;
        let image_id = image["id"]
            .as_str()
            .unwrap_or(&request.image_ref)
            .to_string();
        if let Some(root) = &root {
            self.check_volume_rebuild(caller, root, &image, &request)
                .await?;
        }
        let key_data = match &request.key_name {
            Some(Some(name)) => Some(Some(self.key_data(caller, name).await?)),
            Some(None) => Some(None),
            None => None,
        };
        if let Some(metadata) = &request.metadata {
            let allowed = self.project_limits(&self.db, &row.project_id).await?["metadata_items"];
            if allowed >= 0 && metadata.len() as i64 > allowed {
                return Err(NovaError::OverQuota(format!(
                    "Maximum number of metadata items exceeds {allowed}"
                )));
            }
        }
        let mut columns: Vec<(instance::Column, SimpleExpr)> = vec![
            (instance::Column::TaskState, Expr::value("rebuilding")),
            (instance::Column::UpdatedAt, Expr::value(now())),
        ];
        // A volume-backed server shows no image, before and after.
        if root.is_none() {
            columns.push((instance::Column::ImageRef, Expr::value(&image_id)));
        }
        if let Some(name) = &request.name {
            columns.push((instance::Column::DisplayName, Expr::value(name)));
        }
        if let Some(ip) = &request.access_ip_v4 {
            columns.push((instance::Column::AccessIpV4, Expr::value(ip)));
        }
        if let Some(ip) = &request.access_ip_v6 {
            columns.push((instance::Column::AccessIpV6, Expr::value(ip)));
        }
        if let Some(description) = &request.description {
            columns.push((
                instance::Column::Description,
                Expr::value(description.clone()),
            ));
        }
        if let (Some(name), Some(data)) = (&request.key_name, &key_data) {
            columns.push((instance::Column::KeyName, Expr::value(name.clone())));
            columns.push((instance::Column::KeyData, Expr::value(data.clone())));
        }
        if let Some(user_data) = &request.user_data {
            columns.push((instance::Column::UserData, Expr::value(user_data.clone())));
        }
        if let Some(hostname) = &request.hostname {
            columns.push((instance::Column::Hostname, Expr::value(hostname)));
        }
        let txn = self.db.begin().await?;
        let mut update = instance::Entity::update_many();
        for (column, value) in columns {
            update = update.col_expr(column, value);
        }
        let claimed = update
            .filter(instance::Column::Uuid.eq(id))
            .filter(instance::Column::TaskState.is_null())
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 0 {
            return Err(super::ops::invalid_state("rebuild", &row));
        }
        if let Some(metadata) = &request.metadata {
            instance_metadata::Entity::delete_many()
                .filter(instance_metadata::Column::InstanceUuid.eq(id))
                .exec(&txn)
                .await?;
            if !metadata.is_empty() {
                instance_metadata::Entity::insert_many(metadata.iter().map(|(k, v)| {
                    instance_metadata::ActiveModel {
                        instance_uuid: Set(id.to_string()),
                        key: Set(k.clone()),
                        value: Set(v.clone()),
                    }
                }))
                .exec(&txn)
                .await?;
            }
        }
        txn.commit().await?;
        let request_id = self.record_action(caller, &row, "rebuild").await?;
        let rebuilt = instance::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| super::read::not_found(id))?;
        let server = assemble(&self.db, vec![rebuilt]).await?.remove(0);
        let mut build = build_message(&server.row, &server.metadata);
        build.reimage_root = root
            .as_ref()
            .filter(|_| request.reimage_boot_volume)
            .map(super::rebuild_volume::root_device);
        if build.reimage_root.is_some() {
            // The image to write on the root volume.
            build.image_id = image_id;
        }
        build.stop_after = row.vm_state == "stopped";
        build.vifs_json = super::networks::stored_json(&self.db, id).await?;
        let mut context = caller.rpc_context();
        context.request_id = request_id;
        let host = row.host.clone().unwrap_or_default();
        self.agents
            .cast::<agent::Rebuild>(&context, Some(&host), &build)
            .await
            .map_err(|e| {
                NovaError::Internal(format!("the compute host {host} is unreachable: {e}"))
            })?;
        Ok((server, request.admin_pass.unwrap_or_else(generate_password)))
    }

    /// `os-resetState` (admin): the vm_state `active` or `error`, no task.
    pub async fn reset_server_state(&self, caller: &Caller, id: &str, state: &str) -> Result<()> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-admin-actions:reset_state")
            .await?;
        instance::Entity::update_many()
            .col_expr(instance::Column::VmState, Expr::value(state))
            .col_expr(
                instance::Column::TaskState,
                Expr::value(Option::<String>::None),
            )
            .col_expr(instance::Column::UpdatedAt, Expr::value(now()))
            .filter(instance::Column::Uuid.eq(id))
            .exec(&self.db)
            .await?;
        self.record_action(caller, &row, "resetState").await?;
        Ok(())
    }
}
