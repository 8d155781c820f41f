//! PROPPATCH (RFC 4918 §9.2): the address book's `displayname` can be set or removed. Other
//! properties are refused (Rolo keeps no dead properties); the update is all or nothing.

use axum::body::Body;
use axum::response::Response;

use crate::book;
use crate::error::{DavError, DavResult};
use crate::paths::Target;
use crate::request::{parse_proppatch, PatchOp};
use crate::response::{Entry, Multistatus, Propstat, Value};
use crate::xml::Name;
use crate::{multistatus, read_xml, Ctx};

/// The longest address book name kept.
const MAX_NAME: usize = 200;

pub async fn handle(ctx: &Ctx, body: Body) -> DavResult<Response> {
    let text = read_xml(body).await?;
    let ops = parse_proppatch(&text).map_err(|e| DavError::bad_request(e.0))?;
    let is_book = matches!(ctx.target, Target::Book(_));
    let displayname = Name::dav("displayname");
    let mut ok = Vec::new();
    let mut refused = Vec::new();
    let mut new_name: Option<String> = None;
    for op in &ops {
        match op {
            PatchOp::Set(n, v) if is_book && *n == displayname => {
                let v: String =
                    v.trim().chars().filter(|c| !c.is_control()).take(MAX_NAME).collect();
                new_name = Some(if v.is_empty() { book::DEFAULT_BOOK_NAME.to_string() } else { v });
                ok.push((n.clone(), Value::Empty));
            }
            PatchOp::Remove(n) if is_book && *n == displayname => {
                new_name = Some(book::DEFAULT_BOOK_NAME.to_string());
                ok.push((n.clone(), Value::Empty));
            }
            PatchOp::Set(n, _) | PatchOp::Remove(n) => refused.push((n.clone(), Value::Empty)),
        }
    }
    let propstats = if refused.is_empty() {
        if let Some(name) = new_name {
            book::set_book_name(ctx.store(), ctx.account(), &name).await?;
        }
        vec![Propstat { status: 200, props: ok }]
    } else {
        vec![Propstat { status: 403, props: refused }, Propstat { status: 424, props: ok }]
    };
    let mut ms = Multistatus::new();
    ms.push(&Entry::Props { href: ctx.target.href(), propstats });
    Ok(multistatus(ms.finish(None)))
}
