//! 参数设置 (SYS-2): the security policy's numbers as run-time parameters, and the points' own two
//! (the lots' expiry, the reminder's window: [`PLAIN`]). Defaults come from configuration (the
//! points': from here); a change is a row in `parameters`, validated against the parameter's range
//! and audited with its before and after; every read of the parameters is audited too.

use crate::audit::{self, Entry};
use crate::identity::SecurityPolicy;
use crate::store;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use std::time::Duration;

/// One parameter: its key, what it means, its unit and range, and where it lives in the policy.
pub struct Definition {
    pub key: &'static str,
    pub name: &'static str,
    pub unit: &'static str,
    pub name_en: &'static str,
    pub unit_en: &'static str,
    pub min: i64,
    pub max: i64,
    get: fn(&SecurityPolicy) -> i64,
    set: fn(&mut SecurityPolicy, i64),
}

const MINUTE: u64 = 60;
const DAY: u64 = 24 * 60 * MINUTE;

fn minutes(d: Duration) -> i64 {
    (d.as_secs() / MINUTE) as i64
}

fn days(d: Duration) -> i64 {
    (d.as_secs() / DAY) as i64
}

pub const DEFINITIONS: &[Definition] = &[
    Definition {
        key: "security.login.max_failures",
        name: "连续登录失败锁定次数",
        unit: "次",
        name_en: "Consecutive failed sign-ins before the lock",
        unit_en: "times",
        min: 3,
        max: 10,
        get: |p| i64::from(p.max_failures),
        set: |p, v| p.max_failures = v as i32,
    },
    Definition {
        key: "security.login.lock_minutes",
        name: "账号锁定时长",
        unit: "分钟",
        name_en: "Lock duration",
        unit_en: "minutes",
        min: 5,
        max: 1440,
        get: |p| minutes(p.lock_duration),
        set: |p, v| p.lock_duration = Duration::from_secs(v as u64 * MINUTE),
    },
    Definition {
        key: "security.login.ip_max_failures",
        name: "单一地址登录失败限流次数",
        unit: "次",
        name_en: "Failed sign-ins from one address before throttling",
        unit_en: "times",
        min: 5,
        max: 1000,
        get: |p| p.ip_max_failures,
        set: |p, v| p.ip_max_failures = v,
    },
    Definition {
        key: "security.login.ip_window_minutes",
        name: "地址限流统计时段",
        unit: "分钟",
        name_en: "Throttling window",
        unit_en: "minutes",
        min: 1,
        max: 60,
        get: |p| minutes(p.ip_window),
        set: |p, v| p.ip_window = Duration::from_secs(v as u64 * MINUTE),
    },
    Definition {
        key: "security.session.idle_minutes",
        name: "会话空闲重新认证时间",
        unit: "分钟",
        name_en: "Idle time before re-authentication",
        unit_en: "minutes",
        min: 5,
        max: 60,
        get: |p| minutes(p.session_idle),
        set: |p, v| p.session_idle = Duration::from_secs(v as u64 * MINUTE),
    },
    Definition {
        key: "security.session.lifetime_minutes",
        name: "会话最长时限",
        unit: "分钟",
        name_en: "Longest session",
        unit_en: "minutes",
        min: 30,
        max: 720,
        get: |p| minutes(p.session_lifetime),
        set: |p, v| p.session_lifetime = Duration::from_secs(v as u64 * MINUTE),
    },
    Definition {
        key: "security.session.step_up_minutes",
        name: "关键操作重新认证有效期",
        unit: "分钟",
        name_en: "Re-authentication validity for critical operations",
        unit_en: "minutes",
        min: 1,
        max: 30,
        get: |p| minutes(p.step_up_window),
        set: |p, v| p.step_up_window = Duration::from_secs(v as u64 * MINUTE),
    },
    Definition {
        key: "security.password.min_length",
        name: "密码最小长度",
        unit: "位",
        name_en: "Shortest password",
        unit_en: "characters",
        min: 8,
        max: 64,
        get: |p| p.password_min_length as i64,
        set: |p, v| p.password_min_length = v as usize,
    },
    Definition {
        key: "security.password.history",
        name: "不得重复使用的历史密码个数",
        unit: "个",
        name_en: "Earlier passwords that cannot be reused",
        unit_en: "passwords",
        min: 1,
        max: 24,
        get: |p| p.password_history,
        set: |p, v| p.password_history = v,
    },
    Definition {
        key: "security.password.min_age_days",
        name: "密码最短使用期",
        unit: "天",
        name_en: "Shortest password life",
        unit_en: "days",
        min: 0,
        max: 30,
        get: |p| days(p.password_min_age),
        set: |p, v| p.password_min_age = Duration::from_secs(v as u64 * DAY),
    },
    Definition {
        key: "security.password.max_age_days",
        name: "密码最长使用期（行内员工）",
        unit: "天",
        name_en: "Longest password life (staff)",
        unit_en: "days",
        min: 30,
        max: 3650,
        get: |p| days(p.password_max_age),
        set: |p, v| p.password_max_age = Duration::from_secs(v as u64 * DAY),
    },
];

fn definition(key: &str) -> Option<&'static Definition> {
    DEFINITIONS.iter().find(|d| d.key == key)
}

/// A parameter that is not the security policy's: its code reads the `parameters` row where it
/// uses it (the points' lot expiry and reminder window), its default is here.
pub struct Plain {
    pub key: &'static str,
    pub name: &'static str,
    pub unit: &'static str,
    pub name_en: &'static str,
    pub unit_en: &'static str,
    pub min: i64,
    pub max: i64,
    pub default: i64,
}

pub const PLAIN: &[Plain] = &[
    Plain {
        key: crate::points::lots::EXPIRY_YEARS_PARAMETER,
        name: "积分有效期（发放当年之后的整年数，到期于该年年末）",
        unit: "年",
        name_en: "Points last until the end of the year this many years after the year earned",
        unit_en: "years",
        min: 0,
        max: 10,
        default: crate::points::lots::DEFAULT_EXPIRY_YEARS,
    },
    Plain {
        key: crate::points::expiry::REMINDER_DAYS_PARAMETER,
        name: "积分到期提醒提前天数",
        unit: "天",
        name_en: "Days before points expire that the customer is reminded",
        unit_en: "days",
        min: 1,
        max: 365,
        default: crate::points::expiry::DEFAULT_REMINDER_DAYS,
    },
    Plain {
        key: crate::mall::orders::PAY_MINUTES_PARAMETER,
        name: "积分商城订单支付时限（超时未支付自动关闭）",
        unit: "分钟",
        name_en: "Minutes a mall order may wait for payment before it closes",
        unit_en: "minutes",
        min: 1,
        max: 1440,
        default: crate::mall::orders::DEFAULT_PAY_MINUTES,
    },
    Plain {
        key: crate::mall::orders::AUTO_COMPLETE_DAYS_PARAMETER,
        name: "积分商城发货后自动确认收货天数",
        unit: "天",
        name_en: "Days after shipping that a mall order completes by itself",
        unit_en: "days",
        min: 1,
        max: 60,
        default: crate::mall::orders::DEFAULT_AUTO_COMPLETE_DAYS,
    },
];

fn plain(key: &str) -> Option<&'static Plain> {
    PLAIN.iter().find(|p| p.key == key)
}

/// The policy in force: `defaults` with every changed parameter applied.
#[tracing::instrument(skip_all)]
pub async fn policy(
    pool: &PgPool,
    defaults: &SecurityPolicy,
) -> Result<SecurityPolicy, sqlx::Error> {
    let mut policy = defaults.clone();
    for row in sqlx::query!("SELECT key, value FROM parameters")
        .fetch_all(pool)
        .await?
    {
        if let Some(def) = definition(&row.key) {
            (def.set)(&mut policy, row.value);
        }
    }
    Ok(policy)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Parameter {
    pub key: &'static str,
    pub name: &'static str,
    pub unit: &'static str,
    pub value: i64,
    pub default: i64,
    pub min: i64,
    pub max: i64,
}

/// Every parameter with its value in force, named in English or Chinese; the read is audited.
pub async fn list(
    pool: &PgPool,
    defaults: &SecurityPolicy,
    english: bool,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Vec<Parameter>, sqlx::Error> {
    let current = policy(pool, defaults).await?;
    let stored: std::collections::HashMap<String, i64> =
        sqlx::query!("SELECT key, value FROM parameters")
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| (r.key, r.value))
            .collect();
    let mut tx = pool.begin().await?;
    audit::append(
        &mut tx,
        now,
        Entry {
            action: "system.parameter.read",
            target: Some("security".into()),
            ..by
        },
    )
    .await?;
    tx.commit().await?;
    Ok(DEFINITIONS
        .iter()
        .map(|d| Parameter {
            key: d.key,
            name: if english { d.name_en } else { d.name },
            unit: if english { d.unit_en } else { d.unit },
            value: (d.get)(&current),
            default: (d.get)(defaults),
            min: d.min,
            max: d.max,
        })
        .chain(PLAIN.iter().map(|p| Parameter {
            key: p.key,
            name: if english { p.name_en } else { p.name },
            unit: if english { p.unit_en } else { p.unit },
            value: stored.get(p.key).copied().unwrap_or(p.default),
            default: p.default,
            min: p.min,
            max: p.max,
        }))
        .collect())
}

/// Why a change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UnknownKey,
    OutOfRange,
}

/// Sets `key` to `value` (within its range), audited with the value before and after.
pub async fn update(
    pool: &PgPool,
    defaults: &SecurityPolicy,
    key: &str,
    value: i64,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let (min, max, default) = match (definition(key), plain(key)) {
        (Some(def), _) => (def.min, def.max, (def.get)(defaults)),
        (None, Some(p)) => (p.min, p.max, p.default),
        (None, None) => return Ok(Err(Refusal::UnknownKey)),
    };
    if !(min..=max).contains(&value) {
        return Ok(Err(Refusal::OutOfRange));
    }
    let mut tx = pool.begin().await?;
    let before = sqlx::query_scalar!(
        "SELECT value FROM parameters WHERE key = $1 FOR UPDATE",
        key
    )
    .fetch_optional(&mut *tx)
    .await?
    .unwrap_or(default);
    sqlx::query!(
        "INSERT INTO parameters (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at,
                                         updated_by = EXCLUDED.updated_by",
        key,
        value,
        now,
        by.user_id
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: "system.parameter.update",
        target: Some(key.to_owned()),
        before: Some(serde_json::json!({ "value": before })),
        after: Some(serde_json::json!({ "value": value })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    store::announce_change(&mut tx, store::Cached::Parameters).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameter_reads_back_what_it_sets_and_its_default_is_in_range() {
        let defaults = SecurityPolicy::default();
        for def in DEFINITIONS {
            let default = (def.get)(&defaults);
            assert!(
                (def.min..=def.max).contains(&default),
                "{} default {default}",
                def.key
            );
            let mut policy = defaults.clone();
            (def.set)(&mut policy, def.max);
            assert_eq!((def.get)(&policy), def.max, "{}", def.key);
        }
        for p in PLAIN {
            assert!((p.min..=p.max).contains(&p.default), "{} default", p.key);
        }
        let keys: std::collections::HashSet<_> = DEFINITIONS
            .iter()
            .map(|d| d.key)
            .chain(PLAIN.iter().map(|p| p.key))
            .collect();
        assert_eq!(keys.len(), DEFINITIONS.len() + PLAIN.len(), "unique keys");
    }
}
