//! End-to-end tests: the real API over a real PostgreSQL and a real Temporal dev server, both
//! started by the harness. One test binary with modules (the SDK makes every binary slow to link).

mod api_errors;
mod audit;
mod auth;
mod benefits;
mod campaign;
mod customers;
mod delivery;
mod esb;
mod esb_docs;
mod files;
mod health;
mod histories;
mod hostile;
mod inspection;
mod kernel;
mod ledger;
mod listing;
mod logs;
mod merchants;
mod notifications;
mod onboarding;
mod openapi;
mod outbound;
mod personal_data;
mod point_admin;
mod point_lots;
mod point_rules;
mod process;
mod second_factor;
mod staff_work;
mod stock_change;
mod system;
mod system_admin;
mod tiers;
mod ui_files;
