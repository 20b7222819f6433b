//! Rule positions by the base name of the program they name, so that a command is compared only
//! with the rules that could match it. Compiled, a hash map; read from the cache, a section of
//! entries sorted by name, searched in place: a run with 10,000 rules over 2,500 programs looks up
//! one or two names and decodes nothing else.

use super::encoded::Encoded;
use std::collections::HashMap;
use std::ops::Range;

pub(crate) enum ProgramIndex {
    Built(HashMap<String, Vec<usize>>),
    Read { source: Encoded, entries: Vec<Range<usize>> },
}

/// The rules a name could match.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Positions {
    These(Vec<usize>),
    /// The index cannot tell (its entry does not decode): every rule is a candidate, so the
    /// strictest still wins.
    All,
}

impl Default for ProgramIndex {
    fn default() -> ProgramIndex {
        ProgramIndex::Built(HashMap::new())
    }
}

impl ProgramIndex {
    pub fn positions(&self, name: &str) -> Positions {
        match self {
            ProgramIndex::Built(map) => Positions::These(map.get(name).cloned().unwrap_or_default()),
            ProgramIndex::Read { source, entries } => {
                let name_at =
                    |range: &Range<usize>| postcard::take_from_bytes::<&str>(&source[range.clone()]).ok();
                let mut damaged = false;
                let found = entries.binary_search_by(|range| match name_at(range) {
                    Some((entry, _)) => entry.cmp(name),
                    None => {
                        damaged = true;
                        std::cmp::Ordering::Equal
                    }
                });
                match found {
                    _ if damaged => Positions::All,
                    Err(_) => Positions::These(Vec::new()),
                    Ok(at) => match postcard::from_bytes::<(&str, Vec<u32>)>(&source[entries[at].clone()]) {
                        Ok((_, positions)) => {
                            Positions::These(positions.into_iter().map(|p| p as usize).collect())
                        }
                        Err(_) => Positions::All,
                    },
                }
            }
        }
    }

    /// Appends the index section of a cache file to `out`: entries sorted by name.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> postcard::Result<()> {
        let mut entries: Vec<(String, Vec<u32>)> = match self {
            ProgramIndex::Built(map) => map
                .iter()
                .map(|(name, positions)| (name.clone(), positions.iter().map(|&p| p as u32).collect()))
                .collect(),
            ProgramIndex::Read { source, entries } => entries
                .iter()
                .map(|range| postcard::from_bytes::<(String, Vec<u32>)>(&source[range.clone()]))
                .collect::<postcard::Result<_>>()?,
        };
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let encoded = entries.iter().map(postcard::to_stdvec).collect::<postcard::Result<Vec<_>>>()?;
        super::sections::write(&encoded, out)
    }

    /// The index section that starts at `start` in `source`, and where it ends.
    pub fn decode_from(source: Encoded, start: usize) -> Option<(ProgramIndex, usize)> {
        let (entries, end) = super::sections::read(&source, start)?;
        Some((ProgramIndex::Read { source, entries }, end))
    }
}

impl std::fmt::Debug for ProgramIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProgramIndex::Built(map) => {
                let mut names: Vec<_> = map.iter().collect();
                names.sort();
                f.debug_map().entries(names).finish()
            }
            ProgramIndex::Read { entries, .. } => {
                write!(f, "ProgramIndex({} entries, read in place)", entries.len())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built() -> ProgramIndex {
        let entries =
            [("git", vec![0, 2]), ("rm", vec![1]), ("cargo", vec![3]), ("a", vec![4]), ("zz", vec![5])];
        ProgramIndex::Built(entries.into_iter().map(|(name, at)| (name.to_string(), at)).collect())
    }

    fn read_back(index: &ProgramIndex) -> ProgramIndex {
        let mut bytes = b"xy".to_vec();
        index.encode_into(&mut bytes).unwrap();
        let (read, end) = ProgramIndex::decode_from(Encoded::from(bytes.clone()), 2).unwrap();
        assert_eq!(end, bytes.len());
        read
    }

    #[test]
    fn an_index_read_back_finds_what_was_built() {
        let index = built();
        let read = read_back(&index);
        assert!(matches!(read, ProgramIndex::Read { .. }));
        for name in ["git", "rm", "cargo", "a", "zz", "b", "", "gi", "gitt", "zzz"] {
            assert_eq!(read.positions(name), index.positions(name), "{name}");
        }
        assert_eq!(read.positions("git"), Positions::These(vec![0, 2]));
        // Written again from the read form: the same index.
        assert_eq!(read_back(&read).positions("cargo"), Positions::These(vec![3]));
    }

    #[test]
    fn an_entry_that_does_not_decode_makes_every_rule_a_candidate() {
        let mut bytes = Vec::new();
        super::super::sections::write(&[vec![0xffu8, 0xff, 0xff]], &mut bytes).unwrap();
        let (read, _) = ProgramIndex::decode_from(Encoded::from(bytes), 0).unwrap();
        assert_eq!(read.positions("git"), Positions::All);
    }
}
