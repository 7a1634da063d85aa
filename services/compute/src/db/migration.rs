//! The compute schema.

use ferrostack_db::schema::{
    big_integer, flag, index, opt_big_integer, primary_key, required_string, required_text, serial,
    string, table, text, time, timestamp, unique,
};
use ferrostack_db::sea_orm_migration::prelude::*;

/// Runs every compute migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(Initial),
            Box::new(Services),
            Box::new(Aggregates),
            Box::new(super::servers_schema::Servers),
            Box::new(QuotaClasses),
            Box::new(BlockDeviceMappings),
            Box::new(SystemMetadata),
            Box::new(Migrations),
            Box::new(ConsoleAuthTokens),
            Box::new(InstanceNetworks),
            Box::new(AutoDiskConfig),
            Box::new(ProjectUserQuotas),
        ]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("compute_migrations").into_iden()
    }
}

struct Initial;

impl MigrationName for Initial {
    fn name(&self) -> &str {
        "m0001_initial"
    }
}

fn count(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .big_integer()
        .not_null()
        .to_owned()
}

/// Flavors with their extra specs and access lists, and key pairs.
#[async_trait::async_trait]
impl MigrationTrait for Initial {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("flavors")
                .col(required_string("flavorid", 255).primary_key())
                .col(required_string("name", 255))
                .col(count("memory_mb"))
                .col(count("vcpus"))
                .col(count("root_gb"))
                .col(count("ephemeral_gb"))
                .col(count("swap"))
                .col(
                    ColumnDef::new(Alias::new("rxtx_factor"))
                        .double()
                        .not_null(),
                )
                .col(flag("is_public"))
                .col(flag("disabled"))
                .col(text("description"))
                .col(timestamp("created_at"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("flavors", &["name"])).await?;
        m.create_table(
            table("flavor_extra_specs")
                .col(required_string("flavorid", 255))
                .col(required_string("key", 255))
                .col(required_string("value", 255))
                .primary_key(&mut primary_key(&["flavorid", "key"]))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("flavor_projects")
                .col(required_string("flavorid", 255))
                .col(required_string("project_id", 255))
                .primary_key(&mut primary_key(&["flavorid", "project_id"]))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("key_pairs")
                .col(serial("id"))
                .col(required_string("user_id", 255))
                .col(required_string("name", 255))
                .col(required_string("fingerprint", 255))
                .col(ColumnDef::new(Alias::new("public_key")).text().not_null())
                .col(required_string("type", 16))
                .col(timestamp("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("key_pairs", &["user_id", "name"]))
            .await?;
        m.create_index(index("key_pairs", &["user_id"])).await
    }
}

struct Services;

impl MigrationName for Services {
    fn name(&self) -> &str {
        "m0002_services"
    }
}

/// The service registry (`os-services`) and the compute nodes agents report.
#[async_trait::async_trait]
impl MigrationTrait for Services {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(ferrostack_db::service_registry::create_table())
            .await?;
        m.create_table(
            table("compute_nodes")
                .col(serial("id"))
                .col(required_string("uuid", 36))
                .col(required_string("host", 255))
                .col(required_string("hypervisor_hostname", 255))
                .col(required_string("hypervisor_type", 64))
                .col(count("hypervisor_version"))
                .col(required_string("host_ip", 64))
                .col(count("vcpus"))
                .col(count("memory_mb"))
                .col(count("local_gb"))
                .col(count("vcpus_used"))
                .col(count("memory_mb_used"))
                .col(count("local_gb_used"))
                .col(count("running_vms"))
                .col(ColumnDef::new(Alias::new("cpu_info")).text().not_null())
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("compute_nodes", &["host"])).await?;
        m.create_table(
            table("service_records")
                .col(serial("id"))
                .col(required_string("uuid", 36))
                .col(required_string("host", 255))
                .col(required_string("binary", 64))
                .col(flag("forced_down"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("service_records", &["host", "binary"]))
            .await
    }
}

struct Aggregates;

impl MigrationName for Aggregates {
    fn name(&self) -> &str {
        "m0003_aggregates"
    }
}

/// Host aggregates, their hosts and metadata.
#[async_trait::async_trait]
impl MigrationTrait for Aggregates {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("aggregates")
                .col(serial("id"))
                .col(required_string("uuid", 36))
                .col(required_string("name", 255))
                .col(timestamp("created_at"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("aggregates", &["name"])).await?;
        m.create_table(
            table("aggregate_hosts")
                .col(count("aggregate_id"))
                .col(required_string("host", 255))
                .primary_key(&mut primary_key(&["aggregate_id", "host"]))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("aggregate_metadata")
                .col(count("aggregate_id"))
                .col(required_string("key", 255))
                .col(required_string("value", 255))
                .primary_key(&mut primary_key(&["aggregate_id", "key"]))
                .to_owned(),
        )
        .await
    }
}

struct QuotaClasses;

impl MigrationName for QuotaClasses {
    fn name(&self) -> &str {
        "m0005_quota_classes"
    }
}

/// Quota classes' limits; the `default` class's replace the configured
/// defaults.
#[async_trait::async_trait]
impl MigrationTrait for QuotaClasses {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("quota_classes")
                .col(required_string("class_name", 255))
                .col(required_string("resource", 255))
                .col(
                    ColumnDef::new(Alias::new("hard_limit"))
                        .big_integer()
                        .not_null(),
                )
                .primary_key(&mut primary_key(&["class_name", "resource"]))
                .to_owned(),
        )
        .await
    }
}

struct BlockDeviceMappings;

impl MigrationName for BlockDeviceMappings {
    fn name(&self) -> &str {
        "m0006_block_device_mappings"
    }
}

/// The volumes of servers: attached ones, and those a build makes (from an
/// image, a snapshot, or blank) before its host connects them.
#[async_trait::async_trait]
impl MigrationTrait for BlockDeviceMappings {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("block_device_mappings")
                .col(required_string("uuid", 36).primary_key())
                .col(required_string("instance_uuid", 36))
                .col(required_string("source_type", 16))
                .col(string("image_id", 36))
                .col(string("snapshot_id", 36))
                .col(
                    ColumnDef::new(Alias::new("volume_size"))
                        .big_integer()
                        .null(),
                )
                .col(string("volume_id", 36))
                .col(string("attachment_id", 36))
                .col(required_string("device_name", 255))
                .col(ColumnDef::new(Alias::new("boot_index")).integer().null())
                .col(string("tag", 255))
                .col(flag("delete_on_termination"))
                .col(text("connection_info"))
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "block_device_mappings",
            &["instance_uuid", "volume_id"],
        ))
        .await
    }
}

struct SystemMetadata;

impl MigrationName for SystemMetadata {
    fn name(&self) -> &str {
        "m0007_instance_system_metadata"
    }
}

/// What compute keeps of a server for itself (Nova's system metadata), such
/// as the image a shelved server was saved to.
#[async_trait::async_trait]
impl MigrationTrait for SystemMetadata {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("instance_system_metadata")
                .col(required_string("instance_uuid", 36))
                .col(required_string("key", 255))
                .col(text("value"))
                .primary_key(&mut primary_key(&["instance_uuid", "key"]))
                .to_owned(),
        )
        .await
    }
}

struct Migrations;

impl MigrationName for Migrations {
    fn name(&self) -> &str {
        "m0008_migrations"
    }
}

/// Server moves: resizes and cold migrations, each with its flavors and hosts.
#[async_trait::async_trait]
impl MigrationTrait for Migrations {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("migrations")
                .col(serial("id"))
                .col(required_string("uuid", 36))
                .col(required_string("instance_uuid", 36))
                .col(required_string("migration_type", 16))
                .col(required_string("status", 32))
                .col(string("source_compute", 255))
                .col(string("source_node", 255))
                .col(string("dest_compute", 255))
                .col(string("dest_node", 255))
                .col(required_string("old_flavorid", 255))
                .col(required_string("new_flavorid", 255))
                .col(text("old_flavor"))
                .col(text("new_flavor"))
                .col(required_string("project_id", 64))
                .col(required_string("user_id", 64))
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("migrations", &["uuid"])).await?;
        m.create_index(index("migrations", &["instance_uuid"]))
            .await
    }
}

struct ConsoleAuthTokens;

impl MigrationName for ConsoleAuthTokens {
    fn name(&self) -> &str {
        "m0009_console_auth_tokens"
    }
}

/// Remote console tokens (kept as hashes) and what each opens.
#[async_trait::async_trait]
impl MigrationTrait for ConsoleAuthTokens {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("console_auth_tokens")
                .col(serial("id"))
                .col(required_string("token_hash", 64))
                .col(required_string("console_type", 32))
                .col(required_string("host", 255))
                .col(big_integer("port"))
                .col(opt_big_integer("tls_port"))
                .col(string("internal_access_path", 255))
                .col(required_string("access_url_base", 255))
                .col(required_string("instance_uuid", 36))
                .col(big_integer("expires"))
                .col(timestamp("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("console_auth_tokens", &["token_hash"]))
            .await?;
        m.create_index(index("console_auth_tokens", &["instance_uuid"]))
            .await
    }
}

struct InstanceNetworks;

impl MigrationName for InstanceNetworks {
    fn name(&self) -> &str {
        "m0010_instance_networks"
    }
}

/// The networks each server asked for and its network info.
#[async_trait::async_trait]
impl MigrationTrait for InstanceNetworks {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("instance_networks")
                .col(required_string("instance_uuid", 36).primary_key())
                .col(required_text("requested"))
                .col(required_text("network_info"))
                .to_owned(),
        )
        .await
    }
}

struct AutoDiskConfig;

impl MigrationName for AutoDiskConfig {
    fn name(&self) -> &str {
        "m0011_auto_disk_config"
    }
}

/// Each server's `OS-DCF:diskConfig` (AUTO when true).
#[async_trait::async_trait]
impl MigrationTrait for AutoDiskConfig {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("instances"))
                .add_column(
                    ColumnDef::new(Alias::new("auto_disk_config"))
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await
    }
}

struct ProjectUserQuotas;

impl MigrationName for ProjectUserQuotas {
    fn name(&self) -> &str {
        "m0012_project_user_quotas"
    }
}

/// A user's limits within a project, over the project's.
#[async_trait::async_trait]
impl MigrationTrait for ProjectUserQuotas {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("project_user_quotas")
                .col(required_string("project_id", 64))
                .col(required_string("user_id", 64))
                .col(required_string("resource", 255))
                .col(
                    ColumnDef::new(Alias::new("hard_limit"))
                        .big_integer()
                        .not_null(),
                )
                .primary_key(&mut primary_key(&["project_id", "user_id", "resource"]))
                .to_owned(),
        )
        .await
    }
}
