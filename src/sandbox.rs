//! Confining a parser worker before it reads anything untrusted.
//!
//! A worker parses crafted documents, so it is treated as compromised from its first read: it
//! keeps only what it was handed (the descriptors of the files it is given, its pipes) and can
//! reach nothing else. On Linux, [`confine`] drops every capability (the agent runs with
//! `CAP_DAC_READ_SEARCH`; a worker must not), sets `no_new_privs`, and installs a seccomp filter
//! (compiled by `seccompiler`) under which opening a file by path or handle, making a socket,
//! running a program, tracing another process, io_uring, and changing the file system fail with
//! `EPERM`. Denying a list rather than allowing one keeps the allocator, threads and clocks
//! working whatever libc does; the list is what a parser needs never.
//!
//! Not here: the memory limit (`worker.rs`, set before this) or the worker protocol.

/// Drops capabilities, sets `no_new_privs` and installs the system-call filter for this process
/// (every thread). Call once, after the worker has everything it needs from the file system.
///
/// Errors: the kernel refused one of the steps (then the worker must not serve).
#[cfg(target_os = "linux")]
pub fn confine() -> std::io::Result<()> {
    use rustix::thread::{CapabilitySet, CapabilitySets};
    let none = CapabilitySets {
        effective: CapabilitySet::empty(),
        permitted: CapabilitySet::empty(),
        inheritable: CapabilitySet::empty(),
    };
    // Clearing the permitted set also clears the ambient set the service manager granted.
    rustix::thread::set_capabilities(None, none)?;
    rustix::thread::set_no_new_privs(true)?;
    let filter = denied_calls_filter()?;
    seccompiler::apply_filter_all_threads(&filter).map_err(std::io::Error::other)
}

/// Other systems: nothing to install yet (the worker keeps its memory limit and deadline).
#[cfg(not(target_os = "linux"))]
pub fn confine() -> std::io::Result<()> {
    Ok(())
}

#[cfg(target_os = "linux")]
fn denied_calls_filter() -> std::io::Result<seccompiler::BpfProgram> {
    use seccompiler::{SeccompAction, SeccompFilter, TargetArch};
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(std::io::Error::other)?;
    let rules = denied_calls().into_iter().map(|call| (call, Vec::new())).collect();
    let filter = SeccompFilter::new(rules, SeccompAction::Allow, SeccompAction::Errno(libc::EPERM as u32), arch)
        .map_err(std::io::Error::other)?;
    filter.try_into().map_err(std::io::Error::other)
}

/// System calls a parser never needs: they could reach files, the network, other programs or
/// other processes. (Reading a descriptor it holds, memory, threads and time stay allowed.)
#[cfg(target_os = "linux")]
fn denied_calls() -> Vec<i64> {
    let mut calls = vec![
        // Files by path or by handle (the handle calls bypass permissions with CAP_DAC_READ_SEARCH).
        libc::SYS_openat,
        libc::SYS_openat2,
        libc::SYS_open_by_handle_at,
        libc::SYS_name_to_handle_at,
        // Changing the file system.
        libc::SYS_unlinkat,
        libc::SYS_renameat,
        libc::SYS_renameat2,
        libc::SYS_linkat,
        libc::SYS_symlinkat,
        libc::SYS_mkdirat,
        libc::SYS_mknodat,
        libc::SYS_fchmodat,
        libc::SYS_fchownat,
        libc::SYS_truncate,
        libc::SYS_mount,
        libc::SYS_umount2,
        libc::SYS_pivot_root,
        libc::SYS_chroot,
        // The network, and new sockets of any kind.
        libc::SYS_socket,
        libc::SYS_socketpair,
        libc::SYS_connect,
        libc::SYS_bind,
        libc::SYS_listen,
        libc::SYS_accept4,
        // Other programs and processes.
        libc::SYS_execve,
        libc::SYS_execveat,
        libc::SYS_ptrace,
        libc::SYS_process_vm_readv,
        libc::SYS_process_vm_writev,
        libc::SYS_unshare,
        libc::SYS_setns,
        // Interfaces that act on files or the kernel outside this filter's sight.
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
        libc::SYS_bpf,
        libc::SYS_perf_event_open,
        libc::SYS_userfaultfd,
        libc::SYS_keyctl,
        libc::SYS_add_key,
        libc::SYS_request_key,
    ];
    #[cfg(target_arch = "x86_64")]
    calls.extend([
        libc::SYS_open,
        libc::SYS_creat,
        libc::SYS_unlink,
        libc::SYS_rename,
        libc::SYS_link,
        libc::SYS_symlink,
        libc::SYS_mkdir,
        libc::SYS_rmdir,
        libc::SYS_mknod,
        libc::SYS_chmod,
        libc::SYS_chown,
        libc::SYS_lchown,
        libc::SYS_accept,
        libc::SYS_fork,
        libc::SYS_vfork,
    ]);
    calls
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::process::Command;

    /// Set in the child process that confines itself.
    const PROBE: &str = "DLP_SCAN_SANDBOX_PROBE";

    /// Runs `confined_process_cannot_open_connect_or_run` again in a child process of this test
    /// binary, where it confines itself and probes; the child prints a marker when every probe
    /// was refused, so a filter that matched no test cannot pass.
    #[test]
    fn a_confined_worker_cannot_open_a_file_make_a_socket_or_run_a_program() {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "sandbox::tests::confined_process_cannot_open_connect_or_run", "--nocapture"])
            .env(PROBE, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "the confined child failed: {stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("every probe refused"), "the probe did not run: {stdout}");
    }

    /// The child half of the test above; does nothing unless started by it.
    #[test]
    fn confined_process_cannot_open_connect_or_run() {
        if std::env::var_os(PROBE).is_none() {
            return;
        }
        // Readable before: the filter, not permissions, must be what refuses it.
        let readable = std::env::current_exe().unwrap();
        assert!(std::fs::File::open(&readable).is_ok());
        super::confine().unwrap();
        let denied = |r: std::io::Result<()>| matches!(r, Err(e) if e.raw_os_error() == Some(libc::EPERM));
        assert!(denied(std::fs::File::open(&readable).map(drop)), "open by path");
        assert!(denied(std::net::TcpStream::connect("127.0.0.1:9").map(drop)), "TCP socket");
        assert!(denied(std::net::UdpSocket::bind("127.0.0.1:0").map(drop)), "UDP socket");
        assert!(denied(std::os::unix::net::UnixStream::connect("/run/x").map(drop)), "Unix socket");
        assert!(denied(std::fs::write("/tmp/dlp-scan-sandbox-probe", b"x")), "create a file");
        assert!(Command::new("/bin/true").status().is_err(), "run a program");
        let caps = rustix::thread::capabilities(None).unwrap();
        assert!(caps.effective.is_empty() && caps.permitted.is_empty(), "capabilities dropped");
        assert!(rustix::thread::no_new_privs().unwrap(), "no_new_privs set");
        // The parent looks for this line on the child's standard output.
        std::io::Write::write_all(&mut std::io::stdout(), b"every probe refused\n").unwrap();
    }
}
