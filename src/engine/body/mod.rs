//! Request body processors: turn a body into arguments (ARGS_POST) the way libmodsecurity's
//! processors name them, or report why they could not (REQBODY_ERROR).

pub mod json;
pub mod multipart;
pub mod xml;

/// (name, value) pairs, as ARGS hold them.
pub type Arguments = Vec<(Vec<u8>, Vec<u8>)>;

/// `ctl:requestBodyProcessor` / the body's Content-Type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Processor {
    Urlencoded,
    Json,
    Xml,
    Multipart,
}

impl Processor {
    /// REQBODY_PROCESSOR's value.
    pub fn name(&self) -> &'static str {
        match self {
            Processor::Urlencoded => "URLENCODED",
            Processor::Json => "JSON",
            Processor::Xml => "XML",
            Processor::Multipart => "MULTIPART",
        }
    }
}
