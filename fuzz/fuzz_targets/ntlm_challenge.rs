#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dapreflight::fuzzing::ntlm_challenge(data));
