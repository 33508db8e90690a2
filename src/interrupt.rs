//! Ctrl-C. While scaffold only asks questions, Ctrl-C ends it at once (nothing is on
//! disk yet). Once it writes, Ctrl-C only raises a flag: the writer stops at the next
//! file and removes what it made, so no half-written project remains.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use crate::error::Error;
use crate::exit_status::ExitStatus;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static WRITING: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Installs the handler; safe to call more than once.
pub fn install() {
    INSTALL.call_once(|| {
        // If another handler is already installed (an embedding program), keep it.
        let _ = ctrlc::set_handler(|| {
            INTERRUPTED.store(true, Ordering::SeqCst);
            if !WRITING.load(Ordering::SeqCst) {
                // dialoguer hides the cursor in menus; give it back before leaving.
                let _ = console::Term::stderr().show_cursor();
                std::process::exit(ExitStatus::Interrupted.code());
            }
        });
    });
}

/// Marks a span in which Ctrl-C is handled by the code at work (it cleans up), not by exiting.
pub struct Deferred(());

impl Deferred {
    pub fn start() -> Self {
        WRITING.store(true, Ordering::SeqCst);
        Deferred(())
    }
}

impl Drop for Deferred {
    fn drop(&mut self) {
        WRITING.store(false, Ordering::SeqCst);
    }
}

/// Fails with `Error::Interrupted` once Ctrl-C was pressed.
pub fn check() -> Result<(), Error> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}
