//! CPU work over many items of one request (opening sealed rows, writing cards) split between
//! the calling thread and one of rayon's threads: a multiget of 100 cards takes about half the
//! time on two cores. Small batches stay on the calling thread (waking another costs ~40 µs).

/// Below this many items the work stays on the calling thread.
pub const PARALLEL_FROM: usize = 32;

/// `items.iter().map(f).collect()`, the second half on another thread when there are many.
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() < PARALLEL_FROM || rayon::current_num_threads() < 2 {
        return items.iter().map(&f).collect();
    }
    let (first, second) = items.split_at(items.len() / 2);
    let mut tail = Vec::new();
    let mut head = Vec::new();
    rayon::in_place_scope(|s| {
        s.spawn(|_| tail = second.iter().map(&f).collect());
        head = first.iter().map(&f).collect();
    });
    head.append(&mut tail);
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_every_item() {
        for n in [0, 1, PARALLEL_FROM - 1, PARALLEL_FROM, 101] {
            let items: Vec<usize> = (0..n).collect();
            assert_eq!(par_map(&items, |i| i * 2), items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
    }
}
