//! The embedded knowledge, read lazily: ~800 entries of TOML cost milliseconds to parse, and a
//! command names one or two programs. `build.rs` cuts the files into their `[[programs]]`
//! blocks and indexes each block by the names its `name = …` line gives (a scan, not a TOML
//! parse), so a run neither parses nor scans the files; a block is parsed, with every check,
//! the first time one of its names is asked for. A unit test checks that the index holds
//! exactly the names a full parse finds, each in its block.

use super::Program;
use super::embedded;
use crate::policy::compile::Checker;
use std::sync::{Arc, OnceLock};

mod index {
    include!(concat!(env!("OUT_DIR"), "/program_index.rs"));
}

/// Each block, once parsed.
static PARSED: [OnceLock<Vec<Arc<Program>>>; index::BLOCKS.len()] =
    [const { OnceLock::new() }; index::BLOCKS.len()];

/// The embedded entry for a program or `"program sub"`, read on first use: compiled from the
/// cache (see `compiled`), else parsed from its block.
pub(crate) fn get(name: &str) -> Option<&'static Program> {
    let at = index::NAMES.binary_search_by(|&(start, end, _)| name_at(start, end).cmp(name)).ok()?;
    let block = usize::from(index::NAMES[at].2);
    let programs = PARSED[block].get_or_init(|| {
        let programs = super::compiled::block(block, block_count(), parse_block);
        programs.unwrap_or_else(|| parse_block(block)).into_iter().map(Arc::new).collect()
    });
    programs.iter().find(|program| program.name == name).map(Arc::as_ref)
}

/// How many blocks the knowledge files hold.
pub(super) fn block_count() -> usize {
    index::BLOCKS.len()
}

/// A block's programs parsed from its TOML, with every check. An entry with errors is left out
/// (stricter); `gate policy lint` and a unit test show them.
pub(super) fn parse_block(block: usize) -> Vec<Program> {
    let (file, start, end) = index::BLOCKS[block];
    let file_name = index::FILES[usize::from(file)];
    let text = embedded::FILES.iter().find(|(name, _)| *name == file_name).map_or("", |(_, text)| text);
    let file = format!("policies/programs/{file_name}");
    let source = text.get(start as usize..end as usize).unwrap_or("");
    let mut checker = Checker { file: &file, source, home: "", project: false, errors: Vec::new() };
    super::load::read_file(&mut checker)
}

fn name_at(start: u32, end: u32) -> &'static str {
    index::NAME_TEXT.get(start as usize..end as usize).unwrap_or("")
}

/// Every embedded name.
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    index::NAMES.iter().map(|&(start, end, _)| name_at(start, end))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_build_index_holds_the_names_a_full_parse_finds() {
        let (table, _) = super::super::embedded_knowledge();
        let mut parsed: Vec<&str> = table.keys().map(String::as_str).collect();
        let mut scanned: Vec<&str> = super::names().collect();
        parsed.sort();
        scanned.sort();
        assert_eq!(scanned, parsed);
        for name in parsed {
            assert_eq!(super::get(name).map(|program| program.name.as_str()), Some(name), "{name}");
        }
    }
}
