//! The identity schema. Column types are chosen to be right on SQLite, MariaDB and
//! PostgreSQL alike: bounded VARCHARs for anything indexed, TEXT for free-form JSON.

use ferrostack_db::schema::{
    fk, flag, id, index, name, opt_id, table, text, time, timestamp, unique,
};
use ferrostack_db::sea_orm_migration::prelude::*;

/// Runs every identity migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(Initial),
            Box::new(EncryptedCredentials),
            Box::new(PolicyBlobs),
            Box::new(EndpointFilter),
            Box::new(DomainConfig),
            Box::new(OauthConsumers),
            Box::new(Trusts),
            Box::new(AccessRules),
            Box::new(OauthTokens),
            Box::new(UnifiedLimits),
            Box::new(SecurityCompliance),
        ]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("identity_migrations").into_iden()
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
            table("domains")
                .col(id("id").primary_key())
                .col(name(255).unique_key())
                .col(text("description"))
                .col(flag("enabled"))
                .col(text("extra"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("projects")
                .col(id("id").primary_key())
                .col(name(64))
                .col(id("domain_id"))
                .col(opt_id("parent_id"))
                .col(text("description"))
                .col(flag("enabled"))
                .col(text("extra"))
                .foreign_key(&mut fk("projects", "domain_id", "domains"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("projects", &["domain_id", "name"]))
            .await?;
        m.create_index(index("projects", &["parent_id"])).await?;
        m.create_table(
            table("project_tags")
                .col(id("project_id"))
                .col(name(255))
                .primary_key(
                    Index::create()
                        .col(Alias::new("project_id"))
                        .col(Alias::new("name")),
                )
                .foreign_key(&mut fk("project_tags", "project_id", "projects"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("users")
                .col(id("id").primary_key())
                .col(name(255))
                .col(id("domain_id"))
                .col(flag("enabled"))
                .col(
                    ColumnDef::new(Alias::new("password_hash"))
                        .string_len(255)
                        .null(),
                )
                .col(time("password_created_at"))
                .col(opt_id("default_project_id"))
                .col(text("extra"))
                .col(time("created_at"))
                .foreign_key(&mut fk("users", "domain_id", "domains"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("users", &["domain_id", "name"]))
            .await?;
        m.create_table(
            table("groups")
                .col(id("id").primary_key())
                .col(name(64))
                .col(id("domain_id"))
                .col(text("description"))
                .col(text("extra"))
                .foreign_key(&mut fk("groups", "domain_id", "domains"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("groups", &["domain_id", "name"]))
            .await?;
        m.create_table(
            table("group_members")
                .col(id("group_id"))
                .col(id("user_id"))
                .primary_key(
                    Index::create()
                        .col(Alias::new("group_id"))
                        .col(Alias::new("user_id")),
                )
                .foreign_key(&mut fk("group_members", "group_id", "groups"))
                .foreign_key(&mut fk("group_members", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("group_members", &["user_id"])).await?;
        m.create_table(
            table("roles")
                .col(id("id").primary_key())
                .col(name(255))
                .col(id("domain_id"))
                .col(text("description"))
                .col(text("extra"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("roles", &["name", "domain_id"]))
            .await?;
        m.create_table(
            table("implied_roles")
                .col(id("prior_role_id"))
                .col(id("implied_role_id"))
                .primary_key(
                    Index::create()
                        .col(Alias::new("prior_role_id"))
                        .col(Alias::new("implied_role_id")),
                )
                .foreign_key(&mut fk("implied_roles", "prior_role_id", "roles"))
                .foreign_key(&mut fk("implied_roles", "implied_role_id", "roles"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("assignments")
                .col(
                    ColumnDef::new(Alias::new("actor_type"))
                        .string_len(16)
                        .not_null(),
                )
                .col(id("actor_id"))
                .col(
                    ColumnDef::new(Alias::new("target_type"))
                        .string_len(16)
                        .not_null(),
                )
                .col(id("target_id"))
                .col(id("role_id"))
                .col(flag("inherited"))
                .primary_key(
                    Index::create()
                        .col(Alias::new("actor_type"))
                        .col(Alias::new("actor_id"))
                        .col(Alias::new("target_type"))
                        .col(Alias::new("target_id"))
                        .col(Alias::new("role_id"))
                        .col(Alias::new("inherited")),
                )
                .foreign_key(&mut fk("assignments", "role_id", "roles"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("assignments", &["target_type", "target_id"]))
            .await?;
        m.create_index(index("assignments", &["role_id"])).await?;
        m.create_table(
            table("application_credentials")
                .col(id("id").primary_key())
                .col(name(255))
                .col(
                    ColumnDef::new(Alias::new("secret_hash"))
                        .string_len(255)
                        .not_null(),
                )
                .col(text("description"))
                .col(id("user_id"))
                .col(opt_id("project_id"))
                .col(ColumnDef::new(Alias::new("system")).string_len(16).null())
                .col(time("expires_at"))
                .col(flag("unrestricted"))
                .col(text("roles"))
                .col(time("created_at"))
                .foreign_key(&mut fk("application_credentials", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("application_credentials", &["user_id", "name"]))
            .await?;
        m.create_table(
            table("credentials")
                .col(id("id").primary_key())
                .col(id("user_id"))
                .col(opt_id("project_id"))
                .col(
                    ColumnDef::new(Alias::new("type"))
                        .string_len(255)
                        .not_null(),
                )
                .col(text("blob"))
                .col(text("extra"))
                .foreign_key(&mut fk("credentials", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("regions")
                .col(
                    ColumnDef::new(Alias::new("id"))
                        .string_len(255)
                        .not_null()
                        .primary_key(),
                )
                .col(text("description"))
                .col(
                    ColumnDef::new(Alias::new("parent_region_id"))
                        .string_len(255)
                        .null(),
                )
                .col(text("extra"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("services")
                .col(id("id").primary_key())
                .col(
                    ColumnDef::new(Alias::new("type"))
                        .string_len(255)
                        .not_null(),
                )
                .col(flag("enabled"))
                .col(text("extra"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("endpoints")
                .col(id("id").primary_key())
                .col(id("service_id"))
                .col(
                    ColumnDef::new(Alias::new("interface"))
                        .string_len(8)
                        .not_null(),
                )
                .col(ColumnDef::new(Alias::new("url")).text().not_null())
                .col(
                    ColumnDef::new(Alias::new("region_id"))
                        .string_len(255)
                        .null(),
                )
                .col(flag("enabled"))
                .col(text("extra"))
                .foreign_key(&mut fk("endpoints", "service_id", "services"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("revocation_events")
                .col(
                    ColumnDef::new(Alias::new("id"))
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(opt_id("user_id"))
                .col(opt_id("project_id"))
                .col(opt_id("domain_id"))
                .col(ColumnDef::new(Alias::new("audit_id")).string_len(32).null())
                .col(
                    ColumnDef::new(Alias::new("issued_before"))
                        .date_time()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Alias::new("revoked_at"))
                        .date_time()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("revocation_events", &["audit_id"]))
            .await?;
        m.create_table(
            table("revision")
                .col(
                    ColumnDef::new(Alias::new("id"))
                        .integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Alias::new("value")).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(Alias::new("revision"))
                .columns([Alias::new("id"), Alias::new("value")])
                .values_panic([1.into(), 0.into()])
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

struct EncryptedCredentials;

impl MigrationName for EncryptedCredentials {
    fn name(&self) -> &str {
        "m0002_encrypted_credentials"
    }
}

/// Which credential key encrypted a blob (`NULL`: a blob stored in plain text
/// before blobs were encrypted; encrypted when the service starts), and the index
/// revocation events are pruned by.
#[async_trait::async_trait]
impl MigrationTrait for EncryptedCredentials {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("credentials"))
                .add_column(ColumnDef::new(Alias::new("key_hash")).string_len(64).null())
                .to_owned(),
        )
        .await?;
        m.create_index(index("revocation_events", &["revoked_at"]))
            .await
    }
}

struct PolicyBlobs;

impl MigrationName for PolicyBlobs {
    fn name(&self) -> &str {
        "m0003_policy_blobs"
    }
}

/// The legacy `/v3/policies` documents.
#[async_trait::async_trait]
impl MigrationTrait for PolicyBlobs {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("policy")
                .col(id("id").primary_key())
                .col(ColumnDef::new(Alias::new("blob")).text().not_null())
                .col(
                    ColumnDef::new(Alias::new("type"))
                        .string_len(255)
                        .not_null(),
                )
                .col(text("extra"))
                .to_owned(),
        )
        .await
    }
}

struct EndpointFilter;

impl MigrationName for EndpointFilter {
    fn name(&self) -> &str {
        "m0004_endpoint_filter"
    }
}

/// OS-EP-FILTER: endpoint groups, and projects' endpoint and endpoint group
/// associations (no foreign keys: Keystone removes them when either side goes).
#[async_trait::async_trait]
impl MigrationTrait for EndpointFilter {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("endpoint_group")
                .col(id("id").primary_key())
                .col(name(255))
                .col(text("description"))
                .col(ColumnDef::new(Alias::new("filters")).text().not_null())
                .to_owned(),
        )
        .await?;
        for (table_name, column) in [
            ("project_endpoint_group", "endpoint_group_id"),
            ("project_endpoint", "endpoint_id"),
        ] {
            m.create_table(
                table(table_name)
                    .col(id(column))
                    .col(id("project_id"))
                    .primary_key(
                        Index::create()
                            .col(Alias::new(column))
                            .col(Alias::new("project_id")),
                    )
                    .to_owned(),
            )
            .await?;
            m.create_index(index(table_name, &["project_id"])).await?;
        }
        Ok(())
    }
}

struct DomainConfig;

impl MigrationName for DomainConfig {
    fn name(&self) -> &str {
        "m0005_domain_config"
    }
}

/// Domain-specific configuration: one row per stored option.
#[async_trait::async_trait]
impl MigrationTrait for DomainConfig {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("domain_config")
                .col(id("domain_id"))
                .col(id("group_name"))
                .col(id("option_name"))
                .col(ColumnDef::new(Alias::new("value")).text().not_null())
                .col(flag("sensitive"))
                .primary_key(
                    Index::create()
                        .col(Alias::new("domain_id"))
                        .col(Alias::new("group_name"))
                        .col(Alias::new("option_name")),
                )
                .to_owned(),
        )
        .await
    }
}

struct OauthConsumers;

impl MigrationName for OauthConsumers {
    fn name(&self) -> &str {
        "m0006_oauth_consumers"
    }
}

/// OAuth1 consumers.
#[async_trait::async_trait]
impl MigrationTrait for OauthConsumers {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("consumer")
                .col(id("id").primary_key())
                .col(text("description"))
                .col(
                    ColumnDef::new(Alias::new("secret"))
                        .string_len(64)
                        .not_null(),
                )
                .col(text("extra"))
                .to_owned(),
        )
        .await
    }
}

struct Trusts;

impl MigrationName for Trusts {
    fn name(&self) -> &str {
        "m0007_trusts"
    }
}

/// OS-TRUST: trusts and the roles they delegate.
#[async_trait::async_trait]
impl MigrationTrait for Trusts {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("trust")
                .col(id("id").primary_key())
                .col(id("trustor_user_id"))
                .col(id("trustee_user_id"))
                .col(opt_id("project_id"))
                .col(flag("impersonation"))
                .col(time("expires_at"))
                .col(
                    ColumnDef::new(Alias::new("remaining_uses"))
                        .big_integer()
                        .null(),
                )
                .col(opt_id("redelegated_trust_id"))
                .col(
                    ColumnDef::new(Alias::new("redelegation_count"))
                        .big_integer()
                        .not_null(),
                )
                .col(time("deleted_at"))
                .col(text("extra"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("trust", &["trustor_user_id"])).await?;
        m.create_index(index("trust", &["trustee_user_id"])).await?;
        m.create_table(
            table("trust_role")
                .col(id("trust_id"))
                .col(id("role_id"))
                .primary_key(
                    Index::create()
                        .col(Alias::new("trust_id"))
                        .col(Alias::new("role_id")),
                )
                .to_owned(),
        )
        .await
    }
}

struct AccessRules;

impl MigrationName for AccessRules {
    fn name(&self) -> &str {
        "m0008_access_rules"
    }
}

/// Application credential access rules, one per (user, service, path, method).
#[async_trait::async_trait]
impl MigrationTrait for AccessRules {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("access_rule")
                .col(id("id").primary_key())
                .col(id("user_id"))
                .col(
                    ColumnDef::new(Alias::new("service"))
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Alias::new("path"))
                        .string_len(225)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Alias::new("method"))
                        .string_len(16)
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "access_rule",
            &["user_id", "service", "path", "method"],
        ))
        .await?;
        m.create_table(
            table("application_credential_access_rule")
                .col(id("application_credential_id"))
                .col(id("access_rule_id"))
                .primary_key(
                    Index::create()
                        .col(Alias::new("application_credential_id"))
                        .col(Alias::new("access_rule_id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "application_credential_access_rule",
            &["access_rule_id"],
        ))
        .await
    }
}

struct OauthTokens;

impl MigrationName for OauthTokens {
    fn name(&self) -> &str {
        "m0009_oauth_tokens"
    }
}

/// OAuth1 request and access tokens.
#[async_trait::async_trait]
impl MigrationTrait for OauthTokens {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let secret = |name: &str| {
            ColumnDef::new(Alias::new(name))
                .string_len(64)
                .not_null()
                .to_owned()
        };
        m.create_table(
            table("request_token")
                .col(id("id").primary_key())
                .col(secret("request_secret"))
                .col(ColumnDef::new(Alias::new("verifier")).string_len(64).null())
                .col(opt_id("authorizing_user_id"))
                .col(id("requested_project_id"))
                .col(text("role_ids"))
                .col(id("consumer_id"))
                .col(time("expires_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("access_token")
                .col(id("id").primary_key())
                .col(secret("access_secret"))
                .col(id("authorizing_user_id"))
                .col(id("project_id"))
                .col(ColumnDef::new(Alias::new("role_ids")).text().not_null())
                .col(id("consumer_id"))
                .col(time("expires_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("access_token", &["authorizing_user_id"]))
            .await
    }
}

struct UnifiedLimits;

impl MigrationName for UnifiedLimits {
    fn name(&self) -> &str {
        "m0010_unified_limits"
    }
}

/// Unified limits: registered (default) limits and project or domain limits.
/// `limit` is a reserved word in SQL, so the limits table is `project_limit`.
#[async_trait::async_trait]
impl MigrationTrait for UnifiedLimits {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("registered_limit")
                .col(id("id").primary_key())
                .col(id("service_id"))
                .col(opt_id("region_id"))
                .col(
                    ColumnDef::new(Alias::new("resource_name"))
                        .string_len(255)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Alias::new("default_limit"))
                        .big_integer()
                        .not_null(),
                )
                .col(text("description"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("project_limit")
                .col(id("id").primary_key())
                .col(opt_id("project_id"))
                .col(opt_id("domain_id"))
                .col(id("registered_limit_id"))
                .col(
                    ColumnDef::new(Alias::new("resource_limit"))
                        .big_integer()
                        .not_null(),
                )
                .col(text("description"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("project_limit", &["registered_limit_id"]))
            .await
    }
}

struct SecurityCompliance;

impl MigrationName for SecurityCompliance {
    fn name(&self) -> &str {
        "m0011_security_compliance"
    }
}

/// PCI-DSS: password expiry and failed logins on users, and password history.
#[async_trait::async_trait]
impl MigrationTrait for SecurityCompliance {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for column in [
            time("password_expires_at"),
            ColumnDef::new(Alias::new("failed_auth_count"))
                .integer()
                .null()
                .to_owned(),
            time("failed_auth_at"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Alias::new("users"))
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            table("password_history")
                .col(id("id").primary_key())
                .col(id("user_id"))
                .col(
                    ColumnDef::new(Alias::new("password_hash"))
                        .text()
                        .not_null(),
                )
                .col(flag("self_service"))
                .col(timestamp("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("password_history", &["user_id"]))
            .await
    }
}
