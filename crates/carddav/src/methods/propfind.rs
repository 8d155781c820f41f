//! PROPFIND (RFC 4918 §9.1) on the root, the principal, the address-book home, the address book
//! (depth 0 or 1) and cards.

use axum::body::Body;
use axum::response::Response;
use interchange::vcard::VcardVersion;
use store::FeedItem;

use crate::book::{self, Members, Names};
use crate::collection;
use crate::error::{DavError, DavResult};
use crate::paths::Target;
use crate::props::{self, CardInfo, CollectionInfo};
use crate::request::{parse_propfind, Propfind};
use crate::response::{Entry, Multistatus, Propstat};
use crate::xml::Name;
use crate::{multistatus, read_xml, Ctx};

/// What the target collection's properties are made of.
pub async fn collection_info(ctx: &Ctx) -> DavResult<CollectionInfo> {
    match ctx.target {
        Target::Book(..) | Target::Card(..) => collection::info(ctx, ctx.book()).await,
        _ => Ok(collection::plain_info(ctx)),
    }
}

/// What a card entry shows: by PROPFIND (`Propfind`) or by a REPORT's list of names.
pub enum Wanted<'a> {
    Propfind(&'a Propfind),
    Names(&'a [Name]),
}

impl Wanted<'_> {
    pub fn needs_text(&self) -> bool {
        match self {
            Wanted::Propfind(Propfind::Prop(names)) => props::card_needs_text(names),
            Wanted::Names(names) => props::card_needs_text(names),
            Wanted::Propfind(Propfind::PropName) => true,
            Wanted::Propfind(Propfind::AllProp { include }) => props::card_needs_text(include),
        }
    }
}

pub fn card_propstats(ctx: &Ctx, wanted: &Wanted<'_>, info: &CardInfo<'_>) -> Vec<Propstat> {
    ctx.trim(match wanted {
        Wanted::Propfind(Propfind::Prop(names)) => props::pick_card(names, info),
        Wanted::Names(names) => props::pick_card(names, info),
        Wanted::Propfind(req) => props::select(req, props::card_props(info)),
    })
}

/// The multistatus entry of one live card.
pub fn card_entry(
    ctx: &Ctx,
    item: &FeedItem,
    names: &Names,
    members: Option<&Members>,
    wanted: &Wanted<'_>,
    version: VcardVersion,
) -> Entry {
    card_entry_at(ctx, None, item, names, members, wanted, version)
}

/// Like [`card_entry`], under the href the client wrote (`href`) when given.
pub fn card_entry_at(
    ctx: &Ctx,
    href: Option<&str>,
    item: &FeedItem,
    names: &Names,
    members: Option<&Members>,
    wanted: &Wanted<'_>,
    version: VcardVersion,
) -> Entry {
    let id = item.id();
    let text = if wanted.needs_text() {
        book::render(item, names, members, version, ctx.state.config.max_resource_size)
    } else {
        None
    };
    let info = CardInfo {
        user: ctx.user(),
        access: ctx.book().access(),
        etag: book::etag(item, members),
        last_modified: book::updated_at(item),
        text: text.as_deref(),
    };
    let propstats = card_propstats(ctx, wanted, &info);
    let href = href.map(str::to_string).unwrap_or_else(|| ctx.card_href(&names.href(&id)));
    Entry::Props { href, propstats }
}

/// The multistatus entry of one live card from its stored row, for requests that need no card
/// text (ETags, types, dates): nothing is decrypted.
pub fn row_entry(
    ctx: &Ctx,
    row: &store::ContactRow,
    names: &Names,
    members: Option<&Members>,
    wanted: &Wanted<'_>,
) -> Entry {
    let id = *row.id.as_uuid();
    let info = CardInfo {
        user: ctx.user(),
        access: ctx.book().access(),
        etag: book::row_etag(row, members),
        last_modified: row.updated_at,
        text: None,
    };
    let propstats = card_propstats(ctx, wanted, &info);
    Entry::Props { href: ctx.card_href(&names.href(&id)), propstats }
}

/// Group members, loaded only when some of `rows` are live groups.
pub async fn members_if_group_rows(
    ctx: &Ctx,
    rows: &[store::ContactRow],
) -> DavResult<Option<std::sync::Arc<Members>>> {
    if rows.iter().any(|r| r.kind == store::EntityKind::Group && !r.deleted) {
        Ok(Some(book::members(ctx.store(), &ctx.state.members, ctx.book()).await?))
    } else {
        Ok(None)
    }
}

/// Group members, loaded only when some of `items` are groups.
pub async fn members_if_groups(
    ctx: &Ctx,
    items: &[&FeedItem],
) -> DavResult<Option<std::sync::Arc<Members>>> {
    if items.iter().any(|i| book::is_group(i)) {
        Ok(Some(book::members(ctx.store(), &ctx.state.members, ctx.book()).await?))
    } else {
        Ok(None)
    }
}

pub async fn handle(ctx: &Ctx, body: Body) -> DavResult<Response> {
    let text = read_xml(body).await?;
    let req = parse_propfind(&text).map_err(|e| DavError::bad_request(e.0))?;
    // RFC 4918 §9.1: a server may refuse `Depth: infinity`, with this condition.
    let infinite = ctx
        .header(axum::http::HeaderName::from_static("depth"))
        .is_some_and(|d| d.trim().eq_ignore_ascii_case("infinity"));
    if infinite && !matches!(ctx.target, Target::Card(..)) {
        return Err(DavError::Condition(
            axum::http::StatusCode::FORBIDDEN,
            crate::xml::Name::dav("propfind-finite-depth"),
            "Depth: infinity is not answered here; ask with Depth: 1.".into(),
        ));
    }
    let depth = ctx.depth(1);
    let account = ctx.book();
    let store = ctx.store();
    let mut ms = Multistatus::new();
    match &ctx.target {
        Target::Card(_, _, name) => {
            let (_, found_names, state) = book::lookup(store, account, name).await?;
            let item = state.filter(book::is_live).ok_or_else(DavError::not_found)?;
            let members = members_if_groups(ctx, &[&item]).await?;
            let names = if book::is_group(&item) {
                Names(store.dav_names(account).await?)
            } else {
                found_names
            };
            ms.push(&card_entry(
                ctx,
                &item,
                &names,
                members.as_deref(),
                &Wanted::Propfind(&req),
                VcardVersion::V3,
            ));
        }
        target => {
            let info = collection_info(ctx).await?;
            ms.push(&Entry::Props {
                href: target.href(),
                propstats: ctx.trim(props::select(&req, props::collection_props(target, &info))),
            });
            if depth == 1 {
                match target {
                    // What the signed-in account has there: its principal, its home.
                    Target::Parent(what) => {
                        let child = if *what == "principals" {
                            Target::Principal(ctx.user().to_string())
                        } else {
                            Target::Home(ctx.user().to_string())
                        };
                        ms.push(&Entry::Props {
                            href: child.href(),
                            propstats: ctx
                                .trim(props::select(&req, props::collection_props(&child, &info))),
                        });
                    }
                    Target::Home(_) => {
                        for (book, info) in collection::home_books(ctx).await? {
                            ms.push(&Entry::Props {
                                href: book.href(),
                                propstats: ctx.trim(props::select(
                                    &req,
                                    props::collection_props(&book, &info),
                                )),
                            });
                        }
                    }
                    Target::Book(..) => {
                        let wanted = Wanted::Propfind(&req);
                        let names = Names(store.dav_names(account).await?);
                        if wanted.needs_text() {
                            let items = book::all_live(store, account).await?;
                            let refs: Vec<&FeedItem> = items.iter().collect();
                            let members = members_if_groups(ctx, &refs).await?;
                            for item in &items {
                                ms.push(&card_entry(
                                    ctx,
                                    item,
                                    &names,
                                    members.as_deref(),
                                    &wanted,
                                    VcardVersion::V3,
                                ));
                            }
                        } else {
                            let rows = book::live_rows(store, account).await?;
                            let members = members_if_group_rows(ctx, &rows).await?;
                            for row in &rows {
                                ms.push(&row_entry(ctx, row, &names, members.as_deref(), &wanted));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(multistatus(ms.finish(None)))
}
