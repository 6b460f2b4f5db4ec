//! The four load shapes and the deterministic operation mix each connection follows.

use crate::stats::Op;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Claims spread over many templates (default 1,000) and many customers: the common day.
    ClaimSpread,
    /// Every claim on one template: a seckill (秒杀), its stock in a few shard rows under
    /// contention; sells out when `--hot-stock` is below the claims the run makes.
    ClaimHot,
    /// Claims a pool of coupons in a setup phase (not measured), then redeems each exactly once.
    Redeem,
    /// Claims and redemptions interleaved (default 80 % / 20 %); redemptions use coupons claimed
    /// in a small setup phase and earlier in the run.
    Mixed,
    /// Campaign processes through both approvals over the staff API, against empty Temporal
    /// workflows as the baseline.
    CampaignProcess,
    /// Channel delivery (MKT-8) over REST and the ESB, against `/healthz` on the same server.
    ChannelDelivery,
    /// The 8:30 rush (NFR-2): staff sign in at a fixed arrival rate and work, against the
    /// argon2 bound of the machine.
    StaffRush,
    /// The customers' H5 browsing the catalogue (home, category, product page), against
    /// `/healthz` on the same server.
    CatalogueBrowse,
    /// Points earned through the ESB (`points.earn`) from one org's funding account, against
    /// pgbench running the ledger's earn transaction.
    PointsEarn,
}

impl Scenario {
    /// The share of redemptions, in percent.
    pub fn redeem_percent(self, mixed: u8) -> u8 {
        match self {
            Scenario::ClaimSpread
            | Scenario::ClaimHot
            | Scenario::CampaignProcess
            | Scenario::ChannelDelivery
            | Scenario::CatalogueBrowse
            | Scenario::StaffRush
            | Scenario::PointsEarn => 0,
            Scenario::Redeem => 100,
            Scenario::Mixed => mixed.min(100),
        }
    }

    /// Whether the run needs coupons claimed before the clock starts.
    pub fn needs_pool(self) -> bool {
        matches!(self, Scenario::Redeem | Scenario::Mixed)
    }
}

/// The operation number `k` of a connection makes, for `redeem_percent` redemptions: spread
/// evenly (every window of 100 consecutive operations holds exactly that share), without a random
/// draw, so a short run still has the mix it asked for. Connections start at different offsets so
/// they do not all redeem at the same moment.
pub fn op_at(k: u64, redeem_percent: u8) -> Op {
    let p = u64::from(redeem_percent.min(100));
    if (k + 1) * p / 100 > k * p / 100 {
        Op::Redeem
    } else {
        Op::Claim
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redemptions(from: u64, n: u64, percent: u8) -> u64 {
        (from..from + n)
            .filter(|&k| op_at(k, percent) == Op::Redeem)
            .count() as u64
    }

    #[test]
    fn every_window_of_a_hundred_operations_has_exactly_the_share() {
        for percent in [0u8, 1, 20, 33, 50, 80, 100] {
            for from in [0u64, 7, 99, 12_345] {
                assert_eq!(
                    redemptions(from, 100, percent),
                    u64::from(percent),
                    "{percent} % from {from}"
                );
            }
        }
    }

    #[test]
    fn twenty_percent_is_one_redemption_in_every_five_operations() {
        for from in 0..20 {
            assert_eq!(redemptions(from, 5, 20), 1, "from {from}");
        }
    }

    #[test]
    fn scenarios_map_to_their_mix() {
        assert_eq!(Scenario::ClaimSpread.redeem_percent(20), 0);
        assert_eq!(Scenario::ClaimHot.redeem_percent(20), 0);
        assert_eq!(Scenario::Redeem.redeem_percent(20), 100);
        assert_eq!(Scenario::Mixed.redeem_percent(20), 20);
        assert_eq!(Scenario::Mixed.redeem_percent(150), 100);
        assert!(Scenario::Redeem.needs_pool() && Scenario::Mixed.needs_pool());
        assert!(!Scenario::ClaimHot.needs_pool());
        assert!((0..1000).all(|k| op_at(k, 0) == Op::Claim));
        assert!((0..1000).all(|k| op_at(k, 100) == Op::Redeem));
    }
}
