//! `t:sha1`: the SHA-1 digest of the value, as 20 raw bytes (not hex; `t:hexEncode` after it gives
//! the usual hex form).

use sha1::{Digest, Sha1};

pub fn apply(input: &[u8]) -> Vec<u8> {
    Sha1::digest(input).to_vec()
}
