//! Whole transactions: a raw HTTP/1.1 request (line, headers, body; chunked bodies decoded)
//! through CRS v4 at paranoia level 4, phases 1, 2 and 5.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secrules::tool::RawRequest;

fuzz_target!(
    // Loaded before the first input, so the load's seconds are not blamed on that input.
    init: {
        secrules_fuzz::crs();
    },
    |data: &[u8]| {
        if let Ok(request) = RawRequest::parse(data) {
            secrules_fuzz::evaluate(secrules_fuzz::crs(), &request);
        }
    }
);
