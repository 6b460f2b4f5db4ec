//! Spending the nonces of signed reads in batches. A signed `GET` (channel delivery) changes
//! nothing but its nonce, so its one write would be a commit per request; here concurrent requests
//! share one: each hands its nonce to a writer task and waits for the batch it joined to commit.
//! The answer still comes only after the nonce is durably spent, so a replay is refused exactly as
//! before; under load the commits drop from one a request to one a batch.

use crate::error::{ApiError, ErrorCode};
use chrono::{DateTime, Utc};
use quanyi_activities::benefits::clients;
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// At most this many nonces in one statement.
const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<Result<bool, ApiError>>;

/// The handle requests use; the writer runs until every handle is dropped.
#[derive(Clone)]
pub struct NonceWriter(mpsc::UnboundedSender<(Uuid, String, DateTime<Utc>, Reply)>);

impl NonceWriter {
    pub fn start(pool: PgPool) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(write(pool, receiver));
        Self(sender)
    }

    /// Whether `nonce` was fresh for `client_id` (false: a replay); once its batch committed. A
    /// batch the database refused fails each of its requests alike (unavailable or internal).
    pub async fn spend(
        &self,
        client_id: Uuid,
        nonce: String,
        now: DateTime<Utc>,
    ) -> Result<bool, ApiError> {
        let (reply, answer) = oneshot::channel();
        let gone = || {
            tracing::error!("the nonce writer stopped");
            ApiError::from(ErrorCode::Internal)
        };
        self.0
            .send((client_id, nonce, now, reply))
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn write(
    pool: PgPool,
    mut requests: mpsc::UnboundedReceiver<(Uuid, String, DateTime<Utc>, Reply)>,
) {
    let mut waiting = Vec::with_capacity(MAX_BATCH);
    while requests.recv_many(&mut waiting, MAX_BATCH).await > 0 {
        // the newest time of the batch: each is within the tolerance, and purging goes by it
        let now = waiting
            .iter()
            .map(|(_, _, at, _)| *at)
            .max()
            .expect("not empty");
        let batch: Vec<(Uuid, String)> = waiting
            .iter()
            .map(|(client, nonce, _, _)| (*client, nonce.clone()))
            .collect();
        match clients::spend_nonces(&pool, &batch, now).await {
            Ok(fresh) => {
                for ((.., reply), fresh) in waiting.drain(..).zip(fresh) {
                    let _ = reply.send(Ok(fresh));
                }
            }
            Err(e) => {
                tracing::warn!(count = batch.len(), "cannot spend nonces");
                let error = ApiError::from(e);
                for (.., reply) in waiting.drain(..) {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }
}
