//! What gate needs of a process start. The binary starts as a C program does (`no_main` in
//! `main.rs`): std's runtime start-up reads `/proc/self/maps` for the main thread's stack and
//! maps an alternate signal stack for its stack-overflow message, ~75 µs on every command here,
//! more than gate's own work before it classifies. Of that start-up, gate keeps what matters:
//! standard descriptors that are open, and SIGPIPE ignored. A stack overflow still ends the
//! process (SIGSEGV, without std's message), and a panic ends it with [`INTERNAL`].
//!
//! [`INTERNAL`]: crate::exit_code::INTERNAL

use nix::libc;

/// Runs `main` as std's start-up would: standard descriptors open, SIGPIPE ignored (writes to a
/// closed pipe fail with EPIPE, which gate reports or records), and a panic mapped to an exit
/// code after std's hook has printed it.
pub fn run(main: fn() -> i32) -> i32 {
    open_standard_descriptors();
    ignore_sigpipe();
    std::panic::catch_unwind(main).unwrap_or(crate::exit_code::INTERNAL)
}

/// Opens /dev/null on any of stdin, stdout and stderr that is closed, as std does: otherwise the
/// first file gate opens (the audit log) would take descriptor 1 or 2, and a message printed
/// to it would land in the log's file.
#[allow(unsafe_code)]
fn open_standard_descriptors() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd { fd, events: 0, revents: 0 });
    loop {
        // SAFETY: poll reads and writes the three pollfd structs of this live array.
        let polled = unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) };
        if polled >= 0 {
            break;
        }
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::EINTR) => continue,
            // poll could not run (a sandbox may forbid it): ask each descriptor instead.
            _ => {
                for pollfd in &mut fds {
                    // SAFETY: F_GETFD only reads the descriptor's flags.
                    let closed = unsafe { libc::fcntl(pollfd.fd, libc::F_GETFD) } == -1
                        && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF);
                    pollfd.revents = if closed { libc::POLLNVAL } else { 0 };
                }
                break;
            }
        }
    }
    for pollfd in fds.iter().filter(|pollfd| pollfd.revents & libc::POLLNVAL != 0) {
        // SAFETY: open takes a NUL-terminated path; the lowest free descriptor is the closed one.
        let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        if fd != pollfd.fd {
            // Without its standard descriptors gate cannot keep its output apart from its files.
            std::process::abort();
        }
    }
}

#[allow(unsafe_code)]
fn ignore_sigpipe() {
    // SAFETY: SIG_IGN runs no code of gate's.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_is_an_internal_error_and_a_code_passes_through() {
        assert_eq!(super::run(|| panic!("a bug")), crate::exit_code::INTERNAL);
        assert_eq!(super::run(|| 77), 77);
    }
}
