//! Starting the command, and saying why it could not start the way a shell does: 127 when it
//! was not found, 126 when it was found but cannot be executed. Reasons are lowercase, name the
//! program, and never carry raw control characters.

use super::{Ending, Program};
use crate::display::argv_line;
use crate::exit_code::{NOT_EXECUTABLE, NOT_FOUND};
use nix::errno::Errno;
use std::ffi::OsStr;
use std::io;
use std::path::Path;
use std::process::{Child, Command};

/// Where to find the shell that runs [`Program::Line`]: bash, because bash's grammar is the one
/// the classifier judges a line in (a POSIX sh such as dash reads `$'..'`, `&>` or `[[` otherwise,
/// and a line could mean one thing to the judge and another to the shell). Fixed paths, never
/// PATH: the caller must not choose the interpreter of a line that was judged.
const SHELLS: [&str; 4] = ["/bin/bash", "/usr/bin/bash", "/usr/local/bin/bash", "/opt/homebrew/bin/bash"];

/// Spawns the program with inherited stdio and environment. std's `Command` looks a bare name up
/// on PATH like execvp, resets SIGPIPE and the signal mask in the child, and reports exec errors.
/// `configure` sets up the `Command` first (stdio to capture, say).
pub(super) fn spawn_with(program: &Program, configure: impl FnOnce(&mut Command)) -> Result<Child, Ending> {
    let (mut command, name) = match program {
        Program::Argv(argv) => {
            let Some((first, rest)) = argv.split_first() else {
                return Err(Ending::NotStarted {
                    code: NOT_FOUND,
                    reason: "empty command: nothing to run".into(),
                });
            };
            let mut command = Command::new(first);
            command.args(rest);
            (command, first.as_os_str())
        }
        Program::Line(line) | Program::Shell { line, .. } => {
            let options: &[String] = match program {
                Program::Shell { options, .. } => options,
                _ => &[],
            };
            let Some(shell) = SHELLS.iter().find(|path| Path::new(path).is_file()) else {
                return Err(Ending::NotStarted {
                    code: NOT_FOUND,
                    reason: format!(
                        "bash: not found in {}: gate runs a -c line with bash, the shell whose grammar it judges the line in; install bash or pass the command as arguments",
                        SHELLS.join(", ")
                    ),
                });
            };
            let mut command = Command::new(shell);
            command.args(options).args(["-c", "--"]).arg(line);
            (command, OsStr::new(*shell))
        }
    };
    configure(&mut command);
    let exec = Exec::prepare(name, &command);
    dies_with_gate(&mut command, exec);
    command.spawn().map_err(|error| not_started(name, &error))
}

/// The command gets SIGKILL when gate dies, however gate dies (SIGKILL included): a command
/// whose outcome can no longer be recorded must not run on unobserved. If gate died between the
/// fork and this call, the child's parent is already someone else, and the child ends itself.
///
/// Setting the death signal needs code between fork and exec, and then std execs with libc's
/// `execvp`, which runs a file the kernel refuses (ENOEXEC) with /bin/sh. So the child execs
/// itself, with `execve` on each candidate path prepared before the fork, as `execvp` searches
/// PATH but without that fallback: such a file is "exec format error" (126), as before.
#[allow(unsafe_code)]
fn dies_with_gate(command: &mut Command, exec: Exec) {
    use std::os::unix::process::CommandExt;
    let gate = nix::unistd::getpid();
    // SAFETY: the closure runs in the child between fork and exec, where only async-signal-safe
    // calls are allowed: prctl(2), getppid(2), execve(2) and _exit(2) are plain system calls, and
    // everything they are given was allocated before the fork.
    unsafe {
        command.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)?;
            if nix::unistd::getppid() != gate {
                nix::libc::_exit(128 + nix::libc::SIGKILL);
            }
            Err(exec.run().into())
        });
    }
}

/// An `execve` prepared before the fork: the candidate paths of the program, its arguments and
/// gate's environment as C strings, and the null-terminated pointer arrays execve reads, so
/// that nothing is allocated in the child (another thread may have held malloc's lock at fork).
struct Exec {
    candidates: Vec<std::ffi::CString>,
    _strings: Vec<std::ffi::CString>,
    argv: Vec<*const nix::libc::c_char>,
    envp: Vec<*const nix::libc::c_char>,
}

// SAFETY: the pointers point into `_strings`, which the struct owns and never changes; they are
// only read, by execve in the child.
#[allow(unsafe_code)]
unsafe impl Send for Exec {}
#[allow(unsafe_code)]
unsafe impl Sync for Exec {}

impl Exec {
    fn prepare(program: &OsStr, command: &Command) -> Exec {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let c = |bytes: &[u8]| CString::new(bytes).unwrap_or_default();
        let name = program.as_bytes();
        let candidates = if name.contains(&b'/') {
            vec![c(name)]
        } else {
            // execvp's search: each PATH entry in order, an empty entry meaning the current
            // directory; with no PATH, libc's default.
            let path = std::env::var_os("PATH").unwrap_or_else(|| "/bin:/usr/bin".into());
            path.as_bytes()
                .split(|&b| b == b':')
                .map(|dir| {
                    let dir = if dir.is_empty() { &b"."[..] } else { dir };
                    c(&[dir, b"/", name].concat())
                })
                .collect()
        };
        let args: Vec<CString> =
            std::iter::once(program).chain(command.get_args()).map(|arg| c(arg.as_bytes())).collect();
        let vars: Vec<CString> = std::env::vars_os()
            .map(|(key, value)| c(&[key.as_bytes(), b"=", value.as_bytes()].concat()))
            .collect();
        let pointers = |strings: &[CString]| {
            strings.iter().map(|s| s.as_ptr()).chain(std::iter::once(std::ptr::null())).collect()
        };
        let (argv, envp) = (pointers(&args), pointers(&vars));
        // Moving a CString keeps its bytes where they are: the pointers stay good.
        Exec { candidates, _strings: args.into_iter().chain(vars).collect(), argv, envp }
    }

    /// Execs the first candidate that can be executed; returns the error execvp would report.
    fn run(&self) -> Errno {
        let mut denied = false;
        for candidate in &self.candidates {
            // SAFETY: every pointer is to a live, NUL-terminated string, and both arrays end in
            // a null pointer; execve returns only on failure.
            #[allow(unsafe_code)]
            unsafe {
                nix::libc::execve(candidate.as_ptr(), self.argv.as_ptr(), self.envp.as_ptr());
            }
            match Errno::last() {
                Errno::EACCES => denied = true,
                Errno::ENOENT | Errno::ENOTDIR | Errno::ESTALE | Errno::ENODEV | Errno::ETIMEDOUT => {}
                other => return other,
            }
        }
        if denied { Errno::EACCES } else { Errno::ENOENT }
    }
}

/// Maps a spawn error to the shell's code and a reason naming the program.
fn not_started(program: &OsStr, error: &io::Error) -> Ending {
    let name = argv_line(&[program]);
    let has_slash = program.as_encoded_bytes().contains(&b'/');
    let path = Path::new(program);
    let (code, what) = match error.raw_os_error().map(Errno::from_raw) {
        // A file that exists but gives ENOENT is a script whose interpreter (or a binary whose
        // loader) is missing; the shell still says 127, but the reason should not say "not found".
        Some(Errno::ENOENT) if has_slash && path.exists() => {
            (NOT_FOUND, "cannot execute: its interpreter was not found")
        }
        Some(Errno::ENOENT) if has_slash => (NOT_FOUND, "no such file or directory"),
        Some(Errno::ENOENT) => (NOT_FOUND, "command not found"),
        Some(Errno::EACCES | Errno::EISDIR) if has_slash && path.is_dir() => {
            (NOT_EXECUTABLE, "is a directory")
        }
        Some(Errno::EACCES) => (NOT_EXECUTABLE, "permission denied"),
        Some(Errno::ENOEXEC) => (NOT_EXECUTABLE, "cannot execute: exec format error"),
        _ => {
            return Ending::NotStarted {
                code: NOT_EXECUTABLE,
                reason: format!("{name}: cannot execute: {}", lowercase_error(error)),
            };
        }
    };
    Ending::NotStarted { code, reason: format!("{name}: {what}") }
}

/// The OS error text, starting lowercase like the rest of gate's messages.
fn lowercase_error(error: &io::Error) -> String {
    let text = crate::display::escape_controls(&error.to_string());
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::super::run;
    use super::*;
    use std::ffi::OsString;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    fn argv(words: &[&OsStr]) -> Program {
        Program::Argv(words.iter().map(OsString::from).collect())
    }

    #[test]
    fn cannot_start_like_a_shell() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.txt");
        fs::write(&plain, "echo hi\n").unwrap();
        let garbage = dir.path().join("garbage");
        // An ELF header that the kernel rejects: ENOEXEC, which no libc retries with /bin/sh.
        fs::write(&garbage, b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0").unwrap();
        fs::set_permissions(&garbage, fs::Permissions::from_mode(0o755)).unwrap();
        let no_interpreter = dir.path().join("script");
        fs::write(&no_interpreter, "#!/nonexistent/interpreter\n").unwrap();
        fs::set_permissions(&no_interpreter, fs::Permissions::from_mode(0o755)).unwrap();
        let missing = dir.path().join("missing");
        let sub = dir.path().join("sub");
        fs::create_dir(&sub).unwrap();

        let cases: Vec<(Program, i32, String)> = vec![
            (
                argv(&[OsStr::new("gate-test-no-such-command")]),
                127,
                "gate-test-no-such-command: command not found".into(),
            ),
            (argv(&[missing.as_os_str()]), 127, format!("{}: no such file or directory", missing.display())),
            (
                argv(&[no_interpreter.as_os_str()]),
                127,
                format!("{}: cannot execute: its interpreter was not found", no_interpreter.display()),
            ),
            (argv(&[plain.as_os_str()]), 126, format!("{}: permission denied", plain.display())),
            (argv(&[sub.as_os_str()]), 126, format!("{}: is a directory", sub.display())),
            (
                argv(&[garbage.as_os_str()]),
                126,
                format!("{}: cannot execute: exec format error", garbage.display()),
            ),
            (Program::Argv(vec![]), 127, "empty command: nothing to run".into()),
        ];
        for (program, code, reason) in cases {
            let outcome = run(&program);
            assert_eq!(outcome.ending, Ending::NotStarted { code, reason }, "{program:?}");
            assert_eq!(outcome.exit_code(), code);
        }
    }

    #[test]
    fn reasons_escape_the_program_name() {
        let error = io::Error::from_raw_os_error(Errno::ENOENT as i32);
        let Ending::NotStarted { reason, .. } = not_started(OsStr::new("evil\x1b[2J"), &error) else {
            panic!("not a NotStarted");
        };
        assert_eq!(reason, r"'evil\x1b[2J': command not found");
        let error = io::Error::from_raw_os_error(Errno::E2BIG as i32);
        let Ending::NotStarted { code, reason } = not_started(OsStr::new("big"), &error) else {
            panic!("not a NotStarted");
        };
        assert_eq!(code, 126);
        assert!(reason.starts_with("big: cannot execute: argument list too long"), "{reason}");
    }
}
