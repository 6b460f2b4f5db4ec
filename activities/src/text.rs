//! What text Quanyi accepts and keeps: no control characters but tab, line feed and carriage
//! return. PostgreSQL cannot store U+0000 at all; the rest have no business in a name, a comment
//! or a code. The edges refuse such text; logs write it visibly instead.

use serde_json::{Map, Value};

/// Whether `c` may appear in text we accept: no control character (C0, DEL, C1) but tab, line
/// feed and carriage return, and no non-character U+FFFE/U+FFFF.
pub fn allowed_char(c: char) -> bool {
    !((c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}'))
}

/// Whether all of `text` is [`allowed_char`].
pub fn clean(text: &str) -> bool {
    text.chars().all(allowed_char)
}

/// `text` with every character we refuse written as a visible `\uXXXX`: for naming a bad key in
/// an answer and for logging what was refused.
pub fn escape(text: &str) -> String {
    if clean(text) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if allowed_char(c) {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{:04X}", u32::from(c)));
        }
    }
    out
}

/// `value` with every key and string [`escape`]d: always storable, whatever came in.
pub fn escape_json(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(escape(s)),
        Value::Array(items) => Value::Array(items.iter().map(escape_json).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (escape(k), escape_json(v)))
                .collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn control_characters_are_refused_but_layout_is_kept() {
        for bad in [
            '\0', '\u{1}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}', '\u{FFFF}',
        ] {
            assert!(!allowed_char(bad), "{:?}", bad);
        }
        for good in ['\t', '\n', '\r', ' ', 'a', '中', '€', '\u{2028}', '😀'] {
            assert!(allowed_char(good), "{:?}", good);
        }
    }

    #[test]
    fn escaping_makes_any_json_storable_and_visible() {
        let v = json!({"a\u{0}b": ["x\u{0}", 1, {"k": "\u{7}"}], "ok": "中文\n"});
        let e = escape_json(&v);
        assert_eq!(
            e,
            json!({"a\\u0000b": ["x\\u0000", 1, {"k": "\\u0007"}], "ok": "中文\n"})
        );
    }
}
