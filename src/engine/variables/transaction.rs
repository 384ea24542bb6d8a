//! Variables the transaction itself holds: TX (set by `setvar`, and TX:0-9 by `capture`), the
//! persistent collections it opened (IP, GLOBAL, SESSION, USER, RESOURCE),
//! MATCHED_VAR and MATCHED_VAR_NAME (the last value an operator matched), MATCHED_VARS and
//! MATCHED_VARS_NAMES (every value the previous chain link matched).

use std::borrow::Cow;

use super::{Variable, Visit, NO_KEY};
use crate::engine::collections::Collection;
use crate::engine::EvalContext;

pub fn each<'a>(variable: Variable, ctx: &EvalContext<'a>, f: &mut Visit<'a, '_>) {
    match variable {
        Variable::Tx => {
            for (name, value) in &ctx.state.tx {
                f(Cow::Borrowed(name.as_bytes()), Cow::Borrowed(value));
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
                f(Cow::Owned(name.into_bytes()), Cow::Owned(value));
            }
        }
        Variable::MatchedVar => f(NO_KEY, Cow::Borrowed(&ctx.state.matched_var)),
        Variable::MatchedVarName => f(NO_KEY, Cow::Borrowed(ctx.state.matched_var_name.as_bytes())),
        Variable::MatchedVars => {
            for (name, value) in ctx.state.matched_vars.iter() {
                f(Cow::Borrowed(name.as_bytes()), Cow::Borrowed(value));
            }
        }
        Variable::MatchedVarsNames => {
            for (name, _) in ctx.state.matched_vars.iter() {
                f(
                    Cow::Borrowed(name.as_bytes()),
                    Cow::Borrowed(name.as_bytes()),
                );
            }
        }
        // Microseconds since the transaction began, as libmodsecurity counts.
        Variable::Duration => {
            let micros = ctx.state.started.map_or(0, |s| s.elapsed().as_micros());
            f(NO_KEY, Cow::Owned(micros.to_string().into_bytes()))
        }
        // Filled by @geoLookup, which has no database here (SecGeoLookupDb is not supported).
        Variable::Geo => {}
        _ => unreachable!("dispatched by Variable::each"),
    }
}
