//! Networks: created with a segment (asked for by an admin, or allocated for
//! a project network), visible to their project and to the projects RBAC
//! policies grant them to (every project when shared or external), and
//! deleted only when no port but DHCP's uses them.

use std::collections::{BTreeSet, HashMap, HashSet};

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{json, Value};

use super::rbac_policies::{self as rbac, EXTERNAL, SHARED, WILDCARD};
use super::segments::{self, SegmentRequest};
use super::{new_id, now, Caller, Neutron, NeutronError, Result};
use crate::db::entity::{network, network_rbac, port, subnet};

/// The resource type tags and revisions name networks by.
pub const KIND: &str = "networks";

/// A network with its subnets' ids and its tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkRecord {
    pub row: network::Model,
    pub subnets: Vec<String>,
    pub tags: Vec<String>,
}

/// What a create asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewNetwork {
    /// The owner, when an admin names one.
    pub project_id: Option<String>,
    pub name: String,
    pub description: String,
    pub admin_state_up: bool,
    pub shared: bool,
    pub external: bool,
    pub port_security_enabled: bool,
    pub mtu: Option<i64>,
    pub segment: SegmentRequest,
    pub availability_zone_hints: Vec<String>,
    pub dns_domain: Option<String>,
    /// The attributes the request set (each may have a policy of its own).
    pub set: Vec<&'static str>,
}

/// What an update asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub admin_state_up: Option<bool>,
    pub shared: Option<bool>,
    pub external: Option<bool>,
    pub port_security_enabled: Option<bool>,
    pub mtu: Option<i64>,
    pub dns_domain: Option<Option<String>>,
    pub set: Vec<&'static str>,
}

/// What network policies see of a network.
pub fn policy_target(row: &network::Model) -> Value {
    json!({
        "project_id": row.project_id,
        "tenant_id": row.project_id,
        "network:tenant_id": row.project_id,
        "shared": row.shared,
        "router:external": row.external,
    })
}

pub(crate) fn not_found(id: &str) -> NeutronError {
    NeutronError::not_found(
        "NetworkNotFound",
        format!("Network {id} could not be found."),
    )
}

/// 412 when `If-Match` names another revision than the current one.
pub fn check_revision(current: i64, expected: Option<i64>) -> Result<()> {
    match expected {
        Some(wanted) if wanted != current => Err(NeutronError::new(
            412,
            "RevisionNumberConstraintFailed",
            format!("Constrained to {wanted}, but current revision is {current}"),
        )),
        _ => Ok(()),
    }
}

fn check_mtu(mtu: i64, max: i64) -> Result<()> {
    if mtu < 68 {
        return Err(NeutronError::bad_request(format!(
            "Invalid input for mtu. Reason: '{mtu}' is too small - must be at least '68'."
        )));
    }
    if mtu > max {
        return Err(NeutronError::invalid_input(format!(
            "Requested MTU is too big, maximum is {max}"
        )));
    }
    Ok(())
}

/// 404 (Neutron hides the network) when `project`'s port or subnet would go
/// on a network neither its own nor shared with the caller.
pub(crate) fn ensure_may_attach(
    caller: &Caller,
    net: &network::Model,
    project: &str,
) -> Result<()> {
    if caller.is_admin || net.shared || net.project_id == project {
        Ok(())
    } else {
        Err(NeutronError::hidden())
    }
}

/// 409 while routers have their gateway on network `id`.
pub(crate) async fn ensure_no_gateways<C: sea_orm::ConnectionTrait>(
    db: &C,
    id: &str,
) -> Result<()> {
    let gateway = port::Entity::find()
        .filter(port::Column::NetworkId.eq(id))
        .filter(port::Column::DeviceOwner.eq("network:router_gateway"))
        .one(db)
        .await?;
    if gateway.is_some() {
        return Err(NeutronError::conflict(
            "ExternalNetworkInUse",
            format!("External network {id} cannot be updated to be made non-external, since it has existing gateway ports."),
        ));
    }
    Ok(())
}

impl Neutron {
    /// The network `id` as the caller sees it (404 unless they may).
    pub async fn network_row(&self, caller: &Caller, id: &str) -> Result<network::Model> {
        let row = network::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        self.seen_by(caller, vec![row])
            .await?
            .pop()
            .ok_or_else(NeutronError::hidden)
    }

    /// The network `id` for a request naming it (a port's, a floating IP's,
    /// a router gateway's): 404 `NetworkNotFound` unless the caller sees it.
    pub async fn visible_network(&self, caller: &Caller, id: &str) -> Result<network::Model> {
        self.network_row(caller, id).await.map_err(
            |e| {
                if e.status == 404 {
                    not_found(id)
                } else {
                    e
                }
            },
        )
    }

    /// Sets `shared` of each of `rows` as the caller sees it — whether a
    /// policy shares the network with their project or with every project —
    /// and returns the ids some policy grants them.
    pub(crate) async fn share_view(
        &self,
        caller: &Caller,
        rows: &mut [network::Model],
    ) -> Result<HashSet<String>> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let granted = rbac::granted(&self.db, caller.project(), &ids).await?;
        for row in rows.iter_mut() {
            row.shared = granted.shared.contains(&row.id);
        }
        Ok(granted.any)
    }

    /// The rows among `rows` the caller may see, as they see them.
    async fn seen_by(
        &self,
        caller: &Caller,
        mut rows: Vec<network::Model>,
    ) -> Result<Vec<network::Model>> {
        let granted = self.share_view(caller, &mut rows).await?;
        Ok(rows
            .into_iter()
            .filter(|row| {
                caller.is_admin || row.project_id == caller.project() || granted.contains(&row.id)
            })
            .filter(|row| self.allowed(caller, "get_network", &policy_target(row)))
            .collect())
    }

    async fn records(&self, rows: Vec<network::Model>) -> Result<Vec<NetworkRecord>> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut tags = super::tags::of(&self.db, KIND, &ids).await?;
        let mut subnets: std::collections::HashMap<String, Vec<String>> = Default::default();
        for chunk in ids.chunks(500) {
            for s in subnet::Entity::find()
                .filter(subnet::Column::NetworkId.is_in(chunk.iter().cloned()))
                .order_by_asc(subnet::Column::CreatedAt)
                .order_by_asc(subnet::Column::Id)
                .all(&self.db)
                .await?
            {
                subnets.entry(s.network_id).or_default().push(s.id);
            }
        }
        Ok(rows
            .into_iter()
            .map(|row| NetworkRecord {
                subnets: subnets.remove(&row.id).unwrap_or_default(),
                tags: tags.remove(&row.id).unwrap_or_default(),
                row,
            })
            .collect())
    }

    /// `POST /v2.0/networks`.
    pub async fn create_network(&self, caller: &Caller, new: NewNetwork) -> Result<NetworkRecord> {
        super::retrying(|| self.create_network_once(caller, new.clone())).await
    }

    async fn create_network_once(&self, caller: &Caller, new: NewNetwork) -> Result<NetworkRecord> {
        let project = new
            .project_id
            .clone()
            .unwrap_or_else(|| caller.project().to_string());
        let target = json!({
            "project_id": project,
            "tenant_id": project,
            "shared": new.shared,
            "router:external": new.external,
        });
        self.authorize_with_attributes(caller, "create_network", &new.set, &target)?;
        self.ensure_default_security_group(caller, &project).await?;
        let asked = new.segment.network_type.is_some()
            || new.segment.physical_network.is_some()
            || new.segment.segmentation_id.is_some();
        let asked = if asked {
            Some(segments::validate(&self.cfg, &new.segment)?)
        } else {
            None
        };
        let id = new_id();
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &project).await?;
        super::quotas::check(&txn, self, &project, "network", 1).await?;
        let segment = match asked {
            Some(segment) => {
                segments::claim(&txn, &segment, &id).await?;
                segment
            }
            None => segments::allocate(&txn, &self.cfg, &id).await?,
        };
        if new.shared {
            rbac::grant(&txn, &project, &id, SHARED, WILDCARD).await?;
        }
        if new.external {
            rbac::grant(&txn, &project, &id, EXTERNAL, WILDCARD).await?;
        }
        let max_mtu = segment.mtu(&self.cfg);
        if let Some(mtu) = new.mtu {
            check_mtu(mtu, max_mtu)?;
        }
        let at = now();
        let row = network::ActiveModel {
            id: Set(id),
            project_id: Set(project.clone()),
            name: Set(new.name),
            description: Set(new.description),
            revision_number: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            status: Set("ACTIVE".into()),
            admin_state_up: Set(new.admin_state_up),
            shared: Set(new.shared),
            external: Set(new.external),
            mtu: Set(new.mtu.unwrap_or(max_mtu)),
            port_security_enabled: Set(new.port_security_enabled),
            network_type: Set(segment.network_type),
            physical_network: Set(segment.physical_network),
            segmentation_id: Set(segment.segmentation_id),
            availability_zone_hints: Set(json!(new.availability_zone_hints).to_string()),
            dns_domain: Set(new.dns_domain),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        let row = self.seen_by(caller, vec![row]).await?.pop();
        let row = row.ok_or_else(NeutronError::hidden)?;
        Ok(self.records(vec![row]).await?.remove(0))
    }

    /// `GET /v2.0/networks`: every network the caller may see.
    pub async fn list_networks(&self, caller: &Caller) -> Result<Vec<NetworkRecord>> {
        let mut query = network::Entity::find();
        if !caller.is_admin {
            query = query.filter(rbac::visible_to(caller.project()));
        }
        let rows = query
            .order_by_asc(network::Column::Id)
            .all(&self.db)
            .await?;
        let rows = self.seen_by(caller, rows).await?;
        self.records(rows).await
    }

    /// `GET /v2.0/networks/{id}`.
    /// The project owning each of `network_ids` (policies on ports depend
    /// on their network's owner).
    pub async fn network_owners(
        &self,
        network_ids: impl IntoIterator<Item = &str>,
    ) -> Result<HashMap<String, String>> {
        let ids: BTreeSet<&str> = network_ids.into_iter().collect();
        Ok(network::Entity::find()
            .filter(network::Column::Id.is_in(ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|n| (n.id, n.project_id))
            .collect())
    }

    pub async fn show_network(&self, caller: &Caller, id: &str) -> Result<NetworkRecord> {
        let row = self.network_row(caller, id).await?;
        Ok(self.records(vec![row]).await?.remove(0))
    }

    /// `PUT /v2.0/networks/{id}`.
    pub async fn update_network(
        &self,
        caller: &Caller,
        id: &str,
        update: NetworkUpdate,
        revision: Option<i64>,
    ) -> Result<NetworkRecord> {
        let seen = self.network_row(caller, id).await?;
        let mut target = policy_target(&seen);
        if let Some(shared) = update.shared {
            target["shared"] = json!(shared);
        }
        self.authorize_with_attributes(caller, "update_network", &update.set, &target)?;
        check_revision(seen.revision_number, revision)?;
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &seen.project_id).await?;
        let row = network::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| not_found(id))?;
        if let Some(mtu) = update.mtu {
            let segment = segments::Segment {
                network_type: row.network_type.clone(),
                physical_network: row.physical_network.clone(),
                segmentation_id: row.segmentation_id,
            };
            check_mtu(mtu, segment.mtu(&self.cfg))?;
        }
        match update.shared {
            Some(true) if !row.shared => {
                rbac::grant(&txn, &row.project_id, id, SHARED, WILDCARD).await?;
            }
            Some(false) if row.shared => {
                refuse_unsharing(&txn, &row).await?;
                rbac::revoke(&txn, id, Some(SHARED), Some(WILDCARD)).await?;
            }
            _ => {}
        }
        match update.external {
            Some(true) if !row.external => {
                rbac::grant(&txn, &row.project_id, id, EXTERNAL, WILDCARD).await?;
            }
            Some(false) if row.external => {
                ensure_no_gateways(&txn, id).await?;
                rbac::revoke(&txn, id, Some(EXTERNAL), None).await?;
            }
            _ => {}
        }
        let mut active: network::ActiveModel = row.clone().into();
        if let Some(v) = update.name {
            active.name = Set(v);
        }
        if let Some(v) = update.description {
            active.description = Set(v);
        }
        if let Some(v) = update.admin_state_up {
            active.admin_state_up = Set(v);
        }
        if let Some(v) = update.shared {
            active.shared = Set(v);
        }
        if let Some(v) = update.external {
            active.external = Set(v);
        }
        if let Some(v) = update.port_security_enabled {
            active.port_security_enabled = Set(v);
        }
        if let Some(v) = update.mtu {
            active.mtu = Set(v);
        }
        if let Some(v) = update.dns_domain {
            active.dns_domain = Set(v);
        }
        active.revision_number = Set(row.revision_number + 1);
        active.updated_at = Set(now());
        let row = active.update(&txn).await?;
        txn.commit().await?;
        let row = self.seen_by(caller, vec![row]).await?.pop();
        let row = row.ok_or_else(NeutronError::hidden)?;
        Ok(self.records(vec![row]).await?.remove(0))
    }

    /// `DELETE /v2.0/networks/{id}`: with its subnets, DHCP ports and the
    /// floating IPs no port uses; 409 while another port is on it.
    pub async fn delete_network(
        &self,
        caller: &Caller,
        id: &str,
        revision: Option<i64>,
    ) -> Result<()> {
        let row = self.network_row(caller, id).await?;
        self.authorize(caller, "delete_network", &policy_target(&row))?;
        check_revision(row.revision_number, revision)?;
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &row.project_id).await?;
        super::floating_ips::delete_unassociated(&txn, id).await?;
        let in_use = port::Entity::find()
            .filter(port::Column::NetworkId.eq(id))
            .filter(port::Column::DeviceOwner.ne("network:dhcp"))
            .one(&txn)
            .await?;
        if in_use.is_some() {
            return Err(NeutronError::conflict(
                "NetworkInUse",
                format!(
                    "Unable to complete operation on network {id}. There are one or more ports still in use on the network."
                ),
            ));
        }
        let ports = port::Entity::find()
            .filter(port::Column::NetworkId.eq(id))
            .all(&txn)
            .await?;
        for port in &ports {
            super::ports::forget(&txn, &port.id).await?;
        }
        let subnets: Vec<String> = subnet::Entity::find()
            .filter(subnet::Column::NetworkId.eq(id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
        for subnet_id in &subnets {
            super::tags::clear(&txn, super::subnets::KIND, subnet_id).await?;
        }
        subnet::Entity::delete_many()
            .filter(subnet::Column::NetworkId.eq(id))
            .exec(&txn)
            .await?;
        segments::release(&txn, id).await?;
        rbac::revoke(&txn, id, None, None).await?;
        super::tags::clear(&txn, KIND, id).await?;
        network::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        for port in &ports {
            self.notify_agents(Some(port), None).await;
        }
        Ok(())
    }
}

/// A network stays shared with every project while projects other than its
/// owner have ports or subnets on it that no policy of their own covers.
async fn refuse_unsharing<C: sea_orm::ConnectionTrait>(db: &C, row: &network::Model) -> Result<()> {
    let mut using: BTreeSet<String> = port::Entity::find()
        .filter(port::Column::NetworkId.eq(&row.id))
        .filter(port::Column::DeviceOwner.not_like("network:%"))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.project_id)
        .collect();
    using.extend(
        subnet::Entity::find()
            .filter(subnet::Column::NetworkId.eq(&row.id))
            .all(db)
            .await?
            .into_iter()
            .map(|s| s.project_id),
    );
    let covered: HashSet<String> = network_rbac::Entity::find()
        .filter(network_rbac::Column::ObjectId.eq(&row.id))
        .filter(network_rbac::Column::Action.eq(SHARED))
        .filter(network_rbac::Column::TargetTenant.ne(WILDCARD))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.target_tenant)
        .collect();
    if using
        .iter()
        .any(|project| *project != row.project_id && !covered.contains(project))
    {
        return Err(NeutronError::conflict(
            "InvalidSharedSetting",
            format!(
                "Unable to reconfigure sharing settings for network {}. Multiple tenants are using it.",
                row.id
            ),
        ));
    }
    Ok(())
}

/// Bumps the revision of a network whose subnets changed.
pub(crate) async fn touch<C: sea_orm::ConnectionTrait>(db: &C, id: &str) -> Result<()> {
    network::Entity::update_many()
        .col_expr(
            network::Column::RevisionNumber,
            Expr::col(network::Column::RevisionNumber).add(1),
        )
        .col_expr(network::Column::UpdatedAt, Expr::value(now()))
        .filter(network::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
