//! The store conformance suite (`serialhub_store::conformance::run_all`) against PostgreSQL,
//! each store in a schema of its own.

mod support;

use serialhub_store::Store;

#[test]
fn postgres_store_passes_the_conformance_suite() {
    let schemas = support::Schemas::default();
    serialhub_store::conformance::run_all(&|| Box::new(schemas.store()) as Box<dyn Store>);
}
