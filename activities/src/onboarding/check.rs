//! The forms of an application's fields: the unified social credit code with its check digit
//! (GB 32100-2015), the resident ID number with its check digit (GB 11643-1999), a mainland
//! mobile number, a bank account number.

/// The 31 characters of a credit code, each worth its index.
const CREDIT_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Whether `code` is an 18-character unified social credit code whose last character is its
/// check digit.
pub fn credit_code(code: &str) -> bool {
    let values: Option<Vec<u32>> = code
        .chars()
        .map(|c| CREDIT_CHARS.find(c).map(|i| i as u32))
        .collect();
    let Some(values) = values else {
        return false;
    };
    if values.len() != 18 {
        return false;
    }
    let sum: u32 = values[..17]
        .iter()
        .zip(CREDIT_WEIGHTS)
        .map(|(v, w)| v * w)
        .sum();
    let check = (31 - sum % 31) % 31;
    values[17] == check
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECKS: &[u8; 11] = b"10X98765432";

/// Whether `number` is an 18-character resident ID number whose last character is its check digit.
pub fn id_number(number: &str) -> bool {
    let bytes = number.as_bytes();
    if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = bytes[..17]
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    bytes[17] == ID_CHECKS[(sum % 11) as usize]
}

/// Whether `phone` is an 11-digit mainland mobile number.
pub fn phone(phone: &str) -> bool {
    let bytes = phone.as_bytes();
    bytes.len() == 11
        && bytes[0] == b'1'
        && (b'3'..=b'9').contains(&bytes[1])
        && bytes.iter().all(u8::is_ascii_digit)
}

/// Whether `number` is a bank account number: 8–32 digits.
pub fn account_no(number: &str) -> bool {
    (8..=32).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `code` is a store code: 1–32 letters, digits, `_` or `-`.
pub fn store_code(code: &str) -> bool {
    (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credit_code_needs_its_check_digit() {
        // published codes (GB 32100-2015 examples and listed companies)
        for good in [
            "91350100M000100Y43",
            "91110000802100433B",
            "91440300708461136T",
        ] {
            assert!(credit_code(good), "{good}");
        }
        for bad in [
            "91350100M000100Y44",
            "91350100M000100Y4",
            "91350100M000100YI3",
            "91350100m000100Y43",
            "",
        ] {
            assert!(!credit_code(bad), "{bad}");
        }
    }

    #[test]
    fn an_id_number_needs_its_check_digit() {
        assert!(id_number("11010519491231002X"));
        assert!(id_number("440524188001010014"));
        assert!(!id_number("110105194912310021"));
        assert!(!id_number("11010519491231002x"));
        assert!(!id_number("1101051949123100"));
    }

    #[test]
    fn phones_accounts_and_store_codes() {
        assert!(phone("13800138000"));
        assert!(!phone("12800138000") && !phone("1380013800") && !phone("1380013800a"));
        assert!(
            account_no("6222020200112233445") && !account_no("6222-0202") && !account_no("1234567")
        );
        assert!(store_code("S-01_a") && !store_code("") && !store_code("门店"));
    }
}
