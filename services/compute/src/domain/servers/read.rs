//! Reading one server as its caller may see it, with its metadata, tags and
//! latest fault, and updating what `PUT /servers/{id}` changes.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::db::entity::{
    instance, instance_fault, instance_metadata, instance_tag, server_group_member,
};
use crate::domain::{now, Caller, Nova, NovaError, Result};

/// A server with what its views show besides its row.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    pub row: instance::Model,
    pub metadata: BTreeMap<String, String>,
    pub tags: BTreeSet<String>,
    /// The latest fault, shown while the server is in ERROR or DELETED.
    pub fault: Option<instance_fault::Model>,
    /// The server groups it is in (2.71).
    pub groups: Vec<String>,
    /// Its volumes: id and `delete_on_termination`.
    pub volumes: Vec<(String, bool)>,
    /// Its ports, as last seen.
    pub vifs: Vec<super::networks::Vif>,
}

/// What `PUT /servers/{id}` may change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerUpdate {
    pub name: Option<String>,
    /// `Some(None)` clears it (2.19).
    pub description: Option<Option<String>>,
    pub access_ip_v4: Option<String>,
    pub access_ip_v6: Option<String>,
    /// 2.90.
    pub hostname: Option<String>,
    /// 2.104: `Some(None)` unpins the server, `Some(zone)` pins it to the
    /// zone it is in.
    pub pinned_zone: Option<Option<String>>,
}

pub(crate) fn not_found(id: &str) -> NovaError {
    NovaError::NotFound(format!("Instance {id} could not be found."))
}

/// Adds metadata, tags, faults, groups, volumes and ports to rows (six
/// queries for every 500).
pub async fn assemble<C: ConnectionTrait>(
    db: &C,
    rows: Vec<instance::Model>,
) -> Result<Vec<Server>> {
    let ids: Vec<String> = rows.iter().map(|r| r.uuid.clone()).collect();
    let mut metadata: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut tags: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut faults: BTreeMap<String, instance_fault::Model> = BTreeMap::new();
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for chunk in ids.chunks(500) {
        for m in instance_metadata::Entity::find()
            .filter(instance_metadata::Column::InstanceUuid.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            metadata
                .entry(m.instance_uuid)
                .or_default()
                .insert(m.key, m.value);
        }
        for t in instance_tag::Entity::find()
            .filter(instance_tag::Column::InstanceUuid.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            tags.entry(t.instance_uuid).or_default().insert(t.tag);
        }
        for f in instance_fault::Entity::find()
            .filter(instance_fault::Column::InstanceUuid.is_in(chunk.iter().cloned()))
            .order_by_asc(instance_fault::Column::Id)
            .all(db)
            .await?
        {
            faults.insert(f.instance_uuid.clone(), f);
        }
        for m in server_group_member::Entity::find()
            .filter(server_group_member::Column::InstanceUuid.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            groups
                .entry(m.instance_uuid)
                .or_default()
                .push(m.group_uuid);
        }
    }
    let mut volumes = crate::domain::volume_attachments::mapped(db, &ids).await?;
    let mut vifs = super::networks::network_infos(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| Server {
            volumes: volumes
                .remove(&row.uuid)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|m| Some((m.volume_id?, m.delete_on_termination)))
                .collect(),
            vifs: vifs.remove(&row.uuid).unwrap_or_default(),
            metadata: metadata.remove(&row.uuid).unwrap_or_default(),
            tags: tags.remove(&row.uuid).unwrap_or_default(),
            groups: groups.remove(&row.uuid).unwrap_or_default(),
            fault: faults
                .remove(&row.uuid)
                .filter(|_| matches!(row.vm_state.as_str(), "error" | "deleted")),
            row,
        })
        .collect())
}

impl Nova {
    /// The row of server `id` if `caller` may see it under `rule` (404 when
    /// it is gone or another project's).
    pub(crate) async fn server_row(
        &self,
        caller: &Caller,
        id: &str,
        rule: &str,
    ) -> Result<instance::Model> {
        let row = instance::Entity::find_by_id(id)
            .filter(instance::Column::Deleted.eq(false))
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        if !caller.is_admin && row.project_id != caller.project() {
            return Err(not_found(id));
        }
        self.authorize(
            caller,
            rule,
            &json!({"project_id": row.project_id, "user_id": row.user_id}),
        )?;
        Ok(row)
    }

    /// Sets server `id`'s `OS-DCF:diskConfig` (the caller was checked by the
    /// update or action that carried it).
    pub async fn set_disk_config(&self, id: &str, auto: bool) -> Result<()> {
        instance::Entity::update_many()
            .col_expr(instance::Column::AutoDiskConfig, Expr::value(auto))
            .filter(instance::Column::Uuid.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// `GET /servers/{id}`.
    pub async fn show_server(&self, caller: &Caller, id: &str) -> Result<Server> {
        let row = self
            .server_row(caller, id, "os_compute_api:servers:show")
            .await?;
        Ok(assemble(&self.db, vec![row]).await?.remove(0))
    }

    /// `PUT /servers/{id}`.
    pub async fn update_server(
        &self,
        caller: &Caller,
        id: &str,
        update: ServerUpdate,
    ) -> Result<Server> {
        let row = self
            .server_row(caller, id, "os_compute_api:servers:update")
            .await?;
        let mut query = instance::Entity::update_many()
            .col_expr(instance::Column::UpdatedAt, Expr::value(now()));
        if let Some(wanted) = &update.pinned_zone {
            let current = self.host_zones().await?.current(&row);
            let pinned = super::zones::repin(
                row.availability_zone.as_deref(),
                current.as_deref(),
                wanted.as_deref(),
            )?;
            query = query.col_expr(instance::Column::AvailabilityZone, Expr::value(pinned));
        }
        if let Some(name) = &update.name {
            query = query.col_expr(instance::Column::DisplayName, Expr::value(name));
        }
        if let Some(description) = &update.description {
            query = query.col_expr(
                instance::Column::Description,
                Expr::value(description.clone()),
            );
        }
        if let Some(ip) = &update.access_ip_v4 {
            query = query.col_expr(instance::Column::AccessIpV4, Expr::value(ip));
        }
        if let Some(ip) = &update.access_ip_v6 {
            query = query.col_expr(instance::Column::AccessIpV6, Expr::value(ip));
        }
        if let Some(hostname) = &update.hostname {
            query = query.col_expr(instance::Column::Hostname, Expr::value(hostname));
        }
        query
            .filter(instance::Column::Uuid.eq(id))
            .exec(&self.db)
            .await?;
        let row = instance::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        Ok(assemble(&self.db, vec![row]).await?.remove(0))
    }
}

impl Nova {
    /// `host_status` (2.16) of each compute host: UP, DOWN (no fresh
    /// heartbeat or forced down) or MAINTENANCE (disabled), when `caller` may
    /// see it (`None` otherwise).
    pub async fn host_statuses(
        &self,
        caller: &Caller,
        project_id: &str,
    ) -> Result<Option<BTreeMap<String, &'static str>>> {
        let rule = "os_compute_api:servers:show:host_status";
        if self
            .authorize(caller, rule, &json!({"project_id": project_id}))
            .is_err()
        {
            return Ok(None);
        }
        let forced_down: BTreeSet<String> = crate::db::entity::service_record::Entity::find()
            .filter(crate::db::entity::service_record::Column::ForcedDown.eq(true))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| r.host)
            .collect();
        Ok(Some(
            ferrostack_db::service_registry::list(&self.db, self.cfg.service_down_time)
                .await?
                .into_iter()
                .filter(|s| s.binary == crate::agent::BINARY)
                .map(|s| {
                    let status = if !s.up || forced_down.contains(&s.host) {
                        "DOWN"
                    } else if s.disabled {
                        "MAINTENANCE"
                    } else {
                        "UP"
                    };
                    (s.host, status)
                })
                .collect(),
        ))
    }
}
