//! Replacing a file whole: the new bytes go to a temporary file beside it, which is then renamed
//! over it, so a reader finds the old file or the new one, never half of one.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The permissions of the new file.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Mode {
    /// These, narrowed by the umask, as any new file's.
    AtMost(u32),
    /// Exactly these, whatever the umask (a settings file keeps the mode it had).
    Exactly(u32),
}

/// Replaces the file at `path` with `parts`, one after the other, written to `<path>.tmp<pid>`
/// first; `durable` fsyncs them before the rename. The temporary file is removed if anything
/// fails. The folder must exist.
pub(crate) fn replace(path: &Path, parts: &[&[u8]], mode: Mode, durable: bool) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".tmp{}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let (Mode::AtMost(bits) | Mode::Exactly(bits)) = mode;
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(bits)
        .open(&temporary)
        .and_then(|mut file| {
            parts.iter().try_for_each(|part| file.write_all(part))?;
            if let Mode::Exactly(bits) = mode {
                file.set_permissions(std::fs::Permissions::from_mode(bits))?;
            }
            if durable { file.sync_all() } else { Ok(()) }
        })
        .and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_new_file_takes_the_old_ones_place_with_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        std::fs::write(&path, "old").unwrap();
        replace(&path, &[b"ne", b"w"], Mode::Exactly(0o751), true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777, 0o751);
        replace(&path, &[b"x"], Mode::AtMost(0o600), false).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o077, 0);
        // Nothing is left beside it; a folder that is not there fails and leaves nothing.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(replace(&dir.path().join("missing/file"), &[b"x"], Mode::AtMost(0o600), false).is_err());
    }
}
