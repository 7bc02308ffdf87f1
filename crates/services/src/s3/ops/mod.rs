//! S3 handlers by family.

pub mod buckets;
pub mod multipart;
pub mod objects;
pub mod versions;
