//! DELETE of a card (with `If-Match`): a contact becomes a tombstone; a group is deleted after
//! its contacts leave it (the contacts stay). DELETE of an address book puts it in its owner's
//! trash (not the first one).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::{ContactId, GroupId};

use crate::book;
use crate::card;
use crate::error::{DavError, DavResult};
use crate::paths::Target;
use crate::Ctx;

pub async fn handle(ctx: &Ctx) -> DavResult<Response> {
    metrics::counter!("rolo_sync_items_total", "channel" => "carddav", "direction" => "upload")
        .increment(1);
    let name =
        match &ctx.target {
            Target::Card(_, _, name) => name,
            Target::Book(..) => return crate::collection::delete(ctx).await,
            _ => return Err(DavError::status(
                StatusCode::FORBIDDEN,
                "This collection cannot be deleted; delete address books or their cards instead.",
            )),
        };
    let store = ctx.store();
    let account = ctx.book();
    let (_, _, state) = book::lookup(store, account, name).await?;
    let item = state.filter(book::is_live).ok_or_else(DavError::not_found)?;
    let id = item.id();
    if let Some(h) = ctx.header(header::IF_MATCH) {
        let members = if book::is_group(&item) {
            Some(book::members(store, &ctx.state.members, account).await?)
        } else {
            None
        };
        if !card::etag_matches(h, Some(&book::etag(&item, members.as_deref()))) {
            return Err(DavError::precondition_failed(
                "The card changed on the server (If-Match); sync first.",
            ));
        }
    }
    let origin = ctx.who.origin();
    let revision = book::revision(&item);
    if book::is_group(&item) {
        store.delete_group(account, GroupId::from_uuid(id), revision, origin).await?;
    } else {
        store.delete_contact(account, ContactId::from_uuid(id), revision, origin).await?;
    }
    if let Some(d) = &ctx.who.device {
        store.record_sync(d.id, None, ctx.addr.map(|a| a.to_string()), 0, 1).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
