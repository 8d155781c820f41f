//! Photos on every channel: a photo sent by a device is served to CardDAV and the console, one
//! sent by CardDAV reaches devices, the console shows small cached thumbnails of the books it
//! may read only, and one size limit holds on every channel.

use std::io::Cursor;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::carddav::Dav;
use crate::common::{self, TestServer};
use crate::device_api::Device;

const ANN: &str = "0190f5a4-3c1e-7cc2-9d1e-000000000a01";

/// An image of `w`×`h` pixels in `format`, noisy enough that it does not compress to nothing.
fn image_bytes(w: u32, h: u32, format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let n = x.wrapping_mul(7919) ^ y.wrapping_mul(104_729) ^ (x * y);
        image::Rgb([(n % 251) as u8, (x % 256) as u8, (y % 256) as u8])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img).write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A device's upload, which must be answered.
async fn upload(device: &Device, body: Value) -> Value {
    let (status, r) = device.upload(body).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    r
}

/// A contact as a device reads it.
async fn contact(device: &Device, id: &str) -> Value {
    let (status, c) = device.get(&format!("/api/v1/contacts/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    c
}

#[tokio::test]
async fn photos_travel_between_devices_carddav_and_the_console() {
    let s = TestServer::start().await;
    let alice = s.account("alice", "alice-password-1").await;
    s.account("bob", "bob-password-1").await;
    let book = store::Scope::from(alice.id).book();

    // A device sends a PNG photo: CardDAV serves it in either version, bytes as sent.
    let png = image_bytes(300, 200, image::ImageFormat::Png);
    let url = format!("data:image/png;base64,{}", b64(&png));
    let device = Device::new(&s, alice.id, "PC").await;
    let r = upload(
        &device,
        json!({ "changes": [
            { "id": ANN, "op": "upsert", "data": { "display_name": "Ann", "photo": url } }
        ]}),
    )
    .await;
    assert_eq!(r["results"][0]["status"], "created", "{r}");
    let dav = Dav::new(&s, alice.id, "alice").await;
    let v3 = dav.get(&format!("{ANN}.vcf")).await;
    assert_eq!(v3.status, StatusCode::OK);
    let unfolded = v3.body.replace("\r\n ", "");
    assert!(
        unfolded.contains(&format!("PHOTO;ENCODING=b;TYPE=PNG:{}\r\n", b64(&png))),
        "{unfolded}"
    );
    let v4 = dav
        .send(
            "GET",
            &format!("{}{ANN}.vcf", dav.book()),
            &[("Accept", "text/vcard; version=4.0")],
            "",
        )
        .await;
    assert!(v4.body.replace("\r\n ", "").contains(&format!("PHOTO:{url}\r\n")));

    // A phone sends a card with a JPEG photo: devices get it as a data: URL.
    let jpeg = image_bytes(120, 160, image::ImageFormat::Jpeg);
    let card = format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bo-photo\r\nFN:Bo\r\nN:;Bo;;;\r\nPHOTO;ENCODING=b;TYPE=JPEG:{}\r\nEND:VCARD\r\n",
        b64(&jpeg)
    );
    let put = dav.put("bo.vcf", &card, &[]).await;
    assert_eq!(put.status, StatusCode::CREATED, "{}", put.body);
    let bo = s.store.list_contacts(alice.id).await.unwrap();
    let bo = bo.iter().find(|c| c.data.display_name == "Bo").unwrap();
    let got = contact(&device, &bo.id.to_string()).await;
    let sent = got["data"]["photo"].as_str().or(got["photo"].as_str()).unwrap_or_default();
    assert_eq!(sent, format!("data:image/jpeg;base64,{}", b64(&jpeg)), "{got}");

    // The console: the list marks who has a photo; a thumbnail is a small square JPEG the
    // browser keeps; the photo itself is the bytes sent.
    let console = common::signed_in(&s, "alice", "alice-password-1").await;
    let (status, page) = common::rpc(
        &console,
        &s.url,
        "contact_page",
        &[("q", ""), ("sort", "name"), ("offset", "0")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let page: Value = serde_json::from_str(&page).unwrap();
    assert_eq!(page["book"], book.to_string());
    assert!(page["items"].as_array().unwrap().iter().all(|i| i["photo"] == true), "{page}");
    let thumb_url = format!("{}/console/photos/{book}/{ANN}/1/thumb", s.url);
    let thumb = console.get(&thumb_url).send().await.unwrap();
    assert_eq!(thumb.status(), StatusCode::OK);
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let cache = thumb.headers()["cache-control"].to_str().unwrap().to_string();
    assert!(cache.contains("private") && cache.contains("immutable"), "{cache}");
    let bytes = thumb.bytes().await.unwrap();
    assert!(bytes.len() < 8 * 1024, "a thumbnail of {} bytes", bytes.len());
    let img = image::load_from_memory(&bytes).unwrap();
    assert_eq!((img.width(), img.height()), (96, 96));
    let full =
        console.get(format!("{}/console/photos/current/{ANN}/1/full", s.url)).send().await.unwrap();
    assert_eq!(full.headers()["content-type"], "image/png");
    assert!(full.headers()["cache-control"].to_str().unwrap().contains("no-cache"));
    assert_eq!(full.bytes().await.unwrap().as_ref(), png.as_slice());
    // An address of an older revision gets the current photo, not kept.
    let stale =
        console.get(format!("{}/console/photos/{book}/{ANN}/7/thumb", s.url)).send().await.unwrap();
    assert_eq!(stale.status(), StatusCode::OK);
    assert!(stale.headers()["cache-control"].to_str().unwrap().contains("no-cache"));

    // Nobody else sees it: signed out, another account, a made-up size.
    let anon = common::client().get(&thumb_url).send().await.unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    let bob = common::signed_in(&s, "bob", "bob-password-1").await;
    let theirs = bob.get(&thumb_url).send().await.unwrap();
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    assert!(theirs.bytes().await.unwrap().len() < 100);
    let odd =
        console.get(format!("{}/console/photos/{book}/{ANN}/1/huge", s.url)).send().await.unwrap();
    assert_eq!(odd.status(), StatusCode::NOT_FOUND);

    // The console removes it (an empty photo); `keep` keeps it.
    let keep = [
        ("id", ANN),
        ("revision", "1"),
        ("contact[display_name]", "Ann B"),
        ("contact[photo]", domain::PHOTO_KEEP),
    ];
    let (status, body) = common::rpc(&console, &s.url, "save_contact", &keep).await;
    assert!(status.is_success() || status.is_redirection(), "{status} {body}");
    assert!(contact(&device, ANN).await.to_string().contains(&b64(&png)));
    let remove = [
        ("id", ANN),
        ("revision", "2"),
        ("contact[display_name]", "Ann B"),
        ("contact[photo]", ""),
    ];
    let (status, body) = common::rpc(&console, &s.url, "save_contact", &remove).await;
    assert!(status.is_success() || status.is_redirection(), "{status} {body}");
    assert!(!contact(&device, ANN).await.to_string().contains("photo"));
    assert!(!dav.get(&format!("{ANN}.vcf")).await.body.contains("PHOTO"));
    s.shutdown().await;
}

#[tokio::test]
async fn one_size_limit_for_photos_on_every_channel() {
    let s = TestServer::start_configured(|c| c.dav.max_resource_size = 64 * 1024).await;
    let alice = s.account("alice", "alice-password-1").await;
    // About 100 KB of photo: past the 64 KB limit everywhere.
    let big = image_bytes(400, 400, image::ImageFormat::Png);
    assert!(big.len() > 80 * 1024, "{} bytes", big.len());
    let url = format!("data:image/png;base64,{}", b64(&big));

    let device = Device::new(&s, alice.id, "PC").await;
    let r = upload(
        &device,
        json!({ "changes": [
            { "id": ANN, "op": "upsert", "data": { "display_name": "Ann", "photo": url } }
        ]}),
    )
    .await;
    assert_eq!(r["results"][0]["status"], "rejected", "{r}");
    assert!(r.to_string().contains("too large"), "{r}");

    let dav = Dav::new(&s, alice.id, "alice").await;
    let card = format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:big\r\nFN:Big\r\nPHOTO;ENCODING=b;TYPE=PNG:{}\r\nEND:VCARD\r\n",
        b64(&big)
    );
    let put = dav.put("big.vcf", &card, &[]).await;
    assert!(put.status.is_client_error(), "{} {}", put.status, put.body);

    let console = common::signed_in(&s, "alice", "alice-password-1").await;
    let form = [("contact[display_name]", "Big"), ("contact[photo]", url.as_str())];
    let (status, body) = common::rpc(&console, &s.url, "save_contact", &form).await;
    assert!(!status.is_success(), "{status}");
    assert!(body.contains("too large"), "{body}");
    assert!(s.store.list_contacts(alice.id).await.unwrap().is_empty());
    s.shutdown().await;
}
