//! Floating IPs (Neutron's L3 API): an IPv4 address on an external network,
//! held by a port there that belongs to no project, associated with one fixed
//! IPv4 address of a project's port through a router that has a gateway on
//! that external network and an interface on the fixed address's subnet.
//! The router's host is told of every change; its agent (the `linux` data
//! plane) translates the addresses and reports them `ACTIVE`; a floating IP
//! moved or disassociated is `DOWN` until then.

use std::collections::BTreeSet;
use std::net::IpAddr;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{json, Value};

use super::ports::{IpRequest, NewPort};
use super::routers::{GATEWAY_OWNER, INTERFACE_OWNER};
use super::{new_id, now, Caller, Neutron, NeutronError, Result};
use crate::db::entity::{floating_ip, ip_allocation, network, port, subnet};

/// The resource type tags name floating IPs by.
pub const KIND: &str = "floatingips";
/// The owner of the port holding a floating address.
pub const PORT_OWNER: &str = "network:floatingip";

/// A floating IP with its associated port (for `port_details`) and tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloatingIpRecord {
    pub row: floating_ip::Model,
    pub port: Option<port::Model>,
    pub tags: Vec<String>,
}

/// What a create asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewFloatingIp {
    pub project_id: Option<String>,
    pub floating_network_id: String,
    pub floating_ip_address: Option<String>,
    pub subnet_id: Option<String>,
    pub port_id: Option<String>,
    pub fixed_ip_address: Option<String>,
    pub description: String,
    pub dns_name: String,
    pub dns_domain: String,
    pub set: Vec<&'static str>,
}

/// What an update asks for (`port_id: Some(None)` disassociates).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FloatingIpUpdate {
    pub port_id: Option<Option<String>>,
    pub fixed_ip_address: Option<String>,
    pub description: Option<String>,
}

/// Where an association translates to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Association {
    port_id: Option<String>,
    fixed_ip_address: Option<String>,
    router_id: Option<String>,
}

pub(crate) fn not_found(id: &str) -> NeutronError {
    NeutronError::not_found(
        "FloatingIPNotFound",
        format!("Floating IP {id} could not be found"),
    )
}

fn bad(msg: impl std::fmt::Display) -> NeutronError {
    NeutronError::new(400, "BadRequest", format!("Bad floatingip request: {msg}."))
}

fn policy_target(row: &floating_ip::Model) -> Value {
    json!({"project_id": row.project_id, "tenant_id": row.project_id})
}

fn is_v4(address: &str) -> bool {
    matches!(address.parse::<IpAddr>(), Ok(IpAddr::V4(_)))
}

/// Drops the associations of port `port_id` (it is being deleted).
pub(crate) async fn disassociate_port<C: ConnectionTrait>(db: &C, port_id: &str) -> Result<()> {
    floating_ip::Entity::update_many()
        .col_expr(
            floating_ip::Column::FixedPortId,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .col_expr(
            floating_ip::Column::FixedIpAddress,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .col_expr(
            floating_ip::Column::RouterId,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .col_expr(
            floating_ip::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now()),
        )
        .col_expr(
            floating_ip::Column::RevisionNumber,
            sea_orm::sea_query::Expr::col(floating_ip::Column::RevisionNumber).add(1),
        )
        .filter(floating_ip::Column::FixedPortId.eq(port_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes the floating IPs on `network_id` that no port uses, with the
/// ports holding their addresses (the network is being deleted).
pub(crate) async fn delete_unassociated<C: ConnectionTrait>(
    db: &C,
    network_id: &str,
) -> Result<()> {
    let unused = floating_ip::Entity::find()
        .filter(floating_ip::Column::FloatingNetworkId.eq(network_id))
        .filter(floating_ip::Column::FixedPortId.is_null())
        .all(db)
        .await?;
    for fip in unused {
        super::tags::clear(db, KIND, &fip.id).await?;
        floating_ip::Entity::delete_by_id(&fip.id).exec(db).await?;
        super::ports::forget(db, &fip.floating_port_id).await?;
    }
    Ok(())
}

/// Whether a floating IP translates through `router_id` (to an address on
/// `subnet_id`, when given).
pub(crate) async fn router_in_use<C: ConnectionTrait>(
    db: &C,
    router_id: &str,
    subnet_id: Option<&str>,
) -> Result<bool> {
    let fips = floating_ip::Entity::find()
        .filter(floating_ip::Column::RouterId.eq(router_id))
        .all(db)
        .await?;
    let Some(subnet_id) = subnet_id else {
        return Ok(!fips.is_empty());
    };
    for fip in fips {
        let (Some(port_id), Some(address)) = (fip.fixed_port_id, fip.fixed_ip_address) else {
            continue;
        };
        let on_subnet = ip_allocation::Entity::find()
            .filter(ip_allocation::Column::PortId.eq(port_id))
            .filter(ip_allocation::Column::SubnetId.eq(subnet_id))
            .filter(ip_allocation::Column::IpAddress.eq(address))
            .one(db)
            .await?;
        if on_subnet.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

impl Neutron {
    async fn floating_ip_records(
        &self,
        rows: Vec<floating_ip::Model>,
    ) -> Result<Vec<FloatingIpRecord>> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut tags = super::tags::of(&self.db, KIND, &ids).await?;
        let port_ids: Vec<String> = rows
            .iter()
            .filter_map(|r| r.fixed_port_id.clone())
            .collect();
        let ports: std::collections::HashMap<String, port::Model> = port::Entity::find()
            .filter(port::Column::Id.is_in(port_ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        Ok(rows
            .into_iter()
            .map(|row| FloatingIpRecord {
                tags: tags.remove(&row.id).unwrap_or_default(),
                port: row
                    .fixed_port_id
                    .as_ref()
                    .and_then(|id| ports.get(id).cloned()),
                row,
            })
            .collect())
    }

    /// The floating IP `id` if the caller may see it.
    pub async fn floating_ip_row(&self, caller: &Caller, id: &str) -> Result<floating_ip::Model> {
        floating_ip::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .filter(|row| self.allowed(caller, "get_floatingip", &policy_target(row)))
            .ok_or_else(|| not_found(id))
    }

    /// Checks an association of `port_id` (at `fixed_ip`, or its only IPv4
    /// address) with a floating IP of `project` on `network_id`, and finds
    /// the router that would translate it.
    async fn association(
        &self,
        caller: &Caller,
        project: &str,
        network_id: &str,
        port_id: &str,
        fixed_ip: Option<&str>,
    ) -> Result<Association> {
        let (found, _) = self.port_row(caller, port_id).await.map_err(|e| {
            if e.kind == "HTTPNotFound" {
                super::ports::not_found(port_id)
            } else {
                e
            }
        })?;
        if found.project_id != project && !caller.is_admin {
            return Err(bad(format!("Cannot process floating IP association with Port {port_id}, since that port is owned by a different project")));
        }
        if found.device_owner.starts_with("network:") {
            return Err(bad(format!(
                "Port {port_id} is unable to be assigned a floating IP"
            )));
        }
        let addresses = ip_allocation::Entity::find()
            .filter(ip_allocation::Column::PortId.eq(port_id))
            .all(&self.db)
            .await?;
        let chosen = match fixed_ip {
            Some(wanted) => {
                if !is_v4(wanted) {
                    return Err(bad(format!("Cannot process floating IP association with {wanted}, since that is not an IPv4 address")));
                }
                addresses
                    .into_iter()
                    .find(|a| a.ip_address == wanted)
                    .ok_or_else(|| bad(format!("Port {port_id} does not have fixed ip {wanted}")))?
            }
            None => {
                let mut v4: Vec<_> = addresses
                    .into_iter()
                    .filter(|a| is_v4(&a.ip_address))
                    .collect();
                match v4.len() {
                    0 => return Err(bad(format!("Cannot add floating IP to port {port_id} that has no fixed IPv4 addresses"))),
                    1 => v4.remove(0),
                    _ => return Err(bad(format!("Port {port_id} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP"))),
                }
            }
        };
        let router_id = self
            .router_for(&found, &chosen.subnet_id, network_id)
            .await?;
        Ok(Association {
            port_id: Some(port_id.to_string()),
            fixed_ip_address: Some(chosen.ip_address),
            router_id: Some(router_id),
        })
    }

    /// The router with an interface on `subnet_id` (in `internal`'s network)
    /// and its gateway on `external_id`: the one whose interface is the
    /// subnet's gateway first.
    async fn router_for(
        &self,
        internal: &port::Model,
        subnet_id: &str,
        external_id: &str,
    ) -> Result<String> {
        let gateway_ip = subnet::Entity::find_by_id(subnet_id)
            .one(&self.db)
            .await?
            .and_then(|s| s.gateway_ip);
        let on_subnet = ip_allocation::Entity::find()
            .filter(ip_allocation::Column::SubnetId.eq(subnet_id))
            .all(&self.db)
            .await?;
        let interfaces: std::collections::HashMap<String, String> = port::Entity::find()
            .filter(port::Column::Id.is_in(on_subnet.iter().map(|a| a.port_id.clone())))
            .filter(port::Column::NetworkId.eq(&internal.network_id))
            .filter(port::Column::DeviceOwner.eq(INTERFACE_OWNER))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.device_id))
            .collect();
        let gateways: std::collections::HashSet<String> = port::Entity::find()
            .filter(port::Column::DeviceId.is_in(interfaces.values().cloned()))
            .filter(port::Column::DeviceOwner.eq(GATEWAY_OWNER))
            .filter(port::Column::NetworkId.eq(external_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| p.device_id)
            .collect();
        let mut candidates: Vec<(bool, String)> = on_subnet
            .iter()
            .filter_map(|a| {
                let router = interfaces.get(&a.port_id)?;
                gateways
                    .contains(router)
                    .then(|| (gateway_ip.as_deref() != Some(&a.ip_address), router.clone()))
            })
            .collect();
        candidates.sort();
        candidates.into_iter().next().map(|(_, r)| r).ok_or_else(|| {
            NeutronError::not_found(
                "ExternalGatewayForFloatingIPNotFound",
                format!("External network {external_id} is not reachable from subnet {subnet_id}.  Therefore, cannot associate Port {} with a Floating IP.", internal.id),
            )
        })
    }

    /// The 409 of an address that already has a floating IP on the network.
    fn already_associated(row: &floating_ip::Model, to: &Association) -> NeutronError {
        NeutronError::conflict(
            "FloatingIPPortAlreadyAssociated",
            format!(
                "Cannot associate floating IP {} ({}) with port {} using fixed IP {}, as that fixed IP already has a floating IP on external network {}.",
                row.floating_ip_address,
                row.id,
                to.port_id.clone().unwrap_or_default(),
                to.fixed_ip_address.clone().unwrap_or_default(),
                row.floating_network_id
            ),
        )
    }

    /// Refuses an association whose address already has a floating IP on
    /// the network (the unique key refuses a concurrent one too).
    async fn check_free<C: ConnectionTrait>(
        db: &C,
        row: &floating_ip::Model,
        to: &Association,
    ) -> Result<()> {
        let (Some(port_id), Some(address)) = (&to.port_id, &to.fixed_ip_address) else {
            return Ok(());
        };
        let taken = floating_ip::Entity::find()
            .filter(floating_ip::Column::FloatingNetworkId.eq(&row.floating_network_id))
            .filter(floating_ip::Column::FixedPortId.eq(port_id))
            .filter(floating_ip::Column::FixedIpAddress.eq(address))
            .filter(floating_ip::Column::Id.ne(&row.id))
            .one(db)
            .await?;
        match taken {
            Some(_) => Err(Self::already_associated(row, to)),
            None => Ok(()),
        }
    }

    /// `POST /v2.0/floatingips`: the address taken by a port on the external
    /// network, then the floating IP counted against the project's quota.
    pub async fn create_floating_ip(
        &self,
        caller: &Caller,
        new: NewFloatingIp,
    ) -> Result<FloatingIpRecord> {
        let project = new
            .project_id
            .clone()
            .unwrap_or_else(|| caller.project().to_string());
        let target = json!({"project_id": project, "tenant_id": project});
        self.authorize_with_attributes(caller, "create_floatingip", &new.set, &target)?;
        let net = self
            .visible_network(caller, &new.floating_network_id)
            .await?;
        if !net.external {
            return Err(bad(format!(
                "Network {} is not a valid external network",
                net.id
            )));
        }
        let has_v4 = subnet::Entity::find()
            .filter(subnet::Column::NetworkId.eq(&net.id))
            .filter(subnet::Column::IpVersion.eq(4))
            .one(&self.db)
            .await?
            .is_some();
        if !has_v4 {
            return Err(bad(format!(
                "Network {} does not contain any IPv4 subnet",
                net.id
            )));
        }
        if new.fixed_ip_address.is_some() && new.port_id.is_none() {
            return Err(bad(
                "fixed_ip_address cannot be specified without a port_id",
            ));
        }
        let association = match &new.port_id {
            Some(port_id) => {
                self.association(
                    caller,
                    &project,
                    &net.id,
                    port_id,
                    new.fixed_ip_address.as_deref(),
                )
                .await?
            }
            None => Association::default(),
        };
        let id = new_id();
        let asked_ip = (new.floating_ip_address.is_some() || new.subnet_id.is_some()).then(|| {
            vec![IpRequest {
                subnet_id: new.subnet_id.clone(),
                ip_address: new.floating_ip_address.clone(),
            }]
        });
        let port_request = NewPort {
            network_id: net.id.clone(),
            admin_state_up: true,
            device_id: id.clone(),
            device_owner: PORT_OWNER.into(),
            fixed_ips: asked_ip,
            binding_vnic_type: "normal".into(),
            binding_profile: json!({}),
            ..NewPort::default()
        };
        // The address's port belongs to no project: it counts against none.
        let held = self.make_port("", &net, &port_request, &[], false).await?;
        match self
            .insert_floating_ip(&id, &project, &net, &held, &new, &association)
            .await
        {
            Ok(row) => {
                if let Some(router_id) = &row.router_id {
                    self.tell_l3(router_id, &[]).await;
                }
                self.tell_nova(&[&row.fixed_port_id]).await?;
                Ok(self.floating_ip_records(vec![row]).await?.remove(0))
            }
            Err(e) => {
                super::ports::forget(&self.db, &held.id).await?;
                Err(e)
            }
        }
    }

    async fn insert_floating_ip(
        &self,
        id: &str,
        project: &str,
        net: &network::Model,
        held: &port::Model,
        new: &NewFloatingIp,
        association: &Association,
    ) -> Result<floating_ip::Model> {
        let address = ip_allocation::Entity::find()
            .filter(ip_allocation::Column::PortId.eq(&held.id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|a| a.ip_address)
            .find(|ip| is_v4(ip))
            .ok_or_else(|| {
                NeutronError::new(
                    400,
                    "ExternalIpAddressExhausted",
                    format!(
                        "Unable to find any IP address on external network {}.",
                        net.id
                    ),
                )
            })?;
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, project).await?;
        super::quotas::check(&txn, self, project, "floatingip", 1).await?;
        let at = now();
        let row = floating_ip::Model {
            id: id.to_string(),
            project_id: project.to_string(),
            description: new.description.clone(),
            revision_number: 1,
            created_at: at,
            updated_at: at,
            status: "DOWN".into(),
            floating_network_id: net.id.clone(),
            floating_ip_address: address,
            floating_port_id: held.id.clone(),
            fixed_port_id: association.port_id.clone(),
            fixed_ip_address: association.fixed_ip_address.clone(),
            router_id: association.router_id.clone(),
            dns_name: new.dns_name.clone(),
            dns_domain: new.dns_domain.clone(),
        };
        Self::check_free(&txn, &row, association).await?;
        let active: floating_ip::ActiveModel = row.clone().into();
        match floating_ip::Entity::insert(active.reset_all())
            .exec(&txn)
            .await
            .map_err(ferrostack_db::DbError::from)
        {
            Ok(_) => {}
            Err(ferrostack_db::DbError::Duplicate(_)) => {
                return Err(Self::already_associated(&row, association))
            }
            Err(e) => return Err(e.into()),
        }
        txn.commit().await?;
        Ok(row)
    }

    /// `GET /v2.0/floatingips`.
    pub async fn list_floating_ips(&self, caller: &Caller) -> Result<Vec<FloatingIpRecord>> {
        let mut query = floating_ip::Entity::find();
        if !caller.is_admin {
            query = query.filter(floating_ip::Column::ProjectId.eq(caller.project()));
        }
        let rows = query
            .order_by_asc(floating_ip::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|row| self.allowed(caller, "get_floatingip", &policy_target(row)))
            .collect();
        self.floating_ip_records(rows).await
    }

    /// `GET /v2.0/floatingips/{id}`.
    pub async fn show_floating_ip(&self, caller: &Caller, id: &str) -> Result<FloatingIpRecord> {
        let row = self.floating_ip_row(caller, id).await?;
        Ok(self.floating_ip_records(vec![row]).await?.remove(0))
    }

    /// `PUT /v2.0/floatingips/{id}`: associate, move or disassociate
    /// (`port_id` null), or describe.
    pub async fn update_floating_ip(
        &self,
        caller: &Caller,
        id: &str,
        update: FloatingIpUpdate,
        revision: Option<i64>,
    ) -> Result<FloatingIpRecord> {
        let row = self.floating_ip_row(caller, id).await?;
        self.authorize(caller, "update_floatingip", &policy_target(&row))?;
        super::networks::check_revision(row.revision_number, revision)?;
        if update.fixed_ip_address.is_some() && !matches!(update.port_id, Some(Some(_))) {
            return Err(bad(
                "fixed_ip_address cannot be specified without a port_id",
            ));
        }
        let association = match &update.port_id {
            None => Association {
                port_id: row.fixed_port_id.clone(),
                fixed_ip_address: row.fixed_ip_address.clone(),
                router_id: row.router_id.clone(),
            },
            Some(None) => Association::default(),
            Some(Some(port_id)) => {
                self.association(
                    caller,
                    &row.project_id,
                    &row.floating_network_id,
                    port_id,
                    update.fixed_ip_address.as_deref(),
                )
                .await?
            }
        };
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &row.project_id).await?;
        Self::check_free(&txn, &row, &association).await?;
        let mut active: floating_ip::ActiveModel = row.clone().into();
        active.fixed_port_id = Set(association.port_id.clone());
        active.fixed_ip_address = Set(association.fixed_ip_address.clone());
        active.router_id = Set(association.router_id.clone());
        // Moved or disassociated: DOWN until the router's host translates it.
        if association.router_id != row.router_id
            || association.fixed_ip_address != row.fixed_ip_address
        {
            active.status = Set("DOWN".into());
        }
        if let Some(v) = update.description {
            active.description = Set(v);
        }
        active.revision_number = Set(row.revision_number + 1);
        active.updated_at = Set(now());
        let updated = match active
            .update(&txn)
            .await
            .map_err(ferrostack_db::DbError::from)
        {
            Ok(updated) => updated,
            Err(ferrostack_db::DbError::Duplicate(_)) => {
                return Err(Self::already_associated(&row, &association))
            }
            Err(e) => return Err(e.into()),
        };
        txn.commit().await?;
        for router_id in BTreeSet::from_iter([&row.router_id, &updated.router_id])
            .into_iter()
            .flatten()
        {
            self.tell_l3(router_id, &[]).await;
        }
        if row.fixed_ip_address != updated.fixed_ip_address
            || row.fixed_port_id != updated.fixed_port_id
        {
            self.tell_nova(&[&row.fixed_port_id, &updated.fixed_port_id])
                .await?;
        }
        Ok(self.floating_ip_records(vec![updated]).await?.remove(0))
    }

    /// `DELETE /v2.0/floatingips/{id}`: with the port holding its address.
    pub async fn delete_floating_ip(
        &self,
        caller: &Caller,
        id: &str,
        revision: Option<i64>,
    ) -> Result<()> {
        let row = self.floating_ip_row(caller, id).await?;
        self.authorize(caller, "delete_floatingip", &policy_target(&row))?;
        super::networks::check_revision(row.revision_number, revision)?;
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &row.project_id).await?;
        super::tags::clear(&txn, KIND, id).await?;
        floating_ip::Entity::delete_by_id(id).exec(&txn).await?;
        super::ports::forget(&txn, &row.floating_port_id).await?;
        txn.commit().await?;
        if let Some(router_id) = &row.router_id {
            self.tell_l3(router_id, &[]).await;
        }
        self.tell_nova(&[&row.fixed_port_id]).await
    }

    /// Tells compute that the floating IPs of these ports changed.
    async fn tell_nova(&self, port_ids: &[&Option<String>]) -> Result<()> {
        let ids: BTreeSet<&String> = port_ids.iter().filter_map(|id| id.as_ref()).collect();
        if ids.is_empty() {
            return Ok(());
        }
        for port in port::Entity::find()
            .filter(port::Column::Id.is_in(ids.into_iter().cloned()))
            .all(&self.db)
            .await?
        {
            self.nova.data_changed(&port);
        }
        Ok(())
    }

    /// Refuses to take `router_id`'s gateway off `network_id` while floating
    /// IPs translate through it.
    pub(crate) async fn check_gateway_unused(
        &self,
        router_id: &str,
        network_id: &str,
    ) -> Result<()> {
        if router_in_use(&self.db, router_id, None).await? {
            return Err(NeutronError::conflict(
                "RouterExternalGatewayInUseByFloatingIp",
                format!("Gateway cannot be updated for router {router_id}, since a gateway to external network {network_id} is required by one or more floating IPs."),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_ipv4_addresses_float() {
        assert!(super::is_v4("10.0.0.5"));
        assert!(!super::is_v4("2001:db8::5"));
        assert!(!super::is_v4("not an address"));
    }
}
