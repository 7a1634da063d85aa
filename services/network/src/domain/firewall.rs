//! What hosts' firewalls are told (Neutron's security group RPC): a wired
//! port carries its groups and the addresses it may send from; its host
//! asks for those groups' rules and members, and is told to ask again
//! whenever any group's rules or members change.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;

use super::{Neutron, Result};
use crate::db::entity::{agent, ip_allocation, port, port_security_group, security_group_rule};
use crate::rpc::agent as agent_rpc;
use crate::rpc::messages::{
    SecurityGroupInfo, SecurityGroupList, SecurityGroupsChanged, SecurityRule,
};

impl Neutron {
    /// Port `row`'s security groups and the addresses it may send from.
    pub(crate) async fn port_filter(
        &self,
        row: &port::Model,
        fixed_ips: &[String],
    ) -> Result<(Vec<String>, Vec<String>)> {
        let groups = port_security_group::Entity::find()
            .filter(port_security_group::Column::PortId.eq(&row.id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|g| g.security_group_id)
            .collect();
        let mut allowed = fixed_ips.to_vec();
        let pairs: Vec<Value> =
            serde_json::from_str(&row.allowed_address_pairs).unwrap_or_default();
        allowed.extend(
            pairs
                .iter()
                .filter_map(|p| p["ip_address"].as_str().map(String::from)),
        );
        Ok((groups, allowed))
    }

    /// The rules and members of `group_ids`, with those of the groups their
    /// rules name as remote groups.
    pub async fn security_groups_info(&self, group_ids: &[String]) -> Result<SecurityGroupList> {
        let rules = security_group_rule::Entity::find()
            .filter(security_group_rule::Column::SecurityGroupId.is_in(group_ids.iter().cloned()))
            .order_by_asc(security_group_rule::Column::Id)
            .all(&self.db)
            .await?;
        let mut wanted: BTreeSet<String> = group_ids.iter().cloned().collect();
        wanted.extend(rules.iter().filter_map(|r| r.remote_group_id.clone()));
        let mut groups: BTreeMap<String, SecurityGroupInfo> = wanted
            .iter()
            .map(|id| {
                let info = SecurityGroupInfo {
                    id: id.clone(),
                    ..SecurityGroupInfo::default()
                };
                (id.clone(), info)
            })
            .collect();
        for r in rules {
            if let Some(group) = groups.get_mut(&r.security_group_id) {
                group.rules.push(SecurityRule {
                    direction: r.direction,
                    ethertype: r.ethertype,
                    protocol: r.protocol.unwrap_or_default(),
                    port_range_min: r.port_range_min.unwrap_or_default(),
                    port_range_max: r.port_range_max.unwrap_or_default(),
                    remote_ip_prefix: r.remote_ip_prefix.unwrap_or_default(),
                    remote_group_id: r.remote_group_id.unwrap_or_default(),
                });
            }
        }
        let members = port_security_group::Entity::find()
            .filter(port_security_group::Column::SecurityGroupId.is_in(wanted.iter().cloned()))
            .all(&self.db)
            .await?;
        let ports: Vec<String> = members.iter().map(|m| m.port_id.clone()).collect();
        let mut addresses: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for a in ip_allocation::Entity::find()
            .filter(ip_allocation::Column::PortId.is_in(ports))
            .all(&self.db)
            .await?
        {
            addresses.entry(a.port_id).or_default().push(a.ip_address);
        }
        // Allowed address pairs are members' addresses too (as upstream).
        for p in port::Entity::find()
            .filter(port::Column::Id.is_in(members.iter().map(|m| m.port_id.clone())))
            .all(&self.db)
            .await?
        {
            let pairs: Vec<Value> =
                serde_json::from_str(&p.allowed_address_pairs).unwrap_or_default();
            addresses.entry(p.id).or_default().extend(
                pairs
                    .iter()
                    .filter_map(|pair| pair["ip_address"].as_str().map(String::from)),
            );
        }
        for m in members {
            if let Some(group) = groups.get_mut(&m.security_group_id) {
                group
                    .member_ips
                    .extend(addresses.get(&m.port_id).cloned().unwrap_or_default());
            }
        }
        Ok(SecurityGroupList {
            groups: groups.into_values().collect(),
        })
    }

    /// Tells every host whose firewall filters (its L2 agent reports a
    /// `firewall_driver`) that security groups changed.
    pub(crate) async fn tell_firewalls(&self) {
        let hosts = match agent::Entity::find()
            .filter(agent::Column::Binary.eq(super::agents::L2_BINARY))
            .all(&self.db)
            .await
        {
            Ok(rows) => rows
                .into_iter()
                .filter(|a| {
                    serde_json::from_str::<Value>(&a.configurations)
                        .is_ok_and(|c| c["firewall_driver"].is_string())
                })
                .map(|a| a.host)
                .collect::<Vec<_>>(),
            Err(e) => {
                tracing::warn!("firewalls not told: {e}");
                return;
            }
        };
        for host in hosts {
            if let Err(e) = self
                .agents
                .cast::<agent_rpc::SecurityGroupsChanged>(
                    &ferrostack_rpc::Context::internal(),
                    Some(&host),
                    &SecurityGroupsChanged {},
                )
                .await
            {
                tracing::warn!(host, "firewall not told: {e}");
            }
        }
    }
}
