//! REPORT on the address book: `addressbook-multiget`, `addressbook-query` (RFC 6352 §8.6–8.7)
//! and `sync-collection` (RFC 6578).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use interchange::vcard::VcardVersion;
use store::{EntityKind, FeedItem, Head, Since, StoreError};
use uuid::Uuid;

use crate::book::{self, Members, Names};
use crate::cache::CachedCard;
use crate::error::{DavError, DavResult};
use crate::filter;
use crate::methods::propfind::{
    card_entry, card_entry_at, card_propstats, members_if_group_rows, members_if_groups, row_entry,
    Wanted,
};
use crate::paths::{self, Target};
use crate::props::{self, parse_sync_token, sync_token, CardInfo};
use crate::request::{parse_report, Filter, PropSelection, Report};
use crate::response::{Entry, Multistatus};
use crate::xml::Name;
use crate::{multistatus, read_xml, Ctx};

/// Above this many cards, all names are read at once rather than by id.
const NAMES_AT_ONCE: usize = 500;

pub async fn handle(ctx: &Ctx, body: Body) -> DavResult<Response> {
    let text = read_xml(body).await?;
    let report = parse_report(&text).map_err(|e| {
        if e.0.starts_with("unsupported report") {
            DavError::Condition(StatusCode::FORBIDDEN, Name::dav("supported-report"), e.0)
        } else {
            DavError::bad_request(e.0)
        }
    })?;
    let select = match &report {
        Report::Multiget { select, .. }
        | Report::Query { select, .. }
        | Report::SyncCollection { select, .. } => select,
    };
    if let Some(a) = &select.address_data {
        let type_ok =
            a.content_type.as_deref().is_none_or(|t| t.eq_ignore_ascii_case("text/vcard"));
        let version_ok = a.version.as_deref().is_none_or(|v| matches!(v.trim(), "3.0" | "4.0"));
        if !(type_ok && version_ok) {
            return Err(DavError::Condition(
                StatusCode::FORBIDDEN,
                Name::card("supported-address-data"),
                "Cards are served as text/vcard, version 3.0 or 4.0.".into(),
            ));
        }
    }
    // A query on a card asks whether that card matches (Depth 0 on the resource itself).
    let answered = match ctx.target {
        Target::Book(..) => true,
        Target::Card(..) => matches!(report, Report::Query { .. }),
        _ => false,
    };
    if !answered {
        return Err(DavError::Condition(
            StatusCode::FORBIDDEN,
            Name::dav("supported-report"),
            "Reports are answered on the address book (…/contacts/).".into(),
        ));
    }
    match report {
        Report::Multiget { select, hrefs } => {
            metrics::counter!("rolo_sync_items_total", "channel" => "carddav", "direction" => "download")
                .increment(hrefs.len() as u64);
            multiget(ctx, &select, &hrefs).await
        }
        Report::Query { select, filter, limit } => query(ctx, &select, &filter, limit).await,
        Report::SyncCollection { token, level, limit, select } => {
            metrics::counter!("rolo_syncs_total", "channel" => "carddav", "direction" => "download")
                .increment(1);
            sync_collection(ctx, &token, &level, limit, &select).await
        }
    }
}

fn version(select: &PropSelection) -> VcardVersion {
    props::version_of(select.address_data.as_ref().and_then(|a| a.version.as_deref()))
}

async fn multiget(ctx: &Ctx, select: &PropSelection, hrefs: &[String]) -> DavResult<Response> {
    let store = ctx.store();
    let account = ctx.book();
    // The resource name of each href in this address book.
    let wanted: Vec<Option<String>> = hrefs
        .iter()
        .map(|h| match paths::parse(h) {
            Some(Target::Card(user, b, name))
                if user == ctx.user() && Some(b.as_str()) == ctx.target.book() =>
            {
                Some(name)
            }
            _ => None,
        })
        .collect();
    let v = version(select);
    let w = Wanted::Names(&select.props);
    // Cards served before and unchanged since come from memory; the others from the store.
    let cache = &ctx.state.cards;
    let seq = cache.validate(store, account).await?;
    let asked: Vec<&str> = wanted.iter().flatten().map(String::as_str).collect();
    let mut kept = cache.get(account, seq, &asked, v);
    if kept.iter().any(Option::is_none) {
        // A first sync's warm-up may be writing them right now.
        let missed: Vec<&str> =
            asked.iter().zip(&kept).filter(|(_, k)| k.is_none()).map(|(n, _)| *n).collect();
        cache.wait_for_warm_up(account, &missed, v).await;
        let mut again = cache.get(account, seq, &missed, v).into_iter();
        for k in kept.iter_mut().filter(|k| k.is_none()) {
            *k = again.next().flatten();
        }
    }
    let mut kept = kept.into_iter();
    let hits: Vec<Option<Arc<CachedCard>>> =
        wanted.iter().map(|n| n.as_ref().and_then(|_| kept.next().flatten())).collect();
    let refs: Vec<&str> = wanted
        .iter()
        .zip(&hits)
        .filter(|(_, hit)| hit.is_none())
        .filter_map(|(n, _)| n.as_deref())
        .collect();
    let resolved = store.dav_resolve(account, &refs, true).await?;
    let (ids, states, found_names) = (resolved.ids, resolved.states, Names(resolved.names));
    let live: Vec<&FeedItem> = states.values().filter(|i| book::is_live(i)).collect();
    let members = members_if_groups(ctx, &live).await?;
    // Group cards name their members by UID: then every name is needed.
    let card_names =
        if members.is_some() { Names(store.dav_names(account).await?) } else { found_names };
    enum Found<'a> {
        Kept(&'a CachedCard),
        Read(&'a FeedItem),
        Missing,
    }
    let found: Vec<(&String, Found)> = hrefs
        .iter()
        .zip(&wanted)
        .zip(&hits)
        .map(|((href, name), hit)| {
            let found = match hit {
                Some(c) => Found::Kept(c),
                None => match name
                    .as_ref()
                    .and_then(|n| ids.get(n))
                    .and_then(|id| states.get(id))
                    .filter(|i| book::is_live(i))
                {
                    Some(item) => Found::Read(item),
                    None => Found::Missing,
                },
            };
            (href, found)
        })
        .collect();
    let max = ctx.state.config.max_resource_size;
    // Writing the cards read is most of the work: on two threads (kept ones are ready).
    let write = |(href, found): &(&String, Found)| match found {
        Found::Kept(c) => (kept_entry(ctx, href, c, &w), None),
        // Contact cards are kept for the next time (group cards depend on other cards).
        Found::Read(item) if w.needs_text() && !book::is_group(item) => {
            let id = item.id();
            let Some(text) = book::render(item, &card_names, None, v, max) else {
                return (Entry::Status { href: (*href).clone(), status: 404 }, None);
            };
            let card = CachedCard {
                name: card_names.href(&id),
                etag: book::etag(item, None),
                last_modified: book::updated_at(item),
                text,
            };
            (kept_entry(ctx, href, &card, &w), Some((id, card)))
        }
        Found::Read(item) => {
            (card_entry_at(ctx, Some(href), item, &card_names, members.as_deref(), &w, v), None)
        }
        Found::Missing => (Entry::Status { href: (*href).clone(), status: 404 }, None),
    };
    let entries = if hits.iter().all(Option::is_some) {
        found.iter().map(write).collect()
    } else {
        store::par_map(&found, write)
    };
    let mut ms = Multistatus::with_capacity(hrefs.len());
    let mut read = Vec::new();
    for (e, card) in entries {
        ms.push(&e);
        read.extend(card);
    }
    cache.put(account, seq, v, read);
    Ok(multistatus(ms.finish(None)))
}

/// The multistatus entry of a card as served before, under the href the client wrote.
fn kept_entry(ctx: &Ctx, href: &str, card: &CachedCard, wanted: &Wanted<'_>) -> Entry {
    let info = CardInfo {
        user: ctx.user(),
        access: ctx.book().access(),
        etag: card.etag.clone(),
        last_modified: card.last_modified,
        text: Some(&card.text),
    };
    Entry::Props { href: href.to_string(), propstats: card_propstats(ctx, wanted, &info) }
}

async fn query(
    ctx: &Ctx,
    select: &PropSelection,
    filter: &Filter,
    limit: Option<u64>,
) -> DavResult<Response> {
    let store = ctx.store();
    let account = ctx.book();
    let items = book::all_live(store, account).await?;
    let names = Names(store.dav_names(account).await?);
    // On a card's URL, only that card.
    let only: Option<uuid::Uuid> = match &ctx.target {
        Target::Card(_, _, name) => {
            let (id, _, _) = book::lookup(store, account, name).await?;
            Some(id.ok_or_else(DavError::not_found)?)
        }
        _ => None,
    };
    let mut hits: Vec<&FeedItem> = items
        .iter()
        .filter(|item| only.is_none_or(|o| item.id() == o))
        .filter(|item| {
            let id = item.id();
            let uid = names.uid(&id);
            match item {
                FeedItem::Contact(c) => c
                    .data
                    .as_ref()
                    .is_some_and(|d| filter::matches(filter, &filter::contact_props(d, &uid))),
                FeedItem::Group(g) => g
                    .data
                    .as_ref()
                    .is_some_and(|d| filter::matches(filter, &filter::group_props(d.name(), &uid))),
            }
        })
        .collect();
    let truncated = limit.is_some_and(|l| hits.len() as u64 > l);
    if let Some(l) = limit {
        hits.truncate(usize::try_from(l).unwrap_or(usize::MAX));
    }
    let members = members_if_groups(ctx, &hits).await?;
    let v = version(select);
    let w = Wanted::Names(&select.props);
    let mut ms = Multistatus::with_capacity(hits.len());
    for item in hits {
        ms.push(&card_entry(ctx, item, &names, members.as_deref(), &w, v));
    }
    if truncated {
        ms.push(&Entry::Truncated { href: ctx.target.href() });
    }
    Ok(multistatus(ms.finish(None)))
}

fn invalid_token() -> DavError {
    DavError::Condition(
        StatusCode::FORBIDDEN,
        Name::dav("valid-sync-token"),
        "The sync token is unknown or too old: sync again from the start.".into(),
    )
}

async fn sync_collection(
    ctx: &Ctx,
    token: &str,
    level: &str,
    limit: Option<u64>,
    select: &PropSelection,
) -> DavResult<Response> {
    if !matches!(level, "1" | "infinite" | "infinity") {
        return Err(DavError::bad_request(format!(
            "sync-level must be 1 or infinite, not {level:?}"
        )));
    }
    let store = ctx.store();
    let account = ctx.book();
    let since = if token.is_empty() {
        Since::Start
    } else {
        Since::After(parse_sync_token(token).ok_or_else(invalid_token)?)
    };
    let initial = since == Since::Start;
    // Rows are read without decrypting anything; only cards whose text is asked for are opened.
    // On an incremental sync, contact changes can change groups' members (their cards): the
    // groups are then reported too, within the limit.
    let groups: Vec<Head> = if initial { Vec::new() } else { store.group_heads(account).await? };
    let page = limit
        .map(|l| usize::try_from(l).unwrap_or(usize::MAX).saturating_sub(groups.len()).max(1))
        .unwrap_or(usize::MAX - 1);
    let feed = match store.feed_heads(account, since, page).await {
        Ok(feed) => feed,
        Err(StoreError::CursorInvalid) => return Err(invalid_token()),
        Err(e) => return Err(e.into()),
    };
    let (truncated, new_seq, mut rows) = (feed.more, feed.next, feed.items);
    if rows.iter().any(|r| r.kind == EntityKind::Contact) {
        let listed: HashSet<Uuid> = rows.iter().map(|r| *r.id.as_uuid()).collect();
        rows.extend(groups.into_iter().filter(|g| !listed.contains(g.id.as_uuid())));
    }
    if initial {
        rows.retain(|r| !r.deleted);
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| *r.id.as_uuid()).collect();
    let members: Option<std::sync::Arc<Members>> = members_if_group_rows(ctx, &rows).await?;
    let names = if ids.len() > NAMES_AT_ONCE || members.is_some() {
        Names(store.dav_names(account).await?)
    } else {
        Names(store.dav_names_of(account, &ids).await?)
    };
    let w = Wanted::Names(&select.props);
    let items: HashMap<Uuid, FeedItem> = if w.needs_text() {
        let live: Vec<Uuid> = rows.iter().filter(|r| !r.deleted).map(|r| *r.id.as_uuid()).collect();
        book::states(store, account, &live).await?
    } else {
        HashMap::new()
    };
    let v = version(select);
    let mut ms = Multistatus::with_capacity(rows.len());
    for row in &rows {
        let id = *row.id.as_uuid();
        match items.get(&id).filter(|i| book::is_live(i)) {
            _ if row.deleted => {
                ms.push(&Entry::Status { href: ctx.card_href(&names.href(&id)), status: 404 })
            }
            Some(item) => ms.push(&card_entry(ctx, item, &names, members.as_deref(), &w, v)),
            None => ms.push(&row_entry(ctx, row, &names, members.as_deref(), &w)),
        }
    }
    let sent = rows.len() as i64;
    if truncated {
        ms.push(&Entry::Truncated { href: ctx.target.href() });
    }
    if let Some(d) = &ctx.who.device {
        store.record_sync(d.id, Some(new_seq), ctx.addr.map(|a| a.to_string()), sent, 0).await?;
    }
    let body = ms.finish(Some(&sync_token(new_seq)));
    if initial && !w.needs_text() {
        // The client asks for these cards next, a hundred at a time: have them ready.
        let cards: Vec<(Uuid, String)> = rows
            .iter()
            .filter(|r| r.kind == EntityKind::Contact && !r.deleted)
            .map(|r| (*r.id.as_uuid(), names.href(r.id.as_uuid())))
            .collect();
        // Only a help: the listing stands without it.
        if let Err(e) = ctx
            .state
            .cards
            .warm(
                ctx.state.store.clone(),
                account,
                cards,
                names,
                ctx.state.config.max_resource_size,
            )
            .await
        {
            tracing::warn!(error = ?e, "CardDAV: cards not made ready ahead");
        }
    }
    Ok(multistatus(body))
}
