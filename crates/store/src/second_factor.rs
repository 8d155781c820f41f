//! The console's second factor: TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, one step
//! of clock drift either way) with ten single-use recovery codes.
//!
//! The secret is sealed with the account's data key (`RecordKind::SecondFactor`); a code is
//! accepted once (the step it matched is recorded and an older or equal step is refused); the
//! recovery codes are stored as HMACs keyed by the account's data key and crossed off when used.
//! Sign-in with a password then asks for a code (`pending_signins`, five minutes); device tokens
//! stay the way devices sign in.

use chrono::{Duration, Utc};
use crypto::RecordKind;
use domain::{AccountId, AccountInfo, BookId};
use totp_rs::{Algorithm, Totp};

use crate::store::now_ms;
use crate::{NewSession, SecondFactorRow, SessionRow, Store, StoreError, StoreResult};

/// How long a correct password waits for its second factor.
pub const PENDING_MINUTES: i64 = 5;
/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;
const RECOVERY_LABEL: &str = "recovery-code";
/// The setting that makes every account enrol before using the console.
const REQUIRED: &str = "require_second_factor";
/// Letters and digits that cannot be mistaken for one another.
const CODE_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Where an account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SecondFactorState {
    Off,
    /// A secret was shown; no code has confirmed it yet.
    Enrolling,
    On {
        recovery_codes_left: usize,
    },
}

/// What the Account page shows to enrol: the secret (base32, for typing) and the `otpauth://`
/// address an authenticator app reads from a QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub secret: String,
    pub otpauth_url: String,
}

fn invalid(field: &str, message: &str) -> StoreError {
    StoreError::Invalid(domain::ValidationErrors(vec![domain::FieldError::new(field, message)]))
}

fn totp(secret: &[u8]) -> StoreResult<Totp> {
    totp_rs::Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_skew(1)
        .with_secret(secret.to_vec())
        .build()
        .map_err(|e| StoreError::Backend(format!("TOTP: {e:?}")))
}

fn base32(bytes: &[u8]) -> String {
    totp_rs::Secret::from(bytes.to_vec()).to_base32()
}

/// A recovery code as typed, reduced to what matters (case, spaces and dashes dropped).
fn normalise_code(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

fn percent(s: &str) -> String {
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

impl Store {
    async fn sealed_secret(
        &self,
        account: AccountId,
        row: &SecondFactorRow,
    ) -> StoreResult<Vec<u8>> {
        let key = self.key_of(BookId::first_of(account)).await?;
        Ok(key.open_record(
            RecordKind::SecondFactor,
            account.as_bytes(),
            account.as_bytes(),
            0,
            &row.sealed,
        )?)
    }

    pub async fn second_factor_state(&self, account: AccountId) -> StoreResult<SecondFactorState> {
        Ok(match self.backend.second_factor(account).await? {
            None => SecondFactorState::Off,
            Some(r) if !r.confirmed => SecondFactorState::Enrolling,
            Some(r) => {
                SecondFactorState::On { recovery_codes_left: r.recovery.split_whitespace().count() }
            }
        })
    }

    /// Starts enrolment with a new secret (replacing one not yet confirmed). `Conflict` if the
    /// second factor is on: it is turned off first.
    pub async fn begin_second_factor(&self, account: AccountId) -> StoreResult<Enrolment> {
        if let Some(r) = self.backend.second_factor(account).await? {
            if r.confirmed {
                return Err(StoreError::Conflict("Two-step sign-in is already on.".into()));
            }
        }
        let acc = self.account_row(account).await?;
        let key = self.key_of(BookId::first_of(account)).await?;
        let secret = crypto::random_bytes::<20>()?;
        let sealed = key.seal_record(
            RecordKind::SecondFactor,
            account.as_bytes(),
            account.as_bytes(),
            0,
            &secret,
        )?;
        self.backend
            .put_second_factor(&SecondFactorRow {
                account_id: account,
                sealed,
                confirmed: false,
                last_step: 0,
                recovery: String::new(),
                created_at: now_ms(),
            })
            .await?;
        let secret_text = base32(&secret);
        let label = format!("Rolo:{}", acc.username.as_str());
        Ok(Enrolment {
            otpauth_url: format!("otpauth://totp/{}?secret={secret_text}&issuer=Rolo&algorithm=SHA1&digits=6&period=30", percent(&label)),
            secret: secret_text,
        })
    }

    /// Confirms enrolment with a code from the app; returns the recovery codes, shown once.
    pub async fn confirm_second_factor(
        &self,
        account: AccountId,
        code: &str,
    ) -> StoreResult<Vec<String>> {
        let row = self.backend.second_factor(account).await?.ok_or(StoreError::NotFound)?;
        if row.confirmed {
            return Err(StoreError::Conflict("Two-step sign-in is already on.".into()));
        }
        let secret = self.sealed_secret(account, &row).await?;
        let now = Utc::now().timestamp().max(0) as u64;
        let Some(step) = totp(&secret)?.check(code.trim(), now) else {
            return Err(invalid(
                "code",
                "That code is not right: type the six digits your app shows now.",
            ));
        };
        let key = self.key_of(BookId::first_of(account)).await?;
        let mut codes = Vec::with_capacity(RECOVERY_CODES);
        let mut hashes = Vec::with_capacity(RECOVERY_CODES);
        for _ in 0..RECOVERY_CODES {
            let raw = crypto::random_bytes::<10>()?;
            let code: String = raw
                .iter()
                .map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char)
                .collect();
            hashes.push(key.lookup_hash(RECOVERY_LABEL, code.as_bytes()));
            codes.push(format!("{}-{}", &code[..5], &code[5..]));
        }
        self.backend
            .put_second_factor(&SecondFactorRow {
                confirmed: true,
                last_step: step as i64,
                recovery: hashes.join(" "),
                ..row
            })
            .await?;
        Ok(codes)
    }

    /// Checks a code at sign-in: a TOTP code not used before, or a recovery code (then used up).
    pub async fn check_second_factor(&self, account: AccountId, code: &str) -> StoreResult<bool> {
        let Some(row) = self.backend.second_factor(account).await?.filter(|r| r.confirmed) else {
            return Ok(false);
        };
        let code = code.trim();
        if code.len() <= 8 && code.chars().all(|c| c.is_ascii_digit() || c == ' ') {
            let secret = self.sealed_secret(account, &row).await?;
            let now = Utc::now().timestamp().max(0) as u64;
            return match totp(&secret)?.check(&code.replace(' ', ""), now) {
                Some(step) => self.backend.use_second_factor_step(account, step as i64).await,
                None => Ok(false),
            };
        }
        let key = self.key_of(BookId::first_of(account)).await?;
        let wanted = key.lookup_hash(RECOVERY_LABEL, normalise_code(code).as_bytes());
        let mut current = row.recovery;
        loop {
            let left: Vec<&str> = current.split_whitespace().collect();
            if !left.contains(&wanted.as_str()) {
                return Ok(false);
            }
            let rest = left.iter().filter(|h| **h != wanted).copied().collect::<Vec<_>>().join(" ");
            if self.backend.swap_recovery_codes(account, &current, &rest).await? {
                return Ok(true);
            }
            // Another sign-in used a code meanwhile: read again.
            match self.backend.second_factor(account).await? {
                Some(r) => current = r.recovery,
                None => return Ok(false),
            }
        }
    }

    /// Turns the second factor off (by its owner, an administrator or `rolo account reset-2fa`).
    pub async fn remove_second_factor(&self, account: AccountId) -> StoreResult<bool> {
        self.backend.delete_second_factor(account).await
    }

    /// Whether administrators require every account to use a second factor.
    pub async fn second_factor_required(&self) -> StoreResult<bool> {
        Ok(self.backend.setting(REQUIRED).await?.as_deref() == Some("true"))
    }

    pub async fn set_second_factor_required(&self, required: bool) -> StoreResult<()> {
        self.backend.set_setting(REQUIRED, required.then_some("true")).await
    }

    /// A correct password whose account has a second factor: a token for the second step.
    pub async fn create_pending_signin(&self, account: AccountId) -> StoreResult<NewSession> {
        let token = crate::store::new_token()?;
        let now = now_ms();
        let row = SessionRow {
            token_hash: crypto::sha256_hex(token.as_bytes()),
            account_id: account,
            created_at: now,
            expires_at: now + Duration::minutes(PENDING_MINUTES),
        };
        self.backend.create_pending_signin(&row).await?;
        Ok(NewSession { token, expires_at: row.expires_at })
    }

    /// The account a pending sign-in belongs to, while it lasts and the account is enabled.
    pub async fn pending_signin_account(&self, token: &str) -> StoreResult<Option<AccountInfo>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        let hash = crypto::sha256_hex(token.as_bytes());
        let Some(row) = self.backend.pending_signin(&hash).await? else { return Ok(None) };
        if row.expires_at <= Utc::now() {
            self.backend.delete_pending_signin(&hash).await?;
            return Ok(None);
        }
        match self.backend.account(row.account_id).await? {
            Some(a) if !a.disabled => Ok(Some(crate::store::info(&a))),
            _ => Ok(None),
        }
    }

    pub async fn end_pending_signin(&self, token: &str) -> StoreResult<()> {
        self.backend.delete_pending_signin(&crypto::sha256_hex(token.as_bytes())).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_follows_rfc_4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"12345678901234567890"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn rfc_6238_vectors() {
        // RFC 6238 appendix B, SHA-1, truncated to 6 digits.
        let t = totp(b"12345678901234567890").unwrap();
        assert_eq!(t.generate(59).to_string(), "287082");
        assert_eq!(t.generate(1_111_111_109).to_string(), "081804");
        assert_eq!(t.generate(2_000_000_000).to_string(), "279037");
    }

    #[test]
    fn recovery_codes_are_typed_loosely() {
        assert_eq!(normalise_code(" ABCDE-fghjk "), "abcdefghjk");
    }
}
