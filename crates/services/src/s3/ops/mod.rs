//! S3 handlers by family.

pub mod acl;
pub mod buckets;
pub mod config;
pub mod multipart;
pub mod objects;
pub mod public;
pub mod select;
pub mod sse;
pub mod versions;
