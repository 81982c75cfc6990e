//! The one-time setup token of this process, if the database has no tenant.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::{rngs::OsRng, RngCore};
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct SetupGate {
    token: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for SetupGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SetupGate([redacted])")
    }
}

impl SetupGate {
    /// Opens the gate with a fresh 256-bit token and returns it.
    pub fn open(&self) -> String {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        *self.lock() = Some(token.clone());
        token
    }

    pub fn is_valid(&self, candidate: &str) -> bool {
        self.lock()
            .as_deref()
            .is_some_and(|token| constant_time_eq(token.as_bytes(), candidate.as_bytes()))
    }

    /// Takes the token if `candidate` matches it: only one caller can win.
    pub fn take(&self, candidate: &str) -> bool {
        let mut guard = self.lock();
        let matches = guard
            .as_deref()
            .is_some_and(|token| constant_time_eq(token.as_bytes(), candidate.as_bytes()));
        if matches {
            *guard = None;
        }
        matches
    }

    /// Puts a taken token back after a setup that failed to commit.
    pub fn restore(&self, token: String) {
        *self.lock() = Some(token);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.token
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_works_once() {
        let gate = SetupGate::default();
        assert!(!gate.is_valid(""));
        let token = gate.open();
        assert_eq!(token.len(), 43);
        assert!(!gate.is_valid("wrong"));
        assert!(gate.is_valid(&token));
        assert!(gate.take(&token));
        assert!(!gate.take(&token));
        assert!(!gate.is_valid(&token));
    }
}
