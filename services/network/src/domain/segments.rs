//! A network's segment (`provider:*`): what an admin asks for, checked as
//! ML2's type drivers check it, or what a project network gets from
//! `[ml2] tenant_network_types` — a free VXLAN id of `vni_ranges`, or local.
//! The `segment_allocations` key gives a VXLAN id or a flat physical network
//! to one network at most.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::{NeutronError, Result};
use crate::config::NetworkConfig;
use crate::db::entity::segment_allocation as allocation;

/// The largest VXLAN id.
const MAX_VNI: i64 = (1 << 24) - 1;
/// What VXLAN over IPv4 takes off the physical MTU.
const VXLAN_OVERHEAD: i64 = 50;

/// The `provider:*` attributes a request gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentRequest {
    pub network_type: Option<String>,
    pub physical_network: Option<String>,
    pub segmentation_id: Option<i64>,
}

/// A network's segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub network_type: String,
    pub physical_network: Option<String>,
    pub segmentation_id: Option<i64>,
}

impl Segment {
    /// The MTU a network of this segment gets.
    pub fn mtu(&self, cfg: &NetworkConfig) -> i64 {
        match self.network_type.as_str() {
            "vxlan" => cfg.global_physnet_mtu - VXLAN_OVERHEAD,
            _ => cfg.global_physnet_mtu,
        }
    }
}

fn invalid(why: impl std::fmt::Display) -> NeutronError {
    NeutronError::invalid_input(why)
}

/// Checks an asked-for segment as ML2's type drivers do.
pub fn validate(cfg: &NetworkConfig, request: &SegmentRequest) -> Result<Segment> {
    let Some(kind) = request.network_type.clone() else {
        return Err(invalid("network_type required"));
    };
    match kind.as_str() {
        "local" => {
            if request.physical_network.is_some() {
                return Err(invalid(
                    "provider:physical_network specified for local network",
                ));
            }
            if request.segmentation_id.is_some() {
                return Err(invalid(
                    "provider:segmentation_id specified for local network",
                ));
            }
        }
        "flat" => {
            let Some(physnet) = request.physical_network.as_deref() else {
                return Err(invalid(
                    "provider:physical_network required for flat provider network",
                ));
            };
            if request.segmentation_id.is_some() {
                return Err(invalid(
                    "provider:segmentation_id specified for flat provider network",
                ));
            }
            if let Some(allowed) = &cfg.flat_networks {
                if !allowed.iter().any(|n| n == physnet) {
                    return Err(invalid(format!(
                        "physical_network '{physnet}' unknown for flat provider network"
                    )));
                }
            }
        }
        "vxlan" => {
            if request.physical_network.is_some() {
                return Err(invalid(
                    "provider:physical_network specified for vxlan network",
                ));
            }
            if let Some(id) = request.segmentation_id {
                if !(1..=MAX_VNI).contains(&id) {
                    return Err(invalid(format!(
                        "segmentation_id out of range (1 through {MAX_VNI})"
                    )));
                }
            }
        }
        other => {
            return Err(invalid(format!(
                "network_type value '{other}' not supported"
            )));
        }
    }
    Ok(Segment {
        network_type: kind,
        physical_network: request.physical_network.clone(),
        segmentation_id: request.segmentation_id,
    })
}

/// Records that `network_id` holds `segment` (409 when another network does).
pub async fn claim<C: ConnectionTrait>(db: &C, segment: &Segment, network_id: &str) -> Result<()> {
    let key = match segment.network_type.as_str() {
        "flat" => (segment.physical_network.clone().unwrap_or_default(), 0),
        "vxlan" => (String::new(), segment.segmentation_id.unwrap_or_default()),
        _ => return Ok(()),
    };
    let claimed = allocation::ActiveModel {
        network_type: Set(segment.network_type.clone()),
        physical_network: Set(key.0.clone()),
        segmentation_id: Set(key.1),
        network_id: Set(network_id.to_string()),
    }
    .insert(db)
    .await;
    match claimed {
        Ok(_) => Ok(()),
        Err(e) => match ferrostack_db::DbError::from(e) {
            ferrostack_db::DbError::Duplicate(_) if segment.network_type == "flat" => {
                Err(NeutronError::conflict(
                    "FlatNetworkInUse",
                    format!(
                        "Unable to create the flat network. Physical network {} is in use.",
                        key.0
                    ),
                ))
            }
            ferrostack_db::DbError::Duplicate(_) => Err(NeutronError::conflict(
                "TunnelIdInUse",
                format!(
                    "Unable to create the network. The tunnel ID {} is in use.",
                    key.1
                ),
            )),
            other => Err(other.into()),
        },
    }
}

/// A segment for a project network: the first of `tenant_network_types`
/// that has one free (503 `NoNetworkAvailable` when none has).
pub async fn allocate<C: ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    cfg: &NetworkConfig,
    network_id: &str,
) -> Result<Segment> {
    for kind in &cfg.tenant_network_types {
        match kind.as_str() {
            "local" => {
                return Ok(Segment {
                    network_type: "local".into(),
                    physical_network: None,
                    segmentation_id: None,
                })
            }
            "vxlan" => {
                if let Some(segment) = allocate_vni(db, cfg, network_id).await? {
                    return Ok(segment);
                }
            }
            _ => {}
        }
    }
    Err(NeutronError::new(
        503,
        "NoNetworkAvailable",
        "Unable to create the network. No tenant network is available for allocation.",
    ))
}

/// The lowest free VXLAN id of the configured ranges, claimed for
/// `network_id` (a concurrent claim of the same id moves on to the next).
async fn allocate_vni<C: ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    cfg: &NetworkConfig,
    network_id: &str,
) -> Result<Option<Segment>> {
    let mut used: std::collections::BTreeSet<i64> = allocation::Entity::find()
        .filter(allocation::Column::NetworkType.eq("vxlan"))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.segmentation_id)
        .collect();
    loop {
        let Some(vni) = cfg
            .vni_ranges
            .iter()
            .flat_map(|(first, last)| *first..=*last)
            .find(|vni| !used.contains(vni))
        else {
            return Ok(None);
        };
        let segment = Segment {
            network_type: "vxlan".into(),
            physical_network: None,
            segmentation_id: Some(vni),
        };
        let attempt = db.begin().await?;
        match claim(&attempt, &segment, network_id).await {
            Ok(()) => {
                attempt.commit().await?;
                return Ok(Some(segment));
            }
            Err(e) if e.kind == "TunnelIdInUse" => {
                attempt.rollback().await?;
                used.insert(vni);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Frees what `network_id` held.
pub async fn release<C: ConnectionTrait>(db: &C, network_id: &str) -> Result<()> {
    allocation::Entity::delete_many()
        .filter(allocation::Column::NetworkId.eq(network_id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> NetworkConfig {
        let mut config = ferrostack_config::Config::default();
        config.set("ml2_type_flat", "flat_networks", "public");
        NetworkConfig::from_config(&config).unwrap()
    }

    fn ask(kind: &str, physnet: Option<&str>, id: Option<i64>) -> Result<Segment> {
        validate(
            &cfg(),
            &SegmentRequest {
                network_type: Some(kind.into()),
                physical_network: physnet.map(str::to_string),
                segmentation_id: id,
            },
        )
    }

    #[test]
    fn type_drivers_check_what_is_asked() {
        assert!(ask("flat", Some("public"), None).is_ok());
        assert_eq!(
            ask("flat", None, None).unwrap_err().message,
            "Invalid input for operation: provider:physical_network required for flat provider network."
        );
        assert!(ask("flat", Some("other"), None).is_err());
        assert!(ask("flat", Some("public"), Some(3)).is_err());
        assert!(ask("vxlan", None, Some(42)).is_ok());
        assert!(ask("vxlan", None, Some(1 << 24)).is_err());
        assert!(ask("vxlan", Some("public"), None).is_err());
        assert!(ask("local", None, None).is_ok());
        assert_eq!(
            ask("vlan", Some("public"), Some(5)).unwrap_err().message,
            "Invalid input for operation: network_type value 'vlan' not supported."
        );
    }

    #[test]
    fn vxlan_networks_lose_its_overhead() {
        let cfg = cfg();
        let vxlan = ask("vxlan", None, Some(1)).unwrap();
        assert_eq!(vxlan.mtu(&cfg), 1450);
        assert_eq!(ask("local", None, None).unwrap().mtu(&cfg), 1500);
    }
}
