//! Quotas: each project's limit per resource (`[quotas] quota_<resource>`),
//! checked against what the project has before it creates more.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::{Neutron, NeutronError, Result};
use crate::db::entity::{network, port, security_group, security_group_rule, subnet};

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
        _ => 0,
    })
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
    let limit = neutron
        .cfg
        .quota_defaults
        .get(resource)
        .copied()
        .unwrap_or(-1);
    if limit < 0 {
        return Ok(());
    }
    if used(db, project, resource).await? + adding > limit as u64 {
        return Err(NeutronError::over_quota(resource));
    }
    Ok(())
}
