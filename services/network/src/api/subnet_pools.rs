//! `/v2.0/subnetpools`: prefixes subnets are carved from.

use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;

use super::body::{self, Object};
use super::listing::Listable;
use super::resource::{self, Creatable, Resource, Updatable};
use super::{timestamp, AppState};
use crate::domain::subnet_pools::{NewSubnetPool, PoolRecord, SubnetPoolUpdate};
use crate::domain::{Caller, Neutron, NeutronError, Result};

const ATTRIBUTES: &[&str] = &[
    "id",
    "name",
    "description",
    "prefixes",
    "default_prefixlen",
    "min_prefixlen",
    "max_prefixlen",
    "default_quota",
    "ip_version",
    "shared",
    "is_default",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];
const NOT_IN_POST: &[&str] = &[
    "id",
    "ip_version",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];
const NOT_IN_PUT: &[&str] = &[
    "id",
    "ip_version",
    "shared",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
];
/// Attributes with their own rules.
const GUARDED: &[&str] = &["shared", "is_default"];

pub const LISTABLE: Listable = Listable {
    filters: &[
        "id",
        "name",
        "description",
        "default_prefixlen",
        "min_prefixlen",
        "max_prefixlen",
        "default_quota",
        "ip_version",
        "shared",
        "is_default",
        "revision_number",
        "changed_since",
    ],
    sort_keys: &[
        "id",
        "name",
        "default_prefixlen",
        "min_prefixlen",
        "max_prefixlen",
        "ip_version",
        "shared",
        "is_default",
        "project_id",
        "tenant_id",
        "created_at",
        "updated_at",
        "revision_number",
    ],
    taggable: true,
};

/// A subnet pool as Neutron shows it.
pub fn view(record: &PoolRecord) -> Value {
    let row = &record.row;
    json!({
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "tenant_id": row.project_id,
        "project_id": row.project_id,
        "prefixes": record.prefixes,
        "default_prefixlen": row.default_prefixlen,
        "min_prefixlen": row.min_prefixlen,
        "max_prefixlen": row.max_prefixlen,
        "default_quota": row.default_quota,
        "ip_version": row.ip_version,
        "shared": row.shared,
        "is_default": row.is_default,
        "tags": record.tags,
        "created_at": timestamp(&row.created_at),
        "updated_at": timestamp(&row.updated_at),
        "revision_number": row.revision_number,
    })
}

fn prefixes(object: &Object) -> Result<Option<Vec<String>>> {
    body::strings(object, "prefixes", 64)
}

fn new_pool(caller: &Caller, object: &Object) -> Result<NewSubnetPool> {
    body::only_known(object, ATTRIBUTES)?;
    body::not_in_post(object, NOT_IN_POST)?;
    body::required(object, "name")?;
    body::required(object, "prefixes")?;
    Ok(NewSubnetPool {
        project_id: body::project(caller, object)?,
        name: body::string(object, "name", 255)?.unwrap_or_default(),
        description: body::string(object, "description", 255)?.unwrap_or_default(),
        prefixes: prefixes(object)?.unwrap_or_default(),
        default_prefixlen: body::integer(object, "default_prefixlen")?,
        min_prefixlen: body::integer(object, "min_prefixlen")?,
        max_prefixlen: body::integer(object, "max_prefixlen")?,
        shared: body::boolean(object, "shared")?.unwrap_or(false),
        is_default: body::boolean(object, "is_default")?.unwrap_or(false),
        default_quota: body::integer(object, "default_quota")?,
        set: body::set_among(object, GUARDED),
    })
}

/// `/v2.0/subnetpools`.
pub struct SubnetPools;

impl Resource for SubnetPools {
    const SINGULAR: &'static str = "subnetpool";
    const PLURAL: &'static str = "subnetpools";
    const PATH: &'static str = "/v2.0/subnetpools";
    const TAG: &'static str = "subnetpools";
    const LISTABLE: &'static Listable = &LISTABLE;
    const NOT_FOUND: fn(&str) -> NeutronError = crate::domain::subnet_pools::not_found;
    resource::forward!(PoolRecord; list: list_subnet_pools, show: show_subnet_pool, delete: delete_subnet_pool);
    async fn views(_: &Neutron, _: &Caller, records: &[PoolRecord]) -> Result<Vec<Value>> {
        Ok(records.iter().map(view).collect())
    }
}

impl Creatable for SubnetPools {
    resource::forward_create!(PoolRecord, NewSubnetPool; create_subnet_pool, new_pool);
}

impl Updatable for SubnetPools {
    resource::forward_update!(PoolRecord, SubnetPoolUpdate; update_subnet_pool);
    const READ_ONLY: &'static [&'static str] = NOT_IN_PUT;
    const ATTRIBUTES: &'static [&'static str] = ATTRIBUTES;

    /// Names, added prefixes, lengths, the default flag and quota.
    fn parse_update(object: &Object) -> Result<SubnetPoolUpdate> {
        Ok(SubnetPoolUpdate {
            name: body::string(object, "name", 255)?,
            description: body::string(object, "description", 255)?,
            prefixes: prefixes(object)?,
            default_prefixlen: body::integer(object, "default_prefixlen")?,
            min_prefixlen: body::integer(object, "min_prefixlen")?,
            max_prefixlen: body::integer(object, "max_prefixlen")?,
            is_default: body::boolean(object, "is_default")?,
            default_quota: match object.get("default_quota") {
                None => None,
                Some(Value::Null) => Some(None),
                Some(_) => Some(body::integer(object, "default_quota")?),
            },
            set: body::set_among(object, GUARDED),
        })
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    resource::updatable_routes::<SubnetPools>()
}
