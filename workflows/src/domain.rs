//! Values that stand for meaning on the hot paths, parsed once where they enter (STYLE §6): a
//! customer number, a coupon template's code, money in fen. JSON and Temporal payloads carry each
//! as the plain string or number it replaces; reading one back checks it again, so no payload can
//! hold a value the edge would have refused. (No sqlx here: the store binds them as text or bigint.)

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// A value that is not what its type stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    CustomerNo,
    TemplateCode,
    Fen,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Invalid::CustomerNo => "a customer number is 6–32 letters or digits",
            Invalid::TemplateCode => {
                "a template code is 1–40 letters, digits, underscores or hyphens"
            }
            Invalid::Fen => "an amount of money is a whole number of fen, never negative",
        })
    }
}

impl std::error::Error for Invalid {}

/// A text value checked by `$rule`: parsed from `&str` or `String`, shown and compared as its
/// text, and serialized as the bare string.
macro_rules! text_value {
    ($(#[$doc:meta])* $name:ident, $invalid:expr, $rule:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<$name, Invalid> {
                let rule: fn(&str) -> bool = $rule;
                if rule(text) {
                    Ok($name(text.to_owned()))
                } else {
                    Err($invalid)
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<&str> for $name {
            type Error = Invalid;
            fn try_from(text: &str) -> Result<$name, Invalid> {
                $name::parse(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Invalid;
            fn try_from(text: String) -> Result<$name, Invalid> {
                $name::parse(&text)?;
                Ok($name(text))
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let text = String::deserialize(deserializer)?;
                $name::try_from(text).map_err(serde::de::Error::custom)
            }
        }
    };
}

text_value!(
    /// 客户号: 6–32 ASCII letters or digits, as the bank's core system issues them.
    CustomerNo,
    Invalid::CustomerNo,
    |no| (6..=32).contains(&no.len()) && no.bytes().all(|b| b.is_ascii_alphanumeric())
);

text_value!(
    /// A coupon template's code (券模板编码): 1–40 ASCII letters, digits, underscores or hyphens.
    TemplateCode,
    Invalid::TemplateCode,
    |code| {
        (1..=40).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }
);

/// Money in fen (分, 1/100 yuan), never negative: a price, a face value, a discount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Fen(i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn new(fen: i64) -> Result<Fen, Invalid> {
        if fen >= 0 {
            Ok(Fen(fen))
        } else {
            Err(Invalid::Fen)
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }

    /// `self` less `other`, or nothing when `other` is more.
    pub fn saturating_sub(self, other: Fen) -> Fen {
        Fen(self.0.saturating_sub(other.0).max(0))
    }

    /// The share `permille`/1000 of `self`, rounded down.
    pub fn per_mille(self, permille: u16) -> Fen {
        let share = i128::from(self.0) * i128::from(permille) / 1000;
        Fen(i64::try_from(share).unwrap_or(i64::MAX))
    }
}

impl TryFrom<i64> for Fen {
    type Error = Invalid;
    fn try_from(fen: i64) -> Result<Fen, Invalid> {
        Fen::new(fen)
    }
}

impl From<Fen> for i64 {
    fn from(fen: Fen) -> i64 {
        fen.0
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl<'de> Deserialize<'de> for Fen {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Fen, D::Error> {
        Fen::new(i64::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_number_is_six_to_thirty_two_letters_or_digits() {
        for good in ["C10000", "c000100004", &"9".repeat(32)] {
            assert_eq!(CustomerNo::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "C1000",
            &"9".repeat(33),
            "C10000 ",
            "C-100001",
            "客户000001",
            "",
        ] {
            assert_eq!(CustomerNo::parse(bad), Err(Invalid::CustomerNo), "{bad:?}");
        }
    }

    #[test]
    fn a_template_code_is_one_to_forty_code_characters() {
        for good in ["T", "DEMO-MJ20", "t2026_001", &"T".repeat(40)] {
            assert_eq!(TemplateCode::try_from(good).unwrap().to_string(), good);
        }
        for bad in ["", &"T".repeat(41), "T 001", "T/001", "券001", "T\u{0}"] {
            assert_eq!(
                TemplateCode::parse(bad),
                Err(Invalid::TemplateCode),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn fen_is_never_negative_and_its_arithmetic_stays_so() {
        assert_eq!(Fen::new(-1), Err(Invalid::Fen));
        let fen = |n| Fen::new(n).unwrap();
        assert_eq!(fen(3000).saturating_sub(fen(5000)), Fen::ZERO);
        assert_eq!(fen(5000).saturating_sub(fen(3000)), fen(2000));
        // 8.5 折 of ¥128.00 is ¥108.80; a fen's share rounds down
        assert_eq!(fen(12800).per_mille(850), fen(10880));
        assert_eq!(fen(1).per_mille(850), Fen::ZERO);
        assert_eq!(fen(i64::MAX).per_mille(1000), fen(i64::MAX));
    }

    #[test]
    fn payloads_carry_the_bare_value_and_are_checked_when_read() {
        use serde::de::value::{Error, I64Deserializer, StrDeserializer};
        let no = CustomerNo::parse("C000100004").unwrap();
        insta::assert_json_snapshot!(no, @r#""C000100004""#);
        insta::assert_json_snapshot!(Fen::new(12800).unwrap(), @"12800");
        let text = |s| StrDeserializer::<Error>::new(s);
        let read = TemplateCode::deserialize(text("DEMO-MJ20")).unwrap();
        assert_eq!(read.as_ref(), "DEMO-MJ20");
        assert!(CustomerNo::deserialize(text("C1")).is_err());
        assert!(TemplateCode::deserialize(text("T 1")).is_err());
        assert!(Fen::deserialize(I64Deserializer::<Error>::new(-5)).is_err());
        assert_eq!(
            Fen::deserialize(I64Deserializer::<Error>::new(5)),
            Ok(Fen::new(5).unwrap())
        );
    }
}
