//! xacct-testkit (placeholder until its issue lands).
