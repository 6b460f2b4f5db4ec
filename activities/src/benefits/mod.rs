//! 权益 — the benefits core (BEN-1..4): coupon templates with sharded stock, claims by the bank's
//! channels, redemptions by merchants, the stock ledger, and the conservation check that proves
//! none of it ever lost or invented a coupon. Every change of stock is one transaction with its
//! ledger row; stock only moves by conditional updates (`… WHERE remaining >= n`), never by
//! read-modify-write.

pub mod admin;
pub mod claim;
pub mod clients;
pub mod conservation;
pub mod queries;
pub mod redeem;

use quanyi_workflows::domain::Fen;
use rand::Rng;

/// Coupon codes: 16 characters of a 32-symbol alphabet without look-alikes (80 bits).
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

pub(crate) fn new_coupon_code() -> String {
    let mut rng = rand::rng();
    (0..16)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// What a QR code on the customer's phone carries.
pub fn qr_payload(code: &str) -> String {
    format!("quanyi:coupon:{code}")
}

/// The code inside a scanned QR payload, or the code as typed (spaces and hyphens dropped,
/// lower case raised).
pub fn code_from_input(input: &str) -> String {
    let raw = input.trim();
    let raw = raw.strip_prefix("quanyi:coupon:").unwrap_or(raw);
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The discount a coupon gives on an order of `amount` fen: a threshold or cash coupon its face
/// value (never more than the order), a discount coupon the share not paid (capped by the face
/// value when one is set), a physical prize nothing off the order.
pub fn discount(kind: &str, face_value: Fen, discount_permille: Option<i32>, amount: Fen) -> Fen {
    match kind {
        "threshold" | "cash" => face_value.min(amount),
        "discount" => {
            // a template's share paid is 1‰–999‰ (its column's check)
            let permille = discount_permille.map_or(1000, |p| p.clamp(0, 1000) as u16);
            let off = amount.saturating_sub(amount.per_mille(permille));
            if face_value > Fen::ZERO {
                off.min(face_value)
            } else {
                off
            }
        }
        _ => Fen::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sixteen_unambiguous_symbols_and_differ() {
        let a = new_coupon_code();
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        assert_ne!(a, new_coupon_code());
    }

    #[test]
    fn a_scanned_payload_and_a_typed_code_read_alike() {
        assert_eq!(
            code_from_input("quanyi:coupon:Q7M2K9XH4TPC8RWN"),
            "Q7M2K9XH4TPC8RWN"
        );
        assert_eq!(code_from_input(" q7m2-k9xh 4tpc-8rwn "), "Q7M2K9XH4TPC8RWN");
        assert_eq!(code_from_input(&qr_payload("ABC")), "ABC");
    }

    #[test]
    fn discounts_follow_the_kind() {
        let fen = |n| Fen::new(n).unwrap();
        let off = |kind, face, permille, amount| discount(kind, fen(face), permille, fen(amount));
        assert_eq!(off("threshold", 2000, None, 12800), fen(2000));
        assert_eq!(
            off("cash", 5000, None, 3000),
            fen(3000),
            "never more than the order"
        );
        // 8.5 折 on ¥128.00: ¥19.20 off, capped at ¥10.00 when the face value says so
        assert_eq!(off("discount", 0, Some(850), 12800), fen(1920));
        assert_eq!(off("discount", 1000, Some(850), 12800), fen(1000));
        // the share paid rounds down, so the fen off rounds up
        assert_eq!(off("discount", 0, Some(850), 1), fen(1));
        assert_eq!(off("physical", 0, None, 100), Fen::ZERO);
    }
}
