//! The size past which a reader refuses a file rather than read it: doctor reads
//! files nobody vetted, and each reader's cost must stay bounded whatever they hold.

/// `Ok` when `text` is at most `max_bytes`, else why it is not read.
pub fn fits(text: &str, max_bytes: usize) -> Result<(), String> {
    if text.len() <= max_bytes {
        return Ok(());
    }
    Err(format!(
        "not read: larger than {} MiB",
        max_bytes.div_ceil(1024 * 1024)
    ))
}
