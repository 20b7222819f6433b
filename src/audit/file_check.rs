//! The strict check of a log's database file, byte by byte, beside SQLite: every byte of a
//! closed log is either checked against what gate and SQLite write, or must be zero. Gate is the
//! file's only writer and writes with `secure_delete` on, so space that holds nothing is zero.
//!
//! It accounts for every page (the `sqlite_schema` and `entries` b-trees, their overflow pages,
//! the freelist), and within each b-tree page for every byte (header, cell pointers, cells,
//! freeblocks, fragments, unallocated space); interior pages' keys must be the largest key of
//! the child before them. The schema must be exactly gate's. What the entries' cells hold is
//! left to the chain verifier: the walk hands each entry's record, its overflow pages joined,
//! to the caller, in rowid order.
//!
//! Not checked, because SQLite leaves stale bytes there that no rule can tell from a change: the
//! unallocated space of interior pages off the b-tree's rightmost path (when an interior page
//! splits, the half kept keeps old cell pointers and cells; appends only ever touch the
//! rightmost path, and a log under some 50,000 entries has no such page), the unused slots at
//! the end of a freelist trunk page, and the lock-byte page of files over 1 GiB.

use std::fs::File;
use std::os::unix::fs::FileExt;

use super::store::SchemaRow;

/// What a byte of the file must hold, besides what SQLite itself requires.
#[derive(Debug)]
pub(crate) struct Expect<'a> {
    pub user_version: u32,
    pub application_id: u32,
    /// `SQLITE_VERSION_NUMBER` of the SQLite that last wrote the file: gate's own.
    pub sqlite_version: u32,
    pub schema: &'a [SchemaRow],
}

/// Where the file differs from what gate writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileDamage {
    pub page: u32,
    pub offset: usize,
    pub detail: String,
}

impl std::fmt::Display for FileDamage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "page {} byte {}: {}", self.page, self.offset, self.detail)
    }
}

/// What the file holds, for the caller to match against the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Checked {
    /// The rows of `entries`.
    pub rows: u64,
}

const MAGIC: &[u8; 16] = b"SQLite format 3\0";
const LOCK_BYTE: u64 = 1 << 30;

/// Why a walk stopped: damage, or a read that failed.
enum Stop {
    Damage(FileDamage),
    Io(std::io::Error),
}

type Found<T> = Result<T, Stop>;

fn damage<T>(page: u32, offset: usize, detail: impl Into<String>) -> Found<T> {
    Err(Stop::Damage(FileDamage { page, offset, detail: detail.into() }))
}

fn u16_at(data: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([data[at], data[at + 1]]))
}

fn u32_at(data: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

/// The first non-zero byte of `data[range]`.
fn nonzero(data: &[u8], from: usize, to: usize) -> Option<usize> {
    data[from..to].iter().position(|b| *b != 0).map(|i| from + i)
}

/// A SQLite varint at `at`: its value and length, or `None` past `end`.
fn varint(data: &[u8], at: usize, end: usize) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for i in 0..9 {
        let byte = *data.get(at + i).filter(|_| at + i < end)?;
        if i == 8 {
            return Some(((value << 8) | u64::from(byte), 9));
        }
        value = (value << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// What the walk hands over for each row of `entries`: its rowid and its whole record.
pub(crate) type RowSink<'s> = dyn FnMut(i64, &[u8]) + 's;

/// Checks the file, whose length is `len`, handing each row of `entries` to `rows` as it goes.
/// `Ok(Err(..))` is damage; `Err` a failed read.
pub(crate) fn check(
    file: &File,
    len: u64,
    expect: &Expect<'_>,
    rows: &mut RowSink<'_>,
) -> std::io::Result<Result<Checked, FileDamage>> {
    match walk(file, len, expect, rows) {
        Ok(checked) => Ok(Ok(checked)),
        Err(Stop::Damage(found)) => Ok(Err(found)),
        Err(Stop::Io(error)) => Err(error),
    }
}

fn walk(file: &File, len: u64, expect: &Expect<'_>, sink: &mut RowSink<'_>) -> Found<Checked> {
    let mut head = [0u8; 100];
    if len < 100 {
        return damage(1, 0, format!("the file is {len} bytes, shorter than a database header"));
    }
    file.read_exact_at(&mut head, 0).map_err(Stop::Io)?;
    let raw = u16_at(&head, 16);
    let page_size = if raw == 1 { 65536 } else { raw };
    if &head[..16] != MAGIC || !page_size.is_power_of_two() || page_size < 512 {
        return damage(1, 0, "not a SQLite database header");
    }
    let mut walk = Walk {
        file,
        page_size,
        pages: 0,
        seen: Vec::new(),
        buffers: Vec::new(),
        rows: 0,
        sink,
        record: Vec::new(),
    };
    walk.header(&head, len, expect)?;
    walk.all(expect)?;
    Ok(Checked { rows: walk.rows })
}

/// The table b-tree a page belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tree {
    Schema,
    Entries,
}

struct Walk<'f, 's> {
    file: &'f File,
    page_size: usize,
    pages: u32,
    seen: Vec<bool>,
    /// Page buffers reused per tree depth.
    buffers: Vec<Vec<u8>>,
    rows: u64,
    sink: &'s mut RowSink<'s>,
    /// A record that spills to overflow pages, joined.
    record: Vec<u8>,
}

impl Walk<'_, '_> {
    fn header(&mut self, head: &[u8], len: u64, expect: &Expect<'_>) -> Found<()> {
        let size = self.page_size as u64;
        if !len.is_multiple_of(size) {
            return damage(
                1,
                16,
                format!("the file ({len} bytes) is not a whole number of {size}-byte pages"),
            );
        }
        let pages = u32::try_from(len / size).unwrap_or(u32::MAX);
        let fields: &[(usize, usize, u32, &str)] = &[
            (18, 1, 2, "file format write version (WAL)"),
            (19, 1, 2, "file format read version (WAL)"),
            (20, 1, 0, "reserved bytes per page"),
            (21, 1, 64, "maximum embedded payload fraction"),
            (22, 1, 32, "minimum embedded payload fraction"),
            (23, 1, 32, "leaf payload fraction"),
            (28, 4, pages, "database size in pages"),
            (44, 4, 4, "schema format number"),
            (48, 4, 0, "default page cache size"),
            (52, 4, 0, "largest root page (auto-vacuum)"),
            (56, 4, 1, "text encoding (UTF-8)"),
            (60, 4, expect.user_version, "schema version (user_version)"),
            (64, 4, 0, "incremental vacuum"),
            (68, 4, expect.application_id, "application id"),
            (92, 4, u32_at(head, 24), "version-valid-for, which must equal the change counter"),
            (96, 4, expect.sqlite_version, "SQLite version of the last writer"),
        ];
        for &(at, width, want, what) in fields {
            let got = if width == 1 { u32::from(head[at]) } else { u32_at(head, at) };
            if got != want {
                return damage(1, at, format!("{what} is {got}, not {want}"));
            }
        }
        if let Some(at) = nonzero(head, 72, 92) {
            return damage(1, at, "the header bytes reserved for expansion are not zero");
        }
        // The schema cookie counts schema changes: a handful for a gate log.
        let cookie = u32_at(head, 40);
        if !(1..=64).contains(&cookie) {
            return damage(1, 40, format!("schema cookie {cookie} is not that of a gate log"));
        }
        self.pages = pages;
        self.seen = vec![false; pages as usize + 1];
        Ok(())
    }

    fn lock_page(&self) -> u32 {
        u32::try_from(LOCK_BYTE / self.page_size as u64 + 1).unwrap_or(u32::MAX)
    }

    /// Claims page `pgno` for one use; `from` names the page that points to it.
    fn claim(&mut self, pgno: u32, from: u32, at: usize) -> Found<()> {
        if pgno == 0 || pgno > self.pages || pgno == self.lock_page() {
            return damage(from, at, format!("points to page {pgno}, which is not a page of the file"));
        }
        if std::mem::replace(&mut self.seen[pgno as usize], true) {
            return damage(from, at, format!("points to page {pgno}, which is already used"));
        }
        Ok(())
    }

    fn read(&mut self, pgno: u32, depth: usize) -> Found<Vec<u8>> {
        while self.buffers.len() <= depth {
            self.buffers.push(vec![0; self.page_size]);
        }
        let mut buffer = std::mem::take(&mut self.buffers[depth]);
        buffer.resize(self.page_size, 0);
        let at = u64::from(pgno - 1) * self.page_size as u64;
        self.file.read_exact_at(&mut buffer, at).map_err(Stop::Io)?;
        Ok(buffer)
    }

    fn give_back(&mut self, buffer: Vec<u8>, depth: usize) {
        self.buffers[depth] = buffer;
    }

    fn all(&mut self, expect: &Expect<'_>) -> Found<()> {
        self.seen[1] = true;
        let mut schema = Vec::new();
        self.table(1, Tree::Schema, (None, None), (0, true), &mut schema)?;
        if let Some(root) = self.schema(&schema, expect)? {
            self.claim(root, 1, 0)?;
            self.table(root, Tree::Entries, (None, None), (0, true), &mut Vec::new())?;
        }
        self.freelist()?;
        let lock = self.lock_page();
        if let Some(orphan) = (1..=self.pages).find(|&p| p != lock && !self.seen[p as usize]) {
            return damage(orphan, 0, "the page belongs to no table, index or freelist");
        }
        Ok(())
    }

    /// Matches the schema rows against gate's, and returns the root page of `entries`.
    fn schema(&self, rows: &[(i64, Vec<u8>)], expect: &Expect<'_>) -> Found<Option<u32>> {
        if rows.len() != expect.schema.len() {
            return damage(
                1,
                100,
                format!("sqlite_schema has {} rows, not {}", rows.len(), expect.schema.len()),
            );
        }
        let mut entries = None;
        for ((rowid, record), want) in rows.iter().zip(expect.schema) {
            let bad = |what: &str| damage(1, 100, format!("sqlite_schema row {rowid} is not gate's {what}"));
            let Some(values) = record_values(record) else { return bad("(unreadable record)") };
            let text =
                |i: usize, want: &str| matches!(values.get(i), Some(Raw::Text(t)) if *t == want.as_bytes());
            let sql_ok = match (&want.sql, values.get(4)) {
                (Some(sql), Some(Raw::Text(t))) => *t == sql.as_bytes(),
                (None, Some(Raw::Null)) => true,
                _ => false,
            };
            let root = match values.get(3) {
                Some(Raw::Int(root)) => u32::try_from(*root).ok(),
                _ => None,
            };
            // Only tables have pages; a trigger's root page is 0.
            let table = want.kind == "table";
            let matches = *rowid == want.rowid
                && values.len() == 5
                && text(0, &want.kind)
                && text(1, &want.name)
                && text(2, &want.table)
                && sql_ok;
            match root {
                Some(root) if matches && table && want.name == "entries" => entries = Some(root),
                Some(0) if matches && !table => {}
                _ => return bad(&want.name),
            }
        }
        Ok(entries)
    }

    /// Walks a table b-tree whose keys are in `(low, high]`, at `depth`, on the rightmost path
    /// or not; returns the largest key and the depth of its leaves. Leaf records of the schema
    /// are collected into `records`.
    fn table(
        &mut self,
        pgno: u32,
        tree: Tree,
        (low, high): (Option<i64>, Option<i64>),
        (depth, rightmost): (usize, bool),
        records: &mut Vec<(i64, Vec<u8>)>,
    ) -> Found<(Option<i64>, usize)> {
        if depth > 20 {
            return damage(pgno, 0, "the b-tree is too deep: it has a cycle");
        }
        let data = self.read(pgno, depth)?;
        let page = self.btree_page(pgno, &data, rightmost)?;
        let in_range = |key: i64| low.is_none_or(|l| key > l) && high.is_none_or(|h| key <= h);
        let mut last = low;
        let result = if page.leaf {
            for cell in &page.cells {
                let key = cell.key;
                if !in_range(key) || last.is_some_and(|l| key <= l) {
                    return damage(pgno, cell.offset, format!("row {key} is out of order"));
                }
                last = Some(key);
                if tree == Tree::Schema {
                    if cell.overflow.is_some() {
                        return damage(pgno, cell.offset, "a schema row spills to overflow pages");
                    }
                    records.push((key, data[cell.payload.0..cell.payload.1].to_vec()));
                    continue;
                }
                self.rows += 1;
                let local = &data[cell.payload.0..cell.payload.1];
                if cell.overflow.is_none() {
                    (self.sink)(key, local);
                } else {
                    let mut record = std::mem::take(&mut self.record);
                    record.clear();
                    record.extend_from_slice(local);
                    self.overflow(pgno, cell, depth, &mut record)?;
                    (self.sink)(key, &record);
                    self.record = record;
                }
            }
            if page.cells.is_empty() && depth > 0 {
                return damage(pgno, 0, "a b-tree leaf below the root has no cells");
            }
            (last, 0)
        } else {
            let mut leaves = None;
            let children = page.cells.iter().map(|c| (c.child, c.offset, Some(c.key)));
            let children: Vec<_> = children.chain([(page.right, page.header + 8, high)]).collect();
            let last_child = children.len() - 1;
            for (i, (child, at, key)) in children.into_iter().enumerate() {
                if key.is_some_and(|k| !in_range(k) || last.is_some_and(|l| k <= l)) {
                    return damage(pgno, at, "a divider key is out of order");
                }
                self.claim(child, pgno, at)?;
                let position = (depth + 1, rightmost && i == last_child);
                let (max, below) = self.table(child, tree, (last, key), position, records)?;
                if key.is_some() && max != key {
                    return damage(pgno, at, "a divider key is not the largest key of its child");
                }
                if leaves.is_some_and(|l| l != below) {
                    return damage(pgno, at, "the b-tree's leaves are not all at one depth");
                }
                leaves = Some(below);
                last = max.or(last);
            }
            (last, leaves.unwrap_or(0) + 1)
        };
        self.give_back(data, depth);
        Ok(result)
    }

    /// Follows a cell's overflow pages, appending what they hold to `record`.
    fn overflow(&mut self, pgno: u32, cell: &Cell, depth: usize, record: &mut Vec<u8>) -> Found<()> {
        let Some((mut next, mut left)) = cell.overflow else { return Ok(()) };
        let (mut from, mut at) = (pgno, cell.payload.1);
        let room = self.page_size - 4;
        while left > 0 {
            self.claim(next, from, at)?;
            let data = self.read(next, depth + 1)?;
            let chunk = left.min(room);
            left -= chunk;
            record.extend_from_slice(&data[4..4 + chunk]);
            let after = u32_at(&data, 0);
            if left == 0 {
                if after != 0 {
                    return damage(next, 0, "the last overflow page points to another");
                }
                if let Some(at) = nonzero(&data, 4 + chunk, self.page_size) {
                    return damage(next, at, "the unused end of an overflow page is not zero");
                }
            }
            (from, at) = (next, 0);
            next = after;
            self.give_back(data, depth + 1);
        }
        Ok(())
    }

    fn freelist(&mut self) -> Found<()> {
        let head = self.read(1, 0)?;
        let (mut trunk, count) = (u32_at(&head, 32), u32_at(&head, 36));
        self.give_back(head, 0);
        let (mut from, mut at, mut found) = (1, 32, 0u64);
        while trunk != 0 {
            self.claim(trunk, from, at)?;
            let data = self.read(trunk, 0)?;
            let leaves = u32_at(&data, 4) as usize;
            if leaves > self.page_size / 4 - 2 {
                return damage(trunk, 4, format!("a freelist trunk page claims {leaves} leaves"));
            }
            for i in 0..leaves {
                let leaf = u32_at(&data, 8 + 4 * i);
                self.claim(leaf, trunk, 8 + 4 * i)?;
                let page = self.read(leaf, 1)?;
                if let Some(at) = nonzero(&page, 0, self.page_size) {
                    return damage(leaf, at, "a free page is not zero");
                }
                self.give_back(page, 1);
            }
            found += 1 + leaves as u64;
            (from, at) = (trunk, 0);
            trunk = u32_at(&data, 0);
            self.give_back(data, 0);
        }
        if found != u64::from(count) {
            return damage(
                1,
                36,
                format!("the header counts {count} free pages, the freelist holds {found}"),
            );
        }
        Ok(())
    }

    /// Parses a table b-tree page and checks that every byte of it is accounted for (but the
    /// unallocated space of an interior page off the rightmost path: see the module's header).
    fn btree_page(&self, pgno: u32, data: &[u8], rightmost: bool) -> Found<Page> {
        let header = if pgno == 1 { 100 } else { 0 };
        let leaf = match data[header] {
            13 => true,
            5 => false,
            kind => return damage(pgno, header, format!("page type {kind} is not a table b-tree page")),
        };
        let size = self.page_size;
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
        if let Some(at) = nonzero(data, pointers_end, content).filter(|_| leaf || rightmost) {
            return damage(pgno, at, "the unallocated space of the page is not zero");
        }
        let mut used = Vec::with_capacity(count + 4);
        let mut cells = Vec::with_capacity(count);
        for i in 0..count {
            let offset = u16_at(data, top + 2 * i);
            let cell = (offset >= content && offset < size).then(|| self.cell(data, offset, leaf)).flatten();
            let Some(cell) = cell else {
                return damage(pgno, top + 2 * i, format!("cell {i} is not within the cell content"));
            };
            used.push((offset, cell.end));
            cells.push(cell);
        }
        let mut free = u16_at(data, header + 1);
        let mut after = 0;
        while free != 0 {
            if free < content.max(after) || free + 4 > size {
                return damage(pgno, header + 1, "a freeblock is out of place");
            }
            let block = u16_at(data, free + 2);
            if block < 4 || free + block > size {
                return damage(pgno, free + 2, "a freeblock has a bad size");
            }
            if let Some(at) = nonzero(data, free + 4, free + block) {
                return damage(pgno, at, "a freeblock is not zero");
            }
            used.push((free, free + block));
            after = free + block;
            free = u16_at(data, free);
        }
        used.sort_unstable();
        let (mut at, mut fragments) = (content, 0);
        for &(start, end) in used.iter().chain([&(size, size)]) {
            if start < at {
                return damage(pgno, start, "two cells or freeblocks overlap");
            }
            if let Some(bad) = nonzero(data, at, start) {
                return damage(pgno, bad, "a fragment is not zero");
            }
            if start - at > 3 {
                return damage(pgno, at, "bytes between cells belong to nothing");
            }
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
        let right = if leaf { 0 } else { u32_at(data, header + 8) };
        Ok(Page { header, leaf, cells, right })
    }

    /// The cell at `offset`, or `None` when it runs past the page.
    fn cell(&self, data: &[u8], offset: usize, leaf: bool) -> Option<Cell> {
        let size = self.page_size;
        let mut at = offset;
        let child = if leaf {
            0
        } else {
            at += 4;
            u32_at(data, offset)
        };
        if !leaf {
            let (key, n) = varint(data, at, size)?;
            return Some(Cell {
                offset,
                end: at + n,
                key: key as i64,
                child,
                payload: (0, 0),
                overflow: None,
            });
        }
        let (payload, n) = varint(data, at, size)?;
        at += n;
        let (key, n) = varint(data, at, size)?;
        let key = key as i64;
        at += n;
        let usable = size as u64;
        let max_local = usable - 35;
        let min_local = (usable - 12) * 32 / 255 - 23;
        let (local, overflow) = if payload <= max_local {
            (payload, None)
        } else {
            let spill = min_local + (payload - min_local) % (usable - 4);
            let local = if spill <= max_local { spill } else { min_local };
            (local, Some(()))
        };
        let local = usize::try_from(local).ok()?;
        let body = (at, at + local);
        let mut end = body.1;
        let overflow = match overflow {
            Some(()) => {
                let first = u32_at(data, end.checked_add(4).filter(|e| *e <= size)? - 4);
                end += 4;
                Some((first, usize::try_from(payload).ok()? - local))
            }
            None => None,
        };
        let end = end.max(offset + 4);
        (end <= size).then_some(Cell { offset, end, key, child, payload: body, overflow })
    }
}

struct Page {
    header: usize,
    leaf: bool,
    cells: Vec<Cell>,
    right: u32,
}

struct Cell {
    offset: usize,
    end: usize,
    /// The rowid of a table cell.
    key: i64,
    child: u32,
    /// The local payload, as a range of the page.
    payload: (usize, usize),
    /// The first overflow page and the bytes stored there.
    overflow: Option<(u32, usize)>,
}

/// A value of a record, as the file holds it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Raw<'a> {
    Null,
    Int(i64),
    Text(&'a [u8]),
    /// A real number or a blob: never in a gate log.
    Other,
}

/// Decodes a record into `values`: how many it holds, or `None` when its header does not fit
/// its body exactly or it holds more values than `values` has room for.
pub(crate) fn decode_record<'a>(record: &'a [u8], values: &mut [Raw<'a>]) -> Option<usize> {
    let (header, mut at) = varint(record, 0, record.len())?;
    let header = usize::try_from(header).ok()?;
    let mut body = header;
    let mut count = 0;
    while at < header {
        let (serial, n) = varint(record, at, header)?;
        at += n;
        let width = match serial {
            0 | 8 | 9 => 0,
            1..=4 => serial as usize,
            5 => 6,
            6 | 7 => 8,
            s if s >= 12 => usize::try_from((s - 12) / 2).ok()?,
            _ => return None,
        };
        let bytes = record.get(body..body.checked_add(width)?)?;
        body += width;
        *values.get_mut(count)? = match serial {
            0 => Raw::Null,
            8 => Raw::Int(0),
            9 => Raw::Int(1),
            1..=6 => {
                let mut value = if bytes[0] & 0x80 != 0 { -1i64 } else { 0 };
                for b in bytes {
                    value = (value << 8) | i64::from(*b);
                }
                Raw::Int(value)
            }
            s if s >= 13 && s % 2 == 1 => Raw::Text(bytes),
            _ => Raw::Other,
        };
        count += 1;
    }
    (at == header && body == record.len()).then_some(count)
}

/// The values of a schema row (five columns), or `None` as for `decode_record`.
fn record_values(record: &[u8]) -> Option<Vec<Raw<'_>>> {
    let mut values = [Raw::Null; 6];
    let count = decode_record(record, &mut values)?;
    Some(values[..count].to_vec())
}

#[cfg(test)]
#[path = "file_check_tests.rs"]
mod tests;
