//! `ProcessKind`: the one place that knows which durable processes exist. It owns each kind's type
//! string (stored in the read model), its workflow-id scheme `<code>-<business key>` and the
//! parsing of such ids, its machine's diagram, its labels and its approval policy key. Everything
//! else dispatches on it; nothing else compares a type string or parses a workflow id.
//!
//! A kind defined outside this crate (the tests' own process) is registered at run time with
//! [`ProcessKind::register`] and is then a kind like the others.

use crate::table::Diagram;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::sync::RwLock;

/// What a process kind is, as data.
#[derive(Debug)]
pub struct KindSpec {
    /// The type string: `process_instances.process_type`, the policy table's key, the id prefix.
    pub code: &'static str,
    pub label_zh: &'static str,
    pub label_en: &'static str,
    /// The approval policy its first approval step uses (`approval_policies.process_type`).
    pub policy_key: &'static str,
    /// Its machine as a graph, from its transition table.
    pub diagram: fn() -> Diagram,
}

/// A durable process kind.
#[derive(Debug, Clone, Copy)]
pub enum ProcessKind {
    /// 营销活动: the campaign lifecycle (`campaign-<campaign id>`).
    Campaign,
    /// 库存变动审批: a large stock increase (`stock-change-<request id>`).
    StockChange,
    /// 商户入驻: an online merchant application (`merchant-onboarding-<application id>`).
    MerchantOnboarding,
    /// 商户停用/启用: a merchant disabled or enabled after one approval
    /// (`merchant-status-<request id>`).
    MerchantStatus,
    /// 结算账户变更: a merchant's settlement account changed after one approval and the core's
    /// check (`settlement-account-change-<change id>`).
    SettlementAccountChange,
    /// 商品上架审批: a supplier's first listing, revision, stock increase above the threshold or
    /// delisting of a product, carried out after its approval (`listing-<request id>`).
    Listing,
    /// 巡查任务: the inspection of one merchant (`inspection-<task id>`).
    Inspection,
    /// A kind registered at run time (see [`ProcessKind::register`]).
    Registered(&'static KindSpec),
}

/// The approval policy key of a campaign's changes and terminations (its review uses the kind's).
pub const CAMPAIGN_CHANGE_POLICY: &str = "campaign-change";

/// The policy key of a merchant application's 复核 (its 初审 uses the kind's).
pub const ONBOARDING_REVIEW_POLICY: &str = "merchant-onboarding-review";

/// The policy key of 开户异常, the staff task a settlement account the core does not confirm opens.
pub const ONBOARDING_EXCEPTION_POLICY: &str = "merchant-onboarding-exception";

/// The policy key of 核验异常, the staff task a new settlement account the core does not confirm
/// opens (its review uses the kind's).
pub const SETTLEMENT_EXCEPTION_POLICY: &str = "settlement-account-change-exception";

/// The policy key of a listed product's revision, stock increase or delisting (its first listing
/// uses the kind's).
pub const LISTING_CHANGE_POLICY: &str = "listing-change";
/// The policy key of 巡查确认, staff confirming an inspection (the inspector's own step uses the
/// kind's).
pub const INSPECTION_REVIEW_POLICY: &str = "inspection-review";

/// The policy key of 整改验收, staff accepting a merchant's rectification.
pub const INSPECTION_ACCEPTANCE_POLICY: &str = "inspection-rectification";

static REGISTERED: RwLock<Vec<&'static KindSpec>> = RwLock::new(Vec::new());

impl ProcessKind {
    /// The kinds this build ships.
    pub const BUILT_IN: [ProcessKind; 7] = [
        ProcessKind::Campaign,
        ProcessKind::StockChange,
        ProcessKind::MerchantOnboarding,
        ProcessKind::MerchantStatus,
        ProcessKind::SettlementAccountChange,
        ProcessKind::Listing,
        ProcessKind::Inspection,
    ];

    pub fn spec(self) -> &'static KindSpec {
        match self {
            ProcessKind::Campaign => &crate::campaign::SPEC,
            ProcessKind::StockChange => &crate::stock::SPEC,
            ProcessKind::MerchantOnboarding => &crate::onboarding::SPEC,
            ProcessKind::MerchantStatus => &crate::merchant_status::SPEC,
            ProcessKind::SettlementAccountChange => &crate::account_change::SPEC,
            ProcessKind::Listing => &crate::listing::SPEC,
            ProcessKind::Inspection => &crate::inspection::SPEC,
            ProcessKind::Registered(spec) => spec,
        }
    }

    pub fn code(self) -> &'static str {
        self.spec().code
    }

    pub fn label_zh(self) -> &'static str {
        self.spec().label_zh
    }

    pub fn label_en(self) -> &'static str {
        self.spec().label_en
    }

    pub fn policy_key(self) -> &'static str {
        self.spec().policy_key
    }

    pub fn diagram(self) -> Diagram {
        (self.spec().diagram)()
    }

    /// Every kind: the built-in ones, then those registered, in registration order.
    pub fn all() -> Vec<ProcessKind> {
        let registered = REGISTERED.read().unwrap_or_else(|e| e.into_inner());
        Self::known(&registered).collect()
    }

    /// The built-in kinds, then `registered`.
    fn known(registered: &[&'static KindSpec]) -> impl Iterator<Item = ProcessKind> {
        Self::BUILT_IN
            .into_iter()
            .chain(registered.iter().map(|s| ProcessKind::Registered(s)))
    }

    /// Makes a kind defined elsewhere known to the API, the activities and the monitor. The code
    /// must be new; registering the same spec twice is harmless.
    pub fn register(spec: &'static KindSpec) -> ProcessKind {
        let mut registered = REGISTERED.write().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = Self::known(&registered).find(|k| k.code() == spec.code) {
            assert!(
                std::ptr::eq(known.spec(), spec),
                "process kind {} is registered already",
                spec.code
            );
            return known;
        }
        registered.push(spec);
        ProcessKind::Registered(spec)
    }

    /// The kind whose type string is `code`.
    pub fn parse(code: &str) -> Option<ProcessKind> {
        Self::all().into_iter().find(|k| k.code() == code)
    }

    /// The workflow id of this kind's process for `business_key`.
    pub fn workflow_id(self, business_key: &str) -> String {
        format!("{}-{business_key}", self.code())
    }

    /// The kind and business key a workflow id names. Codes contain `-` and so do keys: the
    /// longest code that prefixes the id wins.
    pub fn of_workflow_id(workflow_id: &str) -> Option<(ProcessKind, &str)> {
        Self::all()
            .into_iter()
            .filter_map(|k| {
                let key = workflow_id.strip_prefix(k.code())?.strip_prefix('-')?;
                (!key.is_empty()).then_some((k, key))
            })
            .max_by_key(|(k, _)| k.code().len())
    }
}

impl PartialEq for ProcessKind {
    fn eq(&self, other: &Self) -> bool {
        self.code() == other.code()
    }
}

impl Eq for ProcessKind {}

impl std::hash::Hash for ProcessKind {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.code().hash(state);
    }
}

impl std::fmt::Display for ProcessKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for ProcessKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for ProcessKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        ProcessKind::parse(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown process kind {code:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workflow_id_names_its_kind_and_key_and_back() {
        for kind in ProcessKind::BUILT_IN {
            let key = "0b6f1c2e-6a43-4c1e-9a55-3f1d2c4b5a69";
            let id = kind.workflow_id(key);
            assert_eq!(ProcessKind::of_workflow_id(&id), Some((kind, key)));
            assert_eq!(ProcessKind::parse(kind.code()), Some(kind));
        }
        assert_eq!(ProcessKind::of_workflow_id("campaign-"), None);
        assert_eq!(ProcessKind::of_workflow_id("campaign"), None);
        assert_eq!(ProcessKind::of_workflow_id("nothing-1"), None);
        assert_eq!(ProcessKind::parse("Campaign"), None);
    }

    #[test]
    fn the_longest_code_wins_and_a_registered_kind_is_a_kind() {
        static STOCK: KindSpec = KindSpec {
            code: "stock",
            label_zh: "测试",
            label_en: "Test",
            policy_key: "stock",
            diagram: || Diagram {
                states: Vec::new(),
                transitions: Vec::new(),
            },
        };
        let stock = ProcessKind::register(&STOCK);
        assert_eq!(ProcessKind::register(&STOCK), stock, "twice is harmless");
        assert_eq!(
            ProcessKind::of_workflow_id("stock-change-42"),
            Some((ProcessKind::StockChange, "42"))
        );
        assert_eq!(ProcessKind::of_workflow_id("stock-42"), Some((stock, "42")));
        assert_eq!(
            serde_json::from_str::<ProcessKind>("\"stock\"").unwrap(),
            stock
        );
        assert!(serde_json::from_str::<ProcessKind>("\"nothing\"").is_err());
    }
}
