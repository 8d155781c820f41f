//! Methods Rolo refuses politely: MKCALENDAR, COPY, MOVE, LOCK (no class 2), POST.

use axum::http::StatusCode;
use axum::response::Response;

use crate::error::{DavError, DavResult};
use crate::Ctx;

pub fn handle(_ctx: &Ctx, method: &str) -> DavResult<Response> {
    Err(refuse(method))
}

pub fn refuse(method: &str) -> DavError {
    let message = match method {
        "MKCOL" | "MKCALENDAR" => "Rolo keeps address books only; make one with MKCOL.",
        "LOCK" | "UNLOCK" => "Rolo does not lock resources (DAV class 1 and 3 only).",
        _ => "This method is not supported by Rolo's address book.",
    };
    let status = if method.starts_with("MK") {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::METHOD_NOT_ALLOWED
    };
    DavError::status(status, message)
}
