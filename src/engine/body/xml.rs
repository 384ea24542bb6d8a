//! The XML body processor, for the two XPath forms CRS uses: `XML:/*` (the text of the whole
//! document, as libxml2 gives the root element's content) and `XML://@*` (every attribute
//! value). roxmltree never fetches external entities and bounds entity expansion, so a request
//! body cannot make the worker read files or explode in memory.

/// What rules can read of a parsed XML body.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct XmlBody {
    /// `XML:/*`: all text and CDATA under the root element, in document order.
    pub text: Vec<u8>,
    /// `XML://@*`: every attribute value, in document order.
    pub attributes: Vec<Vec<u8>>,
}

/// The XPath expressions `XML:` accepts.
pub const TEXT: &str = "/*";
pub const ATTRIBUTES: &str = "//@*";

/// At most this many nodes per document: the body limit already bounds the size, this bounds
/// the tree built from it.
const NODES_LIMIT: u32 = 1_000_000;

pub fn parse(body: &[u8]) -> Result<XmlBody, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("not UTF-8 ({e})"))?;
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        nodes_limit: NODES_LIMIT,
        ..Default::default()
    };
    let document =
        roxmltree::Document::parse_with_options(text, options).map_err(|e| e.to_string())?;
    let mut out = XmlBody::default();
    for node in document.root_element().descendants() {
        if node.is_text() {
            out.text
                .extend_from_slice(node.text().unwrap_or_default().as_bytes());
        }
        if node.is_element() {
            out.attributes
                .extend(node.attributes().map(|a| a.value().as_bytes().to_vec()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes() {
        let xml = parse(br#"<?xml version="1.0"?><a x="1"><b y='2'>hello <![CDATA[<cdata>]]></b><c>world</c></a>"#).unwrap();
        assert_eq!(xml.text, b"hello <cdata>world");
        assert_eq!(xml.attributes, vec![b"1".to_vec(), b"2".to_vec()]);
        let with_entity = parse(br#"<!DOCTYPE a [<!ENTITY e "expanded">]><a>&e;</a>"#).unwrap();
        assert_eq!(with_entity.text, b"expanded");
    }

    #[test]
    fn malformed_and_hostile_xml_are_errors() {
        let bad: [&[u8]; 6] = [
            b"",
            b"<a>",
            b"<a></b>",
            b"not xml",
            b"<a>\xff</a>",
            br#"<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>"#,
        ];
        for body in bad {
            assert!(parse(body).is_err(), "{:?}", String::from_utf8_lossy(body));
        }
        let laughs = br#"<!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]><a>&h;</a>"#;
        assert!(parse(laughs).is_err());
        let deep = "<a>".repeat(100_000);
        assert!(parse(deep.as_bytes()).is_err());
        // Deep but well-formed: parsed without recursion (the test thread's stack is small).
        let nested = format!("{}x{}", "<a>".repeat(50_000), "</a>".repeat(50_000));
        assert_eq!(parse(nested.as_bytes()).unwrap().text, b"x");
    }
}
