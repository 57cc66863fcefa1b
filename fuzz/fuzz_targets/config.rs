#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tambo_auth_fuzz::config(data));
