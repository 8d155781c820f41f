//! Groups: records beside contacts, sealed and revisioned like them. Membership lives on the
//! contacts, so a membership change is a new revision of each contact it changes; a group and
//! the memberships that change with it are written together.

use std::collections::HashSet;

use domain::{ContactData, ContactId, Group, GroupData, GroupId, Origin};
use uuid::Uuid;

use crate::backend::EntityKind;
use crate::books::Scope;
use crate::records::{Content, GroupState, Write};
use crate::{Store, StoreError, StoreResult};

/// How often a write that raced another one (a contact edited meanwhile) is tried again.
const ATTEMPTS: usize = 3;

fn invalid_name(m: String) -> StoreError {
    StoreError::Invalid(domain::ValidationErrors(vec![domain::FieldError::new("name", m)]))
}

impl Store {
    /// The book's groups, by name.
    pub async fn list_groups(&self, scope: impl Into<Scope>) -> StoreResult<Vec<Group>> {
        let scope: Scope = scope.into();
        let book = scope.book();
        let key = self.key_of(book).await?;
        let mut groups = Vec::new();
        for row in self.backend.live_records(book, EntityKind::Group).await? {
            let st = self.group_state_of(book, &key, &row)?;
            if let Some(d) = st.data {
                groups.push(Group {
                    id: st.id,
                    revision: st.revision,
                    name: d.name().to_string(),
                    created_at: st.created_at,
                    updated_at: st.updated_at,
                });
            }
        }
        groups.sort_by(|a, b| {
            a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id))
        });
        Ok(groups)
    }

    /// A group as it stands (deleted or not); `None` if the book never had it.
    pub async fn group_state(
        &self,
        scope: impl Into<Scope>,
        id: GroupId,
    ) -> StoreResult<Option<GroupState>> {
        let scope: Scope = scope.into();
        let book = scope.book();
        let Some(row) = self.backend.record(book, ContactId::from_uuid(*id.as_uuid())).await?
        else {
            return Ok(None);
        };
        let key = self.key_of(book).await?;
        self.group_state_of(book, &key, &row).map(Some)
    }

    /// One live group.
    pub async fn group(&self, scope: impl Into<Scope>, id: GroupId) -> StoreResult<Group> {
        let scope: Scope = scope.into();
        match self.group_state(scope, id).await {
            Ok(Some(GroupState { data: Some(d), revision, created_at, updated_at, .. })) => {
                Ok(Group { id, revision, name: d.name().to_string(), created_at, updated_at })
            }
            Ok(_) | Err(StoreError::WrongKind) => Err(StoreError::NotFound),
            Err(e) => Err(e),
        }
    }

    /// Writes a group's content as the revision after `base` (`None`: a new group).
    pub async fn put_group(
        &self,
        scope: impl Into<Scope>,
        id: GroupId,
        base: Option<i64>,
        data: &GroupData,
        origin: Origin,
    ) -> StoreResult<i64> {
        let scope: Scope = scope.into();
        Ok(self.write(scope, &[Write::group(id, base, data)], origin).await?[0].revision)
    }

    /// Creates a group.
    pub async fn create_group(
        &self,
        scope: impl Into<Scope>,
        name: &str,
        origin: Origin,
    ) -> StoreResult<Group> {
        let scope: Scope = scope.into();
        let data = GroupData::parse(name).map_err(invalid_name)?;
        let id = GroupId::from_uuid(Uuid::now_v7());
        self.put_group(scope, id, None, &data, origin).await?;
        self.group(scope, id).await
    }

    /// Renames a group if `base_revision` is still current.
    pub async fn rename_group(
        &self,
        scope: impl Into<Scope>,
        id: GroupId,
        base_revision: i64,
        name: &str,
        origin: Origin,
    ) -> StoreResult<Group> {
        let scope: Scope = scope.into();
        let data = GroupData::parse(name).map_err(invalid_name)?;
        self.put_group(scope, id, Some(base_revision), &data, origin).await.map_err(
            |e| match e {
                StoreError::WrongKind => StoreError::NotFound,
                e => e,
            },
        )?;
        self.group(scope, id).await
    }

    /// Writes a group (`group`: its content, or its deletion) and sets its members to exactly
    /// `members` (those the book has; none for a deletion), in one transaction: the group's
    /// card and its memberships never part. Contacts edited meanwhile are read again; a group
    /// no longer at the write's base is `Stale`. Returns the group's new revision and members.
    pub async fn put_group_with_members(
        &self,
        scope: impl Into<Scope>,
        group: Write<'_>,
        members: &HashSet<ContactId>,
        origin: Origin,
    ) -> StoreResult<(i64, Vec<ContactId>)> {
        let scope: Scope = scope.into();
        let book = scope.book();
        let (record, base) = (group.id, group.base);
        let id = GroupId::from_uuid(*record.as_uuid());
        let joining = match group.content {
            Content::Group(_) => true,
            Content::Delete(EntityKind::Group) => false,
            _ => return Err(StoreError::WrongKind),
        };
        let members = if joining { members } else { &HashSet::new() };
        for attempt in 1..=ATTEMPTS {
            let contacts = self.all_contacts(scope).await?;
            let changed: Vec<(ContactId, i64, ContactData)> = contacts
                .iter()
                .filter_map(|c| {
                    let is = c.data.groups.contains(&id);
                    let wanted = members.contains(&c.id);
                    (is != wanted).then(|| {
                        let mut d = c.data.clone();
                        if wanted {
                            d.groups.push(id);
                        } else {
                            d.groups.retain(|g| *g != id);
                        }
                        (c.id, c.revision, d)
                    })
                })
                .collect();
            // A new group is written before the contacts that join it; a deleted one after the
            // contacts that leave it.
            let mut writes: Vec<Write<'_>> = Vec::with_capacity(changed.len() + 1);
            if joining {
                writes.push(group);
            }
            writes.extend(changed.iter().map(|(cid, rev, d)| Write::contact(*cid, Some(*rev), d)));
            if !joining {
                writes.push(group);
            }
            match self.write(scope, &writes, origin).await {
                Ok(done) => {
                    let revision = done
                        .iter()
                        .find(|w| w.id == record)
                        .map(|w| w.revision)
                        .unwrap_or_default();
                    let now: Vec<ContactId> =
                        contacts.iter().map(|c| c.id).filter(|c| members.contains(c)).collect();
                    return Ok((revision, now));
                }
                Err(StoreError::Stale { current }) => {
                    // The group itself moved: the caller's write is stale. A contact moved: again.
                    let group_now = self.backend.record(book, record).await?.map(|r| r.revision);
                    if group_now != base || attempt == ATTEMPTS {
                        return Err(StoreError::Stale { current: group_now.unwrap_or(current) });
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Stale { current: 0 })
    }

    /// Deletes a group (never its contacts): the contacts leave it and the group becomes a
    /// tombstone, in one transaction. Returns how many contacts left it.
    pub async fn delete_group(
        &self,
        scope: impl Into<Scope>,
        id: GroupId,
        base_revision: i64,
        origin: Origin,
    ) -> StoreResult<usize> {
        let scope: Scope = scope.into();
        let members: HashSet<ContactId> = self
            .all_contacts(scope)
            .await?
            .into_iter()
            .filter(|c| c.data.groups.contains(&id))
            .map(|c| c.id)
            .collect();
        let record = ContactId::from_uuid(*id.as_uuid());
        self.put_group_with_members(
            scope,
            Write::delete(EntityKind::Group, record, base_revision),
            &HashSet::new(),
            origin,
        )
        .await
        .map_err(|e| match e {
            StoreError::WrongKind => StoreError::NotFound,
            e => e,
        })?;
        Ok(members.len())
    }

    /// Adds contacts to a group (`member: true`) or removes them, in one transaction; each
    /// change is a new revision of the contact. Returns how many contacts changed.
    pub async fn set_membership(
        &self,
        scope: impl Into<Scope>,
        group: GroupId,
        contacts: &[ContactId],
        member: bool,
        origin: Origin,
    ) -> StoreResult<usize> {
        let scope: Scope = scope.into();
        let book = scope.book();
        if member {
            self.group(scope, group).await?;
        }
        let wanted: HashSet<ContactId> = contacts.iter().copied().collect();
        for attempt in 1..=ATTEMPTS {
            let rows = self
                .backend
                .records_by_ids(book, &wanted.iter().copied().collect::<Vec<_>>())
                .await?;
            let key = self.key_of(book).await?;
            let mut changed: Vec<(ContactId, i64, ContactData)> = Vec::new();
            for row in rows.iter().filter(|r| !r.deleted && r.kind == EntityKind::Contact) {
                let c = self.open(book, &key, row)?;
                let mut d = c.data;
                if member && !d.groups.contains(&group) {
                    d.groups.push(group);
                } else if !member && d.groups.contains(&group) {
                    d.groups.retain(|g| *g != group);
                } else {
                    continue;
                }
                changed.push((c.id, c.revision, d));
            }
            if wanted.len()
                > rows.iter().filter(|r| !r.deleted && r.kind == EntityKind::Contact).count()
            {
                return Err(StoreError::NotFound);
            }
            let writes: Vec<Write<'_>> =
                changed.iter().map(|(id, rev, d)| Write::contact(*id, Some(*rev), d)).collect();
            match self.write(scope, &writes, origin).await {
                Ok(done) => return Ok(done.len()),
                Err(StoreError::Stale { .. }) if attempt < ATTEMPTS => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Stale { current: 0 })
    }

    /// Takes out of `data` the groups the book no longer has (restoring old content).
    pub async fn drop_deleted_groups(
        &self,
        scope: impl Into<Scope>,
        data: &mut ContactData,
    ) -> StoreResult<()> {
        let scope: Scope = scope.into();
        let book = scope.book();
        if data.groups.is_empty() {
            return Ok(());
        }
        let live = self.live_group_ids(book).await?;
        data.groups.retain(|g| live.contains(g));
        Ok(())
    }
}
