//! The embedded knowledge, read lazily: ~800 entries of TOML cost milliseconds to parse, and a
//! command names one or two programs. At first use the files are cut into their `[[programs]]`
//! blocks and each block is indexed by the names its `name = …` line gives (a scan, not a TOML
//! parse); a block is parsed the first time one of its names is asked for. A unit test checks
//! that the scan finds exactly the names a full parse does.

use super::Program;
use super::embedded;
use crate::policy::compile::Checker;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

/// One `[[programs]]` block of an embedded file.
struct Block {
    file: usize,
    text: Range<usize>,
    parsed: OnceLock<Vec<Arc<Program>>>,
}

struct Index {
    blocks: Vec<Block>,
    by_name: HashMap<String, usize>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut blocks = Vec::new();
        let mut by_name = HashMap::new();
        for (file, (_, text)) in embedded::FILES.iter().enumerate() {
            for range in blocks_of(text) {
                for name in names_in(&text[range.clone()]) {
                    by_name.insert(name, blocks.len());
                }
                blocks.push(Block { file, text: range, parsed: OnceLock::new() });
            }
        }
        Index { blocks, by_name }
    })
}

/// The embedded entry for a program or `"program sub"`, parsed on first use.
pub(crate) fn get(name: &str) -> Option<&'static Program> {
    let index = index();
    let block = &index.blocks[*index.by_name.get(name)?];
    let programs = block.parsed.get_or_init(|| {
        let (file_name, text) = embedded::FILES[block.file];
        let file = format!("policies/programs/{file_name}");
        let source = &text[block.text.clone()];
        let mut checker = Checker { file: &file, source, home: "", project: false, errors: Vec::new() };
        // An entry with errors is left out (stricter); `gate policy lint` and a unit test show them.
        super::load::read_file(&mut checker).into_iter().map(Arc::new).collect()
    });
    programs.iter().find(|program| program.name == name).map(Arc::as_ref)
}

/// Every embedded name.
pub(crate) fn names() -> impl Iterator<Item = &'static String> {
    index().by_name.keys()
}

/// The byte ranges of the `[[programs]]` blocks of a file: each from its header to the next.
fn blocks_of(text: &str) -> Vec<Range<usize>> {
    let mut starts: Vec<usize> = text.match_indices("\n[[programs]]").map(|(at, _)| at + 1).collect();
    if text.starts_with("[[programs]]") {
        starts.insert(0, 0);
    }
    let ends = starts.iter().skip(1).copied().chain(std::iter::once(text.len()));
    starts.iter().copied().zip(ends).map(|(start, end)| start..end).collect()
}

/// The names a block's `name = "x"` or `name = ["x", "y"]` gives (the list may span lines).
fn names_in(block: &str) -> Vec<String> {
    let Some(at) = block.find("\nname = ") else { return Vec::new() };
    let value = &block[at + "\nname = ".len()..];
    let value = match value.strip_prefix('[') {
        Some(list) => &list[..list.find(']').unwrap_or(list.len())],
        None => value.lines().next().unwrap_or(""),
    };
    value.split('"').skip(1).step_by(2).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_scan_finds_the_names_a_full_parse_does() {
        let (table, _) = super::super::embedded_knowledge();
        let mut parsed: Vec<&String> = table.keys().collect();
        let mut scanned: Vec<&String> = super::names().collect();
        parsed.sort();
        scanned.sort();
        assert_eq!(scanned, parsed);
        for name in parsed {
            assert_eq!(super::get(name).map(|program| &program.name), Some(name), "{name}");
        }
    }
}
