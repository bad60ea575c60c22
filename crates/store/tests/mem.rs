//! The conformance suite on the reference implementation.

use serialhub_store::{MemStore, Store, conformance};

#[test]
fn mem_store_conforms() {
    conformance::run_all(&|| Box::new(MemStore::new()) as Box<dyn Store>);
}
