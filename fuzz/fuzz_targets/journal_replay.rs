//! The embedded store's journal decoder on arbitrary record payloads: a damaged record (past
//! its checksum) gives a located error, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serialhub_embedded::replay_for_fuzzing(data);
});
