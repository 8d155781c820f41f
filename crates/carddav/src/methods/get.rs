//! GET and HEAD of a card (vCard 3.0, or 4.0 when the `Accept` header asks for it); a
//! collection answers with a short text.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::book::{self, Names};
use crate::error::{DavError, DavResult};
use crate::paths::Target;
use crate::props;
use crate::Ctx;

pub async fn handle(ctx: &Ctx, _head: bool) -> DavResult<Response> {
    let Target::Card(_, _, name) = &ctx.target else {
        let mut r = (
            StatusCode::OK,
            "Rolo CardDAV: point an address book client at this server's /dav/ address.\n",
        )
            .into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        return Ok(r);
    };
    let store = ctx.store();
    let account = ctx.book();
    let (_, found_names, state) = book::lookup(store, account, name).await?;
    let item = state.filter(book::is_live).ok_or_else(DavError::not_found)?;
    let (names, members) = if book::is_group(&item) {
        (
            Names(store.dav_names(account).await?),
            Some(book::members(store, &ctx.state.members, account).await?),
        )
    } else {
        (found_names, None)
    };
    let etag = book::etag(&item, members.as_deref());
    if ctx.header(header::IF_NONE_MATCH).is_some_and(|h| crate::card::etag_matches(h, Some(&etag)))
    {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut().insert(
            header::ETAG,
            HeaderValue::from_str(&etag).map_err(|e| DavError::Internal(e.to_string()))?,
        );
        return Ok(r);
    }
    let version = props::version_of(ctx.header(header::ACCEPT));
    let text = book::render(
        &item,
        &names,
        members.as_deref(),
        version,
        ctx.state.config.max_resource_size,
    )
    .ok_or_else(DavError::not_found)?;
    let mut r = (StatusCode::OK, text).into_response();
    let h = r.headers_mut();
    let content_type = match version {
        interchange::vcard::VcardVersion::V4 => "text/vcard; charset=utf-8; version=4.0",
        interchange::vcard::VcardVersion::V3 => "text/vcard; charset=utf-8",
    };
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).map_err(|e| DavError::Internal(e.to_string()))?,
    );
    if let Ok(v) = HeaderValue::from_str(&props::http_date(book::updated_at(&item))) {
        h.insert(header::LAST_MODIFIED, v);
    }
    Ok(r)
}
