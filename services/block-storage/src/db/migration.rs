//! The block-storage schema.

use ferrostack_db::schema::{flag, index, table};
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

fn string(name: &str, len: u32) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .string_len(len)
        .null()
        .to_owned()
}

fn required(name: &str, len: u32) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .string_len(len)
        .not_null()
        .to_owned()
}

fn text(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .text()
        .not_null()
        .to_owned()
}

fn stamp(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .date_time()
        .not_null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Initial {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("volumes")
                .col(required("id", 36).primary_key())
                .col(string("name", 255))
                .col(string("description", 255))
                .col(required("project_id", 64))
                .col(required("user_id", 64))
                .col(required("status", 32))
                .col(ColumnDef::new(Alias::new("size")).big_integer().not_null())
                .col(required("availability_zone", 255))
                .col(string("host", 255))
                .col(required("volume_type_id", 36))
                .col(string("provider_location", 1024))
                .col(flag("bootable"))
                .col(flag("multiattach"))
                .col(text("metadata"))
                .col(stamp("created_at"))
                .col(stamp("updated_at"))
                .to_owned(),
        )
        .await?;
        for columns in [&["project_id"][..], &["status"], &["created_at", "id"]] {
            m.create_index(index("volumes", columns)).await?;
        }
        m.create_table(
            table("volume_types")
                .col(required("id", 36).primary_key())
                .col(required("name", 255).unique_key())
                .col(string("description", 255))
                .col(flag("is_public"))
                .col(text("extra_specs"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("services")
                .col(required("host", 255))
                .col(required("binary", 64))
                .col(required("zone", 255))
                .col(flag("disabled"))
                .col(stamp("updated_at"))
                .primary_key(
                    Index::create()
                        .col(Alias::new("host"))
                        .col(Alias::new("binary")),
                )
                .to_owned(),
        )
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
                .col(required("volume_type_id", 36))
                .col(required("project_id", 64))
                .primary_key(
                    Index::create()
                        .col(Alias::new("volume_type_id"))
                        .col(Alias::new("project_id")),
                )
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
                .col(required("id", 36).primary_key())
                .col(required("volume_id", 36))
                .col(required("project_id", 64))
                .col(required("user_id", 64))
                .col(string("name", 255))
                .col(string("description", 255))
                .col(required("status", 32))
                .col(ColumnDef::new(Alias::new("size")).big_integer().not_null())
                .col(text("metadata"))
                .col(stamp("created_at"))
                .col(stamp("updated_at"))
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

fn optional_stamp(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .date_time()
        .null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Attachments {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("attachments")
                .col(required("id", 36).primary_key())
                .col(required("volume_id", 36))
                .col(required("project_id", 64))
                .col(string("instance_uuid", 36))
                .col(required("status", 32))
                .col(required("attach_mode", 8))
                .col(ColumnDef::new(Alias::new("connector")).text().null())
                .col(ColumnDef::new(Alias::new("connection_info")).text().null())
                .col(optional_stamp("attached_at"))
                .col(optional_stamp("detached_at"))
                .col(stamp("created_at"))
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
                .col(required("project_id", 64))
                .col(required("resource", 255))
                .col(
                    ColumnDef::new(Alias::new("hard_limit"))
                        .big_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(Alias::new("project_id"))
                        .col(Alias::new("resource")),
                )
                .to_owned(),
        )
        .await
    }
}
