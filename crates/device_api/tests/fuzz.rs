//! Property-based fuzzing of the device sync API's input (see `docs/fuzzing.md`): the real
//! `/api/v1` router, driven in process over a store on a temporary SQLite database, gets any
//! bytes and structurally random JSON as upload bodies (wrong types, huge numbers, deep nesting,
//! unknown fields, giant strings, many items) and random queries and paths. It never answers
//! 5xx, every 4xx is a JSON error with `error` and `message`, each request allocates within the
//! bound, and the server keeps answering.
//!
//! `ROLO_FUZZ_CASES` sets the cases per property (256 by default).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use domain::{DeviceKind, Username};
use fuzz_support::{bounded, run};
use http_body_util::BodyExt;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use tower::ServiceExt;

#[global_allocator]
static ALLOC: fuzz_support::CountingAlloc = fuzz_support::CountingAlloc;

/// The router over a fresh store with one account and one device.
struct Api {
    rt: tokio::runtime::Runtime,
    router: Router,
    token: String,
    _dir: tempfile::TempDir,
}

impl Api {
    fn new() -> Api {
        // Hashing the password takes argon2's memory: not while another test measures.
        let _alone = fuzz_support::alone();
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let url = format!("sqlite://{}", dir.path().join("rolo.db").display());
        let (router, token) = rt.block_on(async {
            let backend = Arc::new(store_sql::SqliteBackend::connect(&url).await.unwrap());
            let store = store::Store::new(
                backend,
                store::KeySource::Fixed(store::contract::test_keyring()),
            )
            .await
            .unwrap();
            let account = store
                .create_account(&Username::parse("fuzz").unwrap(), "fuzz-password-1", false)
                .await
                .unwrap();
            let (_, token) =
                store.create_device(account.id, "Fuzzer", DeviceKind::Pc).await.unwrap();
            (device_api::router(Arc::new(store)), token)
        });
        let api = Api { rt, router, token, _dir: dir };
        // The first requests open connections and prepare statements: not part of any case.
        let (status, body) = api.call(Method::POST, "/api/v1/sync/upload", Some("application/json"), br#"{"changes":[{"id":"0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f60","op":"upsert","data":{"display_name":"Warm"}}]}"#.to_vec());
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        api.assert_answering().unwrap();
        api
    }

    fn call(
        &self,
        method: Method,
        uri: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Vec<u8>) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token));
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let req = req.body(Body::from(body)).unwrap();
        self.rt.block_on(async {
            let res = self.router.clone().oneshot(req).await.unwrap();
            let status = res.status();
            (status, res.into_body().collect().await.unwrap().to_bytes().to_vec())
        })
    }

    /// Sends a request within the allocation bound (of its body and URI) and checks the answer:
    /// never 5xx; a 4xx is a JSON error with `error` and `message`.
    fn check(
        &self,
        method: Method,
        uri: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<(StatusCode, Vec<u8>), TestCaseError> {
        let len = body.len() + uri.len();
        let (status, answer) =
            bounded("the request", len, || self.call(method, uri, content_type, body))?;
        let text = String::from_utf8_lossy(&answer);
        prop_assert!(!status.is_server_error(), "{} for {}: {}", status, uri, text);
        if status.is_client_error() {
            let v: serde_json::Value = serde_json::from_slice(&answer)
                .map_err(|e| TestCaseError::fail(format!("{status}: not JSON ({e}): {text}")))?;
            prop_assert!(
                v["error"].is_string() && v["message"].is_string(),
                "{}: {}",
                status,
                text
            );
        }
        Ok((status, answer))
    }

    fn assert_answering(&self) -> Result<(), TestCaseError> {
        let (status, body) = self.call(Method::GET, "/api/v1/sync/status", None, Vec::new());
        prop_assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        Ok(())
    }

    fn upload(&self, content_type: Option<&str>, body: Vec<u8>) -> Result<(), TestCaseError> {
        let (status, answer) =
            self.check(Method::POST, "/api/v1/sync/upload", content_type, body)?;
        if status == StatusCode::OK {
            serde_json::from_slice::<sync_proto::UploadResponse>(&answer).map_err(|e| {
                TestCaseError::fail(format!(
                    "200 that is not an upload response ({e}): {}",
                    String::from_utf8_lossy(&answer)
                ))
            })?;
        }
        self.assert_answering()
    }
}

/// JSON text, valid or nearly: any value, with huge numbers and odd strings.
fn json() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        select(
            &[
                "null",
                "true",
                "false",
                "0",
                "-0",
                "1",
                "-1",
                "1e400",
                "-1e400",
                "18446744073709551616",
                "-9223372036854775809",
                "9223372036854775807",
                "1.5",
                "0.1e-999",
                "\"\"",
                "\"\\u0000\"",
                "\"\\ud800\"",
                "\"\\uDFFF\\uD800\"",
                "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
                "NaN",
                "Infinity",
                "01",
                "+1",
                "'x'",
                "\"\u{feff}\""
            ][..]
        )
        .prop_map(str::to_string),
        "-?[0-9]{1,40}(\\.[0-9]{1,10})?([eE][+-]?[0-9]{1,4})?",
        "\"[a-zA-Z0-9 @.+\u{4e00}-\u{4e20}-]{0,20}\"",
        uuid().prop_map(|u| format!("\"{u}\"")),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..8).prop_map(|v| format!("[{}]", v.join(","))),
            vec((key(), inner), 0..8).prop_map(|kv| format!(
                "{{{}}}",
                kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect::<Vec<_>>().join(",")
            )),
        ]
    })
}

/// The names an upload and a contact's data have, and others.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(&["changes", "kind", "id", "op", "base_revision", "data", "name", "display_name", "given", "family", "phones",
            "emails", "addresses", "label", "value", "street", "birthday", "notes", "extra", "groups", "organization", "nickname",
            "title", "__proto__", ""][..]).prop_map(str::to_string),
        1 => "[a-z_]{1,10}",
    ]
}

fn uuid() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[0-9a-f]{8}-[0-9a-f]{4}-[47][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
        1 => Just("00000000-0000-0000-0000-000000000000".to_string()),
        1 => "[0-9a-fA-F{}-]{0,40}",
    ]
}

/// A contact's data: valid, near-valid (wrong types, bad values), or any JSON.
fn contact_data() -> impl Strategy<Value = String> {
    let phone = prop_oneof![
        "\"[+0-9 ()-]{2,16}\"",
        "\"[a-z]{0,8}\"",
        Just("123".to_string()),
        Just("null".to_string())
    ];
    let email =
        prop_oneof!["\"[a-z]{1,8}@[a-z]{1,8}\\.com\"", "\"[a-z@.]{0,10}\"", Just("[]".to_string())];
    let giant = (1usize..300_000).prop_map(|n| format!("\"{}\"", "x".repeat(n)));
    let name = prop_oneof![8 => "\"[a-zA-Z \u{4e00}-\u{4e20}]{0,20}\"", 1 => giant, 1 => json()];
    let birthday = prop_oneof![
        Just("null".to_string()),
        Just("\"1990-05-17\"".to_string()),
        Just("\"--02-29\"".to_string()),
        Just("\"1990-02-30\"".to_string()),
        Just("\"0000-01-01\"".to_string()),
        json()
    ];
    let group = prop_oneof![4 => uuid().prop_map(|u| format!("\"{u}\"")), 1 => json()];
    let valid = (name, vec(phone, 0..4), vec(email, 0..3), birthday, vec(group, 0..2), vec((key(), json()), 0..1)).prop_map(
        |(name, phones, emails, birthday, groups, unknown)| {
            let phones: Vec<String> = phones.iter().map(|p| format!(r#"{{"label":"mobile","value":{p}}}"#)).collect();
            let emails: Vec<String> = emails.iter().map(|e| format!(r#"{{"label":"x","value":{e}}}"#)).collect();
            let unknown: String = unknown.iter().map(|(k, v)| format!(r#","{k}":{v}"#)).collect();
            format!(
                r#"{{"display_name":{name},"phones":[{}],"emails":[{}],"birthday":{birthday},"groups":[{}],"extra":[{{"name":"X","value":"y"}}]{unknown}}}"#,
                phones.join(","),
                emails.join(","),
                groups.join(",")
            )
        },
    );
    let clean = (
        "[a-zA-Z \u{4e00}-\u{4e20}]{1,20}",
        vec("[+0-9][0-9 -]{4,12}", 0..3),
        vec("[a-z]{1,8}@[a-z]{1,8}\\.com", 0..2),
    )
        .prop_map(|(name, phones, emails)| {
            let phones: Vec<String> =
                phones.iter().map(|p| format!(r#"{{"label":"work","value":"{p}"}}"#)).collect();
            let emails: Vec<String> =
                emails.iter().map(|e| format!(r#"{{"label":"home","value":"{e}"}}"#)).collect();
            format!(
                r#"{{"display_name":"{name}","phones":[{}],"emails":[{}]}}"#,
                phones.join(","),
                emails.join(",")
            )
        });
    prop_oneof![4 => clean, 4 => valid, 1 => json(), 1 => (1usize..5000).prop_map(|n| format!("{}1{}", "[".repeat(n), "]".repeat(n)))]
}

/// One upload item: mostly a well-formed one (whose data may be anything), else one whose
/// fields are wrong, missing or unknown.
fn item() -> impl Strategy<Value = String> {
    let uuid_v7 = "0190f5a4-3c1e-7cc2-9d1e-[0-9a-f]{12}";
    let base = prop_oneof![3 => Just(String::new()), 1 => (1i64..4).prop_map(|n| format!(r#","base_revision":{n}"#))];
    let well_formed =
        (uuid_v7, select(&["upsert", "upsert", "upsert", "delete"][..]), base, contact_data())
            .prop_map(|(id, op, base, data)| {
                format!(r#"{{"kind":"contact","id":"{id}","op":"{op}"{base},"data":{data}}}"#)
            });
    prop_oneof![4 => well_formed, 1 => any_item()]
}

fn any_item() -> impl Strategy<Value = String> {
    let kind = prop_oneof![
        Just(Some("\"contact\"".to_string())),
        Just(Some("\"group\"".to_string())),
        Just(None),
        json().prop_map(Some)
    ];
    let op = prop_oneof![4 => Just(Some("\"upsert\"".to_string())), 2 => Just(Some("\"delete\"".to_string())), 1 => Just(None), 1 => json().prop_map(Some)];
    let base = prop_oneof![3 => Just(None), 2 => (1i64..5).prop_map(|n| Some(n.to_string())), 1 => select(&["0", "-1", "9223372036854775807", "9223372036854775808", "1e30", "\"1\"", "null", "1.5"][..]).prop_map(|s| Some(s.to_string()))];
    let group_data = prop_oneof![
        Just(r#"{"name":"Friends"}"#.to_string()),
        Just(r#"{"name":""}"#.to_string()),
        json()
    ];
    let data = prop_oneof![3 => contact_data().prop_map(Some), 1 => group_data.prop_map(Some), 1 => Just(None)];
    let unknown = prop_oneof![6 => Just(None), 1 => (key(), json()).prop_map(Some)];
    (kind, uuid().prop_map(|u| format!("\"{u}\"")), op, base, data, unknown).prop_map(
        |(kind, id, op, base, data, unknown)| {
            let mut fields = vec![format!(r#""id":{id}"#)];
            for (k, v) in [("kind", kind), ("op", op), ("base_revision", base), ("data", data)] {
                if let Some(v) = v {
                    fields.push(format!(r#""{k}":{v}"#));
                }
            }
            if let Some((k, v)) = unknown {
                fields.push(format!(r#""{k}":{v}"#));
            }
            format!("{{{}}}", fields.join(","))
        },
    )
}

/// An upload body: a few items, or very many (past the limit, or cheap to reject), or not an
/// upload at all.
fn upload_body() -> impl Strategy<Value = String> {
    let rejected = r#"{"id":"0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f61","op":"delete"}"#;
    prop_oneof![
        8 => vec(item(), 0..6).prop_map(|items| format!(r#"{{"changes":[{}]}}"#, items.join(","))),
        1 => select(vec![1000usize, 1001, 5000]).prop_map(move |n| format!(r#"{{"changes":[{}]}}"#, vec![rejected; n].join(","))),
        1 => json(),
        1 => (item(), key(), json()).prop_map(|(i, k, v)| format!(r#"{{"changes":[{i}],"{k}":{v}}}"#)),
    ]
}

#[test]
fn device_api_upload_never_fails_on_any_bytes() {
    let api = Api::new();
    let body = prop_oneof![
        vec(any::<u8>(), 0..2048),
        vec(
            select(
                &[
                    "{",
                    "}",
                    "[",
                    "]",
                    ",",
                    ":",
                    "\"",
                    "changes",
                    "\"changes\"",
                    "null",
                    "1",
                    "\\",
                    "\\u",
                    " ",
                    "\u{0}",
                    "\u{ff}"
                ][..]
            ),
            0..100
        )
        .prop_map(|v| v.concat().into_bytes()),
    ];
    let content_type = prop_oneof![6 => Just(Some("application/json")), 1 => Just(None), 1 => Just(Some("text/plain")), 1 => Just(Some("application/json; charset=latin1"))];
    run(
        "device_api_upload_never_fails_on_any_bytes",
        (body, content_type),
        |(body, content_type)| api.upload(content_type, body),
    );
}

#[test]
fn device_api_upload_never_fails_on_random_json() {
    let api = Api::new();
    run("device_api_upload_never_fails_on_random_json", upload_body(), |body| {
        api.upload(Some("application/json"), body.into_bytes())
    });
}

#[test]
fn device_api_upload_refuses_a_body_past_the_limit() {
    let api = Api::new();
    let _alone = fuzz_support::alone();
    // Rare and large: a handful of cases whatever the case count.
    let cases = fuzz_support::cases().clamp(1, 4) as usize;
    for i in 0..cases {
        let mut body = br#"{"changes":[]}"#.to_vec();
        body.resize(device_api::MAX_BODY + 1 + i, b' ');
        let (status, _) =
            api.check(Method::POST, "/api/v1/sync/upload", Some("application/json"), body).unwrap();
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    }
    api.assert_answering().unwrap();
}

/// Percent-encodes everything but unreserved characters.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn device_api_queries_and_paths_never_fail() {
    let api = Api::new();
    let text = prop_oneof![
        "[a-zA-Z0-9+/=_-]{0,24}",
        any::<String>(),
        uuid(),
        select(
            &[
                "",
                "0",
                "-1",
                "1000",
                "1001",
                "18446744073709551616",
                "MA",
                "AAAAAAAAAAA",
                "%",
                "null"
            ][..]
        )
        .prop_map(str::to_string),
    ];
    let request = (0u8..5, text.clone(), text).prop_map(|(kind, a, b)| match kind {
        0 => format!("/api/v1/sync/changes?cursor={}&limit={}", encode(&a), encode(&b)),
        1 => format!("/api/v1/sync/changes?{}={}", encode(&a), encode(&b)),
        2 => format!("/api/v1/contacts/{}", encode(&a)),
        3 => format!("/api/v1/{}/{}", encode(&a), encode(&b)),
        _ => "/api/v1/groups".to_string(),
    });
    run("device_api_queries_and_paths_never_fail", request, |uri| {
        api.check(Method::GET, &uri, None, Vec::new())?;
        api.assert_answering()
    });
}
