//! Image captchas: generated here, the answer kept in PostgreSQL, checked (and spent) before any
//! password is looked at. The image is a PNG from the `captcha` crate.

use super::{SecurityPolicy, chrono};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use captcha::Captcha;
use captcha::filters::{Dots, Noise, Wave};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// A new captcha as the browser gets it: an id and a `data:` URL, never the answer.
pub struct Issued {
    pub id: Uuid,
    pub image: String,
}

fn draw() -> (String, Vec<u8>) {
    let mut captcha = Captcha::new();
    captcha
        // no 0/O, 1/l/I: staff should not fail on ambiguous glyphs
        .set_chars(
            &"23456789abcdefghjkmnpqrstuvwxyz"
                .chars()
                .collect::<Vec<_>>(),
        )
        .add_chars(5)
        // cropped first, so the filters work on the 200×70 the browser gets, not on the crate's
        // 400×300 canvas: a third less time per captcha (the PNG encoding is the rest)
        .view(200, 70)
        .apply_filter(Noise::new(0.2))
        .apply_filter(Wave::new(2.0, 10.0).horizontal())
        .apply_filter(Dots::new(8));
    captcha.as_tuple().expect("drawing into memory cannot fail")
}

#[tracing::instrument(skip(pool, policy))]
pub async fn issue(
    pool: &PgPool,
    policy: &SecurityPolicy,
    now: DateTime<Utc>,
) -> Result<Issued, sqlx::Error> {
    let (answer, png) = tokio::task::spawn_blocking(draw)
        .await
        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let id = Uuid::new_v4();
    // Old captchas go as new ones come, a few at a time: each sign-in page takes the expired rows
    // nobody else is deleting (a rush of them would otherwise queue on the same rows' locks).
    sqlx::query!(
        "DELETE FROM captchas WHERE id IN
           (SELECT id FROM captchas WHERE expires_at < $1 LIMIT 16 FOR UPDATE SKIP LOCKED)",
        now
    )
    .execute(pool)
    .await?;
    sqlx::query!(
        "INSERT INTO captchas (id, answer, expires_at) VALUES ($1, $2, $3)",
        id,
        answer,
        now + chrono(policy.captcha_lifetime)
    )
    .execute(pool)
    .await?;
    Ok(Issued {
        id,
        image: format!("data:image/png;base64,{}", STANDARD.encode(png)),
    })
}

/// Spends the captcha: true only for the right answer (case-insensitive) before it expired.
/// Either way the captcha cannot be tried again.
#[tracing::instrument(skip(pool, answer))]
pub async fn check(
    pool: &PgPool,
    id: Uuid,
    answer: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query!(
        "DELETE FROM captchas WHERE id = $1 RETURNING answer, expires_at",
        id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.is_some_and(|r| r.expires_at > now && r.answer.eq_ignore_ascii_case(answer.trim())))
}
