//! `@detectSQLi`: libinjection's SQL injection detector (the pure-Rust port `libinjectionrs`,
//! checked against the C libinjection libmodsecurity embeds by tests/libinjection_differential.rs).
//! With `capture`, TX:0 is libinjection's fingerprint of the value, as in libmodsecurity.

use std::borrow::Cow;

/// Whether libinjection calls `value` SQL injection; `fingerprint` receives its fingerprint.
pub fn matches(value: &[u8], fingerprint: Option<&mut Vec<Vec<u8>>>) -> bool {
    let value = into_uppercased(value);
    // The port is young: should it ever panic, the value counts as an attack (fail closed)
    // instead of the panic reaching nginx's guard and failing the whole request.
    let Ok(result) = std::panic::catch_unwind(|| libinjectionrs::detect_sqli(&value)) else {
        return true;
    };
    let detected = result.is_injection();
    if detected {
        if let (Some(out), Some(found)) = (fingerprint, result.fingerprint) {
            out.clear();
            out.push(found.as_str().as_bytes().to_vec());
        }
    }
    detected
}

/// libinjectionrs 0.1.1 compares the `INTO` of `INTO OUTFILE` case-sensitively where C
/// libinjection does not, so `'x' into outfile '...'` passes it. libinjection reads keywords
/// without regard to case, so writing every `into` in capitals changes nothing else.
fn into_uppercased(value: &[u8]) -> Cow<'_, [u8]> {
    let found = value
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"into") && w != b"INTO");
    if !found {
        return Cow::Borrowed(value);
    }
    let mut out = value.to_vec();
    let mut i = 0;
    while i + 4 <= out.len() {
        if out[i..i + 4].eq_ignore_ascii_case(b"into") {
            out[i..i + 4].copy_from_slice(b"INTO");
            i += 4;
        } else {
            i += 1;
        }
    }
    Cow::Owned(out)
}
