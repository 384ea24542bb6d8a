//! RULE: what the rule being evaluated says about itself (`%{rule.msg}`, `%{rule.id}`), as
//! libmodsecurity offers it: id, rev, ver, severity, msg and logdata (the last two expanded).

use std::borrow::Cow;

use super::Visit;
use crate::engine::EvalContext;

pub fn each<'a>(ctx: &EvalContext<'a>, f: &mut Visit<'a, '_>) {
    let state: &'a crate::engine::TransactionState = ctx.state;
    let Some(rule) = state.current_rule() else {
        return;
    };
    let (id, metadata) = (&rule.id, &*rule.metadata);
    f(
        Cow::Borrowed(b"id"),
        Cow::Owned(id.to_string().into_bytes()),
    );
    if !metadata.rev.is_empty() {
        f(
            Cow::Borrowed(b"rev"),
            Cow::Borrowed(metadata.rev.as_bytes()),
        );
    }
    if !metadata.ver.is_empty() {
        f(
            Cow::Borrowed(b"ver"),
            Cow::Borrowed(metadata.ver.as_bytes()),
        );
    }
    if let Some(severity) = metadata.severity {
        f(
            Cow::Borrowed(b"severity"),
            Cow::Owned(severity.to_string().into_bytes()),
        );
    }
    // A msg or logdata that names RULE itself would expand forever: such parts expand to
    // nothing (`%{rule.msg}` inside msg is meaningless anyway).
    if let Some(msg) = &metadata.msg {
        if !msg.mentions("rule") {
            f(
                Cow::Borrowed(b"msg"),
                Cow::Owned(msg.expand(ctx).into_owned()),
            );
        }
    }
    if let Some(logdata) = &metadata.logdata {
        if !logdata.mentions("rule") {
            f(
                Cow::Borrowed(b"logdata"),
                Cow::Owned(logdata.expand(ctx).into_owned()),
            );
        }
    }
}
