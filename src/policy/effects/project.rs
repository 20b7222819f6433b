//! The project a command works in: the git work tree around the working directory.

use std::path::{Path, PathBuf};

/// The nearest directory at or above `cwd` holding `.git` (a directory, or the file a linked
/// work tree or a submodule has).
pub fn discover(cwd: &Path) -> Option<PathBuf> {
    cwd.ancestors().find(|dir| std::fs::symlink_metadata(dir.join(".git")).is_ok()).map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_work_tree_around_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("src/deep")).unwrap();
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/.git"), "gitdir: ../.git/modules/sub\n").unwrap();
        assert_eq!(discover(&root.join("src/deep")), Some(root.clone()));
        assert_eq!(discover(&root), Some(root.clone()));
        assert_eq!(discover(&root.join("sub")), Some(root.join("sub")));
    }
}
