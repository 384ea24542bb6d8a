//! The file parts of a multipart body: FILES (part name -> file name as sent), FILES_NAMES
//! (part names), FILES_SIZES (part name -> size in bytes), FILES_COMBINED_SIZE (the sum; there
//! only when the body had a file, as in libmodsecurity), FILES_TMP_CONTENT (part name ->
//! content). FILES_TMPNAMES is always empty: this engine writes uploaded files nowhere.

use std::borrow::Cow;

use super::{Variable, Visit, NO_KEY};
use crate::engine::EvalContext;

pub fn each<'a>(variable: Variable, ctx: &EvalContext<'a>, f: &mut Visit<'a, '_>) {
    let Some(body) = &ctx.state.request_body else {
        return;
    };
    let Some(multipart) = &body.multipart else {
        return;
    };
    let files = &multipart.files;
    match variable {
        Variable::Files => files
            .iter()
            .for_each(|file| f(Cow::Borrowed(&file.name), Cow::Borrowed(&file.filename))),
        Variable::FilesNames => files
            .iter()
            .for_each(|file| f(Cow::Borrowed(&file.name), Cow::Borrowed(&file.name))),
        Variable::FilesSizes => files.iter().for_each(|file| {
            f(
                Cow::Borrowed(&file.name),
                Cow::Owned(file.content.len().to_string().into_bytes()),
            )
        }),
        Variable::FilesTmpContent => files.iter().for_each(|file| {
            f(
                Cow::Borrowed(&file.name),
                Cow::Borrowed(body.bytes.get(file.content.clone()).unwrap_or_default()),
            )
        }),
        Variable::FilesCombinedSize if !files.is_empty() => f(
            NO_KEY,
            Cow::Owned(multipart.combined_file_size().to_string().into_bytes()),
        ),
        Variable::FilesCombinedSize | Variable::FilesTmpNames => {}
        _ => unreachable!("dispatched by Variable::each"),
    }
}
