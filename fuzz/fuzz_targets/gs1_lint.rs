//! Fuzzes every linter on arbitrary bytes: no panic, and any error span lies within the value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serialhub_gs1::lint::{Linter, lint};

fuzz_target!(|data: &[u8]| {
    for &linter in Linter::ALL {
        if let Err(e) = lint(linter, data) {
            assert!(e.start + e.len <= data.len());
        }
    }
});
