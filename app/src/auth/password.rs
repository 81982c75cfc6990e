//! Password hashing: argon2id with OWASP's parameters (19 MiB, 2 passes,
//! 1 lane). Both functions are CPU-heavy: call them from `spawn_blocking`.

use anyhow::anyhow;
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use secrecy::{ExposeSecret, SecretString};
use std::sync::LazyLock;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &SecretString) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow!("hashing a password: {e}"))
}

/// Verifies against `stored`, or, for an unknown user, against a dummy hash
/// with the same parameters, so both answers take the same time.
pub fn verify_password(candidate: &SecretString, stored: Option<&str>) -> bool {
    static DUMMY: LazyLock<String> = LazyLock::new(|| {
        hash_password(&SecretString::from("not a real password, only for timing"))
            .unwrap_or_default()
    });
    let (hash, known) = match stored {
        Some(hash) => (hash, true),
        None => (DUMMY.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let matches = argon2()
        .verify_password(candidate.expose_secret().as_bytes(), &parsed)
        .is_ok();
    known && matches
}

/// Runs argon2 off the async executor, a few at a time: each run takes
/// 19 MiB and a core for tens of milliseconds, so a burst of sign-ins waits
/// its turn instead of starving page serving (and growing memory with a
/// thread and an allocation per attempt).
#[derive(Clone, Debug)]
pub struct HashingPool {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
}

impl HashingPool {
    pub fn new(limit: usize) -> Self {
        Self {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(limit.max(1))),
        }
    }

    /// All cores but one, so that one is always left for serving pages.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self::new(cores.saturating_sub(1))
    }

    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        use anyhow::Context;
        let _permit = self
            .permits
            .acquire()
            .await
            .context("the password hashing pool is closed")?;
        tokio::task::spawn_blocking(work)
            .await
            .context("password hashing task")
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_hashing_pool_runs_no_more_than_its_limit_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let pool = crate::auth::password::HashingPool::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs = (0..8).map(|_| {
            let (pool, running, most) = (pool.clone(), running.clone(), most.clone());
            tokio::spawn(async move {
                pool.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(30));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
                .unwrap();
            })
        });
        for job in jobs.collect::<Vec<_>>() {
            job.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters() {
        let hash = hash_password(&SecretString::from("correct horse battery")).unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
    }

    #[test]
    fn verifies_the_right_password_only() {
        let hash = hash_password(&SecretString::from("correct horse battery")).unwrap();
        assert!(verify_password(
            &SecretString::from("correct horse battery"),
            Some(&hash)
        ));
        assert!(!verify_password(
            &SecretString::from("wrong horse battery"),
            Some(&hash)
        ));
    }

    #[test]
    fn an_unknown_user_never_verifies() {
        assert!(!verify_password(&SecretString::from("anything"), None));
    }

    #[test]
    fn the_same_password_gets_a_different_salt() {
        let p = SecretString::from("correct horse battery");
        assert_ne!(hash_password(&p).unwrap(), hash_password(&p).unwrap());
    }
}
