//! The image schema.

use ferrostack_db::schema::{
    fk, flag, id, index, integer, opt_big_integer, primary_key, required_string, required_text,
    string, table, timestamp,
};
use ferrostack_db::sea_orm_migration::prelude::*;

/// Runs every image migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(Initial),
            Box::new(super::metadef_schema::Metadefs),
            Box::new(super::task_schema::Tasks),
        ]
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

#[async_trait::async_trait]
impl MigrationTrait for Initial {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("images")
                .col(required_string("id", 36).primary_key())
                .col(string("name", 255))
                .col(string("owner", 255))
                .col(required_string("status", 30))
                .col(required_string("visibility", 20))
                .col(flag("protected"))
                .col(flag("os_hidden"))
                .col(string("disk_format", 20))
                .col(string("container_format", 20))
                .col(opt_big_integer("size"))
                .col(opt_big_integer("virtual_size"))
                .col(string("checksum", 32))
                .col(string("os_hash_algo", 64))
                .col(string("os_hash_value", 128))
                .col(integer("min_disk"))
                .col(integer("min_ram"))
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
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
                .col(required_string("image_id", 36))
                .col(required_string("name", 255))
                .col(required_text("value"))
                .primary_key(&mut primary_key(&["image_id", "name"]))
                .foreign_key(&mut fk("image_properties", "image_id", "images"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("image_tags")
                .col(required_string("image_id", 36))
                .col(required_string("value", 255))
                .primary_key(&mut primary_key(&["image_id", "value"]))
                .foreign_key(&mut fk("image_tags", "image_id", "images"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("image_members")
                .col(required_string("image_id", 36))
                .col(id("member"))
                .col(required_string("status", 20))
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
                .primary_key(&mut primary_key(&["image_id", "member"]))
                .foreign_key(&mut fk("image_members", "image_id", "images"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("image_members", &["member"])).await?;
        m.create_table(
            table("image_locations")
                .col(required_string("image_id", 36))
                .col(required_string("store", 255))
                .col(required_text("url"))
                .col(integer("position"))
                .col(timestamp("created_at"))
                .primary_key(&mut primary_key(&["image_id", "store"]))
                .foreign_key(&mut fk("image_locations", "image_id", "images"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
