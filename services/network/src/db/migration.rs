//! The network schema.

use ferrostack_db::schema::{
    big_integer, flag, id, index, opt_big_integer, opt_id, primary_key, required_string,
    required_text, string, table, timestamp, unique,
};
use ferrostack_db::sea_orm_migration::prelude::*;

/// Runs every network migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(Initial),
            Box::new(FloatingIps),
            Box::new(Agents),
            Box::new(SubnetPools),
            Box::new(NetworkRbacs),
        ]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("network_migrations").into_iden()
    }
}

struct Initial;

impl MigrationName for Initial {
    fn name(&self) -> &str {
        "m0001_initial"
    }
}

/// What every resource has: a project, a name and description, a revision
/// and timestamps (Neutron's standard attributes).
fn standard(name: &str) -> TableCreateStatement {
    table(name)
        .col(required_string("id", 36).primary_key())
        .col(id("project_id"))
        .col(required_string("name", 255))
        .col(required_string("description", 255))
        .col(big_integer("revision_number"))
        .col(timestamp("created_at"))
        .col(timestamp("updated_at"))
        .to_owned()
}

/// Networks with their segments, subnets, ports with their addresses,
/// security groups with their rules, routers; tags of any of them.
#[async_trait::async_trait]
impl MigrationTrait for Initial {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            standard("networks")
                .col(required_string("status", 16))
                .col(flag("admin_state_up"))
                .col(flag("shared"))
                .col(flag("external"))
                .col(big_integer("mtu"))
                .col(flag("port_security_enabled"))
                .col(required_string("network_type", 16))
                .col(string("physical_network", 64))
                .col(opt_big_integer("segmentation_id"))
                .col(required_text("availability_zone_hints"))
                .col(string("dns_domain", 255))
                .to_owned(),
        )
        .await?;
        m.create_index(index("networks", &["project_id"])).await?;
        // One row per segment in use: a VXLAN id or a flat physical network
        // belongs to one network (the unique key is the allocation).
        m.create_table(
            table("segment_allocations")
                .col(required_string("network_type", 16))
                .col(required_string("physical_network", 64))
                .col(big_integer("segmentation_id"))
                .col(required_string("network_id", 36))
                .primary_key(&mut primary_key(&[
                    "network_type",
                    "physical_network",
                    "segmentation_id",
                ]))
                .to_owned(),
        )
        .await?;
        m.create_table(
            standard("subnets")
                .col(required_string("network_id", 36))
                .col(big_integer("ip_version"))
                .col(required_string("cidr", 64))
                .col(string("gateway_ip", 64))
                .col(flag("enable_dhcp"))
                .col(string("ipv6_ra_mode", 16))
                .col(string("ipv6_address_mode", 16))
                .col(opt_id("subnetpool_id"))
                .col(required_text("allocation_pools"))
                .col(required_text("dns_nameservers"))
                .col(required_text("host_routes"))
                .col(required_text("service_types"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("subnets", &["network_id"])).await?;
        m.create_table(
            standard("ports")
                .col(required_string("network_id", 36))
                .col(required_string("mac_address", 32))
                .col(flag("admin_state_up"))
                .col(required_string("status", 16))
                .col(required_string("device_id", 255))
                .col(required_string("device_owner", 255))
                .col(flag("port_security_enabled"))
                .col(required_text("allowed_address_pairs"))
                .col(required_text("extra_dhcp_opts"))
                .col(required_string("binding_host_id", 255))
                .col(required_string("binding_vnic_type", 64))
                .col(required_text("binding_profile"))
                .col(required_string("binding_vif_type", 64))
                .col(required_text("binding_vif_details"))
                .col(required_string("dns_name", 255))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ports", &["network_id"])).await?;
        m.create_index(index("ports", &["device_id"])).await?;
        m.create_index(unique("ports", &["network_id", "mac_address"]))
            .await?;
        // An address belongs to one port: the key is the allocation.
        m.create_table(
            table("ip_allocations")
                .col(required_string("subnet_id", 36))
                .col(required_string("ip_address", 64))
                .col(required_string("network_id", 36))
                .col(required_string("port_id", 36))
                .primary_key(&mut primary_key(&["subnet_id", "ip_address"]))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ip_allocations", &["port_id"]))
            .await?;
        m.create_table(standard("security_groups").col(flag("stateful")).to_owned())
            .await?;
        m.create_index(index("security_groups", &["project_id"]))
            .await?;
        // The project's default group: one per project, by its key.
        m.create_table(
            table("default_security_groups")
                .col(id("project_id").primary_key())
                .col(required_string("security_group_id", 36))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("security_group_rules")
                .col(required_string("id", 36).primary_key())
                .col(id("project_id"))
                .col(required_string("security_group_id", 36))
                .col(required_string("direction", 8))
                .col(required_string("ethertype", 8))
                .col(string("protocol", 40))
                .col(opt_big_integer("port_range_min"))
                .col(opt_big_integer("port_range_max"))
                .col(string("remote_ip_prefix", 64))
                .col(string("remote_group_id", 36))
                .col(required_string("description", 255))
                // What makes two rules the same: equal rules are refused.
                .col(required_string("fingerprint", 255))
                .col(big_integer("revision_number"))
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "security_group_rules",
            &["security_group_id", "fingerprint"],
        ))
        .await?;
        m.create_table(
            table("port_security_groups")
                .col(required_string("port_id", 36))
                .col(required_string("security_group_id", 36))
                .primary_key(&mut primary_key(&["port_id", "security_group_id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(index("port_security_groups", &["security_group_id"]))
            .await?;
        m.create_table(
            standard("routers")
                .col(required_string("status", 16))
                .col(flag("admin_state_up"))
                .col(string("gw_port_id", 36))
                .col(flag("enable_snat"))
                .col(required_text("routes"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("routers", &["project_id"])).await?;
        m.create_table(ferrostack_db::quota_lock::create_table())
            .await?;
        // A project's limits that are not the configured defaults.
        m.create_table(
            table("quotas")
                .col(id("project_id"))
                .col(required_string("resource", 64))
                .col(big_integer("hard_limit"))
                .primary_key(&mut primary_key(&["project_id", "resource"]))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("tags")
                .col(required_string("resource_type", 32))
                .col(required_string("resource_id", 36))
                .col(required_string("tag", 255))
                .primary_key(&mut primary_key(&["resource_type", "resource_id", "tag"]))
                .to_owned(),
        )
        .await
    }
}

struct FloatingIps;

impl MigrationName for FloatingIps {
    fn name(&self) -> &str {
        "m0002_floating_ips"
    }
}

/// Floating IPs: one fixed address of a port has at most one per external
/// network (the unique key settles concurrent associations).
#[async_trait::async_trait]
impl MigrationTrait for FloatingIps {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("floatingips")
                .col(required_string("id", 36).primary_key())
                .col(id("project_id"))
                .col(required_string("description", 255))
                .col(big_integer("revision_number"))
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
                .col(required_string("status", 16))
                .col(id("floating_network_id"))
                .col(required_string("floating_ip_address", 64))
                .col(id("floating_port_id"))
                .col(opt_id("fixed_port_id"))
                .col(string("fixed_ip_address", 64))
                .col(opt_id("router_id"))
                .col(required_string("dns_name", 255))
                .col(required_string("dns_domain", 255))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "floatingips",
            &["floating_network_id", "fixed_port_id", "fixed_ip_address"],
        ))
        .await?;
        m.create_index(index("floatingips", &["project_id"]))
            .await?;
        m.create_index(index("floatingips", &["router_id"])).await
    }
}

struct Agents;

impl MigrationName for Agents {
    fn name(&self) -> &str {
        "m0003_agents"
    }
}

/// Agents: the shared service registry (heartbeats, admin state) and what
/// each agent reports about itself.
#[async_trait::async_trait]
impl MigrationTrait for Agents {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(ferrostack_db::service_registry::create_table())
            .await?;
        m.create_table(
            table("agents")
                .col(required_string("id", 36).primary_key())
                .col(required_string("host", 255))
                .col(required_string("binary", 64))
                .col(required_string("agent_type", 64))
                .col(required_string("topic", 64))
                .col(required_string("description", 255))
                .col(required_text("configurations"))
                .col(string("availability_zone", 255))
                .col(timestamp("created_at"))
                .col(timestamp("started_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("agents", &["host", "binary"])).await
    }
}

struct SubnetPools;

impl MigrationName for SubnetPools {
    fn name(&self) -> &str {
        "m0004_subnet_pools"
    }
}

/// Subnet pools.
#[async_trait::async_trait]
impl MigrationTrait for SubnetPools {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            standard("subnetpools")
                .col(big_integer("ip_version"))
                .col(required_text("prefixes"))
                .col(big_integer("default_prefixlen"))
                .col(big_integer("min_prefixlen"))
                .col(big_integer("max_prefixlen"))
                .col(flag("shared"))
                .col(flag("is_default"))
                .col(opt_big_integer("default_quota"))
                .col(big_integer("allocations"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("subnetpools", &["project_id"])).await
    }
}

struct NetworkRbacs;

impl MigrationName for NetworkRbacs {
    fn name(&self) -> &str {
        "m0005_network_rbacs"
    }
}

/// RBAC policies on networks, with the wildcard entries of the networks
/// already shared or external (what `shared` and `router:external` meant
/// before).
#[async_trait::async_trait]
impl MigrationTrait for NetworkRbacs {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("networkrbacs")
                .col(required_string("id", 36).primary_key())
                .col(id("project_id"))
                .col(id("object_id"))
                .col(required_string("action", 32))
                .col(required_string("target_tenant", 255))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "networkrbacs",
            &["object_id", "action", "target_tenant"],
        ))
        .await?;
        m.create_index(index("networkrbacs", &["target_tenant"]))
            .await?;
        m.create_index(index("networkrbacs", &["project_id"]))
            .await?;
        let db = m.get_connection();
        let networks = Query::select()
            .columns([
                Alias::new("id"),
                Alias::new("project_id"),
                Alias::new("shared"),
                Alias::new("external"),
            ])
            .from(Alias::new("networks"))
            .to_owned();
        for row in db
            .query_all(db.get_database_backend().build(&networks))
            .await?
        {
            let network: String = row.try_get("", "id")?;
            let project: String = row.try_get("", "project_id")?;
            for (flag, action) in [
                ("shared", "access_as_shared"),
                ("external", "access_as_external"),
            ] {
                if row.try_get::<bool>("", flag)? {
                    let insert = Query::insert()
                        .into_table(Alias::new("networkrbacs"))
                        .columns([
                            Alias::new("id"),
                            Alias::new("project_id"),
                            Alias::new("object_id"),
                            Alias::new("action"),
                            Alias::new("target_tenant"),
                        ])
                        .values([
                            uuid::Uuid::new_v4().to_string().into(),
                            project.clone().into(),
                            network.clone().into(),
                            action.into(),
                            "*".into(),
                        ])
                        .map_err(|e| DbErr::Custom(e.to_string()))?
                        .to_owned();
                    db.execute(db.get_database_backend().build(&insert)).await?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveModelTrait, Database, EntityTrait, Set};

    use super::*;
    use crate::db::entity::{network, network_rbac};

    #[tokio::test]
    async fn shared_and_external_networks_get_their_wildcard_entries() {
        let path = std::env::temp_dir().join(format!("rbac-{}.db", uuid::Uuid::new_v4()));
        let db = Database::connect(format!("sqlite://{}?mode=rwc", path.display()))
            .await
            .unwrap();
        Migrator::up(&db, Some(4)).await.unwrap();
        let at = chrono::Utc::now().naive_utc();
        for (id, shared, external) in [
            ("a", true, false),
            ("b", false, true),
            ("c", false, false),
            ("d", true, true),
        ] {
            network::ActiveModel {
                id: Set(id.into()),
                project_id: Set("p".into()),
                name: Set(String::new()),
                description: Set(String::new()),
                revision_number: Set(1),
                created_at: Set(at),
                updated_at: Set(at),
                status: Set("ACTIVE".into()),
                admin_state_up: Set(true),
                shared: Set(shared),
                external: Set(external),
                mtu: Set(1500),
                port_security_enabled: Set(true),
                network_type: Set("local".into()),
                physical_network: Set(None),
                segmentation_id: Set(None),
                availability_zone_hints: Set("[]".into()),
                dns_domain: Set(None),
            }
            .insert(&db)
            .await
            .unwrap();
        }
        Migrator::up(&db, None).await.unwrap();
        let mut entries: Vec<(String, String, String, String)> = network_rbac::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.object_id, e.action, e.target_tenant, e.project_id))
            .collect();
        entries.sort();
        let expected = [
            ("a", "access_as_shared"),
            ("b", "access_as_external"),
            ("d", "access_as_external"),
            ("d", "access_as_shared"),
        ]
        .map(|(id, action)| {
            (
                id.to_string(),
                action.to_string(),
                "*".to_string(),
                "p".to_string(),
            )
        });
        assert_eq!(entries, expected);
        drop(db);
        let _ = std::fs::remove_file(&path);
    }
}
