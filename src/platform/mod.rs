//! Everything that differs between operating systems, in one place: one file per system, each
//! offering the same names, so the rest of the crate has no `cfg` of its own.
//!
//! - `unix.rs`: what Linux and macOS share (folders opened below a root with `openat`,
//!   descriptors handed to workers with `SCM_RIGHTS`, file modes, paths as bytes).
//! - `linux.rs`: Linux only (`openat2`, `statx` mount ids, `O_NOATIME`, seccomp and
//!   capabilities, `setrlimit`, `malloc_trim`, `SIOCOUTQ`, systemd notify, `/etc` and `/var`).
//! - `macos.rs`: the other Unix systems (macOS first): what Linux has and they lack, done
//!   without, and their default paths.
//! - `windows.rs`: Windows (files opened sharing read, write and delete, identity from
//!   `GetFileInformationByHandle`, handles duplicated into workers held in Job Objects, access
//!   lists for our own files, the agent as a service, `%ProgramData%`).
//!
//! What each item does is documented where it is defined, once per system.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(all(unix, not(target_os = "linux")))]
mod macos;
#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

#[cfg(target_os = "linux")]
pub use linux::*;
#[cfg(all(unix, not(target_os = "linux")))]
pub use macos::*;
#[cfg(unix)]
pub use unix::*;
#[cfg(windows)]
pub use windows::*;
