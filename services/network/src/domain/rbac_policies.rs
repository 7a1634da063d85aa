//! RBAC policies (rbac-policies) on networks: `access_as_shared` lets a
//! project — or `*`, every project — see a network and put ports on it;
//! `access_as_external` lets it see the network and use it for router
//! gateways and floating IPs (and makes the network external). A network's
//! `shared` flag is its wildcard `access_as_shared` entry. A policy whose
//! target still uses the network cannot be taken away (409).

use std::collections::HashSet;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::{json, Value};

use super::{new_id, Caller, Neutron, NeutronError, Result};
use crate::db::entity::{network, network_rbac, port, router};

/// Lets the target use the network as its own project's.
pub const SHARED: &str = "access_as_shared";
/// Lets the target use the network as an external network.
pub const EXTERNAL: &str = "access_as_external";
/// The target meaning every project.
pub const WILDCARD: &str = "*";
/// The one object type policies apply to.
const NETWORK: &str = "network";
/// The actions a network policy may grant.
const ACTIONS: &[&str] = &[EXTERNAL, SHARED];
/// The device owner of a router's gateway port.
const ROUTER_GATEWAY: &str = "network:router_gateway";

/// What a create asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRbacPolicy {
    /// The owner, when an admin names one.
    pub project_id: Option<String>,
    pub object_type: String,
    pub object_id: String,
    pub action: String,
    pub target_tenant: String,
    /// The attributes the request set (each may have a policy of its own).
    pub set: Vec<&'static str>,
}

/// What an update asks for: another target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RbacUpdate {
    pub target_tenant: Option<String>,
    pub set: Vec<&'static str>,
}

pub(crate) fn not_found(id: &str) -> NeutronError {
    NeutronError::not_found(
        "RbacPolicyNotFound",
        format!("RBAC policy of type unknown with ID {id} not found"),
    )
}

fn in_use(network: &str, details: &str) -> NeutronError {
    NeutronError::conflict(
        "RbacPolicyInUse",
        format!("RBAC policy on object {network} cannot be removed because other objects depend on it.\nDetails: {details}"),
    )
}

fn duplicate() -> NeutronError {
    NeutronError::conflict(
        "DuplicateRbacPolicy",
        "An RBAC policy already exists with those values.",
    )
}

/// What RBAC policies see of a policy.
pub fn policy_target(project: &str, object_id: &str, action: &str, target_tenant: &str) -> Value {
    json!({
        "project_id": project,
        "tenant_id": project,
        "object_type": NETWORK,
        "object_id": object_id,
        "action": action,
        "target_tenant": target_tenant,
    })
}

/// Refuses object types and actions other than a network's.
fn check_kind(object_type: &str, action: &str) -> Result<()> {
    if object_type.trim().to_lowercase() != NETWORK {
        return Err(NeutronError::invalid_input(format!(
            "'{object_type}' is not a valid RBAC object type"
        )));
    }
    if !ACTIONS.contains(&action) {
        return Err(NeutronError::invalid_input(format!(
            "Invalid action '{action}' for object type '{NETWORK}'. Valid actions: ('{EXTERNAL}', '{SHARED}')"
        )));
    }
    Ok(())
}

/// Grants `action` on `network` to `target` for `owner` (nothing when it
/// already is).
pub(crate) async fn grant<C: ConnectionTrait>(
    db: &C,
    owner: &str,
    network: &str,
    action: &str,
    target: &str,
) -> Result<()> {
    if entries(db, network, action)
        .await?
        .iter()
        .any(|e| e.target_tenant == target)
    {
        return Ok(());
    }
    network_rbac::ActiveModel {
        id: Set(new_id()),
        project_id: Set(owner.to_string()),
        object_id: Set(network.to_string()),
        action: Set(action.to_string()),
        target_tenant: Set(target.to_string()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Takes `action` on `network` back from `target` (every target when `None`).
pub(crate) async fn revoke<C: ConnectionTrait>(
    db: &C,
    network: &str,
    action: Option<&str>,
    target: Option<&str>,
) -> Result<()> {
    let mut delete =
        network_rbac::Entity::delete_many().filter(network_rbac::Column::ObjectId.eq(network));
    if let Some(action) = action {
        delete = delete.filter(network_rbac::Column::Action.eq(action));
    }
    if let Some(target) = target {
        delete = delete.filter(network_rbac::Column::TargetTenant.eq(target));
    }
    delete.exec(db).await?;
    Ok(())
}

/// The entries granting `action` on `network`.
async fn entries<C: ConnectionTrait>(
    db: &C,
    network: &str,
    action: &str,
) -> Result<Vec<network_rbac::Model>> {
    Ok(network_rbac::Entity::find()
        .filter(network_rbac::Column::ObjectId.eq(network))
        .filter(network_rbac::Column::Action.eq(action))
        .all(db)
        .await?)
}

/// What the policies grant `project` — directly or through the wildcard —
/// on the networks among `ids`.
#[derive(Debug, Default)]
pub(crate) struct Granted {
    /// The networks any policy grants.
    pub any: HashSet<String>,
    /// The networks shared with the project (`access_as_shared`).
    pub shared: HashSet<String>,
}

/// What the policies grant `project` on the networks among `ids`.
pub(crate) async fn granted<C: ConnectionTrait>(
    db: &C,
    project: &str,
    ids: &[String],
) -> Result<Granted> {
    let mut found = Granted::default();
    for chunk in ids.chunks(500) {
        for entry in network_rbac::Entity::find()
            .filter(network_rbac::Column::ObjectId.is_in(chunk.iter().cloned()))
            .filter(network_rbac::Column::TargetTenant.is_in([project, WILDCARD]))
            .all(db)
            .await?
        {
            if entry.action == SHARED {
                found.shared.insert(entry.object_id.clone());
            }
            found.any.insert(entry.object_id);
        }
    }
    Ok(found)
}

/// Whether `project` may see networks the policies grant it: the condition
/// a network query adds for a caller who is not an admin.
pub(crate) fn visible_to(project: &str) -> Condition {
    use sea_orm::sea_query::Query;
    let granted = Query::select()
        .column(network_rbac::Column::ObjectId)
        .from(network_rbac::Entity)
        .and_where(network_rbac::Column::TargetTenant.is_in([project, WILDCARD]))
        .to_owned();
    Condition::any()
        .add(network::Column::ProjectId.eq(project))
        .add(network::Column::Id.in_subquery(granted))
}

/// The projects that keep access to `net` without its wildcard entry: its
/// owner and the targets of `entries` of their own.
fn keeping(entries: &[network_rbac::Model], net: &network::Model) -> Vec<String> {
    entries
        .iter()
        .filter(|e| e.target_tenant != WILDCARD)
        .map(|e| e.target_tenant.clone())
        .chain([net.project_id.clone()])
        .collect()
}

/// 409 unless the projects with ports on `net` other than its owner's keep
/// a way to use it once `losing` (a project or the wildcard) loses its
/// `access_as_shared` entry.
async fn ensure_no_ports_of<C: ConnectionTrait>(
    db: &C,
    net: &network::Model,
    losing: &str,
) -> Result<()> {
    let others = entries(db, &net.id, SHARED).await?;
    let mut ports = port::Entity::find()
        .filter(port::Column::NetworkId.eq(&net.id))
        .filter(port::Column::DeviceOwner.not_like("network:%"));
    if losing == WILDCARD {
        ports = ports.filter(port::Column::ProjectId.is_not_in(keeping(&others, net)));
    } else {
        if others.iter().any(|e| e.target_tenant == WILDCARD) {
            return Ok(());
        }
        ports = ports.filter(port::Column::ProjectId.eq(losing));
    }
    if ports.one(db).await?.is_some() {
        return Err(NeutronError::conflict(
            "InvalidSharedSetting",
            format!(
                "Unable to reconfigure sharing settings for network {}. Multiple tenants are using it.",
                net.id
            ),
        ));
    }
    Ok(())
}

/// 409 while routers of `losing` (a project, or every project without an
/// entry of its own for the wildcard) have their gateway on `net`.
async fn ensure_no_gateways_of<C: ConnectionTrait>(
    db: &C,
    net: &network::Model,
    losing: &str,
    new_target: Option<&str>,
) -> Result<()> {
    let others = entries(db, &net.id, EXTERNAL).await?;
    let gateways: Vec<String> = port::Entity::find()
        .filter(port::Column::NetworkId.eq(&net.id))
        .filter(port::Column::DeviceOwner.eq(ROUTER_GATEWAY))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.device_id)
        .collect();
    let routers = router::Entity::find().filter(router::Column::Id.is_in(gateways));
    let depending = if losing == WILDCARD {
        let mut allowed = keeping(&others, net);
        allowed.extend(new_target.map(str::to_string));
        routers
            .filter(router::Column::ProjectId.is_not_in(allowed))
            .one(db)
            .await?
    } else {
        if others.iter().any(|e| e.target_tenant == WILDCARD) {
            return Ok(());
        }
        routers
            .filter(router::Column::ProjectId.eq(losing))
            .one(db)
            .await?
    };
    if depending.is_some() {
        return Err(in_use(
            &net.id,
            "There are routers attached to this network that depend on this policy for access.",
        ));
    }
    Ok(())
}

/// Keeps a network's flags in step with its entries: `shared` is its
/// wildcard `access_as_shared` entry, `router:external` ends with its last
/// `access_as_external` entry; and bumps its revision.
async fn sync_network<C: ConnectionTrait>(db: &C, net: &network::Model) -> Result<()> {
    let shared = entries(db, &net.id, SHARED)
        .await?
        .iter()
        .any(|e| e.target_tenant == WILDCARD);
    let external = !entries(db, &net.id, EXTERNAL).await?.is_empty();
    let mut active: network::ActiveModel = net.clone().into();
    active.shared = Set(shared);
    if net.external && !external {
        active.external = Set(false);
    }
    active.update(db).await?;
    super::networks::touch(db, &net.id).await
}

impl Neutron {
    /// The policy `id` if the caller may see it (404 otherwise).
    async fn rbac_row(&self, caller: &Caller, id: &str) -> Result<network_rbac::Model> {
        network_rbac::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .filter(|row| self.allowed(caller, "get_rbac_policy", &row_target(row)))
            .ok_or_else(|| not_found(id))
    }

    /// The network a policy names, as its owner (or an admin) sees it: 400
    /// otherwise, as Neutron's policy checks answer.
    async fn owned_network(&self, caller: &Caller, id: &str) -> Result<network::Model> {
        let net = self
            .visible_network(caller, id)
            .await
            .map_err(|_| NeutronError::invalid_input(format!("Network {id} could not be found")))?;
        if !caller.is_admin && net.project_id != caller.project() {
            return Err(NeutronError::invalid_input(
                "Only admins can manipulate policies on networks they do not own",
            ));
        }
        Ok(net)
    }

    /// `POST /v2.0/rbac-policies`.
    pub async fn create_rbac_policy(
        &self,
        caller: &Caller,
        new: NewRbacPolicy,
    ) -> Result<network_rbac::Model> {
        check_kind(&new.object_type, &new.action)?;
        let project = new
            .project_id
            .clone()
            .unwrap_or_else(|| caller.project().to_string());
        let target = policy_target(&project, &new.object_id, &new.action, &new.target_tenant);
        self.authorize_with_attributes(caller, "create_rbac_policy", &new.set, &target)?;
        let net = self.owned_network(caller, &new.object_id).await?;
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &project).await?;
        super::quotas::check(&txn, self, &project, "rbac_policy", 1).await?;
        if entries(&txn, &net.id, &new.action)
            .await?
            .iter()
            .any(|e| e.target_tenant == new.target_tenant)
        {
            return Err(duplicate());
        }
        let row = network_rbac::ActiveModel {
            id: Set(new_id()),
            project_id: Set(project),
            object_id: Set(net.id.clone()),
            action: Set(new.action.clone()),
            target_tenant: Set(new.target_tenant),
        }
        .insert(&txn)
        .await
        .map_err(|e| match NeutronError::from(e) {
            e if e.status == 409 => duplicate(),
            e => e,
        })?;
        if new.action == EXTERNAL && !net.external {
            let mut active: network::ActiveModel = net.clone().into();
            active.external = Set(true);
            active.update(&txn).await?;
        }
        let net = network::Entity::find_by_id(&net.id)
            .one(&txn)
            .await?
            .ok_or_else(|| super::networks::not_found(&net.id))?;
        sync_network(&txn, &net).await?;
        txn.commit().await?;
        Ok(row)
    }

    /// `GET /v2.0/rbac-policies`: the caller's (every one for an admin).
    pub async fn list_rbac_policies(&self, caller: &Caller) -> Result<Vec<network_rbac::Model>> {
        let mut query = network_rbac::Entity::find();
        if !caller.is_admin {
            query = query.filter(network_rbac::Column::ProjectId.eq(caller.project()));
        }
        Ok(query
            .order_by_asc(network_rbac::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|row| self.allowed(caller, "get_rbac_policy", &row_target(row)))
            .collect())
    }

    /// `GET /v2.0/rbac-policies/{id}`.
    pub async fn show_rbac_policy(&self, caller: &Caller, id: &str) -> Result<network_rbac::Model> {
        self.rbac_row(caller, id).await
    }

    /// `PUT /v2.0/rbac-policies/{id}`: another target, unless the one
    /// losing access still depends on it.
    pub async fn update_rbac_policy(
        &self,
        caller: &Caller,
        id: &str,
        update: RbacUpdate,
        _revision: Option<i64>,
    ) -> Result<network_rbac::Model> {
        let row = self.rbac_row(caller, id).await?;
        let Some(new_target) = update.target_tenant else {
            return Ok(row);
        };
        let target = policy_target(&row.project_id, &row.object_id, &row.action, &new_target);
        self.authorize_with_attributes(caller, "update_rbac_policy", &update.set, &target)?;
        let net = self.owned_network(caller, &row.object_id).await?;
        if new_target == row.target_tenant {
            return Ok(row);
        }
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &row.project_id).await?;
        if entries(&txn, &net.id, &row.action)
            .await?
            .iter()
            .any(|e| e.target_tenant == new_target)
        {
            return Err(duplicate());
        }
        self.ensure_not_depended_on(&txn, &net, &row, Some(&new_target))
            .await?;
        let mut active: network_rbac::ActiveModel = row.into();
        active.target_tenant = Set(new_target);
        let row = active.update(&txn).await?;
        sync_network(&txn, &net).await?;
        txn.commit().await?;
        Ok(row)
    }

    /// `DELETE /v2.0/rbac-policies/{id}`.
    pub async fn delete_rbac_policy(
        &self,
        caller: &Caller,
        id: &str,
        _revision: Option<i64>,
    ) -> Result<()> {
        let row = self.rbac_row(caller, id).await?;
        self.authorize(caller, "delete_rbac_policy", &row_target(&row))?;
        let txn = ferrostack_db::quota_lock::begin_claim(&self.db, &row.project_id).await?;
        let net = network::Entity::find_by_id(&row.object_id)
            .one(&txn)
            .await?
            .ok_or_else(|| not_found(id))?;
        self.ensure_not_depended_on(&txn, &net, &row, None).await?;
        if row.action == EXTERNAL && entries(&txn, &net.id, EXTERNAL).await?.len() == 1 {
            super::networks::ensure_no_gateways(&txn, &net.id).await?;
        }
        network_rbac::Entity::delete_by_id(&row.id)
            .exec(&txn)
            .await?;
        sync_network(&txn, &net).await?;
        txn.commit().await?;
        Ok(())
    }

    /// 409 when the project `row` stops granting (its target, unless the
    /// network's owner) still has ports or router gateways relying on it.
    async fn ensure_not_depended_on<C: ConnectionTrait>(
        &self,
        db: &C,
        net: &network::Model,
        row: &network_rbac::Model,
        new_target: Option<&str>,
    ) -> Result<()> {
        if row.target_tenant == net.project_id {
            return Ok(());
        }
        if row.action == SHARED {
            ensure_no_ports_of(db, net, &row.target_tenant)
                .await
                .map_err(|e| in_use(&net.id, &e.message))
        } else {
            ensure_no_gateways_of(db, net, &row.target_tenant, new_target).await
        }
    }
}

fn row_target(row: &network_rbac::Model) -> Value {
    policy_target(
        &row.project_id,
        &row.object_id,
        &row.action,
        &row.target_tenant,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_network_actions_are_valid() {
        assert!(check_kind("network", SHARED).is_ok());
        assert!(check_kind(" Network ", EXTERNAL).is_ok());
        let err = check_kind("qos_policy", SHARED).unwrap_err();
        assert_eq!(err.status, 400);
        assert!(err
            .message
            .contains("'qos_policy' is not a valid RBAC object type"));
        let err = check_kind("network", "access_as_owner").unwrap_err();
        assert!(err.message.contains("Invalid action 'access_as_owner'"));
    }
}
