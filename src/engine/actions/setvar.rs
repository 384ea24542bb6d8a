//! `setvar`: set (`tx.x=v`), add (`tx.x=+n`), subtract (`tx.x=-n`) or delete (`!tx.x`) a
//! transaction variable. Values may contain macros.

use crate::engine::macros::Macro;
use crate::engine::operators::numeric_value;
use crate::engine::{EvalContext, TransactionState};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetVar {
    Set { name: String, value: Macro },
    Add { name: String, value: Macro },
    Subtract { name: String, value: Macro },
    Delete { name: String },
}

impl SetVar {
    pub fn parse(text: &str) -> Result<SetVar, String> {
        let text = text.trim();
        if let Some(target) = text.strip_prefix('!') {
            return Ok(SetVar::Delete { name: tx_name(target)? });
        }
        let (target, value) = text.split_once('=').unwrap_or((text, "1"));
        let name = tx_name(target)?;
        Ok(if let Some(v) = value.strip_prefix('+') {
            SetVar::Add { name, value: Macro::parse(v)? }
        } else if let Some(v) = value.strip_prefix('-') {
            SetVar::Subtract { name, value: Macro::parse(v)? }
        } else {
            SetVar::Set { name, value: Macro::parse(value)? }
        })
    }

    /// The new value, computed while the request is still readable.
    pub fn evaluate(&self, ctx: &EvalContext) -> (String, Option<Vec<u8>>) {
        let current = |name: &str| ctx.state.tx.get(name).map(|v| numeric_value(v)).unwrap_or(0);
        match self {
            SetVar::Set { name, value } => (name.clone(), Some(value.expand(ctx))),
            SetVar::Add { name, value } => {
                let sum = current(name).saturating_add(numeric_value(&value.expand(ctx)));
                (name.clone(), Some(sum.to_string().into_bytes()))
            }
            SetVar::Subtract { name, value } => {
                let difference = current(name).saturating_sub(numeric_value(&value.expand(ctx)));
                (name.clone(), Some(difference.to_string().into_bytes()))
            }
            SetVar::Delete { name } => (name.clone(), None),
        }
    }
}

pub fn store(state: &mut TransactionState, (name, value): (String, Option<Vec<u8>>)) {
    match value {
        Some(value) => {
            state.tx.insert(name, value);
        }
        None => {
            state.tx.remove(&name);
        }
    }
}

fn tx_name(target: &str) -> Result<String, String> {
    let (collection, name) = target
        .split_once('.')
        .ok_or_else(|| format!("setvar \"{target}\": expected collection.name"))?;
    if !collection.eq_ignore_ascii_case("tx") {
        return Err(format!("setvar on collection \"{collection}\" is not supported yet (only tx)"));
    }
    Ok(name.to_ascii_lowercase())
}
