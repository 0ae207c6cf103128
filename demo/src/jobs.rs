//! Background jobs.

use std::sync::{Arc, Mutex};

pub fn start_reconciler(state: Arc<Mutex<Vec<i64>>>) {
    tokio::spawn(async move {
        loop {
            // Unwrapping a lock is the poisoning idiom: not reported.
            let pending = state.lock().unwrap().len();
            if pending > 1000 {
                panic!("reconciler backlog too large: {pending}");
            }
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    });
}

pub(crate) fn internal_helper(raw: &str) -> i64 {
    // Crate-private helpers are not boundaries.
    raw.parse().unwrap()
}

pub fn next_batch(queue: &mut Vec<i64>) -> Option<i64> {
    let first = queue.first().copied();
    // precept:allow(unwrap-in-boundary): the queue is checked for emptiness by every caller
    queue.pop().unwrap();
    first
}

pub fn settle(amounts: &[i64]) -> i64 {
    todo!("settlement is specified in ADR-12: {}", amounts.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(internal_helper("7"), 7);
        let mut q = vec![1];
        assert_eq!(next_batch(&mut q).unwrap(), 1);
    }
}
