//! Which policy file applies: `--policy`, else `$GATE_POLICY`, else the user's
//! (`$XDG_CONFIG_HOME/gate/policy.toml`), else `/etc/gate/policy.toml`, else the built-in default.

use std::path::{Path, PathBuf};

/// The policy to load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Choice {
    File(PathBuf),
    Builtin,
}

/// The system-wide policy file.
pub const SYSTEM_POLICY: &str = "/etc/gate/policy.toml";

/// Chooses the policy. An explicit path (flag or variable) must exist; the usual places are used
/// only if they exist.
pub fn locate(flag: Option<&Path>, variable: Option<PathBuf>, config_dir: Option<&Path>) -> Choice {
    if let Some(path) = flag {
        return Choice::File(path.to_path_buf());
    }
    if let Some(path) = variable.filter(|path| !path.as_os_str().is_empty()) {
        return Choice::File(path);
    }
    let user = config_dir.map(|dir| dir.join("gate").join("policy.toml"));
    let candidates = user.into_iter().chain([PathBuf::from(SYSTEM_POLICY)]);
    for path in candidates {
        // A file that exists but cannot be read is an error, not a reason to fall back.
        if std::fs::symlink_metadata(&path).is_ok() {
            return Choice::File(path);
        }
    }
    Choice::Builtin
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_of_precedence() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        let flag = dir.path().join("flag.toml");
        let variable = dir.path().join("variable.toml");
        assert_eq!(locate(Some(&flag), Some(variable.clone()), Some(&config)), Choice::File(flag.clone()));
        assert_eq!(locate(None, Some(variable.clone()), Some(&config)), Choice::File(variable));
        std::fs::create_dir_all(config.join("gate")).unwrap();
        std::fs::write(config.join("gate/policy.toml"), "version = 1").unwrap();
        assert_eq!(
            locate(None, Some(PathBuf::new()), Some(&config)),
            Choice::File(config.join("gate/policy.toml"))
        );
    }
}
