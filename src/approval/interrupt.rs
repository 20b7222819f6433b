//! Signals that arrive while a human is being asked. They end the question, not gate, so that the
//! refusal is recorded like any other answer before gate exits.

use crate::runner::forwarded_signals;
use signal_hook::SigId;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Watches SIGINT, SIGTERM, SIGHUP and SIGQUIT for as long as it lives.
pub(super) struct Interrupts {
    last: Arc<AtomicUsize>,
    ids: Vec<SigId>,
}

impl Interrupts {
    pub(super) fn watch() -> Interrupts {
        let last = Arc::new(AtomicUsize::new(0));
        let ids = forwarded_signals()
            .iter()
            .filter_map(|&signal| {
                let value = usize::try_from(signal).ok()?;
                signal_hook::flag::register_usize(signal, Arc::clone(&last), value).ok()
            })
            .collect();
        Interrupts { last, ids }
    }

    /// The last signal received, if any.
    pub(super) fn received(&self) -> Option<i32> {
        match self.last.load(Ordering::SeqCst) {
            0 => None,
            signal => i32::try_from(signal).ok(),
        }
    }
}

impl Drop for Interrupts {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}
