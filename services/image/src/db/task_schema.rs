//! m0003: tasks — Glance's record of each import (`api_image_import`) and of
//! legacy `import` tasks.

use ferrostack_db::schema::{index, required_string, string, table, text, time, timestamp};
use ferrostack_db::sea_orm_migration::prelude::*;

pub struct Tasks;

impl MigrationName for Tasks {
    fn name(&self) -> &str {
        "m0003_tasks"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Tasks {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("tasks")
                .col(required_string("id", 36).primary_key())
                .col(required_string("type", 30))
                .col(required_string("status", 30))
                .col(required_string("owner", 255))
                .col(string("user_id", 64))
                .col(string("request_id", 64))
                .col(string("image_id", 36))
                .col(text("input"))
                .col(text("result"))
                .col(text("message"))
                .col(time("expires_at"))
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("tasks", &["image_id"])).await?;
        m.create_index(index("tasks", &["owner"])).await
    }
}
