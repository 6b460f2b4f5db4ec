//! The password-hashing pool: argon2 is meant to be slow, and run on every core at once it is
//! slower still. Fifty sign-ins hashed at once on the blocking pool are fifty 19 MiB working sets
//! that evict each other from the caches, fifty fresh allocations the kernel zeroes page by page,
//! and a scheduler slicing between them. So hashing runs on a fixed set of threads, as many as
//! the cores (or `api.hashing_threads`), each with its argon2 memory allocated once; jobs wait in
//! one queue in front of them (`crossbeam-channel`), first come first served, and the async caller
//! awaits its answer (a `tokio` oneshot) without holding a thread.

use argon2::Block;
use std::sync::OnceLock;
use tokio::sync::oneshot;

/// A job: runs on a hashing thread with that thread's argon2 memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

static POOL: OnceLock<crossbeam_channel::Sender<Job>> = OnceLock::new();

/// Starts the pool with `threads` threads (the machine's cores when `None`); later calls, and
/// the first hashing job when nobody called it, find it started.
pub fn start(threads: Option<usize>) {
    POOL.get_or_init(|| {
        let threads = threads
            .filter(|n| *n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let (jobs, queue) = crossbeam_channel::unbounded::<Job>();
        for n in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("quanyi-hash-{n}"))
                .spawn(move || {
                    let mut memory = Vec::new();
                    for job in queue {
                        job(&mut memory);
                    }
                })
                .expect("a hashing thread starts");
        }
        tracing::info!(threads, "password hashing pool started");
        jobs
    });
}

/// Runs `job` on a hashing thread, with its memory, and answers its result.
pub async fn run<T, F>(job: F) -> T
where
    T: Send + 'static,
    F: FnOnce(&mut Vec<Block>) -> T + Send + 'static,
{
    start(None);
    let (answer, answered) = oneshot::channel();
    let job: Job = Box::new(move |memory| {
        // the caller may have gone (a closed connection): nobody to answer
        let _ = answer.send(job(memory));
    });
    POOL.get()
        .expect("started above")
        .send(job)
        .expect("the hashing threads never stop");
    answered.await.expect("a hashing job always answers")
}
