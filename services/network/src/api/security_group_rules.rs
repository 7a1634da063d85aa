//! `/v2.0/security-group-rules`: rules are created and deleted, never changed.

use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;

use super::body::{self, python_str, Object};
use super::listing::{ListQuery, Listable};
use super::resource::{self, Creatable, Resource};
use super::{timestamp, AppState};
use crate::db::entity::security_group_rule as rule;
use crate::domain::rules::{normalized_cidr, NewRule};
use crate::domain::{Caller, Neutron, NeutronError, Result};

const ATTRIBUTES: &[&str] = &[
    "id",
    "security_group_id",
    "direction",
    "ethertype",
    "protocol",
    "port_range_min",
    "port_range_max",
    "remote_ip_prefix",
    "remote_group_id",
    "normalized_cidr",
    "belongs_to_default_sg",
    "description",
    "created_at",
    "updated_at",
    "revision_number",
];
const READ_ONLY: &[&str] = &[
    "id",
    "normalized_cidr",
    "belongs_to_default_sg",
    "created_at",
    "updated_at",
    "revision_number",
];

pub const LISTABLE: Listable = Listable {
    filters: &[
        "id",
        "security_group_id",
        "direction",
        "ethertype",
        "protocol",
        "port_range_min",
        "port_range_max",
        "remote_ip_prefix",
        "remote_group_id",
        "normalized_cidr",
        "belongs_to_default_sg",
        "description",
        "revision_number",
        "changed_since",
    ],
    sort_keys: &[
        "id",
        "security_group_id",
        "direction",
        "ethertype",
        "protocol",
        "port_range_min",
        "port_range_max",
        "remote_ip_prefix",
        "remote_group_id",
        "project_id",
        "tenant_id",
        "created_at",
        "updated_at",
        "revision_number",
    ],
    taggable: false,
};

/// A rule as Neutron shows it (`of_default`: its group is a default group).
pub fn view(row: &rule::Model, of_default: bool) -> Value {
    json!({
        "id": row.id,
        "security_group_id": row.security_group_id,
        "direction": row.direction,
        "ethertype": row.ethertype,
        "protocol": row.protocol,
        "port_range_min": row.port_range_min,
        "port_range_max": row.port_range_max,
        "remote_ip_prefix": row.remote_ip_prefix,
        "remote_group_id": row.remote_group_id,
        "normalized_cidr": normalized_cidr(row),
        "belongs_to_default_sg": of_default,
        "description": row.description,
        "tenant_id": row.project_id,
        "project_id": row.project_id,
        "created_at": timestamp(&row.created_at),
        "updated_at": timestamp(&row.updated_at),
        "revision_number": row.revision_number,
    })
}

/// A port value: an integer 0-65535 (or its string), or null.
fn port(object: &Object, attribute: &str) -> Result<Option<i64>> {
    match object.get(attribute) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => python_str(value)
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| {
                NeutronError::new(
                    400,
                    "SecurityGroupInvalidPortValue",
                    format!("Invalid value for port {}", python_str(value)),
                )
            }),
    }
}

fn new_rule(caller: &Caller, object: &Object) -> Result<NewRule> {
    body::only_known(object, ATTRIBUTES)?;
    body::not_in_post(object, READ_ONLY)?;
    body::required(object, "security_group_id")?;
    let direction = match body::required(object, "direction")? {
        Value::String(d) if d == "ingress" || d == "egress" => d.clone(),
        other => {
            return Err(body::invalid(
                "direction",
                format!("{} is not in ['ingress', 'egress']", python_str(other)),
            ))
        }
    };
    let protocol = match object.get("protocol") {
        None | Some(Value::Null) => None,
        Some(value) => Some(python_str(value)),
    };
    Ok(NewRule {
        project_id: body::project(caller, object)?,
        // Neither id is checked for form: an unknown one is 404 on lookup.
        security_group_id: body::string(object, "security_group_id", 255)?.unwrap_or_default(),
        direction,
        ethertype: body::string(object, "ethertype", 40)?,
        protocol,
        port_range_min: port(object, "port_range_min")?,
        port_range_max: port(object, "port_range_max")?,
        remote_ip_prefix: body::string_or_null(object, "remote_ip_prefix", 64)?.flatten(),
        remote_group_id: body::string_or_null(object, "remote_group_id", 255)?.flatten(),
        description: body::string(object, "description", 255)?.unwrap_or_default(),
    })
}

/// `/v2.0/security-group-rules` (rules are created and deleted, never
/// updated).
pub struct Rules;

impl Resource for Rules {
    const SINGULAR: &'static str = "security_group_rule";
    const PLURAL: &'static str = "security_group_rules";
    const PATH: &'static str = "/v2.0/security-group-rules";
    const TAG: &'static str = "security-groups";
    const LISTABLE: &'static Listable = &LISTABLE;
    const NOT_FOUND: fn(&str) -> NeutronError = crate::domain::rules::rule_not_found;
    type Record = rule::Model;

    async fn list(neutron: &Neutron, caller: &Caller, _: &ListQuery) -> Result<Vec<rule::Model>> {
        neutron.list_rules(caller).await
    }
    async fn show(neutron: &Neutron, caller: &Caller, id: &str) -> Result<rule::Model> {
        neutron.show_rule(caller, id).await
    }
    async fn delete(neutron: &Neutron, caller: &Caller, id: &str, _: Option<i64>) -> Result<()> {
        neutron.delete_rule(caller, id).await
    }
    async fn views(neutron: &Neutron, _: &Caller, records: &[rule::Model]) -> Result<Vec<Value>> {
        let defaults = neutron.default_group_ids().await?;
        Ok(records
            .iter()
            .map(|r| view(r, defaults.contains(&r.security_group_id)))
            .collect())
    }
}

impl Creatable for Rules {
    type New = NewRule;
    const PARSE_NEW: fn(&Caller, &Object) -> Result<Self::New> = new_rule;

    /// A bulk create names one group and no rule twice.
    fn check_batch(asked: &[NewRule]) -> Result<()> {
        if asked
            .iter()
            .any(|r| r.security_group_id != asked[0].security_group_id)
        {
            return Err(NeutronError::new(
                400,
                "SecurityGroupNotSingleGroupRules",
                "Only allowed to update rules for one security profile at a time",
            ));
        }
        let fingerprints = asked
            .iter()
            .map(|r| crate::domain::rules::check(r).map(|c| c.fingerprint))
            .collect::<Result<Vec<_>>>()?;
        if (1..fingerprints.len()).any(|i| fingerprints[..i].contains(&fingerprints[i])) {
            return Err(NeutronError::conflict(
                "DuplicateSecurityGroupRuleInPost",
                "Duplicate Security Group Rule in POST.",
            ));
        }
        Ok(())
    }
    async fn create(neutron: &Neutron, caller: &Caller, new: NewRule) -> Result<rule::Model> {
        neutron.create_rule(caller, new).await
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    resource::routes::<Rules>()
}
