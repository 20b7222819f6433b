//! Secrets of the configuration: written as `env:NAME` or `file:PATH`, never inline, and read
//! when the configuration is loaded. Messages name the variable or the path, never the value;
//! `Debug` of a [`Secret`] shows where it came from only.

use std::path::{Path, PathBuf};

/// Where a secret is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Env(String),
    File(PathBuf),
}

/// A secret's value and where it came from.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    pub source: Source,
    value: String,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({:?})", self.source)
    }
}

pub const INLINE: &str = "secrets come from env:NAME or file:PATH, never inline";

impl Source {
    /// Reads `env:NAME` or `file:PATH` (relative to `base`); anything else is an inline secret.
    pub fn parse(text: &str, base: &Path) -> Result<Source, String> {
        if let Some(name) = text.strip_prefix("env:") {
            let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            return if valid {
                Ok(Source::Env(name.to_string()))
            } else {
                Err(format!("`env:{name}` does not name an environment variable"))
            };
        }
        if let Some(path) = text.strip_prefix("file:") {
            if path.is_empty() {
                return Err("`file:` needs a path".to_string());
            }
            return Ok(Source::File(base.join(path)));
        }
        Err(INLINE.to_string())
    }

    /// The value, read now. A file's trailing newline is not part of the secret.
    pub fn read(&self) -> Result<Secret, String> {
        let value = match self {
            Source::Env(name) => match std::env::var(name) {
                Ok(value) => value,
                Err(std::env::VarError::NotPresent) => {
                    return Err(format!("the environment variable {name} is not set"));
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(format!("the environment variable {name} is not UTF-8"));
                }
            },
            Source::File(path) => match std::fs::read_to_string(path) {
                Ok(text) => text.trim_end_matches(['\n', '\r']).to_string(),
                Err(error) => return Err(format!("cannot read the secret file {}: {error}", path.display())),
            },
        };
        if value.is_empty() {
            let place = match self {
                Source::Env(name) => format!("the environment variable {name}"),
                Source::File(path) => format!("the secret file {}", path.display()),
            };
            return Err(format!("{place} is empty"));
        }
        Ok(Secret { source: self.clone(), value })
    }
}

impl Secret {
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// For tests.
    pub fn literal(value: &str) -> Secret {
        Secret { source: Source::Env("TEST".into()), value: value.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_come_from_env_or_file_only() {
        let base = Path::new("/etc/gate");
        assert_eq!(Source::parse("env:GATE_X", base), Ok(Source::Env("GATE_X".into())));
        assert_eq!(Source::parse("file:tok", base), Ok(Source::File("/etc/gate/tok".into())));
        assert_eq!(Source::parse("file:/abs", base), Ok(Source::File("/abs".into())));
        for inline in ["hunter2", "", "ENV:X", "sk-123"] {
            assert_eq!(Source::parse(inline, base), Err(INLINE.to_string()), "{inline}");
        }
        assert!(Source::parse("env:", base).is_err());
        assert!(Source::parse("env:A-B", base).is_err());
    }

    #[test]
    fn messages_name_the_place_never_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "s3cret\n").unwrap();
        let secret = Source::File(path.clone()).read().unwrap();
        assert_eq!(secret.expose(), "s3cret");
        assert!(!format!("{secret:?}").contains("s3cret"));
        let missing = Source::Env("GATE_TEST_SURELY_UNSET_VARIABLE".into()).read().unwrap_err();
        assert!(missing.contains("GATE_TEST_SURELY_UNSET_VARIABLE"), "{missing}");
        std::fs::write(&path, "").unwrap();
        assert!(Source::File(path).read().unwrap_err().contains("is empty"));
    }
}
