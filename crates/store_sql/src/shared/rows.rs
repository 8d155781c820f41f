//! Rows read back into the store's row types.

use super::*;

pub(crate) fn account_from(r: &DbRow) -> StoreResult<AccountRow> {
    let username: String = r.try_get("username").map_err(db_err)?;
    Ok(AccountRow {
        id: AccountId::from_uuid(r.try_get("id").map_err(db_err)?),
        username: Username::parse(&username).map_err(StoreError::Backend)?,
        password_hash: r.try_get("password_hash").map_err(db_err)?,
        is_admin: r.try_get("is_admin").map_err(db_err)?,
        disabled: r.try_get("disabled").map_err(db_err)?,
        created_at: time(r.try_get("created_at").map_err(db_err)?),
        lang: r.try_get("lang").map_err(db_err)?,
    })
}

pub(crate) fn revision_from(r: &DbRow) -> StoreResult<RevisionRow> {
    Ok(RevisionRow {
        revision: r.try_get("revision").map_err(db_err)?,
        sealed: r.try_get("sealed").map_err(db_err)?,
        origin: r.try_get("origin").map_err(db_err)?,
        actor: r.try_get::<Option<Uuid>, _>("actor_id").map_err(db_err)?.map(AccountId::from_uuid),
        changed_at: time(r.try_get("changed_at").map_err(db_err)?),
    })
}

pub(crate) fn device_from(r: &DbRow) -> StoreResult<DeviceRow> {
    let opt_time = |v: Option<i64>| v.map(time);
    Ok(DeviceRow {
        id: DeviceId::from_uuid(r.try_get("id").map_err(db_err)?),
        account_id: AccountId::from_uuid(r.try_get("account_id").map_err(db_err)?),
        name: r.try_get("name").map_err(db_err)?,
        kind: r.try_get("kind").map_err(db_err)?,
        token_hash: r.try_get("token_hash").map_err(db_err)?,
        created_at: time(r.try_get("created_at").map_err(db_err)?),
        revoked_at: opt_time(r.try_get("revoked_at").map_err(db_err)?),
        last_sync_at: opt_time(r.try_get("last_sync_at").map_err(db_err)?),
        last_cursor: r.try_get("last_cursor").map_err(db_err)?,
        last_addr: r.try_get("last_addr").map_err(db_err)?,
        changes_sent: r.try_get("changes_sent").map_err(db_err)?,
        changes_received: r.try_get("changes_received").map_err(db_err)?,
    })
}

pub(crate) fn contact_from(r: &DbRow) -> StoreResult<ContactRow> {
    let kind: String = r.try_get("kind").map_err(db_err)?;
    Ok(ContactRow {
        kind: EntityKind::parse(&kind)
            .ok_or_else(|| StoreError::Backend(format!("unknown kind {kind}")))?,
        book_id: BookId::from_uuid(r.try_get("book_id").map_err(db_err)?),
        id: ContactId::from_uuid(r.try_get("id").map_err(db_err)?),
        revision: r.try_get("revision").map_err(db_err)?,
        seq: r.try_get("seq").map_err(db_err)?,
        deleted: r.try_get("deleted").map_err(db_err)?,
        sealed: r.try_get("sealed").map_err(db_err)?,
        created_at: time(r.try_get("created_at").map_err(db_err)?),
        updated_at: time(r.try_get("updated_at").map_err(db_err)?),
    })
}

pub(crate) fn dav_card_from(book: BookId, r: &DbRow) -> StoreResult<DavCardRow> {
    let kind: Option<String> = r.try_get("kind").map_err(db_err)?;
    let contact = match kind {
        Some(_) => Some(contact_from(r)?),
        None => None,
    };
    let name = match r.try_get::<Option<String>, _>("name_hash").map_err(db_err)? {
        Some(href_hash) => Some(DavNameRow {
            book_id: book,
            id: ContactId::from_uuid(r.try_get("name_id").map_err(db_err)?),
            href_hash,
            sealed: r.try_get("name_sealed").map_err(db_err)?,
        }),
        None => None,
    };
    Ok(DavCardRow { contact, name })
}

pub(crate) fn dav_name_from(r: &DbRow) -> StoreResult<DavNameRow> {
    Ok(DavNameRow {
        book_id: BookId::from_uuid(r.try_get("book_id").map_err(db_err)?),
        id: ContactId::from_uuid(r.try_get("id").map_err(db_err)?),
        href_hash: r.try_get("href_hash").map_err(db_err)?,
        sealed: r.try_get("sealed").map_err(db_err)?,
    })
}
