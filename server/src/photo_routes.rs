//! Contacts' photos for the console: `GET /console/photos/{book}/{contact}/{revision}/{size}`,
//! `size` being `thumb` (a 96×96 JPEG of a few KB, cropped to a square: what the list shows) or
//! `full` (the photo as stored). Signed-in sessions only, for a book the account may read;
//! `current` for the book stands for the one the console shows.
//!
//! The revision in the path makes the address of a photo change with the contact, so the
//! browser keeps each answer (`private, immutable`) and a list shown again loads no photo twice;
//! an address whose revision is no longer the contact's gets the current photo, not cached.
//! Thumbnails are made when asked for, a few at a time ([`DECODES_AT_ONCE`]), from images bounded
//! in size before they are decoded.

use std::io::Cursor;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine;
use domain::{BookId, ContactId, Photo};
use store::{Store, StoreError};
use tokio::sync::Semaphore;

/// The side of a thumbnail, in pixels (the list shows it at 40 CSS pixels: twice that and more
/// for dense screens).
pub const THUMB_SIZE: u32 = 96;
/// Thumbnails made at once (each decodes a photo).
pub const DECODES_AT_ONCE: usize = 2;
/// The largest image decoded, per side and in memory.
const MAX_SIDE: u32 = 8192;
const MAX_DECODE_BYTES: u64 = 192 << 20;

#[derive(Clone)]
struct PhotoState {
    store: Arc<Store>,
    decodes: Arc<Semaphore>,
}

pub fn router(store: Arc<Store>) -> Router {
    let state = PhotoState { store, decodes: Arc::new(Semaphore::new(DECODES_AT_ONCE)) };
    Router::new()
        .route("/console/photos/{book}/{contact}/{revision}/{size}", get(photo))
        .with_state(state)
}

fn status(code: StatusCode, message: &'static str) -> Response {
    (code, message).into_response()
}

async fn photo(
    State(st): State<PhotoState>,
    headers: HeaderMap,
    Path((book, contact, revision, size)): Path<(String, String, i64, String)>,
) -> Response {
    let token = app::ssr::session_token_from(&headers);
    let account = match app::ssr::session_account(&st.store, token.as_deref(), false).await {
        Ok(a) => a,
        Err(app::error::AppError::NotSignedIn) => {
            return status(StatusCode::UNAUTHORIZED, "Sign in first.\n")
        }
        Err(_) => return status(StatusCode::FORBIDDEN, "Not allowed.\n"),
    };
    // `current`: the book the console shows (its cookie); such an address is not kept.
    let named = book != "current";
    let book = if named {
        BookId::parse(&book).ok()
    } else {
        let cookie = app::ssr::cookie_from(&headers, app::ssr::BOOK_COOKIE);
        app::ssr::chosen_book(&st.store, &account, cookie).await.ok().map(|s| s.book())
    };
    let (Some(book), Ok(contact)) = (book, ContactId::parse(&contact)) else {
        return status(StatusCode::NOT_FOUND, "No such photo.\n");
    };
    let thumb = match size.as_str() {
        "thumb" => true,
        "full" => false,
        _ => return status(StatusCode::NOT_FOUND, "No such photo size.\n"),
    };
    // The same answer for a book the account may not read as for one that does not exist.
    let found = match st.store.open_book(account.id, book).await {
        Ok(scope) => st.store.get_contact(scope, contact).await,
        Err(e) => Err(e),
    };
    let contact = match found {
        Ok(c) => c,
        Err(StoreError::NotFound) => return status(StatusCode::NOT_FOUND, "No such photo.\n"),
        Err(e) => {
            tracing::error!(error = %e, "photo: reading the contact failed");
            return status(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.\n");
        }
    };
    let Some(photo) = contact.data.photo else {
        return status(StatusCode::NOT_FOUND, "This contact has no photo.\n");
    };
    let current = named && contact.revision == revision;
    let made = if thumb {
        let Ok(_permit) = st.decodes.acquire().await else {
            return status(StatusCode::SERVICE_UNAVAILABLE, "Try again.\n");
        };
        tokio::task::spawn_blocking(move || thumbnail(&photo))
            .await
            .unwrap_or_else(|_| Err("the thumbnail could not be made".into()))
    } else {
        full(&photo)
    };
    match made {
        Ok((media, bytes)) => {
            let cache =
                if current { "private, max-age=31536000, immutable" } else { "private, no-cache" };
            let mut res = bytes.into_response();
            let h = res.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
            res
        }
        Err(why) => {
            tracing::info!(why, "photo: stored image does not decode");
            status(StatusCode::UNPROCESSABLE_ENTITY, "This photo cannot be shown.\n")
        }
    }
}

fn bytes_of(photo: &Photo) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(photo.base64())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(photo.base64()))
        .map_err(|e| format!("not base64: {e}"))
}

/// The photo's bytes and their type, told by the bytes themselves (a photo that claims to be a
/// JPEG but is something else is not sent as one).
pub fn full(photo: &Photo) -> Result<(&'static str, Vec<u8>), String> {
    let bytes = bytes_of(photo)?;
    let media = match image::guess_format(&bytes).map_err(|e| e.to_string())? {
        image::ImageFormat::Jpeg => "image/jpeg",
        image::ImageFormat::Png => "image/png",
        image::ImageFormat::Gif => "image/gif",
        image::ImageFormat::WebP => "image/webp",
        other => return Err(format!("{other:?} is not a photo format")),
    };
    Ok((media, bytes))
}

/// A [`THUMB_SIZE`] square JPEG of the photo (cropped to its middle; transparency on white).
pub fn thumbnail(photo: &Photo) -> Result<(&'static str, Vec<u8>), String> {
    let (_, bytes) = full(photo)?;
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| e.to_string())?;
    let small = img.resize_to_fill(THUMB_SIZE, THUMB_SIZE, image::imageops::FilterType::Triangle);
    let rgba = small.to_rgba8();
    let mut rgb = image::RgbImage::new(rgba.width(), rgba.height());
    for (to, from) in rgb.pixels_mut().zip(rgba.pixels()) {
        let a = u32::from(from[3]);
        let over_white = |c: u8| ((u32::from(c) * a + 255 * (255 - a)) / 255) as u8;
        *to = image::Rgb([over_white(from[0]), over_white(from[1]), over_white(from[2])]);
    }
    let mut out = Vec::with_capacity(8 * 1024);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&rgb)
        .map_err(|e| e.to_string())?;
    Ok(("image/jpeg", out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Photo {
        let img =
            image::RgbaImage::from_fn(w, h, |x, _| image::Rgba([(x % 256) as u8, 40, 200, 255]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgba8(img)
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(out);
        Photo::from_parts("image/png", &b64).unwrap()
    }

    #[test]
    fn a_thumbnail_is_a_small_square_jpeg() {
        let (media, bytes) = thumbnail(&png(640, 480)).unwrap();
        assert_eq!(media, "image/jpeg");
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!((img.width(), img.height()), (THUMB_SIZE, THUMB_SIZE));
        assert!(bytes.len() < 8 * 1024, "{} bytes", bytes.len());
    }

    #[test]
    fn a_photo_is_sent_as_what_its_bytes_are() {
        let p = png(4, 4);
        assert_eq!(full(&p).unwrap().0, "image/png");
        // Claims JPEG, holds HTML: not sent, not decoded.
        let html = base64::engine::general_purpose::STANDARD.encode("<script>alert(1)</script>");
        let fake = Photo::from_parts("image/jpeg", &html).unwrap();
        assert!(full(&fake).is_err());
        assert!(thumbnail(&fake).is_err());
    }

    #[test]
    fn an_image_past_the_bounds_is_refused_before_it_is_decoded() {
        // A PNG header claiming 60,000 × 60,000 pixels (14 GB decoded), in a few bytes.
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        bytes.extend(60_000u32.to_be_bytes());
        bytes.extend(60_000u32.to_be_bytes());
        bytes.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        let bomb = Photo::from_parts("image/png", &b64).unwrap();
        assert!(thumbnail(&bomb).is_err());
    }
}
