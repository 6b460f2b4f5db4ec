//! The checks of personal fields as the bank's core gives them: a mainland mobile number, an
//! 18-digit resident ID number with its ISO 7064 MOD 11-2 check digit, bank card numbers with
//! their Luhn check digit, a name. They run before a value is sealed: personal data reaches the
//! database only sealed, never as plaintext to be checked there.

use chrono::NaiveDate;

/// A mainland mobile number: 11 digits starting 13–19.
pub fn phone(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

/// A resident ID number (GB 11643): 17 digits, a birth date, then the check digit (0–9 or X).
pub fn id_number(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let birth = std::str::from_utf8(&b[6..14]).unwrap_or("");
    if NaiveDate::parse_from_str(birth, "%Y%m%d").is_err() {
        return false;
    }
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = b[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize] == b[17].to_ascii_uppercase()
}

/// A bank card number: 12–19 digits with a valid Luhn check digit.
pub fn card_number(text: &str) -> bool {
    let b = text.as_bytes();
    if !(12..=19).contains(&b.len()) || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = b
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A name: 1–50 characters, none of them a control character.
pub fn name(text: &str) -> bool {
    let n = text.chars().count();
    (1..=50).contains(&n) && !text.chars().any(char::is_control)
}

/// The card numbers of a field: separated by `;` or `|`, blanks ignored; at most 20.
pub fn split_cards(text: &str) -> Vec<String> {
    text.split([';', '|'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The most cards a customer's record holds.
pub const MAX_CARDS: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_mainland_mobiles() {
        assert!(phone("13812345678"));
        assert!(phone("19912345678"));
        assert!(!phone("12812345678"));
        assert!(!phone("1381234567"));
        assert!(!phone("1381234567a"));
        assert!(!phone("+8613812345678"));
    }

    #[test]
    fn id_numbers_carry_their_check_digit_and_a_real_birth_date() {
        // GB 11643's own example
        assert!(id_number("11010519491231002X"));
        assert!(id_number("11010519491231002x"));
        assert!(id_number("110101199003074477"));
        assert!(!id_number("110101199003074478"), "wrong check digit");
        assert!(!id_number("110101199002304475"), "30 February");
        assert!(!id_number("11010119900307447"), "17 characters");
        assert!(!id_number("1101011990030744X7"));
    }

    #[test]
    fn card_numbers_pass_luhn() {
        assert!(card_number("6222021234567890128"));
        assert!(card_number("4111111111111111"));
        assert!(!card_number("4111111111111112"));
        assert!(!card_number("41111111111"));
        assert!(!card_number("6222 0212 3456 7890"));
    }

    #[test]
    fn names_and_card_lists() {
        assert!(name("张三"));
        assert!(name("欧阳娜娜"));
        assert!(!name(""));
        assert!(!name("张\u{0}三"));
        assert!(!name(&"名".repeat(51)));
        assert_eq!(
            split_cards(" 4111111111111111; 6222021234567890128 |"),
            ["4111111111111111", "6222021234567890128"]
        );
        assert!(split_cards("").is_empty());
    }
}
