//! `git checkout NAME`: switching branches is a local, recoverable change, but the same words
//! restore a path from the index and throw its changes away. A name that is a path in the
//! working directory, a pathspec glob, `.` or `:(…)` magic is unknown.

use crate::policy::programs::parse::Env;
use crate::shell::{Cwd, Piece};
use std::path::PathBuf;

pub(crate) fn judge(name: &str, cwd: &Cwd, env: &Env) -> Result<(), String> {
    if name.contains(['*', '?', '['])
        || name.starts_with(':')
        || name == "."
        || name == ".."
        || name.ends_with('/')
    {
        return Err("is a pathspec: `git checkout` would overwrite those files".into());
    }
    let Some(dir) = directory(cwd, env) else {
        return Err("may name a file in a directory only known at run time".into());
    };
    if name != "-" && std::fs::symlink_metadata(dir.join(name)).is_ok() {
        return Err("names a file: `git checkout` would overwrite it".into());
    }
    Ok(())
}

/// The directory a command runs in, when it is known.
fn directory(cwd: &Cwd, env: &Env) -> Option<PathBuf> {
    match cwd {
        Cwd::Start => Some(env.start.to_path_buf()),
        Cwd::Unknown => None,
        Cwd::Known(word) => {
            let mut path = String::new();
            for piece in &word.pieces {
                match piece {
                    Piece::Home => path.push_str(env.home),
                    Piece::Text(text) => path.push_str(text),
                    _ => return None,
                }
            }
            Some(env.start.join(path))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branches_and_paths() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Makefile"), "").unwrap();
        let env = Env { home: "/home/u", start: dir.path() };
        for (name, fine) in [
            ("main", true),
            ("feature/x", true),
            ("-", true),
            ("Makefile", false),
            ("*", false),
            ("src/", false),
            (".", false),
            (":(top)", false),
            ("*.rs", false),
        ] {
            assert_eq!(judge(name, &Cwd::Start, &env).is_ok(), fine, "{name}");
        }
        assert!(judge("main", &Cwd::Unknown, &env).is_err());
    }
}
