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

    /// Not only the size: the very matching sed_eval's `bipartite_match` returns, on random
    /// graphs with shuffled key and neighbour orders (skipped when sed_eval is not installed).
    #[test]
    fn same_matching_as_sed_eval() {
        use std::io::Write;
        use std::process::{Command, Stdio};
        const N_GRAPHS: usize = 2000;
        const SCRIPT: &str = "import json, sys\n\
            from sed_eval.util import bipartite_match\n\
            for line in sys.stdin:\n\
            \x20   m = bipartite_match({u: vs for u, vs in json.loads(line)})\n\
            \x20   print(json.dumps(sorted(m.items())))\n";
        let python = std::env::var("HARK_PYTHON").unwrap_or_else(|_| "python3".into());
        let present = Command::new(&python)
            .args(["-c", "import sed_eval"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !present {
            println!("SKIP: sed_eval not installed (pip install sed_eval)");
            return;
        }
        // xorshift64: seeded, the same graphs everywhere.
        let mut x: u64 = 0x5EED_5EED;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        let mut graphs = Vec::with_capacity(N_GRAPHS);
        for _ in 0..N_GRAPHS {
            let (n_u, n_v, density) = (1 + next(9), 1 + next(9), next(100));
            let mut us: Vec<usize> = (0..n_u).collect();
            for k in (1..n_u).rev() {
                us.swap(k, next(k + 1));
            }
            let mut graph = Vec::new();
            for u in us {
                let mut vs: Vec<usize> = (0..n_v).filter(|_| next(100) < density).collect();
                for k in (1..vs.len()).rev() {
                    vs.swap(k, next(k + 1));
                }
                if !vs.is_empty() {
                    graph.push((u, vs));
                }
            }
            graphs.push((graph, n_u, n_v));
        }
        let input: String = graphs
            .iter()
            .map(|(g, _, _)| format!("{}\n", serde_json::json!(g)))
            .collect();
        let mut child = Command::new(&python)
            .args(["-c", SCRIPT])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start python");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write graphs");
        let out = child.wait_with_output().expect("python output");
        assert!(out.status.success(), "sed_eval's bipartite_match failed");
        let lines = String::from_utf8(out.stdout).expect("utf-8");
        let mut n = 0;
        for ((graph, n_u, n_v), line) in graphs.iter().zip(lines.lines()) {
            let theirs: Vec<(usize, usize)> = serde_json::from_str(line).expect("pairs");
            let ours: Vec<(usize, usize)> = bipartite_match(graph, *n_u, *n_v)
                .iter()
                .enumerate()
                .filter_map(|(v, u)| u.map(|u| (v, u)))
                .collect();
            assert_eq!(ours, theirs, "graph {graph:?}");
            n += 1;
        }
        assert_eq!(n, N_GRAPHS);
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
