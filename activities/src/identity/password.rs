//! Passwords: argon2id hashes, the bank's composition and reuse rules, and changing one.

use super::hashing;
use super::{SecurityPolicy, chrono};
use crate::audit::{self, Entry};
use argon2::password_hash::{Output, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sqlx::PgPool;
use uuid::Uuid;

/// Hashes a password with argon2id (the crate's defaults: 19 MiB, 2 passes, 1 lane — OWASP's
/// recommended minimum) and a random salt, as a PHC string.
pub fn hash(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt length");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters cannot fail on a valid salt")
        .to_string()
}

/// Checks a password against a PHC hash; a malformed hash never verifies.
pub fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// As [`verify`], into `memory` (grown when the hash asks for more) rather than a fresh
/// allocation: what the hashing pool's threads run.
pub fn verify_with(memory: &mut Vec<Block>, password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        grow(memory, blocks);
    }
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..blocks])
        .is_ok()
        // `Output`'s equality is constant-time
        && Output::new(&out).is_ok_and(|out| out == expected)
}

/// Grows `memory` to `blocks`, on huge pages where the kernel has them. Argon2 reads its memory
/// at random: with 4 KiB pages its 19 MiB are 4,864 pages, more than the TLB holds, and nearly
/// every reference block costs a page walk; 2 MiB pages make that ten. Measured on this machine's
/// two cores (transparent huge pages on `madvise`): 9–14 % more verifies a second.
fn grow(memory: &mut Vec<Block>, blocks: usize) {
    if memory.capacity() < blocks {
        // a fresh allocation, advised before its first page is touched
        *memory = Vec::with_capacity(blocks);
        advise_huge_pages(memory);
    }
    memory.resize(blocks, Block::default());
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(memory: &mut Vec<Block>) {
    use rustix::mm::{Advice, madvise};
    let page = rustix::param::page_size();
    let start = memory.as_mut_ptr() as usize;
    let end = start + memory.capacity() * std::mem::size_of::<Block>();
    // madvise wants a page-aligned start: the first whole page of the allocation
    let first = start.next_multiple_of(page);
    if first < end {
        // SAFETY: the range lies inside this vector's own allocation, and the advice changes how
        // its pages are backed, never their contents; a kernel without huge pages refuses it,
        // which only leaves the small pages.
        let _ = unsafe {
            madvise(
                first as *mut std::ffi::c_void,
                end - first,
                Advice::LinuxHugepage,
            )
        };
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_memory: &mut Vec<Block>) {}

/// [`verify`] on the hashing pool.
pub async fn verify_pooled(password: String, hash: String) -> bool {
    hashing::run(move |memory| verify_with(memory, &password, &hash)).await
}

/// [`hash`] on the hashing pool.
pub async fn hash_pooled(password: String) -> String {
    hashing::run(move |_| hash(&password)).await
}

/// A hash to verify against when the user does not exist, so that an unknown username costs the
/// same time as a wrong password and the two cannot be told apart.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("quanyi-dummy-password"))
}

/// Why a new password is refused; each has its own error code at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRejection {
    TooShort,
    TooFewClasses,
    ContainsUsername,
    Reused,
    TooSoon,
    WrongOldPassword,
}

/// The composition rules alone: length, 3 of the 4 classes, not containing the username.
pub fn check_composition(
    policy: &SecurityPolicy,
    username: &str,
    password: &str,
) -> Result<(), PasswordRejection> {
    if password.chars().count() < policy.password_min_length {
        return Err(PasswordRejection::TooShort);
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|&&present| present).count() < 3 {
        return Err(PasswordRejection::TooFewClasses);
    }
    if password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(PasswordRejection::ContainsUsername);
    }
    Ok(())
}

/// Changes a user's password after checking the old one and every rule. Returns the rejection,
/// or `Ok` with the hash written. A forced change (initial or temporary password) is exempt from
/// the minimum age.
#[tracing::instrument(skip(pool, policy, old_password, new_password))]
pub async fn change(
    pool: &PgPool,
    policy: &SecurityPolicy,
    user_id: Uuid,
    old_password: String,
    new_password: String,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), PasswordRejection>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let user = sqlx::query!(
        "SELECT username, password_hash, password_changed_at, must_change_password
           FROM users WHERE id = $1 FOR UPDATE",
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let history: Vec<String> = sqlx::query_scalar!(
        "SELECT password_hash FROM password_history WHERE user_id = $1
          ORDER BY replaced_at DESC LIMIT $2",
        user_id,
        policy.password_history - 1
    )
    .fetch_all(&mut *tx)
    .await?;
    let current = user.password_hash.clone();
    let (old, new) = (old_password, new_password.clone());
    // argon2 is deliberately slow: on the hashing pool, off the async threads.
    let (old_ok, reused) = hashing::run(move |memory| {
        let reused = std::iter::once(&current)
            .chain(history.iter())
            .any(|h| verify_with(memory, &new, h));
        (verify_with(memory, &old, &current), reused)
    })
    .await;
    let verdict = if !old_ok {
        Err(PasswordRejection::WrongOldPassword)
    } else if let Err(rule) = check_composition(policy, &user.username, &new_password) {
        Err(rule)
    } else if reused {
        Err(PasswordRejection::Reused)
    } else if !user.must_change_password
        && now < user.password_changed_at + chrono(policy.password_min_age)
    {
        Err(PasswordRejection::TooSoon)
    } else {
        Ok(())
    };
    let entry = Entry {
        action: "auth.password.change",
        target: Some(user.username.clone()),
        refused: verdict.is_err(),
        after: verdict
            .err()
            .map(|rule| serde_json::json!({ "rule": format!("{rule:?}") })),
        ..by
    };
    if verdict.is_err() {
        // Nothing changes but the record of the refusal.
        tx.rollback().await?;
        let mut tx = pool.begin().await?;
        audit::append(&mut tx, now, entry).await?;
        tx.commit().await?;
        return Ok(verdict);
    }
    let new_hash = hash_pooled(new_password).await;
    sqlx::query!(
        "INSERT INTO password_history (user_id, password_hash, replaced_at) VALUES ($1, $2, $3)",
        user_id,
        user.password_hash,
        now
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE users SET password_hash = $2, password_changed_at = $3, must_change_password = false
          WHERE id = $1",
        user_id,
        new_hash,
        now
    )
    .execute(&mut *tx)
    .await?;
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let h = hash("Quanyi@2026");
        assert!(h.starts_with("$argon2id$"), "argon2id, got {h}");
        assert!(verify("Quanyi@2026", &h));
        assert!(!verify("Quanyi@2027", &h));
        assert!(!verify("Quanyi@2026", "not a hash"));
        assert_ne!(h, hash("Quanyi@2026"), "every hash has its own salt");
    }

    #[test]
    fn the_pools_verify_into_reused_memory_agrees_with_the_crates_verify() {
        let mut memory = Vec::new();
        // other parameters than the default (more memory, other passes), an argon2i hash and an
        // older version: the memory grows, is reused, and each verifies exactly as the crate does
        let small = Params::new(8 * 1024, 3, 1, None).unwrap();
        let large = Params::new(24 * 1024, 1, 2, None).unwrap();
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        let hashes = [
            hash("Quanyi@2026"),
            Argon2::new(Algorithm::Argon2id, Version::V0x13, small)
                .hash_password(b"Quanyi@2026", &salt)
                .unwrap()
                .to_string(),
            Argon2::new(Algorithm::Argon2i, Version::V0x10, large)
                .hash_password(b"Quanyi@2026", &salt)
                .unwrap()
                .to_string(),
            hash("Quanyi@2026"),
        ];
        for h in &hashes {
            for password in ["Quanyi@2026", "Quanyi@2027", ""] {
                assert_eq!(
                    verify_with(&mut memory, password, h),
                    verify(password, h),
                    "{password} against {h}"
                );
            }
            assert!(verify_with(&mut memory, "Quanyi@2026", h), "{h}");
        }
        assert_eq!(memory.len(), 24 * 1024, "grown to the largest, once");
        for bad in [
            "not a hash",
            "$argon2id$v=19$m=19456,t=2,p=1$c2l4dGVlbg",
            "$argon2id$v=99$m=19456,t=2,p=1$c2l4dGVlbiBieXRlIHNsdA$AAAA",
        ] {
            assert!(!verify_with(&mut memory, "Quanyi@2026", bad), "{bad}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_pool_answers_every_caller_of_many_at_once() {
        let h = hash("Quanyi@2026");
        let checks = (0..16).map(|n| {
            let password = if n % 2 == 0 { "Quanyi@2026" } else { "wrong" };
            verify_pooled(password.to_owned(), h.clone())
        });
        let answers = futures::future::join_all(checks).await;
        let expected: Vec<bool> = (0..16).map(|n| n % 2 == 0).collect();
        assert_eq!(answers, expected);
        assert!(verify("fresh", &hash_pooled("fresh".to_owned()).await));
    }

    #[test]
    fn composition_rules_each_refuse_with_their_own_reason() {
        let policy = SecurityPolicy::default();
        let check = |p: &str| check_composition(&policy, "zhangsan", p);
        assert_eq!(check("Ab1!"), Err(PasswordRejection::TooShort));
        assert_eq!(check("abcdefgh1"), Err(PasswordRejection::TooFewClasses));
        assert_eq!(check("ABCDEFGHI"), Err(PasswordRejection::TooFewClasses));
        assert_eq!(
            check("Zhangsan@2026"),
            Err(PasswordRejection::ContainsUsername)
        );
        assert_eq!(
            check("abcdefg1!"),
            Ok(()),
            "lower + digit + symbol is 3 classes"
        );
        assert_eq!(check("Abcdefgh1"), Ok(()));
        assert_eq!(
            check("密码Abcdef1"),
            Ok(()),
            "CJK counts toward the length and as a symbol"
        );
    }
}
