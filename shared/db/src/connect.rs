use std::time::Duration;

use ferrostack_config::{redact_url, Config, Opt};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;

use crate::{DbError, DbResult};

/// The `[database]` options every service understands (oslo.db names).
pub const DATABASE_OPTS: &[Opt] = &[
    Opt::secret(
        "database",
        "connection",
        "Database URL: sqlite://, mysql:// or postgres://.",
    ),
    Opt::new(
        "database",
        "max_pool_size",
        "5",
        "Maximum open connections in the pool.",
    ),
    Opt::new(
        "database",
        "pool_timeout",
        "30",
        "Seconds to wait for a pooled connection.",
    ),
    Opt::new(
        "database",
        "auto_migrate",
        "true",
        "Apply pending migrations at start.",
    ),
];

/// Pool settings read from `[database]`.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub url: ferrostack_config::SecretUrl,
    pub max_pool_size: u32,
    pub pool_timeout: Duration,
    pub auto_migrate: bool,
}

impl DbOptions {
    /// Reads `[database]`; `default_url` applies when `connection` is unset.
    pub fn from_config(
        config: &Config,
        default_url: &str,
    ) -> Result<Self, ferrostack_config::ConfigError> {
        let url = config
            .get(&DATABASE_OPTS[0])
            .map(str::to_string)
            .unwrap_or_else(|| default_url.to_string());
        Ok(DbOptions {
            url: ferrostack_config::SecretUrl::new(url),
            max_pool_size: config.get_parsed(&DATABASE_OPTS[1])?,
            pool_timeout: Duration::from_secs(config.get_parsed(&DATABASE_OPTS[2])?),
            auto_migrate: config.get_bool(&DATABASE_OPTS[3])?,
        })
    }
}

/// Opens a pool to `options.url`. SQLite files are created when missing and run in
/// WAL mode with foreign keys on and a busy timeout, so concurrent writers queue
/// instead of failing.
pub async fn connect(options: &DbOptions) -> DbResult<DatabaseConnection> {
    let url = normalise_url(options.url.expose())?;
    let is_sqlite = url.starts_with("sqlite:");
    let mut connect = ConnectOptions::new(url.clone());
    connect
        .max_connections(if is_sqlite {
            options.max_pool_size.max(1)
        } else {
            options.max_pool_size
        })
        .min_connections(1)
        .acquire_timeout(options.pool_timeout)
        .connect_timeout(options.pool_timeout)
        .sqlx_logging(false);
    if is_sqlite {
        connect.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    }
    let db = Database::connect(connect)
        .await
        .map_err(|e| DbError::Other(format!("cannot connect to {}: {e}", redact_url(&url))))?;
    tracing::info!(url = %redact_url(&url), "database connected");
    Ok(db)
}

/// Applies `M`'s pending migrations (what `<binary> db sync` and auto-migrate run).
pub async fn migrate<M: MigratorTrait>(db: &DatabaseConnection) -> DbResult<()> {
    M::up(db, None).await?;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        db.execute_unprepared("PRAGMA optimize").await?;
    }
    Ok(())
}

/// Accepts the URL spellings operators use (`mysql+pymysql://`, `postgresql://`) and
/// refuses unknown schemes with the list of valid ones.
fn normalise_url(url: &str) -> DbResult<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(DbError::Other(format!(
            "invalid database URL '{}': expected scheme://...",
            redact_url(url)
        )));
    };
    let scheme = match scheme {
        "sqlite" => "sqlite",
        "mysql" | "mysql+pymysql" | "mariadb" => "mysql",
        "postgres" | "postgresql" | "postgresql+psycopg2" => "postgres",
        other => {
            return Err(DbError::Other(format!(
                "unknown database scheme '{other}' (valid: sqlite, mysql, postgres)"
            )))
        }
    };
    Ok(format!("{scheme}://{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_schemes() {
        assert_eq!(
            normalise_url("mysql+pymysql://a:b@h/d").unwrap(),
            "mysql://a:b@h/d"
        );
        assert_eq!(normalise_url("postgresql://h/d").unwrap(), "postgres://h/d");
        let err = normalise_url("oracle://h/d").unwrap_err().to_string();
        assert!(err.contains("valid: sqlite, mysql, postgres"), "{err}");
        assert!(normalise_url("nonsense").is_err());
    }

    #[tokio::test]
    async fn sqlite_file_is_created() {
        let dir = std::env::temp_dir().join(format!("ferro-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let options = DbOptions {
            url: ferrostack_config::SecretUrl::new(format!("sqlite://{}/t.db", dir.display())),
            max_pool_size: 2,
            pool_timeout: Duration::from_secs(5),
            auto_migrate: true,
        };
        let db = connect(&options).await.unwrap();
        db.execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY)")
            .await
            .unwrap();
        assert!(dir.join("t.db").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
