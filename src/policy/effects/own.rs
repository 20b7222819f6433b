//! gate's own files, found the way gate itself finds them: no command it runs may write them,
//! and none may read its private keys, whatever the policy says.

use super::OwnFiles;
use std::path::{Path, PathBuf};

/// Where the system's policy and settings live.
const SYSTEM_DIR: &str = "/etc/gate";

impl OwnFiles {
    /// gate's own files for a command judged now: the audit log `database` (the `--db` flag,
    /// else `GATE_DB`, else the default) with its `-wal`, `-shm`, `-journal` and checkpoint,
    /// gate's configuration, data and cache directories, `/etc/gate`, every policy layer loaded, the
    /// checkpoint key and file (`GATE_AUDIT_KEY`, `GATE_AUDIT_CHECKPOINT_FILE`) and the running
    /// binary. The checkpoint key and the broker's key (`broker.key` in gate's configuration
    /// directories) are private: not even read. Each is kept as given and, where it differs,
    /// with its symbolic links resolved.
    pub fn capture(database: Option<&Path>, layers: &[PathBuf]) -> OwnFiles {
        let mut protected = Vec::new();
        if let Some(database) = crate::paths::database(database) {
            for suffix in ["", "-wal", "-shm", "-journal", ".checkpoint"] {
                let mut path = database.clone().into_os_string();
                path.push(suffix);
                protected.push(PathBuf::from(path));
            }
        }
        let variable =
            |name: &str| std::env::var_os(name).filter(|value| !value.is_empty()).map(PathBuf::from);
        protected.extend(variable("GATE_AUDIT_CHECKPOINT_FILE"));
        protected.extend(crate::paths::config_dir().map(|dir| dir.join("gate")));
        protected.extend(crate::paths::data_dir().map(|dir| dir.join("gate")));
        // The compiled policies gate keeps (see `policy::cache`): one written by a command
        // would be read as policy by the next run, if it fitted.
        protected.extend(crate::paths::cache_dir().map(|dir| dir.join("gate")));
        protected.push(PathBuf::from(SYSTEM_DIR));
        protected.extend(layers.iter().cloned());
        protected.extend(std::env::current_exe().ok());
        // The checkpoint key, and a broker's key where `gate serve` keeps it by default (next
        // to a configuration in gate's own directories).
        let mut private: Vec<PathBuf> = crate::paths::audit_key().into_iter().collect();
        private.extend(crate::paths::config_dir().map(|dir| dir.join("gate").join("broker.key")));
        private.push(Path::new(SYSTEM_DIR).join("broker.key"));
        protected.extend(private.iter().cloned());
        OwnFiles { protected: with_real_forms(protected), private: with_real_forms(private) }
    }
}

/// The paths, absolute and lexically normal, each followed by its real form when that differs.
fn with_real_forms(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let mut out: Vec<PathBuf> = Vec::with_capacity(paths.len() * 2);
    for path in paths {
        let absolute = crate::policy::paths::normalize(&cwd.join(&path).to_string_lossy());
        let absolute = PathBuf::from(absolute);
        let real = real(&absolute);
        for path in std::iter::once(absolute).chain(real) {
            if !out.contains(&path) {
                out.push(path);
            }
        }
    }
    out
}

/// The path with the symbolic links of its directory resolved (the file itself may not exist
/// yet: the log is made on first use).
fn real(path: &Path) -> Option<PathBuf> {
    if let Ok(real) = std::fs::canonicalize(path) {
        return Some(real);
    }
    let parent = std::fs::canonicalize(path.parent()?).ok()?;
    Some(parent.join(path.file_name()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_forms_follow_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("data")).unwrap();
        std::os::unix::fs::symlink(root.join("data"), root.join("link")).unwrap();
        let found = with_real_forms(vec![root.join("link/audit.db"), root.join("link/./x/../audit.db")]);
        assert_eq!(found, vec![root.join("link/audit.db"), root.join("data/audit.db")]);
    }
}
