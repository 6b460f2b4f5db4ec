//! 渠道投放 (MKT-8): for a channel and a customer, the running campaigns in their window whose
//! customer list holds the customer, with their entry assets, highest priority first, each shown
//! to a customer at most its frequency cap a (Beijing) day.
//!
//! The hot path never touches Temporal and costs one indexed query: the running campaigns come
//! from a short cache the API keeps ([`live_campaigns`], dropped when a campaign process changes
//! state — [`crate::store::Cached::Campaigns`]), and [`memberships`] reads the customer's lists
//! and today's showings in one statement. Showings are counted in batches ([`record_showings`]).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use quanyi_workflows::domain::CustomerNo;
use quanyi_workflows::kind::ProcessKind;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

/// A running campaign as a channel renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveCampaign {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub channels: Vec<String>,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub priority: i16,
    pub title: String,
    pub image_url: String,
    pub link: String,
    pub benefit_summary: String,
    pub frequency_cap: Option<i16>,
}

/// One entry a channel shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub campaign_id: Uuid,
    pub campaign_code: String,
    /// The entry's title (the campaign's name when it has none of its own).
    pub title: String,
    pub image_url: String,
    pub link: String,
    pub benefit_summary: String,
    pub priority: i16,
    pub end_at: DateTime<Utc>,
}

/// The day a showing counts to: the bank's day, Asia/Shanghai (UTC+8, no daylight saving).
pub fn beijing_day(at: DateTime<Utc>) -> NaiveDate {
    (at + Duration::hours(8)).date_naive()
}

/// Every campaign whose process is running (paused ones show nothing).
pub async fn live_campaigns(pool: &PgPool) -> Result<Vec<LiveCampaign>, sqlx::Error> {
    sqlx::query_as!(
        LiveCampaign,
        r#"SELECT c.id, c.code, c.name, c.channels, c.start_at, c.end_at, c.priority,
                  c.entry_title AS title, c.entry_image_url AS image_url, c.entry_link AS link,
                  c.benefit_summary, c.frequency_cap
             FROM process_instances p
             JOIN campaigns c ON p.business_key = c.id::text
            WHERE p.process_type = $1 AND p.state = 'Running'"#,
        ProcessKind::Campaign.code()
    )
    .fetch_all(pool)
    .await
}

/// Of `candidates`, the campaigns whose list holds `customer_no`, each with how often it was
/// shown to the customer on `day`.
pub async fn memberships(
    pool: &PgPool,
    customer_no: &CustomerNo,
    candidates: &[Uuid],
    day: NaiveDate,
) -> Result<Vec<(Uuid, i32)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT cc.campaign_id, coalesce(e.shown, 0) AS "shown!"
             FROM campaign_customers cc
             LEFT JOIN campaign_exposures e
                    ON e.customer_no = cc.customer_no AND e.day = $3
                   AND e.campaign_id = cc.campaign_id
            WHERE cc.customer_no = $1 AND cc.campaign_id = ANY ($2)"#,
        customer_no.as_str(),
        candidates,
        day
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.campaign_id, r.shown)).collect())
}

/// The campaigns of `live` a `channel` may show at `now` (in their window): the candidates whose
/// lists [`memberships`] then reads.
pub fn candidates(live: &[LiveCampaign], channel: &str, now: DateTime<Utc>) -> Vec<Uuid> {
    live.iter()
        .filter(|c| c.start_at <= now && now < c.end_at && c.channels.iter().any(|x| x == channel))
        .map(|c| c.id)
        .collect()
}

/// What the channel shows: the member campaigns under their cap, highest priority first, then
/// the one ending soonest, then by code so the order is stable; at most `limit`.
pub fn select(live: &[LiveCampaign], member: &[(Uuid, i32)], limit: usize) -> Vec<Delivery> {
    let mut shown: Vec<&LiveCampaign> = live
        .iter()
        .filter(|c| {
            member
                .iter()
                .any(|(id, n)| *id == c.id && c.frequency_cap.is_none_or(|cap| *n < i32::from(cap)))
        })
        .collect();
    shown.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(a.end_at.cmp(&b.end_at))
            .then(a.code.cmp(&b.code))
    });
    shown
        .into_iter()
        .take(limit)
        .map(|c| Delivery {
            campaign_id: c.id,
            campaign_code: c.code.clone(),
            title: if c.title.is_empty() {
                c.name.clone()
            } else {
                c.title.clone()
            },
            image_url: c.image_url.clone(),
            link: c.link.clone(),
            benefit_summary: c.benefit_summary.clone(),
            priority: c.priority,
            end_at: c.end_at,
        })
        .collect()
}

/// One customer's showings of one campaign on one day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Showing {
    pub campaign_id: Uuid,
    pub customer_no: CustomerNo,
    pub day: NaiveDate,
}

/// Adds counted showings in one statement.
pub async fn record_showings(pool: &PgPool, batch: &[(Showing, i32)]) -> Result<(), sqlx::Error> {
    if batch.is_empty() {
        return Ok(());
    }
    let campaigns: Vec<Uuid> = batch.iter().map(|(s, _)| s.campaign_id).collect();
    let customers: Vec<String> = batch
        .iter()
        .map(|(s, _)| s.customer_no.to_string())
        .collect();
    let days: Vec<NaiveDate> = batch.iter().map(|(s, _)| s.day).collect();
    let counts: Vec<i32> = batch.iter().map(|(_, n)| *n).collect();
    sqlx::query!(
        "INSERT INTO campaign_exposures (campaign_id, customer_no, day, shown)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::date[], $4::int[])
         ON CONFLICT (customer_no, day, campaign_id)
         DO UPDATE SET shown = campaign_exposures.shown + EXCLUDED.shown",
        &campaigns,
        &customers,
        &days,
        &counts
    )
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, h, 0, 0).unwrap()
    }

    fn campaign(code: &str, priority: i16, cap: Option<i16>) -> LiveCampaign {
        LiveCampaign {
            id: Uuid::new_v4(),
            code: code.into(),
            name: format!("活动{code}"),
            channels: vec!["mobile_banking".into()],
            start_at: at(1),
            end_at: at(20),
            priority,
            title: String::new(),
            image_url: String::new(),
            link: String::new(),
            benefit_summary: String::new(),
            frequency_cap: cap,
        }
    }

    #[test]
    fn only_in_window_campaigns_of_the_channel_are_candidates() {
        let mut other = campaign("B", 1, None);
        other.channels = vec!["wechat".into()];
        let mut later = campaign("C", 1, None);
        later.start_at = at(10);
        let live = vec![campaign("A", 1, None), other, later.clone()];
        assert_eq!(candidates(&live, "mobile_banking", at(5)), vec![live[0].id]);
        assert_eq!(
            candidates(&live, "mobile_banking", at(10)),
            vec![live[0].id, later.id]
        );
        // the end is exclusive
        assert!(candidates(&live, "mobile_banking", at(20)).is_empty());
    }

    #[test]
    fn members_under_their_cap_by_priority_then_end() {
        let low = campaign("A", 10, None);
        let high = campaign("B", 90, Some(2));
        let mut soon = campaign("C", 10, None);
        soon.end_at = at(12);
        soon.title = "入口标题".into();
        let outsider = campaign("D", 99, None);
        let live = vec![low.clone(), high.clone(), soon.clone(), outsider];
        let member = [(low.id, 0), (high.id, 1), (soon.id, 7)];
        let shown = select(&live, &member, 10);
        let codes: Vec<&str> = shown.iter().map(|d| d.campaign_code.as_str()).collect();
        assert_eq!(codes, ["B", "C", "A"]);
        assert_eq!(shown[0].title, "活动B");
        assert_eq!(shown[1].title, "入口标题");
        // the cap reached: no more showings today
        let capped = select(&live, &[(low.id, 0), (high.id, 2)], 10);
        assert_eq!(capped.len(), 1);
        assert_eq!(capped[0].campaign_code, "A");
        assert_eq!(select(&live, &member, 2).len(), 2);
    }

    #[test]
    fn the_day_is_beijings() {
        assert_eq!(
            beijing_day(Utc.with_ymd_and_hms(2026, 11, 26, 15, 59, 0).unwrap()),
            NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
        );
        assert_eq!(
            beijing_day(Utc.with_ymd_and_hms(2026, 11, 26, 16, 0, 0).unwrap()),
            NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
        );
    }
}
