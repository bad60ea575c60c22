//! JSON-LD: the streaming reader and the writer.

mod frame;
pub mod read;
pub mod write;
