//! `setvar`: set (`tx.x=v`), add (`tx.x=+n`), subtract (`tx.x=-n`) or delete (`!tx.x`) a
//! variable of TX or of a persistent collection opened with `initcol`; `initcol` and
//! `expirevar` themselves. Values may contain macros.

use std::borrow::Cow;
use std::io::Write;

use crate::engine::collections::Collection;
use crate::engine::macros::Macro;
use crate::engine::operators::numeric_value;
use crate::engine::{EvalContext, TransactionState};

/// A variable of a collection, name in lower case. The name may hold macros
/// (`tx.multipart_headers_content_types_%{tx.counter}`), expanded when the action runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarRef {
    pub collection: Collection,
    pub name: String,
    template: Option<Macro>,
}

impl VarRef {
    /// The name for this request: the literal one, or the template expanded (lower case).
    pub fn resolve(&self, ctx: &EvalContext) -> VarRef {
        match &self.template {
            None => self.clone(),
            Some(template) => VarRef {
                collection: self.collection,
                name: self.name_for(template, ctx),
                template: None,
            },
        }
    }

    /// The name for this request, borrowed when it has no macro.
    fn resolved_name<'r>(&'r self, ctx: &EvalContext) -> Cow<'r, str> {
        match &self.template {
            None => Cow::Borrowed(&self.name),
            Some(template) => Cow::Owned(self.name_for(template, ctx)),
        }
    }

    fn name_for(&self, template: &Macro, ctx: &EvalContext) -> String {
        String::from_utf8_lossy(&template.expand(ctx)).to_ascii_lowercase()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetVar {
    Set { var: VarRef, value: Macro },
    Add { var: VarRef, value: Macro },
    Subtract { var: VarRef, value: Macro },
    Delete { var: VarRef },
}

/// The change a `setvar` makes, computed while the request is still readable. Names and values
/// written in the rule are borrowed from it: CRS runs setvars at every match.
pub struct Update<'r> {
    collection: Collection,
    name: Cow<'r, str>,
    value: Option<NewValue<'r>>,
}

enum NewValue<'r> {
    Bytes(Cow<'r, [u8]>),
    /// The result of `+n` or `-n`.
    Number(i64),
}

impl NewValue<'_> {
    fn write_into(&self, out: &mut Vec<u8>) {
        out.clear();
        match self {
            NewValue::Bytes(bytes) => out.extend_from_slice(bytes),
            NewValue::Number(number) => {
                let _ = write!(out, "{number}");
            }
        }
    }
}

impl SetVar {
    pub fn parse(text: &str) -> Result<SetVar, String> {
        let text = text.trim();
        if let Some(target) = text.strip_prefix('!') {
            return Ok(SetVar::Delete {
                var: var_ref(target)?,
            });
        }
        let (target, value) = text.split_once('=').unwrap_or((text, "1"));
        let var = var_ref(target)?;
        Ok(if let Some(v) = value.strip_prefix('+') {
            SetVar::Add {
                var,
                value: Macro::parse(v)?,
            }
        } else if let Some(v) = value.strip_prefix('-') {
            SetVar::Subtract {
                var,
                value: Macro::parse(v)?,
            }
        } else {
            SetVar::Set {
                var,
                value: Macro::parse(value)?,
            }
        })
    }

    pub fn evaluate<'r>(&'r self, ctx: &EvalContext) -> Update<'r> {
        let update = |var: &'r VarRef, value| Update {
            collection: var.collection,
            name: var.resolved_name(ctx),
            value,
        };
        let number = |var: &'r VarRef, value: &Macro, sign: i64| {
            let mut update = update(var, None);
            let current = ctx
                .state
                .numeric(update.collection, &update.name)
                .unwrap_or(0);
            let operand = numeric_value(&value.expand(ctx));
            let result = match sign {
                1 => current.saturating_add(operand),
                _ => current.saturating_sub(operand),
            };
            update.value = Some(NewValue::Number(result));
            update
        };
        match self {
            SetVar::Set { var, value } => {
                let bytes = match value.literal() {
                    Some(text) => Cow::Borrowed(text.as_bytes()),
                    None => Cow::Owned(value.expand(ctx).into_owned()),
                };
                update(var, Some(NewValue::Bytes(bytes)))
            }
            SetVar::Add { var, value } => number(var, value, 1),
            SetVar::Subtract { var, value } => number(var, value, -1),
            SetVar::Delete { var } => update(var, None),
        }
    }
}

pub fn store(state: &mut TransactionState, update: Update) {
    let name = &update.name;
    match &update.value {
        Some(value) => state.set_with(update.collection, name, |out| value.write_into(out)),
        None => state.set(update.collection, name, None),
    }
}

/// `initcol:ip=%{REMOTE_ADDR}`: opens a persistent collection under a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitCol {
    pub collection: Collection,
    pub key: Macro,
}

impl InitCol {
    pub fn parse(text: &str) -> Result<InitCol, String> {
        let (name, key) = text
            .split_once('=')
            .ok_or_else(|| format!("initcol:{text}: expected collection=key"))?;
        let collection = Collection::from_name(name.trim())?;
        if collection == Collection::Tx {
            return Err("initcol: TX is not a persistent collection".into());
        }
        Ok(InitCol {
            collection,
            key: Macro::parse(key.trim())?,
        })
    }
}

/// `expirevar:ip.blocked=60`: the variable disappears that many seconds from now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpireVar {
    pub var: VarRef,
    pub seconds: Macro,
}

impl ExpireVar {
    pub fn parse(text: &str) -> Result<ExpireVar, String> {
        let (target, seconds) = text
            .split_once('=')
            .ok_or_else(|| format!("expirevar:{text}: expected collection.name=seconds"))?;
        let var = var_ref(target)?;
        if var.collection == Collection::Tx {
            return Err("expirevar: TX variables end with the transaction".into());
        }
        Ok(ExpireVar {
            var,
            seconds: Macro::parse(seconds.trim())?,
        })
    }
}

fn var_ref(target: &str) -> Result<VarRef, String> {
    let target = target.trim().trim_matches('\'');
    let (collection, name) = target
        .split_once('.')
        .ok_or_else(|| format!("\"{target}\": expected collection.name"))?;
    let template = if name.contains("%{") {
        Some(Macro::parse(name)?)
    } else {
        None
    };
    Ok(VarRef {
        collection: Collection::from_name(collection)?,
        name: name.to_ascii_lowercase(),
        template,
    })
}
