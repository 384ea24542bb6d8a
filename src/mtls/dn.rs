//! Distinguished names as nginx prints them (`$ssl_client_s_dn`): OpenSSL's
//! `X509_NAME_print_ex(.., XN_FLAG_RFC2253)`. That is RFC 2253 with OpenSSL's choices: RDNs last
//! first, `,` between RDNs and `+` inside one, OpenSSL's short attribute names, bytes >= 0x80 and
//! control characters written as `\XX`, and values of unknown attributes or string types as `#`
//! followed by the hex of their DER.

use x509_cert::der::asn1::AnyRef;
use x509_cert::der::{Encode, Tag, Tagged};
use x509_cert::name::Name;

/// The RFC 2253 string of `name`, byte for byte as nginx's variables give it.
pub fn rfc2253(name: &Name) -> String {
    let mut out = String::new();
    for (i, rdn) in name.0.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // XN_FLAG_DN_REV reverses OpenSSL's flat list of entries, so a multi-valued RDN is reversed too.
        for (j, attribute) in rdn.0.iter().rev().enumerate() {
            if j > 0 {
                out.push('+');
            }
            let oid = attribute.oid.to_string();
            match short_name(&oid) {
                Some(short) => {
                    out.push_str(short);
                    out.push('=');
                    push_value(&mut out, &attribute.value);
                }
                // XN_FLAG_DUMP_UNKNOWN_FIELDS: an attribute OpenSSL has no name for is dumped.
                None => {
                    out.push_str(&oid);
                    out.push('=');
                    push_der_dump(&mut out, &attribute.value);
                }
            }
        }
    }
    out
}

/// OpenSSL's short names (`OBJ_nid2sn`) for the attributes found in certificate names.
fn short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "title",
        "2.5.4.13" => "description",
        "2.5.4.15" => "businessCategory",
        "2.5.4.17" => "postalCode",
        "2.5.4.41" => "name",
        "2.5.4.42" => "GN",
        "2.5.4.43" => "initials",
        "2.5.4.44" => "generationQualifier",
        "2.5.4.46" => "dnQualifier",
        "2.5.4.65" => "pseudonym",
        "2.5.4.97" => "organizationIdentifier",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "1.3.6.1.4.1.311.60.2.1.1" => "jurisdictionL",
        "1.3.6.1.4.1.311.60.2.1.2" => "jurisdictionST",
        "1.3.6.1.4.1.311.60.2.1.3" => "jurisdictionC",
        _ => return None,
    })
}

fn push_value(out: &mut String, value: &x509_cert::der::Any) {
    let any: AnyRef<'_> = value.into();
    let bytes = any.value();
    let text: Option<Vec<u8>> = match any.tag() {
        // ASN1_STRFLGS_UTF8_CONVERT: every string type is converted to UTF-8 first.
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::VisibleString | Tag::NumericString => {
            Some(bytes.to_vec())
        }
        // T61String is read as Latin-1 by OpenSSL.
        Tag::TeletexString => Some(bytes.iter().map(|&b| b as char).collect::<String>().into_bytes()),
        Tag::BmpString => utf16be_to_utf8(bytes),
        // (UniversalString, tag 28, is unknown to the `der` crate: such certificates do not parse.)
        _ => None,
    };
    match text {
        Some(text) => push_escaped(out, &text),
        None => push_der_dump(out, value),
    }
}

fn utf16be_to_utf8(bytes: &[u8]) -> Option<Vec<u8>> {
    if bytes.len() % 2 != 0 {
        return None;
    }
    let units = bytes.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
    char::decode_utf16(units).collect::<Result<String, _>>().ok().map(String::into_bytes)
}

/// ASN1_STRFLGS_ESC_2253 | ESC_CTRL | ESC_MSB, as OpenSSL's `do_esc_char` applies them.
fn push_escaped(out: &mut String, text: &[u8]) {
    let last = text.len().saturating_sub(1);
    for (i, &byte) in text.iter().enumerate() {
        let special = matches!(byte, b',' | b'+' | b'"' | b'\\' | b'<' | b'>' | b';')
            || (i == 0 && (byte == b'#' || byte == b' '))
            || (i == last && byte == b' ');
        if byte >= 0x80 || byte < 0x20 || byte == 0x7f {
            out.push_str(&format!("\\{byte:02X}"));
        } else if special {
            out.push('\\');
            out.push(byte as char);
        } else {
            out.push(byte as char);
        }
    }
}

/// `#` and the hex of the value's whole DER (tag, length, content), as ASN1_STRFLGS_DUMP_DER.
fn push_der_dump(out: &mut String, value: &x509_cert::der::Any) {
    out.push('#');
    match value.to_der() {
        Ok(der) => der.iter().for_each(|b| out.push_str(&format!("{b:02X}"))),
        Err(_) => {}
    }
}
