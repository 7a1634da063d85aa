//! OS-EP-FILTER: endpoint groups (named filters over the catalog's endpoints),
//! and the endpoints and endpoint groups associated with projects. A project with
//! any association sees only those endpoints in its tokens' catalogs.

use std::collections::HashSet;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{new_id, Error, Identity, Result};
use crate::db::entity::{endpoint, endpoint_group, project_endpoint, project_endpoint_group};

/// Fields of an endpoint group create or update request.
#[derive(Debug, Default, Deserialize)]
pub struct EndpointGroupInput {
    pub name: Option<Value>,
    pub description: Option<Value>,
    pub filters: Option<Value>,
    #[serde(flatten)]
    pub unknown: Map<String, Value>,
}

/// An endpoint group with its filters parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointGroup {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub filters: Map<String, Value>,
}

impl EndpointGroup {
    fn from_row(row: endpoint_group::Model) -> Self {
        let filters = match serde_json::from_str(&row.filters) {
            Ok(Value::Object(filters)) => filters,
            _ => Map::new(),
        };
        EndpointGroup {
            id: row.id,
            name: row.name,
            description: row.description,
            filters,
        }
    }

    /// Whether an endpoint matches every filter.
    pub fn matches(&self, e: &endpoint::Model) -> bool {
        self.filters.iter().all(|(key, want)| {
            let have = match key.as_str() {
                "interface" => Some(e.interface.as_str()),
                "service_id" => Some(e.service_id.as_str()),
                "region_id" => e.region_id.as_deref(),
                _ => None,
            };
            have == want.as_str()
        })
    }
}

fn string_field(field: &str, value: &Value, max: usize) -> Result<String> {
    match value {
        Value::String(s) if s.chars().count() <= max => Ok(s.clone()),
        Value::String(s) => Err(Error::invalid(format!(
            "Invalid input for field '{field}': '{s}' is too long"
        ))),
        other => Err(Error::invalid(format!(
            "Invalid input for field '{field}': {other} is not of type 'string'"
        ))),
    }
}

fn description(value: &Value) -> Result<Option<String>> {
    match value {
        Value::Null => Ok(None),
        other => string_field("description", other, usize::MAX).map(Some),
    }
}

/// Filters as Keystone takes them: a non-empty object of the three known keys,
/// `interface` one of Keystone's three, the ids strings (a region may be null).
fn filters(value: &Value) -> Result<Map<String, Value>> {
    let filters = match value {
        Value::Object(filters) if !filters.is_empty() => filters,
        Value::Object(_) | Value::Null => {
            return Err(Error::invalid(
                "filters field is required and cannot be empty",
            ))
        }
        other => {
            return Err(Error::invalid(format!(
                "Invalid input for field 'filters': {other} is not of type 'object'"
            )))
        }
    };
    for (key, value) in filters {
        match (key.as_str(), value) {
            ("interface", Value::String(i)) if ["admin", "internal", "public"].contains(&i.as_str()) => {}
            ("interface", other) => {
                return Err(Error::invalid(format!(
                    "Invalid input for field 'filters/interface': {other} is not one of ['admin', 'internal', 'public']"
                )))
            }
            ("region_id", Value::Null) => {}
            ("service_id" | "region_id", Value::String(s)) => {
                string_field(key, &Value::String(s.clone()), 255)?;
            }
            ("service_id" | "region_id", other) => {
                return Err(Error::invalid(format!(
                    "Invalid input for field 'filters/{key}': {other} is not of type 'string'"
                )))
            }
            _ => {
                return Err(Error::invalid(
                    "Expecting to find service_id or region_id or interface in endpoint_group. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.",
                ))
            }
        }
    }
    Ok(filters.clone())
}

fn no_unknown(unknown: &Map<String, Value>) -> Result<()> {
    match unknown.keys().next() {
        Some(key) => Err(Error::invalid(format!(
            "Invalid input for field '': Additional properties are not allowed ('{key}' was unexpected)"
        ))),
        None => Ok(()),
    }
}

impl Identity {
    pub async fn create_endpoint_group(&self, input: EndpointGroupInput) -> Result<EndpointGroup> {
        no_unknown(&input.unknown)?;
        let name = input
            .name
            .as_ref()
            .ok_or_else(|| super::validate::required("name"))?;
        let name = string_field("name", name, 255)?;
        super::validate::name("name", &name, 255)?;
        let filters = filters(input.filters.as_ref().unwrap_or(&Value::Null))?;
        let row = endpoint_group::ActiveModel {
            id: Set(new_id()),
            name: Set(name),
            description: Set(input
                .description
                .as_ref()
                .map(description)
                .transpose()?
                .flatten()),
            filters: Set(Value::Object(filters).to_string()),
        }
        .insert(&self.store.db)
        .await?;
        self.notify("created", "endpoint_group", &row.id);
        Ok(EndpointGroup::from_row(row))
    }

    pub async fn get_endpoint_group(&self, id: &str) -> Result<EndpointGroup> {
        endpoint_group::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .map(EndpointGroup::from_row)
            .ok_or_else(|| Error::not_found("endpoint group", id))
    }

    pub async fn list_endpoint_groups(&self, name: Option<&str>) -> Result<Vec<EndpointGroup>> {
        let mut query = endpoint_group::Entity::find().order_by_asc(endpoint_group::Column::Id);
        if let Some(name) = name {
            query = query.filter(endpoint_group::Column::Name.eq(name));
        }
        Ok(query
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(EndpointGroup::from_row)
            .collect())
    }

    pub async fn update_endpoint_group(
        &self,
        id: &str,
        input: EndpointGroupInput,
    ) -> Result<EndpointGroup> {
        no_unknown(&input.unknown)?;
        if input.name.is_none() && input.description.is_none() && input.filters.is_none() {
            return Err(Error::invalid(
                "Invalid input for field '': {} does not have enough properties",
            ));
        }
        let current = endpoint_group::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::not_found("endpoint group", id))?;
        let mut row = current.into_active_model();
        if let Some(name) = &input.name {
            let name = string_field("name", name, 255)?;
            super::validate::name("name", &name, 255)?;
            row.name = Set(name);
        }
        if let Some(value) = &input.description {
            row.description = Set(description(value)?);
        }
        if let Some(value) = &input.filters {
            row.filters = Set(Value::Object(filters(value)?).to_string());
        }
        let row = row.update(&self.store.db).await?;
        self.changed().await?;
        self.notify("updated", "endpoint_group", id);
        Ok(EndpointGroup::from_row(row))
    }

    /// Deletes an endpoint group and its project associations.
    pub async fn delete_endpoint_group(&self, id: &str) -> Result<()> {
        let txn = self.store.db.begin().await?;
        project_endpoint_group::Entity::delete_many()
            .filter(project_endpoint_group::Column::EndpointGroupId.eq(id))
            .exec(&txn)
            .await?;
        let gone = endpoint_group::Entity::delete_by_id(id).exec(&txn).await?;
        if gone.rows_affected == 0 {
            return Err(Error::not_found("endpoint group", id));
        }
        txn.commit().await?;
        self.changed().await?;
        self.notify("deleted", "endpoint_group", id);
        Ok(())
    }

    /// The endpoints an endpoint group's filters select.
    pub async fn endpoints_in_group(&self, id: &str) -> Result<Vec<endpoint::Model>> {
        let group = self.get_endpoint_group(id).await?;
        let endpoints = self.list_endpoints(None, None, None).await?;
        Ok(endpoints.into_iter().filter(|e| group.matches(e)).collect())
    }

    pub async fn add_endpoint_group_to_project(
        &self,
        group_id: &str,
        project_id: &str,
    ) -> Result<()> {
        self.get_project(project_id).await?;
        self.get_endpoint_group(group_id).await?;
        project_endpoint_group::ActiveModel {
            endpoint_group_id: Set(group_id.to_string()),
            project_id: Set(project_id.to_string()),
        }
        .insert(&self.store.db)
        .await
        .map_err(|e| {
            Error::from_write("project_endpoint_group", || "Duplicate entry.".into())(e.into())
        })?;
        self.changed().await?;
        Ok(())
    }

    /// Checks an endpoint group's association with a project.
    pub async fn check_endpoint_group_in_project(
        &self,
        group_id: &str,
        project_id: &str,
    ) -> Result<()> {
        self.get_project(project_id).await?;
        self.get_endpoint_group(group_id).await?;
        project_endpoint_group::Entity::find_by_id((group_id.to_string(), project_id.to_string()))
            .one(&self.store.db)
            .await?
            .map(|_| ())
            .ok_or_else(|| {
                Error::NotFoundDetail("Endpoint Group Project Association not found".into())
            })
    }

    pub async fn remove_endpoint_group_from_project(
        &self,
        group_id: &str,
        project_id: &str,
    ) -> Result<()> {
        self.check_endpoint_group_in_project(group_id, project_id)
            .await?;
        project_endpoint_group::Entity::delete_by_id((
            group_id.to_string(),
            project_id.to_string(),
        ))
        .exec(&self.store.db)
        .await?;
        self.changed().await?;
        Ok(())
    }

    /// The ids of the projects an endpoint group is associated with (none for an
    /// unknown group, as Keystone answers).
    pub async fn projects_of_endpoint_group(&self, group_id: &str) -> Result<Vec<String>> {
        Ok(project_endpoint_group::Entity::find()
            .filter(project_endpoint_group::Column::EndpointGroupId.eq(group_id))
            .order_by_asc(project_endpoint_group::Column::ProjectId)
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|row| row.project_id)
            .collect())
    }

    /// The endpoint groups associated with a project.
    pub async fn endpoint_groups_of_project(&self, project_id: &str) -> Result<Vec<EndpointGroup>> {
        self.get_project(project_id).await?;
        let ids: Vec<String> = project_endpoint_group::Entity::find()
            .filter(project_endpoint_group::Column::ProjectId.eq(project_id))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|row| row.endpoint_group_id)
            .collect();
        Ok(endpoint_group::Entity::find()
            .filter(endpoint_group::Column::Id.is_in(ids))
            .order_by_asc(endpoint_group::Column::Id)
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(EndpointGroup::from_row)
            .collect())
    }

    pub async fn add_endpoint_to_project(&self, project_id: &str, endpoint_id: &str) -> Result<()> {
        self.get_endpoint(endpoint_id).await?;
        self.get_project(project_id).await?;
        project_endpoint::ActiveModel {
            endpoint_id: Set(endpoint_id.to_string()),
            project_id: Set(project_id.to_string()),
        }
        .insert(&self.store.db)
        .await
        .map_err(|e| {
            Error::from_write("project_endpoint", || "Duplicate entry.".into())(e.into())
        })?;
        self.changed().await?;
        Ok(())
    }

    /// Checks an endpoint's direct association with a project.
    pub async fn check_endpoint_in_project(
        &self,
        project_id: &str,
        endpoint_id: &str,
    ) -> Result<()> {
        self.get_endpoint(endpoint_id).await?;
        self.get_project(project_id).await?;
        project_endpoint::Entity::find_by_id((endpoint_id.to_string(), project_id.to_string()))
            .one(&self.store.db)
            .await?
            .map(|_| ())
            .ok_or_else(|| {
                Error::NotFoundDetail(format!(
                    "Endpoint {endpoint_id} not found in project {project_id}"
                ))
            })
    }

    pub async fn remove_endpoint_from_project(
        &self,
        project_id: &str,
        endpoint_id: &str,
    ) -> Result<()> {
        self.check_endpoint_in_project(project_id, endpoint_id)
            .await?;
        project_endpoint::Entity::delete_by_id((endpoint_id.to_string(), project_id.to_string()))
            .exec(&self.store.db)
            .await?;
        self.changed().await?;
        Ok(())
    }

    /// The ids of the projects an endpoint is directly associated with.
    pub async fn projects_of_endpoint(&self, endpoint_id: &str) -> Result<Vec<String>> {
        self.get_endpoint(endpoint_id).await?;
        Ok(project_endpoint::Entity::find()
            .filter(project_endpoint::Column::EndpointId.eq(endpoint_id))
            .order_by_asc(project_endpoint::Column::ProjectId)
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|row| row.project_id)
            .collect())
    }

    /// The endpoints a project is associated with, directly or through its endpoint
    /// groups (`GET /OS-EP-FILTER/projects/{id}/endpoints`).
    pub async fn endpoints_of_project(&self, project_id: &str) -> Result<Vec<endpoint::Model>> {
        self.get_project(project_id).await?;
        let allowed = self.project_endpoint_filter(project_id).await?;
        let endpoints = self.list_endpoints(None, None, None).await?;
        Ok(endpoints
            .into_iter()
            .filter(|e| allowed.as_ref().is_some_and(|a| a.contains(&e.id)))
            .collect())
    }

    /// The endpoint ids a project's catalog is restricted to; `None` when the
    /// project's associations select no endpoint (its catalog is the whole catalog).
    pub(crate) async fn project_endpoint_filter(
        &self,
        project_id: &str,
    ) -> Result<Option<HashSet<String>>> {
        let direct = project_endpoint::Entity::find()
            .filter(project_endpoint::Column::ProjectId.eq(project_id))
            .all(&self.store.db)
            .await?;
        let group_ids: Vec<String> = project_endpoint_group::Entity::find()
            .filter(project_endpoint_group::Column::ProjectId.eq(project_id))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|row| row.endpoint_group_id)
            .collect();
        if direct.is_empty() && group_ids.is_empty() {
            return Ok(None);
        }
        let mut allowed: HashSet<String> = direct.into_iter().map(|row| row.endpoint_id).collect();
        if !group_ids.is_empty() {
            let groups: Vec<EndpointGroup> = endpoint_group::Entity::find()
                .filter(endpoint_group::Column::Id.is_in(group_ids))
                .all(&self.store.db)
                .await?
                .into_iter()
                .map(EndpointGroup::from_row)
                .collect();
            for e in self.list_endpoints(None, None, None).await? {
                if groups.iter().any(|g| g.matches(&e)) {
                    allowed.insert(e.id);
                }
            }
        }
        // Associations selecting nothing leave the whole catalog, as Keystone does.
        Ok((!allowed.is_empty()).then_some(allowed))
    }

    /// Removes every endpoint-filter association of a deleted project or endpoint.
    pub(crate) async fn forget_endpoint_filter<C: sea_orm::ConnectionTrait>(
        conn: &C,
        project_id: Option<&str>,
        endpoint_id: Option<&str>,
    ) -> Result<()> {
        if let Some(project_id) = project_id {
            project_endpoint::Entity::delete_many()
                .filter(project_endpoint::Column::ProjectId.eq(project_id))
                .exec(conn)
                .await?;
            project_endpoint_group::Entity::delete_many()
                .filter(project_endpoint_group::Column::ProjectId.eq(project_id))
                .exec(conn)
                .await?;
        }
        if let Some(endpoint_id) = endpoint_id {
            project_endpoint::Entity::delete_many()
                .filter(project_endpoint::Column::EndpointId.eq(endpoint_id))
                .exec(conn)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn endpoint(interface: &str, service: &str, region: Option<&str>) -> endpoint::Model {
        endpoint::Model {
            id: "e".into(),
            service_id: service.into(),
            interface: interface.into(),
            url: "http://h".into(),
            region_id: region.map(str::to_string),
            enabled: true,
            extra: None,
        }
    }

    #[test]
    fn filters_select_endpoints() {
        let group = EndpointGroup {
            id: "g".into(),
            name: "n".into(),
            description: None,
            filters: filters(&json!({"service_id": "s", "interface": "public"})).unwrap(),
        };
        assert!(group.matches(&endpoint("public", "s", None)));
        assert!(!group.matches(&endpoint("admin", "s", None)));
        assert!(!group.matches(&endpoint("public", "t", None)));
        let by_region = EndpointGroup {
            filters: filters(&json!({"region_id": "r"})).unwrap(),
            ..group
        };
        assert!(by_region.matches(&endpoint("admin", "s", Some("r"))));
        assert!(!by_region.matches(&endpoint("admin", "s", None)));
        let no_region = EndpointGroup {
            filters: filters(&json!({"region_id": null})).unwrap(),
            ..by_region
        };
        assert!(no_region.matches(&endpoint("admin", "s", None)));
    }

    #[test]
    fn bad_filters_are_refused() {
        assert!(filters(&json!({"name": "x"})).is_err());
        assert!(filters(&json!({"service_id": 3})).is_err());
        assert!(filters(&json!("service_id")).is_err());
        assert!(filters(&json!({})).is_err());
        assert!(filters(&json!({"interface": "sideways"})).is_err());
        assert!(filters(&json!({"enabled": true})).is_err());
        assert!(filters(&json!({"region_id": null})).is_ok());
    }
}
