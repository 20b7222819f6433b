//! The strict check of a closed log's database file, beside SQLite. It walks every page once and
//! holds each byte to what the byte is for:
//!
//! - **Damage**: a byte that an entry, or SQLite's reading of the entries, depends on is checked
//!   against what gate and SQLite write: the database header's fields, the schema (exactly
//!   gate's), each b-tree page's header, cell pointers and cells, divider keys (each the largest
//!   key of the child before it), right-child pointers, overflow chains, the freeblock chain and
//!   fragment count, the freelist's trunk pages and counts, and the page accounting (every page
//!   used once: by a b-tree, an overflow chain or the freelist). Anything wrong there is damage.
//! - **Notice**: a byte that no entry owns and nothing reads, but that a log only gate wrote
//!   holds as zero: the unallocated space of leaf pages, freeblocks, fragments, free pages. So
//!   is the SQLite version of the file's last writer. None of them can change what an entry
//!   says: they are reported beside an intact verdict (`Notice`), never as damage.
//! - **Not checked**: a byte that no entry owns and nothing reads, where SQLite itself leaves
//!   stale bytes: the unallocated space of interior pages, the unused end of a cell's last
//!   overflow page, the slots past the count of a freelist trunk page, and the lock-byte page
//!   of a file over 1 GiB.
//!
//! Why the line is drawn there (SQLite's `btree.c`, 3.50; gate writes with `secure_delete` on
//! and only ever appends a row whose rowid is above every other):
//! - `freeSpace` zeroes every range it frees, before it links it as a freeblock or joins it to
//!   the unallocated space; a fragment is the unused tail of a freeblock a cell was put in
//!   (`pageFindSlot`); `freePage2` zeroes a page before it joins the freelist.
//! - Nothing else zeroes. `dropCell` and `editPage` shrink a page's cell pointer array and
//!   leave its old last slots behind; `rebuildPage` writes a page's cells anew from its end and
//!   leaves what lay below them, copies of cells that moved to a sibling included; a freelist
//!   trunk page reused as an overflow page keeps its slots past the data; a leaf taken off a
//!   trunk leaves its slot behind. Balancing after an append (`balance_nonroot`) rebuilds
//!   interior pages anywhere on the right side of the tree, its rightmost path too (issue 8).
//! - A leaf page is never balanced by an append: the new row is the last of the rightmost
//!   leaf, and when that leaf overflows, `balance_quick` moves the row alone to a new, zeroed
//!   leaf. A leaf's unallocated space stays zero.
//!
//! The notices rest on that reading of SQLite. Were it ever wrong, the price would be a notice
//! on a log only gate wrote: never a false "damaged", and never a change to an entry missed.
//! What the entries' cells hold is left to the chain verifier: the walk hands each entry's
//! record, its overflow pages joined, to the caller, in rowid order.

mod header;
mod page;
mod record;
mod walk;

use std::fs::File;

use super::notice::{Notice, Notices};
use super::store::SchemaRow;

pub(crate) use record::{Raw, decode_record};

/// What a byte of the file must hold, besides what SQLite itself requires.
#[derive(Debug)]
pub(crate) struct Expect<'a> {
    pub user_version: u32,
    pub application_id: u32,
    /// `SQLITE_VERSION_NUMBER` of this gate's SQLite: another last writer is a notice.
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Checked {
    /// The rows of `entries`.
    pub rows: u64,
    /// The levels of the `entries` b-tree, its leaves included (1: the root is a leaf).
    pub depth: usize,
    pub notices: Vec<Notice>,
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
    let mut notices = Notices::default();
    match walk::walk(file, len, expect, rows, &mut notices) {
        Ok((rows, depth)) => Ok(Ok(Checked { rows, depth, notices: notices.into_vec() })),
        Err(Stop::Damage(found)) => Ok(Err(found)),
        Err(Stop::Io(error)) => Err(error),
    }
}

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

/// The first non-zero byte of `data[from..to]`.
fn nonzero(data: &[u8], from: usize, to: usize) -> Option<usize> {
    data[from..to].iter().position(|b| *b != 0).map(|i| from + i)
}

#[cfg(test)]
mod tests;
