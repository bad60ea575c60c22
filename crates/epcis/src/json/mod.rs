//! JSON-LD: the streaming reader and the writer.

pub mod read;
