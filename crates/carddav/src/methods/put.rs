//! PUT of a vCard (3.0 or 4.0) into the address book: a new card or a new revision of one, with
//! `If-Match` / `If-None-Match` preconditions. The client's resource name and UID are kept (as
//! the card's CardDAV name when they are not the defaults); every property it sent is kept
//! (unknown ones as extra fields). Group cards (`KIND:group` or Apple's
//! `X-ADDRESSBOOKSERVER-KIND:group`) become Rolo groups, their members the group's contacts.

use std::collections::HashSet;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::{ContactId, GroupData, GroupId};
use store::{DavName, FeedItem, Write};
use uuid::Uuid;

use crate::book;
use crate::card;
use crate::error::{DavError, DavResult};
use crate::paths::Target;
use crate::read_body;
use crate::xml::Name;
use crate::Ctx;

/// Another write won the race between reading the card and writing it.
fn raced(e: store::StoreError) -> DavError {
    match e {
        store::StoreError::Conflict(_) | store::StoreError::Stale { .. } => {
            DavError::precondition_failed(
                "The card was changed elsewhere at the same moment; sync and try again.",
            )
        }
        other => other.into(),
    }
}

fn invalid(message: impl Into<String>) -> DavError {
    DavError::Condition(StatusCode::FORBIDDEN, Name::card("valid-address-data"), message.into())
}

fn uid_conflict(message: String) -> DavError {
    DavError::Condition(StatusCode::FORBIDDEN, Name::card("no-uid-conflict"), message)
}

/// The id for a new card with this UID, and its state if it ever existed: the UID's usual id
/// ([`card::id_for_uid`]), or, when a live card there has a UID that differs (in case, say),
/// the id of this exact UID. A live card with this very UID is a conflict.
async fn free_id(ctx: &Ctx, uid: &str) -> DavResult<(Uuid, Option<FeedItem>)> {
    let store = ctx.store();
    let account = ctx.book();
    let usual = card::id_for_uid(account.book().as_uuid(), uid);
    let exact = card::exact_id_for_uid(account.book().as_uuid(), uid);
    let mut states = book::states(store, account, &[usual, exact]).await?;
    let names = book::Names(store.dav_names_of(account, &[usual, exact]).await?);
    for id in [usual, exact] {
        let state = states.remove(&id);
        match state.as_ref().filter(|s| book::is_live(s)) {
            Some(live) if book::stored_uid(live, &names, &id) == uid => {
                let href = ctx.card_href(&names.href(&id));
                return Err(uid_conflict(format!(
                    "Another card of this address book has this UID: {href}"
                )));
            }
            Some(_) => continue,
            None => return Ok((id, state)),
        }
    }
    Err(uid_conflict("Another card of this address book has a UID like this one.".into()))
}

pub async fn handle(ctx: &Ctx, body: Body) -> DavResult<Response> {
    metrics::counter!("rolo_sync_items_total", "channel" => "carddav", "direction" => "upload")
        .increment(1);
    let Target::Card(_, _, name) = &ctx.target else {
        return Err(DavError::status(
            StatusCode::METHOD_NOT_ALLOWED,
            "PUT a vCard into the address book (…/contacts/<name>.vcf).",
        ));
    };
    let max = ctx.state.config.max_resource_size;
    if let Some(ct) = ctx.header(header::CONTENT_TYPE) {
        let mime = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        if !matches!(
            mime.as_str(),
            "text/vcard"
                | "text/x-vcard"
                | "text/directory"
                | "application/octet-stream"
                | "text/plain"
                | ""
        ) {
            return Err(DavError::Condition(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Name::card("supported-address-data"),
                format!("Send a vCard (text/vcard), not {mime}."),
            ));
        }
    }
    let bytes = read_body(body, max, || {
        DavError::Condition(
            StatusCode::PAYLOAD_TOO_LARGE,
            Name::card("max-resource-size"),
            format!("The card is larger than {} KiB; make its photo smaller.", max / 1024),
        )
    })
    .await?;
    let text = String::from_utf8(bytes).map_err(|_| invalid("The card is not UTF-8 text."))?;
    let mut cards = interchange::vcard::parse_vcards(&text);
    if cards.len() != 1 {
        return Err(invalid(format!(
            "Send exactly one vCard per resource (this body has {}).",
            cards.len()
        )));
    }
    let parsed = cards.remove(0).map_err(|e| invalid(e.reason))?;
    // RFC 6350: exactly one UID, kept as written (case-sensitive).
    let uid = match (parsed.uids, parsed.uid.clone()) {
        (1, Some(uid)) => uid,
        (0, _) | (1, None) => return Err(invalid("The card has no UID; give it one.")),
        (n, _) => return Err(invalid(format!("The card has {n} UIDs; a card has one."))),
    };

    let store = ctx.store();
    let account = ctx.book();
    let (existing_id, found_names, at_href) = book::lookup(store, account, name).await?;
    let live = at_href.as_ref().filter(|i| book::is_live(i));
    let members = match live {
        Some(i) if book::is_group(i) => {
            Some(book::members(store, &ctx.state.members, account).await?)
        }
        _ => None,
    };
    let current_etag = live.map(|i| book::etag(i, members.as_deref()));
    if let Some(h) = ctx.header(header::IF_MATCH) {
        if !card::etag_matches(h, current_etag.as_deref()) {
            return Err(DavError::precondition_failed(
                "The card changed on the server (If-Match); sync first.",
            ));
        }
    }
    if let Some(h) = ctx.header(header::IF_NONE_MATCH) {
        if (h.trim() == "*" && live.is_some()) || card::etag_matches(h, current_etag.as_deref()) {
            return Err(DavError::precondition_failed(
                "A card with this name exists already (If-None-Match).",
            ));
        }
    }

    // A card keeps its UID: a new one at the same name would leave the old one behind.
    if let (Some(id), Some(item)) = (existing_id, live) {
        let kept = book::stored_uid(item, &found_names, &id);
        if kept != uid {
            return Err(uid_conflict(format!(
                "This card's UID is {kept}; a card keeps its UID (delete it and create a new one)."
            )));
        }
    }
    let (id, state) = match existing_id {
        Some(id) => (id, at_href.clone()),
        None => free_id(ctx, &uid).await?,
    };
    let base = state.as_ref().map(book::revision);
    let origin = ctx.who.origin();

    // The client's href and UID are stored with the card (same transaction) when they change.
    let new_name = DavName { href: name.clone(), uid: Some(uid).filter(|u| *u != id.to_string()) };
    let old_name = match (existing_id, &state) {
        // Found by its name (or at its default name, which means it has none).
        (Some(_), _) => found_names.0.get(&id).cloned(),
        // A card never seen has no name.
        (None, None) => None,
        (None, Some(_)) => store.dav_names_of(account, &[id]).await?.remove(&id),
    };
    let is_default = new_name.href == card::default_href(&id) && new_name.uid.is_none();
    let rename = (old_name.as_ref() != Some(&new_name) && !(old_name.is_none() && is_default))
        .then_some(&new_name);

    let etag = match card::group_members(&parsed.data.extra) {
        None => {
            let mut data = parsed.data;
            // Membership is edited on the group cards; keep the contact's groups.
            data.groups = match &state {
                Some(FeedItem::Contact(c)) => {
                    c.data.as_ref().map(|d| d.groups.clone()).unwrap_or_default()
                }
                _ => Vec::new(),
            };
            let revision = store
                .put_contact_named(account, ContactId::from_uuid(id), base, &data, rename, origin)
                .await
                .map_err(raced)?;
            card::contact_etag(&id, revision)
        }
        Some(member_uids) => {
            // The group and its members' memberships are written in one transaction.
            let gd = GroupData::parse(&parsed.data.display_name).map_err(invalid)?;
            let gid = GroupId::from_uuid(id);
            let wanted: HashSet<ContactId> =
                card::member_ids(account.book().as_uuid(), &member_uids)
                    .into_iter()
                    .map(ContactId::from_uuid)
                    .collect();
            let (revision, members) = store
                .put_group_with_members(
                    account,
                    Write::group(gid, base, &gd).named(rename),
                    &wanted,
                    origin,
                )
                .await
                .map_err(raced)?;
            let members: Vec<Uuid> = members.iter().map(|m| *m.as_uuid()).collect();
            card::group_etag(&id, revision, &members)
        }
    };
    if let Some(d) = &ctx.who.device {
        store.record_sync(d.id, None, ctx.addr.map(|a| a.to_string()), 0, 1).await?;
    }

    let status = if live.is_some() { StatusCode::NO_CONTENT } else { StatusCode::CREATED };
    let mut r = status.into_response();
    r.headers_mut().insert(
        header::ETAG,
        HeaderValue::from_str(&etag).map_err(|e| DavError::Internal(e.to_string()))?,
    );
    Ok(r)
}
