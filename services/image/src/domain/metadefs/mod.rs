//! Metadata definitions (Glance's metadefs): namespaces of properties, objects
//! and tags describing what other resources' metadata may hold, and the
//! resource types each namespace applies to. Everyone reads public namespaces
//! and their own project's; only admins write.

pub mod bodies;
mod items;
pub mod model;
mod namespaces;

use serde_json::{json, Value};

use super::{Caller, Glance, ImageError, Result};
use model::Namespace;

pub use items::ItemQuery;
pub use namespaces::{NamespacePage, NamespaceQuery};

/// The policy target of a namespace.
fn target(ns: &Namespace) -> Value {
    json!({"project_id": ns.owner, "visibility": ns.visibility})
}

/// Whether `caller` sees `ns` at all: admins every one, others public ones
/// and their project's.
fn visible(caller: &Caller, ns: &Namespace) -> bool {
    caller.is_admin || ns.visibility == "public" || caller.project() == Some(ns.owner.as_str())
}

impl Glance {
    /// The namespace `name` when `caller` sees it; 404 with `missing` if not.
    async fn visible_namespace(
        &self,
        caller: &Caller,
        name: &str,
        missing: String,
    ) -> Result<Namespace> {
        match self.repo.metadef_namespace(name).await? {
            Some(ns) if visible(caller, &ns) => Ok(ns),
            _ => Err(ImageError::NotFound(missing)),
        }
    }

    /// The namespace `name`, `rule` enforced on it: a caller who may not
    /// even read it gets 404, one who may read but not do this 403.
    async fn namespace_for(&self, caller: &Caller, name: &str, rule: &str) -> Result<Namespace> {
        let ns = self
            .visible_namespace(caller, name, format!("Namespace {name} not found"))
            .await?;
        self.enforce_on(caller, rule, &ns)?;
        Ok(ns)
    }

    /// Enforces `rule` on `ns` as [`Glance::namespace_for`] does.
    fn enforce_on(&self, caller: &Caller, rule: &str, ns: &Namespace) -> Result<()> {
        let target = target(ns);
        match self.enforce(caller, rule, &target) {
            Err(ImageError::Forbidden(_))
                if self
                    .enforce(caller, "get_metadef_namespace", &target)
                    .is_err() =>
            {
                Err(ImageError::NotFound(format!(
                    "Namespace {} not found",
                    ns.namespace
                )))
            }
            other => other,
        }
    }

    /// 403 when `ns` is protected: nothing in it may be deleted.
    fn unprotected(ns: &Namespace, what: &str, name: &str) -> Result<()> {
        if ns.protected {
            return Err(ImageError::Forbidden(format!(
                "Metadata definition {what} {name} is protected and cannot be deleted."
            )));
        }
        Ok(())
    }
}
