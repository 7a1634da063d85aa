//! Network IP availability (admin): per network and subnet, how many
//! addresses its allocation pools hold and how many are allocated.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::ipam::{ranges, Pool};
use super::{Caller, Neutron, NeutronError, Result};
use crate::db::entity::{ip_allocation, network, subnet};

/// One subnet's addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetAvailability {
    pub subnet: subnet::Model,
    pub total_ips: u64,
    pub used_ips: u64,
}

/// One network's addresses, with its subnets'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkAvailability {
    pub network: network::Model,
    pub subnets: Vec<SubnetAvailability>,
}

pub(crate) fn not_found(id: &str) -> NeutronError {
    NeutronError::not_found(
        "NetworkNotFound",
        format!("Network {id} could not be found."),
    )
}

/// How many addresses `pools` hold (an IPv6 /64's saturate).
fn pool_size(pools: &[Pool]) -> u64 {
    ranges(pools)
        .into_iter()
        .map(|(first, last)| u64::try_from(last - first + 1).unwrap_or(u64::MAX))
        .fold(0, u64::saturating_add)
}

impl Neutron {
    async fn availability_of(
        &self,
        networks: Vec<network::Model>,
    ) -> Result<Vec<NetworkAvailability>> {
        let ids: Vec<String> = networks.iter().map(|n| n.id.clone()).collect();
        let mut subnets: HashMap<String, Vec<subnet::Model>> = HashMap::new();
        for s in subnet::Entity::find()
            .filter(subnet::Column::NetworkId.is_in(ids))
            .order_by_asc(subnet::Column::Id)
            .all(&self.db)
            .await?
        {
            subnets.entry(s.network_id.clone()).or_default().push(s);
        }
        let mut found = Vec::with_capacity(networks.len());
        for network in networks {
            let mut of_network = Vec::new();
            for subnet in subnets.remove(&network.id).unwrap_or_default() {
                let pools: Vec<Pool> =
                    serde_json::from_str(&subnet.allocation_pools).unwrap_or_default();
                let used_ips = ip_allocation::Entity::find()
                    .filter(ip_allocation::Column::SubnetId.eq(&subnet.id))
                    .count(&self.db)
                    .await?;
                of_network.push(SubnetAvailability {
                    total_ips: pool_size(&pools),
                    used_ips,
                    subnet,
                });
            }
            found.push(NetworkAvailability {
                network,
                subnets: of_network,
            });
        }
        Ok(found)
    }

    /// `GET /v2.0/network-ip-availabilities`.
    pub async fn list_ip_availability(&self, caller: &Caller) -> Result<Vec<NetworkAvailability>> {
        self.authorize(caller, "get_network_ip_availability", &json!({}))?;
        let networks = network::Entity::find()
            .order_by_asc(network::Column::Id)
            .all(&self.db)
            .await?;
        self.availability_of(networks).await
    }

    /// `GET /v2.0/network-ip-availabilities/{network_id}`.
    pub async fn show_ip_availability(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<NetworkAvailability> {
        self.authorize(caller, "get_network_ip_availability", &json!({}))?;
        let network = network::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        Ok(self.availability_of(vec![network]).await?.remove(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_count_their_addresses() {
        let pool = |start: &str, end: &str| Pool {
            start: start.into(),
            end: end.into(),
        };
        assert_eq!(pool_size(&[pool("10.0.0.2", "10.0.0.254")]), 253);
        assert_eq!(
            pool_size(&[pool("10.0.0.2", "10.0.0.9"), pool("10.0.0.20", "10.0.0.20")]),
            9
        );
        assert_eq!(
            pool_size(&[pool("2001:db8::2", "2001:db8:0:2::")]),
            u64::MAX
        );
    }
}
