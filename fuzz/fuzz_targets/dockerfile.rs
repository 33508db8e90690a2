#![no_main]

#[path = "../../tests/reader_checks/mod.rs"]
mod reader_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    reader_checks::dockerfile(&String::from_utf8_lossy(data));
});
