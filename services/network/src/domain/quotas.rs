//! Quotas: each project's limit per resource — the configured default
//! (`[quotas] quota_<resource>`) unless an admin set another — checked against
//! what the project has before it creates more, and the quota API's reads and
//! updates.

use std::collections::BTreeMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde_json::json;

use super::{Caller, Neutron, NeutronError, Result};
use crate::db::entity::{
    floating_ip, network, network_rbac, port, quota, router, security_group, security_group_rule,
    subnet,
};

/// The largest limit an admin may set.
const MAX_LIMIT: i64 = (1 << 31) - 1;

/// How many `resource`s `project` has.
pub async fn used<C: ConnectionTrait>(db: &C, project: &str, resource: &str) -> Result<u64> {
    Ok(match resource {
        "network" => {
            network::Entity::find()
                .filter(network::Column::ProjectId.eq(project))
                .count(db)
                .await?
        }
        "subnet" => {
            subnet::Entity::find()
                .filter(subnet::Column::ProjectId.eq(project))
                .count(db)
                .await?
        }
        "port" => {
            port::Entity::find()
                .filter(port::Column::ProjectId.eq(project))
                .count(db)
                .await?
        }
        "security_group" => {
            security_group::Entity::find()
                .filter(security_group::Column::ProjectId.eq(project))
                .count(db)
                .await?
        }
        "security_group_rule" => {
            security_group_rule::Entity::find()
                .filter(security_group_rule::Column::ProjectId.eq(project))
                .count(db)
                .await?
        }
        "router" => {
            router::Entity::find()
                .filter(router::Column::ProjectId.eq(project))
                .count(db)
                .await?
        }
        "rbac_policy" => {
            network_rbac::Entity::find()
                .filter(network_rbac::Column::ProjectId.eq(project))
                .count(db)
                .await?
        }
        "floatingip" => {
            floating_ip::Entity::find()
                .filter(floating_ip::Column::ProjectId.eq(project))
                .count(db)
                .await?
        }
        _ => 0,
    })
}

/// `project`'s limit of `resource`.
async fn limit<C: ConnectionTrait>(
    db: &C,
    neutron: &Neutron,
    project: &str,
    resource: &str,
) -> Result<i64> {
    let set = quota::Entity::find_by_id((project.to_string(), resource.to_string()))
        .one(db)
        .await?;
    Ok(set.map(|q| q.hard_limit).unwrap_or_else(|| {
        neutron
            .cfg
            .quota_defaults
            .get(resource)
            .copied()
            .unwrap_or(-1)
    }))
}

/// 409 `OverQuota` when `adding` more `resource`s would pass the limit; run
/// on the transaction that holds the project's quota lock
/// ([`ferrostack_db::quota_lock::begin_claim`]), so that concurrent creates
/// never pass it together.
pub async fn check<C: ConnectionTrait>(
    db: &C,
    neutron: &Neutron,
    project: &str,
    resource: &str,
    adding: u64,
) -> Result<()> {
    let limit = limit(db, neutron, project, resource).await?;
    if limit < 0 {
        return Ok(());
    }
    if used(db, project, resource).await? + adding > limit as u64 {
        return Err(NeutronError::over_quota(resource));
    }
    Ok(())
}

/// A resource's limit and use (`quota_details`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub limit: i64,
    pub used: u64,
}

fn admin_required(why: &str) -> NeutronError {
    NeutronError::new(
        403,
        "AdminRequired",
        format!("User does not have admin privileges: {why}."),
    )
}

impl Neutron {
    /// Refuses a non-admin's look at another project's quotas.
    fn check_quota_reader(&self, caller: &Caller, project: &str) -> Result<()> {
        if caller.is_admin || caller.project() == project {
            return Ok(());
        }
        Err(admin_required(
            "Only admin is authorized to access quotas for another project",
        ))
    }

    /// A project's limits.
    pub async fn quota(
        &self,
        caller: &Caller,
        project: &str,
    ) -> Result<BTreeMap<&'static str, i64>> {
        self.check_quota_reader(caller, project)?;
        let mut limits = BTreeMap::new();
        for resource in self.cfg.quota_defaults.keys() {
            limits.insert(*resource, limit(&self.db, self, project, resource).await?);
        }
        Ok(limits)
    }

    /// The configured defaults.
    pub fn default_quota(&self) -> BTreeMap<&'static str, i64> {
        self.cfg.quota_defaults.clone()
    }

    /// A project's limits with what it uses.
    pub async fn quota_details(
        &self,
        caller: &Caller,
        project: &str,
    ) -> Result<BTreeMap<&'static str, Usage>> {
        let limits = self.quota(caller, project).await?;
        let mut details = BTreeMap::new();
        for (resource, limit) in limits {
            let used = used(&self.db, project, resource).await?;
            details.insert(resource, Usage { limit, used });
        }
        Ok(details)
    }

    /// Every project with limits of its own (admin).
    pub async fn list_quotas(
        &self,
        caller: &Caller,
    ) -> Result<Vec<(String, BTreeMap<&'static str, i64>)>> {
        self.authorize(caller, "get_quota", &json!({}))?;
        let projects: std::collections::BTreeSet<String> = quota::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|q| q.project_id)
            .collect();
        let mut all = Vec::new();
        for project in projects {
            all.push((project.clone(), self.quota(caller, &project).await?));
        }
        Ok(all)
    }

    /// Sets some of a project's limits (admin); below what it uses only with
    /// `force`.
    pub async fn update_quota(
        &self,
        caller: &Caller,
        project: &str,
        limits: &BTreeMap<String, i64>,
        force: bool,
    ) -> Result<BTreeMap<&'static str, i64>> {
        self.authorize(caller, "update_quota", &json!({"project_id": project}))?;
        for (resource, value) in limits {
            let Some(resource) = self
                .cfg
                .quota_defaults
                .keys()
                .find(|r| **r == resource.as_str())
            else {
                return Err(NeutronError::bad_request(format!(
                    "Unrecognized attribute(s) '{resource}'"
                )));
            };
            if *value < -1 || *value > MAX_LIMIT {
                return Err(NeutronError::bad_request(format!(
                    "Invalid input for {resource}. Reason: '{value}' is not in range -1 through {MAX_LIMIT}."
                )));
            }
            let in_use = used(&self.db, project, resource).await?;
            if !force && *value >= 0 && (*value as u64) < in_use {
                return Err(NeutronError::bad_request(format!(
                    "Quota limit {value} for {resource} must be greater than or equal to already used {in_use}"
                )));
            }
        }
        for (resource, value) in limits {
            let row = quota::ActiveModel {
                project_id: Set(project.to_string()),
                resource: Set(resource.clone()),
                hard_limit: Set(*value),
            };
            match quota::Entity::find_by_id((project.to_string(), resource.clone()))
                .one(&self.db)
                .await?
            {
                Some(_) => row.update(&self.db).await?,
                None => row.insert(&self.db).await?,
            };
        }
        self.quota(caller, project).await
    }

    /// Gives a project the defaults back (admin).
    pub async fn reset_quota(&self, caller: &Caller, project: &str) -> Result<()> {
        self.authorize(caller, "delete_quota", &json!({"project_id": project}))?;
        quota::Entity::delete_many()
            .filter(quota::Column::ProjectId.eq(project))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
