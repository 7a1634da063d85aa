//! Namespaces: list, create with contents, show (prefixed for a resource
//! type), replace, delete, and delete all of one kind of content.

use serde_json::{json, Map, Value};

use super::bodies;
use super::model::{Association, Kind, Namespace, NamespaceDetail};
use super::{target, visible};
use crate::domain::model::now;
use crate::domain::{Caller, Glance, ImageError, Result};

/// A namespace list request.
#[derive(Debug, Clone, Default)]
pub struct NamespaceQuery {
    pub limit: Option<usize>,
    pub marker: Option<String>,
    pub sort_key: Option<String>,
    /// `asc` or `desc` (the default).
    pub sort_dir: Option<String>,
    pub visibility: Option<String>,
    /// Namespaces associated with any of these.
    pub resource_types: Vec<String>,
}

/// One page of namespaces; `more` when it is full.
pub struct NamespacePage {
    pub namespaces: Vec<(Namespace, Vec<Association>)>,
    pub more: bool,
}

/// The sort value of `ns` under `key` (unknown keys sort as created_at).
fn sort_value(ns: &Namespace, key: &str) -> String {
    match key {
        "namespace" => ns.namespace.clone(),
        "display_name" => ns.display_name.clone().unwrap_or_default(),
        "visibility" => ns.visibility.clone(),
        "updated_at" => ns.updated_at.to_string(),
        _ => ns.created_at.to_string(),
    }
}

/// `prefix` + every property name of `detail` (and of its objects, with their
/// `required` lists), as Glance shows a namespace for a resource type.
fn apply_prefix(detail: &mut NamespaceDetail, prefix: &str) {
    for p in &mut detail.properties {
        p.name = format!("{prefix}{}", p.name);
    }
    for o in &mut detail.objects {
        if let Some(Value::Object(props)) = o.body.get_mut("properties") {
            *props = std::mem::take(props)
                .into_iter()
                .map(|(k, v)| (format!("{prefix}{k}"), v))
                .collect::<Map<_, _>>();
        }
        if let Some(Value::Array(needed)) = o.body.get_mut("required") {
            for r in needed.iter_mut() {
                if let Value::String(s) = r {
                    *s = format!("{prefix}{s}");
                }
            }
        }
    }
}

impl Glance {
    /// The namespaces `caller` sees, filtered, sorted and paged as Glance does.
    pub async fn list_metadef_namespaces(
        &self,
        caller: &Caller,
        query: &NamespaceQuery,
    ) -> Result<NamespacePage> {
        self.enforce(
            caller,
            "get_metadef_namespaces",
            &json!({"project_id": caller.project()}),
        )?;
        let dir = query.sort_dir.as_deref().unwrap_or("desc");
        if !matches!(dir, "asc" | "desc") {
            return Err(ImageError::BadRequest(format!(
                "Invalid sort direction: {dir}"
            )));
        }
        if let Some(v) = query
            .visibility
            .as_deref()
            .filter(|v| !matches!(*v, "public" | "private"))
        {
            return Err(ImageError::BadRequest(format!(
                "Invalid visibility value: {v}"
            )));
        }
        let key = query.sort_key.as_deref().unwrap_or("created_at");
        let mut all: Vec<(Namespace, Vec<Association>)> = self
            .repo
            .metadef_namespaces()
            .await?
            .into_iter()
            .filter(|(ns, _)| visible(caller, ns))
            .filter(|(ns, _)| {
                query
                    .visibility
                    .as_ref()
                    .is_none_or(|v| *v == ns.visibility)
            })
            .filter(|(_, assoc)| {
                query.resource_types.is_empty()
                    || assoc.iter().any(|a| query.resource_types.contains(&a.name))
            })
            .filter(|(ns, _)| {
                self.enforce(caller, "get_metadef_namespace", &target(ns))
                    .is_ok()
            })
            .collect();
        // Ties go by name, so pages never overlap.
        all.sort_by(|(a, _), (b, _)| {
            let order = (sort_value(a, key), &a.namespace).cmp(&(sort_value(b, key), &b.namespace));
            if dir == "desc" {
                order.reverse()
            } else {
                order
            }
        });
        if let Some(marker) = &query.marker {
            let at = all
                .iter()
                .position(|(ns, _)| ns.namespace == *marker)
                .ok_or_else(|| ImageError::NotFound(format!("Namespace {marker} not found")))?;
            all.drain(..=at);
        }
        let limit = query
            .limit
            .unwrap_or(self.cfg.limit_default)
            .min(self.cfg.limit_max);
        let more = all.len() >= limit && limit > 0;
        all.truncate(limit);
        Ok(NamespacePage {
            more: more && !all.is_empty(),
            namespaces: all,
        })
    }

    /// Creates a namespace with the contents its body names (admin).
    pub async fn create_metadef_namespace(
        &self,
        caller: &Caller,
        body: &Value,
    ) -> Result<NamespaceDetail> {
        let own = json!({"project_id": caller.project()});
        self.enforce(caller, "add_metadef_namespace", &own)?;
        let parsed = bodies::namespace(body)?;
        let c = &parsed.contents;
        for (rule, present) in [
            (
                "add_metadef_resource_type_association",
                !c.associations.is_empty(),
            ),
            ("add_metadef_object", !c.objects.is_empty()),
            ("add_metadef_property", !c.properties.is_empty()),
            ("add_metadef_tag", !c.tags.is_empty()),
        ] {
            if present {
                self.enforce(caller, rule, &own)?;
            }
        }
        self.store_metadef_namespace(parsed, caller.project().unwrap_or_default())
            .await
    }

    /// Loads a namespace file in Glance's format (`glance-manage db
    /// load_metadefs`): false when a namespace of that name exists already.
    pub async fn load_metadef_namespace(&self, file: &Value) -> Result<bool> {
        let parsed = bodies::namespace(file)?;
        if self
            .repo
            .metadef_namespace(&parsed.namespace)
            .await?
            .is_some()
        {
            return Ok(false);
        }
        self.store_metadef_namespace(parsed, "admin").await?;
        Ok(true)
    }

    /// Stores a checked namespace body, owned by `owner` unless it names one.
    async fn store_metadef_namespace(
        &self,
        body: bodies::NamespaceBody,
        owner: &str,
    ) -> Result<NamespaceDetail> {
        let duplicate = || {
            ImageError::Conflict(format!(
                "The metadata definition namespace={} already exists.",
                body.namespace
            ))
        };
        if self
            .repo
            .metadef_namespace(&body.namespace)
            .await?
            .is_some()
        {
            return Err(duplicate());
        }
        let at = now();
        let ns = Namespace {
            id: uuid::Uuid::new_v4().to_string(),
            namespace: body.namespace.clone(),
            display_name: body.display_name.clone(),
            description: body.description.clone(),
            visibility: body.visibility.clone().unwrap_or_else(|| "private".into()),
            protected: body.protected,
            owner: body.owner.clone().unwrap_or_else(|| owner.to_string()),
            created_at: at,
            updated_at: at,
        };
        match self
            .repo
            .create_metadef_namespace(&ns, &body.contents)
            .await
        {
            Ok(detail) => Ok(detail),
            Err(ferrostack_db::DbError::Duplicate(_)) => Err(ImageError::Conflict(format!(
                "Duplicate content in the metadata definition namespace={}.",
                body.namespace
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// A namespace with its contents; for `resource_type`, its property names
    /// carry that association's prefix.
    pub async fn show_metadef_namespace(
        &self,
        caller: &Caller,
        name: &str,
        resource_type: Option<&str>,
    ) -> Result<NamespaceDetail> {
        let ns = self
            .visible_namespace(
                caller,
                name,
                format!("Metadata definition namespace={name} was not found."),
            )
            .await?;
        self.enforce_on(caller, "get_metadef_namespace", &ns)?;
        let mut detail = self.repo.metadef_detail(ns).await?;
        let prefix = resource_type.and_then(|rt| {
            detail
                .associations
                .iter()
                .find(|a| a.name == rt)
                .and_then(|a| a.prefix.clone())
        });
        if let Some(prefix) = prefix.filter(|p| !p.is_empty()) {
            apply_prefix(&mut detail, &prefix);
        }
        Ok(detail)
    }

    /// Replaces a namespace's own fields, renaming it when the body says
    /// (admin); what the body leaves out goes back to its default.
    pub async fn update_metadef_namespace(
        &self,
        caller: &Caller,
        name: &str,
        body: &Value,
    ) -> Result<(Namespace, Vec<Association>)> {
        let old = self
            .namespace_for(caller, name, "modify_metadef_namespace")
            .await?;
        let body = bodies::namespace(body)?;
        if body.namespace != old.namespace
            && self
                .repo
                .metadef_namespace(&body.namespace)
                .await?
                .is_some()
        {
            return Err(ImageError::Conflict(format!(
                "Invalid update. It would result in a duplicate metadata definition namespace with the same name of {}",
                body.namespace
            )));
        }
        let ns = Namespace {
            namespace: body.namespace,
            display_name: body.display_name,
            description: body.description,
            visibility: body.visibility.unwrap_or_else(|| "private".into()),
            protected: body.protected,
            owner: body
                .owner
                .unwrap_or_else(|| caller.project().unwrap_or_default().to_string()),
            updated_at: now(),
            ..old
        };
        self.repo.update_metadef_namespace(&ns).await?;
        let associations = self.repo.metadef_associations(&ns.id).await?;
        Ok((ns, associations))
    }

    /// Deletes a namespace and everything in it (admin; not when protected).
    pub async fn delete_metadef_namespace(&self, caller: &Caller, name: &str) -> Result<()> {
        let ns = self
            .namespace_for(caller, name, "delete_metadef_namespace")
            .await?;
        Self::unprotected(&ns, "namespace", &ns.namespace)?;
        Ok(self.repo.delete_metadef_namespace(&ns.id).await?)
    }

    /// Deletes every object, property or tag of a namespace (admin).
    pub async fn delete_metadef_contents(
        &self,
        caller: &Caller,
        name: &str,
        kind: Kind,
    ) -> Result<()> {
        let ns = self
            .namespace_for(caller, name, "delete_metadef_namespace")
            .await?;
        if kind == Kind::Tag {
            self.enforce_on(caller, "delete_metadef_tags", &ns)?;
        }
        Self::unprotected(&ns, "namespace", &ns.namespace)?;
        Ok(self.repo.delete_metadef_items(&ns.id, kind).await?)
    }
}
