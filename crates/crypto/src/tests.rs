use super::*;

const A: [u8; 16] = [1; 16];
const B: [u8; 16] = [2; 16];
const C1: [u8; 16] = [3; 16];
const C2: [u8; 16] = [4; 16];

#[test]
fn contact_round_trip_and_binding() {
    let dk = DataKey::generate().unwrap();
    let blob = dk.seal_contact(&A, &C1, 3, b"Alice 555").unwrap();
    assert_eq!(dk.open_contact(&A, &C1, 3, &blob).unwrap(), b"Alice 555");
    // Moved to another contact, account or revision: does not open.
    assert!(matches!(dk.open_contact(&A, &C2, 3, &blob), Err(CryptoError::Open)));
    assert!(matches!(dk.open_contact(&B, &C1, 3, &blob), Err(CryptoError::Open)));
    assert!(matches!(dk.open_contact(&A, &C1, 4, &blob), Err(CryptoError::Open)));
    // Another account's key cannot open it either.
    let other = DataKey::generate().unwrap();
    assert!(other.open_contact(&A, &C1, 3, &blob).is_err());
}

#[test]
fn fresh_nonce_every_time_and_no_plaintext_in_blob() {
    let dk = DataKey::generate().unwrap();
    let a = dk.seal_contact(&A, &C1, 1, b"same text same text").unwrap();
    let b = dk.seal_contact(&A, &C1, 1, b"same text same text").unwrap();
    assert_ne!(a, b);
    assert!(!a.windows(9).any(|w| w == b"same text"));
    assert_eq!(a[0], 1, "format version byte");
}

#[test]
fn tampering_is_detected() {
    let dk = DataKey::generate().unwrap();
    let mut blob = dk.seal_contact(&A, &C1, 1, b"hello").unwrap();
    let last = blob.len() - 1;
    blob[last] ^= 1;
    assert!(dk.open_contact(&A, &C1, 1, &blob).is_err());
    assert!(dk.open_contact(&A, &C1, 1, &[]).is_err());
}

#[test]
fn wrap_unwrap_and_rotation() {
    let ring = Keyring::new(vec![MasterKey::generate().unwrap()]).unwrap();
    let dk = DataKey::generate().unwrap();
    let w = ring.wrap(&A, &dk).unwrap();
    assert_eq!(&w.key_id, ring.active().id());
    let back = ring.unwrap(&A, &w).unwrap();
    let blob = dk.seal_contact(&A, &C1, 1, b"x").unwrap();
    assert_eq!(back.open_contact(&A, &C1, 1, &blob).unwrap(), b"x");
    // Bound to the account.
    assert!(ring.unwrap(&B, &w).is_err());

    // After rotation the old wrapping still opens, new wrappings use the new key.
    let new_key = MasterKey::generate().unwrap();
    let rotated = ring.rotated(new_key.clone());
    assert_eq!(rotated.active().id(), new_key.id());
    assert!(rotated.unwrap(&A, &w).is_ok());
    let w2 = rotated.wrap(&A, &dk).unwrap();
    assert_eq!(&w2.key_id, new_key.id());
    // A ring without the old key cannot open the old wrapping, with a clear error.
    let pruned = rotated.without(&[ring.active().id().clone()]);
    assert!(matches!(pruned.unwrap(&A, &w), Err(CryptoError::UnknownKeyId(_))));
    assert!(pruned.unwrap(&A, &w2).is_ok());
}

#[test]
fn key_text_and_file() {
    let ring =
        Keyring::new(vec![MasterKey::generate().unwrap(), MasterKey::generate().unwrap()]).unwrap();
    let parsed = Keyring::parse(&ring.to_file_text()).unwrap();
    assert_eq!(parsed.ids(), ring.ids());
    let env_form = format!("{},{}", *ring.keys[0].to_text(), *ring.keys[1].to_text());
    assert_eq!(Keyring::parse(&env_form).unwrap().ids(), ring.ids());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    ring.write_file(&path).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(Keyring::load_file(&path).unwrap().ids(), ring.ids());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = Keyring::load_file(&path).unwrap_err().to_string();
    assert!(err.contains("chmod 600"), "{err}");
}

#[test]
fn bad_keys_get_clear_errors() {
    assert!(Keyring::parse("").unwrap_err().to_string().contains("no key"));
    assert!(Keyring::parse("not base64!").unwrap_err().to_string().contains("base64"));
    assert!(Keyring::parse("AAAA").unwrap_err().to_string().contains("expected 32"));
}

#[test]
fn debug_output_redacts_keys() {
    let mk = MasterKey::generate().unwrap();
    let text = mk.to_text();
    assert!(!format!("{mk:?}").contains(text.as_str()));
    assert_eq!(format!("{:?}", DataKey::generate().unwrap()), "DataKey(<redacted>)");
}

#[test]
fn a_contact_never_opens_as_a_group() {
    let dk = DataKey::generate().unwrap();
    let blob = dk.seal_contact(&A, &C1, 1, b"x").unwrap();
    assert!(dk.open_record(RecordKind::Group, &A, &C1, 1, &blob).is_err());
    let g = dk.seal_record(RecordKind::Group, &A, &C1, 1, b"Family").unwrap();
    assert_eq!(dk.open_record(RecordKind::Group, &A, &C1, 1, &g).unwrap(), b"Family");
    assert!(dk.open_contact(&A, &C1, 1, &g).is_err());
}
