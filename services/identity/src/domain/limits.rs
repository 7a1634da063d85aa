//! Unified limits (flat model): registered limits are a service's default for a
//! resource (optionally per region); limits override them for one project or
//! domain. Services read them to enforce quotas.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde_json::{Map, Value};

use super::{new_id, Error, Identity, Result};
use crate::db::entity::{limit, registered_limit};

/// The largest limit Keystone's schema takes.
const MAX_LIMIT: i64 = 2_147_483_647;

/// A limit with the resource its registered limit names.
#[derive(Debug, Clone)]
pub struct LimitView {
    pub row: limit::Model,
    pub service_id: String,
    pub region_id: Option<String>,
    pub resource_name: String,
}

/// Filters of the registered-limit and limit lists.
#[derive(Debug, Default)]
pub struct LimitFilter {
    pub service_id: Option<String>,
    pub region_id: Option<String>,
    pub resource_name: Option<String>,
    pub project_id: Option<String>,
    pub domain_id: Option<String>,
}

fn bad(field: &str, detail: impl std::fmt::Display) -> Error {
    Error::invalid(format!("Invalid input for field '{field}': {detail}"))
}

/// Reads a body's fields as Keystone's schemas check them; unknown ones are refused.
struct Fields(Map<String, Value>);

impl Fields {
    fn new(body: Map<String, Value>, allowed: &[&str]) -> Result<Self> {
        if let Some(key) = body.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(bad(
                "",
                format!("Additional properties are not allowed ('{key}' was unexpected)"),
            ));
        }
        Ok(Fields(body))
    }

    fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    fn text(&self, key: &str, max: usize) -> Result<Option<String>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= max => {
                Ok(Some(s.clone()))
            }
            Some(Value::String(s)) => Err(bad(key, format!("'{s}' is too short or too long"))),
            Some(other) => Err(bad(key, format!("{other} is not of type 'string'"))),
        }
    }

    fn required_text(&self, key: &str, max: usize) -> Result<String> {
        self.text(key, max)?
            .ok_or_else(|| super::validate::required(key))
    }

    fn count(&self, key: &str) -> Result<Option<i64>> {
        match self.0.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(n) if (-1..=MAX_LIMIT).contains(&n) => Ok(Some(n)),
                _ => Err(bad(key, format!("{n} is not within -1 and {MAX_LIMIT}"))),
            },
            Some(other) => Err(bad(key, format!("{other} is not of type 'integer'"))),
        }
    }

    fn description(&self) -> Result<Option<Option<String>>> {
        match self.0.get("description") {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
            Some(other) => Err(bad(
                "description",
                format!("{other} is not of type 'string'"),
            )),
        }
    }
}

fn missing_reference(field: &str, target: &str) -> Error {
    Error::invalid(format!(
        "Expecting to find {field} in {target}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error."
    ))
}

impl Identity {
    async fn check_service_and_region(
        &self,
        service_id: &str,
        region_id: Option<&str>,
        target: &str,
    ) -> Result<()> {
        self.get_service(service_id)
            .await
            .map_err(|_| missing_reference("service_id", target))?;
        if let Some(region_id) = region_id {
            self.get_region(region_id)
                .await
                .map_err(|_| missing_reference("region_id", target))?;
        }
        Ok(())
    }

    async fn find_registered(
        &self,
        service_id: &str,
        region_id: Option<&str>,
        resource_name: &str,
    ) -> Result<Option<registered_limit::Model>> {
        let mut query = registered_limit::Entity::find()
            .filter(registered_limit::Column::ServiceId.eq(service_id))
            .filter(registered_limit::Column::ResourceName.eq(resource_name));
        query = match region_id {
            Some(region) => query.filter(registered_limit::Column::RegionId.eq(region)),
            None => query.filter(registered_limit::Column::RegionId.is_null()),
        };
        Ok(query.one(&self.store.db).await?)
    }

    /// Creates registered limits, all or none.
    pub async fn create_registered_limits(
        &self,
        bodies: Vec<Map<String, Value>>,
    ) -> Result<Vec<registered_limit::Model>> {
        let allowed = [
            "service_id",
            "region_id",
            "resource_name",
            "default_limit",
            "description",
        ];
        let mut rows = Vec::with_capacity(bodies.len());
        for body in bodies {
            let f = Fields::new(body, &allowed)?;
            let service_id = f.required_text("service_id", 64)?;
            let region_id = f.text("region_id", 255)?;
            let resource_name = f.required_text("resource_name", 255)?;
            let default_limit = f
                .count("default_limit")?
                .ok_or_else(|| super::validate::required("default_limit"))?;
            self.check_service_and_region(&service_id, region_id.as_deref(), "registered_limit")
                .await?;
            let duplicate = self
                .find_registered(&service_id, region_id.as_deref(), &resource_name)
                .await?
                .is_some()
                || rows.iter().any(|r: &registered_limit::ActiveModel| {
                    r.service_id.as_ref() == &service_id
                        && r.region_id.as_ref() == &region_id
                        && r.resource_name.as_ref() == &resource_name
                });
            if duplicate {
                return Err(Error::Conflict {
                    kind: "registered_limit",
                    detail: "Duplicate entry".into(),
                });
            }
            rows.push(registered_limit::ActiveModel {
                id: Set(new_id()),
                service_id: Set(service_id),
                region_id: Set(region_id),
                resource_name: Set(resource_name),
                default_limit: Set(default_limit),
                description: Set(f.description()?.flatten()),
            });
        }
        let txn = self.store.db.begin().await?;
        let mut made = Vec::with_capacity(rows.len());
        for row in rows {
            made.push(row.insert(&txn).await?);
        }
        txn.commit().await?;
        Ok(made)
    }

    pub async fn list_registered_limits(
        &self,
        filter: &LimitFilter,
    ) -> Result<Vec<registered_limit::Model>> {
        let mut query = registered_limit::Entity::find().order_by_asc(registered_limit::Column::Id);
        if let Some(v) = &filter.service_id {
            query = query.filter(registered_limit::Column::ServiceId.eq(v.as_str()));
        }
        if let Some(v) = &filter.region_id {
            query = query.filter(registered_limit::Column::RegionId.eq(v.as_str()));
        }
        if let Some(v) = &filter.resource_name {
            query = query.filter(registered_limit::Column::ResourceName.eq(v.as_str()));
        }
        Ok(query.all(&self.store.db).await?)
    }

    pub async fn get_registered_limit(&self, id: &str) -> Result<registered_limit::Model> {
        registered_limit::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::not_found("registered limit", id))
    }

    async fn registered_in_use(&self, id: &str) -> Result<()> {
        let used = limit::Entity::find()
            .filter(limit::Column::RegisteredLimitId.eq(id))
            .one(&self.store.db)
            .await?
            .is_some();
        if used {
            return Err(Error::Forbidden(format!(
                "Unable to update or delete registered limit {id} because there are project limits associated with it."
            )));
        }
        Ok(())
    }

    /// Updates a registered limit; what it names cannot change while limits use it.
    pub async fn update_registered_limit(
        &self,
        id: &str,
        body: Map<String, Value>,
    ) -> Result<registered_limit::Model> {
        let allowed = [
            "service_id",
            "region_id",
            "resource_name",
            "default_limit",
            "description",
        ];
        let f = Fields::new(body, &allowed)?;
        if f.0.is_empty() {
            return Err(bad("", "{} does not have enough properties"));
        }
        let current = self.get_registered_limit(id).await?;
        let service_id = f
            .text("service_id", 64)?
            .unwrap_or(current.service_id.clone());
        let region_id = if f.has("region_id") {
            f.text("region_id", 255)?
        } else {
            current.region_id.clone()
        };
        let resource_name = f
            .text("resource_name", 255)?
            .unwrap_or(current.resource_name.clone());
        let renamed = service_id != current.service_id
            || region_id != current.region_id
            || resource_name != current.resource_name;
        if renamed {
            self.registered_in_use(id).await?;
            self.check_service_and_region(&service_id, region_id.as_deref(), "registered_limit")
                .await?;
            if self
                .find_registered(&service_id, region_id.as_deref(), &resource_name)
                .await?
                .is_some()
            {
                return Err(Error::Conflict {
                    kind: "registered_limit",
                    detail: "Duplicate entry".into(),
                });
            }
        }
        let default_limit = f.count("default_limit")?;
        let description = f.description()?;
        let mut row = current.into_active_model();
        row.service_id = Set(service_id);
        row.region_id = Set(region_id);
        row.resource_name = Set(resource_name);
        if let Some(limit) = default_limit {
            row.default_limit = Set(limit);
        }
        if let Some(description) = description {
            row.description = Set(description);
        }
        Ok(row.update(&self.store.db).await?)
    }

    pub async fn delete_registered_limit(&self, id: &str) -> Result<()> {
        self.get_registered_limit(id).await?;
        self.registered_in_use(id).await?;
        registered_limit::Entity::delete_by_id(id)
            .exec(&self.store.db)
            .await?;
        Ok(())
    }

    async fn limit_view(&self, row: limit::Model) -> Result<LimitView> {
        let registered = self.get_registered_limit(&row.registered_limit_id).await?;
        Ok(LimitView {
            row,
            service_id: registered.service_id,
            region_id: registered.region_id,
            resource_name: registered.resource_name,
        })
    }

    /// Creates project or domain limits for registered resources, all or none.
    pub async fn create_limits(&self, bodies: Vec<Map<String, Value>>) -> Result<Vec<LimitView>> {
        let allowed = [
            "service_id",
            "region_id",
            "project_id",
            "domain_id",
            "resource_name",
            "resource_limit",
            "description",
        ];
        let mut rows = Vec::with_capacity(bodies.len());
        for body in bodies {
            let f = Fields::new(body, &allowed)?;
            let service_id = f.required_text("service_id", 64)?;
            let region_id = f.text("region_id", 255)?;
            let resource_name = f.required_text("resource_name", 255)?;
            let resource_limit = f
                .count("resource_limit")?
                .ok_or_else(|| super::validate::required("resource_limit"))?;
            let (project_id, domain_id) = (f.text("project_id", 64)?, f.text("domain_id", 64)?);
            match (&project_id, &domain_id) {
                (Some(p), None) => {
                    self.get_project(p)
                        .await
                        .map_err(|_| missing_reference("project_id", "limit"))?;
                }
                (None, Some(d)) => {
                    self.get_domain(d)
                        .await
                        .map_err(|_| missing_reference("domain_id", "limit"))?;
                }
                _ => {
                    return Err(bad(
                        "",
                        "a limit needs exactly one of 'project_id' and 'domain_id'",
                    ))
                }
            }
            self.check_service_and_region(&service_id, region_id.as_deref(), "limit")
                .await?;
            let registered = self
                .find_registered(&service_id, region_id.as_deref(), &resource_name)
                .await?
                .ok_or_else(|| {
                    Error::Forbidden(
                        "Unable to create a limit that has no corresponding registered limit."
                            .into(),
                    )
                })?;
            let mut duplicate = limit::Entity::find()
                .filter(limit::Column::RegisteredLimitId.eq(registered.id.as_str()));
            duplicate = match (&project_id, &domain_id) {
                (Some(p), _) => duplicate.filter(limit::Column::ProjectId.eq(p.as_str())),
                (_, Some(d)) => duplicate.filter(limit::Column::DomainId.eq(d.as_str())),
                _ => duplicate,
            };
            let repeated = rows.iter().any(|r: &limit::ActiveModel| {
                r.registered_limit_id.as_ref() == &registered.id
                    && r.project_id.as_ref() == &project_id
                    && r.domain_id.as_ref() == &domain_id
            });
            if repeated || duplicate.one(&self.store.db).await?.is_some() {
                return Err(Error::Conflict {
                    kind: "project_limit",
                    detail: "Duplicate entry".into(),
                });
            }
            rows.push(limit::ActiveModel {
                id: Set(new_id()),
                project_id: Set(project_id),
                domain_id: Set(domain_id),
                registered_limit_id: Set(registered.id),
                resource_limit: Set(resource_limit),
                description: Set(f.description()?.flatten()),
            });
        }
        let txn = self.store.db.begin().await?;
        let mut made = Vec::with_capacity(rows.len());
        for row in rows {
            made.push(row.insert(&txn).await?);
        }
        txn.commit().await?;
        let mut views = Vec::with_capacity(made.len());
        for row in made {
            views.push(self.limit_view(row).await?);
        }
        Ok(views)
    }

    pub async fn list_limits(&self, filter: &LimitFilter) -> Result<Vec<LimitView>> {
        let registered: Vec<String> = self
            .list_registered_limits(filter)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        let mut query = limit::Entity::find()
            .filter(limit::Column::RegisteredLimitId.is_in(registered))
            .order_by_asc(limit::Column::Id);
        if let Some(v) = &filter.project_id {
            query = query.filter(limit::Column::ProjectId.eq(v.as_str()));
        }
        if let Some(v) = &filter.domain_id {
            query = query.filter(limit::Column::DomainId.eq(v.as_str()));
        }
        let mut views = Vec::new();
        for row in query.all(&self.store.db).await? {
            views.push(self.limit_view(row).await?);
        }
        Ok(views)
    }

    pub async fn get_limit(&self, id: &str) -> Result<LimitView> {
        let row = limit::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::not_found("limit", id))?;
        self.limit_view(row).await
    }

    /// Updates a limit's value and description (nothing else may change).
    pub async fn update_limit(&self, id: &str, body: Map<String, Value>) -> Result<LimitView> {
        let f = Fields::new(body, &["resource_limit", "description"])?;
        if f.0.is_empty() {
            return Err(bad("", "{} does not have enough properties"));
        }
        let current = self.get_limit(id).await?;
        let mut row = current.row.into_active_model();
        if let Some(value) = f.count("resource_limit")? {
            row.resource_limit = Set(value);
        }
        if let Some(description) = f.description()? {
            row.description = Set(description);
        }
        let row = row.update(&self.store.db).await?;
        self.limit_view(row).await
    }

    pub async fn delete_limit(&self, id: &str) -> Result<()> {
        let gone = limit::Entity::delete_by_id(id).exec(&self.store.db).await?;
        if gone.rows_affected == 0 {
            return Err(Error::not_found("limit", id));
        }
        Ok(())
    }

    /// Removes the limits of a deleted project or domain.
    pub(crate) async fn forget_limits<C: sea_orm::ConnectionTrait>(
        conn: &C,
        owner_id: &str,
    ) -> Result<()> {
        limit::Entity::delete_many()
            .filter(
                limit::Column::ProjectId
                    .eq(owner_id)
                    .or(limit::Column::DomainId.eq(owner_id)),
            )
            .exec(conn)
            .await?;
        Ok(())
    }
}
