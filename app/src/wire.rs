//! How the server functions' answers travel: JSON, read in the browser from text with
//! `serde_json::from_str`, the reader the console's resources already use for the data the
//! server sent with the page. With server_fn's own JSON (read from bytes), the console carried
//! two JSON readers of every answer type.

use leptos::server_fn::codec::{JsonEncoding, Post};
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// server_fn's JSON, decoded from text (see the module).
pub struct TextJsonEncoding;

impl ContentType for TextJsonEncoding {
    const CONTENT_TYPE: &'static str = JsonEncoding::CONTENT_TYPE;
}

impl FormatType for TextJsonEncoding {
    const FORMAT_TYPE: Format = JsonEncoding::FORMAT_TYPE;
}

impl<T: Serialize> Encodes<T> for TextJsonEncoding {
    type Error = <JsonEncoding as Encodes<T>>::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        <JsonEncoding as Encodes<T>>::encode(output)
    }
}

impl<T: DeserializeOwned> Decodes<T> for TextJsonEncoding {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        match std::str::from_utf8(&bytes) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => Err(serde::de::Error::custom("the server's answer is not UTF-8 text")),
        }
    }
}

/// A server function's answer as JSON in the body of a `POST` answer (`output = TextJson`).
pub type TextJson = Post<TextJsonEncoding>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_round_trip_and_bad_bytes_are_an_error() {
        let value = vec![("Zoë".to_owned(), 3_u32)];
        let bytes = <TextJsonEncoding as Encodes<_>>::encode(&value).unwrap();
        let back: Vec<(String, u32)> = <TextJsonEncoding as Decodes<_>>::decode(bytes).unwrap();
        assert_eq!(back, value);
        let bad = Bytes::from_static(b"[[\"\xff\",3]]");
        let err = <TextJsonEncoding as Decodes<Vec<(String, u32)>>>::decode(bad).unwrap_err();
        assert!(err.to_string().contains("not UTF-8"), "{err}");
    }
}
