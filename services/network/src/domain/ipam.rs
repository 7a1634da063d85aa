//! Address management: a subnet's ranges as numbers, its default gateway and
//! allocation pools, and handing out addresses so that none is ever given
//! twice — the `ip_allocations` key refuses a second holder, and a refused
//! address is skipped, whatever the database's isolation shows.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use rand::seq::SliceRandom;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

use super::{NeutronError, Result};
use crate::db::entity::{ip_allocation, subnet};

/// An allocation pool: the first and last address handed out from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    pub start: String,
    pub end: String,
}

/// An address as a number (IPv4 in the low 32 bits).
pub fn number(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u32::from(v4).into(),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// The address `n` of the family of `like`.
pub fn address(n: u128, like: IpAddr) -> IpAddr {
    match like {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(n as u32)),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(n)),
    }
}

/// The first and last usable address of `cidr` as Neutron counts them: IPv4
/// leaves out the network and broadcast addresses (but for /31 and /32),
/// IPv6 the subnet-router anycast address (the first).
pub fn usable_range(cidr: &IpNet) -> Option<(u128, u128)> {
    let first = number(cidr.network());
    let last = number(cidr.broadcast());
    let (first, last) = match cidr {
        IpNet::V4(v4) if v4.prefix_len() >= 31 => (first, last),
        IpNet::V4(_) => (first + 1, last - 1),
        IpNet::V6(v6) if v6.prefix_len() == 128 => (first, last),
        IpNet::V6(_) => (first + 1, last),
    };
    (first <= last).then_some((first, last))
}

/// Whether `ip` may be given to a port on `cidr` (inside it, and not its
/// network or broadcast address).
pub fn is_usable(cidr: &IpNet, ip: IpAddr) -> bool {
    let n = number(ip);
    cidr.contains(&ip) && usable_range(cidr).is_some_and(|(first, last)| n >= first && n <= last)
}

/// The pools Neutron makes for `cidr` without any asked: every usable
/// address but the gateway.
pub fn default_pools(cidr: &IpNet, gateway: Option<IpAddr>) -> Vec<Pool> {
    let Some((first, last)) = usable_range(cidr) else {
        return Vec::new();
    };
    let like = cidr.network();
    let mut ranges = vec![(first, last)];
    if let Some(gw) = gateway.map(number).filter(|gw| *gw >= first && *gw <= last) {
        ranges.clear();
        if gw > first {
            ranges.push((first, gw - 1));
        }
        if gw < last {
            ranges.push((gw + 1, last));
        }
    }
    ranges
        .into_iter()
        .map(|(a, b)| Pool {
            start: address(a, like).to_string(),
            end: address(b, like).to_string(),
        })
        .collect()
}

/// Pools as number ranges (already validated).
pub fn ranges(pools: &[Pool]) -> Vec<(u128, u128)> {
    pools
        .iter()
        .filter_map(|p| {
            let start: IpAddr = p.start.parse().ok()?;
            let end: IpAddr = p.end.parse().ok()?;
            Some((number(start), number(end)))
        })
        .collect()
}

/// Up to `limit` free addresses of `pools` (ascending), not in `taken`.
fn free(pools: &[(u128, u128)], taken: &BTreeSet<u128>, limit: usize) -> Vec<u128> {
    let mut sorted = pools.to_vec();
    sorted.sort();
    let mut found = Vec::new();
    for (start, end) in sorted {
        let mut used = taken.range(start..=end).peekable();
        let mut candidate = start;
        loop {
            if found.len() >= limit {
                return found;
            }
            if used.peek() == Some(&&candidate) {
                used.next();
            } else {
                found.push(candidate);
            }
            if candidate == end {
                break;
            }
            candidate += 1;
        }
    }
    found
}

/// How many of the lowest free addresses a port's address is picked from at
/// random (Neutron's window), so concurrent creates rarely want the same one.
const WINDOW: usize = 1000;

/// The subnet's addresses in use.
async fn taken<C: ConnectionTrait>(db: &C, subnet_id: &str) -> Result<BTreeSet<u128>> {
    Ok(ip_allocation::Entity::find()
        .filter(ip_allocation::Column::SubnetId.eq(subnet_id))
        .all(db)
        .await?
        .iter()
        .filter_map(|a| a.ip_address.parse::<IpAddr>().ok().map(number))
        .collect())
}

/// Records `ip` of `subnet` as held by `port_id`; false when another holds it.
async fn claim<C: ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    subnet: &subnet::Model,
    ip: IpAddr,
    port_id: &str,
) -> Result<bool> {
    // A savepoint: a refused insert must not end the caller's transaction.
    let attempt = db.begin().await?;
    let inserted = ip_allocation::ActiveModel {
        subnet_id: Set(subnet.id.clone()),
        ip_address: Set(ip.to_string()),
        network_id: Set(subnet.network_id.clone()),
        port_id: Set(port_id.to_string()),
    }
    .insert(&attempt)
    .await;
    match inserted.map_err(ferrostack_db::DbError::from) {
        Ok(_) => {
            attempt.commit().await?;
            Ok(true)
        }
        Err(ferrostack_db::DbError::Duplicate(_)) => {
            attempt.rollback().await?;
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Gives `port_id` the address `ip` of `subnet` (409 when it is held).
pub async fn allocate_address<C: ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    subnet: &subnet::Model,
    ip: IpAddr,
    port_id: &str,
) -> Result<()> {
    if claim(db, subnet, ip, port_id).await? {
        return Ok(());
    }
    Err(NeutronError::conflict(
        "IpAddressAlreadyAllocated",
        format!("IP address {ip} already allocated in subnet {}", subnet.id),
    ))
}

/// Gives `port_id` a free address of `subnet`'s pools — the lowest when
/// `lowest` (DHCP ports), else one of the lowest free ones at random — or
/// `None` when the pools are exhausted.
pub async fn allocate_any<C: ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    subnet: &subnet::Model,
    port_id: &str,
    lowest: bool,
) -> Result<Option<IpAddr>> {
    let pools: Vec<Pool> = serde_json::from_str(&subnet.allocation_pools).unwrap_or_default();
    let ranges = ranges(&pools);
    let like: IpAddr = match subnet.cidr.parse::<IpNet>() {
        Ok(cidr) => cidr.network(),
        Err(_) => return Ok(None),
    };
    let mut taken = taken(db, &subnet.id).await?;
    // Each refusal (a concurrent holder) is skipped; the key decides.
    loop {
        let candidates = free(&ranges, &taken, if lowest { 1 } else { WINDOW });
        let Some(n) = (if lowest {
            candidates.first().copied()
        } else {
            candidates.choose(&mut rand::thread_rng()).copied()
        }) else {
            return Ok(None);
        };
        let ip = address(n, like);
        if claim(db, subnet, ip, port_id).await? {
            return Ok(Some(ip));
        }
        taken.insert(n);
    }
}

/// Gives every address `port_id` holds back.
pub async fn release<C: ConnectionTrait>(db: &C, port_id: &str) -> Result<()> {
    ip_allocation::Entity::delete_many()
        .filter(ip_allocation::Column::PortId.eq(port_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The SLAAC address (modified EUI-64) of `mac` on IPv6 `cidr`.
pub fn eui64(cidr: &IpNet, mac: &str) -> Option<IpAddr> {
    let bytes: Vec<u8> = mac
        .split(':')
        .map(|b| u8::from_str_radix(b, 16).ok())
        .collect::<Option<_>>()?;
    if bytes.len() != 6 || cidr.prefix_len() > 64 {
        return None;
    }
    let interface = [
        bytes[0] ^ 0x02,
        bytes[1],
        bytes[2],
        0xff,
        0xfe,
        bytes[3],
        bytes[4],
        bytes[5],
    ];
    let suffix = u64::from_be_bytes(interface) as u128;
    Some(address(number(cidr.network()) | suffix, cidr.network()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> IpNet {
        text.parse().unwrap()
    }

    fn pool(start: &str, end: &str) -> Pool {
        Pool {
            start: start.into(),
            end: end.into(),
        }
    }

    #[test]
    fn default_pools_leave_out_the_gateway() {
        let cidr = net("10.0.0.0/24");
        assert_eq!(
            default_pools(&cidr, Some("10.0.0.1".parse().unwrap())),
            [pool("10.0.0.2", "10.0.0.254")]
        );
        assert_eq!(
            default_pools(&cidr, Some("10.0.0.100".parse().unwrap())),
            [
                pool("10.0.0.1", "10.0.0.99"),
                pool("10.0.0.101", "10.0.0.254")
            ]
        );
        assert_eq!(
            default_pools(&cidr, Some("10.0.0.254".parse().unwrap())),
            [pool("10.0.0.1", "10.0.0.253")]
        );
        assert_eq!(default_pools(&cidr, None), [pool("10.0.0.1", "10.0.0.254")]);
        assert_eq!(
            default_pools(&net("192.168.1.8/31"), None),
            [pool("192.168.1.8", "192.168.1.9")]
        );
        assert_eq!(
            default_pools(&net("2001:db8::/64"), Some("2001:db8::1".parse().unwrap())),
            [pool("2001:db8::2", "2001:db8::ffff:ffff:ffff:ffff")]
        );
    }

    #[test]
    fn free_addresses_come_lowest_first() {
        let pools = [(10, 12), (20, 21)];
        assert_eq!(free(&pools, &BTreeSet::new(), 1), [10]);
        assert_eq!(free(&pools, &[10, 11].into(), 1), [12]);
        assert_eq!(free(&pools, &[10, 11, 12].into(), 5), [20, 21]);
        assert!(free(&pools, &[10, 11, 12, 20, 21].into(), 5).is_empty());
        assert_eq!(free(&pools, &[11].into(), 5), [10, 12, 20, 21]);
        assert_eq!(free(&[(0, u128::MAX)], &BTreeSet::new(), 3), [0, 1, 2]);
    }

    #[test]
    fn usable_addresses_exclude_network_and_broadcast() {
        let cidr = net("10.0.0.0/29");
        assert!(!is_usable(&cidr, "10.0.0.0".parse().unwrap()));
        assert!(is_usable(&cidr, "10.0.0.1".parse().unwrap()));
        assert!(!is_usable(&cidr, "10.0.0.7".parse().unwrap()));
        assert!(!is_usable(&cidr, "10.0.1.1".parse().unwrap()));
    }

    #[test]
    fn slaac_addresses_are_modified_eui64() {
        assert_eq!(
            eui64(&net("2001:db8::/64"), "fa:16:3e:12:34:56"),
            Some("2001:db8::f816:3eff:fe12:3456".parse().unwrap())
        );
        assert_eq!(eui64(&net("2001:db8::/80"), "fa:16:3e:12:34:56"), None);
    }
}
