//! What the PostgreSQL tests share: the server to use, and schemas of their own that are
//! dropped when the test ends, so tests run in parallel on one database.
//!
//! The server is `SERIALHUB_TEST_POSTGRES` or the local test database. An unreachable server
//! fails the test with a message saying so: a backend test that cannot run must not pass.

#![allow(dead_code, unreachable_pub)]

pub mod proxy;

use std::sync::Mutex;

use serialhub_postgres::PgStore;

/// The connection string of the test server.
pub fn url() -> String {
    std::env::var("SERIALHUB_TEST_POSTGRES")
        .unwrap_or_else(|_| "host=127.0.0.1 user=postgres dbname=test".to_owned())
}

/// A client of its own, for what the store does not offer (dropping schemas, injecting
/// faults, counting rows).
#[track_caller]
pub fn client() -> postgres::Client {
    let url = url();
    postgres::Client::connect(&url, postgres::NoTls).unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is unreachable at {url:?}: {e}; start it, or point \
             SERIALHUB_TEST_POSTGRES at a server these tests may create schemas in"
        )
    })
}

/// Schemas created by a test, dropped (with everything in them) when this value is, even when
/// the test fails.
#[derive(Debug, Default)]
pub struct Schemas {
    names: Mutex<Vec<String>>,
}

impl Schemas {
    /// A new, unique schema name, registered to be dropped.
    pub fn name(&self) -> String {
        let name = format!("t_{:016x}", getrandom::u64().expect("the OS gives random bytes"));
        self.names.lock().expect("no test panicked holding the list").push(name.clone());
        name
    }

    /// Every schema named so far.
    pub fn names(&self) -> Vec<String> {
        self.names.lock().expect("no test panicked holding the list").clone()
    }

    /// A store in a new schema.
    #[track_caller]
    pub fn store(&self) -> PgStore {
        let name = self.name();
        self.open(&name)
    }

    /// A store in the schema `name` (from `name`), connecting again if it exists.
    #[track_caller]
    pub fn open(&self, name: &str) -> PgStore {
        let url = url();
        PgStore::connect_schema(&url, name)
            .unwrap_or_else(|e| panic!("could not open a PgStore at {url:?} in schema {name}: {e}"))
    }
}

impl Drop for Schemas {
    fn drop(&mut self) {
        let names = std::mem::take(self.names.get_mut().unwrap_or_else(|e| e.into_inner()));
        if names.is_empty() {
            return;
        }
        // Best effort: a failing drop must not hide the test's own failure.
        if let Ok(mut client) = postgres::Client::connect(&url(), postgres::NoTls) {
            for name in names {
                let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"));
            }
        }
    }
}

/// Checks the invariant of migration 11 in `schema`: `contents` holds exactly the
/// `(parent, key)` of the records with a parent. Returns how many rows it holds.
#[track_caller]
pub fn contents_match_parents(schema: &str) -> i64 {
    let mut client = client();
    client.batch_execute(&format!("SET search_path TO \"{schema}\"")).expect("search_path sets");
    let differing: i64 = client
        .query_one(
            "SELECT count(*) FROM ( \
             (SELECT parent, key FROM states WHERE parent IS NOT NULL \
              EXCEPT ALL SELECT parent, child FROM contents) \
             UNION ALL \
             (SELECT parent, child FROM contents \
              EXCEPT ALL SELECT parent, key FROM states WHERE parent IS NOT NULL) \
         ) d",
            &[],
        )
        .expect("the comparison runs")
        .get(0);
    assert_eq!(differing, 0, "contents and states.parent differ");
    client.query_one("SELECT count(*) FROM contents", &[]).expect("the count runs").get(0)
}
