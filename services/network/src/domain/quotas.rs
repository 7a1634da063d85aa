//! Quotas: each project's limit per resource (`[quotas] quota_<resource>`),
//! checked against what the project has before it creates more.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::{Neutron, NeutronError, Result};
use crate::db::entity::{network, port, security_group, security_group_rule, subnet};

/// How many `resource`s `project` has.
pub async fn used(neutron: &Neutron, project: &str, resource: &str) -> Result<u64> {
    let db = &neutron.db;
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
        _ => 0,
    })
}

/// 409 `OverQuota` when `adding` more `resource`s would pass the limit.
pub async fn check(neutron: &Neutron, project: &str, resource: &str, adding: u64) -> Result<()> {
    let limit = neutron
        .cfg
        .quota_defaults
        .get(resource)
        .copied()
        .unwrap_or(-1);
    if limit < 0 {
        return Ok(());
    }
    if used(neutron, project, resource).await? + adding > limit as u64 {
        return Err(NeutronError::over_quota(resource));
    }
    Ok(())
}
