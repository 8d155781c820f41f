//! The console's error type: what a person is told. Server-side details go to the log only.

use domain::FieldError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in.")]
    NotSignedIn,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("Not found: it may have been deleted.")]
    NotFound,
    #[error("Some fields need attention.")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("Wrong username or password.")]
    BadLogin,
    #[error("Too many failed attempts. Try again in {0} seconds.")]
    Throttled(u64),
    #[error("Your administrator requires two-step sign-in: set it up on your Account page first.")]
    SecondFactorRequired,
    #[error("That code is not right. Type the six digits your app shows now, or a recovery code.")]
    BadCode,
    #[error("{0}")]
    BadRequest(String),
    #[error("The server could not be reached. Check your connection and try again.")]
    Network,
    #[error("Something went wrong on the server. Please try again; if it persists, tell your administrator.")]
    Server,
}

impl AppError {
    /// The message for one form field, if this error has one.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            AppError::Invalid(errors) => {
                errors.iter().find(|e| e.field == name).map(|e| e.message.clone())
            }
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m)
            | ServerFnErrorErr::Deserialization(m)
            | ServerFnErrorErr::MissingArg(m) => {
                AppError::BadRequest(format!("The request was not understood: {m}"))
            }
            ServerFnErrorErr::Request(_) => AppError::Network,
            _ => AppError::Server,
        }
    }
}
