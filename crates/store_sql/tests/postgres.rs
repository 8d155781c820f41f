//! The backend contract on PostgreSQL. Each test gets a schema of its own in the database named
//! by `ROLO_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::str::FromStr;
use std::sync::Arc;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, Row};
use store::Backend;
use store_sql::PostgresBackend;

fn base_url() -> String {
    std::env::var("ROLO_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

async fn fresh_schema() -> (PgConnectOptions, String) {
    let schema = format!("rolo_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&base_url())
        .await
        .expect("PostgreSQL for tests (ROLO_TEST_POSTGRES_URL)");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let opts = PgConnectOptions::from_str(&base_url())
        .unwrap()
        .options([("search_path", schema.as_str())]);
    (opts, schema)
}

async fn fresh() -> Arc<dyn Backend> {
    let (opts, _) = fresh_schema().await;
    Arc::new(PostgresBackend::connect_with(opts).await.unwrap())
}

store::contract_tests!(fresh);

#[tokio::test]
async fn no_plaintext_contact_data_in_the_tables() {
    let (opts, schema) = fresh_schema().await;
    let backend = Arc::new(PostgresBackend::connect_with(opts).await.unwrap());
    let store = store::contract::store_on(backend.clone()).await;
    store::contract::write_known_contacts(&store).await;

    let tables: Vec<String> = sqlx::query(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1",
    )
    .bind(&schema)
    .fetch_all(backend.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect();
    assert!(tables.contains(&"contacts".to_string()), "{tables:?}");
    let mut dump = String::new();
    for t in &tables {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT t::text FROM {schema}.{t} t")))
            .fetch_all(backend.pool())
            .await
            .unwrap();
        for r in rows {
            dump.push_str(&r.get::<String, _>(0));
            dump.push('\n');
        }
    }
    for needle in
        store::contract::SECRET_STRINGS.iter().chain(["Deleted", "deleted@example.org"].iter())
    {
        assert!(!dump.contains(needle), "{needle:?} found in clear");
        // bytea columns render as hex: look for the hex form too.
        assert!(!dump.contains(&hex_of(needle)), "{needle:?} found as bytes");
    }
    assert!(dump.contains("secret-owner"), "the dump is real: the username is in clear");
}

fn hex_of(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn unreachable_database_gives_a_clear_error() {
    let err = PostgresBackend::connect("postgres://nobody@127.0.0.1:1/none").await.err().unwrap();
    assert!(err.to_string().contains("cannot connect to PostgreSQL"), "{err}");
}
