//! Default locations, following the XDG base directories: the user's policy under
//! `$XDG_CONFIG_HOME/gate`, the audit database under `$XDG_DATA_HOME/gate`.

use std::path::{Path, PathBuf};

/// The user's home: `$HOME`, else the password database.
pub fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
        .or_else(|| nix::unistd::User::from_uid(nix::unistd::getuid()).ok().flatten().map(|user| user.dir))
}

/// `$XDG_CONFIG_HOME`, else `~/.config`.
pub fn config_dir() -> Option<PathBuf> {
    xdg_dir("XDG_CONFIG_HOME", ".config")
}

/// `$XDG_DATA_HOME`, else `~/.local/share`.
pub fn data_dir() -> Option<PathBuf> {
    xdg_dir("XDG_DATA_HOME", ".local/share")
}

/// The audit database: `--db`, else `$GATE_DB`, else `$XDG_DATA_HOME/gate/audit.db`.
pub fn database(flag: Option<&Path>) -> Option<PathBuf> {
    flag.map(Path::to_path_buf)
        .or_else(|| std::env::var_os("GATE_DB").filter(|value| !value.is_empty()).map(PathBuf::from))
        .or_else(|| data_dir().map(|dir| dir.join("gate").join("audit.db")))
}

/// The key that signs audit checkpoints: `$GATE_AUDIT_KEY`, else `$XDG_CONFIG_HOME/gate/audit-key`.
pub fn audit_key() -> Option<PathBuf> {
    std::env::var_os("GATE_AUDIT_KEY")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .or_else(|| config_dir().map(|dir| dir.join("gate").join("audit-key")))
}

fn xdg_dir(variable: &str, fallback: &str) -> Option<PathBuf> {
    // The XDG spec says relative values are invalid and must be ignored.
    std::env::var_os(variable)
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| home().map(|home| home.join(fallback)))
}

/// `$XDG_CACHE_HOME`, else `~/.cache`.
pub fn cache_dir() -> Option<PathBuf> {
    xdg_dir("XDG_CACHE_HOME", ".cache")
}
