//! Distinguished names as nginx prints them (`$ssl_client_s_dn`): OpenSSL's
//! `X509_NAME_print_ex(.., XN_FLAG_RFC2253)`. That is RFC 2253 with OpenSSL's choices: RDNs last
//! first, `,` between RDNs and `+` inside one, OpenSSL's short attribute names, bytes >= 0x80 and
//! control characters written as `\XX`, and values of unknown attributes or string types as `#`
//! followed by the hex of their DER.
//!
//! The name is read from the certificate's own bytes rather than from `x509_cert::name::Name`:
//! the `der` crate sorts a SET OF while decoding, and OpenSSL prints a multi-valued RDN in the
//! order it was encoded, sorted or not.

use x509_cert::der::asn1::{AnyRef, ObjectIdentifier};
use x509_cert::der::{Decode, Reader, SliceReader, Tag, Tagged};

/// The elements of a constructed value, each with its whole encoding (tag, length, content).
pub(crate) fn elements(content: &[u8]) -> x509_cert::der::Result<Vec<(AnyRef<'_>, &[u8])>> {
    let mut reader = SliceReader::new(content)?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        let start = usize::try_from(reader.position())?;
        let element = AnyRef::decode(&mut reader)?;
        let end = usize::try_from(reader.position())?;
        out.push((element, &content[start..end]));
    }
    Ok(out)
}

/// The RFC 2253 string of a DER `Name` (the SEQUENCE's content), byte for byte as nginx's
/// variables give it.
pub fn rfc2253(name_content: &[u8]) -> x509_cert::der::Result<String> {
    // OpenSSL flattens the name into a list of entries and XN_FLAG_DN_REV walks that list
    // backwards, so the entries of a multi-valued RDN come out reversed too.
    let mut entries = Vec::new();
    for (set_index, (rdn, _)) in elements(name_content)?.into_iter().enumerate() {
        for (attribute, _) in elements(rdn.value())? {
            let parts = elements(attribute.value())?;
            let [(oid, _), (value, value_der)] = parts.as_slice() else {
                return Err(Tag::Sequence.value_error());
            };
            let oid: ObjectIdentifier = oid.decode_as()?;
            entries.push((set_index, oid, *value, *value_der));
        }
    }
    let mut out = String::new();
    let mut previous_set = None;
    for (set_index, oid, value, value_der) in entries.iter().rev() {
        match previous_set {
            Some(previous) if previous == *set_index => out.push('+'),
            Some(_) => out.push(','),
            None => {}
        }
        previous_set = Some(*set_index);
        let oid = oid.to_string();
        match short_name(&oid) {
            Some(short) => {
                out.push_str(short);
                out.push('=');
                match characters(value.tag(), value.value()) {
                    Some((chars, convert)) => push_escaped(&mut out, &chars, convert),
                    None => push_der_dump(&mut out, value_der),
                }
            }
            // XN_FLAG_DUMP_UNKNOWN_FIELDS: an attribute OpenSSL has no name for is dumped,
            // whatever its string type.
            None => {
                out.push_str(&oid);
                out.push('=');
                push_der_dump(&mut out, value_der);
            }
        }
    }
    Ok(out)
}

/// OpenSSL's short names (`OBJ_nid2sn`) for the attribute types of its object table (3.0's
/// `obj_mac.h`): X.520, the pilot/LDAP attributes, PKCS #9 and the EV jurisdiction fields.
/// OpenSSL also names OIDs that are not attribute types (algorithms, extensions); a name using
/// one of those as an attribute type is printed dotted and dumped here, but named by OpenSSL.
pub(crate) const SHORT_NAMES: &[(&str, &str)] = &[
    ("2.5.4.3", "CN"),
    ("2.5.4.4", "SN"),
    ("2.5.4.5", "serialNumber"),
    ("2.5.4.6", "C"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.9", "street"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.12", "title"),
    ("2.5.4.13", "description"),
    ("2.5.4.14", "searchGuide"),
    ("2.5.4.15", "businessCategory"),
    ("2.5.4.16", "postalAddress"),
    ("2.5.4.17", "postalCode"),
    ("2.5.4.18", "postOfficeBox"),
    ("2.5.4.19", "physicalDeliveryOfficeName"),
    ("2.5.4.20", "telephoneNumber"),
    ("2.5.4.21", "telexNumber"),
    ("2.5.4.22", "teletexTerminalIdentifier"),
    ("2.5.4.23", "facsimileTelephoneNumber"),
    ("2.5.4.24", "x121Address"),
    ("2.5.4.25", "internationaliSDNNumber"),
    ("2.5.4.26", "registeredAddress"),
    ("2.5.4.27", "destinationIndicator"),
    ("2.5.4.28", "preferredDeliveryMethod"),
    ("2.5.4.29", "presentationAddress"),
    ("2.5.4.30", "supportedApplicationContext"),
    ("2.5.4.31", "member"),
    ("2.5.4.32", "owner"),
    ("2.5.4.33", "roleOccupant"),
    ("2.5.4.34", "seeAlso"),
    ("2.5.4.35", "userPassword"),
    ("2.5.4.36", "userCertificate"),
    ("2.5.4.37", "cACertificate"),
    ("2.5.4.38", "authorityRevocationList"),
    ("2.5.4.39", "certificateRevocationList"),
    ("2.5.4.40", "crossCertificatePair"),
    ("2.5.4.41", "name"),
    ("2.5.4.42", "GN"),
    ("2.5.4.43", "initials"),
    ("2.5.4.44", "generationQualifier"),
    ("2.5.4.45", "x500UniqueIdentifier"),
    ("2.5.4.46", "dnQualifier"),
    ("2.5.4.47", "enhancedSearchGuide"),
    ("2.5.4.48", "protocolInformation"),
    ("2.5.4.49", "distinguishedName"),
    ("2.5.4.50", "uniqueMember"),
    ("2.5.4.51", "houseIdentifier"),
    ("2.5.4.52", "supportedAlgorithms"),
    ("2.5.4.53", "deltaRevocationList"),
    ("2.5.4.54", "dmdName"),
    ("2.5.4.65", "pseudonym"),
    ("2.5.4.72", "role"),
    ("2.5.4.97", "organizationIdentifier"),
    ("2.5.4.98", "c3"),
    ("2.5.4.99", "n3"),
    ("2.5.4.100", "dnsName"),
    ("0.9.2342.19200300.100.1.1", "UID"),
    ("0.9.2342.19200300.100.1.2", "textEncodedORAddress"),
    ("0.9.2342.19200300.100.1.3", "mail"),
    ("0.9.2342.19200300.100.1.4", "info"),
    ("0.9.2342.19200300.100.1.5", "favouriteDrink"),
    ("0.9.2342.19200300.100.1.6", "roomNumber"),
    ("0.9.2342.19200300.100.1.7", "photo"),
    ("0.9.2342.19200300.100.1.8", "userClass"),
    ("0.9.2342.19200300.100.1.9", "host"),
    ("0.9.2342.19200300.100.1.10", "manager"),
    ("0.9.2342.19200300.100.1.11", "documentIdentifier"),
    ("0.9.2342.19200300.100.1.12", "documentTitle"),
    ("0.9.2342.19200300.100.1.13", "documentVersion"),
    ("0.9.2342.19200300.100.1.14", "documentAuthor"),
    ("0.9.2342.19200300.100.1.15", "documentLocation"),
    ("0.9.2342.19200300.100.1.20", "homeTelephoneNumber"),
    ("0.9.2342.19200300.100.1.21", "secretary"),
    ("0.9.2342.19200300.100.1.22", "otherMailbox"),
    ("0.9.2342.19200300.100.1.23", "lastModifiedTime"),
    ("0.9.2342.19200300.100.1.24", "lastModifiedBy"),
    ("0.9.2342.19200300.100.1.25", "DC"),
    ("0.9.2342.19200300.100.1.26", "aRecord"),
    ("0.9.2342.19200300.100.1.27", "pilotAttributeType27"),
    ("0.9.2342.19200300.100.1.28", "mXRecord"),
    ("0.9.2342.19200300.100.1.29", "nSRecord"),
    ("0.9.2342.19200300.100.1.30", "sOARecord"),
    ("0.9.2342.19200300.100.1.31", "cNAMERecord"),
    ("0.9.2342.19200300.100.1.37", "associatedDomain"),
    ("0.9.2342.19200300.100.1.38", "associatedName"),
    ("0.9.2342.19200300.100.1.39", "homePostalAddress"),
    ("0.9.2342.19200300.100.1.40", "personalTitle"),
    ("0.9.2342.19200300.100.1.41", "mobileTelephoneNumber"),
    ("0.9.2342.19200300.100.1.42", "pagerTelephoneNumber"),
    ("0.9.2342.19200300.100.1.43", "friendlyCountryName"),
    ("0.9.2342.19200300.100.1.44", "uid"),
    ("0.9.2342.19200300.100.1.45", "organizationalStatus"),
    ("0.9.2342.19200300.100.1.46", "janetMailbox"),
    ("0.9.2342.19200300.100.1.47", "mailPreferenceOption"),
    ("0.9.2342.19200300.100.1.48", "buildingName"),
    ("0.9.2342.19200300.100.1.49", "dSAQuality"),
    ("0.9.2342.19200300.100.1.50", "singleLevelQuality"),
    ("0.9.2342.19200300.100.1.51", "subtreeMinimumQuality"),
    ("0.9.2342.19200300.100.1.52", "subtreeMaximumQuality"),
    ("0.9.2342.19200300.100.1.53", "personalSignature"),
    ("0.9.2342.19200300.100.1.54", "dITRedirect"),
    ("0.9.2342.19200300.100.1.55", "audio"),
    ("0.9.2342.19200300.100.1.56", "documentPublisher"),
    ("1.2.840.113549.1.9.1", "emailAddress"),
    ("1.2.840.113549.1.9.2", "unstructuredName"),
    ("1.2.840.113549.1.9.3", "contentType"),
    ("1.2.840.113549.1.9.4", "messageDigest"),
    ("1.2.840.113549.1.9.5", "signingTime"),
    ("1.2.840.113549.1.9.6", "countersignature"),
    ("1.2.840.113549.1.9.7", "challengePassword"),
    ("1.2.840.113549.1.9.8", "unstructuredAddress"),
    ("1.2.840.113549.1.9.9", "extendedCertificateAttributes"),
    ("1.2.840.113549.1.9.20", "friendlyName"),
    ("1.2.840.113549.1.9.21", "localKeyID"),
    ("1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL"),
    ("1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST"),
    ("1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"),
];

fn short_name(oid: &str) -> Option<&'static str> {
    SHORT_NAMES
        .iter()
        .find(|(known, _)| *known == oid)
        .map(|(_, short)| *short)
}

/// The characters OpenSSL's `do_print_ex` sees in a value, and whether it writes each as UTF-8
/// (ASN1_STRFLGS_UTF8_CONVERT) or as the byte itself. `None`: a type it dumps as DER. (OpenSSL 3
/// only loads certificates whose name values are one of these string types, UniversalString,
/// BIT STRING, SEQUENCE or a tag it has no name for, and only with valid UTF-8 and UTF-16 in them.)
fn characters(tag: Tag, bytes: &[u8]) -> Option<(Vec<u32>, bool)> {
    match tag {
        // Taken byte by byte, not decoded (which is also why it is not converted again).
        Tag::Utf8String => Some((bytes.iter().map(|&b| u32::from(b)).collect(), false)),
        // One byte per character, i.e. Latin-1, even where the type only allows ASCII.
        Tag::NumericString | Tag::PrintableString | Tag::TeletexString | Tag::Ia5String => {
            Some((bytes.iter().map(|&b| u32::from(b)).collect(), true))
        }
        Tag::BmpString if bytes.len() % 2 == 0 => Some((
            bytes
                .chunks(2)
                .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
                .collect(),
            true,
        )),
        // UniversalString (tag 28) would be here, but the `der` crate does not know the tag and
        // such certificates do not parse at all.
        _ => None,
    }
}

/// OpenSSL's `do_buf` and `do_esc_char` with ESC_2253 | ESC_CTRL | ESC_MSB.
fn push_escaped(out: &mut String, chars: &[u32], convert: bool) {
    for (i, &c) in chars.iter().enumerate() {
        // do_buf sets "first" and then replaces it with "last" when the string ends there, so a
        // lone `#` is not escaped while a lone space is.
        let last = i + 1 == chars.len();
        let first = i == 0 && !last;
        let mut buffer = [0u8; 4];
        let bytes: &[u8] = if convert {
            match char::from_u32(c) {
                Some(ch) => ch.encode_utf8(&mut buffer).as_bytes(),
                None => &[], // a surrogate: OpenSSL's UTF8_putc writes nothing either
            }
        } else {
            buffer[0] = c as u8;
            &buffer[..1]
        };
        for &byte in bytes {
            let special = matches!(byte, b',' | b'+' | b'"' | b'\\' | b'<' | b'>' | b';')
                || (first && (byte == b'#' || byte == b' '))
                || (last && byte == b' ');
            if special {
                out.push('\\');
                out.push(char::from(byte));
            } else if !(0x20..0x7f).contains(&byte) {
                push_hex_escape(out, byte);
            } else {
                out.push(char::from(byte));
            }
        }
    }
}

fn push_hex_escape(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('\\');
    out.push(char::from(HEX[usize::from(byte >> 4)]));
    out.push(char::from(HEX[usize::from(byte & 15)]));
}

/// `#` and the uppercase hex of the value's whole DER (tag, length, content): ASN1_STRFLGS_DUMP_DER.
fn push_der_dump(out: &mut String, der: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('#');
    for &byte in der {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 15)]));
    }
}
