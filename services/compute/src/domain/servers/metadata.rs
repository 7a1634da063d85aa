//! A server's metadata (`/servers/{id}/metadata`) and tags
//! (`/servers/{id}/tags`, 2.26): read by its project, changed while the server
//! is in a settled state and unlocked, within the metadata quota and the 50
//! tags a server may have.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

use crate::db::entity::{instance, instance_metadata, instance_tag};
use crate::domain::{Caller, Nova, NovaError, Result};

/// The states in which a server's metadata and tags may change.
const SETTLED: &[&str] = &[
    "active",
    "paused",
    "suspended",
    "stopped",
    "shelved",
    "shelved_offloaded",
];

/// Most tags a server may have.
pub const MAX_TAGS: usize = 50;

/// How a metadata write treats what is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataWrite {
    /// POST: add and overwrite the given keys.
    Merge,
    /// PUT of one key: add or overwrite it.
    Item,
    /// PUT: the given items are the whole metadata.
    Replace,
}

impl Nova {
    /// The server `id` if `caller` may change its metadata or tags (`what`
    /// names the change in Nova's conflict message).
    async fn changeable(
        &self,
        caller: &Caller,
        id: &str,
        rule: &str,
        what: &str,
    ) -> Result<instance::Model> {
        let row = self.server_row(caller, id, rule).await?;
        if row.locked && !caller.is_admin {
            return Err(NovaError::Conflict(format!("Instance {id} is locked")));
        }
        if !SETTLED.contains(&row.vm_state.as_str()) || row.task_state.is_some() {
            let (attr, state) = match &row.task_state {
                Some(task) => ("task_state", task.clone()),
                None => ("vm_state", row.vm_state.clone()),
            };
            return Err(NovaError::Conflict(format!(
                "Cannot '{what}' instance {id} while it is in {attr} {state}"
            )));
        }
        Ok(row)
    }

    async fn metadata_of(&self, id: &str) -> Result<BTreeMap<String, String>> {
        Ok(instance_metadata::Entity::find()
            .filter(instance_metadata::Column::InstanceUuid.eq(id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| (m.key, m.value))
            .collect())
    }

    /// A server's metadata.
    pub async fn server_metadata(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<BTreeMap<String, String>> {
        self.server_row(caller, id, "os_compute_api:server-metadata:index")
            .await?;
        self.metadata_of(id).await
    }

    /// One metadata item (404 when absent).
    pub async fn server_metadata_item(
        &self,
        caller: &Caller,
        id: &str,
        key: &str,
    ) -> Result<String> {
        self.server_row(caller, id, "os_compute_api:server-metadata:show")
            .await?;
        self.metadata_of(id)
            .await?
            .remove(key)
            .ok_or_else(|| NovaError::NotFound("Metadata item was not found".into()))
    }

    /// Writes `items` as `mode` says and returns the whole metadata.
    pub async fn write_server_metadata(
        &self,
        caller: &Caller,
        id: &str,
        items: BTreeMap<String, String>,
        mode: MetadataWrite,
    ) -> Result<BTreeMap<String, String>> {
        let rule = match mode {
            MetadataWrite::Merge => "os_compute_api:server-metadata:create",
            MetadataWrite::Item => "os_compute_api:server-metadata:update",
            MetadataWrite::Replace => "os_compute_api:server-metadata:update_all",
        };
        let row = self.changeable(caller, id, rule, "update_metadata").await?;
        let mut metadata = match mode {
            MetadataWrite::Replace => BTreeMap::new(),
            _ => self.metadata_of(id).await?,
        };
        metadata.extend(items);
        let allowed = self.project_limits(&self.db, &row.project_id).await?["metadata_items"];
        if allowed >= 0 && metadata.len() as i64 > allowed {
            return Err(NovaError::OverQuota(format!(
                "Maximum number of metadata items exceeds {allowed}"
            )));
        }
        let txn = self.db.begin().await?;
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
        txn.commit().await?;
        Ok(metadata)
    }

    /// Deletes one metadata item (404 when absent).
    pub async fn delete_server_metadata_item(
        &self,
        caller: &Caller,
        id: &str,
        key: &str,
    ) -> Result<()> {
        self.changeable(
            caller,
            id,
            "os_compute_api:server-metadata:delete",
            "delete_metadata",
        )
        .await?;
        let gone = instance_metadata::Entity::delete_many()
            .filter(instance_metadata::Column::InstanceUuid.eq(id))
            .filter(instance_metadata::Column::Key.eq(key))
            .exec(&self.db)
            .await?;
        if gone.rows_affected == 0 {
            return Err(NovaError::NotFound("Metadata item was not found".into()));
        }
        Ok(())
    }

    async fn tags_of(&self, id: &str) -> Result<BTreeSet<String>> {
        Ok(instance_tag::Entity::find()
            .filter(instance_tag::Column::InstanceUuid.eq(id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|t| t.tag)
            .collect())
    }

    /// A server's tags.
    pub async fn server_tags(&self, caller: &Caller, id: &str) -> Result<BTreeSet<String>> {
        self.server_row(caller, id, "os_compute_api:os-server-tags:index")
            .await?;
        self.tags_of(id).await
    }

    /// Whether a server has `tag` (404 when not).
    pub async fn check_server_tag(&self, caller: &Caller, id: &str, tag: &str) -> Result<()> {
        self.server_row(caller, id, "os_compute_api:os-server-tags:show")
            .await?;
        if self.tags_of(id).await?.contains(tag) {
            Ok(())
        } else {
            Err(tag_not_found(id, tag))
        }
    }

    /// Replaces a server's tags.
    pub async fn replace_server_tags(
        &self,
        caller: &Caller,
        id: &str,
        tags: BTreeSet<String>,
    ) -> Result<BTreeSet<String>> {
        self.changeable(
            caller,
            id,
            "os_compute_api:os-server-tags:update_all",
            "update tag",
        )
        .await?;
        if tags.len() > MAX_TAGS {
            return Err(too_many_tags());
        }
        let txn = self.db.begin().await?;
        instance_tag::Entity::delete_many()
            .filter(instance_tag::Column::InstanceUuid.eq(id))
            .exec(&txn)
            .await?;
        if !tags.is_empty() {
            instance_tag::Entity::insert_many(tags.iter().map(|t| instance_tag::ActiveModel {
                instance_uuid: Set(id.to_string()),
                tag: Set(t.clone()),
            }))
            .exec(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(tags)
    }

    /// Adds one tag; `false` when the server had it already.
    pub async fn add_server_tag(&self, caller: &Caller, id: &str, tag: &str) -> Result<bool> {
        self.changeable(
            caller,
            id,
            "os_compute_api:os-server-tags:update",
            "update tag",
        )
        .await?;
        let tags = self.tags_of(id).await?;
        if tags.contains(tag) {
            return Ok(false);
        }
        if tags.len() >= MAX_TAGS {
            return Err(too_many_tags());
        }
        instance_tag::Entity::insert(instance_tag::ActiveModel {
            instance_uuid: Set(id.to_string()),
            tag: Set(tag.to_string()),
        })
        .exec_without_returning(&self.db)
        .await?;
        Ok(true)
    }

    /// Deletes one tag (404 when absent) or, with `None`, all of them.
    pub async fn delete_server_tags(
        &self,
        caller: &Caller,
        id: &str,
        tag: Option<&str>,
    ) -> Result<()> {
        let rule = match tag {
            Some(_) => "os_compute_api:os-server-tags:delete",
            None => "os_compute_api:os-server-tags:delete_all",
        };
        self.changeable(caller, id, rule, "delete tag").await?;
        let mut query =
            instance_tag::Entity::delete_many().filter(instance_tag::Column::InstanceUuid.eq(id));
        if let Some(tag) = tag {
            query = query.filter(instance_tag::Column::Tag.eq(tag));
        }
        let gone = query.exec(&self.db).await?;
        match tag {
            Some(tag) if gone.rows_affected == 0 => Err(tag_not_found(id, tag)),
            _ => Ok(()),
        }
    }
}

fn tag_not_found(id: &str, tag: &str) -> NovaError {
    NovaError::NotFound(format!("Tag {tag} could not be found for instance {id}."))
}

fn too_many_tags() -> NovaError {
    NovaError::BadRequest(format!(
        "The number of tags exceeded the per-server limit {MAX_TAGS}"
    ))
}
