//! Results of files predicted in parallel, written in input order (predict stage output).
//!
//! Flow: outermost layer, between the workers of `hark predict` and one output stream.
//!
//! Workers take files in input order (a shared counter), so the files in flight are always
//! the earliest unfinished ones. The worker of the earliest unfinished file writes straight
//! to the stream; the others hold their records, at most [`HOLD_RECORDS`] each, and then
//! wait for their turn (which comes: every earlier file is being worked on). So the output
//! is the same for any number of jobs and memory stays bounded on recordings of any length.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, PoisonError};

/// Records a file not yet at the front holds before its worker waits.
pub const HOLD_RECORDS: usize = 50_000;

/// Something that takes records in order.
pub trait Emit<R> {
    /// Write one record.
    fn emit(&mut self, record: &R) -> anyhow::Result<()>;
}

struct State<W, R> {
    out: W,
    /// The earliest file whose records are not all written.
    front: usize,
    /// Records held by files behind the front.
    held: BTreeMap<usize, Vec<R>>,
    /// Files behind the front that are finished.
    done: BTreeMap<usize, ()>,
    /// The first write error: later writes are skipped, the caller reports it.
    failed: Option<anyhow::Error>,
}

/// An output stream shared by workers, writing each file's records in input order.
pub struct Ordered<W, R> {
    state: Mutex<State<W, R>>,
    turn: Condvar,
}

impl<W: Emit<R>, R> Ordered<W, R> {
    /// Files are numbered from 0 in input order.
    pub fn new(out: W) -> Self {
        Ordered {
            state: Mutex::new(State {
                out,
                front: 0,
                held: BTreeMap::new(),
                done: BTreeMap::new(),
                failed: None,
            }),
            turn: Condvar::new(),
        }
    }

    /// Records of file `index`, in its order.
    pub fn write(&self, index: usize, records: Vec<R>) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if index == s.front {
                let st = &mut *s;
                write_all(&mut st.out, &mut st.failed, records);
                return;
            }
            let held = s.held.entry(index).or_default();
            if held.len() < HOLD_RECORDS {
                held.extend(records);
                return;
            }
            s = self.turn.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// File `index` has no more records (finished, failed or skipped).
    pub fn done(&self, index: usize) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.done.insert(index, ());
        loop {
            let front = s.front;
            if s.done.remove(&front).is_none() {
                break;
            }
            s.front += 1;
            let front = s.front;
            if let Some(held) = s.held.remove(&front) {
                let st = &mut *s;
                write_all(&mut st.out, &mut st.failed, held);
            }
        }
        drop(s);
        self.turn.notify_all();
    }

    /// The stream, once every worker is done, and the first write error.
    pub fn into_inner(self) -> (W, Option<anyhow::Error>) {
        let s = self
            .state
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        (s.out, s.failed)
    }
}

fn write_all<W: Emit<R>, R>(out: &mut W, failed: &mut Option<anyhow::Error>, records: Vec<R>) {
    if failed.is_some() {
        return;
    }
    for r in &records {
        if let Err(e) = out.emit(r) {
            *failed = Some(e);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Emit<(usize, usize)> for Vec<(usize, usize)> {
        fn emit(&mut self, r: &(usize, usize)) -> anyhow::Result<()> {
            self.push(*r);
            Ok(())
        }
    }

    #[test]
    fn parallel_files_come_out_in_input_order() {
        let files = 40;
        let per_file = |i: usize| 1 + (i * 7919) % (2 * HOLD_RECORDS / 1000 + 3) * 1000;
        let ordered = Ordered::new(Vec::new());
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        if i >= files {
                            break;
                        }
                        let n = per_file(i);
                        // Records in chunks, as a worker streaming a long file sends them.
                        for start in (0..n).step_by(997) {
                            let chunk = (start..n.min(start + 997)).map(|k| (i, k)).collect();
                            ordered.write(i, chunk);
                        }
                        ordered.done(i);
                    }
                });
            }
        });
        let (out, failed) = ordered.into_inner();
        assert!(failed.is_none());
        let want: Vec<(usize, usize)> = (0..files)
            .flat_map(|i| (0..per_file(i)).map(move |k| (i, k)))
            .collect();
        assert_eq!(out.len(), want.len());
        assert!(out == want, "records out of order");
    }
}
