//! The integration tests, one module per theme, in one binary: one link instead of one per file,
//! and one harness (`util`) shared by all. Run one theme with `cargo test --test tests cli::`.

// Most themes drive Unix programs (rsyslog, permissions, signals) and compile only there; the
// harness parts only they use are then unused in a Windows build of the tests.
#[cfg_attr(not(unix), allow(dead_code))]
mod util;

#[cfg(unix)]
mod swap;

mod agent;
mod architecture;
mod cli;
mod detectors;
mod documents;
mod event_formats;
mod policy_corpus;
mod siem;
mod staff_files;
