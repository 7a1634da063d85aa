//! m0002: metadata definitions. A namespace's objects, properties and tags are
//! items of one table, each a JSON body under its kind and name; resource types
//! and their associations with namespaces have tables of their own. The
//! resource types of the services Glance's own namespaces describe are there
//! from the start, as `glance-manage db load_metadefs` leaves them.

use ferrostack_db::schema::{
    fk, flag, primary_key, required_string, required_text, string, table, text, timestamp, unique,
};
use ferrostack_db::sea_orm_migration::prelude::*;

pub struct Metadefs;

impl MigrationName for Metadefs {
    fn name(&self) -> &str {
        "m0002_metadefs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Metadefs {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("metadef_namespaces")
                .col(required_string("id", 36).primary_key())
                .col(required_string("namespace", 80))
                .col(string("display_name", 80))
                .col(text("description"))
                .col(required_string("visibility", 32))
                .col(flag("protected"))
                .col(required_string("owner", 255))
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("metadef_namespaces", &["namespace"]))
            .await?;
        m.create_table(
            table("metadef_items")
                .col(required_string("namespace_id", 36))
                .col(required_string("kind", 16))
                .col(required_string("name", 255))
                .col(required_text("body"))
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
                .primary_key(&mut primary_key(&["namespace_id", "kind", "name"]))
                .foreign_key(&mut fk(
                    "metadef_items",
                    "namespace_id",
                    "metadef_namespaces",
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("metadef_resource_types")
                .col(required_string("name", 80).primary_key())
                .col(flag("protected"))
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("metadef_namespace_resource_types")
                .col(required_string("namespace_id", 36))
                .col(required_string("resource_type", 80))
                .col(string("prefix", 80))
                .col(string("properties_target", 80))
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
                .primary_key(&mut primary_key(&["namespace_id", "resource_type"]))
                .foreign_key(&mut fk(
                    "metadef_namespace_resource_types",
                    "namespace_id",
                    "metadef_namespaces",
                ))
                .to_owned(),
        )
        .await?;
        let at = chrono::Utc::now().naive_utc();
        let mut seed = Query::insert()
            .into_table(Alias::new("metadef_resource_types"))
            .columns(["name", "protected", "created_at", "updated_at"].map(Alias::new))
            .to_owned();
        for name in RESOURCE_TYPES {
            seed.values_panic([name.into(), true.into(), at.into(), at.into()]);
        }
        m.exec_stmt(seed).await?;
        Ok(())
    }
}

/// The resource types namespaces can apply to from the start.
const RESOURCE_TYPES: [&str; 6] = [
    "OS::Cinder::Volume",
    "OS::Glance::Image",
    "OS::Nova::Aggregate",
    "OS::Nova::Flavor",
    "OS::Nova::Server",
    "OS::Trove::Instance",
];
