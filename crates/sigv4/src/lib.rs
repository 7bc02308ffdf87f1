//! xacct-sigv4 (placeholder until its issue lands).
