//! Benchmark driver for the audio-input stage (audio -> features -> ...): decode + downmix
//! files with `hark_audio::load_mono(path, None)` and print throughput.
//!
//! Usage: `decode_bench [--threads N] [--repeat R] [--list FILE] [--print-durations] [FILES...]`
//! (`--list` reads one path per line). Prints one line:
//! `files=<n> audio_s=<seconds of audio> wall_s=<seconds> files_per_s=<..> x_realtime=<..>`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Per-file outcome: (index in the file list, frames and sample rate or an error message).
type Outcome = (usize, Result<(usize, u32), String>);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut threads = 1usize;
    let mut repeat = 1usize;
    let mut print_durations = false;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => threads = args.next().ok_or("--threads needs a value")?.parse()?,
            "--repeat" => repeat = args.next().ok_or("--repeat needs a value")?.parse()?,
            "--print-durations" => print_durations = true,
            "--list" => {
                let list = std::fs::read_to_string(args.next().ok_or("--list needs a file")?)?;
                files.extend(
                    list.lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(PathBuf::from),
                );
            }
            _ => files.push(PathBuf::from(a)),
        }
    }
    if files.is_empty() {
        return Err("no input files".into());
    }
    let threads = threads.max(1);
    let mut best_wall = f64::INFINITY;
    let mut audio_s = 0.0;
    for _ in 0..repeat.max(1) {
        let next = AtomicUsize::new(0);
        let t0 = Instant::now();
        let results: Vec<Vec<Outcome>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut out = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(path) = files.get(i) else { break };
                            let r = hark_audio::load_mono(path, None)
                                .map(|a| (a.frames(), a.sample_rate))
                                .map_err(|e| e.to_string());
                            out.push((i, r));
                        }
                        out
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let wall = t0.elapsed().as_secs_f64();
        best_wall = best_wall.min(wall);
        let mut flat: Vec<_> = results.into_iter().flatten().collect();
        flat.sort_by_key(|(i, _)| *i);
        audio_s = 0.0;
        for (i, r) in &flat {
            match r {
                Ok((frames, sr)) => {
                    let d = *frames as f64 / f64::from(*sr);
                    audio_s += d;
                    if print_durations {
                        println!("{}\t{frames}\t{d:.6}", files[*i].display());
                    }
                }
                Err(e) => eprintln!("error: {}: {e}", files[*i].display()),
            }
        }
        print_durations = false;
    }
    println!(
        "files={} audio_s={audio_s:.3} wall_s={best_wall:.4} files_per_s={:.1} x_realtime={:.1}",
        files.len(),
        files.len() as f64 / best_wall,
        audio_s / best_wall
    );
    Ok(())
}
