//! Notices: what verify saw in a log's file that is not damage. A notice concerns bytes that no
//! entry owns and that nothing reads (see `file_check` for which bytes those are), or a header
//! field that does not change how the file is read; no entry says anything different for it, so
//! the log is still intact. Each notice says why it is worth knowing: a log only gate wrote has
//! none of them, so a notice means that something else wrote to the file.

use std::fmt;

/// What kind of thing a notice is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NoticeKind {
    /// The unallocated space of a b-tree leaf page holds bytes: gate's appends leave it zero,
    /// while a row deleted without `secure_delete` leaves its bytes there.
    StaleLeafSpace,
    /// A freeblock (space freed inside a page) holds bytes: SQLite zeroes freed space in a gate
    /// log, since gate writes with `secure_delete` on.
    StaleFreeblock,
    /// Fragment bytes (1 to 3 free bytes between cells) are not zero, for the same reason.
    StaleFragment,
    /// A page on the freelist is not zero: `secure_delete` zeroes a page when it is freed.
    StaleFreePage,
    /// The file was last written by another SQLite than the one this gate is built with.
    OtherSqlite,
}

impl NoticeKind {
    /// A stable name for machine-readable output.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::StaleLeafSpace => "stale-leaf-space",
            NoticeKind::StaleFreeblock => "stale-freeblock",
            NoticeKind::StaleFragment => "stale-fragment",
            NoticeKind::StaleFreePage => "stale-free-page",
            NoticeKind::OtherSqlite => "other-sqlite",
        }
    }

    /// What the notice means, for people.
    fn meaning(self) -> &'static str {
        match self {
            NoticeKind::StaleLeafSpace => {
                "the unallocated space of a b-tree leaf page is not zero; no entry depends on these bytes, but gate's appends leave them zero: something else wrote to this file (a row deleted there leaves its bytes behind: verify against a checkpoint to see whether entries were removed from the end)"
            }
            NoticeKind::StaleFreeblock => {
                "space freed inside a page is not zero; no entry depends on these bytes, but SQLite zeroes freed space in a gate log (secure_delete): something else wrote to this file"
            }
            NoticeKind::StaleFragment => {
                "free bytes between cells are not zero; no entry depends on these bytes, but SQLite zeroes freed space in a gate log (secure_delete): something else wrote to this file"
            }
            NoticeKind::StaleFreePage => {
                "a free page is not zero; no entry depends on these bytes, but SQLite zeroes a page it frees in a gate log (secure_delete): something else wrote to this file"
            }
            NoticeKind::OtherSqlite => {
                "the file was last written by another SQLite than this gate's: by another build of gate, or by another program; how the file is read does not depend on it"
            }
        }
    }
}

impl fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One kind of notice, where it first shows and how often.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    /// The first page that shows it (1 for the database header), and the byte within it.
    pub page: u32,
    pub offset: usize,
    /// How many pages show it.
    pub pages: u64,
    pub detail: String,
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: page {} byte {}", self.kind, self.page, self.offset)?;
        if self.pages > 1 {
            write!(f, " (and {} more pages)", self.pages - 1)?;
        }
        write!(f, ": {}", self.detail)
    }
}

/// Notices as a walk over the file finds them: one per kind, counting the pages.
#[derive(Debug, Default)]
pub(crate) struct Notices {
    found: Vec<Notice>,
}

impl Notices {
    /// Notes that page `page` shows `kind`, first at byte `offset`; called once per page.
    pub fn note(&mut self, kind: NoticeKind, page: u32, offset: usize) {
        match self.found.iter_mut().find(|n| n.kind == kind) {
            Some(notice) => notice.pages += 1,
            None => {
                self.found.push(Notice { kind, page, offset, pages: 1, detail: kind.meaning().to_string() })
            }
        }
    }

    /// Notes the SQLite version of the file's last writer, when it is not `ours`.
    pub fn writer(&mut self, theirs: u32, ours: u32) {
        if theirs != ours {
            let detail = format!(
                "written by SQLite {}, this gate uses SQLite {}: {}",
                version(theirs),
                version(ours),
                NoticeKind::OtherSqlite.meaning()
            );
            let kind = NoticeKind::OtherSqlite;
            self.found.push(Notice { kind, page: 1, offset: 96, pages: 1, detail });
        }
    }

    /// The notices, in the order of `NoticeKind`.
    pub fn into_vec(mut self) -> Vec<Notice> {
        self.found.sort_by_key(|n| n.kind);
        self.found
    }
}

/// `SQLITE_VERSION_NUMBER` as `3.50.2`.
fn version(number: u32) -> String {
    format!("{}.{}.{}", number / 1_000_000, number / 1_000 % 1_000, number % 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_notice_per_kind_counts_its_pages() {
        let mut notices = Notices::default();
        notices.note(NoticeKind::StaleFreePage, 9, 0);
        notices.note(NoticeKind::StaleLeafSpace, 7, 300);
        notices.note(NoticeKind::StaleLeafSpace, 12, 40);
        notices.writer(3_050_002, 3_050_002);
        let found = notices.into_vec();
        let summary: Vec<_> = found.iter().map(|n| (n.kind, n.page, n.offset, n.pages)).collect();
        assert_eq!(summary, [(NoticeKind::StaleLeafSpace, 7, 300, 2), (NoticeKind::StaleFreePage, 9, 0, 1)]);
        assert!(found[0].to_string().starts_with("stale-leaf-space: page 7 byte 300 (and 1 more pages): "));
    }

    #[test]
    fn another_writer_is_named_with_both_versions() {
        let mut notices = Notices::default();
        notices.writer(3_045_001, 3_050_002);
        let found = notices.into_vec();
        assert_eq!(found.len(), 1);
        assert!(found[0].detail.starts_with("written by SQLite 3.45.1, this gate uses SQLite 3.50.2"));
    }
}
