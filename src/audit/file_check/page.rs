//! One table b-tree page, parsed and accounted for byte by byte: its header, cell pointers and
//! cells must be what SQLite can read, and the cells, freeblocks and fragments must tile the
//! cell content area exactly, as SQLite's own integrity check requires. The bytes no entry owns
//! (unallocated space, freeblocks, fragments) are not read by anything: those that a log only
//! gate wrote holds as zero are noted when they are not (see the module's header).

use super::record::varint;
use super::{Found, damage, nonzero, u16_at, u32_at};
use crate::audit::notice::{NoticeKind, Notices};

pub(super) struct Page {
    pub header: usize,
    pub leaf: bool,
    pub cells: Vec<Cell>,
    pub right: u32,
}

pub(super) struct Cell {
    pub offset: usize,
    end: usize,
    /// The rowid of a table cell.
    pub key: i64,
    pub child: u32,
    /// The local payload, as a range of the page.
    pub payload: (usize, usize),
    /// The first overflow page and the bytes stored there.
    pub overflow: Option<(u32, usize)>,
}

/// Parses page `pgno`, whose bytes are `data`, and checks that every byte of it is accounted for.
pub(super) fn parse(pgno: u32, data: &[u8], notices: &mut Notices) -> Found<Page> {
    let header = if pgno == 1 { 100 } else { 0 };
    let leaf = match data[header] {
        13 => true,
        5 => false,
        kind => return damage(pgno, header, format!("page type {kind} is not a table b-tree page")),
    };
    let size = data.len();
    let top = header + if leaf { 8 } else { 12 };
    let count = u16_at(data, header + 3);
    let content = match u16_at(data, header + 5) {
        0 => 65536,
        n => n,
    };
    let pointers_end = top + 2 * count;
    if pointers_end > content || content > size {
        return damage(pgno, header + 3, "the cell pointers overlap the cell content");
    }
    // An interior page's unallocated space holds what balancing leaves there; a leaf's is zero.
    if leaf && let Some(at) = nonzero(data, pointers_end, content) {
        notices.note(NoticeKind::StaleLeafSpace, pgno, at);
    }
    let mut used = Vec::with_capacity(count + 4);
    let mut cells = Vec::with_capacity(count);
    for i in 0..count {
        let offset = u16_at(data, top + 2 * i);
        let cell = (offset >= content && offset < size).then(|| cell(data, offset, leaf)).flatten();
        let Some(cell) = cell else {
            return damage(pgno, top + 2 * i, format!("cell {i} is not within the cell content"));
        };
        used.push((offset, cell.end));
        cells.push(cell);
    }
    freeblocks(pgno, data, header, content, &mut used, notices)?;
    used.sort_unstable();
    let (mut at, mut fragments, mut stale) = (content, 0, None);
    for &(start, end) in used.iter().chain([&(size, size)]) {
        if start < at {
            return damage(pgno, start, "two cells or freeblocks overlap");
        }
        stale = stale.or_else(|| nonzero(data, at, start));
        fragments += start - at;
        at = end;
    }
    if fragments != usize::from(data[header + 7]) {
        return damage(
            pgno,
            header + 7,
            format!("the page has {fragments} fragmented bytes, its header says {}", data[header + 7]),
        );
    }
    if let Some(at) = stale {
        notices.note(NoticeKind::StaleFragment, pgno, at);
    }
    let right = if leaf { 0 } else { u32_at(data, header + 8) };
    Ok(Page { header, leaf, cells, right })
}

/// Follows the page's freeblock chain, adding each freeblock to `used`. As SQLite requires, the
/// chain lies in the cell content area, in order, with more than 3 bytes between freeblocks
/// (closer ones are merged when freed).
fn freeblocks(
    pgno: u32,
    data: &[u8],
    header: usize,
    content: usize,
    used: &mut Vec<(usize, usize)>,
    notices: &mut Notices,
) -> Found<()> {
    let size = data.len();
    let (mut free, mut from, mut after, mut stale) = (u16_at(data, header + 1), header + 1, content, None);
    while free != 0 {
        if free < after || free + 4 > size {
            return damage(pgno, from, "a freeblock is out of place");
        }
        let block = u16_at(data, free + 2);
        if block < 4 || free + block > size {
            return damage(pgno, free + 2, "a freeblock has a bad size");
        }
        stale = stale.or_else(|| nonzero(data, free + 4, free + block));
        used.push((free, free + block));
        after = free + block + 4;
        from = free;
        free = u16_at(data, free);
    }
    if let Some(at) = stale {
        notices.note(NoticeKind::StaleFreeblock, pgno, at);
    }
    Ok(())
}

/// The cell at `offset`, or `None` when it runs past the page.
fn cell(data: &[u8], offset: usize, leaf: bool) -> Option<Cell> {
    let size = data.len();
    let mut at = offset;
    if !leaf {
        let child = u32_at(data, offset.checked_add(4).filter(|e| *e <= size)? - 4);
        at += 4;
        let (key, n) = varint(data, at, size)?;
        let (payload, overflow) = ((0, 0), None);
        return Some(Cell { offset, end: at + n, key: key as i64, child, payload, overflow });
    }
    let (payload, n) = varint(data, at, size)?;
    at += n;
    let (key, n) = varint(data, at, size)?;
    let key = key as i64;
    at += n;
    let usable = size as u64;
    let max_local = usable - 35;
    let min_local = (usable - 12) * 32 / 255 - 23;
    let (local, spills) = if payload <= max_local {
        (payload, false)
    } else {
        let spill = min_local + (payload - min_local) % (usable - 4);
        (if spill <= max_local { spill } else { min_local }, true)
    };
    let local = usize::try_from(local).ok()?;
    let body = (at, at.checked_add(local)?);
    let mut end = body.1;
    let overflow = if spills {
        let first = u32_at(data, end.checked_add(4).filter(|e| *e <= size)? - 4);
        end += 4;
        Some((first, usize::try_from(payload).ok()? - local))
    } else {
        None
    };
    // SQLite never makes a cell smaller than 4 bytes: it pads the rest.
    let end = end.max(offset + 4);
    (end <= size).then_some(Cell { offset, end, key, child: 0, payload: body, overflow })
}
