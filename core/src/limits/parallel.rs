//! The one way the core spreads work over threads, with one policy for a thread that
//! cannot start and one for a thread that panics.

/// Runs `worker(i)` for each `i` in `0..count`, each on a thread of its own, while `caller`
/// runs on the calling thread; returns the caller's result and the workers' results in the
/// order of `i`.
///
/// - A worker whose thread cannot be started (the platform has no threads, or refuses one)
///   is not run: its index is in the slice handed to `caller`, which does that share of the
///   work itself. Fewer threads, the same result.
/// - A worker that panics makes this call panic on the calling thread once every other thread
///   is done, exactly as the same work done on one thread would have. The number of threads
///   never changes what the caller gets, and a bug is never reported as a fault of the file.
pub(crate) fn fork_join<T: Send, R>(
    count: usize,
    worker: impl Fn(usize) -> T + Sync,
    caller: impl FnOnce(&[usize]) -> R,
) -> (R, Vec<(usize, T)>) {
    std::thread::scope(|scope| {
        let worker = &worker;
        let mut handles = Vec::with_capacity(count);
        let mut unstarted = Vec::new();
        for i in 0..count {
            match std::thread::Builder::new().spawn_scoped(scope, move || worker(i)) {
                Ok(handle) => handles.push((i, handle)),
                Err(_) => unstarted.push(i),
            }
        }
        let mine = caller(&unstarted);
        let mut results = Vec::with_capacity(handles.len());
        let mut panicked = None;
        for (i, handle) in handles {
            match handle.join() {
                Ok(result) => results.push((i, result)),
                Err(payload) => {
                    panicked.get_or_insert(payload);
                }
            }
        }
        if let Some(payload) = panicked {
            std::panic::resume_unwind(payload);
        }
        (mine, results)
    })
}

/// Drops `value` on a thread of its own, so that the caller does not wait while a large
/// value's memory is given back a piece at a time (a workbook's grid: a string per cell).
/// Where no thread can start, it is dropped here.
pub(crate) fn drop_later<T: Send + 'static>(value: T) {
    // A thread that cannot start drops what it was given on the way out.
    let _ = std::thread::Builder::new().spawn(move || drop(value));
}

/// A bounded queue of work that several threads take from: the sending half (work stops
/// coming when it is dropped), and the half every taker shares.
pub(crate) fn work_queue<T>(bound: usize) -> (std::sync::mpsc::SyncSender<T>, Takers<T>) {
    let (queue, queued) = std::sync::mpsc::sync_channel(bound);
    (queue, Takers(std::sync::Mutex::new(queued)))
}

/// The taking half of a [`work_queue`].
pub(crate) struct Takers<T>(std::sync::Mutex<std::sync::mpsc::Receiver<T>>);

impl<T> Takers<T> {
    /// The next piece of work: with `wait`, waiting for one while work may still come;
    /// otherwise only one already queued.
    pub(crate) fn take(&self, wait: bool) -> Option<T> {
        let queued = self.0.lock().ok()?;
        if wait {
            queued.recv().ok()
        } else {
            queued.try_recv().ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fork_join;

    #[test]
    fn results_come_back_in_order_with_the_callers() {
        let (mine, theirs) = fork_join(5, |i| i * 10, |unstarted| unstarted.len());
        assert_eq!(mine, 0);
        assert_eq!(theirs, vec![(0, 0), (1, 10), (2, 20), (3, 30), (4, 40)]);
    }

    #[test]
    fn a_worker_panic_is_the_callers_panic() {
        let outcome = std::panic::catch_unwind(|| {
            fork_join(
                3,
                |i| {
                    assert_ne!(i, 1, "worker one fails");
                    i
                },
                |_| (),
            )
        });
        let payload = outcome.expect_err("the call must panic");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(message.contains("worker one fails"), "{message}");
    }
}
