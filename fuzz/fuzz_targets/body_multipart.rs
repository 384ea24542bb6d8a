//! The multipart/form-data processor, through a whole transaction. The first line of the input
//! is the Content-Type's parameters (the boundary), the rest the body.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (params, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&b"boundary=x"[..], data),
    };
    let mut content_type = b"multipart/form-data; ".to_vec();
    content_type.extend_from_slice(params);
    secrules_fuzz::post_body(&content_type, body);
});
