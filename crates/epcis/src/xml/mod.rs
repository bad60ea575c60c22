//! XML: the streaming reader (EPCIS 2.0 and 1.2) and the writers.

pub mod read;
pub mod write;
