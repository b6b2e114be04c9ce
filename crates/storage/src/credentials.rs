//! Secrets and password hashes. Passwords are hashed with argon2id (PHC strings); session
//! cookies and API tokens are random secrets of which only the SHA-256 is stored, so a copy of
//! the database lets nobody sign in.

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::StorageError;

/// A fresh random secret: 32 bytes from the OS, hex-encoded, with a readable prefix.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// A random password that people can read out and type: four groups of four characters
/// from an alphabet without look-alikes (no 0/O, 1/l/I), about 80 bits.
pub fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut groups = Vec::with_capacity(4);
    for _ in 0..4 {
        let group: String = (0..4)
            .map(|_| {
                // Rejection sampling keeps every character equally likely.
                loop {
                    let b = (OsRng.next_u32() & 0xff) as usize;
                    if b < ALPHABET.len() * (256 / ALPHABET.len()) {
                        return char::from(ALPHABET[b % ALPHABET.len()]);
                    }
                }
            })
            .collect();
        groups.push(group);
    }
    groups.join("-")
}

/// What is stored for a secret: its SHA-256, hex-encoded.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two secrets in constant time.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// An argon2id hash of `password`, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, StorageError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StorageError::Conflict(format!("hachage du mot de passe impossible : {e}")))
}

/// Whether `password` matches `phc`. A malformed stored hash matches nothing.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A valid hash of no one's password, checked when an unknown e-mail signs in so that the
/// answer takes as long as for a known one (no account enumeration by timing).
pub fn dummy_password_check(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if let Some(phc) = DUMMY.get_or_init(|| hash_password("mutualis-dummy-password").ok()) {
        let _ = verify_password(password, phc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let phc = hash_password("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &phc));
        assert!(!verify_password("correct horse batterie", &phc));
        assert!(!verify_password("anything", "not a phc string"));
        // Salted: the same password hashes differently each time.
        assert_ne!(phc, hash_password("correct horse battery").unwrap());
    }

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let a = new_password();
        assert_eq!(a.len(), 19);
        assert_eq!(a.split('-').count(), 4);
        assert!(mutualis_domain::PasswordPolicy::check(&a).is_ok());
        assert_ne!(a, new_password());
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_secret("mtl_");
        let b = new_secret("mtl_");
        assert!(a.starts_with("mtl_") && a.len() == 68);
        assert_ne!(a, b);
        assert_eq!(hash_secret(&a).len(), 64);
        assert_ne!(hash_secret(&a), hash_secret(&b));
        assert!(secrets_equal(&a, &a.clone()));
        assert!(!secrets_equal(&a, &b));
    }
}
