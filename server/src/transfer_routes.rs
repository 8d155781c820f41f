//! The console's file endpoints: import (preview, background job, report) and export downloads.
//! Plain axum handlers (files do not fit server functions well); signed-in sessions only.
//!
//! * `POST /console/import/preview` (multipart: `file`, `encoding`, `map_<i>`) → [`PreviewDto`]
//! * `POST /console/import` (multipart: also `duplicates`, `group`, `new_group`) → `{"job": id}`
//! * `GET /console/import/{job}` → [`JobDto`]; `GET /console/import/{job}/report.csv`
//! * `GET /console/export?format=csv|google-csv|outlook-csv|xlsx|xlsx-groups|vcf|vcf3[&group=id]`
//!   (or `POST` with `ids=` for a selection)
//!
//! Jobs (`transfer::Jobs`) run on the instance that received the file and keep their state in the
//! database, so they survive a page reload and a poll answered by any instance; each is known
//! only to its account.

use std::collections::HashMap;
use std::sync::Arc;

use app::transfer::{ColumnDto, ErrorDto, FailureDto, JobDto, PreviewDto, PreviewRowDto};
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::{AccountInfo, ContactData, GroupId, Origin};
use futures_util::StreamExt;
use serde::Deserialize;
use store::{Store, StoreError};
use transfer::{
    ColumnMapping, ColumnTarget, Duplicates, ExportFormat, ExportOptions, Field, ImportOptions,
    Layout, Limits, Selection, VcardVersion,
};
use uuid::Uuid;

/// Largest file the console accepts for import, unless configured (`ROLO_IMPORT_MAX_MB`).
pub const MAX_IMPORT_BYTES: usize = 50 * 1024 * 1024;

#[derive(Clone)]
pub struct TransferState {
    pub store: Arc<Store>,
    pub directory: Arc<directory::Directory>,
    pub jobs: Arc<transfer::Jobs>,
    pub limits: Limits,
    /// How many files this server reads at once.
    pub gate: Arc<transfer::Gate>,
}

struct Failure(StatusCode, String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorDto { message: self.1 })).into_response()
    }
}

fn bad(m: impl Into<String>) -> Failure {
    Failure(StatusCode::BAD_REQUEST, m.into())
}

fn server_error(e: impl std::fmt::Display) -> Failure {
    tracing::error!(error = %e, "console file endpoint failed");
    Failure(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on the server. Please try again.".into(),
    )
}

/// The signed-in account, by the console's own rule (`app::ssr::session_account`).
async fn signed_in(store: &Store, headers: &HeaderMap) -> Result<AccountInfo, Failure> {
    let token = app::ssr::session_token_from(headers);
    app::ssr::session_account(store, token.as_deref(), false).await.map_err(|e| match e {
        app::error::AppError::NotSignedIn => Failure(StatusCode::UNAUTHORIZED, e.to_string()),
        app::error::AppError::SecondFactorRequired => Failure(StatusCode::FORBIDDEN, e.to_string()),
        other => server_error(other),
    })
}

/// The signed-in account and the book the console shows it (its `rolo_book` cookie).
async fn signed_in_book(
    store: &Store,
    headers: &HeaderMap,
) -> Result<(AccountInfo, store::Scope), Failure> {
    let account = signed_in(store, headers).await?;
    let cookie = app::ssr::cookie_from(headers, app::ssr::BOOK_COOKIE);
    let scope = app::ssr::chosen_book(store, &account, cookie).await.map_err(server_error)?;
    Ok((account, scope))
}

/// The multipart form of the Import page.
#[derive(Default)]
struct ImportForm {
    file: Vec<u8>,
    file_name: String,
    fields: HashMap<String, String>,
}

async fn read_form(mut multipart: Multipart, max_bytes: usize) -> Result<ImportForm, Failure> {
    let mut form = ImportForm::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| bad(format!("The upload was cut off or malformed: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            form.file_name = field.file_name().unwrap_or_default().to_string();
            form.file = field
                .bytes()
                .await
                .map_err(|e| too_large_or_bad(&e.to_string(), max_bytes))?
                .to_vec();
        } else {
            let value = field.text().await.map_err(|e| bad(e.to_string()))?;
            form.fields.insert(name, value);
        }
    }
    if form.file.is_empty() {
        return Err(bad("Choose a file to import (CSV, Excel or vCard)."));
    }
    Ok(form)
}

fn too_large_or_bad(msg: &str, max_bytes: usize) -> Failure {
    if msg.contains("length limit") || msg.contains("too large") {
        Failure(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The file is larger than {} MB.", max_bytes / 1024 / 1024),
        )
    } else {
        bad(format!("The upload failed: {msg}"))
    }
}

fn target_label(t: &ColumnTarget) -> String {
    let label = |l: &Option<domain::Label>| {
        l.as_ref().map(|l| format!(" ({})", l.as_str())).unwrap_or_default()
    };
    match t {
        ColumnTarget::Ignore => "ignored".into(),
        ColumnTarget::Extra => "extra field".into(),
        ColumnTarget::Field(f) => match f {
            Field::Uid => "UID".into(),
            Field::DisplayName => "Display name".into(),
            Field::FamilyName => "Family name".into(),
            Field::GivenName => "Given name".into(),
            Field::AdditionalName => "Middle name".into(),
            Field::NamePrefix => "Name prefix".into(),
            Field::NameSuffix => "Name suffix".into(),
            Field::Nickname => "Nickname".into(),
            Field::Organization => "Organization".into(),
            Field::Department => "Department".into(),
            Field::Title => "Title".into(),
            Field::Birthday => "Birthday".into(),
            Field::Notes => "Notes".into(),
            Field::Groups => "Groups".into(),
            Field::Phone { slot, label: l } => format!("Phone {}{}", slot + 1, label(l)),
            Field::PhoneLabel { slot } => format!("Phone {} type", slot + 1),
            Field::Email { slot, label: l } => format!("Email {}{}", slot + 1, label(l)),
            Field::EmailLabel { slot } => format!("Email {} type", slot + 1),
            Field::Address { slot, part, label: l } => {
                format!("Address {} {:?}{}", slot + 1, part, label(l)).to_lowercase()
            }
            Field::AddressLabel { slot } => format!("Address {} type", slot + 1),
            Field::ExtraName { slot } => format!("Extra field {} name", slot + 1),
            Field::ExtraValue { slot } => format!("Extra field {} value", slot + 1),
            Field::Website { slot, label: l } => format!("Website {}{}", slot + 1, label(l)),
            Field::WebsiteLabel { slot } => format!("Website {} type", slot + 1),
            Field::Im { slot, label: l } => format!("Instant messaging {}{}", slot + 1, label(l)),
            Field::ImLabel { slot } => format!("Instant messaging {} type", slot + 1),
            Field::ImService { slot } => format!("Instant messaging {} service", slot + 1),
            Field::Related { slot, label: l } => format!("Related person {}{}", slot + 1, label(l)),
            Field::RelatedLabel { slot } => format!("Related person {} relation", slot + 1),
            Field::Anniversary => "Anniversary".into(),
            Field::Event { slot } => {
                format!("Event {} (the anniversary when so labelled)", slot + 1)
            }
            Field::EventLabel { slot } => format!("Event {} type", slot + 1),
        },
    }
}

/// Applies the page's `map_<i>` choices to the suggested mapping.
fn apply_choices(
    suggested: &ColumnMapping,
    fields: &HashMap<String, String>,
) -> Result<Option<ColumnMapping>, Failure> {
    let mut mapping = suggested.clone();
    let mut changed = false;
    for (i, col) in mapping.columns.iter_mut().enumerate() {
        let Some(choice) = fields.get(&format!("map_{i}")) else { continue };
        // Slots far above any a file suggests, so a chosen phone or email never collides.
        let slot = 1000 + i as u32;
        let target = match choice.as_str() {
            "keep" | "" => continue,
            "ignore" => ColumnTarget::Ignore,
            "extra" => ColumnTarget::Extra,
            "display_name" => ColumnTarget::Field(Field::DisplayName),
            "family_name" => ColumnTarget::Field(Field::FamilyName),
            "given_name" => ColumnTarget::Field(Field::GivenName),
            "additional_name" => ColumnTarget::Field(Field::AdditionalName),
            "name_prefix" => ColumnTarget::Field(Field::NamePrefix),
            "name_suffix" => ColumnTarget::Field(Field::NameSuffix),
            "department" => ColumnTarget::Field(Field::Department),
            "nickname" => ColumnTarget::Field(Field::Nickname),
            "phone" => ColumnTarget::Field(Field::Phone { slot, label: None }),
            "email" => ColumnTarget::Field(Field::Email { slot, label: None }),
            "organization" => ColumnTarget::Field(Field::Organization),
            "title" => ColumnTarget::Field(Field::Title),
            "birthday" => ColumnTarget::Field(Field::Birthday),
            "anniversary" => ColumnTarget::Field(Field::Anniversary),
            "website" => ColumnTarget::Field(Field::Website { slot, label: None }),
            "im" => ColumnTarget::Field(Field::Im { slot, label: None }),
            "related" => ColumnTarget::Field(Field::Related { slot, label: None }),
            "notes" => ColumnTarget::Field(Field::Notes),
            "groups" => ColumnTarget::Field(Field::Groups),
            "uid" => ColumnTarget::Field(Field::Uid),
            other => return Err(bad(format!("Unknown column choice {other:?}."))),
        };
        *col = target;
        changed = true;
    }
    Ok(changed.then_some(mapping))
}

fn options_from(form: &ImportForm, limits: Limits) -> Result<ImportOptions, Failure> {
    let mut options = ImportOptions { limits, origin: Origin::Console, ..ImportOptions::default() };
    if let Some(enc) = form.fields.get("encoding").filter(|e| !e.is_empty() && *e != "auto") {
        options.encoding = Some(transfer::encoding_for_label(enc).map_err(|e| bad(e.to_string()))?);
    }
    options.duplicates = match form.fields.get("duplicates").map(String::as_str) {
        None | Some("skip") => Duplicates::Skip,
        Some("update") => Duplicates::Update,
        Some("create") => Duplicates::CreateAnyway,
        Some(other) => return Err(bad(format!("Unknown duplicates policy {other:?}."))),
    };
    if form.fields.keys().any(|k| k.starts_with("map_")) {
        let suggested =
            transfer::preview(&form.file, &options, 0).map_err(|e| bad(e.to_string()))?;
        if let Some(m) = &suggested.mapping {
            options.mapping = apply_choices(m, &form.fields)?;
        }
    }
    Ok(options)
}

fn row_dto(line: usize, data: &ContactData, groups: &[String]) -> PreviewRowDto {
    PreviewRowDto {
        line,
        name: data.display_name.clone(),
        phone: data.phones.first().map(|p| p.value.as_str().to_string()).unwrap_or_default(),
        email: data.emails.first().map(|e| e.value.as_str().to_string()).unwrap_or_default(),
        groups: groups.join(", "),
        error: None,
    }
}

/// A pass to read a file for `account` (see [`transfer::Gate`]), or 503 with the reason.
fn admit(st: &TransferState, account: domain::AccountId) -> Result<transfer::Pass, Failure> {
    st.gate
        .enter(account)
        .map_err(|busy| Failure(StatusCode::SERVICE_UNAVAILABLE, busy.to_string()))
}

/// Reads the form's file (its preview, `rows` of them) off the async threads.
async fn preview_of(
    form: Arc<ImportForm>,
    limits: Limits,
    rows: usize,
) -> Result<(ImportOptions, transfer::Preview), Failure> {
    tokio::task::spawn_blocking(move || {
        let options = options_from(&form, limits)?;
        let p = transfer::preview(&form.file, &options, rows).map_err(|e| bad(e.to_string()))?;
        Ok((options, p))
    })
    .await
    .map_err(server_error)?
}

async fn preview(
    State(st): State<TransferState>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Json<PreviewDto>, Failure> {
    let account = signed_in(&st.store, &headers).await?;
    let form = Arc::new(read_form(multipart, st.limits.max_bytes).await?);
    let _pass = admit(&st, account.id)?;
    let (_, p) = preview_of(form, st.limits, 20).await?;
    let columns = match &p.mapping {
        Some(m) => p
            .headers
            .iter()
            .zip(m.columns.iter())
            .map(|(h, t)| ColumnDto { header: h.clone(), target: target_label(t) })
            .collect(),
        None => Vec::new(),
    };
    let rows = p
        .rows
        .iter()
        .map(|r| match r {
            Ok(row) => row_dto(row.line, &row.data, &row.groups),
            Err(f) => PreviewRowDto {
                line: f.line,
                name: String::new(),
                phone: String::new(),
                email: String::new(),
                groups: String::new(),
                error: Some(f.reason.clone()),
            },
        })
        .collect();
    Ok(Json(PreviewDto {
        format: p.format.as_str().to_string(),
        encoding: p.encoding.map(|e| e.name().to_string()),
        dialect: p.dialect.map(|d| format!("{d:?}")),
        total_rows: p.total_rows,
        columns,
        rows,
    }))
}

async fn start_import(
    State(st): State<TransferState>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Json<serde_json::Value>, Failure> {
    let (account, book) = signed_in_book(&st.store, &headers).await?;
    if !book.can_write() {
        return Err(Failure(
            StatusCode::FORBIDDEN,
            "This address book is shared with you read-only: import into one you may change."
                .into(),
        ));
    }
    let form = Arc::new(read_form(multipart, st.limits.max_bytes).await?);
    // Held until the job ends.
    let pass = admit(&st, account.id)?;
    // Check the file up front, so a bad file is an error on the page, not a failed job.
    let (mut options, _) = preview_of(form.clone(), st.limits, 0).await?;
    let group = match form.fields.get("group").map(String::as_str).unwrap_or("") {
        "" => None,
        "new" => {
            let name = form.fields.get("new_group").cloned().unwrap_or_default();
            let id = transfer::group_named(&st.store, book, &name, Origin::Console).await.map_err(
                |e| match e {
                    transfer::TransferError::Store(StoreError::Invalid(v)) => bad(v.to_string()),
                    other => server_error(other),
                },
            )?;
            Some(st.store.group(book, id).await.map_err(server_error)?)
        }
        id => {
            let id = GroupId::parse(id).map_err(|e| bad(e.to_string()))?;
            Some(
                st.store
                    .group(book, id)
                    .await
                    .map_err(|_| bad("That group does not exist any more."))?,
            )
        }
    };
    options.group = group.as_ref().map(|g| g.id);
    options.file_name = Some(form.file_name.clone());
    tracing::info!(file = %form.file_name, bytes = form.file.len(), "import started");
    let bytes = Arc::new(form.file.clone());
    let job = st
        .jobs
        .start(book, bytes, options, group.map(|g| g.name), pass)
        .await
        .map_err(server_error)?;
    Ok(Json(serde_json::json!({ "job": job })))
}

fn job_id(id: &str) -> Result<Uuid, Failure> {
    Uuid::parse_str(id).map_err(|_| bad("Not an import job id."))
}

/// Another account's job does not exist for this one.
fn unknown_job() -> Failure {
    Failure(StatusCode::NOT_FOUND, "This import is not known (any more) on this server.".into())
}

async fn job_status(
    State(st): State<TransferState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<JobDto>, Failure> {
    let account = signed_in(&st.store, &headers).await?;
    let j = st
        .jobs
        .status(account.id, job_id(&id)?)
        .await
        .map_err(server_error)?
        .ok_or_else(unknown_job)?;
    Ok(Json(JobDto {
        state: match j.state {
            transfer::JobState::Running => "running",
            transfer::JobState::Done => "done",
            transfer::JobState::Failed => "failed",
        }
        .into(),
        rows_done: j.progress.rows_done,
        rows_total: j.progress.rows_total,
        imported: j.progress.imported,
        updated: j.progress.updated,
        skipped: j.progress.skipped,
        failed: j.progress.failed,
        failures: j
            .failures
            .into_iter()
            .map(|f| FailureDto { line: f.line, reason: f.reason })
            .collect(),
        group: j.group,
        message: j.message,
    }))
}

async fn job_report(
    State(st): State<TransferState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    let account = signed_in(&st.store, &headers).await?;
    let job = job_id(&id)?;
    let report =
        st.jobs.report(account.id, job).await.map_err(server_error)?.ok_or_else(unknown_job)?;
    let Some(csv) = report else {
        // No report: the import runs still, or failed as a whole (then it says why).
        let status = st.jobs.status(account.id, job).await.map_err(server_error)?;
        return Err(match status {
            Some(s) if s.state == transfer::JobState::Failed => bad(format!(
                "The import failed, so it has no report: {}",
                s.message.unwrap_or_default()
            )),
            _ => bad("The import is still running."),
        });
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"import-report.csv\""),
        ],
        csv,
    )
        .into_response())
}

#[derive(Deserialize)]
struct ExportQuery {
    format: String,
    group: Option<String>,
    /// Contact ids, comma-separated: a selection.
    ids: Option<String>,
    /// A search: every contact matching it (within `group` if given).
    q: Option<String>,
}

/// The selection form posts the same fields (ids can be many).
async fn export_post(
    st: State<TransferState>,
    headers: HeaderMap,
    axum::Form(q): axum::Form<ExportQuery>,
) -> Result<Response, Failure> {
    export(st, headers, Query(q)).await
}

async fn export(
    State(st): State<TransferState>,
    headers: HeaderMap,
    Query(q): Query<ExportQuery>,
) -> Result<Response, Failure> {
    let (_, book) = signed_in_book(&st.store, &headers).await?;
    let format = match q.format.as_str() {
        "csv" => ExportFormat::Csv(Layout::Rolo),
        "google-csv" => ExportFormat::Csv(Layout::Google),
        "outlook-csv" => ExportFormat::Csv(Layout::Outlook),
        "xlsx" => ExportFormat::Xlsx,
        "xlsx-groups" => ExportFormat::XlsxPerGroup,
        "vcf" => ExportFormat::Vcard(VcardVersion::V4),
        "vcf3" => ExportFormat::Vcard(VcardVersion::V3),
        other => return Err(bad(format!("Unknown export format {other:?}: use csv, google-csv, outlook-csv, xlsx, xlsx-groups, vcf or vcf3."))),
    };
    let ids = q
        .ids
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(domain::ContactId::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    let search = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let (selection, name) = match q.group.as_deref().filter(|g| !g.is_empty()) {
        _ if search.is_some() && ids.is_empty() => {
            let group = q
                .group
                .as_deref()
                .filter(|g| !g.is_empty())
                .map(GroupId::parse)
                .transpose()
                .map_err(|e| bad(e.to_string()))?;
            let ids = st
                .directory
                .matching(book, search.unwrap_or_default(), group)
                .await
                .map_err(server_error)?;
            (Selection::Ids(ids), "contacts-search".to_string())
        }
        None if !ids.is_empty() => (Selection::Ids(ids), "contacts-selection".to_string()),
        None => (Selection::All, "contacts".to_string()),
        Some(_) if !ids.is_empty() => (Selection::Ids(ids), "contacts-selection".to_string()),
        Some(g) => {
            let id = GroupId::parse(g).map_err(|e| bad(e.to_string()))?;
            let group = st
                .store
                .group(book, id)
                .await
                .map_err(|_| Failure(StatusCode::NOT_FOUND, "No such group.".into()))?;
            let safe: String =
                group.name.chars().map(|c| if c.is_alphanumeric() { c } else { '-' }).collect();
            (Selection::Group(id), format!("contacts-{safe}"))
        }
    };
    // The file is sent while it is made, a page of contacts at a time: the export runs in a
    // task of its own, its pieces come through a short channel (so a slow download slows the
    // export instead of filling memory), and it stops when the download is abandoned. A failure
    // before the first piece is the answer; one after it cuts the download short (and is logged).
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let store = st.store.clone();
    let options = ExportOptions { format, selection };
    let task = tokio::spawn(async move {
        let mut tx = tx;
        let result = transfer::export_to(&store, book, &options, &mut tx).await;
        if let Err(e) = &result {
            if !matches!(e, transfer::TransferError::Io(_)) {
                tracing::error!(error = %e, "export failed");
            }
        }
        result
    });
    let Some(first) = rx.recv().await else {
        let failure = match task.await {
            Ok(Err(transfer::TransferError::UnknownContact(id))) => {
                bad(format!("Contact {id} is not in this address book (any more)."))
            }
            Ok(Err(other)) => server_error(other),
            Ok(Ok(_)) => server_error("the export gave no file"),
            Err(e) => server_error(e),
        };
        return Err(failure);
    };
    let rest = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|piece| (Ok::<_, std::io::Error>(piece), rx))
    });
    let body = axum::body::Body::from_stream(
        futures_util::stream::iter([Ok::<_, std::io::Error>(first)]).chain(rest),
    );
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}.{ext}\"; filename*=UTF-8''{}.{ext}",
        utf8_percent(&name),
        ext = format.extension()
    );
    Ok((
        [
            (header::CONTENT_TYPE, format.mime_type().to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

fn utf8_percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn router(store: Arc<Store>, directory: Arc<directory::Directory>, limits: Limits) -> Router {
    let max_body = limits.max_bytes + 64 * 1024;
    let jobs = Arc::new(transfer::Jobs::new(store.clone()));
    let state = TransferState {
        store,
        directory,
        jobs,
        limits,
        gate: transfer::Gate::new(transfer::FILES_AT_ONCE),
    };
    Router::new()
        .route("/console/import/preview", post(preview))
        .route("/console/import", post(start_import))
        .route("/console/import/{job}", get(job_status))
        .route("/console/import/{job}/report.csv", get(job_report))
        .route("/console/export", get(export).post(export_post))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}
