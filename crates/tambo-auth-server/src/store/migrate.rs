//! The schema migrations shipped in the crate, one directory per backend.
//!
//! The SQL files are compiled in with `include_str!`, so the binary needs no files at run time
//! and the build needs no database (nor `sqlx`'s macros). A test checks that the list below
//! names every file of `migrations/<backend>/` and nothing else.

use std::borrow::Cow;

use sqlx::SqlSafeStr as _;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use super::{Backend, DatabaseError, Store, StoreError};

/// `(version, description, sql)`: the file `migrations/<backend>/<version>_<description>.sql`.
type Shipped = (i64, &'static str, &'static str);

const SQLITE: &[Shipped] = &[
    (
        1,
        "init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "projects",
        include_str!("../../migrations/sqlite/0002_projects.sql"),
    ),
];

const POSTGRES: &[Shipped] = &[
    (
        1,
        "init",
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "projects",
        include_str!("../../migrations/postgres/0002_projects.sql"),
    ),
];

fn shipped(backend: Backend) -> &'static [Shipped] {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

fn migrator(backend: Backend) -> Migrator {
    Migrator::with_migrations(
        shipped(backend)
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// Applies the migrations the database lacks. Concurrent replicas take turns (PostgreSQL
/// advisory lock); migrations already applied are skipped, their checksums verified.
pub(crate) async fn run(store: &Store) -> Result<(), StoreError> {
    let migrator = migrator(store.backend());
    with_pool!(store, pool => migrator.run(pool).await)
        .map_err(|e| StoreError::Migration(DatabaseError::from_migration(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_shipped_and_nothing_else() {
        for (backend, dir) in [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "postgres")] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(dir);
            let mut files: Vec<String> = std::fs::read_dir(&path)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            files.sort();
            let listed: Vec<String> = shipped(backend)
                .iter()
                .map(|(version, description, _)| format!("{version:04}_{description}.sql"))
                .collect();
            assert_eq!(files, listed, "migrations/{dir}");
            for ((_, _, sql), file) in shipped(backend).iter().zip(&files) {
                assert_eq!(*sql, std::fs::read_to_string(path.join(file)).unwrap());
            }
        }
    }

    #[test]
    fn both_backends_ship_the_same_versions() {
        let versions = |b| shipped(b).iter().map(|m| (m.0, m.1)).collect::<Vec<_>>();
        assert_eq!(versions(Backend::Sqlite), versions(Backend::Postgres));
    }
}
