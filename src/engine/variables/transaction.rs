//! Variables the transaction itself holds: TX (set by `setvar`, and TX:0-9 by `capture`), the
//! persistent collections it opened (IP, GLOBAL, SESSION, USER, RESOURCE),
//! MATCHED_VAR and MATCHED_VAR_NAME (the last value an operator matched), MATCHED_VARS and
//! MATCHED_VARS_NAMES (every value the previous chain link matched).

use std::borrow::Cow;

use super::{Variable, Visit};
use crate::engine::collections::Collection;
use crate::engine::EvalContext;

pub fn each(variable: Variable, ctx: &EvalContext, f: &mut Visit) {
    match variable {
        Variable::Tx => {
            for (name, value) in &ctx.state.tx {
                f(name.as_bytes(), Cow::Borrowed(value));
            }
        }
        Variable::Ip
        | Variable::Global
        | Variable::Session
        | Variable::User
        | Variable::Resource => {
            let collection = match variable {
                Variable::Ip => Collection::Ip,
                Variable::Global => Collection::Global,
                Variable::Session => Collection::Session,
                Variable::User => Collection::User,
                _ => Collection::Resource,
            };
            for (name, value) in ctx.state.persistent(collection) {
                f(name.as_bytes(), Cow::Owned(value));
            }
        }
        Variable::MatchedVar => f(b"", Cow::Borrowed(&ctx.state.matched_var)),
        Variable::MatchedVarName => f(b"", Cow::Borrowed(ctx.state.matched_var_name.as_bytes())),
        Variable::MatchedVars => {
            for (name, value) in &ctx.state.matched_vars {
                f(name.as_bytes(), Cow::Borrowed(value));
            }
        }
        Variable::MatchedVarsNames => {
            for (name, _) in &ctx.state.matched_vars {
                f(name.as_bytes(), Cow::Borrowed(name.as_bytes()));
            }
        }
        // Microseconds since the transaction began, as libmodsecurity counts.
        Variable::Duration => {
            let micros = ctx.state.started.map_or(0, |s| s.elapsed().as_micros());
            f(b"", Cow::Owned(micros.to_string().into_bytes()))
        }
        // Filled by @geoLookup, which has no database here (SecGeoLookupDb is not supported).
        Variable::Geo => {}
        _ => unreachable!("dispatched by Variable::each"),
    }
}
