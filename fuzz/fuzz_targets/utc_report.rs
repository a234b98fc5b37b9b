#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dapreflight::fuzzing::utc_report(data));
