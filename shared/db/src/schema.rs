//! Column and index helpers for service migrations, with types that are right on
//! SQLite, MariaDB and PostgreSQL alike: bounded VARCHARs for anything indexed, TEXT
//! for free-form JSON.

use sea_orm_migration::prelude::*;

/// A required identifier column (VARCHAR(64)).
pub fn id(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .string_len(64)
        .not_null()
        .to_owned()
}

/// An integer primary key the database numbers (1, 2, ...).
pub fn serial(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

/// An optional identifier column (VARCHAR(64)).
pub fn opt_id(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .string_len(64)
        .null()
        .to_owned()
}

/// The required `name` column of `len` characters.
pub fn name(len: u32) -> ColumnDef {
    ColumnDef::new(Alias::new("name"))
        .string_len(len)
        .not_null()
        .to_owned()
}

/// An optional TEXT column (free-form, JSON).
pub fn text(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().null().to_owned()
}

/// A required boolean column.
pub fn flag(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .boolean()
        .not_null()
        .to_owned()
}

/// An optional timestamp column.
pub fn time(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .date_time()
        .null()
        .to_owned()
}

/// `CREATE TABLE IF NOT EXISTS name`.
pub fn table(name: &str) -> TableCreateStatement {
    Table::create()
        .table(Alias::new(name))
        .if_not_exists()
        .to_owned()
}

/// A cascading foreign key `from.column -> to.id`.
pub fn fk(from: &str, column: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from}_{column}"))
        .from(Alias::new(from), Alias::new(column))
        .to(Alias::new(to), Alias::new("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// The longest identifier every backend keeps whole (PostgreSQL's 63;
/// MariaDB refuses more than 64).
const MAX_IDENTIFIER: usize = 63;

/// `<prefix>_<table>_<columns>`, or when that is too long for a backend, its
/// first characters and a hash of the whole (still unique per table and
/// columns, and the same on every run).
fn index_name(prefix: &str, table: &str, columns: &[&str]) -> String {
    let full = format!("{prefix}_{table}_{}", columns.join("_"));
    if full.len() <= MAX_IDENTIFIER {
        return full;
    }
    // FNV-1a: stable across builds, unlike std's hasher.
    let hash = full.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{}_{hash:016x}", &full[..MAX_IDENTIFIER - 17])
}

/// A unique index over `columns`.
pub fn unique(table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create()
        .name(index_name("uq", table, columns))
        .table(Alias::new(table))
        .unique()
        .to_owned();
    for column in columns {
        index.col(Alias::new(*column));
    }
    index
}

/// A plain index over `columns`.
pub fn index(table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create()
        .name(index_name("ix", table, columns))
        .table(Alias::new(table))
        .to_owned();
    for column in columns {
        index.col(Alias::new(*column));
    }
    index
}

/// An optional VARCHAR(`len`) column.
pub fn string(name: &str, len: u32) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .string_len(len)
        .null()
        .to_owned()
}

/// A required VARCHAR(`len`) column.
pub fn required_string(name: &str, len: u32) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .string_len(len)
        .not_null()
        .to_owned()
}

/// A required TEXT column.
pub fn required_text(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .text()
        .not_null()
        .to_owned()
}

/// An optional BIGINT column.
pub fn opt_big_integer(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .big_integer()
        .null()
        .to_owned()
}

/// A required BIGINT column.
pub fn big_integer(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .big_integer()
        .not_null()
        .to_owned()
}

/// A required INTEGER column.
pub fn integer(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .integer()
        .not_null()
        .to_owned()
}

/// A required timestamp column.
pub fn timestamp(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .date_time()
        .not_null()
        .to_owned()
}

/// A composite primary key over `columns`.
pub fn primary_key(columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    for column in columns {
        index.col(Alias::new(*column));
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_names_fit_every_backend() {
        assert_eq!(
            index_name("uq", "ports", &["network_id", "mac_address"]),
            "uq_ports_network_id_mac_address"
        );
        let long = index_name(
            "uq",
            "floatingips",
            &["floating_network_id", "fixed_port_id", "fixed_ip_address"],
        );
        assert_eq!(long.len(), MAX_IDENTIFIER);
        assert!(long.starts_with("uq_floatingips_floating_network_id_fixed_"));
        assert_ne!(
            long,
            index_name(
                "uq",
                "floatingips",
                &["floating_network_id", "fixed_port_id", "fixed_ip_addresses"]
            )
        );
        assert_eq!(
            long,
            index_name(
                "uq",
                "floatingips",
                &["floating_network_id", "fixed_port_id", "fixed_ip_address"]
            )
        );
    }
}
