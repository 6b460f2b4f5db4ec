//! The customers' keys (SEC-6, AML-4), neither of them the data key of the secrets:
//!
//! - the **personal-data key** seals each personal field (AES-256-GCM, the value bound to its
//!   customer number and field name); two keys derived from it (HMAC-SHA256 with a label) make the
//!   blind index of phone numbers and the digest of a record;
//! - the **mapping key** makes the pseudonymous id analytics and exports use: HMAC-SHA256 of the
//!   customer number. Held apart: without it the pseudonyms cannot be tied back to customers.
//!
//! Both come from configuration (`api.pii_key`, `api.mapping_key`); `quanyi dev` keeps them in
//! `var/secrets/`.

use super::PersonalData;
use crate::crypto::{DataKey, DataKeyError};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use quanyi_workflows::domain::CustomerNo;
use sha2::Sha256;

/// The personal fields, each sealed on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Phone,
    IdNumber,
    Cards,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Phone => "phone",
            Field::IdNumber => "id_number",
            Field::Cards => "card_numbers",
        }
    }
}

/// Sealing, indexing and pseudonymising customers' data; cheap to clone.
#[derive(Clone)]
pub struct CustomerKeys {
    pii: DataKey,
    index: [u8; 32],
    digest: [u8; 32],
    mapping: [u8; 32],
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}: the key must be 32 bytes in base64")]
    Malformed(&'static str),
    #[error("the mapping key must differ from the personal-data key")]
    SameKey,
}

fn bytes_of(text: &str, which: &'static str) -> Result<[u8; 32], KeyError> {
    STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or(KeyError::Malformed(which))
}

fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        // length-prefixed, so ("ab", "c") and ("a", "bc") differ
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

impl CustomerKeys {
    /// The keys from their base64 text (configuration or the dev key files).
    pub fn from_base64(pii: &str, mapping: &str) -> Result<Self, KeyError> {
        let pii_bytes = bytes_of(pii, "pii_key")?;
        let mapping = bytes_of(mapping, "mapping_key")?;
        if pii_bytes == mapping {
            return Err(KeyError::SameKey);
        }
        let pii_key = DataKey::from_base64(&STANDARD.encode(pii_bytes))
            .map_err(|_| KeyError::Malformed("pii_key"))?;
        Ok(Self {
            pii: pii_key,
            index: mac(&pii_bytes, &[b"quanyi customer blind index v1"]),
            digest: mac(&pii_bytes, &[b"quanyi customer record digest v1"]),
            mapping,
        })
    }

    /// The pseudonymous id of a customer: 32 hex digits, the same for the same number.
    pub fn pseudonym(&self, customer: &str) -> String {
        hex::encode(&mac(&self.mapping, &[customer.as_bytes()])[..16])
    }

    /// The blind index of a phone number: equal numbers, equal indexes; nothing else learnt.
    pub fn phone_index(&self, phone: &str) -> Vec<u8> {
        mac(&self.index, &[phone.as_bytes()]).to_vec()
    }

    /// An HMAC of the whole record: the same record, the same digest (a rerun changes nothing).
    pub fn digest(&self, customer: &str, data: &PersonalData) -> Vec<u8> {
        let cards = data.card_numbers.join(";");
        let present = |v: &Option<String>| match v {
            Some(v) => [b"1".as_slice(), v.as_bytes()].concat(),
            None => b"0".to_vec(),
        };
        mac(
            &self.digest,
            &[
                customer.as_bytes(),
                &present(&data.name),
                &present(&data.phone),
                &present(&data.id_number),
                cards.as_bytes(),
            ],
        )
        .to_vec()
    }

    fn context(customer: &str, field: Field) -> Vec<u8> {
        format!("{customer}/{}", field.as_str()).into_bytes()
    }

    pub fn seal(&self, customer: &str, field: Field, value: &str) -> Vec<u8> {
        self.pii
            .seal_bound(value.as_bytes(), &Self::context(customer, field))
    }

    pub fn open(
        &self,
        customer: &CustomerNo,
        field: Field,
        sealed: &[u8],
    ) -> Result<String, DataKeyError> {
        let plain = self
            .pii
            .open_bound(sealed, &Self::context(customer.as_str(), field))?;
        String::from_utf8(plain).map_err(|_| DataKeyError::Undecryptable)
    }

    /// Seals one field of a customer's delivery address, bound to the customer, the address and
    /// the field (a sealed value moved to another row or field does not open).
    pub fn seal_address(&self, customer: &str, address: &str, field: &str, value: &str) -> Vec<u8> {
        let context = format!("{customer}/address/{address}/{field}");
        self.pii.seal_bound(value.as_bytes(), context.as_bytes())
    }

    pub fn open_address(
        &self,
        customer: &str,
        address: &str,
        field: &str,
        sealed: &[u8],
    ) -> Result<String, DataKeyError> {
        let context = format!("{customer}/address/{address}/{field}");
        let plain = self.pii.open_bound(sealed, context.as_bytes())?;
        String::from_utf8(plain).map_err(|_| DataKeyError::Undecryptable)
    }

    /// Two fresh keys in base64, for `quanyi dev` and the tests.
    pub fn generate_base64() -> (String, String) {
        (DataKey::generate_base64(), DataKey::generate_base64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> CustomerKeys {
        let (pii, mapping) = CustomerKeys::generate_base64();
        CustomerKeys::from_base64(&pii, &mapping).unwrap()
    }

    #[test]
    fn a_field_opens_only_for_its_customer_and_field() {
        let keys = keys();
        let c1 = CustomerNo::parse("C10000001").unwrap();
        let c2 = CustomerNo::parse("C10000002").unwrap();
        let sealed = keys.seal("C10000001", Field::Phone, "13812345678");
        assert_eq!(
            keys.open(&c1, Field::Phone, &sealed).unwrap(),
            "13812345678"
        );
        assert!(keys.open(&c2, Field::Phone, &sealed).is_err());
        assert!(keys.open(&c1, Field::Name, &sealed).is_err());
        assert!(self::keys().open(&c1, Field::Phone, &sealed).is_err());
    }

    #[test]
    fn pseudonyms_and_indexes_are_stable_per_key_and_tell_nothing_of_the_value() {
        let (a, b) = (keys(), keys());
        assert_eq!(a.pseudonym("C10000001"), a.pseudonym("C10000001"));
        assert_ne!(a.pseudonym("C10000001"), a.pseudonym("C10000002"));
        assert_ne!(a.pseudonym("C10000001"), b.pseudonym("C10000001"));
        assert_eq!(a.pseudonym("C10000001").len(), 32);
        assert_eq!(a.phone_index("13812345678"), a.phone_index("13812345678"));
        assert_ne!(a.phone_index("13812345678"), b.phone_index("13812345678"));
    }

    #[test]
    fn the_digest_changes_with_any_field() {
        let keys = keys();
        let data = PersonalData {
            name: Some("张三".into()),
            phone: Some("13812345678".into()),
            id_number: None,
            card_numbers: vec!["6222021234567890128".into()],
        };
        let same = keys.digest("C10000001", &data);
        assert_eq!(same, keys.digest("C10000001", &data));
        let mut other = data.clone();
        other.id_number = Some(String::new());
        assert_ne!(same, keys.digest("C10000001", &other));
        assert_ne!(same, keys.digest("C10000002", &data));
    }

    #[test]
    fn the_two_keys_must_be_well_formed_and_apart() {
        let (pii, _) = CustomerKeys::generate_base64();
        assert!(matches!(
            CustomerKeys::from_base64(&pii, &pii),
            Err(KeyError::SameKey)
        ));
        assert!(CustomerKeys::from_base64("short", &pii).is_err());
    }
}
