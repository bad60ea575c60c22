//! The store conformance suite (`serialhub_store::conformance::run_all`) against PostgreSQL,
//! each store in a schema of its own: once as a writer that began on an empty store (which
//! reads nothing back), once as one that reads back everything a job reaches.

mod support;

use serialhub_store::Store;

#[test]
fn postgres_store_passes_the_conformance_suite() {
    let schemas = support::Schemas::default();
    serialhub_store::conformance::run_all(&|| Box::new(schemas.store()) as Box<dyn Store>);
    containment_holds_in_every_schema(&schemas);
}

/// Migration 11's invariant after every contract: hand-built jobs (`Store::commit`), error
/// declarations that remove and rebuild records, and failed jobs all keep `contents` equal to
/// the records' containers.
#[track_caller]
fn containment_holds_in_every_schema(schemas: &support::Schemas) {
    let names = schemas.names();
    let rows: i64 = names.iter().map(|name| support::contents_match_parents(name)).sum();
    assert!(rows > 0, "the suite packs something in {} schemas", names.len());
}

#[test]
fn postgres_store_reading_back_passes_the_conformance_suite() {
    let schemas = support::Schemas::default();
    serialhub_store::conformance::run_all(&|| {
        let store = schemas.store();
        store.read_back_always();
        Box::new(store) as Box<dyn Store>
    });
    containment_holds_in_every_schema(&schemas);
}
