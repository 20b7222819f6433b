//! The bytes a compiled policy is read from in place: a cache file mapped into memory, or bytes
//! already in memory. Mapping a file shares the kernel's page-cache pages instead of copying them
//! into fresh heap pages, one page fault each (10,000 rules: ~200 faults and 850 KB copied on every
//! run). A cache file is never changed in place (a new one is written under another name and
//! renamed over it), so the mapping holds what was checksummed. Only another process of the same
//! user rewriting the file in place could change it, which gate's threat model leaves to OS
//! isolation; cutting it short would end gate with SIGBUS, before any command runs.

use std::ops::Deref;
use std::sync::Arc;

#[derive(Clone)]
pub(crate) struct Encoded(Arc<dyn AsRef<[u8]> + Send + Sync>);

impl Encoded {
    /// The whole file, mapped read-only.
    #[allow(unsafe_code)]
    pub fn map(file: &std::fs::File) -> std::io::Result<Encoded> {
        // SAFETY: the mapping is read-only, and a cache file is only ever replaced, never written
        // in place (see the module's comment).
        let map = unsafe { memmap2::Mmap::map(file)? };
        Ok(Encoded(Arc::new(map)))
    }
}

impl From<Vec<u8>> for Encoded {
    fn from(bytes: Vec<u8>) -> Encoded {
        Encoded(Arc::new(bytes))
    }
}

impl Default for Encoded {
    fn default() -> Encoded {
        Encoded::from(Vec::new())
    }
}

impl Deref for Encoded {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        (*self.0).as_ref()
    }
}
