//! 业务编号: the one place a business number is issued and registered. A number is its series'
//! prefix, the Beijing date and a sequence number (`HD20261207000012`); the database issues it
//! (`issue_business_no`, each series on its own sequence) in the statement that creates the
//! object, and [`register`] records which object, and which process, it names — so the monitor,
//! the inbox and the audit log find and show objects by number, never by UUID.

use chrono::{DateTime, Utc};
use quanyi_workflows::kind::ProcessKind;
use sqlx::PgConnection;

/// A series of numbers: one per kind of object staff talk about. Merchant applications, products,
/// orders, refunds and settlement runs add theirs here and in `business_number_series`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// 营销活动 `HD…`.
    Campaign,
    /// 库存变动申请 `KC…`.
    StockChange,
    /// 商户入驻申请 `RZ…`.
    Onboarding,
    /// 商户停用/启用申请 `TY…`.
    MerchantStatus,
    /// 结算账户变更申请 `ZH…`.
    AccountChange,
    /// 商品 `SP…`.
    Product,
    /// 商品上架/变更申请 `SJ…`.
    Listing,
    /// 巡查任务 `XC…`.
    Inspection,
}

impl Series {
    pub const ALL: [Series; 8] = [
        Series::Campaign,
        Series::StockChange,
        Series::Onboarding,
        Series::MerchantStatus,
        Series::AccountChange,
        Series::Product,
        Series::Listing,
        Series::Inspection,
    ];

    /// The prefix, as `issue_business_no` takes it.
    pub fn prefix(self) -> &'static str {
        match self {
            Series::Campaign => "HD",
            Series::StockChange => "KC",
            Series::Onboarding => "RZ",
            Series::MerchantStatus => "TY",
            Series::AccountChange => "ZH",
            Series::Product => "SP",
            Series::Listing => "SJ",
            Series::Inspection => "XC",
        }
    }

    /// The process kind whose workflow carries the object, if any.
    pub fn process(self) -> Option<ProcessKind> {
        match self {
            Series::Campaign => Some(ProcessKind::Campaign),
            Series::StockChange => Some(ProcessKind::StockChange),
            Series::Onboarding => Some(ProcessKind::MerchantOnboarding),
            Series::MerchantStatus => Some(ProcessKind::MerchantStatus),
            Series::AccountChange => Some(ProcessKind::SettlementAccountChange),
            Series::Product => None,
            Series::Listing => Some(ProcessKind::Listing),
            Series::Inspection => Some(ProcessKind::Inspection),
        }
    }
}

/// Records that `number` (just issued by `issue_business_no(series.prefix(), …)`) names the
/// object `object_id`, and the process its kind would run for it; in the caller's transaction.
#[tracing::instrument(skip(conn))]
pub async fn register(
    conn: &mut PgConnection,
    series: Series,
    object_id: &str,
    number: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let workflow_id = series.process().map(|k| k.workflow_id(object_id));
    sqlx::query!(
        "INSERT INTO business_numbers (number, prefix, object_id, workflow_id, issued_at)
         VALUES ($1, $2, $3, $4, $5)",
        number,
        series.prefix(),
        object_id,
        workflow_id,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The number that names `object_id`, or the object a workflow id carries.
pub async fn number_of(
    conn: &mut PgConnection,
    target: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT number FROM business_numbers WHERE object_id = $1 OR workflow_id = $1 LIMIT 1",
        target
    )
    .fetch_optional(conn)
    .await
}

/// A search box's text as a `LIKE` pattern that finds it anywhere (`%`, `_` and `\` taken
/// literally), case-insensitively with `ILIKE`; `None` for an empty box.
pub fn contains_pattern(text: Option<&str>) -> Option<String> {
    let text = text?.trim();
    if text.is_empty() {
        return None;
    }
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Some(pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_text_is_found_anywhere_and_its_wildcards_are_literal() {
        assert_eq!(
            contains_pattern(Some(" 000012 ")).as_deref(),
            Some("%000012%")
        );
        assert_eq!(
            contains_pattern(Some("50%_a\\")).as_deref(),
            Some("%50\\%\\_a\\\\%")
        );
        assert_eq!(contains_pattern(Some("  ")), None);
        assert_eq!(contains_pattern(None), None);
    }

    #[test]
    fn every_series_has_its_own_prefix() {
        let mut prefixes: Vec<&str> = Series::ALL.iter().map(|s| s.prefix()).collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        assert_eq!(prefixes.len(), Series::ALL.len());
    }
}
