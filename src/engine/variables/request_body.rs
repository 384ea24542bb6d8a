//! REQUEST_BODY, REQUEST_BODY_LENGTH and the body processor's REQBODY_PROCESSOR, REQBODY_ERROR
//! (0 or 1) and REQBODY_ERROR_MSG: absent before the body was read, and when
//! `SecRequestBodyAccess` is Off. XML: `XML:/*` (the document's text) and `XML://@*` (its
//! attribute values) of an XML body.

use std::borrow::Cow;

use super::{Variable, Visit, NO_KEY};
use crate::engine::body::xml;
use crate::engine::EvalContext;

pub fn each<'a>(variable: Variable, ctx: &EvalContext<'a>, f: &mut Visit<'a, '_>) {
    let Some(body) = &ctx.state.request_body else {
        // Which processor will read the body is known from the headers (or a ctl) already in
        // phase 1, as in libmodsecurity (CRS 920400 asks in phase 1).
        if variable == Variable::ReqbodyProcessor {
            let mut processor = ctx.state.body_processor_override;
            if processor.is_none() {
                let mut seen = false;
                ctx.request.for_each_header(&mut |name, value| {
                    if !seen && name.eq_ignore_ascii_case(b"content-type") {
                        seen = true;
                        processor = crate::engine::body_processor_for(value);
                    }
                });
            }
            if let Some(processor) = processor {
                f(NO_KEY, Cow::Borrowed(processor.name().as_bytes()));
            }
        }
        return;
    };
    match variable {
        Variable::RequestBody if body.raw_visible => f(NO_KEY, Cow::Borrowed(&body.bytes)),
        Variable::RequestBody => {}
        Variable::Xml => {
            if let Some(xml) = &body.xml {
                f(
                    Cow::Borrowed(xml::TEXT.as_bytes()),
                    Cow::Borrowed(&xml.text),
                );
                for value in &xml.attributes {
                    f(
                        Cow::Borrowed(xml::ATTRIBUTES.as_bytes()),
                        Cow::Borrowed(value),
                    );
                }
            }
        }
        Variable::RequestBodyLength => f(
            NO_KEY,
            Cow::Owned(body.bytes.len().to_string().into_bytes()),
        ),
        Variable::ReqbodyProcessor => {
            if let Some(processor) = body.processor {
                f(NO_KEY, Cow::Borrowed(processor.name().as_bytes()));
            }
        }
        Variable::ReqbodyError => f(
            NO_KEY,
            Cow::Borrowed(if body.error.is_some() { b"1" } else { b"0" }),
        ),
        Variable::ReqbodyErrorMsg => f(
            NO_KEY,
            Cow::Borrowed(body.error.as_deref().unwrap_or("").as_bytes()),
        ),
        _ => unreachable!("dispatched by Variable::each"),
    }
}
