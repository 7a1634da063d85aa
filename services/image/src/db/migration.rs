//! The image schema.

use ferrostack_db::schema::{fk, flag, id, index, table};
use ferrostack_db::sea_orm_migration::prelude::*;

/// Runs every image migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(Initial)]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("image_migrations").into_iden()
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

fn required_text(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .text()
        .not_null()
        .to_owned()
}

fn big(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .big_integer()
        .null()
        .to_owned()
}

fn int(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .integer()
        .not_null()
        .to_owned()
}

fn stamp(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .date_time()
        .not_null()
        .to_owned()
}

fn key(columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    for column in columns {
        index.col(Alias::new(*column));
    }
    index
}

#[async_trait::async_trait]
impl MigrationTrait for Initial {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("images")
                .col(required("id", 36).primary_key())
                .col(string("name", 255))
                .col(string("owner", 255))
                .col(required("status", 30))
                .col(required("visibility", 20))
                .col(flag("protected"))
                .col(flag("os_hidden"))
                .col(string("disk_format", 20))
                .col(string("container_format", 20))
                .col(big("size"))
                .col(big("virtual_size"))
                .col(string("checksum", 32))
                .col(string("os_hash_algo", 64))
                .col(string("os_hash_value", 128))
                .col(int("min_disk"))
                .col(int("min_ram"))
                .col(stamp("created_at"))
                .col(stamp("updated_at"))
                .to_owned(),
        )
        .await?;
        for columns in [
            &["owner"][..],
            &["visibility"],
            &["status"],
            &["name"],
            &["created_at", "id"],
        ] {
            m.create_index(index("images", columns)).await?;
        }
        m.create_table(
            table("image_properties")
                .col(required("image_id", 36))
                .col(required("name", 255))
                .col(required_text("value"))
                .primary_key(&mut key(&["image_id", "name"]))
                .foreign_key(&mut fk("image_properties", "image_id", "images"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("image_tags")
                .col(required("image_id", 36))
                .col(required("value", 255))
                .primary_key(&mut key(&["image_id", "value"]))
                .foreign_key(&mut fk("image_tags", "image_id", "images"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("image_members")
                .col(required("image_id", 36))
                .col(id("member"))
                .col(required("status", 20))
                .col(stamp("created_at"))
                .col(stamp("updated_at"))
                .primary_key(&mut key(&["image_id", "member"]))
                .foreign_key(&mut fk("image_members", "image_id", "images"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("image_members", &["member"])).await?;
        m.create_table(
            table("image_locations")
                .col(required("image_id", 36))
                .col(required("store", 255))
                .col(required_text("url"))
                .col(int("position"))
                .col(stamp("created_at"))
                .primary_key(&mut key(&["image_id", "store"]))
                .foreign_key(&mut fk("image_locations", "image_id", "images"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
