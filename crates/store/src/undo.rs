//! Undo changes: an address book (or one group of it) put back as it was at a time of the last
//! [`UNDO_DAYS`] days.
//!
//! [`Store::restore_plan`] is the preview: every contact whose state at that time differs from
//! its state now, in three lists — restored (deleted since), changed back (edited since) and
//! removed (made since). [`Store::restore_to`] applies exactly a previewed plan: it computes the
//! plan again and refuses (`Conflict`) when any contact moved since the preview, so an edit made
//! meanwhile is never overwritten unseen; then it writes every change in one [`Store::write`] —
//! one transaction, one time, one origin ([`Origin::Undo`]) — so history shows it as one step and
//! devices receive it through the change feed like any other write.
//!
//! Reads are batched: one query finds every contact changed since the time with the revision it
//! was at then (`HistoryRows::contacts_changed_since`), whatever their number.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use domain::{ContactData, ContactId, FieldError, GroupId, Origin, ValidationErrors};

use crate::backend::EntityKind;
use crate::books::Scope;
use crate::records::Write;
use crate::store::now_ms;
use crate::{Store, StoreError, StoreResult};

/// How far back changes can be undone: the trash's default retention, within which deleted
/// contacts still have their content.
pub const UNDO_DAYS: i64 = 30;

/// One contact of a [`RestorePlan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoItem {
    pub id: ContactId,
    /// Its display name as it will be (restored, changed back) or as it is (removed).
    pub name: String,
    /// Changed back: its display name now, when it differs from `name`.
    pub name_now: Option<String>,
    /// The revision it is at now: what the undo is written on.
    pub revision: i64,
}

/// What undoing the changes since `at` does (see [`Store::restore_plan`]); each list sorted by
/// name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestorePlan {
    pub at: DateTime<Utc>,
    pub group: Option<GroupId>,
    /// Deleted since `at`; they come back as they were.
    pub restored: Vec<UndoItem>,
    /// Edited since `at`; they go back to how they were.
    pub changed_back: Vec<UndoItem>,
    /// Made since `at` (or brought back since a deletion before it); they go to the trash.
    pub removed: Vec<UndoItem>,
    /// Contacts changed since `at` whose state then is no longer known (their history was
    /// erased with the trash): they stay as they are.
    pub unknown: usize,
}

impl RestorePlan {
    /// How many contacts the undo changes.
    pub fn len(&self) -> usize {
        self.restored.len() + self.changed_back.len() + self.removed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every contact of the plan with the revision it is at: what [`Store::restore_to`] checks
    /// is still so before it writes.
    pub fn expected(&self) -> Vec<(ContactId, i64)> {
        self.restored
            .iter()
            .chain(&self.changed_back)
            .chain(&self.removed)
            .map(|i| (i.id, i.revision))
            .collect()
    }
}

/// What [`Store::restore_to`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestoreReport {
    pub restored: usize,
    pub changed_back: usize,
    pub removed: usize,
    /// The time of the write (every revision it made has it).
    pub written_at: DateTime<Utc>,
}

/// One write of an undo: the contact's content at the time, or `None` to delete it.
struct Step {
    id: ContactId,
    base: i64,
    data: Option<ContactData>,
}

fn invalid_time(message: String) -> StoreError {
    StoreError::Invalid(ValidationErrors(vec![FieldError::new("at", message)]))
}

fn by_name(items: &mut [UndoItem]) {
    items.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id)));
}

impl Store {
    /// The preview of undoing the book's changes since `at` — restricted to `group`, contacts
    /// that were in it at `at` or are in it now. `at` must be within the last [`UNDO_DAYS`]
    /// days and not in the future (`Invalid` on the field `at` otherwise).
    pub async fn restore_plan(
        &self,
        scope: impl Into<Scope>,
        at: DateTime<Utc>,
        group: Option<GroupId>,
    ) -> StoreResult<RestorePlan> {
        Ok(self.undo_steps(scope.into(), at, group).await?.0)
    }

    /// Undoes the book's changes since `at` (restricted to `group` as in
    /// [`Store::restore_plan`]) as the preview showed them: `expected` is the previewed plan's
    /// [`RestorePlan::expected`]. When a contact changed after the preview (or the plan is no
    /// longer the same), nothing is written and a `Conflict` says to preview again. Everything
    /// is written in one transaction with the origin [`Origin::Undo`]`(at)`.
    pub async fn restore_to(
        &self,
        scope: impl Into<Scope>,
        at: DateTime<Utc>,
        group: Option<GroupId>,
        expected: &[(ContactId, i64)],
    ) -> StoreResult<RestoreReport> {
        let scope: Scope = scope.into();
        scope.check_write()?;
        let (plan, steps) = self.undo_steps(scope, at, group).await?;
        let now: HashMap<ContactId, i64> = plan.expected().into_iter().collect();
        let seen: HashMap<ContactId, i64> = expected.iter().copied().collect();
        let moved = now.iter().filter(|(id, rev)| seen.get(id) != Some(rev)).count()
            + seen.keys().filter(|id| !now.contains_key(id)).count();
        let conflict = |n: usize| {
            StoreError::Conflict(format!(
                "{n} contact{} changed since the preview; nothing was undone. Preview again to \
                 see the changes as they are now.",
                if n == 1 { "" } else { "s" }
            ))
        };
        if moved > 0 {
            return Err(conflict(moved));
        }
        let writes: Vec<Write<'_>> = steps
            .iter()
            .map(|s| match &s.data {
                Some(data) => Write::contact(s.id, Some(s.base), data),
                None => Write::delete(EntityKind::Contact, s.id, s.base),
            })
            .collect();
        let written = match self.write(scope, &writes, Origin::Undo(at)).await {
            Ok(w) => w,
            // Written by someone else between the check above and this write.
            Err(StoreError::Stale { .. }) => return Err(conflict(1)),
            Err(e) => return Err(e),
        };
        Ok(RestoreReport {
            restored: plan.restored.len(),
            changed_back: plan.changed_back.len(),
            removed: plan.removed.len(),
            written_at: written.first().map(|w| w.at).unwrap_or_else(now_ms),
        })
    }

    async fn undo_steps(
        &self,
        scope: Scope,
        at: DateTime<Utc>,
        group: Option<GroupId>,
    ) -> StoreResult<(RestorePlan, Vec<Step>)> {
        let now = now_ms();
        if at > now {
            return Err(invalid_time(
                "That time is in the future: choose a time in the past.".into(),
            ));
        }
        if at < now - Duration::days(UNDO_DAYS) {
            return Err(invalid_time(format!(
                "Changes can be undone for {UNDO_DAYS} days: choose a later time."
            )));
        }
        let book = scope.book();
        let key = self.key_of(book).await?;
        let rows = self.backend.contacts_changed_since(book, at).await?;
        let live_groups = self.live_group_ids(book).await?;
        let opened = crate::par_map(&rows, |(row, then)| -> StoreResult<_> {
            let now = match (&row.sealed, row.deleted) {
                (Some(sealed), false) => {
                    Some(self.open_data(book, &key, row.id, row.revision, sealed)?)
                }
                _ => None,
            };
            // The state at `at`: `Some(Some)` live, `Some(None)` deleted or not made yet,
            // `None` unknown (no revision then, though it existed).
            let then = match then {
                Some(r) => match &r.sealed {
                    Some(sealed) => {
                        Some(Some(self.open_data(book, &key, row.id, r.revision, sealed)?))
                    }
                    None => Some(None),
                },
                None if row.created_at > at => Some(None),
                None => None,
            };
            Ok((now, then))
        });
        let mut plan = RestorePlan {
            at,
            group,
            restored: Vec::new(),
            changed_back: Vec::new(),
            removed: Vec::new(),
            unknown: 0,
        };
        let mut steps = Vec::new();
        for ((row, _), states) in rows.iter().zip(opened) {
            let (now, then) = states?;
            if let Some(g) = group {
                let member =
                    |d: &Option<ContactData>| d.as_ref().is_some_and(|d| d.groups.contains(&g));
                let was = then.as_ref().is_some_and(member);
                if !was && !member(&now) {
                    continue;
                }
            }
            let Some(mut then) = then else {
                plan.unknown += 1;
                continue;
            };
            // Groups deleted since are not brought back: memberships of them are left out.
            if let Some(d) = then.as_mut() {
                d.groups.retain(|g| live_groups.contains(g));
            }
            let item = |name: &str| UndoItem {
                id: row.id,
                name: name.to_string(),
                name_now: None,
                revision: row.revision,
            };
            match (&then, &now) {
                (None, None) => continue,
                (Some(t), Some(n)) if t == n => continue,
                (Some(t), None) => plan.restored.push(item(&t.display_name)),
                (Some(t), Some(n)) => plan.changed_back.push(UndoItem {
                    name_now: (n.display_name != t.display_name).then(|| n.display_name.clone()),
                    ..item(&t.display_name)
                }),
                (None, Some(n)) => plan.removed.push(item(&n.display_name)),
            }
            steps.push(Step { id: row.id, base: row.revision, data: then });
        }
        by_name(&mut plan.restored);
        by_name(&mut plan.changed_back);
        by_name(&mut plan.removed);
        Ok((plan, steps))
    }
}
