//! SSL_CLIENT_*: the client certificate nginx verified. Certificate values are empty (not absent)
//! when there is no verified certificate, so a negated rule such as
//! `SSL_CLIENT_S_DN "!@rx O=General Hospital"` also denies clients without one.

use std::borrow::Cow;

use super::{Variable, Visit, NO_KEY};
use crate::engine::EvalContext;

pub fn each<'a>(variable: Variable, ctx: &EvalContext<'a>, f: &mut Visit<'a, '_>) {
    let request = ctx.request;
    if variable == Variable::SslClientVerify {
        return f(NO_KEY, Cow::Borrowed(request.ssl_client_verify()));
    }
    let certificate = request.ssl_client_certificate();
    if variable == Variable::SslClientSan {
        for san in certificate
            .map(|c| c.subject_alt_names.as_slice())
            .unwrap_or_default()
        {
            f(
                Cow::Borrowed(san.kind().as_bytes()),
                Cow::Owned(san.value().into_bytes()),
            );
        }
        return;
    }
    let value = certificate.map_or("", |c| match variable {
        Variable::SslClientFingerprint => c.sha1_hex.as_str(),
        Variable::SslClientSDn => c.subject_dn.as_str(),
        Variable::SslClientIDn => c.issuer_dn.as_str(),
        Variable::SslClientSerial => c.serial_hex.as_str(),
        _ => unreachable!("dispatched by Variable::each"),
    });
    f(NO_KEY, Cow::Borrowed(value.as_bytes()));
}
