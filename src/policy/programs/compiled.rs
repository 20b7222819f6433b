//! The embedded knowledge compiled, kept between runs: parsing a block's TOML with every check
//! costs a run that names its program ~40 µs and ~50 KB of heap; decoding its compiled form, a
//! few µs.
//!
//! One file per build in gate's cache folder (`knowledge-<fingerprint>`, next to the compiled
//! policies): a line naming the format and the build, then a section (see `policy::sections`)
//! with one item per block of the knowledge files: the XXH3-64 of the block's compiled form,
//! then the form. A block is read from it only when its item is whole and its checksum matches;
//! anything else is parsed from the TOML, as without the file, so a bad file costs time, never
//! different knowledge. The first run that finds no file compiles every block, writes the file
//! whole (`cache::write_whole`) and reads its own blocks from what it compiled; old builds'
//! files are swept with the compiled policies (see `cache`). The folder is one of gate's own
//! files, which no judged command may write (see `effects::own`).

use super::Program;
use crate::policy::encoded::Encoded;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The first line of the file, before the build's fingerprint.
const MAGIC: &str = "gate-knowledge v1";

/// The compiled programs of block `block`, if this build's file holds them whole; `None` sends
/// the caller to the TOML. `compile` compiles a block from its TOML, for writing the file when
/// there is none.
pub(super) fn block(
    block: usize,
    blocks: usize,
    compile: impl Fn(usize) -> Vec<Program>,
) -> Option<Vec<Program>> {
    static FILE: OnceLock<Option<File>> = OnceLock::new();
    let file = FILE.get_or_init(|| File::open_or_write(blocks, &compile)).as_ref()?;
    file.block(block)
}

struct File {
    bytes: Encoded,
    items: Vec<Range<usize>>,
}

impl File {
    /// This build's file, read; or, when there is none (or it is not whole), every block
    /// compiled and written for the next run, and read from memory by this one.
    fn open_or_write(blocks: usize, compile: &impl Fn(usize) -> Vec<Program>) -> Option<File> {
        if cfg!(test) {
            return None;
        }
        let path = path()?;
        if let Some(file) = File::open(&path).filter(|file| file.items.len() == blocks) {
            return Some(file);
        }
        // Compiling every block costs ~7 ms: only worth it where the file can be kept (a
        // read-only home would otherwise pay it on every run).
        if !writable_folder(&path) {
            return None;
        }
        let bytes = encode((0..blocks).map(compile)).ok()?;
        let _ = crate::policy::cache::write_whole(&path, &[&bytes]);
        File::read(Encoded::from(bytes))
    }

    fn open(path: &std::path::Path) -> Option<File> {
        let bytes = Encoded::map(&std::fs::File::open(path).ok()?).ok()?;
        File::read(bytes)
    }

    fn read(bytes: Encoded) -> Option<File> {
        let newline = bytes.iter().position(|byte| *byte == b'\n')?;
        if bytes[..newline] != *header().as_bytes() {
            return None;
        }
        let (items, end) = crate::policy::sections::read(&bytes, newline + 1)?;
        (end == bytes.len()).then_some(File { bytes, items })
    }

    /// A block's programs, when its item is whole and decodes.
    fn block(&self, block: usize) -> Option<Vec<Program>> {
        let item = self.bytes.get(self.items.get(block)?.clone())?;
        let (digest, form) = item.split_first_chunk::<8>()?;
        if u64::from_le_bytes(*digest) != xxhash_rust::xxh3::xxh3_64(form) {
            return None;
        }
        postcard::from_bytes(form).ok()
    }
}

fn header() -> String {
    format!("{MAGIC} {}", crate::policy::cache::fingerprint::BUILD)
}

fn path() -> Option<PathBuf> {
    let dir = crate::paths::cache_dir()?.join("gate");
    Some(dir.join(format!("knowledge-{}", crate::policy::cache::fingerprint::BUILD)))
}

/// The file's bytes for these blocks' programs.
fn encode(blocks: impl Iterator<Item = Vec<Program>>) -> postcard::Result<Vec<u8>> {
    let items = blocks
        .map(|programs| {
            let form = postcard::to_stdvec(&programs)?;
            let mut item = xxhash_rust::xxh3::xxh3_64(&form).to_le_bytes().to_vec();
            item.extend(form);
            Ok(item)
        })
        .collect::<postcard::Result<Vec<_>>>()?;
    let mut bytes = format!("{}\n", header()).into_bytes();
    crate::policy::sections::write(&items, &mut bytes)?;
    Ok(bytes)
}

/// Whether the folder of `path` exists, or can be made, and this process may write in it.
fn writable_folder(path: &std::path::Path) -> bool {
    use std::os::unix::fs::DirBuilderExt;
    let Some(dir) = path.parent() else { return false };
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).is_ok()
        && nix::unistd::access(dir, nix::unistd::AccessFlags::W_OK).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a program knows, with its options in order (a map's order is not its content).
    fn content(program: &Program) -> String {
        let options: std::collections::BTreeMap<_, _> = program.options.iter().collect();
        format!(
            "{} {:?} {options:?} {:?} {} {} {}",
            program.name, program.flags, program.operands, program.numbers, program.network, program.source
        )
    }

    #[test]
    fn a_folder_that_cannot_be_made_is_not_written_to() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        assert!(!writable_folder(&file.join("gate").join("knowledge-x")));
        assert!(writable_folder(&dir.path().join("gate").join("knowledge-x")));
    }

    #[test]
    fn every_block_reads_back_as_it_was_compiled_and_a_damaged_one_not_at_all() {
        let blocks = super::super::lazy::block_count();
        let compiled: Vec<Vec<Program>> = (0..blocks).map(super::super::lazy::parse_block).collect();
        let bytes = encode(compiled.iter().cloned()).unwrap();
        let file = File::read(Encoded::from(bytes.clone())).expect("a whole file");
        for (at, programs) in compiled.iter().enumerate() {
            let read = file.block(at).expect("a whole block");
            assert_eq!(
                read.iter().map(content).collect::<Vec<_>>(),
                programs.iter().map(content).collect::<Vec<_>>()
            );
        }
        // A flipped byte in a block's form fails its checksum; a file cut short or of another
        // build is not read at all.
        let first = file.items[0].clone();
        let mut flipped = bytes.clone();
        flipped[first.end - 1] ^= 1;
        assert!(File::read(Encoded::from(flipped)).unwrap().block(0).is_none());
        assert!(File::read(Encoded::from(bytes[..bytes.len() - 1].to_vec())).is_none());
        let newline = bytes.iter().position(|byte| *byte == b'\n').unwrap();
        let other = [format!("{MAGIC} 0.0.0-other").as_bytes(), &bytes[newline..]].concat();
        assert!(File::read(Encoded::from(other)).is_none());
    }
}
