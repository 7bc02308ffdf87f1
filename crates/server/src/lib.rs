//! xacct-server (placeholder until its issue lands).
