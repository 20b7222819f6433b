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
    // A name that is no file here may still be a path elsewhere in the tree (or one git
    // restores from the index): only a ref the repository has, a commit id or `-` is sure.
    if name == "-" || is_commit_id(name) || is_ref(&dir, name) {
        return Ok(());
    }
    Err("is not a branch, tag or commit gate can find in the repository: it may name files `git checkout` would overwrite".into())
}

fn is_commit_id(name: &str) -> bool {
    (7..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether the repository around `dir` has `name` as a branch, a remote branch or a tag.
fn is_ref(dir: &std::path::Path, name: &str) -> bool {
    let Some(git) = git_dir(dir) else { return false };
    if name.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
        return false;
    }
    let loose = ["refs/heads", "refs/tags"].iter().any(|kind| git.join(kind).join(name).is_file())
        || std::fs::read_dir(git.join("refs/remotes"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|remote| remote.path().join(name).is_file());
    loose
        || std::fs::read_to_string(git.join("packed-refs")).is_ok_and(|packed| {
            packed.lines().filter_map(|line| line.split_once(' ').map(|(_, reference)| reference)).any(
                |reference| {
                    reference.strip_prefix("refs/heads/") == Some(name)
                        || reference.strip_prefix("refs/tags/") == Some(name)
                        || reference
                            .strip_prefix("refs/remotes/")
                            .and_then(|rest| rest.split_once('/'))
                            .is_some_and(|(_, branch)| branch == name)
                },
            )
        })
}

/// The `.git` directory of the work tree around `dir` (a `.git` file points to it).
fn git_dir(dir: &std::path::Path) -> Option<PathBuf> {
    for at in dir.ancestors() {
        let dot_git = at.join(".git");
        if dot_git.is_dir() {
            return Some(dot_git);
        }
        if let Ok(text) = std::fs::read_to_string(&dot_git) {
            let target = text.trim().strip_prefix("gitdir: ")?;
            let target = at.join(target);
            // A worktree's own git dir holds HEAD; its refs live in the common dir.
            let common = std::fs::read_to_string(target.join("commondir"))
                .map(|common| target.join(common.trim()))
                .unwrap_or(target);
            return Some(common);
        }
    }
    None
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
        let git = dir.path().join(".git");
        std::fs::create_dir_all(git.join("refs/heads/feature")).unwrap();
        std::fs::create_dir_all(git.join("refs/remotes/origin")).unwrap();
        std::fs::write(git.join("refs/heads/main"), "").unwrap();
        std::fs::write(git.join("refs/heads/feature/x"), "").unwrap();
        std::fs::write(git.join("refs/remotes/origin/review"), "").unwrap();
        std::fs::write(git.join("packed-refs"), "# pack-refs\n0123 refs/tags/v1.0\n").unwrap();
        let env = Env { home: "/home/u", start: dir.path() };
        for (name, fine) in [
            ("main", true),
            ("feature/x", true),
            ("review", true),
            ("v1.0", true),
            ("-", true),
            ("3f2a9c1", true),
            ("Makefile", false),
            ("README.md", false),
            ("src", false),
            ("../main", false),
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
