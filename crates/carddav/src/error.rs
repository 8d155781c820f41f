//! CardDAV errors and their HTTP form: a status, and for failed preconditions a `DAV:error`
//! body naming the condition, with a message people can read.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use store::StoreError;

use crate::response::error_body;
use crate::xml::Name;

#[derive(Debug)]
pub enum DavError {
    /// A status with a plain-text message.
    Status(StatusCode, String),
    /// A failed precondition or postcondition (RFC 4918 §16): status, condition, message.
    Condition(StatusCode, Name, String),
    /// No or wrong credentials.
    Unauthorized,
    /// Too many failed sign-ins: retry after so many seconds.
    Throttled(u64),
    /// A failure of the server; the detail goes to the log only.
    Internal(String),
}

pub type DavResult<T> = Result<T, DavError>;

impl DavError {
    pub fn status(s: StatusCode, m: impl Into<String>) -> Self {
        DavError::Status(s, m.into())
    }
    pub fn bad_request(m: impl Into<String>) -> Self {
        DavError::Status(StatusCode::BAD_REQUEST, m.into())
    }
    pub fn not_found() -> Self {
        DavError::Status(StatusCode::NOT_FOUND, "There is no such address book entry.".into())
    }
    pub fn precondition_failed(m: impl Into<String>) -> Self {
        DavError::Status(StatusCode::PRECONDITION_FAILED, m.into())
    }
}

impl From<StoreError> for DavError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => DavError::not_found(),
            StoreError::Stale { .. } => DavError::precondition_failed(
                "The card was changed elsewhere in the meantime; sync and try again.",
            ),
            StoreError::Conflict(m) => DavError::Status(StatusCode::CONFLICT, m),
            StoreError::WrongKind => DavError::Status(
                StatusCode::CONFLICT,
                "That UID belongs to a group where a contact was sent, or back.".into(),
            ),
            StoreError::Invalid(v) => DavError::Condition(
                StatusCode::FORBIDDEN,
                Name::card("valid-address-data"),
                v.0.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join(" "),
            ),
            StoreError::ReadOnly => DavError::Condition(
                StatusCode::FORBIDDEN,
                Name::dav("need-privileges"),
                "This address book is shared with you read-only.".into(),
            ),
            StoreError::NotOwner => DavError::Condition(
                StatusCode::FORBIDDEN,
                Name::dav("need-privileges"),
                "Only the address book's owner may do that.".into(),
            ),
            other => DavError::Internal(other.to_string()),
        }
    }
}

const REALM: &str = "Basic realm=\"Rolo\", charset=\"UTF-8\"";

impl IntoResponse for DavError {
    fn into_response(self) -> Response {
        let text = |s: StatusCode, m: String| {
            let mut r = (s, format!("{m}\n")).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            r
        };
        match self {
            DavError::Status(s, m) => text(s, m),
            DavError::Condition(s, c, m) => {
                let mut r = (s, error_body(&c, &m)).into_response();
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/xml; charset=utf-8"),
                );
                r
            }
            DavError::Unauthorized => {
                let mut r = text(
                    StatusCode::UNAUTHORIZED,
                    "Sign in with your Rolo username and a device token (app password).".into(),
                );
                r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(REALM));
                r
            }
            DavError::Throttled(secs) => {
                let mut r = text(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many failed sign-ins; wait a few minutes and try again.".into(),
                );
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                r
            }
            DavError::Internal(detail) => {
                tracing::error!(error = %detail, "CardDAV: server failure");
                text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The server failed; try again later.".into(),
                )
            }
        }
    }
}
