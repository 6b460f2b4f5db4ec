//! Personal data masking (SEC-6): every answer carries personal data masked — phone numbers as
//! 138****5678, ID numbers and bank cards keeping their first and last four, names keeping the
//! family name, e-mail keeping the first letter and the domain. The full value goes only to a
//! holder of `pii:unmask`, and each unmasking is audited by the caller.

/// The kinds of personal data the bank names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Phone,
    IdNumber,
    BankCard,
    Name,
    Email,
    /// The bank's customer number.
    CustomerNo,
}

/// `value` as it may be shown to anyone.
pub fn mask(kind: Kind, value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    let keep = |head: usize, tail: usize| -> String {
        if n <= head + tail {
            return "*".repeat(n);
        }
        let mut out: String = chars[..head].iter().collect();
        out.push_str(&"*".repeat(n - head - tail));
        out.extend(&chars[n - tail..]);
        out
    };
    match kind {
        Kind::Phone => keep(3, 4),
        Kind::IdNumber | Kind::BankCard => keep(4, 4),
        Kind::CustomerNo => keep(2, 4),
        // 张三 → 张*, 欧阳娜娜 → 欧***; a one-character name is hidden whole
        Kind::Name if n >= 2 => keep(1, 0),
        Kind::Name => "*".repeat(n),
        Kind::Email => match value.split_once('@') {
            Some((local, domain)) if !local.is_empty() => {
                let first: String = local.chars().take(1).collect();
                format!("{first}***@{domain}")
            }
            _ => "*".repeat(n),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_masks_as_the_bank_shows_it() {
        assert_eq!(mask(Kind::Phone, "13812345678"), "138****5678");
        assert_eq!(
            mask(Kind::IdNumber, "110101199003071234"),
            "1101**********1234"
        );
        assert_eq!(
            mask(Kind::BankCard, "6222021234567890123"),
            "6222***********0123"
        );
        assert_eq!(mask(Kind::CustomerNo, "C10000001"), "C1***0001");
        assert_eq!(mask(Kind::Name, "张三"), "张*");
        assert_eq!(mask(Kind::Name, "欧阳娜娜"), "欧***");
        assert_eq!(mask(Kind::Name, "王"), "*");
        assert_eq!(
            mask(Kind::Email, "zhang.san@bank.example"),
            "z***@bank.example"
        );
    }

    #[test]
    fn short_or_odd_values_never_leak_whole() {
        assert_eq!(mask(Kind::Phone, "1234"), "****");
        assert_eq!(mask(Kind::BankCard, "12345678"), "********");
        assert_eq!(mask(Kind::Email, "@nobody"), "*******");
        assert_eq!(mask(Kind::Email, "plain"), "*****");
    }
}
