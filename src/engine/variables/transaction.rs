//! Variables the transaction itself holds: TX (set by `setvar`, and TX:0-9 by `capture`),
//! MATCHED_VAR and MATCHED_VAR_NAME (the last value an operator matched), MATCHED_VARS and
//! MATCHED_VARS_NAMES (every value the previous chain link matched).

use std::borrow::Cow;

use super::{Variable, Visit};
use crate::engine::EvalContext;

pub fn each(variable: Variable, ctx: &EvalContext, f: &mut Visit) {
    match variable {
        Variable::Tx => {
            for (name, value) in &ctx.state.tx {
                f(name.as_bytes(), Cow::Borrowed(value));
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
        _ => unreachable!("dispatched by Variable::each"),
    }
}
