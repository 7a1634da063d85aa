//! What a namespace holds — objects, properties and tags — and the resource
//! types it is associated with.

use serde_json::{Map, Value};

use super::bodies;
use super::model::{Association, Item, Kind, Namespace, ResourceType};
use crate::domain::{Caller, Glance, ImageError, Result};

/// A tag list request (tags page; objects and properties do not).
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    pub limit: Option<usize>,
    pub marker: Option<String>,
    pub sort_dir: Option<String>,
}

/// Glance's words for each kind: (rule stem, what a 404 calls it, what a 409
/// calls it).
fn words(kind: Kind) -> (&'static str, &'static str, &'static str) {
    match kind {
        Kind::Object => ("object", "metadata object", "metadata definition object"),
        Kind::Property => ("property", "property", "metadata definition property"),
        Kind::Tag => ("tag", "metadata tag", "metadata tag"),
    }
}

fn rule(kind: Kind, verb: &str) -> String {
    let stem = words(kind).0;
    match (kind, verb) {
        (Kind::Property, "delete") => "remove_metadef_property".into(),
        (Kind::Property, "list") => "get_metadef_properties".into(),
        (_, "list") => format!("get_metadef_{stem}s"),
        _ => format!("{verb}_metadef_{stem}"),
    }
}

fn missing(kind: Kind, name: &str) -> ImageError {
    ImageError::NotFound(format!("Could not find {} {name}", words(kind).1))
}

fn duplicate(kind: Kind, name: &str, ns: &Namespace) -> ImageError {
    let tail = if kind == Kind::Tag {
        " (Please note that metadata tag names are case insensitive)."
    } else {
        ""
    };
    ImageError::Conflict(format!(
        "A {} with name={name} already exists in namespace={}.{tail}",
        words(kind).2,
        ns.namespace
    ))
}

impl Glance {
    /// A namespace's objects, properties or tags (tags paged, newest first by
    /// default).
    pub async fn list_metadef_items(
        &self,
        caller: &Caller,
        namespace: &str,
        kind: Kind,
        query: &ItemQuery,
    ) -> Result<Vec<Item>> {
        let ns = self
            .namespace_for(caller, namespace, &rule(kind, "list"))
            .await?;
        let mut items = self.repo.metadef_items(&ns.id, kind).await?;
        if kind != Kind::Tag {
            return Ok(items);
        }
        match query.sort_dir.as_deref() {
            None | Some("desc") => items.reverse(),
            Some("asc") => {}
            Some(other) => {
                return Err(ImageError::BadRequest(format!(
                    "Invalid sort direction: {other}"
                )))
            }
        }
        if let Some(marker) = &query.marker {
            let at = items
                .iter()
                .position(|t| t.name == *marker)
                .ok_or_else(|| missing(kind, marker))?;
            items.drain(..=at);
        }
        if let Some(limit) = query.limit.filter(|l| *l > 0) {
            items.truncate(limit);
        }
        Ok(items)
    }

    /// Creates an object or property from its body, or a tag named `name`.
    pub async fn create_metadef_item(
        &self,
        caller: &Caller,
        namespace: &str,
        kind: Kind,
        body: &Value,
    ) -> Result<Item> {
        let ns = self
            .namespace_for(caller, namespace, &rule(kind, "add"))
            .await?;
        let (name, fields) = parse(kind, body)?;
        if self.taken(&ns, kind, &name, None).await? {
            return Err(duplicate(kind, &name, &ns));
        }
        let mut added = self
            .repo
            .add_metadef_items(&ns.id, kind, &[(name.clone(), fields)], false)
            .await
            .map_err(|e| conflict(e, kind, &name, &ns))?;
        added.pop().ok_or_else(|| missing(kind, &name))
    }

    /// Adds tags; unless `append`, the namespace's other tags go (admin).
    pub async fn create_metadef_tags(
        &self,
        caller: &Caller,
        namespace: &str,
        body: &Value,
        append: bool,
    ) -> Result<Vec<Item>> {
        let ns = self
            .namespace_for(caller, namespace, "add_metadef_tags")
            .await?;
        let names = bodies::tags(body)?;
        let mut seen: Vec<String> = if append {
            self.repo
                .metadef_items(&ns.id, Kind::Tag)
                .await?
                .into_iter()
                .map(|t| t.name.to_lowercase())
                .collect()
        } else {
            Vec::new()
        };
        for name in &names {
            if seen.contains(&name.to_lowercase()) {
                return Err(duplicate(Kind::Tag, name, &ns));
            }
            seen.push(name.to_lowercase());
        }
        let items: Vec<(String, Map<String, Value>)> =
            names.into_iter().map(|n| (n, Map::new())).collect();
        Ok(self
            .repo
            .add_metadef_items(&ns.id, Kind::Tag, &items, !append)
            .await?)
    }

    /// One object, property or tag; a property asked for a resource type is
    /// named with that association's prefix.
    pub async fn show_metadef_item(
        &self,
        caller: &Caller,
        namespace: &str,
        kind: Kind,
        name: &str,
        resource_type: Option<&str>,
    ) -> Result<Item> {
        let ns = self
            .namespace_for(caller, namespace, &rule(kind, "get"))
            .await?;
        let mut stored = name.to_string();
        let mut prefix = String::new();
        if let (Kind::Property, Some(rt)) = (kind, resource_type) {
            self.enforce_on(caller, "get_metadef_resource_type", &ns)?;
            let association = self
                .repo
                .metadef_associations(&ns.id)
                .await?
                .into_iter()
                .find(|a| a.name == rt)
                .ok_or_else(|| {
                    ImageError::NotFound(format!(
                        "Resource type {rt} is not associated with namespace {namespace}"
                    ))
                })?;
            let p = association.prefix.unwrap_or_default();
            match name.strip_prefix(p.as_str()).filter(|_| !p.is_empty()) {
                Some(rest) => {
                    stored = rest.to_string();
                    prefix = p;
                }
                None => {
                    return Err(ImageError::NotFound(format!(
                        "Property {name} does not start with the expected resource type association prefix of '{p}'."
                    )))
                }
            }
        }
        let mut item = self
            .repo
            .metadef_item(&ns.id, kind, &stored)
            .await?
            .ok_or_else(|| missing(kind, name))?;
        item.name = format!("{prefix}{}", item.name);
        Ok(item)
    }

    /// Replaces an object, property or tag (renaming it when the body says).
    pub async fn update_metadef_item(
        &self,
        caller: &Caller,
        namespace: &str,
        kind: Kind,
        name: &str,
        body: &Value,
    ) -> Result<Item> {
        let ns = self
            .namespace_for(caller, namespace, &rule(kind, "modify"))
            .await?;
        let old = self
            .repo
            .metadef_item(&ns.id, kind, name)
            .await?
            .ok_or_else(|| missing(kind, name))?;
        let (new_name, fields) = parse(kind, body)?;
        if self.taken(&ns, kind, &new_name, Some(name)).await? {
            return Err(match kind {
                Kind::Tag => duplicate(kind, &new_name, &ns),
                _ => ImageError::Conflict(format!(
                    "Invalid update. It would result in a duplicate {} with the same name={new_name} in namespace={}.",
                    words(kind).2,
                    ns.namespace
                )),
            });
        }
        self.repo
            .replace_metadef_item(&ns.id, kind, &old, &new_name, &fields)
            .await
            .map_err(|e| conflict(e, kind, &new_name, &ns))
    }

    /// Deletes an object, property or tag (not in a protected namespace).
    pub async fn delete_metadef_item(
        &self,
        caller: &Caller,
        namespace: &str,
        kind: Kind,
        name: &str,
    ) -> Result<()> {
        let ns = self
            .namespace_for(caller, namespace, &rule(kind, "delete"))
            .await?;
        if self.repo.metadef_item(&ns.id, kind, name).await?.is_none() {
            return Err(missing(kind, name));
        }
        Self::unprotected(&ns, words(kind).0, name)?;
        self.repo.delete_metadef_item(&ns.id, kind, name).await?;
        Ok(())
    }

    /// Whether `name` is used by another item of `kind` than `except` (tags
    /// compare without case).
    async fn taken(
        &self,
        ns: &Namespace,
        kind: Kind,
        name: &str,
        except: Option<&str>,
    ) -> Result<bool> {
        if except == Some(name) {
            return Ok(false);
        }
        if kind != Kind::Tag {
            return Ok(self.repo.metadef_item(&ns.id, kind, name).await?.is_some());
        }
        Ok(self
            .repo
            .metadef_items(&ns.id, kind)
            .await?
            .iter()
            .any(|t| t.name.eq_ignore_ascii_case(name) && Some(t.name.as_str()) != except))
    }

    /// Every resource type namespaces can be associated with.
    pub async fn metadef_resource_types(&self, caller: &Caller) -> Result<Vec<ResourceType>> {
        self.enforce(
            caller,
            "list_metadef_resource_types",
            &serde_json::json!({"project_id": caller.project()}),
        )?;
        Ok(self.repo.metadef_resource_types().await?)
    }

    /// A namespace's resource type associations.
    pub async fn metadef_associations(
        &self,
        caller: &Caller,
        namespace: &str,
    ) -> Result<Vec<Association>> {
        let ns = self
            .namespace_for(caller, namespace, "list_metadef_resource_types")
            .await?;
        Ok(self.repo.metadef_associations(&ns.id).await?)
    }

    /// Associates a namespace with a resource type, made when new (admin).
    pub async fn associate_metadef(
        &self,
        caller: &Caller,
        namespace: &str,
        body: &Value,
    ) -> Result<Association> {
        let ns = self
            .namespace_for(caller, namespace, "add_metadef_resource_type_association")
            .await?;
        let (name, prefix, target) = bodies::association(body)?;
        let exists = ImageError::Conflict(format!(
            "The metadata definition resource-type association of resource-type={name} to namespace={} already exists.",
            ns.namespace
        ));
        if self
            .repo
            .metadef_associations(&ns.id)
            .await?
            .iter()
            .any(|a| a.name == name)
        {
            return Err(exists);
        }
        match self
            .repo
            .add_metadef_association(&ns.id, &name, prefix, target)
            .await
        {
            Err(ferrostack_db::DbError::Duplicate(_)) => Err(exists),
            other => Ok(other?),
        }
    }

    /// Removes a namespace's association with a resource type (admin).
    pub async fn dissociate_metadef(
        &self,
        caller: &Caller,
        namespace: &str,
        name: &str,
    ) -> Result<()> {
        let ns = self
            .namespace_for(
                caller,
                namespace,
                "remove_metadef_resource_type_association",
            )
            .await?;
        let missing =
            || ImageError::NotFound(format!("Failed to find resource type {name} to delete"));
        if !self
            .repo
            .metadef_associations(&ns.id)
            .await?
            .iter()
            .any(|a| a.name == name)
        {
            return Err(missing());
        }
        Self::unprotected(&ns, "resource-type-association", name)?;
        if !self.repo.delete_metadef_association(&ns.id, name).await? {
            return Err(missing());
        }
        Ok(())
    }
}

/// The name and stored fields of a body of `kind`.
fn parse(kind: Kind, body: &Value) -> Result<(String, Map<String, Value>)> {
    match kind {
        Kind::Object => bodies::object_fields(body),
        Kind::Property => bodies::property_fields(body, true),
        Kind::Tag => Ok((bodies::tag(body)?, Map::new())),
    }
}

/// A duplicate a concurrent writer made between the check and the write.
fn conflict(e: ferrostack_db::DbError, kind: Kind, name: &str, ns: &Namespace) -> ImageError {
    match e {
        ferrostack_db::DbError::Duplicate(_) => duplicate(kind, name, ns),
        other => other.into(),
    }
}
