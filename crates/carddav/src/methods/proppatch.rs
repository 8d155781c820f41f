//! PROPPATCH (RFC 4918 §9.2): an address book's `displayname` and `addressbook-description` can
//! be set or removed by its owner. Other properties are refused (Rolo keeps no dead
//! properties); the update is all or nothing.

use axum::body::Body;
use axum::response::Response;

use crate::error::{DavError, DavResult};
use crate::paths::Target;
use crate::request::{parse_proppatch, PatchOp};
use crate::response::{Entry, Multistatus, Propstat, Value};
use crate::xml::Name;
use crate::{multistatus, read_xml, Ctx};

pub async fn handle(ctx: &Ctx, body: Body) -> DavResult<Response> {
    let text = read_xml(body).await?;
    let ops = parse_proppatch(&text).map_err(|e| DavError::bad_request(e.0))?;
    let is_book = matches!(ctx.target, Target::Book(..));
    let displayname = Name::dav("displayname");
    let description = Name::card("addressbook-description");
    let scope = ctx.book();
    if is_book && !scope.access().is_owner() {
        return Err(store::StoreError::NotOwner.into());
    }
    let book = if is_book { Some(ctx.store().book(scope).await?) } else { None };
    let mut ok = Vec::new();
    let mut refused = Vec::new();
    let mut new_name: Option<String> = None;
    let mut new_description: Option<String> = None;
    for op in &ops {
        match op {
            PatchOp::Set(n, v) if is_book && *n == displayname => {
                let v: String = v.trim().chars().filter(|c| !c.is_control()).take(100).collect();
                new_name = Some(if v.is_empty() { store::FIRST_BOOK_NAME.to_string() } else { v });
                ok.push((n.clone(), Value::Empty));
            }
            PatchOp::Remove(n) if is_book && *n == displayname => {
                new_name = Some(store::FIRST_BOOK_NAME.to_string());
                ok.push((n.clone(), Value::Empty));
            }
            PatchOp::Set(n, v) if is_book && *n == description => {
                new_description = Some(v.chars().take(1000).collect());
                ok.push((n.clone(), Value::Empty));
            }
            PatchOp::Remove(n) if is_book && *n == description => {
                new_description = Some(String::new());
                ok.push((n.clone(), Value::Empty));
            }
            PatchOp::Set(n, _) | PatchOp::Remove(n) => refused.push((n.clone(), Value::Empty)),
        }
    }
    let propstats = if refused.is_empty() {
        if let Some(book) = book.filter(|_| new_name.is_some() || new_description.is_some()) {
            let name = new_name.unwrap_or(book.name);
            let description = new_description.unwrap_or(book.description);
            ctx.store().update_book(scope, &name, &description).await?;
        }
        vec![Propstat { status: 200, props: ok }]
    } else {
        vec![Propstat { status: 403, props: refused }, Propstat { status: 424, props: ok }]
    };
    let mut ms = Multistatus::new();
    ms.push(&Entry::Props { href: ctx.target.href(), propstats });
    Ok(multistatus(ms.finish(None)))
}
