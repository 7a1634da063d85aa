//! What the roles report about themselves, as an admin reads it: services
//! (`os-services`), compute nodes (`os-hypervisors`) and availability zones.

use std::collections::BTreeMap;

use ferrostack_db::service_registry::{self, ServiceState};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

use super::{Caller, Nova, NovaError, Result};
use crate::db::entity::{compute_node, service_record};

/// The nova-compute binary.
const COMPUTE: &str = "nova-compute";

/// A service with Nova's record of it.
#[derive(Debug, Clone)]
pub struct ServiceView {
    pub state: ServiceState,
    pub id: i64,
    pub uuid: String,
    pub forced_down: bool,
}

impl ServiceView {
    /// Up: heartbeats fresh and not forced down.
    pub fn up(&self) -> bool {
        self.state.up && !self.forced_down
    }
}

/// A compute node with its agent's service.
#[derive(Debug, Clone)]
pub struct Hypervisor {
    pub node: compute_node::Model,
    pub service: ServiceView,
}

/// Sums over the compute nodes of enabled agents (before 2.88).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Statistics {
    pub count: i64,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub local_gb: i64,
    pub vcpus_used: i64,
    pub memory_mb_used: i64,
    pub local_gb_used: i64,
    pub free_ram_mb: i64,
    pub free_disk_gb: i64,
    pub current_workload: i64,
    pub running_vms: i64,
    pub disk_available_least: i64,
}

/// How one service in a zone is doing: up, and its last report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZoneService {
    pub up: bool,
    pub updated_at: chrono::NaiveDateTime,
}

/// A zone's hosts, each with its enabled services by binary.
pub type ZoneHosts = BTreeMap<String, BTreeMap<String, ZoneService>>;

/// One availability zone; `hosts` (detail) maps each host's enabled services
/// to whether they are up and when they last reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub name: String,
    pub available: bool,
    pub hosts: Option<ZoneHosts>,
}

fn hypervisor_not_found(id: &str) -> NovaError {
    NovaError::NotFound(format!("Hypervisor with ID '{id}' could not be found."))
}

impl Nova {
    /// Every service with its record, in registry order.
    pub(super) async fn services(&self) -> Result<Vec<ServiceView>> {
        let records: BTreeMap<(String, String), service_record::Model> =
            service_record::Entity::find()
                .all(&self.db)
                .await?
                .into_iter()
                .map(|r| ((r.host.clone(), r.binary.clone()), r))
                .collect();
        let aggregates = self.all_aggregates().await?;
        Ok(service_registry::list(&self.db, self.cfg.service_down_time)
            .await?
            .into_iter()
            .filter_map(|mut state| {
                // A compute host's zone is its aggregates' (else the default).
                if state.binary == COMPUTE {
                    if let Some(zone) = Self::host_zone(&aggregates, &state.host) {
                        state.zone = zone;
                    }
                }
                let record = records.get(&(state.host.clone(), state.binary.clone()))?;
                Some(ServiceView {
                    id: record.id,
                    uuid: record.uuid.clone(),
                    forced_down: record.forced_down,
                    state,
                })
            })
            .collect())
    }

    /// The services, on `host` and of `binary` when given (admin).
    pub async fn list_services(
        &self,
        caller: &Caller,
        host: Option<&str>,
        binary: Option<&str>,
    ) -> Result<Vec<ServiceView>> {
        self.authorize(caller, "os_compute_api:os-services:list", &json!({}))?;
        Ok(self
            .services()
            .await?
            .into_iter()
            .filter(|s| host.is_none_or(|h| h.is_empty() || s.state.host == h))
            .filter(|s| binary.is_none_or(|b| b.is_empty() || s.state.binary == b))
            .collect())
    }

    /// Compute nodes after `marker` (an id, or a UUID when `by_uuid`), at most
    /// `limit`, each with its agent's service; nodes without one are left out.
    pub async fn list_hypervisors(
        &self,
        caller: &Caller,
        rule: &str,
        marker: Option<&str>,
        limit: Option<usize>,
        by_uuid: bool,
    ) -> Result<Vec<Hypervisor>> {
        self.authorize(caller, rule, &json!({}))?;
        let mut query = compute_node::Entity::find().order_by_asc(compute_node::Column::Id);
        if let Some(marker) = marker {
            let found = if by_uuid {
                compute_node::Entity::find()
                    .filter(compute_node::Column::Uuid.eq(marker))
                    .one(&self.db)
                    .await?
            } else {
                match marker.parse::<i64>() {
                    Ok(id) => compute_node::Entity::find_by_id(id).one(&self.db).await?,
                    Err(_) => None,
                }
            };
            let Some(found) = found else {
                return Err(NovaError::BadRequest(format!(
                    "marker [{marker}] not found"
                )));
            };
            query = query.filter(compute_node::Column::Id.gt(found.id));
        }
        if let Some(limit) = limit {
            query = query.limit(limit as u64);
        }
        let nodes = query.all(&self.db).await?;
        self.with_services(nodes).await
    }

    async fn with_services(&self, nodes: Vec<compute_node::Model>) -> Result<Vec<Hypervisor>> {
        let services = self.services().await?;
        Ok(nodes
            .into_iter()
            .filter_map(|node| {
                let service = services
                    .iter()
                    .find(|s| s.state.binary == COMPUTE && s.state.host == node.host)?
                    .clone();
                Some(Hypervisor { node, service })
            })
            .collect())
    }

    /// One compute node by id (or UUID when `by_uuid`).
    pub async fn hypervisor(&self, caller: &Caller, id: &str, by_uuid: bool) -> Result<Hypervisor> {
        self.authorize(caller, "os_compute_api:os-hypervisors:show", &json!({}))?;
        let node = if by_uuid {
            if uuid::Uuid::parse_str(id).is_err() {
                return Err(NovaError::BadRequest(format!("Invalid uuid {id}")));
            }
            compute_node::Entity::find()
                .filter(compute_node::Column::Uuid.eq(id))
                .one(&self.db)
                .await?
        } else {
            match id.parse::<i64>() {
                Ok(n) => compute_node::Entity::find_by_id(n).one(&self.db).await?,
                Err(_) => None,
            }
        };
        let node = node.ok_or_else(|| hypervisor_not_found(id))?;
        self.with_services(vec![node])
            .await?
            .pop()
            .ok_or_else(|| hypervisor_not_found(id))
    }

    /// `os-hypervisors/{id}/uptime`: what `uptime` prints on the hypervisor's
    /// host, asked of its agent (400 while the agent is down).
    pub async fn hypervisor_uptime(&self, found: &Hypervisor) -> Result<String> {
        let host = &found.node.host;
        if !found.service.up() {
            return Err(NovaError::BadRequest(format!(
                "Compute service of {host} is unavailable at this time."
            )));
        }
        let context = ferrostack_rpc::Context::internal();
        match self
            .agents
            .call::<crate::rpc::agent::GetHostUptime>(&context, Some(host), &())
            .await
        {
            Ok(answer) => Ok(answer.uptime),
            Err(ferrostack_rpc::RpcError::Remote(e)) if e.kind == "NotImplemented" => Err(
                NovaError::NotImplemented("Virt driver does not implement uptime function.".into()),
            ),
            Err(_) => Err(NovaError::BadRequest(format!(
                "Compute service of {host} is unavailable at this time."
            ))),
        }
    }

    /// The servers on each of `nodes` (by hypervisor hostname): Nova's
    /// instance name and the server's id.
    pub async fn servers_on(
        &self,
        nodes: &[Hypervisor],
    ) -> Result<BTreeMap<String, Vec<(String, String)>>> {
        let names: Vec<String> = nodes
            .iter()
            .map(|h| h.node.hypervisor_hostname.clone())
            .collect();
        let mut on: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for server in crate::db::entity::instance::Entity::find()
            .filter(crate::db::entity::instance::Column::Node.is_in(names))
            .filter(crate::db::entity::instance::Column::Deleted.eq(false))
            .order_by_asc(crate::db::entity::instance::Column::CreatedAt)
            .all(&self.db)
            .await?
        {
            if let Some(node) = server.node.clone() {
                let name = super::servers::instance_name(&server.uuid);
                on.entry(node).or_default().push((name, server.uuid));
            }
        }
        Ok(on)
    }

    /// Hypervisors whose hostname contains `pattern` (the pre-2.53 search);
    /// 404 when none does.
    pub async fn search_hypervisors(
        &self,
        caller: &Caller,
        pattern: &str,
        rule: &str,
    ) -> Result<Vec<Hypervisor>> {
        self.authorize(caller, rule, &json!({}))?;
        let nodes = compute_node::Entity::find()
            .order_by_asc(compute_node::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|n| n.hypervisor_hostname.contains(pattern))
            .collect();
        let found = self.with_services(nodes).await?;
        if found.is_empty() {
            return Err(NovaError::NotFound(format!(
                "No hypervisor matching '{pattern}' could be found."
            )));
        }
        Ok(found)
    }

    /// Sums over the nodes of enabled agents.
    pub async fn hypervisor_statistics(&self, caller: &Caller) -> Result<Statistics> {
        self.authorize(
            caller,
            "os_compute_api:os-hypervisors:statistics",
            &json!({}),
        )?;
        let nodes = compute_node::Entity::find().all(&self.db).await?;
        let mut stats = Statistics::default();
        for h in self.with_services(nodes).await? {
            if h.service.state.disabled {
                continue;
            }
            let n = &h.node;
            stats.count += 1;
            stats.vcpus += n.vcpus;
            stats.memory_mb += n.memory_mb;
            stats.local_gb += n.local_gb;
            stats.vcpus_used += n.vcpus_used;
            stats.memory_mb_used += n.memory_mb_used;
            stats.local_gb_used += n.local_gb_used;
            stats.free_ram_mb += n.memory_mb - n.memory_mb_used;
            stats.free_disk_gb += n.local_gb - n.local_gb_used;
            stats.running_vms += n.running_vms;
            stats.disk_available_least += n.local_gb - n.local_gb_used;
        }
        Ok(stats)
    }

    /// The availability zones: those with an enabled service (available),
    /// then those whose services are all disabled; `detail` adds the hosts
    /// (admin) and keeps the internal zone, which the plain list hides.
    pub async fn zones(&self, caller: &Caller, detail: bool) -> Result<Vec<Zone>> {
        let rule = if detail {
            "os_compute_api:os-availability-zone:detail"
        } else {
            "os_compute_api:os-availability-zone:list"
        };
        self.authorize(caller, rule, &json!({}))?;
        let services = self.services().await?;
        let mut available: BTreeMap<String, ZoneHosts> = BTreeMap::new();
        for s in services.iter().filter(|s| !s.state.disabled) {
            available
                .entry(s.state.zone.clone())
                .or_default()
                .entry(s.state.host.clone())
                .or_default()
                .insert(
                    s.state.binary.clone(),
                    ZoneService {
                        up: s.up(),
                        updated_at: s.state.updated_at,
                    },
                );
        }
        let unavailable: std::collections::BTreeSet<String> = services
            .iter()
            .filter(|s| s.state.disabled && !available.contains_key(&s.state.zone))
            .map(|s| s.state.zone.clone())
            .collect();
        let hidden = |zone: &str| !detail && zone == self.cfg.internal_zone;
        let mut zones: Vec<Zone> = available
            .into_iter()
            .filter(|(zone, _)| !hidden(zone))
            .map(|(name, hosts)| Zone {
                name,
                available: true,
                hosts: detail.then_some(hosts),
            })
            .collect();
        zones.extend(
            unavailable
                .into_iter()
                .filter(|z| !hidden(z))
                .map(|name| Zone {
                    name,
                    available: false,
                    hosts: None,
                }),
        );
        Ok(zones)
    }

    /// A service by its UUID (2.53) or integer id.
    async fn service_by(&self, id: &str, by_uuid: bool) -> Result<Option<ServiceView>> {
        let services = self.services().await?;
        Ok(if by_uuid {
            services.into_iter().find(|s| s.uuid == id)
        } else {
            let id: i64 = id.trim().parse().map_err(|_| {
                NovaError::BadRequest("Invalid input received: id must be an integer".into())
            })?;
            services.into_iter().find(|s| s.id == id)
        })
    }

    /// Enables or disables (with a reason) a compute service, or forces it
    /// down or up (admin). `None` leaves a setting as it is.
    pub async fn update_service(
        &self,
        caller: &Caller,
        target: ServiceTarget<'_>,
        change: ServiceChange,
    ) -> Result<ServiceView> {
        if let ServiceTarget::Uuid(id) = target {
            if uuid::Uuid::parse_str(id).is_err() {
                return Err(NovaError::BadRequest(format!("Invalid uuid {id}")));
            }
        }
        self.authorize(caller, "os_compute_api:os-services:update", &json!({}))?;
        let service = match target {
            ServiceTarget::Uuid(id) => self
                .service_by(id, true)
                .await?
                .ok_or_else(|| NovaError::NotFound(format!("Service {id} could not be found.")))?,
            ServiceTarget::HostBinary { host, binary } => {
                if binary != COMPUTE {
                    return Err(not_compute(binary));
                }
                self.services()
                    .await?
                    .into_iter()
                    .find(|s| s.state.host == host && s.state.binary == binary)
                    .ok_or_else(|| {
                        NovaError::NotFound(format!(
                            "Could not find binary {binary} on host {host}."
                        ))
                    })?
            }
        };
        if service.state.binary != COMPUTE {
            return Err(not_compute(&service.state.binary));
        }
        if let Some((disabled, reason)) = &change.disabled {
            service_registry::set_disabled(
                &self.db,
                &service.state.host,
                &service.state.binary,
                *disabled,
                reason.as_deref(),
            )
            .await?;
            if *disabled && reason.is_none() {
                // Disabling without a reason clears an old one, as Nova does.
                clear_reason(&self.db, &service.state.host, &service.state.binary).await?;
            }
        }
        if let Some(forced_down) = change.forced_down {
            service_record::Entity::update_many()
                .col_expr(
                    service_record::Column::ForcedDown,
                    sea_orm::sea_query::Expr::value(forced_down),
                )
                .filter(service_record::Column::Id.eq(service.id))
                .exec(&self.db)
                .await?;
        }
        self.service_by(&service.uuid, true).await?.ok_or_else(|| {
            NovaError::NotFound(format!("Service {} could not be found.", service.uuid))
        })
    }

    /// Deletes a service; a compute service only while it hosts nothing, and
    /// with its node and aggregate memberships (admin).
    pub async fn delete_service(&self, caller: &Caller, id: &str, by_uuid: bool) -> Result<()> {
        self.authorize(caller, "os_compute_api:os-services:delete", &json!({}))?;
        if by_uuid && uuid::Uuid::parse_str(id).is_err() {
            return Err(NovaError::BadRequest(format!("Invalid uuid {id}")));
        }
        let service = self
            .service_by(id, by_uuid)
            .await?
            .ok_or_else(|| NovaError::NotFound(format!("Service {id} not found.")))?;
        let (host, binary) = (service.state.host.as_str(), service.state.binary.as_str());
        if binary == COMPUTE {
            crate::db::entity::aggregate_host::Entity::delete_many()
                .filter(crate::db::entity::aggregate_host::Column::Host.eq(host))
                .exec(&self.db)
                .await?;
            compute_node::Entity::delete_many()
                .filter(compute_node::Column::Host.eq(host))
                .exec(&self.db)
                .await?;
        }
        service_registry::remove(&self.db, host, binary).await?;
        service_record::Entity::delete_by_id(service.id)
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

/// Which service an update names: its UUID (2.53), or host and binary.
#[derive(Debug, Clone, Copy)]
pub enum ServiceTarget<'a> {
    Uuid(&'a str),
    HostBinary { host: &'a str, binary: &'a str },
}

/// What an update changes: `disabled` (with its reason), `forced_down`.
#[derive(Debug, Clone, Default)]
pub struct ServiceChange {
    pub disabled: Option<(bool, Option<String>)>,
    pub forced_down: Option<bool>,
}

fn not_compute(binary: &str) -> NovaError {
    NovaError::BadRequest(format!(
        "Updating a {binary} service is not supported. Only nova-compute services can be updated."
    ))
}

/// Clears the disabled reason of `binary` on `host`.
async fn clear_reason(db: &sea_orm::DatabaseConnection, host: &str, binary: &str) -> Result<()> {
    use crate::db::entity::service;
    service::Entity::update_many()
        .col_expr(
            service::Column::DisabledReason,
            sea_orm::sea_query::Expr::value(None::<String>),
        )
        .filter(service::Column::Host.eq(host))
        .filter(service::Column::Binary.eq(binary))
        .exec(db)
        .await?;
    Ok(())
}
