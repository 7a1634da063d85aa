//! The image domain: images, their data, members and imports, with Glance's rules.

pub mod attributes;
pub mod data;
mod digest;
pub mod error;
pub mod images;
pub mod import;
mod import_run;
pub mod members;
pub mod metadefs;
pub mod model;
pub mod patch;
pub mod query;
mod stage;
pub mod tasks;
mod transfer;

use std::sync::Arc;

use ferrostack_auth::AuthContext;
use ferrostack_policy::{Enforcer, PolicyError};
use serde_json::{json, Value};

use crate::config::ImageConfig;
use crate::db::Repo;
use crate::notify::Notifier;
use crate::store::{Store, Stores};
pub use error::{ImageError, Result};
use model::Image;
use model::Viewer;

/// The image service: configuration, database, stores, policy and notifier.
pub struct Glance {
    pub cfg: ImageConfig,
    pub repo: Repo,
    pub stores: Stores,
    /// Where staged data waits for its import.
    pub staging: Arc<dyn Store>,
    pub policy: Enforcer,
    pub notifier: Notifier,
}

/// The caller of one request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub ctx: AuthContext,
    pub is_admin: bool,
    /// The request's own id (`x-openstack-request-id`), which tasks record.
    pub request_id: Option<String>,
}

impl Caller {
    /// The caller's project, the owner of what it creates.
    pub fn project(&self) -> Option<&str> {
        self.ctx.project_id.as_deref()
    }

    /// Who is listing, for the visibility rules.
    pub fn viewer(&self) -> Viewer {
        Viewer {
            project_id: self.ctx.project_id.clone(),
            is_admin: self.is_admin,
        }
    }
}

impl Glance {
    pub fn new(
        cfg: ImageConfig,
        repo: Repo,
        stores: Stores,
        staging: Arc<dyn Store>,
        policy: Enforcer,
        notifier: Notifier,
    ) -> Arc<Self> {
        Arc::new(Glance {
            cfg,
            repo,
            stores,
            staging,
            policy,
            notifier,
        })
    }

    /// The caller of a request authenticated as `ctx`.
    pub fn caller(&self, ctx: AuthContext) -> Caller {
        let is_admin = self
            .policy
            .enforce("context_is_admin", &json!({}), &ctx.credentials())
            .is_ok();
        Caller {
            ctx,
            is_admin,
            request_id: None,
        }
    }

    /// Enforces `rule` on `target`, refusing with Glance's message.
    pub fn enforce(&self, caller: &Caller, rule: &str, target: &Value) -> Result<()> {
        self.policy
            .enforce(rule, target, &caller.ctx.credentials())
            .map_err(|e| match e {
                PolicyError::Forbidden(_) | PolicyError::InvalidScope(_) => ImageError::Forbidden(
                    format!("You are not authorized to complete {rule} action."),
                ),
                other => ImageError::Internal(other.to_string()),
            })
    }

    /// The policy target of `image` for `caller`: Glance's `ImageTarget`, whose
    /// `member_id` is the caller's project when it is a member of a shared image.
    pub async fn target(&self, caller: &Caller, image: &Image) -> Result<Value> {
        let shared = image.visibility == model::Visibility::Shared;
        let member_id = match caller.project() {
            Some(project) if shared && image.owner.as_deref() != Some(project) => self
                .repo
                .member(&image.id, project)
                .await?
                .map(|m| m.member_id),
            _ => None,
        };
        Ok(json!({
            "id": image.id,
            "name": image.name,
            "project_id": image.owner,
            "owner": image.owner,
            "visibility": image.visibility.as_str(),
            "protected": image.protected,
            "status": image.status.as_str(),
            "member_id": member_id,
        }))
    }

    /// The image `id` if `caller` may see it; otherwise, as Glance does, 404 with
    /// `not_found`.
    pub async fn visible(
        &self,
        caller: &Caller,
        id: &str,
        not_found: &str,
    ) -> Result<(Image, Value)> {
        let missing = || ImageError::NotFound(not_found.to_string());
        let image = self.repo.get(id).await?.ok_or_else(missing)?;
        let target = self.target(caller, &image).await?;
        if !is_visible(caller, &image, &target) {
            return Err(missing());
        }
        self.policy
            .enforce("get_image", &target, &caller.ctx.credentials())
            .map_err(|_| missing())?;
        Ok((image, target))
    }
}

/// Glance's database-level visibility: admins see every image; others their own,
/// public and community images, and shared images they are a member of.
fn is_visible(caller: &Caller, image: &Image, target: &Value) -> bool {
    if caller.is_admin || (image.owner.is_some() && image.owner.as_deref() == caller.project()) {
        return true;
    }
    match image.visibility {
        model::Visibility::Public | model::Visibility::Community => true,
        model::Visibility::Shared => !target["member_id"].is_null(),
        model::Visibility::Private => false,
    }
}
