//! Tags of networks, subnets, ports and security groups
//! (`standard-attr-tag`): read in bulk for views, and changed one by one or as
//! a whole set.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::{NeutronError, Result};
use crate::db::entity::tag;

/// Most tags a resource may have (Neutron's `MAX_TAGS`).
pub const MAX_TAGS: usize = 50;
/// Longest tag (Neutron's `MAX_TAG_LEN`).
pub const MAX_TAG_LEN: usize = 255;

/// The tags of each of `ids` of `kind` (`networks`), sorted.
pub async fn of<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    ids: &[String],
) -> Result<HashMap<String, Vec<String>>> {
    let mut by_id: HashMap<String, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for row in tag::Entity::find()
            .filter(tag::Column::ResourceType.eq(kind))
            .filter(tag::Column::ResourceId.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            by_id.entry(row.resource_id).or_default().push(row.tag);
        }
    }
    for tags in by_id.values_mut() {
        tags.sort();
    }
    Ok(by_id)
}

/// Checks a tag a request names.
pub fn check(tag: &str) -> Result<()> {
    if tag.is_empty() || tag.chars().count() > MAX_TAG_LEN || tag.contains(',') {
        return Err(NeutronError::bad_request(format!(
            "Invalid input for operation: '{tag}' is not a valid tag."
        )));
    }
    Ok(())
}

/// Replaces the tags of `id` with `tags`.
pub async fn replace<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    id: &str,
    tags: &[String],
) -> Result<()> {
    for t in tags {
        check(t)?;
    }
    let mut unique: Vec<&String> = tags.iter().collect();
    unique.sort();
    unique.dedup();
    if unique.len() > MAX_TAGS {
        return Err(NeutronError::bad_request(format!(
            "Invalid input for operation: The number of tags exceed the limit of {MAX_TAGS}."
        )));
    }
    clear(db, kind, id).await?;
    if unique.is_empty() {
        return Ok(());
    }
    tag::Entity::insert_many(unique.into_iter().map(|t| tag::ActiveModel {
        resource_type: Set(kind.to_string()),
        resource_id: Set(id.to_string()),
        tag: Set(t.clone()),
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// Adds one tag (none when it is there already).
pub async fn add<C: ConnectionTrait>(db: &C, kind: &str, id: &str, new: &str) -> Result<()> {
    check(new)?;
    let current = of(db, kind, &[id.to_string()])
        .await?
        .remove(id)
        .unwrap_or_default();
    if current.iter().any(|t| t == new) {
        return Ok(());
    }
    if current.len() >= MAX_TAGS {
        return Err(NeutronError::bad_request(format!(
            "Invalid input for operation: The number of tags exceed the limit of {MAX_TAGS}."
        )));
    }
    let inserted = tag::Entity::insert(tag::ActiveModel {
        resource_type: Set(kind.to_string()),
        resource_id: Set(id.to_string()),
        tag: Set(new.to_string()),
    })
    .exec(db)
    .await;
    match inserted.map_err(ferrostack_db::DbError::from) {
        Ok(_) | Err(ferrostack_db::DbError::Duplicate(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Removes one tag; false when the resource did not have it.
pub async fn remove<C: ConnectionTrait>(db: &C, kind: &str, id: &str, old: &str) -> Result<bool> {
    let gone = tag::Entity::delete_many()
        .filter(tag::Column::ResourceType.eq(kind))
        .filter(tag::Column::ResourceId.eq(id))
        .filter(tag::Column::Tag.eq(old))
        .exec(db)
        .await?;
    Ok(gone.rows_affected > 0)
}

/// Removes every tag of `id`.
pub async fn clear<C: ConnectionTrait>(db: &C, kind: &str, id: &str) -> Result<()> {
    tag::Entity::delete_many()
        .filter(tag::Column::ResourceType.eq(kind))
        .filter(tag::Column::ResourceId.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Bumps the revision of a tagged resource.
async fn touch<C: ConnectionTrait>(db: &C, kind: &str, id: &str) -> Result<()> {
    use crate::db::entity::{port, subnet};
    use sea_orm::sea_query::Expr;
    match kind {
        super::networks::KIND => super::networks::touch(db, id).await,
        super::security_groups::KIND => super::security_groups::touch(db, id).await,
        super::subnet_pools::KIND => {
            use crate::db::entity::subnet_pool;
            subnet_pool::Entity::update_many()
                .col_expr(
                    subnet_pool::Column::RevisionNumber,
                    Expr::col(subnet_pool::Column::RevisionNumber).add(1),
                )
                .col_expr(subnet_pool::Column::UpdatedAt, Expr::value(super::now()))
                .filter(subnet_pool::Column::Id.eq(id))
                .exec(db)
                .await?;
            Ok(())
        }
        super::floating_ips::KIND => {
            use crate::db::entity::floating_ip;
            floating_ip::Entity::update_many()
                .col_expr(
                    floating_ip::Column::RevisionNumber,
                    Expr::col(floating_ip::Column::RevisionNumber).add(1),
                )
                .col_expr(floating_ip::Column::UpdatedAt, Expr::value(super::now()))
                .filter(floating_ip::Column::Id.eq(id))
                .exec(db)
                .await?;
            Ok(())
        }
        super::routers::KIND => {
            use crate::db::entity::router;
            router::Entity::update_many()
                .col_expr(
                    router::Column::RevisionNumber,
                    Expr::col(router::Column::RevisionNumber).add(1),
                )
                .col_expr(router::Column::UpdatedAt, Expr::value(super::now()))
                .filter(router::Column::Id.eq(id))
                .exec(db)
                .await?;
            Ok(())
        }
        super::subnets::KIND => {
            subnet::Entity::update_many()
                .col_expr(
                    subnet::Column::RevisionNumber,
                    Expr::col(subnet::Column::RevisionNumber).add(1),
                )
                .col_expr(subnet::Column::UpdatedAt, Expr::value(super::now()))
                .filter(subnet::Column::Id.eq(id))
                .exec(db)
                .await?;
            Ok(())
        }
        _ => {
            port::Entity::update_many()
                .col_expr(
                    port::Column::RevisionNumber,
                    Expr::col(port::Column::RevisionNumber).add(1),
                )
                .col_expr(port::Column::UpdatedAt, Expr::value(super::now()))
                .filter(port::Column::Id.eq(id))
                .exec(db)
                .await?;
            Ok(())
        }
    }
}

impl super::Neutron {
    /// The tag kind of `collection`'s resource `id` once the caller may see
    /// it (and, when `change`, update it); 404 for other collections.
    pub async fn taggable(
        &self,
        caller: &super::Caller,
        collection: &str,
        id: &str,
        change: bool,
    ) -> Result<&'static str> {
        use serde_json::json;
        let (kind, rule, target) = match collection {
            "networks" => {
                let row = self.network_row(caller, id).await?;
                (
                    super::networks::KIND,
                    "update_network",
                    super::networks::policy_target(&row),
                )
            }
            "subnets" => {
                let (row, net) = self.subnet_row(caller, id).await?;
                let target = json!({"project_id": row.project_id, "tenant_id": row.project_id, "network:tenant_id": net.project_id});
                (super::subnets::KIND, "update_subnet", target)
            }
            "ports" => {
                let (row, net) = self.port_row(caller, id).await?;
                let target = json!({"project_id": row.project_id, "tenant_id": row.project_id, "network:tenant_id": net.project_id, "device_owner": row.device_owner});
                (super::ports::KIND, "update_port", target)
            }
            "routers" => {
                let row = self.router_row(caller, id).await?;
                let target = json!({"project_id": row.project_id, "tenant_id": row.project_id});
                (super::routers::KIND, "update_router", target)
            }
            "subnetpools" => {
                let row = self.pool_row(caller, id).await?;
                let target = json!({"project_id": row.project_id, "tenant_id": row.project_id});
                (super::subnet_pools::KIND, "update_subnetpool", target)
            }
            "floatingips" => {
                let row = self.floating_ip_row(caller, id).await?;
                let target = json!({"project_id": row.project_id, "tenant_id": row.project_id});
                (super::floating_ips::KIND, "update_floatingip", target)
            }
            "security-groups" => {
                let row = self.group_row(caller, id).await?;
                let target = json!({"project_id": row.project_id, "tenant_id": row.project_id});
                (
                    super::security_groups::KIND,
                    "update_security_group",
                    target,
                )
            }
            _ => {
                return Err(NeutronError::not_found(
                    "HTTPNotFound",
                    "The resource could not be found.",
                ))
            }
        };
        if change {
            self.authorize(caller, rule, &target)?;
        }
        Ok(kind)
    }

    /// The tags of a resource.
    pub async fn tags_of(&self, kind: &str, id: &str) -> Result<Vec<String>> {
        Ok(of(&self.db, kind, &[id.to_string()])
            .await?
            .remove(id)
            .unwrap_or_default())
    }

    /// Replaces a resource's tags.
    pub async fn set_tags(&self, kind: &str, id: &str, tags: &[String]) -> Result<()> {
        replace(&self.db, kind, id, tags).await?;
        touch(&self.db, kind, id).await
    }

    /// Adds a tag to a resource.
    pub async fn add_tag(&self, kind: &str, id: &str, new: &str) -> Result<()> {
        add(&self.db, kind, id, new).await?;
        touch(&self.db, kind, id).await
    }

    /// Removes a tag (404 `TagNotFound` when it was not there).
    pub async fn remove_tag(&self, kind: &str, id: &str, old: &str) -> Result<()> {
        if !remove(&self.db, kind, id, old).await? {
            return Err(NeutronError::not_found(
                "TagNotFound",
                format!("Tag {old} could not be found."),
            ));
        }
        touch(&self.db, kind, id).await
    }

    /// Removes every tag of a resource.
    pub async fn clear_tags(&self, kind: &str, id: &str) -> Result<()> {
        clear(&self.db, kind, id).await?;
        touch(&self.db, kind, id).await
    }
}
