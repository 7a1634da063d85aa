//! m0004: servers (Nova's instances) with their metadata, tags, faults and action
//! records, the resources they hold on compute nodes (placement's allocations),
//! server groups and their members, project quota overrides and the quota lock.

use ferrostack_db::schema::{
    flag, index, integer, primary_key, required_string, required_text, serial, string, table, text,
    time, timestamp,
};
use ferrostack_db::sea_orm_migration::prelude::*;

pub struct Servers;

impl MigrationName for Servers {
    fn name(&self) -> &str {
        "m0004_servers"
    }
}

fn uuid(name: &str) -> ColumnDef {
    required_string(name, 36)
}

#[async_trait::async_trait]
impl MigrationTrait for Servers {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("instances")
                .col(uuid("uuid").primary_key())
                .col(required_string("display_name", 255))
                .col(required_string("hostname", 255))
                .col(text("description"))
                .col(required_string("project_id", 64))
                .col(required_string("user_id", 64))
                .col(required_string("image_ref", 255))
                .col(required_string("flavorid", 255))
                .col(required_text("flavor"))
                .col(ColumnDef::new(Alias::new("vcpus")).big_integer().not_null())
                .col(
                    ColumnDef::new(Alias::new("memory_mb"))
                        .big_integer()
                        .not_null(),
                )
                .col(required_string("vm_state", 32))
                .col(string("task_state", 64))
                .col(integer("power_state"))
                .col(string("host", 255))
                .col(string("node", 255))
                .col(string("availability_zone", 255))
                .col(string("key_name", 255))
                .col(text("key_data"))
                .col(text("user_data"))
                .col(flag("config_drive"))
                .col(string("access_ip_v4", 64))
                .col(string("access_ip_v6", 64))
                .col(flag("locked"))
                .col(string("locked_by", 16))
                .col(text("locked_reason"))
                .col(required_string("reservation_id", 32))
                .col(integer("launch_index"))
                .col(integer("progress"))
                .col(time("launched_at"))
                .col(time("terminated_at"))
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
                .col(flag("deleted"))
                .col(time("deleted_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("instances", &["project_id", "deleted"]))
            .await?;
        m.create_index(index("instances", &["host"])).await?;
        m.create_table(
            table("instance_metadata")
                .col(uuid("instance_uuid"))
                .col(required_string("key", 255))
                .col(required_string("value", 255))
                .primary_key(&mut primary_key(&["instance_uuid", "key"]))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("instance_tags")
                .col(uuid("instance_uuid"))
                .col(required_string("tag", 60))
                .primary_key(&mut primary_key(&["instance_uuid", "tag"]))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("instance_faults")
                .col(serial("id"))
                .col(uuid("instance_uuid"))
                .col(integer("code"))
                .col(required_text("message"))
                .col(text("details"))
                .col(string("host", 255))
                .col(timestamp("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("instance_faults", &["instance_uuid"]))
            .await?;
        m.create_table(
            table("instance_actions")
                .col(serial("id"))
                .col(uuid("instance_uuid"))
                .col(required_string("request_id", 64))
                .col(required_string("action", 64))
                .col(required_string("project_id", 64))
                .col(required_string("user_id", 64))
                .col(timestamp("start_time"))
                .col(time("finish_time"))
                .col(string("message", 255))
                .col(timestamp("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("instance_actions", &["instance_uuid", "request_id"]))
            .await?;
        m.create_table(
            table("instance_action_events")
                .col(serial("id"))
                .col(
                    ColumnDef::new(Alias::new("action_id"))
                        .big_integer()
                        .not_null(),
                )
                .col(required_string("event", 255))
                .col(timestamp("start_time"))
                .col(time("finish_time"))
                .col(string("result", 32))
                .col(text("traceback"))
                .col(string("host", 255))
                .to_owned(),
        )
        .await?;
        m.create_index(index("instance_action_events", &["action_id"]))
            .await?;
        m.create_table(
            table("allocations")
                .col(uuid("consumer_uuid"))
                .col(required_string("host", 255))
                .col(ColumnDef::new(Alias::new("vcpu")).big_integer().not_null())
                .col(
                    ColumnDef::new(Alias::new("memory_mb"))
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Alias::new("disk_gb"))
                        .big_integer()
                        .not_null(),
                )
                .col(required_string("project_id", 64))
                .primary_key(&mut primary_key(&["consumer_uuid", "host"]))
                .to_owned(),
        )
        .await?;
        m.create_index(index("allocations", &["host"])).await?;
        m.create_table(
            table("quotas")
                .col(required_string("project_id", 64))
                .col(required_string("resource", 255))
                .col(
                    ColumnDef::new(Alias::new("hard_limit"))
                        .big_integer()
                        .not_null(),
                )
                .primary_key(&mut primary_key(&["project_id", "resource"]))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("server_groups")
                .col(uuid("uuid").primary_key())
                .col(required_string("name", 255))
                .col(required_string("project_id", 64))
                .col(required_string("user_id", 64))
                .col(required_string("policy", 32))
                .col(required_text("rules"))
                .col(timestamp("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("server_groups", &["project_id"]))
            .await?;
        m.create_table(
            table("server_group_members")
                .col(uuid("group_uuid"))
                .col(uuid("instance_uuid"))
                .primary_key(&mut primary_key(&["group_uuid", "instance_uuid"]))
                .to_owned(),
        )
        .await?;
        m.create_table(ferrostack_db::quota_lock::create_table())
            .await
    }
}
