//! `/v2.0/rbac-policies`: which other projects may use a network, and how.

use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;

use super::body::{self, Object};
use super::listing::Listable;
use super::resource::{self, Creatable, Resource, Updatable};
use super::AppState;
use crate::db::entity::network_rbac;
use crate::domain::rbac_policies::{NewRbacPolicy, RbacUpdate};
use crate::domain::{Caller, Neutron, NeutronError, Result};

const ATTRIBUTES: &[&str] = &["id", "object_type", "object_id", "action", "target_tenant"];
const NOT_IN_POST: &[&str] = &["id"];
const NOT_IN_PUT: &[&str] = &["id", "object_type", "object_id", "action"];
/// Attributes with their own rules.
const GUARDED: &[&str] = &["target_tenant"];

pub const LISTABLE: Listable = Listable {
    filters: &["id", "object_type", "object_id", "action", "target_tenant"],
    sort_keys: &[
        "id",
        "object_type",
        "object_id",
        "action",
        "target_tenant",
        "project_id",
        "tenant_id",
    ],
    taggable: false,
};

/// A policy as Neutron shows it.
pub fn view(row: &network_rbac::Model) -> Value {
    json!({
        "id": row.id,
        "tenant_id": row.project_id,
        "project_id": row.project_id,
        "object_type": "network",
        "object_id": row.object_id,
        "action": row.action,
        "target_tenant": row.target_tenant,
    })
}

/// `target_tenant`: a project id or `*`, at most 255 characters.
fn target_tenant(object: &Object) -> Result<Option<String>> {
    match object.get("target_tenant") {
        Some(Value::Null) => Err(body::invalid(
            "target_tenant",
            "'None' is not a valid string",
        )),
        _ => body::string(object, "target_tenant", 255),
    }
}

fn new_policy(caller: &Caller, object: &Object) -> Result<NewRbacPolicy> {
    body::only_known(object, ATTRIBUTES)?;
    body::not_in_post(object, NOT_IN_POST)?;
    for attribute in ["object_type", "object_id", "action", "target_tenant"] {
        body::required(object, attribute)?;
    }
    Ok(NewRbacPolicy {
        project_id: body::project(caller, object)?,
        object_type: body::string(object, "object_type", 255)?.unwrap_or_default(),
        object_id: body::uuid(object, "object_id")?.unwrap_or_default(),
        action: body::string(object, "action", 255)?.unwrap_or_default(),
        target_tenant: target_tenant(object)?.unwrap_or_default(),
        set: body::set_among(object, GUARDED),
    })
}

/// `/v2.0/rbac-policies`.
pub struct RbacPolicies;

impl Resource for RbacPolicies {
    const SINGULAR: &'static str = "rbac_policy";
    const PLURAL: &'static str = "rbac_policies";
    const PATH: &'static str = "/v2.0/rbac-policies";
    const TAG: &'static str = "rbac-policies";
    const LISTABLE: &'static Listable = &LISTABLE;
    const NOT_FOUND: fn(&str) -> NeutronError = crate::domain::rbac_policies::not_found;
    resource::forward!(network_rbac::Model; list: list_rbac_policies, show: show_rbac_policy, delete: delete_rbac_policy);
    async fn views(_: &Neutron, _: &Caller, records: &[network_rbac::Model]) -> Result<Vec<Value>> {
        Ok(records.iter().map(view).collect())
    }
}

impl Creatable for RbacPolicies {
    resource::forward_create!(network_rbac::Model, NewRbacPolicy; create_rbac_policy, new_policy);
}

impl Updatable for RbacPolicies {
    resource::forward_update!(network_rbac::Model, RbacUpdate; update_rbac_policy);
    const READ_ONLY: &'static [&'static str] = NOT_IN_PUT;
    const ATTRIBUTES: &'static [&'static str] = ATTRIBUTES;

    /// Only the target changes.
    fn parse_update(object: &Object) -> Result<RbacUpdate> {
        Ok(RbacUpdate {
            target_tenant: target_tenant(object)?,
            set: body::set_among(object, GUARDED),
        })
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    resource::updatable_routes::<RbacPolicies>()
}
