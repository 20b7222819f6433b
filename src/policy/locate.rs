//! Which policy files apply. The base is `--policy`, else `$GATE_POLICY`, else the layers
//! `/etc/gate/policy.toml` then the user's (`$XDG_CONFIG_HOME/gate/policy.toml`), else the
//! built-in default. On top comes a project's `.gate/policy.toml`, found by walking up from the
//! working directory, which may only tighten.

use std::path::{Path, PathBuf};

/// The policy to load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Choice {
    File(PathBuf),
    Builtin,
}

/// The system-wide policy file.
pub const SYSTEM_POLICY: &str = "/etc/gate/policy.toml";

/// The project layer's place inside a project.
pub const PROJECT_POLICY: &str = ".gate/policy.toml";

/// Every layer that applies, lowest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layers {
    pub base: Vec<Choice>,
    pub project: Option<PathBuf>,
}

/// Finds the layers: the base as [`locate`] would, except that without an explicit file the
/// system and user policies both apply, and the project layer above them.
pub fn locate_layers(
    flag: Option<&Path>,
    variable: Option<PathBuf>,
    config_dir: Option<&Path>,
    cwd: &Path,
) -> Layers {
    let explicit = flag.map(Path::to_path_buf).or(variable.filter(|path| !path.as_os_str().is_empty()));
    let base = match explicit {
        Some(path) => vec![Choice::File(path)],
        None => {
            let user = config_dir.map(|dir| dir.join("gate").join("policy.toml"));
            let found: Vec<Choice> = [Some(PathBuf::from(SYSTEM_POLICY)), user]
                .into_iter()
                .flatten()
                .filter(|path| std::fs::symlink_metadata(path).is_ok())
                .map(Choice::File)
                .collect();
            if found.is_empty() { vec![Choice::Builtin] } else { found }
        }
    };
    let project = cwd
        .ancestors()
        .map(|dir| dir.join(PROJECT_POLICY))
        .find(|path| std::fs::symlink_metadata(path).is_ok());
    Layers { base, project }
}

/// Chooses one policy file (for `gate policy lint` and `test`). An explicit path (flag or variable) must exist; the usual places are used
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
