//! The sections of a compiled-policy cache file that are read in place: the length of each item
//! (a postcard `Vec<u32>`), then the items' encodings one after the other. Reading a section
//! finds where each item is and decodes none of them.

use std::ops::Range;

/// Appends a section holding `items` to `out`.
pub(crate) fn write<T: AsRef<[u8]>>(items: &[T], out: &mut Vec<u8>) -> postcard::Result<()> {
    let lengths =
        items.iter().map(|item| u32::try_from(item.as_ref().len())).collect::<Result<Vec<u32>, _>>();
    out.extend(postcard::to_stdvec(&lengths.map_err(|_| postcard::Error::SerializeBufferFull)?)?);
    items.iter().for_each(|item| out.extend_from_slice(item.as_ref()));
    Ok(())
}

/// Where each item of the section that starts at `start` is, and where the section ends; `None`
/// when the bytes there are not a section.
pub(crate) fn read(source: &[u8], start: usize) -> Option<(Vec<Range<usize>>, usize)> {
    let (lengths, rest): (Vec<u32>, &[u8]) = postcard::take_from_bytes(source.get(start..)?).ok()?;
    let mut at = source.len() - rest.len();
    let mut items = Vec::with_capacity(lengths.len());
    for length in lengths {
        let end = at.checked_add(usize::try_from(length).ok()?).filter(|end| *end <= source.len())?;
        items.push(at..end);
        at = end;
    }
    Some((items, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_reads_back_where_it_was_written() {
        let mut bytes = b"before".to_vec();
        write(&[&b"one"[..], b"", b"three"], &mut bytes).unwrap();
        bytes.extend(b"after");
        let (items, end) = read(&bytes, 6).unwrap();
        let read: Vec<&[u8]> = items.into_iter().map(|range| &bytes[range]).collect();
        assert_eq!(read, [&b"one"[..], b"", b"three"]);
        assert_eq!(&bytes[end..], b"after");
        // Cut short: an item would run past the end.
        assert!(read_cut(&bytes, end - 1).is_none());
    }

    fn read_cut(bytes: &[u8], len: usize) -> Option<(Vec<Range<usize>>, usize)> {
        read(&bytes[..len], 6)
    }
}
