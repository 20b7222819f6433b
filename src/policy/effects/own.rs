//! gate's own files, found the way gate itself finds them: no command it runs may write them,
//! and none may read its private keys, whatever the policy says.

use super::{OwnFiles, OwnPaths};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where the system's policy and settings live.
const SYSTEM_DIR: &str = "/etc/gate";

impl OwnFiles {
    /// gate's own files for a command judged now: the audit log `database` (the `--db` flag,
    /// else `GATE_DB`, else the default) with its `-wal`, `-shm`, `-journal` and checkpoint,
    /// gate's configuration, data and cache directories, `/etc/gate`, every policy layer loaded, the
    /// checkpoint key and file (`GATE_AUDIT_KEY`, `GATE_AUDIT_CHECKPOINT_FILE`) and the running
    /// binary. The checkpoint key and the broker's key (`broker.key` in gate's configuration
    /// directories) are private: not even read. Each is kept as given and, where it differs,
    /// with its symbolic links resolved. Found when first asked for.
    pub fn of(database: Option<&Path>, layers: &[PathBuf]) -> OwnFiles {
        OwnFiles { sources: Some((database.map(Path::to_path_buf), layers.to_vec())), found: OnceLock::new() }
    }

    /// No own files: for judging a command that gate will not run.
    pub const fn none() -> OwnFiles {
        OwnFiles { sources: None, found: OnceLock::new() }
    }

    /// Exactly these files.
    pub fn known(protected: Vec<PathBuf>, private: Vec<PathBuf>) -> OwnFiles {
        OwnFiles { sources: None, found: OnceLock::from(OwnPaths { protected, private }) }
    }

    /// What no command may write; a directory covers everything under it.
    pub fn protected(&self) -> &[PathBuf] {
        &self.paths().protected
    }

    /// What no command may even read.
    pub fn private(&self) -> &[PathBuf] {
        &self.paths().private
    }

    fn paths(&self) -> &OwnPaths {
        self.found.get_or_init(|| match &self.sources {
            Some((database, layers)) => capture(database.as_deref(), layers),
            None => OwnPaths::default(),
        })
    }
}

fn capture(database: Option<&Path>, layers: &[PathBuf]) -> OwnPaths {
    let mut protected = Vec::new();
    if let Some(database) = crate::paths::database(database) {
        for suffix in ["", "-wal", "-shm", "-journal", ".checkpoint"] {
            let mut path = database.clone().into_os_string();
            path.push(suffix);
            protected.push(PathBuf::from(path));
        }
    }
    let variable = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty()).map(PathBuf::from);
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
    // The private files are protected too; each path is resolved once, for both lists.
    let mut forms = RealForms::here();
    let private = forms.of(private);
    let mut protected = forms.of(protected);
    for path in &private {
        if !protected.contains(path) {
            protected.push(path.clone());
        }
    }
    OwnPaths { protected, private }
}

/// Paths made absolute (from gate's working directory) and lexically normal, each followed by
/// its real form when that differs.
struct RealForms {
    cwd: PathBuf,
    real_dirs: RealDirs,
}

impl RealForms {
    fn here() -> RealForms {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        RealForms { cwd, real_dirs: RealDirs::default() }
    }

    fn of(&mut self, paths: Vec<PathBuf>) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = Vec::with_capacity(paths.len() * 2);
        for path in paths {
            let absolute = crate::policy::paths::normalize(&self.cwd.join(&path).to_string_lossy());
            let absolute = PathBuf::from(absolute);
            let real = self.real_dirs.real(&absolute);
            for path in std::iter::once(absolute).chain(real) {
                if !out.contains(&path) {
                    out.push(path);
                }
            }
        }
        out
    }
}

/// Real forms of directories, each found once: gate's own files share a few directories, and
/// resolving every path from the root again would cost a `readlink` per component per path on
/// every command.
#[derive(Default)]
struct RealDirs {
    known: std::collections::HashMap<PathBuf, Option<PathBuf>>,
}

impl RealDirs {
    /// The path with the symbolic links of its directory resolved, and the file itself when it
    /// is one (the file may not exist yet: the log is made on first use). `None` when its
    /// directory does not exist.
    fn real(&mut self, path: &Path) -> Option<PathBuf> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Some(path.to_path_buf());
        };
        let joined = self.dir(parent)?.join(name);
        match std::fs::symlink_metadata(&joined) {
            Ok(meta) if meta.file_type().is_symlink() => {
                Some(std::fs::canonicalize(&joined).unwrap_or(joined))
            }
            _ => Some(joined),
        }
    }

    /// The real form of an existing directory.
    fn dir(&mut self, dir: &Path) -> Option<PathBuf> {
        if let Some(known) = self.known.get(dir) {
            return known.clone();
        }
        let real = match (dir.parent(), dir.file_name()) {
            (Some(parent), Some(name)) => self.dir(parent).and_then(|parent| {
                let joined = parent.join(name);
                match std::fs::symlink_metadata(&joined) {
                    Ok(meta) if meta.file_type().is_symlink() => std::fs::canonicalize(&joined).ok(),
                    Ok(meta) if meta.is_dir() => Some(joined),
                    _ => None,
                }
            }),
            _ => std::fs::canonicalize(dir).ok(),
        };
        self.known.insert(dir.to_path_buf(), real.clone());
        real
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_are_found_when_first_asked_for() {
        let own =
            OwnFiles::of(Some(Path::new("/nowhere/audit.db")), &[PathBuf::from("/nowhere/policy.toml")]);
        assert!(own.found.get().is_none());
        for file in ["/nowhere/audit.db", "/nowhere/audit.db-wal", "/nowhere/policy.toml", SYSTEM_DIR] {
            assert!(own.protected().contains(&PathBuf::from(file)), "{file}");
        }
        assert!(own.private().contains(&Path::new(SYSTEM_DIR).join("broker.key")));
        assert!(OwnFiles::none().protected().is_empty() && OwnFiles::default().private().is_empty());
    }

    #[test]
    fn real_forms_follow_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("data")).unwrap();
        std::os::unix::fs::symlink(root.join("data"), root.join("link")).unwrap();
        std::fs::write(root.join("data/file"), "").unwrap();
        std::os::unix::fs::symlink(root.join("data/file"), root.join("data/alias")).unwrap();
        let found = RealForms::here().of(vec![
            root.join("link/audit.db"),
            root.join("link/./x/../audit.db"),
            root.join("link/alias"),
            root.join("missing/x"),
        ]);
        let want = [
            root.join("link/audit.db"),
            root.join("data/audit.db"),
            root.join("link/alias"),
            root.join("data/file"),
            root.join("missing/x"),
        ];
        assert_eq!(found, want);
    }
}
