//! Host aggregates (admin): named groups of compute hosts with metadata; the
//! `availability_zone` key puts their hosts in that zone.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};
use serde_json::json;

use super::{now, Caller, Nova, NovaError, Result};
use crate::db::entity::{aggregate, aggregate_host, aggregate_metadata, service_record};

/// The metadata key naming an aggregate's availability zone.
pub const AZ_KEY: &str = "availability_zone";

/// An aggregate with its hosts and metadata.
#[derive(Debug, Clone)]
pub struct Aggregate {
    pub row: aggregate::Model,
    pub hosts: Vec<String>,
    pub metadata: BTreeMap<String, String>,
}

impl Aggregate {
    /// Its availability zone, when it names one.
    pub fn availability_zone(&self) -> Option<&str> {
        self.metadata.get(AZ_KEY).map(String::as_str)
    }
}

fn not_found(id: &str) -> NovaError {
    NovaError::NotFound(format!("Aggregate {id} could not be found."))
}

/// An aggregate id from a URL (Nova's `validate_integer`).
fn parse_id(id: &str) -> Result<i64> {
    id.trim()
        .parse::<i64>()
        .map_err(|_| NovaError::BadRequest("Invalid input received: id must be an integer".into()))
}

impl Nova {
    fn authorize_aggregates(&self, caller: &Caller, action: &str) -> Result<()> {
        self.authorize(
            caller,
            &format!("os_compute_api:os-aggregates:{action}"),
            &json!({}),
        )
    }

    /// Every aggregate with its hosts and metadata.
    pub(crate) async fn all_aggregates(&self) -> Result<Vec<Aggregate>> {
        load_aggregates(&self.db).await
    }

    /// The zones of `host` from its aggregates (`None`: in none with a zone).
    pub(crate) fn host_zone(aggregates: &[Aggregate], host: &str) -> Option<String> {
        let zones: BTreeSet<&str> = aggregates
            .iter()
            .filter(|a| a.hosts.iter().any(|h| h == host))
            .filter_map(Aggregate::availability_zone)
            .collect();
        (!zones.is_empty()).then(|| zones.into_iter().collect::<Vec<_>>().join(","))
    }

    async fn aggregate_by_id(&self, id: &str) -> Result<Aggregate> {
        let number = parse_id(id)?;
        self.all_aggregates()
            .await?
            .into_iter()
            .find(|a| a.row.id == number)
            .ok_or_else(|| not_found(id))
    }

    /// Every aggregate (admin).
    pub async fn list_aggregates(&self, caller: &Caller) -> Result<Vec<Aggregate>> {
        self.authorize_aggregates(caller, "index")?;
        self.all_aggregates().await
    }

    /// One aggregate (admin).
    pub async fn show_aggregate(&self, caller: &Caller, id: &str) -> Result<Aggregate> {
        self.authorize_aggregates(caller, "show")?;
        self.aggregate_by_id(id).await
    }

    /// Creates an aggregate, in zone `zone` when given (admin).
    pub async fn create_aggregate(
        &self,
        caller: &Caller,
        name: &str,
        zone: Option<&str>,
    ) -> Result<Aggregate> {
        self.authorize_aggregates(caller, "create")?;
        let exists = aggregate::Entity::find()
            .filter(aggregate::Column::Name.eq(name))
            .one(&self.db)
            .await?
            .is_some();
        if exists {
            return Err(NovaError::Conflict(format!(
                "Aggregate {name} already exists."
            )));
        }
        let txn = self.db.begin().await?;
        let row = aggregate::ActiveModel {
            uuid: Set(uuid::Uuid::new_v4().to_string()),
            name: Set(name.to_string()),
            created_at: Set(now()),
            updated_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| match ferrostack_db::DbError::from(e) {
            ferrostack_db::DbError::Duplicate(_) => {
                NovaError::Conflict(format!("Aggregate {name} already exists."))
            }
            other => other.into(),
        })?;
        let mut metadata = BTreeMap::new();
        if let Some(zone) = zone.filter(|z| !z.is_empty()) {
            aggregate_metadata::Entity::insert(aggregate_metadata::ActiveModel {
                aggregate_id: Set(row.id),
                key: Set(AZ_KEY.into()),
                value: Set(zone.to_string()),
            })
            .exec(&txn)
            .await?;
            metadata.insert(AZ_KEY.to_string(), zone.to_string());
        }
        txn.commit().await?;
        Ok(Aggregate {
            row,
            hosts: Vec::new(),
            metadata,
        })
    }

    /// Refuses a zone change that empties the zone or puts the aggregate's
    /// hosts (or `hosts`) in two zones.
    fn check_zone(
        aggregates: &[Aggregate],
        current: &Aggregate,
        zone: Option<&str>,
        hosts: &[String],
    ) -> std::result::Result<(), String> {
        let Some(zone) = zone else {
            return Ok(());
        };
        if zone.is_empty() {
            return Err(format!(
                "Aggregate {} does not support empty named availability zone",
                current.row.name
            ));
        }
        let conflicting: BTreeSet<&str> = aggregates
            .iter()
            .filter(|a| a.row.id != current.row.id)
            .filter(|a| a.hosts.iter().any(|h| hosts.contains(h)))
            .filter_map(Aggregate::availability_zone)
            .filter(|z| *z != zone)
            .collect();
        if conflicting.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = conflicting.iter().map(|z| format!("'{z}'")).collect();
        Err(format!(
            "One or more hosts already in availability zone(s) [{}]",
            list.join(", ")
        ))
    }

    async fn set_metadata_rows(
        &self,
        id: i64,
        changes: &BTreeMap<String, Option<String>>,
    ) -> Result<()> {
        for (key, value) in changes {
            match value {
                Some(value) => {
                    aggregate_metadata::Entity::insert(aggregate_metadata::ActiveModel {
                        aggregate_id: Set(id),
                        key: Set(key.clone()),
                        value: Set(value.clone()),
                    })
                    .on_conflict(
                        sea_orm::sea_query::OnConflict::columns([
                            aggregate_metadata::Column::AggregateId,
                            aggregate_metadata::Column::Key,
                        ])
                        .update_column(aggregate_metadata::Column::Value)
                        .to_owned(),
                    )
                    .exec(&self.db)
                    .await?;
                }
                None => {
                    aggregate_metadata::Entity::delete_many()
                        .filter(aggregate_metadata::Column::AggregateId.eq(id))
                        .filter(aggregate_metadata::Column::Key.eq(key.as_str()))
                        .exec(&self.db)
                        .await?;
                }
            }
        }
        aggregate::Entity::update_many()
            .col_expr(
                aggregate::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(Some(now())),
            )
            .filter(aggregate::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Renames an aggregate or moves it to another zone (admin).
    pub async fn update_aggregate(
        &self,
        caller: &Caller,
        id: &str,
        name: Option<&str>,
        zone: Option<Option<&str>>,
    ) -> Result<Aggregate> {
        self.authorize_aggregates(caller, "update")?;
        let current = self.aggregate_by_id(id).await?;
        if let Some(name) = name {
            let mut row: aggregate::ActiveModel = current.row.clone().into();
            row.name = Set(name.to_string());
            row.update(&self.db)
                .await
                .map_err(|e| match ferrostack_db::DbError::from(e) {
                    ferrostack_db::DbError::Duplicate(_) => {
                        NovaError::Conflict(format!("Aggregate {name} already exists."))
                    }
                    other => other.into(),
                })?;
        }
        if let Some(zone) = zone {
            let all = self.all_aggregates().await?;
            Self::check_zone(&all, &current, Some(zone.unwrap_or("")), &current.hosts).map_err(
                |why| {
                    NovaError::BadRequest(format!("Cannot update aggregate {id}. Reason: {why}."))
                },
            )?;
            let changes = BTreeMap::from([(AZ_KEY.to_string(), zone.map(str::to_string))]);
            self.set_metadata_rows(current.row.id, &changes).await?;
        }
        self.aggregate_by_id(id).await
    }

    /// Merges metadata (a `None` value removes the key) (admin).
    pub async fn set_aggregate_metadata(
        &self,
        caller: &Caller,
        id: &str,
        changes: &BTreeMap<String, Option<String>>,
    ) -> Result<Aggregate> {
        self.authorize_aggregates(caller, "set_metadata")?;
        let current = self.aggregate_by_id(id).await?;
        if let Some(zone) = changes.get(AZ_KEY) {
            let all = self.all_aggregates().await?;
            Self::check_zone(
                &all,
                &current,
                Some(zone.as_deref().unwrap_or("")),
                &current.hosts,
            )
            .map_err(|why| {
                NovaError::BadRequest(format!(
                    "Cannot update metadata of aggregate {id}. Reason: {why}."
                ))
            })?;
        }
        self.set_metadata_rows(current.row.id, changes).await?;
        self.aggregate_by_id(id).await
    }

    /// Deletes an aggregate without hosts (admin).
    pub async fn delete_aggregate(&self, caller: &Caller, id: &str) -> Result<()> {
        self.authorize_aggregates(caller, "delete")?;
        let current = self.aggregate_by_id(id).await?;
        if !current.hosts.is_empty() {
            return Err(NovaError::BadRequest(format!(
                "Cannot remove host from aggregate {id}. Reason: Host aggregate is not empty."
            )));
        }
        let txn = self.db.begin().await?;
        aggregate_metadata::Entity::delete_many()
            .filter(aggregate_metadata::Column::AggregateId.eq(current.row.id))
            .exec(&txn)
            .await?;
        aggregate::Entity::delete_by_id(current.row.id)
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Adds compute host `host` to an aggregate (admin).
    pub async fn add_aggregate_host(
        &self,
        caller: &Caller,
        id: &str,
        host: &str,
    ) -> Result<Aggregate> {
        self.authorize_aggregates(caller, "add_host")?;
        let is_compute = service_record::Entity::find()
            .filter(service_record::Column::Host.eq(host))
            .filter(service_record::Column::Binary.eq(crate::agent::BINARY))
            .one(&self.db)
            .await?
            .is_some();
        if !is_compute {
            return Err(NovaError::NotFound(format!(
                "Compute host {host} could not be found."
            )));
        }
        let current = self.aggregate_by_id(id).await?;
        let all = self.all_aggregates().await?;
        Self::check_zone(
            &all,
            &current,
            current.availability_zone(),
            &[host.to_string()],
        )
        .map_err(|why| {
            NovaError::Conflict(format!("Cannot add host to aggregate {id}. Reason: {why}."))
        })?;
        if current.hosts.iter().any(|h| h == host) {
            return Err(NovaError::Conflict(format!(
                "Aggregate {id} already has host {host}."
            )));
        }
        aggregate_host::Entity::insert(aggregate_host::ActiveModel {
            aggregate_id: Set(current.row.id),
            host: Set(host.to_string()),
        })
        .exec(&self.db)
        .await?;
        self.aggregate_by_id(id).await
    }

    /// Removes a host from an aggregate (admin).
    pub async fn remove_aggregate_host(
        &self,
        caller: &Caller,
        id: &str,
        host: &str,
    ) -> Result<Aggregate> {
        self.authorize_aggregates(caller, "remove_host")?;
        let missing =
            || NovaError::NotFound(format!("Cannot remove host {host} in aggregate {id}"));
        let current = self.aggregate_by_id(id).await.map_err(|e| match e {
            NovaError::NotFound(_) => missing(),
            other => other,
        })?;
        let gone = aggregate_host::Entity::delete_many()
            .filter(aggregate_host::Column::AggregateId.eq(current.row.id))
            .filter(aggregate_host::Column::Host.eq(host))
            .exec(&self.db)
            .await?;
        if gone.rows_affected == 0 {
            return Err(missing());
        }
        self.aggregate_by_id(id).await
    }
}

/// Every aggregate with its hosts and metadata.
pub(crate) async fn load_aggregates<C: ConnectionTrait>(db: &C) -> Result<Vec<Aggregate>> {
    let rows = aggregate::Entity::find()
        .order_by_asc(aggregate::Column::Id)
        .all(db)
        .await?;
    let hosts = aggregate_host::Entity::find().all(db).await?;
    let metadata = aggregate_metadata::Entity::find().all(db).await?;
    Ok(rows
        .into_iter()
        .map(|row| Aggregate {
            hosts: hosts
                .iter()
                .filter(|h| h.aggregate_id == row.id)
                .map(|h| h.host.clone())
                .collect(),
            metadata: metadata
                .iter()
                .filter(|m| m.aggregate_id == row.id)
                .map(|m| (m.key.clone(), m.value.clone()))
                .collect(),
            row,
        })
        .collect())
}
