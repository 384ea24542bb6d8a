//! The JSON body processor, through a whole transaction.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    secrules_fuzz::post_body(b"application/json", data);
});
