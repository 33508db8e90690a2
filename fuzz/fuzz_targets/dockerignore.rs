#![no_main]

#[path = "../../tests/reader_checks/mod.rs"]
mod reader_checks;

// The input's own lines are also asked about as paths.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let paths: Vec<&str> = text.lines().collect();
    reader_checks::dockerignore(&text, &paths);
});
