//! xacct-wire (placeholder until its issue lands).
