use std::sync::Arc;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{new_id, Error, Extra, Identity, Result};
use crate::db::entity::{endpoint, region, service};

/// Fields of a region create or update request.
#[derive(Debug, Default, Deserialize)]
pub struct RegionInput {
    pub id: Option<String>,
    pub description: Option<String>,
    pub parent_region_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Fields of a service create or update request (`name`, `description` are extras).
#[derive(Debug, Default, Deserialize)]
pub struct ServiceInput {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub enabled: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Fields of an endpoint create or update request.
#[derive(Debug, Default, Deserialize)]
pub struct EndpointInput {
    pub service_id: Option<String>,
    pub interface: Option<String>,
    pub url: Option<String>,
    pub region_id: Option<String>,
    /// Legacy spelling of `region_id`.
    pub region: Option<String>,
    pub enabled: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

const INTERFACES: [&str; 3] = ["public", "internal", "admin"];

impl Identity {
    pub async fn create_region(&self, input: RegionInput) -> Result<region::Model> {
        let id = input.id.unwrap_or_else(new_id);
        super::validate::name("id", &id, 255)?;
        if let Some(parent) = &input.parent_region_id {
            self.get_region(parent).await?;
        }
        let mut extra = Extra::default();
        extra.merge(input.extra);
        let row = region::ActiveModel {
            id: Set(id.clone()),
            description: Set(input.description),
            parent_region_id: Set(input.parent_region_id),
            extra: Set(extra.to_column()),
        }
        .insert(&self.store.db)
        .await
        .map_err(|e| Error::from_write("region", || format!("Duplicate ID, {id}."))(e.into()))?;
        self.changed().await?;
        self.notify("created", "region", &row.id);
        Ok(row)
    }

    pub async fn get_region(&self, id: &str) -> Result<region::Model> {
        region::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::not_found("region", id))
    }

    pub async fn list_regions(&self, parent_region_id: Option<&str>) -> Result<Vec<region::Model>> {
        let mut query = region::Entity::find().order_by_asc(region::Column::Id);
        if let Some(parent) = parent_region_id {
            query = query.filter(region::Column::ParentRegionId.eq(parent));
        }
        Ok(query.all(&self.store.db).await?)
    }

    pub async fn update_region(&self, id: &str, input: RegionInput) -> Result<region::Model> {
        let current = self.get_region(id).await?;
        let mut extra = Extra::parse(&current.extra);
        let mut row = current.into_active_model();
        if input.description.is_some() {
            row.description = Set(input.description);
        }
        if let Some(parent) = input.parent_region_id {
            if parent == id {
                return Err(Error::invalid(format!(
                    "Circular reference or a repeated entry found in region tree - {id}."
                )));
            }
            self.get_region(&parent).await?;
            row.parent_region_id = Set(Some(parent));
        }
        extra.merge(input.extra);
        row.extra = Set(extra.to_column());
        let row = row.update(&self.store.db).await?;
        self.changed().await?;
        self.notify("updated", "region", id);
        Ok(row)
    }

    pub async fn delete_region(&self, id: &str) -> Result<()> {
        self.get_region(id).await?;
        let has_children = region::Entity::find()
            .filter(region::Column::ParentRegionId.eq(id))
            .one(&self.store.db)
            .await?
            .is_some();
        let has_endpoints = endpoint::Entity::find()
            .filter(endpoint::Column::RegionId.eq(id))
            .one(&self.store.db)
            .await?
            .is_some();
        if has_children || has_endpoints {
            return Err(Error::Forbidden(format!(
                "Unable to delete region {id} because it or its child regions have associated endpoints."
            )));
        }
        region::Entity::delete_by_id(id)
            .exec(&self.store.db)
            .await?;
        self.changed().await?;
        self.notify("deleted", "region", id);
        Ok(())
    }

    pub async fn create_service(&self, input: ServiceInput) -> Result<service::Model> {
        let kind = input
            .kind
            .ok_or_else(|| super::validate::required("type"))?;
        super::validate::name("type", &kind, 255)?;
        let mut extra = Extra::default();
        extra.merge(input.extra);
        let row = service::ActiveModel {
            id: Set(new_id()),
            kind: Set(kind),
            enabled: Set(input.enabled.unwrap_or(true)),
            extra: Set(extra.to_column()),
        }
        .insert(&self.store.db)
        .await?;
        self.changed().await?;
        self.notify("created", "service", &row.id);
        Ok(row)
    }

    pub async fn get_service(&self, id: &str) -> Result<service::Model> {
        service::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::not_found("service", id))
    }

    pub async fn list_services(
        &self,
        kind: Option<&str>,
        name: Option<&str>,
    ) -> Result<Vec<service::Model>> {
        let mut query = service::Entity::find().order_by_asc(service::Column::Kind);
        if let Some(kind) = kind {
            query = query.filter(service::Column::Kind.eq(kind));
        }
        let rows = query.all(&self.store.db).await?;
        Ok(rows
            .into_iter()
            .filter(|s| name.is_none_or(|n| Extra::parse(&s.extra).get_str("name") == Some(n)))
            .collect())
    }

    pub async fn update_service(&self, id: &str, input: ServiceInput) -> Result<service::Model> {
        let current = self.get_service(id).await?;
        let mut extra = Extra::parse(&current.extra);
        let mut row = current.into_active_model();
        if let Some(kind) = input.kind {
            super::validate::name("type", &kind, 255)?;
            row.kind = Set(kind);
        }
        if let Some(enabled) = input.enabled {
            row.enabled = Set(enabled);
        }
        extra.merge(input.extra);
        row.extra = Set(extra.to_column());
        let row = row.update(&self.store.db).await?;
        self.changed().await?;
        self.notify("updated", "service", id);
        Ok(row)
    }

    /// Deletes a service and its endpoints.
    pub async fn delete_service(&self, id: &str) -> Result<()> {
        self.get_service(id).await?;
        service::Entity::delete_by_id(id)
            .exec(&self.store.db)
            .await?;
        self.changed().await?;
        self.notify("deleted", "service", id);
        Ok(())
    }

    /// An endpoint's region: `region_id` must exist, while the legacy `region`
    /// is created when it does not, as Keystone does for clients that use the
    /// v3 API as they used v2.
    async fn endpoint_region(
        &self,
        region_id: Option<String>,
        legacy: Option<String>,
    ) -> Result<Option<String>> {
        match (region_id, legacy) {
            (Some(id), _) => {
                referenced("region_id", "region", self.get_region(&id).await)?;
                Ok(Some(id))
            }
            (None, Some(id)) => {
                match self.get_region(&id).await {
                    Err(Error::NotFound { .. }) => {
                        let region = RegionInput {
                            id: Some(id.clone()),
                            ..RegionInput::default()
                        };
                        self.create_region(region).await?;
                    }
                    found => {
                        found?;
                    }
                }
                Ok(Some(id))
            }
            (None, None) => Ok(None),
        }
    }

    pub async fn create_endpoint(&self, input: EndpointInput) -> Result<endpoint::Model> {
        let service_id = input
            .service_id
            .ok_or_else(|| super::validate::required("service_id"))?;
        let interface = input
            .interface
            .ok_or_else(|| super::validate::required("interface"))?;
        let url = input.url.ok_or_else(|| super::validate::required("url"))?;
        check_interface(&interface)?;
        check_url(&url)?;
        referenced("service_id", "service", self.get_service(&service_id).await)?;
        let region_id = self.endpoint_region(input.region_id, input.region).await?;
        let mut extra = Extra::default();
        extra.merge(input.extra);
        let row = endpoint::ActiveModel {
            id: Set(new_id()),
            service_id: Set(service_id),
            interface: Set(interface),
            url: Set(url),
            region_id: Set(region_id),
            enabled: Set(input.enabled.unwrap_or(true)),
            extra: Set(extra.to_column()),
        }
        .insert(&self.store.db)
        .await?;
        self.changed().await?;
        self.notify("created", "endpoint", &row.id);
        Ok(row)
    }

    pub async fn get_endpoint(&self, id: &str) -> Result<endpoint::Model> {
        endpoint::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::not_found("endpoint", id))
    }

    pub async fn list_endpoints(
        &self,
        service_id: Option<&str>,
        interface: Option<&str>,
        region_id: Option<&str>,
    ) -> Result<Vec<endpoint::Model>> {
        let mut query = endpoint::Entity::find().order_by_asc(endpoint::Column::Id);
        if let Some(service_id) = service_id {
            query = query.filter(endpoint::Column::ServiceId.eq(service_id));
        }
        if let Some(interface) = interface {
            query = query.filter(endpoint::Column::Interface.eq(interface));
        }
        if let Some(region_id) = region_id {
            query = query.filter(endpoint::Column::RegionId.eq(region_id));
        }
        Ok(query.all(&self.store.db).await?)
    }

    pub async fn update_endpoint(&self, id: &str, input: EndpointInput) -> Result<endpoint::Model> {
        let current = self.get_endpoint(id).await?;
        let mut extra = Extra::parse(&current.extra);
        let mut row = current.into_active_model();
        if let Some(service_id) = input.service_id {
            referenced("service_id", "service", self.get_service(&service_id).await)?;
            row.service_id = Set(service_id);
        }
        if let Some(interface) = input.interface {
            check_interface(&interface)?;
            row.interface = Set(interface);
        }
        if let Some(url) = input.url {
            check_url(&url)?;
            row.url = Set(url);
        }
        if let Some(region_id) = self.endpoint_region(input.region_id, input.region).await? {
            row.region_id = Set(Some(region_id));
        }
        if let Some(enabled) = input.enabled {
            row.enabled = Set(enabled);
        }
        extra.merge(input.extra);
        row.extra = Set(extra.to_column());
        let row = row.update(&self.store.db).await?;
        self.changed().await?;
        self.notify("updated", "endpoint", id);
        Ok(row)
    }

    pub async fn delete_endpoint(&self, id: &str) -> Result<()> {
        self.get_endpoint(id).await?;
        let txn = self.store.db.begin().await?;
        Identity::forget_endpoint_filter(&txn, None, Some(id)).await?;
        endpoint::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        self.changed().await?;
        self.notify("deleted", "endpoint", id);
        Ok(())
    }

    /// The catalog as Keystone puts it in tokens, URLs still templated.
    async fn raw_catalog(&self) -> Result<Arc<Value>> {
        if let Some(catalog) = self.cache.catalog() {
            return Ok(catalog);
        }
        let generation = self.cache.generation();
        let services = service::Entity::find()
            .filter(service::Column::Enabled.eq(true))
            .order_by_asc(service::Column::Kind)
            .all(&self.store.db)
            .await?;
        let endpoints = endpoint::Entity::find()
            .filter(endpoint::Column::Enabled.eq(true))
            .order_by_asc(endpoint::Column::Id)
            .all(&self.store.db)
            .await?;
        let entries: Vec<Value> = services
            .iter()
            .map(|s| {
                let extra = Extra::parse(&s.extra);
                let endpoints: Vec<Value> = endpoints
                    .iter()
                    .filter(|e| e.service_id == s.id)
                    .map(|e| {
                        json!({
                            "id": e.id,
                            "interface": e.interface,
                            "region": e.region_id,
                            "region_id": e.region_id,
                            "url": e.url,
                        })
                    })
                    .collect();
                json!({
                    "endpoints": endpoints,
                    "id": s.id,
                    "type": s.kind,
                    "name": extra.get_str("name").unwrap_or_default(),
                })
            })
            .collect();
        let catalog = Arc::new(Value::Array(entries));
        self.cache.put_catalog(generation, catalog.clone());
        Ok(catalog)
    }

    /// The catalog for a token as JSON text: `%(project_id)s`/`$(project_id)s`
    /// substituted, and endpoints needing a project dropped when there is none.
    /// Rendered once per project until the next write.
    pub async fn catalog_for(&self, project_id: Option<&str>) -> Result<Arc<str>> {
        let key = project_id.unwrap_or_default();
        if let Some(rendered) = self.cache.project_catalog(key) {
            return Ok(rendered);
        }
        let generation = self.cache.generation();
        let mut catalog = (*self.raw_catalog().await?).clone();
        let allowed = match project_id {
            Some(project_id) => self.project_endpoint_filter(project_id).await?,
            None => None,
        };
        if let Value::Array(services) = &mut catalog {
            for service in services.iter_mut() {
                if let Some(Value::Array(endpoints)) = service.get_mut("endpoints") {
                    endpoints.retain_mut(|endpoint| {
                        if let Some(allowed) = &allowed {
                            let id = endpoint.get("id").and_then(Value::as_str);
                            if !id.is_some_and(|id| allowed.contains(id)) {
                                return false;
                            }
                        }
                        let Some(url) = endpoint.get("url").and_then(Value::as_str) else {
                            return false;
                        };
                        match substitute(url, project_id) {
                            Some(url) => {
                                endpoint["url"] = Value::String(url);
                                true
                            }
                            None => false,
                        }
                    });
                }
            }
            if allowed.is_some() {
                // A filtered catalog lists only the services it kept endpoints of.
                services.retain(|service| {
                    service["endpoints"]
                        .as_array()
                        .is_some_and(|e| !e.is_empty())
                });
            }
        }
        let rendered: Arc<str> = Arc::from(catalog.to_string());
        self.cache
            .put_project_catalog(generation, key, rendered.clone());
        Ok(rendered)
    }
}

fn check_interface(interface: &str) -> Result<()> {
    if INTERFACES.contains(&interface) {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "Invalid input for field 'interface': '{interface}' is not one of ['admin', 'internal', 'public']"
        )))
    }
}

fn check_url(url: &str) -> Result<()> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "Invalid input for field 'url': '{url}' is not a valid URL"
        )))
    }
}

/// Fills `%(project_id)s`, `$(project_id)s` and their `tenant_id` twins; `None` when
/// the URL needs a project and there is none.
fn substitute(url: &str, project_id: Option<&str>) -> Option<String> {
    const KEYS: [&str; 4] = [
        "%(project_id)s",
        "$(project_id)s",
        "%(tenant_id)s",
        "$(tenant_id)s",
    ];
    if !KEYS.iter().any(|k| url.contains(k)) {
        return Some(url.to_string());
    }
    let project_id = project_id?;
    Some(
        KEYS.iter()
            .fold(url.to_string(), |acc, k| acc.replace(k, project_id)),
    )
}

/// An endpoint naming a missing service or region is a bad request upstream (400),
/// not a missing resource.
fn referenced<T>(field: &str, table: &str, found: Result<T>) -> Result<()> {
    match found {
        Ok(_) => Ok(()),
        Err(Error::NotFound { .. }) => Err(Error::invalid(format!(
            "Expecting to find endpoint {field} in {table} table."
        ))),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::substitute;

    #[test]
    fn project_templates() {
        assert_eq!(
            substitute("http://h/v3/%(project_id)s", Some("p")).unwrap(),
            "http://h/v3/p"
        );
        assert_eq!(
            substitute("http://h/v1/AUTH_$(tenant_id)s", Some("p")).unwrap(),
            "http://h/v1/AUTH_p"
        );
        assert_eq!(substitute("http://h/v3/%(project_id)s", None), None);
        assert_eq!(
            substitute("http://h:5000/v3", None).unwrap(),
            "http://h:5000/v3"
        );
    }
}
