//! What the API needs to know of its deployment.

use quanyi_activities::crypto::DataKey;
use quanyi_activities::customers::keys::CustomerKeys;
use quanyi_activities::identity::SecurityPolicy;
use std::path::PathBuf;

#[derive(Clone)]
pub struct ApiSettings {
    /// The built admin UI (`ui/dist`), served at `/`.
    pub ui_dir: PathBuf,
    /// Largest accepted request body.
    pub body_limit: usize,
    /// Mark the session cookie `Secure` and give it the `__Host-` prefix (production, HTTPS).
    pub secure_cookies: bool,
    /// The sign-in rules: lockout, session limits, password policy.
    pub policy: SecurityPolicy,
    /// Where engineers find the Temporal Web UI, shown in the admin UI.
    pub temporal_ui_url: Option<String>,
    /// Encrypts secrets at rest (TOTP seeds).
    pub data_key: DataKey,
    /// Seal, index and pseudonymise customers' personal data; `None` when not configured (the
    /// customer pages and services then refuse with QY-CUST-0002).
    pub customer_keys: Option<CustomerKeys>,
    /// How long after a redemption the merchant may reverse it.
    pub reversal_window: std::time::Duration,
    /// The Temporal task queue the API starts processes on.
    pub task_queue: String,
    /// A stock increase above this many units goes through `stock-change-<id>`.
    pub stock_approval_threshold: i64,
    /// Where uploaded files are kept (SEC-7), and the largest accepted.
    pub files: quanyi_activities::files::FileStore,
    /// How long a merchant applicant has to supply requested material (补件).
    pub onboarding_supplement: std::time::Duration,
    /// The channel client whose key `quanyi dev`'s demo page (`/h5/demo`) signs customer
    /// assertions with; `None` (production) leaves the page out.
    pub h5_demo_client: Option<String>,
    /// Q支付 (docs/qpay.md): `None` leaves orders with a cash part unpayable (QY-MALL-0033).
    pub qpay: Option<quanyi_activities::qpay::Qpay>,
}

impl ApiSettings {
    pub fn cookie_name(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-quanyi_session"
        } else {
            "quanyi_session"
        }
    }
}
