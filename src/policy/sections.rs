//! The sections of a compiled-policy cache file that are read in place: the length of each item
//! (a postcard `Vec<u32>`), then the items' encodings one after the other. Reading a section
//! finds where each item is and decodes none of them.

use super::encoded::Encoded;
use std::ops::Range;
use std::sync::OnceLock;

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

/// A value the cache keeps encoded until it is first needed (in a section of one item): the
/// path classes, which a command with no path to judge (`git status`, `true`) never reads.
pub(crate) struct Deferred<T> {
    encoded: Option<(Encoded, Range<usize>)>,
    value: OnceLock<Option<T>>,
}

impl<T: serde::Serialize + serde::de::DeserializeOwned> Deferred<T> {
    pub fn new(value: T) -> Deferred<T> {
        Deferred { encoded: None, value: OnceLock::from(Some(value)) }
    }

    /// The value, decoded now if it was not yet; `None` when it does not decode (the cache file
    /// is checked whole before it is read, so only a bug gets here): the caller fails closed.
    pub fn get(&self) -> Option<&T> {
        self.value
            .get_or_init(|| {
                let (source, range) = self.encoded.as_ref()?;
                postcard::from_bytes(&source[range.clone()]).ok()
            })
            .as_ref()
    }

    /// The value, of a policy compiled here (always decoded).
    pub fn compiled(&mut self) -> &mut T {
        self.get();
        self.value
            .get_mut()
            .and_then(Option::as_mut)
            .expect("a policy compiled here holds its values decoded")
    }

    pub fn into_compiled(mut self) -> T {
        self.get();
        self.value.take().flatten().expect("a policy compiled here holds its values decoded")
    }

    pub fn encode_into(&self, out: &mut Vec<u8>) -> postcard::Result<()> {
        let encoded = match (self.value.get(), &self.encoded) {
            (Some(Some(value)), _) => postcard::to_stdvec(value)?,
            (_, Some((source, range))) => source[range.clone()].to_vec(),
            _ => return Err(postcard::Error::SerializeBufferFull),
        };
        write(&[encoded], out)
    }

    /// The one-item section that starts at `start` in `source`, and where it ends.
    pub fn decode_from(source: Encoded, start: usize) -> Option<(Deferred<T>, usize)> {
        let (items, end) = read(&source, start)?;
        let [range] = <[Range<usize>; 1]>::try_from(items).ok()?;
        Some((Deferred { encoded: Some((source, range)), value: OnceLock::new() }, end))
    }
}

/// Nothing, and nothing to decode: reads as a value that does not decode, until the cache puts
/// the real one in its place.
impl<T> Default for Deferred<T> {
    fn default() -> Deferred<T> {
        Deferred { encoded: None, value: OnceLock::new() }
    }
}

impl<T> std::fmt::Debug for Deferred<T>
where
    T: std::fmt::Debug + serde::Serialize + serde::de::DeserializeOwned,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.get() {
            Some(value) => value.fmt(f),
            None => f.write_str("(does not decode)"),
        }
    }
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

    #[test]
    fn a_deferred_value_is_decoded_when_first_read() {
        let mut bytes = Vec::new();
        Deferred::new(vec![1u32, 2, 3]).encode_into(&mut bytes).unwrap();
        let (read, end) = Deferred::<Vec<u32>>::decode_from(Encoded::from(bytes.clone()), 0).unwrap();
        assert_eq!(end, bytes.len());
        assert!(read.value.get().is_none(), "not decoded yet");
        assert_eq!(read.get(), Some(&vec![1, 2, 3]));
        let mut again = Vec::new();
        read.encode_into(&mut again).unwrap();
        assert_eq!(again, bytes);
        let mut damaged = Vec::new();
        write(&[vec![0xffu8, 0xff]], &mut damaged).unwrap();
        let (read, _) = Deferred::<String>::decode_from(Encoded::from(damaged), 0).unwrap();
        assert_eq!(read.get(), None);
    }

    fn read_cut(bytes: &[u8], len: usize) -> Option<(Vec<Range<usize>>, usize)> {
        read(&bytes[..len], 6)
    }
}
