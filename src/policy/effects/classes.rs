//! The path classes of a policy: the built-in floor (`policies/paths.toml`) plus every layer's
//! `[paths]`. Layers only add patterns; a project layer may add secrets and persistence only.

use super::super::compile::Checker;
use super::super::glob::Glob;
use super::super::raw::RawPaths;
use crate::policy::Decision;
use serde::Deserialize;
use std::sync::OnceLock;
use toml::Spanned;

/// The built-in floor.
pub const BUILTIN_PATHS: &str = include_str!("../../../policies/paths.toml");

/// A glob of the policy language over absolute paths.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct PathPattern {
    pub glob: Glob,
    /// Starts at the root or home (not `**/`): a directory above it can be told from its text.
    pub anchored: bool,
    /// `DIR/**`: every path under DIR, which a word whose directory is known can be judged by.
    pub dir: Option<String>,
    /// A file name in any directory (`**/.env`): a directory above one is any directory. The
    /// glob of the name alone, matched against a path's last component.
    pub named: Option<Glob>,
}

/// The path classes of a policy: the built-in floor plus every layer's `[paths]`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PathClasses {
    pub(crate) secrets: Vec<PathPattern>,
    pub(crate) persistence: Vec<PathPattern>,
    pub(crate) temp: Vec<PathPattern>,
    pub(crate) project: Vec<PathPattern>,
    /// What a write outside the project and the temp directories gets.
    pub(crate) elsewhere: Decision,
    elsewhere_written: bool,
    /// Why this layer's `[paths]` loosens the policy, for a project layer to be refused.
    pub(crate) loosens: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Floor {
    #[allow(dead_code, reason = "the file is a policy too, and says so")]
    version: i64,
    paths: FloorPaths,
    #[allow(dead_code, reason = "the file's own tests, run as a policy's")]
    #[serde(default)]
    tests: Vec<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FloorPaths {
    secrets: Vec<String>,
    persistence: Vec<String>,
    temp: Vec<String>,
}

impl PathClasses {
    /// The built-in floor, with `~` as `home`.
    pub fn floor(home: &str) -> PathClasses {
        static FLOOR: OnceLock<(String, PathClasses)> = OnceLock::new();
        let (cached_home, cached) = FLOOR.get_or_init(|| (home.to_string(), parse_floor(home)));
        if cached_home == home { cached.clone() } else { parse_floor(home) }
    }

    /// These classes with an upper layer's added: patterns not here yet, and its `elsewhere`.
    pub(crate) fn stack(&mut self, upper: PathClasses) {
        for (below, above) in [
            (&mut self.secrets, upper.secrets),
            (&mut self.persistence, upper.persistence),
            (&mut self.temp, upper.temp),
            (&mut self.project, upper.project),
        ] {
            for pattern in above {
                if !below.iter().any(|known| known.glob.text == pattern.glob.text) {
                    below.push(pattern);
                }
            }
        }
        if upper.elsewhere_written {
            self.elsewhere = upper.elsewhere;
            self.elsewhere_written = true;
        }
    }
}

fn parse_floor(home: &str) -> PathClasses {
    let floor: Floor = toml::from_str(BUILTIN_PATHS).expect("policies/paths.toml is valid");
    let compile = |list: &[String]| -> Vec<PathPattern> {
        list.iter().map(|text| pattern(text, home).expect("policies/paths.toml has valid globs")).collect()
    };
    PathClasses {
        secrets: compile(&floor.paths.secrets),
        persistence: compile(&floor.paths.persistence),
        temp: compile(&floor.paths.temp),
        project: Vec::new(),
        elsewhere: Decision::Ask,
        elsewhere_written: false,
        loosens: None,
    }
}

/// Compiles a pattern: a name without `/` matches in any directory; others start at `/`, `~/`
/// or `**/`.
pub(crate) fn pattern(text: &str, home: &str) -> Result<PathPattern, String> {
    let full = if text.contains('/') { text.to_string() } else { format!("**/{text}") };
    if !(full.starts_with('/') || full.starts_with("~/") || full.starts_with("**/") || full == "~") {
        return Err(format!(
            "{text:?} is not a path pattern: start it with /, ~/ or **/, or give a file name without /"
        ));
    }
    let glob = Glob::new(&full, home)?;
    let anchored = !full.starts_with("**");
    let dir = full
        .strip_suffix("/**")
        .and_then(|dir| Glob::new(dir, home).ok())
        .and_then(|dir| dir.literal().map(str::to_string));
    let named = match full.strip_prefix("**/") {
        Some(name) if !name.contains('/') => Some(Glob::new(name, home)?),
        _ => None,
    };
    Ok(PathPattern { glob, anchored, dir, named })
}

/// The floor with a layer's `[paths]` added. Every error goes to the checker, with its place.
pub(in crate::policy) fn compile(raw: Option<Spanned<RawPaths>>, checker: &mut Checker) -> PathClasses {
    let mut classes = PathClasses::floor(checker.home);
    let Some(raw) = raw.map(Spanned::into_inner) else {
        return classes;
    };
    let mut loosens = Vec::new();
    for (key, list, slot) in [
        ("secrets", &raw.secrets, &mut classes.secrets),
        ("persistence", &raw.persistence, &mut classes.persistence),
        ("temp", &raw.temp, &mut classes.temp),
        ("project", &raw.project, &mut classes.project),
    ] {
        let Some(list) = list else { continue };
        if matches!(key, "temp" | "project") {
            loosens.push(format!("[paths] {key} adds places where writing is fine"));
        }
        for text in list.get_ref() {
            match pattern(text.get_ref(), checker.home) {
                Ok(pattern) if !slot.iter().any(|known| known.glob.text == pattern.glob.text) => {
                    slot.push(pattern)
                }
                Ok(_) => {}
                Err(why) => checker.error(text.span(), format!("bad path pattern in [paths] {key}: {why}")),
            }
        }
    }
    if let Some(elsewhere) = raw.elsewhere {
        classes.elsewhere = *elsewhere.get_ref();
        classes.elsewhere_written = true;
        loosens.push(format!("[paths] elsewhere = \"{}\" is set", elsewhere.get_ref()));
    }
    classes.loosens = loosens.into_iter().next();
    classes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Policy, PolicyError};

    #[test]
    fn the_floor_parses() {
        let floor = PathClasses::floor("/home/u");
        assert!(floor.secrets.iter().any(|p| p.glob.matches("/home/u/.ssh/id_rsa")));
        assert!(floor.persistence.iter().any(|p| p.glob.matches("/home/u/.bashrc")));
        assert!(floor.secrets.iter().any(|p| p.glob.matches("/srv/x/server.pem")));
        assert_eq!(floor.temp[0].dir.as_deref(), Some("/tmp"));
        assert_eq!(floor.elsewhere, Decision::Ask);
    }

    #[test]
    fn patterns() {
        let cases = [
            ("*.pem", "/a/b/c.pem", true),
            ("*.pem", "/c.pem", true),
            ("id_rsa*", "/home/u/.ssh/id_rsa.pub", true),
            ("~/.bashrc", "/home/u/.bashrc", true),
            ("**/.git/hooks/**", "/w/p/.git/hooks/pre-commit", true),
            ("/etc/cron*", "/etc/crontab", true),
        ];
        for (text, path, expected) in cases {
            assert_eq!(pattern(text, "/home/u").unwrap().glob.matches(path), expected, "{text} vs {path}");
        }
        for bad in ["src/*.rs", "./x", "a\\"] {
            assert!(pattern(bad, "/home/u").is_err(), "{bad}");
        }
    }

    const BASE: &str =
        "version = 1\n[paths]\nsecrets = [\"~/corp/**\"]\ntemp = [\"/scratch/**\"]\nelsewhere = \"deny\"\n";

    #[test]
    fn layers_add_to_the_floor() {
        let policy = Policy::parse("base.toml", BASE, "/home/u").unwrap();
        let paths = policy.paths.get().unwrap();
        assert!(paths.secrets.iter().any(|p| p.glob.matches("/home/u/corp/a")));
        assert!(paths.secrets.iter().any(|p| p.glob.matches("/home/u/.ssh/id_rsa")));
        assert!(paths.temp.iter().any(|p| p.dir.as_deref() == Some("/scratch")));
        assert_eq!(paths.elsewhere, Decision::Deny);
    }

    #[test]
    fn unknown_keys_and_bad_patterns_are_errors_with_their_place() {
        let text = "version = 1\n[paths]\nsecret = [\"x\"]\n";
        let Err(PolicyError::Invalid(errors)) = Policy::parse("p.toml", text, "/home/u") else {
            panic!("accepted an unknown key");
        };
        assert_eq!((errors[0].line, errors[0].column), (3, 1), "{errors:?}");
        let text = "version = 1\n[paths]\npersistence = [\"rel/x\"]\n";
        let Err(PolicyError::Invalid(errors)) = Policy::parse("p.toml", text, "/home/u") else {
            panic!("accepted a relative pattern");
        };
        assert_eq!(errors[0].line, 3, "{errors:?}");
        assert!(errors[0].headline().contains("not a path pattern"), "{errors:?}");
    }

    #[test]
    fn a_project_layer_may_only_add_secrets_and_persistence() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("base.toml");
        std::fs::write(&base, "version = 1\n").unwrap();
        let project = dir.path().join("project.toml");
        let layers = crate::policy::Layers {
            base: vec![crate::policy::Choice::File(base)],
            project: Some(project.clone()),
        };
        let tighter = "version = 1\n[paths]\nsecrets = [\"**/*.secret\"]\npersistence = [\"**/Makefile\"]\n";
        std::fs::write(&project, tighter).unwrap();
        let policy = Policy::load_layers(&layers, "/home/u").unwrap();
        assert!(policy.paths.get().unwrap().persistence.iter().any(|p| p.glob.matches("/w/Makefile")));
        for looser in
            ["temp = [\"/home/**\"]", "project = [\"/**\"]", "elsewhere = \"allow\"", "elsewhere = \"deny\""]
        {
            std::fs::write(&project, format!("version = 1\n[paths]\n{looser}\n")).unwrap();
            let result = Policy::load_layers(&layers, "/home/u");
            assert!(matches!(result, Err(PolicyError::Loosens { .. })), "{looser}: {result:?}");
        }
    }
}
