//! When each request is sent: back to back on each connection (closed loop, the default), or at a
//! constant arrival rate over all connections (`--rate N`, open loop, as wrk2 does). In the open
//! loop request k is due at `start + k / N` whatever happened before it; a connection takes the
//! next due request, waits until it is due, and its latency counts from when it was due, not from
//! when it could be sent — so a stall shows as the latency of every request it held up, and is
//! not hidden by the load generator slowing down with the server (coordinated omission).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The schedule all connections of one phase share.
#[derive(Clone)]
pub enum Pace {
    /// Each connection sends its next request as soon as it has the answer to the last.
    Closed,
    /// `per_second` requests a second in all, request k due at `k / per_second` after the start.
    Open {
        per_second: f64,
        issued: Arc<AtomicU64>,
    },
}

impl Pace {
    pub fn new(rate: Option<u32>) -> Pace {
        match rate {
            Some(n) if n > 0 => Pace::Open {
                per_second: f64::from(n),
                issued: Arc::new(AtomicU64::new(0)),
            },
            _ => Pace::Closed,
        }
    }

    /// When the next request of this connection is due (after waiting until then), or `None`
    /// once the phase that began at `start` is over at `deadline`. Latency counts from the
    /// answer.
    pub async fn next(&self, start: Instant, deadline: Instant) -> Option<Instant> {
        match self {
            Pace::Closed => {
                let now = now();
                (now < deadline).then_some(now)
            }
            Pace::Open { per_second, issued } => {
                // past the deadline nothing more is sent, however far behind the run is: the
                // requests due but never sent show as `due` less `sent` in the report
                if now() >= deadline {
                    return None;
                }
                let k = issued.fetch_add(1, Ordering::Relaxed);
                let due = start + Duration::from_secs_f64(k as f64 / per_second);
                if due >= deadline {
                    return None;
                }
                tokio::time::sleep_until(due.into()).await;
                Some(due)
            }
        }
    }

    /// How many requests were due in the phase (the open loop's target count).
    pub fn due(&self, duration: Duration) -> Option<u64> {
        match self {
            Pace::Closed => None,
            Pace::Open { per_second, .. } => {
                Some((duration.as_secs_f64() * per_second).ceil() as u64)
            }
        }
    }
}

/// Now, on tokio's clock (the same as the system's, except in tests that pause it).
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Microseconds from `due` to now: the latency the caller saw.
pub fn since(due: Instant) -> u64 {
    now().saturating_duration_since(due).as_micros() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_open_loop_sends_at_the_rate_however_many_connections_ask() {
        let pace = Pace::new(Some(100));
        let start = now();
        let deadline = start + Duration::from_secs(1);
        let mut tasks = Vec::new();
        for _ in 0..7 {
            let pace = pace.clone();
            tasks.push(tokio::spawn(async move {
                let mut dues = Vec::new();
                while let Some(due) = pace.next(start, deadline).await {
                    dues.push(due - start);
                }
                dues
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all.sort();
        assert_eq!(all.len(), 100, "one second at 100/s");
        assert_eq!(pace.due(Duration::from_secs(1)), Some(100));
        for (k, due) in all.iter().enumerate() {
            assert_eq!(*due, Duration::from_millis(10 * k as u64));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stall_counts_in_the_latency_of_every_request_it_held_up() {
        // one connection, 10/s, every answer takes 300 ms: requests fall behind their due times
        let pace = Pace::new(Some(10));
        let start = now();
        let deadline = start + Duration::from_secs(1);
        let mut latencies = Vec::new();
        while let Some(due) = pace.next(start, deadline).await {
            tokio::time::sleep(Duration::from_millis(300)).await;
            latencies.push(since(due));
        }
        // sent at 0, 300, 600 and 900 ms; then the deadline: six of the ten due never go
        assert_eq!(latencies.len(), 4);
        // the fourth was due at 300 ms and answered at 1200 ms
        assert_eq!(latencies[3], 900_000);
        assert!(latencies.windows(2).all(|w| w[1] > w[0]));
    }

    #[tokio::test(start_paused = true)]
    async fn the_closed_loop_runs_until_the_deadline() {
        let pace = Pace::new(None);
        let start = now();
        let deadline = start + Duration::from_millis(100);
        let mut n = 0;
        while pace.next(start, deadline).await.is_some() {
            tokio::time::sleep(Duration::from_millis(10)).await;
            n += 1;
        }
        assert_eq!(n, 10);
        assert_eq!(pace.due(Duration::from_secs(1)), None);
    }
}
