//! Image captchas: generated here, the answer kept in PostgreSQL, checked (and spent) before any
//! password is looked at.
//!
//! The glyphs are the `captcha` crate's font, each drawn once by that crate when the first captcha
//! is asked for and kept as a bitmap. A captcha places five of them with a random height and
//! spacing, bends the line with a wave of random phase, sprinkles noise and dots as the crate's
//! filters do, and is encoded as an 8-bit grey PNG with the `png` crate's fast deflate. The crate
//! itself would parse its font's JSON, decode a PNG per glyph, clone a 400×300 RGB canvas and
//! deflate hard on every captcha: in a sign-in rush that was a tenth of the server's CPU beside
//! argon2 (issue 22); this is about a tenth of that.

use super::{SecurityPolicy, chrono};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use rand::Rng;
use sqlx::PgPool;
use std::sync::OnceLock;
use uuid::Uuid;

/// A new captcha as the browser gets it: an id and a `data:` URL, never the answer.
pub struct Issued {
    pub id: Uuid,
    pub image: String,
}

/// No 0/O, 1/l/I: staff should not fail on ambiguous glyphs.
const ALPHABET: &str = "23456789abcdefghjkmnpqrstuvwxyz";
const LENGTH: usize = 5;
const WIDTH: usize = 200;
const HEIGHT: usize = 70;
/// The share of pixels the noise inks, and the wave's cycles and amplitude, as the crate's
/// `Noise::new(0.2)` and `Wave::new(2.0, 10.0)` had them.
const NOISE: f64 = 0.2;
const WAVE_CYCLES: f64 = 2.0;
const WAVE_AMPLITUDE: f64 = 10.0;
const DOTS: usize = 8;

/// A glyph: its ink (0 none, 255 full) row by row.
struct Glyph {
    ch: char,
    width: usize,
    height: usize,
    ink: Vec<u8>,
}

/// The alphabet's glyphs, drawn once by the `captcha` crate and cut to their ink.
fn glyphs() -> &'static [Glyph] {
    static GLYPHS: OnceLock<Vec<Glyph>> = OnceLock::new();
    GLYPHS.get_or_init(|| ALPHABET.chars().map(glyph).collect())
}

fn glyph(ch: char) -> Glyph {
    const BOX: usize = 100;
    let png = captcha::Captcha::new()
        .set_chars(&[ch])
        .add_chars(1)
        .view(BOX as u32, BOX as u32)
        .as_png()
        .expect("drawing into memory cannot fail");
    let mut reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .expect("the crate's own PNG decodes");
    let mut rgb = vec![0; reader.output_buffer_size().expect("a small image")];
    let frame = reader
        .next_frame(&mut rgb)
        .expect("the crate's own PNG decodes");
    let channels = frame.color_type.samples();
    let (w, h) = (frame.width as usize, frame.height as usize);
    // ink is darkness: the crate draws black on white
    let ink: Vec<u8> = rgb[..frame.buffer_size()]
        .chunks(channels)
        .map(|px| 255 - px[0].min(px[channels.min(3) - 1]))
        .collect();
    let inked = |x: usize, y: usize| ink[y * w + x] > 32;
    let xs: Vec<usize> = (0..w).filter(|&x| (0..h).any(|y| inked(x, y))).collect();
    let ys: Vec<usize> = (0..h).filter(|&y| (0..w).any(|x| inked(x, y))).collect();
    let (left, right) = (xs[0], xs[xs.len() - 1]);
    let (top, bottom) = (ys[0], ys[ys.len() - 1]);
    let (width, height) = (right - left + 1, bottom - top + 1);
    let cut = (top..=bottom)
        .flat_map(|y| ink[y * w + left..=y * w + right].iter().copied())
        .collect();
    Glyph {
        ch,
        width,
        height,
        ink: cut,
    }
}

/// The answer and the PNG of a new captcha.
fn draw() -> (String, Vec<u8>) {
    let glyphs = glyphs();
    let mut rng = rand::rng();
    let chosen: Vec<&Glyph> = (0..LENGTH)
        .map(|_| &glyphs[rng.random_range(0..glyphs.len())])
        .collect();
    let widths: i32 = chosen.iter().map(|g| g.width as i32).sum();
    // wide glyphs (an m is 43 pixels) overlap a little rather than leave the image
    let squeeze = ((widths - (WIDTH as i32 - 8)).max(0) + LENGTH as i32 - 2) / (LENGTH as i32 - 1);
    let gaps: Vec<i32> = (0..LENGTH)
        .map(|_| rng.random_range(-3..=2) - squeeze)
        .collect();
    let span = widths + gaps[..LENGTH - 1].iter().sum::<i32>();
    let mut ink = vec![0u8; WIDTH * HEIGHT];
    let mut x0 = (WIDTH as i32 - span) / 2;
    for (g, gap) in chosen.iter().zip(&gaps) {
        let room = (HEIGHT as i32 - g.height as i32).max(0);
        let y0 = rng.random_range(room / 4..=room - room / 4);
        for y in 0..g.height {
            for x in 0..g.width {
                let (cx, cy) = (x0 + x as i32, y0 + y as i32);
                if (0..WIDTH as i32).contains(&cx) && (0..HEIGHT as i32).contains(&cy) {
                    let cell = &mut ink[cy as usize * WIDTH + cx as usize];
                    *cell = (*cell).max(g.ink[y * g.width + x]);
                }
            }
        }
        x0 += g.width as i32 + gap;
    }
    for cell in &mut ink {
        if rng.random_bool(NOISE) {
            *cell = 255;
        }
    }
    // the wave moves each column up or down, noise and all
    let phase = rng.random_range(0.0..std::f64::consts::TAU);
    let mut waved = vec![0u8; WIDTH * HEIGHT];
    for x in 0..WIDTH {
        let turn = x as f64 * std::f64::consts::TAU * WAVE_CYCLES / WIDTH as f64 + phase;
        let shift = (turn.sin() * WAVE_AMPLITUDE) as i32;
        for y in 0..HEIGHT {
            let ny = y as i32 - shift;
            if (0..HEIGHT as i32).contains(&ny) {
                waved[ny as usize * WIDTH + x] = ink[y * WIDTH + x];
            }
        }
    }
    for _ in 0..DOTS {
        let (cx, cy) = (
            rng.random_range(0..WIDTH as i32),
            rng.random_range(0..HEIGHT as i32),
        );
        let r: i32 = rng.random_range(2..=5);
        for y in (cy - r).max(0)..(cy + r + 1).min(HEIGHT as i32) {
            for x in (cx - r).max(0)..(cx + r + 1).min(WIDTH as i32) {
                if (x - cx).pow(2) + (y - cy).pow(2) <= r * r {
                    waved[y as usize * WIDTH + x as usize] = 255;
                }
            }
        }
    }
    let grey: Vec<u8> = waved.iter().map(|i| 255 - i).collect();
    let answer = chosen.iter().map(|g| g.ch).collect();
    (answer, encode(&grey))
}

fn encode(grey: &[u8]) -> Vec<u8> {
    let mut png = Vec::with_capacity(8 * 1024);
    let mut encoder = png::Encoder::new(&mut png, WIDTH as u32, HEIGHT as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder
        .write_header()
        .expect("writing into memory cannot fail");
    writer
        .write_image_data(grey)
        .expect("writing into memory cannot fail");
    writer.finish().expect("writing into memory cannot fail");
    png
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
        "WITH swept AS (
           DELETE FROM captchas WHERE id IN
             (SELECT id FROM captchas WHERE expires_at < $1 LIMIT 16 FOR UPDATE SKIP LOCKED))
         INSERT INTO captchas (id, answer, expires_at) VALUES ($2, $3, $4)",
        now,
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
    Ok(answered(row.map(|r| (r.answer, r.expires_at)), answer, now))
}

/// Whether `given` answers a spent captcha (its answer and expiry, none when there was no such
/// captcha) at `now`.
pub(super) fn answered(
    spent: Option<(String, DateTime<Utc>)>,
    given: &str,
    now: DateTime<Utc>,
) -> bool {
    spent.is_some_and(|(answer, expires_at)| {
        expires_at > now && answer.eq_ignore_ascii_case(given.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_captcha_is_a_grey_png_of_five_glyphs_from_the_alphabet_and_differs_each_time() {
        let (answer, png) = draw();
        assert_eq!(answer.chars().count(), LENGTH);
        assert!(answer.chars().all(|c| ALPHABET.contains(c)), "{answer}");
        let mut reader = png::Decoder::new(std::io::Cursor::new(&png))
            .read_info()
            .unwrap();
        let mut grey = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut grey).unwrap();
        assert_eq!((frame.width, frame.height), (WIDTH as u32, HEIGHT as u32));
        assert_eq!(frame.color_type, png::ColorType::Grayscale);
        let dark = grey.iter().filter(|&&v| v < 128).count();
        // the noise alone inks a fifth; the glyphs and dots more; never all of it
        assert!(
            dark > WIDTH * HEIGHT / 5 && dark < WIDTH * HEIGHT / 2,
            "{dark}"
        );
        let (other, other_png) = draw();
        assert!(other != answer || other_png != png);
    }

    #[test]
    fn every_glyph_of_the_alphabet_has_ink_and_fits_the_image() {
        let glyphs = glyphs();
        assert_eq!(glyphs.iter().map(|g| g.ch).collect::<String>(), ALPHABET);
        for g in glyphs {
            assert!(g.ink.iter().any(|&i| i > 128), "{}", g.ch);
            assert!(
                g.width < WIDTH / 4 && g.height < HEIGHT,
                "{} {}×{}",
                g.ch,
                g.width,
                g.height
            );
        }
    }
}
