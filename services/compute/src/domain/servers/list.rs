//! Listing servers with Nova's filters (`GET /servers[/detail]`): the caller's
//! project unless an admin asks for all, status, image, flavor, host,
//! changes-since/before, locked and tags in SQL, the name as a regular
//! expression, then sorting and marker/limit paging.

use std::collections::{BTreeMap, BTreeSet};

use ferrostack_db::keyset::{after, SortKey as KeysetKey};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

use super::read::{assemble, Server};
use super::vm_states_of;
use crate::db::entity::{instance, instance_tag};
use crate::domain::{Caller, Nova, NovaError, Result};

/// A column servers can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    CreatedAt,
    UpdatedAt,
    LaunchedAt,
    DisplayName,
    Uuid,
    VmState,
    TaskState,
    PowerState,
    Hostname,
    Host,
    Node,
    ProjectId,
    UserId,
    ImageRef,
    AvailabilityZone,
    KeyName,
}

impl SortKey {
    /// Nova's name of a sort key (`id` is the UUID's).
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "created_at" => SortKey::CreatedAt,
            "updated_at" => SortKey::UpdatedAt,
            "launched_at" => SortKey::LaunchedAt,
            "display_name" => SortKey::DisplayName,
            "uuid" => SortKey::Uuid,
            "vm_state" => SortKey::VmState,
            "task_state" => SortKey::TaskState,
            "power_state" => SortKey::PowerState,
            "hostname" => SortKey::Hostname,
            "host" => SortKey::Host,
            "node" => SortKey::Node,
            "project_id" => SortKey::ProjectId,
            "user_id" => SortKey::UserId,
            "image_ref" => SortKey::ImageRef,
            "availability_zone" => SortKey::AvailabilityZone,
            "key_name" => SortKey::KeyName,
            _ => return None,
        })
    }

    /// Whether the column is never NULL, so SQL can page by it.
    fn never_null(self) -> bool {
        !matches!(
            self,
            SortKey::LaunchedAt
                | SortKey::TaskState
                | SortKey::Host
                | SortKey::Node
                | SortKey::AvailabilityZone
                | SortKey::KeyName
        )
    }

    /// The marker row's value of a column no row leaves NULL (`None`: the
    /// column may be NULL, so paging by it happens after the query).
    fn marker_value(self, row: &instance::Model) -> Option<sea_orm::Value> {
        Some(match self {
            SortKey::CreatedAt => row.created_at.into(),
            SortKey::UpdatedAt => row.updated_at.into(),
            SortKey::DisplayName => row.display_name.clone().into(),
            SortKey::Uuid => row.uuid.clone().into(),
            SortKey::VmState => row.vm_state.clone().into(),
            SortKey::PowerState => row.power_state.into(),
            SortKey::Hostname => row.hostname.clone().into(),
            SortKey::ProjectId => row.project_id.clone().into(),
            SortKey::UserId => row.user_id.clone().into(),
            SortKey::ImageRef => row.image_ref.clone().into(),
            _ => return None,
        })
    }

    fn column(self) -> instance::Column {
        use instance::Column as C;
        match self {
            SortKey::CreatedAt => C::CreatedAt,
            SortKey::UpdatedAt => C::UpdatedAt,
            SortKey::LaunchedAt => C::LaunchedAt,
            SortKey::DisplayName => C::DisplayName,
            SortKey::Uuid => C::Uuid,
            SortKey::VmState => C::VmState,
            SortKey::TaskState => C::TaskState,
            SortKey::PowerState => C::PowerState,
            SortKey::Hostname => C::Hostname,
            SortKey::Host => C::Host,
            SortKey::Node => C::Node,
            SortKey::ProjectId => C::ProjectId,
            SortKey::UserId => C::UserId,
            SortKey::ImageRef => C::ImageRef,
            SortKey::AvailabilityZone => C::AvailabilityZone,
            SortKey::KeyName => C::KeyName,
        }
    }
}

/// What a list asks for, parsed by the API.
#[derive(Debug, Clone, Default)]
pub struct ServerFilters {
    pub all_tenants: bool,
    pub project_id: Option<String>,
    pub name: Option<String>,
    pub status: Option<String>,
    pub image: Option<String>,
    pub flavor: Option<String>,
    pub host: Option<String>,
    /// Regular expressions a fixed IPv4 (`ip`) or IPv6 (`ip6`) address of
    /// the server must match from its start.
    pub ip: Option<String>,
    pub ip6: Option<String>,
    pub changes_since: Option<chrono::NaiveDateTime>,
    pub changes_before: Option<chrono::NaiveDateTime>,
    pub locked: Option<bool>,
    pub tags: Vec<String>,
    pub tags_any: Vec<String>,
    pub not_tags: Vec<String>,
    pub not_tags_any: Vec<String>,
    /// Sort keys, each with whether it runs descending.
    pub sort: Vec<(SortKey, bool)>,
    pub marker: Option<String>,
    pub limit: usize,
}

impl ServerFilters {
    fn has_tag_filters(&self) -> bool {
        !(self.tags.is_empty()
            && self.tags_any.is_empty()
            && self.not_tags.is_empty()
            && self.not_tags_any.is_empty())
    }

    fn tags_match(&self, tags: &BTreeSet<String>) -> bool {
        self.tags.iter().all(|t| tags.contains(t))
            && (self.tags_any.is_empty() || self.tags_any.iter().any(|t| tags.contains(t)))
            && (self.not_tags.is_empty() || !self.not_tags.iter().all(|t| tags.contains(t)))
            && !self.not_tags_any.iter().any(|t| tags.contains(t))
    }
}

fn marker_not_found(marker: &str) -> NovaError {
    NovaError::BadRequest(format!("marker [{marker}] not found"))
}

impl Nova {
    /// One page of servers as `caller` may list them.
    pub async fn list_servers(
        &self,
        caller: &Caller,
        filters: &ServerFilters,
        detail: bool,
    ) -> Result<Vec<Server>> {
        let kind = if detail { "detail" } else { "index" };
        let target = json!({"project_id": caller.project()});
        self.authorize(caller, &format!("os_compute_api:servers:{kind}"), &target)?;
        if filters.all_tenants {
            self.authorize(
                caller,
                &format!("os_compute_api:servers:{kind}:get_all_tenants"),
                &target,
            )?;
        }
        let mut condition = Condition::all();
        if filters.all_tenants {
            if let Some(project) = &filters.project_id {
                condition = condition.add(instance::Column::ProjectId.eq(project));
            }
        } else {
            condition = condition.add(instance::Column::ProjectId.eq(caller.project()));
        }
        if filters.changes_since.is_none() {
            condition = condition.add(instance::Column::Deleted.eq(false));
        }
        if let Some(status) = &filters.status {
            match vm_states_of(status) {
                Some(states) => {
                    condition =
                        condition.add(instance::Column::VmState.is_in(states.iter().copied()))
                }
                None => return Ok(Vec::new()),
            }
        }
        if let Some(image) = &filters.image {
            let id = image.rsplit('/').next().unwrap_or(image);
            condition = condition.add(instance::Column::ImageRef.eq(id));
        }
        if let Some(flavor) = &filters.flavor {
            let id = flavor.rsplit('/').next().unwrap_or(flavor);
            condition = condition.add(instance::Column::Flavorid.eq(id));
        }
        if let (Some(host), true) = (&filters.host, caller.is_admin) {
            condition = condition.add(instance::Column::Host.eq(host));
        }
        if let Some(since) = filters.changes_since {
            condition = condition.add(instance::Column::UpdatedAt.gte(since));
        }
        if let Some(before) = filters.changes_before {
            condition = condition.add(instance::Column::UpdatedAt.lte(before));
        }
        if let Some(locked) = filters.locked {
            condition = condition.add(instance::Column::Locked.eq(locked));
        }
        let mut sort = filters.sort.clone();
        if sort.is_empty() {
            sort.push((SortKey::CreatedAt, true));
        }
        let tie = sort.last().is_none_or(|s| s.1);
        sort.push((SortKey::Uuid, tie));
        // Paged in SQL unless a filter or a nullable sort key needs the rows here.
        let in_sql = filters.name.is_none()
            && filters.ip.is_none()
            && filters.ip6.is_none()
            && !filters.has_tag_filters()
            && sort.iter().all(|(key, _)| key.never_null());
        let mut query = instance::Entity::find();
        for (key, descending) in &sort {
            let order = if *descending { Order::Desc } else { Order::Asc };
            query = query.order_by(key.column(), order);
        }
        if in_sql {
            if let Some(marker) = &filters.marker {
                let row = instance::Entity::find_by_id(marker)
                    .one(&self.db)
                    .await?
                    .filter(|r| filters.all_tenants || r.project_id == caller.project())
                    .ok_or_else(|| marker_not_found(marker))?;
                let keys: Vec<KeysetKey> = sort
                    .iter()
                    .filter_map(|(key, order)| {
                        Some(KeysetKey {
                            expr: Expr::col(key.column()).into(),
                            marker: key.marker_value(&row)?,
                            descending: *order,
                        })
                    })
                    .collect();
                condition = condition.add(after(&keys));
            }
            let rows = query
                .filter(condition)
                .limit(filters.limit as u64)
                .all(&self.db)
                .await?;
            return assemble(&self.db, rows).await;
        }
        let mut rows = query.filter(condition).all(&self.db).await?;
        if let Some(pattern) = &filters.name {
            let regex = regex::Regex::new(pattern)
                .or_else(|_| regex::Regex::new(&regex::escape(pattern)))
                .map_err(|e| NovaError::BadRequest(e.to_string()))?;
            rows.retain(|r| regex.is_match(&r.display_name));
        }
        if filters.ip.is_some() || filters.ip6.is_some() {
            let anchored = |pattern: &Option<String>| -> Result<Option<regex::Regex>> {
                pattern
                    .as_ref()
                    .map(|p| regex::Regex::new(&format!("^(?:{p})")))
                    .transpose()
                    .map_err(|e| NovaError::BadRequest(e.to_string()))
            };
            let (v4, v6) = (anchored(&filters.ip)?, anchored(&filters.ip6)?);
            let ids: Vec<String> = rows.iter().map(|r| r.uuid.clone()).collect();
            let infos = super::networks::network_infos(&self.db, &ids).await?;
            rows.retain(|r| {
                infos.get(&r.uuid).is_some_and(|vifs| {
                    vifs.iter().flat_map(|v| &v.fixed_ips).any(|ip| {
                        let pattern = if ip.version == 6 { &v6 } else { &v4 };
                        pattern.as_ref().is_some_and(|p| p.is_match(&ip.address))
                    })
                })
            });
        }
        if filters.has_tag_filters() {
            let mut tags: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for chunk in rows
                .iter()
                .map(|r| r.uuid.clone())
                .collect::<Vec<_>>()
                .chunks(500)
            {
                for t in instance_tag::Entity::find()
                    .filter(instance_tag::Column::InstanceUuid.is_in(chunk.iter().cloned()))
                    .all(&self.db)
                    .await?
                {
                    tags.entry(t.instance_uuid).or_default().insert(t.tag);
                }
            }
            let none = BTreeSet::new();
            rows.retain(|r| filters.tags_match(tags.get(&r.uuid).unwrap_or(&none)));
        }
        if let Some(marker) = &filters.marker {
            let at = rows
                .iter()
                .position(|r| &r.uuid == marker)
                .ok_or_else(|| marker_not_found(marker))?;
            rows.drain(..=at);
        }
        rows.truncate(filters.limit);
        assemble(&self.db, rows).await
    }
}
