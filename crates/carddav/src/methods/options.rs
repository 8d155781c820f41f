//! OPTIONS: the DAV classes (1, 3 and addressbook; no locking) and the allowed methods. Answered
//! without sign-in, so clients can probe.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub const DAV_CLASSES: &str = "1, 3, addressbook";

pub fn handle() -> Response {
    let mut r = StatusCode::OK.into_response();
    let h = r.headers_mut();
    h.insert(HeaderName::from_static("dav"), HeaderValue::from_static(DAV_CLASSES));
    h.insert(header::ALLOW, HeaderValue::from_static(crate::ALLOW));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    r
}
