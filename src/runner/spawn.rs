//! Starting the command, and saying why it could not start the way a shell does: 127 when it
//! was not found, 126 when it was found but cannot be executed. Reasons are lowercase, name the
//! program, and never carry raw control characters.

use super::{Ending, Program};
use crate::display::argv_line;
use crate::exit_code::{NOT_EXECUTABLE, NOT_FOUND};
use nix::errno::Errno;
use nix::unistd::Pid;
use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering};

/// Where to find the shell that runs [`Program::Line`]: bash, because bash's grammar is the one
/// the classifier judges a line in (a POSIX sh such as dash reads `$'..'`, `&>` or `[[` otherwise,
/// and a line could mean one thing to the judge and another to the shell). Fixed paths, never
/// PATH: the caller must not choose the interpreter of a line that was judged.
const SHELLS: [&str; 4] = ["/bin/bash", "/usr/bin/bash", "/usr/local/bin/bash", "/opt/homebrew/bin/bash"];

/// Spawns the program with inherited stdio and environment, as `posix_spawn` does: the child
/// shares gate's memory until it execs (`CLONE_VM | CLONE_VFORK`), so nothing is copied.
pub(super) fn spawn(program: &Program) -> Result<Started, Ending> {
    let (command, name) = command_for(program)?;
    let exec = Exec::prepare(name, &command);
    clone_and_exec(&exec, None).map(Started).map_err(|error| not_started(name, &error))
}

/// Spawns the program as [`spawn`] does, with stdin empty and stdout and stderr each going to a
/// pipe, whose reading ends are returned.
pub(super) fn spawn_captured(program: &Program) -> Result<(Started, File, File), Ending> {
    let (command, name) = command_for(program)?;
    let exec = Exec::prepare(name, &command);
    let started = pipes().and_then(|(stdio, out, err)| {
        let raw = stdio.each_ref().map(AsRawFd::as_raw_fd);
        // The child's ends are closed here once it has exec'd (it holds its own copies).
        clone_and_exec(&exec, Some(raw)).map(|pid| (Started(pid), out, err))
    });
    started.map_err(|error| not_started(name, &error))
}

/// The child's stdin (`/dev/null`), stdout and stderr (the writing ends of two pipes), each at a
/// descriptor above 2 so that putting one in place never overwrites another; and the reading ends.
fn pipes() -> io::Result<([OwnedFd; 3], File, File)> {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    let above_stdio = |fd: OwnedFd| -> io::Result<OwnedFd> {
        if fd.as_raw_fd() > 2 {
            return Ok(fd);
        }
        let raw = fcntl(&fd, FcntlArg::F_DUPFD_CLOEXEC(3))?;
        // SAFETY: fcntl just made this descriptor, and nothing else owns it.
        #[allow(unsafe_code)]
        Ok(unsafe { OwnedFd::from_raw_fd(raw) })
    };
    let null = above_stdio(File::open("/dev/null")?.into())?;
    let (out, out_writer) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
    let (err, err_writer) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
    Ok(([null, above_stdio(out_writer)?, above_stdio(err_writer)?], out.into(), err.into()))
}

/// The `Command` that runs `program`, and the name of the file it execs (for messages). std's
/// `Command` looks a bare name up on PATH like execvp, resets SIGPIPE and the signal mask in
/// the child, and reports exec errors; [`spawn`] does the same.
fn command_for(program: &Program) -> Result<(Command, &OsStr), Ending> {
    match program {
        Program::Argv(argv) => {
            let Some((first, rest)) = argv.split_first() else {
                return Err(Ending::NotStarted {
                    code: NOT_FOUND,
                    reason: "empty command: nothing to run".into(),
                });
            };
            let mut command = Command::new(first);
            command.args(rest);
            Ok((command, first.as_os_str()))
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
            Ok((command, OsStr::new(*shell)))
        }
    }
}

/// A child started by [`spawn`]; gate reaps it itself.
pub(super) struct Started(pub Pid);

impl Started {
    /// Reaps the child if it has ended.
    #[allow(unsafe_code)]
    pub fn try_reap(&mut self) -> io::Result<Option<ExitStatus>> {
        use std::os::unix::process::ExitStatusExt;
        loop {
            let mut status = 0;
            // SAFETY: waitpid writes the status into a live integer.
            let reaped = unsafe { nix::libc::waitpid(self.0.as_raw(), &mut status, nix::libc::WNOHANG) };
            match reaped {
                0 => return Ok(None),
                pid if pid == self.0.as_raw() => return Ok(Some(ExitStatus::from_raw(status))),
                _ if Errno::last() == Errno::EINTR => continue,
                _ => return Err(io::Error::last_os_error()),
            }
        }
    }
}

/// What the child of [`clone_and_exec`] reads and leaves behind, in memory it shares with gate.
struct Shared<'a> {
    exec: &'a Exec,
    /// What becomes the child's stdin, stdout and stderr; `None` to keep gate's.
    stdio: Option<[RawFd; 3]>,
    gate: nix::libc::pid_t,
    /// Why the exec failed; 0 while it has not.
    errno: AtomicI32,
}

/// The bytes of the child's stack: it only resets signals and calls execve, each a system call.
const CHILD_STACK: usize = 64 << 10;

/// Starts the child the way glibc's `posix_spawn` does: `clone` with `CLONE_VM | CLONE_VFORK`,
/// on a stack of its own, every signal blocked around it so that none of gate's handlers runs
/// in the child (which resets them before unblocking). gate is suspended until the child has
/// exec'd or given up, so the child's exec error is in `Shared` when `clone` returns.
#[allow(unsafe_code)]
fn clone_and_exec(exec: &Exec, stdio: Option<[RawFd; 3]>) -> io::Result<Pid> {
    use nix::libc;
    use std::mem::MaybeUninit;
    let shared = Shared { exec, stdio, gate: nix::unistd::getpid().as_raw(), errno: AtomicI32::new(0) };
    let mut stack: Vec<MaybeUninit<u8>> = Vec::with_capacity(CHILD_STACK);
    // The stack grows down from its 16-byte aligned top.
    let top = (stack.as_mut_ptr() as usize + CHILD_STACK) & !15;
    // SAFETY: the sets are initialised by sigfillset/pthread_sigmask before they are read; the
    // child runs `child_main` on `stack` (alive until clone returns, which is after the child
    // exec'd or exited) with a pointer to `shared` (alive as long); with CLONE_VFORK nothing else
    // of gate's runs meanwhile.
    unsafe {
        let mut all = MaybeUninit::<libc::sigset_t>::uninit();
        let mut before = MaybeUninit::<libc::sigset_t>::uninit();
        libc::sigfillset(all.as_mut_ptr());
        libc::pthread_sigmask(libc::SIG_SETMASK, all.as_ptr(), before.as_mut_ptr());
        let pid = libc::clone(
            child_main,
            top as *mut libc::c_void,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            std::ptr::from_ref(&shared).cast_mut().cast(),
        );
        let cloned = if pid < 0 { Err(io::Error::last_os_error()) } else { Ok(Pid::from_raw(pid)) };
        libc::pthread_sigmask(libc::SIG_SETMASK, before.as_ptr(), std::ptr::null_mut());
        let pid = cloned?;
        match shared.errno.load(Ordering::Acquire) {
            0 => Ok(pid),
            errno => {
                // It exited before clone returned: reap it now, so no zombie is left.
                let _ = nix::sys::wait::waitpid(pid, None);
                Err(io::Error::from_raw_os_error(errno))
            }
        }
    }
}

/// The child of [`clone_and_exec`]. Only system calls: it shares its memory with a suspended
/// gate, and must not allocate or take a lock another thread of gate's may hold.
///
/// It gets SIGKILL when gate dies, however gate dies (SIGKILL included): a command whose outcome
/// can no longer be recorded must not run on unobserved. If gate died before that was set, the
/// child's parent is already someone else, and it ends itself. It execs with `execve` on each
/// candidate path, as `execvp` searches PATH but without libc's fallback of running a file the
/// kernel refuses (ENOEXEC) with /bin/sh: such a file is "exec format error" (126).
#[allow(unsafe_code)]
extern "C" fn child_main(shared: *mut nix::libc::c_void) -> nix::libc::c_int {
    use nix::libc;
    use std::mem::MaybeUninit;
    // SAFETY: `clone_and_exec` passes a pointer to a `Shared` that outlives this child's use of it.
    let shared = unsafe { &*shared.cast::<Shared<'_>>() };
    // SAFETY: sigaction, pthread_sigmask, prctl, getppid and _exit are system calls on memory
    // this function owns; the sigaction structs are zeroed (a valid value) before use.
    unsafe {
        // Handlers of gate's are reset before signals are unblocked: exec would reset them, but a
        // signal arriving before it must not run gate's code in this process. Ignored signals
        // stay ignored (nohup), except SIGPIPE, which std ignores in gate and every child of a
        // Rust program gets back at its default, as std's own spawn does.
        let mut default: libc::sigaction = MaybeUninit::zeroed().assume_init();
        default.sa_sigaction = libc::SIG_DFL;
        for signal in 1..libc::SIGRTMAX() + 1 {
            let mut current: libc::sigaction = MaybeUninit::zeroed().assume_init();
            let handled = libc::sigaction(signal, std::ptr::null(), &mut current) == 0
                && current.sa_sigaction != libc::SIG_DFL
                && (current.sa_sigaction != libc::SIG_IGN || signal == libc::SIGPIPE);
            if handled {
                libc::sigaction(signal, &default, std::ptr::null_mut());
            }
        }
        let mut none = MaybeUninit::<libc::sigset_t>::uninit();
        libc::sigemptyset(none.as_mut_ptr());
        libc::pthread_sigmask(libc::SIG_SETMASK, none.as_ptr(), std::ptr::null_mut());
        // The descriptors given are above 2 (see `pipes`), so none is overwritten before use;
        // dup2 leaves the copy open across exec.
        for (target, source) in shared.stdio.iter().flatten().enumerate() {
            if libc::dup2(*source, target as libc::c_int) < 0 {
                shared.errno.store(Errno::last_raw(), Ordering::Release);
                libc::_exit(crate::exit_code::NOT_EXECUTABLE);
            }
        }
        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
            shared.errno.store(Errno::last_raw(), Ordering::Release);
            libc::_exit(crate::exit_code::NOT_EXECUTABLE);
        }
        if libc::getppid() != shared.gate {
            libc::_exit(128 + libc::SIGKILL);
        }
        shared.errno.store(shared.exec.run() as i32, Ordering::Release);
        libc::_exit(crate::exit_code::NOT_FOUND)
    }
}

/// An `execve` prepared before the clone: the candidate paths of the program, its arguments and
/// gate's environment as C strings, and the null-terminated pointer arrays execve reads, so
/// that nothing is allocated in the child (it shares gate's heap, and another thread of gate's
/// may hold malloc's lock).
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
