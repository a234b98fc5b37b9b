#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dapreflight::fuzzing::reg_export(data));
