//! The walk over the file: the header, then the `sqlite_schema` and `entries` b-trees from their
//! roots (overflow chains included), then the freelist, each page claimed once; a page that
//! nothing claims is damage. Each row of `entries` goes to the sink as the walk reaches it.

use std::fs::File;
use std::os::unix::fs::FileExt;

use super::page::{self, Cell};
use super::record::{Raw, record_values};
use super::{Expect, Found, RowSink, Stop, damage, header, nonzero, u32_at};
use crate::audit::notice::{NoticeKind, Notices};

/// SQLite never uses the page that holds the byte at 1 GiB (its locks live there).
const LOCK_BYTE: u64 = 1 << 30;

/// Walks the file; returns the rows of `entries` and the levels of its b-tree.
pub(super) fn walk(
    file: &File,
    len: u64,
    expect: &Expect<'_>,
    sink: &mut RowSink<'_>,
    notices: &mut Notices,
) -> Found<(u64, usize)> {
    let mut head = [0u8; 100];
    if len < 100 {
        return damage(1, 0, format!("the file is {len} bytes, shorter than a database header"));
    }
    file.read_exact_at(&mut head, 0).map_err(Stop::Io)?;
    let page_size = header::page_size(&head)?;
    let pages = header::check(&head, len, page_size, expect, notices)?;
    let mut walk = Walk {
        file,
        page_size,
        pages,
        seen: vec![false; pages as usize + 1],
        buffers: Vec::new(),
        rows: 0,
        sink,
        record: Vec::new(),
        notices,
    };
    let depth = walk.all(expect)?;
    Ok((walk.rows, depth))
}

/// The table b-tree a page belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tree {
    Schema,
    Entries,
}

struct Walk<'f, 's, 'n> {
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
    notices: &'n mut Notices,
}

impl Walk<'_, '_, '_> {
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

    /// Walks everything; returns the levels of the `entries` b-tree (0 when there is none).
    fn all(&mut self, expect: &Expect<'_>) -> Found<usize> {
        self.seen[1] = true;
        let mut schema = Vec::new();
        self.table(1, Tree::Schema, (None, None), 0, &mut schema)?;
        let mut depth = 0;
        if let Some(root) = self.schema(&schema, expect)? {
            self.claim(root, 1, 0)?;
            depth = self.table(root, Tree::Entries, (None, None), 0, &mut Vec::new())?.1 + 1;
        }
        self.freelist()?;
        // The lock-byte page is never written: nothing to check there.
        let lock = self.lock_page();
        if let Some(orphan) = (1..=self.pages).find(|&p| p != lock && !self.seen[p as usize]) {
            return damage(orphan, 0, "the page belongs to no table, index or freelist");
        }
        Ok(depth)
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

    /// Walks a table b-tree whose keys are in `(low, high]`, from its page `pgno` at `depth`;
    /// returns the largest key and the levels below the page. Leaf records of the schema are
    /// collected into `records`.
    fn table(
        &mut self,
        pgno: u32,
        tree: Tree,
        (low, high): (Option<i64>, Option<i64>),
        depth: usize,
        records: &mut Vec<(i64, Vec<u8>)>,
    ) -> Found<(Option<i64>, usize)> {
        if depth > 20 {
            return damage(pgno, 0, "the b-tree is too deep: it has a cycle");
        }
        let data = self.read(pgno, depth)?;
        let page = page::parse(pgno, &data, self.notices)?;
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
                    // A schema row spills to overflow pages when pages are small (512 bytes).
                    let mut record = data[cell.payload.0..cell.payload.1].to_vec();
                    self.overflow(pgno, cell, depth, &mut record)?;
                    records.push((key, record));
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
            for (child, at, key) in children {
                if key.is_some_and(|k| !in_range(k) || last.is_some_and(|l| k <= l)) {
                    return damage(pgno, at, "a divider key is out of order");
                }
                self.claim(child, pgno, at)?;
                let (max, below) = self.table(child, tree, (last, key), depth + 1, records)?;
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

    /// Follows a cell's overflow pages, appending what they hold to `record`. The unused end of
    /// the last page is not read: a freelist trunk page reused for overflow keeps its slots there.
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
            if left == 0 && after != 0 {
                return damage(next, 0, "the last overflow page points to another");
            }
            (from, at) = (next, 0);
            next = after;
            self.give_back(data, depth + 1);
        }
        Ok(())
    }

    /// Follows the freelist's trunk pages and their leaves. A trunk page's slots past its count
    /// are not read (taking a leaf off a trunk leaves its slot behind); a free page is zero.
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
                    self.notices.note(NoticeKind::StaleFreePage, leaf, at);
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
}
