//! xacct-services (placeholder until its issue lands).
