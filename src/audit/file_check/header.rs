//! The database header, the first 100 bytes of the file: every field holds what gate's SQLite
//! writes for a gate log, or the file is damaged. The one exception is the SQLite version of
//! the last writer, which changes nothing in how the file is read: another one is a notice.

use super::{Expect, Found, damage, nonzero, u16_at, u32_at};
use crate::audit::notice::Notices;

pub(super) const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The page size the header gives, or damage when it is not a SQLite header.
pub(super) fn page_size(head: &[u8]) -> Found<usize> {
    let raw = u16_at(head, 16);
    let page_size = if raw == 1 { 65536 } else { raw };
    if &head[..16] != MAGIC || !page_size.is_power_of_two() || page_size < 512 {
        return damage(1, 0, "not a SQLite database header");
    }
    Ok(page_size)
}

/// Checks the header of a file of `len` bytes; returns its number of pages.
pub(super) fn check(
    head: &[u8],
    len: u64,
    page_size: usize,
    expect: &Expect<'_>,
    notices: &mut Notices,
) -> Found<u32> {
    let size = page_size as u64;
    if !len.is_multiple_of(size) {
        return damage(1, 16, format!("the file ({len} bytes) is not a whole number of {size}-byte pages"));
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
    // Another gate, built with another SQLite, writes the same file format: not damage.
    notices.writer(u32_at(head, 96), expect.sqlite_version);
    Ok(pages)
}
