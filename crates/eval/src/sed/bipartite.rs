//! Maximum bipartite matching for event-based scoring (train/eval: sed metrics), written
//! step for step as sed_eval's `util.event_matching.bipartite_match` (Eppstein's
//! Hopcroft-Karp, by way of mir_eval).
//!
//! Written by hand rather than taken from a graph crate on purpose: every maximum matching
//! has the same size, so the true-positive count would agree with any crate, but sed_eval
//! counts substitutions greedily among the events its matching *left over*, and which
//! events are left over depends on the exact visiting order of this implementation (Python
//! dicts iterate in insertion order). Keeping that order is what makes our substitution
//! count, and so the error rate, equal to sed_eval's.

/// How an estimated event (`u`) was reached in the current layering (sed_eval's `pred`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pred {
    /// Not a key of `pred` (never layered, or already used by an augmenting path).
    Absent,
    /// Free vertex of the first layer (sed_eval's `unmatched` sentinel).
    Free,
    /// Reached through this reference event.
    Via(usize),
}

/// A maximum matching of `graph`, sed_eval's way.
///
/// `graph` lists, in insertion order, each estimated event `u` (`< n_u`) with the
/// reference events `v` (`< n_v`) it may be matched to, in the order they were added. Each
/// `u` appears at most once. Returns, for each reference event, the estimated event it is
/// matched to.
pub(crate) fn bipartite_match(
    graph: &[(usize, Vec<usize>)],
    n_u: usize,
    n_v: usize,
) -> Vec<Option<usize>> {
    let mut adj: Vec<&[usize]> = vec![&[]; n_u];
    for (u, vs) in graph {
        adj[*u] = vs;
    }
    // Greedy start, as sed_eval ("redundant, but faster than full search").
    let mut matching: Vec<Option<usize>> = vec![None; n_v];
    for (u, vs) in graph {
        if let Some(&v) = vs.iter().find(|&&v| matching[v].is_none()) {
            matching[v] = Some(*u);
        }
    }
    let mut pred = vec![Pred::Absent; n_u];
    // preds[v]: the estimated events of the previous layer that reach v (None = no entry).
    let mut preds: Vec<Option<Vec<usize>>> = vec![None; n_v];
    let mut new_layer: Vec<Option<Vec<usize>>> = vec![None; n_v];
    loop {
        preds.iter_mut().for_each(|p| *p = None);
        pred.iter_mut().for_each(|p| *p = Pred::Absent);
        for (u, _) in graph {
            pred[*u] = Pred::Free;
        }
        for u in matching.iter().flatten() {
            pred[*u] = Pred::Absent;
        }
        let mut layer: Vec<usize> = graph
            .iter()
            .map(|(u, _)| *u)
            .filter(|&u| pred[u] == Pred::Free)
            .collect();
        let mut unmatched: Vec<usize> = Vec::new();
        // Extend the layering by a pair of layers until a free reference event is reached.
        while !layer.is_empty() && unmatched.is_empty() {
            let mut order: Vec<usize> = Vec::new();
            for &u in &layer {
                for &v in adj[u] {
                    if preds[v].is_none() {
                        if new_layer[v].is_none() {
                            order.push(v);
                        }
                        new_layer[v].get_or_insert_with(Vec::new).push(u);
                    }
                }
            }
            layer.clear();
            for v in order {
                preds[v] = new_layer[v].take();
                match matching[v] {
                    Some(u) => {
                        layer.push(u);
                        pred[u] = Pred::Via(v);
                    }
                    None => unmatched.push(v),
                }
            }
        }
        if unmatched.is_empty() {
            return matching;
        }
        for v in unmatched {
            augment(v, &mut preds, &mut pred, &mut matching);
        }
    }
}

/// sed_eval's `recurse`: search backwards through the layers for an alternating path
/// ending at reference event `v`; flip it into the matching when found.
fn augment(
    v: usize,
    preds: &mut [Option<Vec<usize>>],
    pred: &mut [Pred],
    matching: &mut [Option<usize>],
) -> bool {
    if let Some(us) = preds[v].take() {
        for u in us {
            let pu = pred[u];
            if pu == Pred::Absent {
                continue;
            }
            pred[u] = Pred::Absent;
            let found = match pu {
                Pred::Via(prev) => augment(prev, preds, pred, matching),
                _ => true,
            };
            if found {
                matching[v] = Some(u);
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(m: &[Option<usize>]) -> usize {
        m.iter().flatten().count()
    }

    #[test]
    fn greedy_start_is_improved_to_a_maximum_matching() {
        // u0 can take v0 or v1, u1 only v0: the greedy start gives u0-v0 and leaves u1
        // unmatched; the augmenting path moves u0 to v1.
        let graph = vec![(0, vec![0, 1]), (1, vec![0])];
        let m = bipartite_match(&graph, 2, 2);
        assert_eq!(m, vec![Some(1), Some(0)]);
    }

    #[test]
    fn longer_augmenting_paths() {
        // The greedy start takes u0-v1 and u1-v2 and leaves u2 alone; the augmenting path
        // u2-v2-u1-v1-u0-v0 shifts every pair.
        let graph = vec![(0, vec![1, 0]), (1, vec![1, 2]), (2, vec![2])];
        let m = bipartite_match(&graph, 3, 3);
        assert_eq!(size(&m), 3);
        assert_eq!(m, vec![Some(0), Some(1), Some(2)]);
    }

    #[test]
    fn empty_graph_and_isolated_vertices() {
        assert_eq!(bipartite_match(&[], 0, 0), Vec::<Option<usize>>::new());
        assert_eq!(bipartite_match(&[], 2, 3), vec![None, None, None]);
        let m = bipartite_match(&[(1, vec![2])], 3, 3);
        assert_eq!(m, vec![None, None, Some(1)]);
    }

    #[test]
    fn size_equals_brute_force_maximum() {
        // Every graph on 3 x 3 vertices: the matching size equals the brute-force maximum.
        let perms = [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ];
        for mask in 0u32..(1 << 9) {
            let edge = |u: usize, v: usize| mask & (1 << (u * 3 + v)) != 0;
            let graph: Vec<(usize, Vec<usize>)> = (0..3)
                .map(|u| (u, (0..3).filter(|&v| edge(u, v)).collect::<Vec<_>>()))
                .filter(|(_, vs)| !vs.is_empty())
                .collect();
            let m = bipartite_match(&graph, 3, 3);
            for (v, u) in m.iter().enumerate() {
                if let Some(u) = u {
                    assert!(edge(*u, v), "mask {mask}: matched a non-edge");
                }
            }
            let mut us: Vec<usize> = m.iter().flatten().copied().collect();
            us.sort_unstable();
            us.dedup();
            assert_eq!(us.len(), size(&m), "mask {mask}: an estimate matched twice");
            // Brute force: best over assignments u -> perm[u] of the edges present.
            let best = perms
                .iter()
                .map(|p| (0..3).filter(|&u| edge(u, p[u])).count())
                .max()
                .unwrap_or(0);
            assert_eq!(size(&m), best, "mask {mask}");
        }
    }
}
