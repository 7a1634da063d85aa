//! Subnet pools (subnet_allocation, default-subnetpools): prefixes of one IP
//! version that subnets are carved from — the first free prefix of the asked
//! (or default) length, or a CIDR the request names inside the pool — with
//! bounds on the prefix length, optionally shared or the version's default.
//! Allocations of one pool are serialized on its row.

use ipnet::IpNet;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::{json, Value};

use super::ipam::number;
use super::{new_id, now, Caller, Neutron, NeutronError, Result};
use crate::db::entity::{subnet, subnet_pool};

/// The resource type tags name subnet pools by.
pub const KIND: &str = "subnetpools";

/// A pool with its prefixes and tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolRecord {
    pub row: subnet_pool::Model,
    pub prefixes: Vec<String>,
    pub tags: Vec<String>,
}

/// What a create asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewSubnetPool {
    pub project_id: Option<String>,
    pub name: String,
    pub description: String,
    pub prefixes: Vec<String>,
    pub default_prefixlen: Option<i64>,
    pub min_prefixlen: Option<i64>,
    pub max_prefixlen: Option<i64>,
    pub shared: bool,
    pub is_default: bool,
    pub default_quota: Option<i64>,
    pub set: Vec<&'static str>,
}

/// What an update asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubnetPoolUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub prefixes: Option<Vec<String>>,
    pub default_prefixlen: Option<i64>,
    pub min_prefixlen: Option<i64>,
    pub max_prefixlen: Option<i64>,
    pub is_default: Option<bool>,
    pub default_quota: Option<Option<i64>>,
    pub set: Vec<&'static str>,
}

pub(crate) fn not_found(id: &str) -> NeutronError {
    NeutronError::not_found(
        "SubnetPoolNotFound",
        format!("Subnet pool {id} could not be found."),
    )
}

fn version_mismatch() -> NeutronError {
    NeutronError::new(
        400,
        "PrefixVersionMismatch",
        "Cannot mix IPv4 and IPv6 prefixes in a subnet pool.",
    )
}

fn policy_target(row: &subnet_pool::Model) -> Value {
    json!({"project_id": row.project_id, "tenant_id": row.project_id, "shared": row.shared})
}

/// The first and last address of `net` as numbers.
fn bounds(net: &IpNet) -> (u128, u128) {
    (number(net.network()), number(net.broadcast()))
}

/// `prefixes` parsed, of one IP version, merged: their version and CIDRs.
pub fn merge(prefixes: &[String]) -> Result<(i64, Vec<IpNet>)> {
    let mut nets = Vec::with_capacity(prefixes.len());
    for p in prefixes {
        let net: IpNet = p
            .parse()
            .map_err(|_| NeutronError::invalid_input(format!("'{p}' is not a valid IP subnet")))?;
        nets.push(net.trunc());
    }
    let Some(first) = nets.first() else {
        return Err(NeutronError::invalid_input("prefixes must not be empty"));
    };
    let v4 = matches!(first, IpNet::V4(_));
    if nets.iter().any(|n| matches!(n, IpNet::V4(_)) != v4) {
        return Err(version_mismatch());
    }
    Ok((if v4 { 4 } else { 6 }, IpNet::aggregate(&nets)))
}

/// Checks `min <= default <= max` within the version's lengths.
fn check_lengths(version: i64, min: i64, default: i64, max: i64) -> Result<()> {
    let top = if version == 4 { 32 } else { 128 };
    for (kind, len) in [("min", min), ("default", default), ("max", max)] {
        if !(0..=top).contains(&len) {
            return Err(NeutronError::invalid_input(format!(
                "'{len}' is not a valid {kind}_prefixlen for IPv{version}"
            )));
        }
    }
    if !(min <= default && default <= max) {
        return Err(NeutronError::new(
            400,
            "IllegalSubnetPoolPrefixBounds",
            format!("Illegal prefix bounds: prefix_type=default_prefixlen, prefixlen={default}, base_prefixlen={min}."),
        ));
    }
    Ok(())
}

/// The first `len`-long prefix of `pool` no subnet of `taken` overlaps.
pub fn first_free(pool: &[IpNet], len: u8, taken: &[IpNet]) -> Option<IpNet> {
    for prefix in pool {
        if len < prefix.prefix_len() {
            continue;
        }
        let bits = if matches!(prefix, IpNet::V4(_)) {
            32
        } else {
            128
        };
        let size: u128 = if u32::from(len) >= bits {
            1
        } else {
            1u128.checked_shl(bits - u32::from(len)).unwrap_or(0)
        };
        let (start, end) = bounds(prefix);
        let mut candidate = start;
        loop {
            let last = candidate.checked_add(size.checked_sub(1)?)?;
            if last > end {
                break;
            }
            let blocking = taken
                .iter()
                .map(bounds)
                .filter(|(a, b)| *a <= last && *b >= candidate)
                .map(|(_, b)| b)
                .max();
            match blocking {
                None => {
                    let addr = super::ipam::address(candidate, prefix.addr());
                    return IpNet::new(addr, len).ok();
                }
                Some(b) => {
                    let next = b.checked_add(1)?;
                    candidate = next.div_ceil(size).checked_mul(size)?;
                }
            }
        }
    }
    None
}

impl Neutron {
    async fn pool_records(&self, rows: Vec<subnet_pool::Model>) -> Result<Vec<PoolRecord>> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut tags = super::tags::of(&self.db, KIND, &ids).await?;
        Ok(rows
            .into_iter()
            .map(|row| PoolRecord {
                prefixes: serde_json::from_str(&row.prefixes).unwrap_or_default(),
                tags: tags.remove(&row.id).unwrap_or_default(),
                row,
            })
            .collect())
    }

    /// The pool `id` if the caller may see it.
    pub async fn pool_row(&self, caller: &Caller, id: &str) -> Result<subnet_pool::Model> {
        subnet_pool::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .filter(|row| self.allowed(caller, "get_subnetpool", &policy_target(row)))
            .ok_or_else(|| not_found(id))
    }

    /// The default pool of `version`, if one is set.
    pub async fn default_pool(&self, version: i64) -> Result<Option<subnet_pool::Model>> {
        Ok(subnet_pool::Entity::find()
            .filter(subnet_pool::Column::IsDefault.eq(true))
            .filter(subnet_pool::Column::IpVersion.eq(version))
            .one(&self.db)
            .await?)
    }

    /// Refuses a second default pool of one version.
    async fn check_one_default(&self, version: i64, except: &str) -> Result<()> {
        if let Some(other) = self.default_pool(version).await? {
            if other.id != except {
                return Err(NeutronError::invalid_input(format!(
                    "A default subnetpool for this IP family has already been set. Only one default may exist per IP family ({})",
                    other.id
                )));
            }
        }
        Ok(())
    }

    /// `POST /v2.0/subnetpools`.
    pub async fn create_subnet_pool(
        &self,
        caller: &Caller,
        new: NewSubnetPool,
    ) -> Result<PoolRecord> {
        let project = new
            .project_id
            .clone()
            .unwrap_or_else(|| caller.project().to_string());
        let target = json!({"project_id": project, "tenant_id": project});
        self.authorize_with_attributes(caller, "create_subnetpool", &new.set, &target)?;
        let (version, merged) = merge(&new.prefixes)?;
        let min = new
            .min_prefixlen
            .unwrap_or(if version == 4 { 8 } else { 64 });
        let max = new
            .max_prefixlen
            .unwrap_or(if version == 4 { 32 } else { 128 });
        let default = new.default_prefixlen.unwrap_or(min);
        check_lengths(version, min, default, max)?;
        if new.is_default {
            self.check_one_default(version, "").await?;
        }
        let at = now();
        let prefixes: Vec<String> = merged.iter().map(ToString::to_string).collect();
        let row = subnet_pool::ActiveModel {
            id: Set(new_id()),
            project_id: Set(project),
            name: Set(new.name),
            description: Set(new.description),
            revision_number: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            ip_version: Set(version),
            prefixes: Set(json!(prefixes).to_string()),
            default_prefixlen: Set(default),
            min_prefixlen: Set(min),
            max_prefixlen: Set(max),
            shared: Set(new.shared),
            is_default: Set(new.is_default),
            default_quota: Set(new.default_quota),
            allocations: Set(0),
        }
        .insert(&self.db)
        .await?;
        Ok(self.pool_records(vec![row]).await?.remove(0))
    }

    /// `GET /v2.0/subnetpools`: the caller's and the shared ones (all for
    /// an admin).
    pub async fn list_subnet_pools(&self, caller: &Caller) -> Result<Vec<PoolRecord>> {
        let rows = subnet_pool::Entity::find()
            .order_by_asc(subnet_pool::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|row| self.allowed(caller, "get_subnetpool", &policy_target(row)))
            .collect();
        self.pool_records(rows).await
    }

    /// `GET /v2.0/subnetpools/{id}`.
    pub async fn show_subnet_pool(&self, caller: &Caller, id: &str) -> Result<PoolRecord> {
        let row = self.pool_row(caller, id).await?;
        Ok(self.pool_records(vec![row]).await?.remove(0))
    }

    /// `PUT /v2.0/subnetpools/{id}`: prefixes may only grow.
    pub async fn update_subnet_pool(
        &self,
        caller: &Caller,
        id: &str,
        update: SubnetPoolUpdate,
        revision: Option<i64>,
    ) -> Result<PoolRecord> {
        let row = self.pool_row(caller, id).await?;
        self.authorize_with_attributes(
            caller,
            "update_subnetpool",
            &update.set,
            &policy_target(&row),
        )?;
        super::networks::check_revision(row.revision_number, revision)?;
        let mut active: subnet_pool::ActiveModel = row.clone().into();
        if let Some(prefixes) = &update.prefixes {
            let (version, merged) = merge(prefixes)?;
            let (_, old) =
                merge(&serde_json::from_str::<Vec<String>>(&row.prefixes).unwrap_or_default())?;
            if version != row.ip_version {
                return Err(version_mismatch());
            }
            if let Some(lost) = old.iter().find(|o| {
                !merged
                    .iter()
                    .any(|n| n.contains(&o.network()) && n.contains(&o.broadcast()))
            }) {
                return Err(NeutronError::new(
                    400,
                    "IllegalSubnetPoolPrefixUpdate",
                    format!("Illegal update to prefixes: Existing prefix {lost} is not a subset of the new prefixes."),
                ));
            }
            let text: Vec<String> = merged.iter().map(ToString::to_string).collect();
            active.prefixes = Set(json!(text).to_string());
        }
        let min = update.min_prefixlen.unwrap_or(row.min_prefixlen);
        let max = update.max_prefixlen.unwrap_or(row.max_prefixlen);
        let default = update.default_prefixlen.unwrap_or(row.default_prefixlen);
        check_lengths(row.ip_version, min, default, max)?;
        active.min_prefixlen = Set(min);
        active.max_prefixlen = Set(max);
        active.default_prefixlen = Set(default);
        if let Some(is_default) = update.is_default {
            if is_default {
                self.check_one_default(row.ip_version, id).await?;
            }
            active.is_default = Set(is_default);
        }
        if let Some(v) = update.name {
            active.name = Set(v);
        }
        if let Some(v) = update.description {
            active.description = Set(v);
        }
        if let Some(v) = update.default_quota {
            active.default_quota = Set(v);
        }
        active.revision_number = Set(row.revision_number + 1);
        active.updated_at = Set(now());
        let row = active.update(&self.db).await?;
        Ok(self.pool_records(vec![row]).await?.remove(0))
    }

    /// `DELETE /v2.0/subnetpools/{id}`: 409 while subnets come from it.
    pub async fn delete_subnet_pool(
        &self,
        caller: &Caller,
        id: &str,
        revision: Option<i64>,
    ) -> Result<()> {
        let row = self.pool_row(caller, id).await?;
        self.authorize(caller, "delete_subnetpool", &policy_target(&row))?;
        super::networks::check_revision(row.revision_number, revision)?;
        let used = subnet::Entity::find()
            .filter(subnet::Column::SubnetpoolId.eq(id))
            .count(&self.db)
            .await?;
        if used > 0 {
            return Err(NeutronError::conflict(
                "SubnetPoolInUse",
                format!("Unable to complete operation on subnet pool {id}. Subnets are still allocated from it."),
            ));
        }
        super::tags::clear(&self.db, KIND, id).await?;
        subnet_pool::Entity::delete_by_id(id).exec(&self.db).await?;
        Ok(())
    }
}

/// Carves a subnet of `pool` in `txn` (holding the pool's row until it
/// ends): `cidr` when it lies in the pool and is free, else the first free
/// prefix of `prefixlen` (or the pool's default length).
pub(crate) async fn allocate<C: ConnectionTrait>(
    txn: &C,
    pool: &subnet_pool::Model,
    cidr: Option<IpNet>,
    prefixlen: Option<i64>,
) -> Result<IpNet> {
    subnet_pool::Entity::update_many()
        .col_expr(
            subnet_pool::Column::Allocations,
            Expr::col(subnet_pool::Column::Allocations).add(1),
        )
        .filter(subnet_pool::Column::Id.eq(&pool.id))
        .exec(txn)
        .await?;
    let (_, prefixes) =
        merge(&serde_json::from_str::<Vec<String>>(&pool.prefixes).unwrap_or_default())?;
    let taken: Vec<IpNet> = subnet::Entity::find()
        .filter(subnet::Column::SubnetpoolId.eq(&pool.id))
        .all(txn)
        .await?
        .iter()
        .filter_map(|s| s.cidr.parse().ok())
        .collect();
    let failed = |reason: String| {
        NeutronError::conflict(
            "SubnetAllocationError",
            format!("Failed to allocate subnet: {reason}."),
        )
    };
    let len = cidr.map_or(prefixlen.unwrap_or(pool.default_prefixlen), |c| {
        i64::from(c.prefix_len())
    });
    if len < pool.min_prefixlen || len > pool.max_prefixlen {
        return Err(NeutronError::new(
            400,
            "BadRequest",
            format!(
                "Bad subnets request: Prefix length {len} is outside the pool's bounds {}-{}.",
                pool.min_prefixlen, pool.max_prefixlen
            ),
        ));
    }
    match cidr {
        Some(asked) => {
            if !prefixes
                .iter()
                .any(|p| p.contains(&asked.network()) && p.contains(&asked.broadcast()))
            {
                return Err(failed(format!("Cidr {asked} is not in the subnet pool")));
            }
            let (a, b) = bounds(&asked);
            if taken.iter().map(bounds).any(|(x, y)| x <= b && y >= a) {
                return Err(failed(format!(
                    "Cidr {asked} overlaps a subnet of the pool"
                )));
            }
            Ok(asked)
        }
        None => first_free(&prefixes, len as u8, &taken)
            .ok_or_else(|| failed("Insufficient prefix space to allocate subnet size".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn the_first_free_prefix_skips_taken_ones() {
        let pool = nets(&["10.10.0.0/16"]);
        assert_eq!(
            first_free(&pool, 24, &[]),
            Some("10.10.0.0/24".parse().unwrap())
        );
        let taken = nets(&["10.10.0.0/24", "10.10.1.128/25"]);
        assert_eq!(
            first_free(&pool, 24, &taken),
            Some("10.10.2.0/24".parse().unwrap())
        );
        assert_eq!(
            first_free(&pool, 25, &taken),
            Some("10.10.1.0/25".parse().unwrap())
        );
        assert_eq!(
            first_free(&nets(&["10.10.0.0/24"]), 24, &nets(&["10.10.0.0/24"])),
            None
        );
        assert_eq!(first_free(&pool, 8, &[]), None);
        let v6 = nets(&["2001:db8::/48"]);
        assert_eq!(
            first_free(&v6, 64, &nets(&["2001:db8::/64"])),
            Some("2001:db8:0:1::/64".parse().unwrap())
        );
    }

    #[test]
    fn prefixes_merge_and_keep_one_version() {
        let (v, merged) = merge(&["10.0.0.0/25".into(), "10.0.0.128/25".into()]).unwrap();
        assert_eq!((v, merged), (4, nets(&["10.0.0.0/24"])));
        assert_eq!(
            merge(&["10.0.0.0/24".into(), "2001:db8::/64".into()])
                .unwrap_err()
                .kind,
            "PrefixVersionMismatch"
        );
        assert!(check_lengths(4, 8, 24, 32).is_ok());
        assert_eq!(
            check_lengths(4, 24, 16, 32).unwrap_err().kind,
            "IllegalSubnetPoolPrefixBounds"
        );
    }
}
