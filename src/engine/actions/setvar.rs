//! `setvar`: set (`tx.x=v`), add (`tx.x=+n`), subtract (`tx.x=-n`) or delete (`!tx.x`) a
//! variable of TX or of a persistent collection opened with `initcol`; `initcol` and
//! `expirevar` themselves. Values may contain macros.

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
                name: String::from_utf8_lossy(&template.expand(ctx)).to_ascii_lowercase(),
                template: None,
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetVar {
    Set { var: VarRef, value: Macro },
    Add { var: VarRef, value: Macro },
    Subtract { var: VarRef, value: Macro },
    Delete { var: VarRef },
}

/// The change a `setvar` makes, computed while the request is still readable.
pub struct Update {
    var: VarRef,
    value: Option<Vec<u8>>,
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

    pub fn evaluate(&self, ctx: &EvalContext) -> Update {
        let current = |var: &VarRef| {
            ctx.state
                .get(var.collection, &var.name)
                .map(|v| numeric_value(&v))
                .unwrap_or(0)
        };
        match self {
            SetVar::Set { var, value } => Update {
                var: var.resolve(ctx),
                value: Some(value.expand(ctx)),
            },
            SetVar::Add { var, value } => {
                let var = var.resolve(ctx);
                let sum = current(&var).saturating_add(numeric_value(&value.expand(ctx)));
                Update {
                    var,
                    value: Some(sum.to_string().into_bytes()),
                }
            }
            SetVar::Subtract { var, value } => {
                let var = var.resolve(ctx);
                let difference = current(&var).saturating_sub(numeric_value(&value.expand(ctx)));
                Update {
                    var,
                    value: Some(difference.to_string().into_bytes()),
                }
            }
            SetVar::Delete { var } => Update {
                var: var.resolve(ctx),
                value: None,
            },
        }
    }
}

pub fn store(state: &mut TransactionState, update: Update) {
    state.set(update.var.collection, &update.var.name, update.value);
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
