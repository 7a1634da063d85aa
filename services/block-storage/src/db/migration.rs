//! The block-storage schema.

use ferrostack_db::schema::{
    big_integer, flag, index, opt_big_integer, primary_key, required_string, required_text, string,
    table, text, time, timestamp, unique,
};
use ferrostack_db::sea_orm_migration::prelude::*;

/// Runs every block-storage migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(Initial),
            Box::new(TypeAccess),
            Box::new(Snapshots),
            Box::new(Attachments),
            Box::new(Quotas),
            Box::new(VolumeSources),
            Box::new(Transfers),
            Box::new(Messages),
            Box::new(QosSpecs),
            Box::new(QuotaLocks),
            Box::new(Encryption),
            Box::new(ServiceReasons),
            Box::new(VolumePools),
            Box::new(QuotaClasses),
            Box::new(FrozenBackends),
            Box::new(GroupTypes),
            Box::new(Groups),
            Box::new(Backups),
            Box::new(AttachmentMountpoints),
        ]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("block_storage_migrations").into_iden()
    }
}

struct Initial;

impl MigrationName for Initial {
    fn name(&self) -> &str {
        "m0001_initial"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Initial {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("volumes")
                .col(required_string("id", 36).primary_key())
                .col(string("name", 255))
                .col(string("description", 255))
                .col(required_string("project_id", 64))
                .col(required_string("user_id", 64))
                .col(required_string("status", 32))
                .col(big_integer("size"))
                .col(required_string("availability_zone", 255))
                .col(string("host", 255))
                .col(required_string("volume_type_id", 36))
                .col(string("provider_location", 1024))
                .col(flag("bootable"))
                .col(flag("multiattach"))
                .col(required_text("metadata"))
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
                .to_owned(),
        )
        .await?;
        for columns in [&["project_id"][..], &["status"], &["created_at", "id"]] {
            m.create_index(index("volumes", columns)).await?;
        }
        m.create_table(
            table("volume_types")
                .col(required_string("id", 36).primary_key())
                .col(required_string("name", 255).unique_key())
                .col(string("description", 255))
                .col(flag("is_public"))
                .col(required_text("extra_specs"))
                .to_owned(),
        )
        .await?;
        m.create_table(ferrostack_db::service_registry::create_table())
            .await?;
        Ok(())
    }
}

struct TypeAccess;

impl MigrationName for TypeAccess {
    fn name(&self) -> &str {
        "m0002_type_access"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for TypeAccess {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("volume_type_projects")
                .col(required_string("volume_type_id", 36))
                .col(required_string("project_id", 64))
                .primary_key(&mut primary_key(&["volume_type_id", "project_id"]))
                .to_owned(),
        )
        .await
    }
}

struct Snapshots;

impl MigrationName for Snapshots {
    fn name(&self) -> &str {
        "m0003_snapshots"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Snapshots {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("snapshots")
                .col(required_string("id", 36).primary_key())
                .col(required_string("volume_id", 36))
                .col(required_string("project_id", 64))
                .col(required_string("user_id", 64))
                .col(string("name", 255))
                .col(string("description", 255))
                .col(required_string("status", 32))
                .col(big_integer("size"))
                .col(required_text("metadata"))
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("snapshots", &["volume_id"])).await
    }
}

struct Attachments;

impl MigrationName for Attachments {
    fn name(&self) -> &str {
        "m0004_attachments"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Attachments {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("attachments")
                .col(required_string("id", 36).primary_key())
                .col(required_string("volume_id", 36))
                .col(required_string("project_id", 64))
                .col(string("instance_uuid", 36))
                .col(required_string("status", 32))
                .col(required_string("attach_mode", 8))
                .col(text("connector"))
                .col(text("connection_info"))
                .col(time("attached_at"))
                .col(time("detached_at"))
                .col(timestamp("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("attachments", &["volume_id"])).await
    }
}

struct Quotas;

impl MigrationName for Quotas {
    fn name(&self) -> &str {
        "m0005_quotas"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Quotas {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("quotas")
                .col(required_string("project_id", 64))
                .col(required_string("resource", 255))
                .col(big_integer("hard_limit"))
                .primary_key(&mut primary_key(&["project_id", "resource"]))
                .to_owned(),
        )
        .await
    }
}

struct VolumeSources;

impl MigrationName for VolumeSources {
    fn name(&self) -> &str {
        "m0006_volume_sources"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for VolumeSources {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a column at a time. Volumes
        // keep their sources, migration state and readonly flag (`True` or
        // `False`, as Cinder's admin metadata); snapshots their
        // driver-reported progress.
        for column in [
            string("snapshot_id", 36),
            string("source_volid", 36),
            text("image_metadata"),
            string("migration_status", 32),
            string("readonly", 8),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Alias::new("volumes"))
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(Alias::new("snapshots"))
                .add_column(string("progress", 8))
                .to_owned(),
        )
        .await
    }
}

struct Transfers;

impl MigrationName for Transfers {
    fn name(&self) -> &str {
        "m0007_transfers"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Transfers {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("transfers")
                .col(required_string("id", 36).primary_key())
                .col(required_string("volume_id", 36))
                .col(string("name", 255))
                .col(required_string("salt", 16))
                .col(required_string("crypt_hash", 64))
                .col(flag("no_snapshots"))
                .col(required_string("source_project_id", 64))
                .col(timestamp("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("transfers", &["volume_id"])).await
    }
}

struct Messages;

impl MigrationName for Messages {
    fn name(&self) -> &str {
        "m0008_messages"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Messages {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("messages")
                .col(required_string("id", 36).primary_key())
                .col(required_string("project_id", 64))
                .col(required_string("request_id", 255))
                .col(required_string("resource_type", 36))
                .col(string("resource_uuid", 36))
                .col(required_string("action_id", 10))
                .col(required_string("detail_id", 10))
                .col(required_string("event_id", 255))
                .col(required_string("message_level", 255))
                .col(timestamp("created_at"))
                .col(timestamp("expires_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("messages", &["project_id", "created_at"]))
            .await?;
        m.create_index(index("messages", &["expires_at"])).await
    }
}

struct QosSpecs;

impl MigrationName for QosSpecs {
    fn name(&self) -> &str {
        "m0009_qos_specs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for QosSpecs {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("qos_specs")
                .col(required_string("id", 36).primary_key())
                .col(required_string("name", 255))
                .col(required_string("consumer", 16))
                .col(required_text("specs"))
                .col(timestamp("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(ferrostack_db::schema::unique("qos_specs", &["name"]))
            .await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("volume_types"))
                .add_column(string("qos_specs_id", 36))
                .to_owned(),
        )
        .await
    }
}

struct QuotaLocks;

impl MigrationName for QuotaLocks {
    fn name(&self) -> &str {
        "m0010_quota_locks"
    }
}

/// The per-project lock quota claims serialize on, and the size an extend is
/// growing a volume to (counted in usage while it works).
#[async_trait::async_trait]
impl MigrationTrait for QuotaLocks {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(ferrostack_db::quota_lock::create_table())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("volumes"))
                .add_column(opt_big_integer("pending_size"))
                .to_owned(),
        )
        .await
    }
}

struct Encryption;

impl MigrationName for Encryption {
    fn name(&self) -> &str {
        "m0011_encryption"
    }
}

/// Volume type encryption specs.
#[async_trait::async_trait]
impl MigrationTrait for Encryption {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("encryption")
                .col(required_string("encryption_id", 36).primary_key())
                .col(required_string("volume_type_id", 36))
                .col(required_string("provider", 255))
                .col(string("cipher", 255))
                .col(opt_big_integer("key_size"))
                .col(required_string("control_location", 16))
                .col(timestamp("created_at"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(ferrostack_db::schema::unique(
            "encryption",
            &["volume_type_id"],
        ))
        .await
    }
}

struct ServiceReasons;

impl MigrationName for ServiceReasons {
    fn name(&self) -> &str {
        "m0012_service_disabled_reason"
    }
}

/// Why an admin disabled a service, on a `services` table made before the
/// registry kept it (tables made since have the column).
#[async_trait::async_trait]
impl MigrationTrait for ServiceReasons {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.has_column("services", "disabled_reason").await? {
            return Ok(());
        }
        m.alter_table(ferrostack_db::service_registry::add_disabled_reason())
            .await
    }
}

struct VolumePools;

impl MigrationName for VolumePools {
    fn name(&self) -> &str {
        "m0013_volume_pools"
    }
}

/// The pool within its host a volume is in (Cinder's `host@backend#pool`).
#[async_trait::async_trait]
impl MigrationTrait for VolumePools {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("volumes"))
                .add_column(string("pool", 255))
                .to_owned(),
        )
        .await
    }
}

struct QuotaClasses;

impl MigrationName for QuotaClasses {
    fn name(&self) -> &str {
        "m0014_quota_classes"
    }
}

/// Quota class limits (the `default` class's override the configured defaults).
#[async_trait::async_trait]
impl MigrationTrait for QuotaClasses {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("quota_classes")
                .col(required_string("class_name", 255))
                .col(required_string("resource", 255))
                .col(big_integer("hard_limit"))
                .primary_key(&mut primary_key(&["class_name", "resource"]))
                .to_owned(),
        )
        .await
    }
}

struct FrozenBackends;

impl MigrationName for FrozenBackends {
    fn name(&self) -> &str {
        "m0015_frozen_backends"
    }
}

/// Volume backends an admin froze (`os-services/freeze`): their volumes and
/// snapshots are not modified until they are thawed.
#[async_trait::async_trait]
impl MigrationTrait for FrozenBackends {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("frozen_backends")
                .col(required_string("host", 255).primary_key())
                .col(timestamp("frozen_at"))
                .to_owned(),
        )
        .await
    }
}

struct GroupTypes;

impl MigrationName for GroupTypes {
    fn name(&self) -> &str {
        "m0016_group_types"
    }
}

/// Group types (3.11) with their group specs.
#[async_trait::async_trait]
impl MigrationTrait for GroupTypes {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("group_types")
                .col(required_string("id", 36).primary_key())
                .col(required_string("name", 255))
                .col(string("description", 255))
                .col(flag("is_public"))
                .col(required_text("group_specs"))
                .col(timestamp("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("group_types", &["name"])).await
    }
}

struct Groups;

impl MigrationName for Groups {
    fn name(&self) -> &str {
        "m0017_groups"
    }
}

/// Generic volume groups (3.13) on one backend with their volume types, group
/// snapshots (3.14), and the group or group snapshot a volume or snapshot is in.
#[async_trait::async_trait]
impl MigrationTrait for Groups {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("volume_groups")
                .col(required_string("id", 36).primary_key())
                .col(required_string("project_id", 64))
                .col(required_string("user_id", 64))
                .col(string("name", 255))
                .col(string("description", 255))
                .col(required_string("status", 32))
                .col(required_string("availability_zone", 255))
                .col(required_string("group_type_id", 36))
                .col(string("host", 255))
                .col(string("group_snapshot_id", 36))
                .col(string("source_group_id", 36))
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("volume_groups", &["project_id"]))
            .await?;
        m.create_table(
            table("volume_group_types")
                .col(required_string("group_id", 36))
                .col(required_string("volume_type_id", 36))
                .primary_key(&mut primary_key(&["group_id", "volume_type_id"]))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("group_snapshots")
                .col(required_string("id", 36).primary_key())
                .col(required_string("group_id", 36))
                .col(required_string("project_id", 64))
                .col(required_string("user_id", 64))
                .col(string("name", 255))
                .col(string("description", 255))
                .col(required_string("status", 32))
                .col(required_string("group_type_id", 36))
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("group_snapshots", &["group_id"]))
            .await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("volumes"))
                .add_column(string("group_id", 36))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("snapshots"))
                .add_column(string("group_snapshot_id", 36))
                .to_owned(),
        )
        .await
    }
}

struct Backups;

impl MigrationName for Backups {
    fn name(&self) -> &str {
        "m0018_backups"
    }
}

/// Volume backups: where their data is in the backup repository, their parent
/// (an incremental backup's) and what they were made from.
#[async_trait::async_trait]
impl MigrationTrait for Backups {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("backups")
                .col(required_string("id", 36).primary_key())
                .col(required_string("project_id", 64))
                .col(required_string("user_id", 64))
                .col(required_string("volume_id", 36))
                .col(string("snapshot_id", 36))
                .col(string("name", 255))
                .col(string("description", 255))
                .col(required_string("status", 32))
                .col(text("fail_reason"))
                .col(big_integer("size"))
                .col(big_integer("object_count"))
                .col(string("container", 255))
                .col(string("service_metadata", 1024))
                .col(string("service", 255))
                .col(string("parent_id", 36))
                .col(string("availability_zone", 255))
                .col(string("host", 255))
                .col(string("restore_volume_id", 36))
                .col(required_text("metadata"))
                .col(timestamp("data_timestamp"))
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
                .to_owned(),
        )
        .await?;
        for columns in [&["project_id"][..], &["volume_id"], &["parent_id"]] {
            m.create_index(index("backups", columns)).await?;
        }
        Ok(())
    }
}

struct AttachmentMountpoints;

impl MigrationName for AttachmentMountpoints {
    fn name(&self) -> &str {
        "m0019_attachment_mountpoints"
    }
}

/// Where an instance sees an attached volume (a volume's attachments show it
/// as `device`).
#[async_trait::async_trait]
impl MigrationTrait for AttachmentMountpoints {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("attachments"))
                .add_column(string("mountpoint", 255))
                .to_owned(),
        )
        .await
    }
}
