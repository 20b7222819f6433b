//! Who asked, from where: the facts about a request that the audit log and the approver see.
//! Captured from the operating system, never from the command's own arguments.

use std::ffi::OsString;
use std::path::PathBuf;

/// The process that called gate, and where.
#[derive(Clone, Debug)]
pub struct Requester {
    pub user: String,
    pub uid: u32,
    pub host: String,
    pub pid: u32,
    pub ppid: u32,
    /// The parent's command line, escaped for display.
    pub parent: String,
    pub cwd: PathBuf,
}

impl Requester {
    /// Captures the caller; `cwd` is the working directory gate already read for classifying,
    /// so that what was judged and what is recorded are the same place.
    pub fn capture(cwd: &std::path::Path) -> Requester {
        let uid = nix::unistd::getuid();
        let user = nix::unistd::User::from_uid(uid)
            .ok()
            .flatten()
            .map_or_else(|| format!("uid {uid}"), |user| user.name);
        let host = nix::unistd::gethostname()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "unknown".into());
        let ppid = nix::unistd::getppid().as_raw() as u32;
        Requester {
            user,
            uid: uid.as_raw(),
            host,
            pid: std::process::id(),
            ppid,
            parent: parent_command(ppid),
            cwd: cwd.to_path_buf(),
        }
    }
}

/// The parent's command line from /proc, escaped; its name alone if that is all there is.
fn parent_command(ppid: u32) -> String {
    let cmdline = std::fs::read(format!("/proc/{ppid}/cmdline")).unwrap_or_default();
    let argv: Vec<OsString> = cmdline
        .split(|&byte| byte == 0)
        .filter(|arg| !arg.is_empty())
        .map(|arg| <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(arg).to_os_string())
        .collect();
    if !argv.is_empty() {
        return crate::display::argv_line(&argv);
    }
    std::fs::read_to_string(format!("/proc/{ppid}/comm"))
        .map(|name| crate::display::escape_controls(name.trim_end()))
        .unwrap_or_else(|_| "unknown".into())
}

/// A fresh random request id: 32 hex digits.
pub fn new_request_id() -> String {
    let mut bytes = [0u8; 16];
    // Without randomness the id is still unique enough by time and pid, and only links entries.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        bytes = (nanos ^ (u128::from(std::process::id()) << 96)).to_be_bytes();
    }
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
