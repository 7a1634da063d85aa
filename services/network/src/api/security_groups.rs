//! `/v2.0/security-groups`: groups with their rules; each project's
//! `default` group appears on its first list.

use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;

use super::body::{self, Object};
use super::listing::{ListQuery, Listable};
use super::resource::{self, Creatable, Resource, Updatable};
use super::{timestamp, AppState};
use crate::domain::security_groups::{GroupRecord, GroupUpdate, NewGroup};
use crate::domain::{Caller, Neutron, NeutronError, Result};

const ATTRIBUTES: &[&str] = &[
    "id",
    "name",
    "description",
    "stateful",
    "security_group_rules",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];
const READ_ONLY: &[&str] = &[
    "id",
    "security_group_rules",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];

pub const LISTABLE: Listable = Listable {
    filters: &[
        "id",
        "name",
        "description",
        "stateful",
        "revision_number",
        "changed_since",
    ],
    sort_keys: &[
        "id",
        "name",
        "project_id",
        "tenant_id",
        "stateful",
        "created_at",
        "updated_at",
        "revision_number",
    ],
    taggable: true,
};

/// A group as Neutron shows it, its rules in full.
pub fn view(record: &GroupRecord) -> Value {
    let row = &record.row;
    let rules: Vec<Value> = record
        .rules
        .iter()
        .map(|r| super::security_group_rules::view(r, record.is_default))
        .collect();
    json!({
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "tenant_id": row.project_id,
        "project_id": row.project_id,
        "stateful": row.stateful,
        "security_group_rules": rules,
        "tags": record.tags,
        "created_at": timestamp(&row.created_at),
        "updated_at": timestamp(&row.updated_at),
        "revision_number": row.revision_number,
    })
}

fn new_group(caller: &Caller, object: &Object) -> Result<NewGroup> {
    body::only_known(object, ATTRIBUTES)?;
    body::not_in_post(object, READ_ONLY)?;
    Ok(NewGroup {
        project_id: body::project(caller, object)?,
        name: body::string(object, "name", 255)?.unwrap_or_default(),
        description: body::string(object, "description", 255)?.unwrap_or_default(),
        stateful: body::boolean(object, "stateful")?.unwrap_or(true),
    })
}

/// `/v2.0/security-groups`.
pub struct SecurityGroups;

impl Resource for SecurityGroups {
    const SINGULAR: &'static str = "security_group";
    const PLURAL: &'static str = "security_groups";
    const PATH: &'static str = "/v2.0/security-groups";
    const TAG: &'static str = "security-groups";
    const LISTABLE: &'static Listable = &LISTABLE;
    const NOT_FOUND: fn(&str) -> NeutronError = crate::domain::security_groups::group_not_found;
    resource::forward!(GroupRecord; show: show_group, delete: delete_group);
    /// The projects a list filters on get their default group first.
    async fn list(
        neutron: &Neutron,
        caller: &Caller,
        query: &ListQuery,
    ) -> Result<Vec<GroupRecord>> {
        let projects: Vec<String> = query
            .filters
            .iter()
            .filter(|(k, _)| k == "project_id" || k == "tenant_id")
            .flat_map(|(_, v)| v.clone())
            .collect();
        neutron.list_groups(caller, &projects).await
    }
    async fn views(_: &Neutron, _: &Caller, records: &[GroupRecord]) -> Result<Vec<Value>> {
        Ok(records.iter().map(view).collect())
    }
}

impl Creatable for SecurityGroups {
    resource::forward_create!(GroupRecord, NewGroup; create_group, new_group);
}

impl Updatable for SecurityGroups {
    resource::forward_update!(GroupRecord, GroupUpdate; update_group);
    const READ_ONLY: &'static [&'static str] = READ_ONLY;
    const ATTRIBUTES: &'static [&'static str] = ATTRIBUTES;

    fn parse_update(object: &Object) -> Result<GroupUpdate> {
        Ok(GroupUpdate {
            name: body::string(object, "name", 255)?,
            description: body::string(object, "description", 255)?,
            stateful: body::boolean(object, "stateful")?,
        })
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    resource::updatable_routes::<SecurityGroups>()
}
