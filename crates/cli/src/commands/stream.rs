//! `hark stream MODEL`: classify a live stream from standard input or a microphone, printing one flushed JSON
//! line per sound event (or per window) as soon as it is known, a status line on stderr, and
//! a summary when the stream ends (EOF or Ctrl-C).
//!
//! Flow: predict/stream stage: audio (a pipe, decoded as it arrives) -> features -> model ->
//! events -> JSON lines. The same [`Scanner`] as `hark predict`, flushed after every read, so
//! a stream and a file of the same audio give the same windows, probabilities and events.

use std::io::{IsTerminal, Read};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hark_infer::{ScanConfig, ScanOutput, Scanner};
use hark_output::{
    EventRecord, OutputFormat, OutputSpec, Record, RecordKind, StreamWriter, WindowRecord,
};

use super::Outcome;
use crate::args::{RawFormat, StreamArgs};
use crate::progress::stop_flag;

/// Native-rate frames decoded before the model sees them: about 23 ms at 44.1 kHz.
const LIVE_CHUNK_FRAMES: usize = 1024;

/// Seconds between two status lines.
const STATUS_EVERY: Duration = Duration::from_secs(1);

/// `hark stream`.
pub fn stream(args: &StreamArgs) -> Result<Outcome> {
    let file = super::input::load_model(&args.model, "the first argument of `hark stream`")?;
    let decision = super::predict::decision_config(&file, &args.decision)?;
    let events = args.event_opts.to_config()?;
    let predictor = hark_infer::Predictor::new(&file)?;
    let features = &file.meta.features;
    let classes = &file.meta.class_names;
    let cfg = ScanConfig {
        decision,
        events,
        batch: 1,
    };
    let mut scanner = Scanner::new(&predictor, features, cfg)?;
    let kind = if args.windows {
        RecordKind::Window
    } else {
        RecordKind::Event
    };
    let spec = OutputSpec::new(OutputFormat::JsonLines, kind, classes);
    let mut writer = StreamWriter::stdout(&spec)?;
    let mut status = Status::new(!args.quiet && std::io::stderr().is_terminal());
    let mut out = ScanOutput::default();
    let mut event_counts = vec![0usize; classes.len()];
    let mut failed: Option<anyhow::Error> = None;
    let sr = features.sr;
    // Microseconds of microphone audio lost because classifying fell behind (never for pipes,
    // which wait for the reader).
    let dropped = Arc::new(AtomicU64::new(0));
    let dropped_seen = Arc::clone(&dropped);

    let mut on_chunk = |chunk: &[f32]| -> ControlFlow<()> {
        let arrived = Instant::now();
        let step = scanner
            .push(chunk, &mut out)
            .and_then(|()| scanner.flush(&mut out))
            .map_err(anyhow::Error::from)
            .and_then(|()| write(&mut writer, &out, kind, classes, &mut event_counts));
        if !out.windows.is_empty() {
            status.latency(arrived.elapsed());
        }
        status.windows += out.windows.len();
        out.clear();
        status.audio_s += chunk.len() as f64 / f64::from(sr);
        status.dropped_s = dropped_seen.load(Ordering::Relaxed) as f64 / 1e6;
        status.maybe_print();
        match step {
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
            Ok(()) if stop_flag().load(Ordering::SeqCst) => ControlFlow::Break(()),
            Ok(()) => ControlFlow::Continue(()),
        }
    };
    let stdin = std::io::stdin();
    let decoded = match (&args.mic, args.format) {
        (Some(device), _) => mic_input(device.as_deref(), sr, dropped, &mut on_chunk),
        (None, Some(format)) => {
            let rate = args.rate.context("--format needs --rate")? as u32;
            read_raw(stdin, format, rate, args.channels, sr, &mut on_chunk)
        }
        (None, None) => hark_audio::stream_mono_pipe(
            stdin,
            Path::new("-"),
            Some(sr),
            LIVE_CHUNK_FRAMES,
            &mut on_chunk,
        )
        .map(|s| {
            for w in &s.warnings {
                eprintln!("warning: standard input: {w}");
            }
        })
        .context("cannot read standard input"),
    };
    status.clear();
    let dropped_s = status.dropped_s;
    if let Some(e) = failed {
        if is_broken_pipe(&e) {
            return Ok(Outcome::Ok);
        }
        return Err(e);
    }
    decoded?;
    let end = scanner.finish(&mut out)?;
    write(&mut writer, &out, kind, classes, &mut event_counts)?;
    status.windows += out.windows.len();
    writer.finish()?;
    print_summary(&status, &end, classes, &event_counts);
    if dropped_s > 0.0 {
        eprintln!(
            "warning: {dropped_s:.2} s of microphone audio was dropped: classifying fell behind (a smaller model, or --threads)"
        );
    }
    Ok(if stop_flag().load(Ordering::SeqCst) {
        Outcome::Interrupted
    } else {
        Outcome::Ok
    })
}

/// Audio from a microphone (`--mic`), mono at `sr`.
#[cfg(feature = "mic")]
fn mic_input(
    device: Option<&str>,
    sr: u32,
    dropped: Arc<AtomicU64>,
    on_chunk: &mut dyn FnMut(&[f32]) -> ControlFlow<()>,
) -> Result<()> {
    let mut started = |m: &super::mic::MicInfo| {
        eprintln!(
            "listening to {} ({} Hz, {} channel{}); Ctrl-C ends",
            m.device,
            m.rate,
            m.channels,
            if m.channels == 1 { "" } else { "s" }
        );
    };
    super::mic::capture(device, sr, dropped, &mut started, on_chunk)
}

/// `--mic` in a build without the `mic` feature: say how to get it, or to pipe audio in.
#[cfg(not(feature = "mic"))]
fn mic_input(
    _device: Option<&str>,
    _sr: u32,
    _dropped: Arc<AtomicU64>,
    _on_chunk: &mut dyn FnMut(&[f32]) -> ControlFlow<()>,
) -> Result<()> {
    anyhow::bail!(
        "this hark was built without microphone support: rebuild it with `cargo install --path crates/cli --features mic` (needs the ALSA headers, libasound2-dev on Debian), or pipe audio in: `arecord -f S16_LE -r 16000 -t wav | hark stream MODEL`"
    )
}

/// Write the records of `out` (events or windows) and count events per class.
fn write(
    w: &mut StreamWriter,
    out: &ScanOutput,
    kind: RecordKind,
    classes: &[String],
    counts: &mut [usize],
) -> Result<()> {
    let n = classes.len();
    if kind == RecordKind::Window {
        for (i, win) in out.windows.iter().enumerate() {
            w.write(&Record::Window(WindowRecord {
                file: "-".into(),
                start_s: win.start_s,
                end_s: win.end_s,
                label: win.decision.outcome().name(classes).to_string(),
                probability: win.decision.probability,
                probs: out.row(i, n).to_vec(),
            }))?;
        }
    }
    for e in &out.events {
        counts[e.class] += 1;
        if kind == RecordKind::Event {
            w.write(&Record::Event(EventRecord {
                file: "-".into(),
                label: classes[e.class].clone(),
                start_s: e.start_s,
                end_s: e.end_s,
                mean: e.mean,
                peak: e.peak,
            }))?;
        }
    }
    Ok(())
}

/// Headerless samples from `r`: interleaved `channels`, averaged to mono, resampled from
/// `rate` to `sr`, handed on per read. A last partial sample frame is dropped.
fn read_raw(
    mut r: impl Read,
    format: RawFormat,
    rate: u32,
    channels: usize,
    sr: u32,
    on_chunk: &mut dyn FnMut(&[f32]) -> ControlFlow<()>,
) -> Result<()> {
    let width = match format {
        RawFormat::S16le => 2,
        RawFormat::F32le => 4,
    };
    let frame_bytes = width * channels;
    let mut resampler = (rate != sr)
        .then(|| hark_audio::Resampler::new(rate, sr))
        .transpose()?;
    let mut bytes = vec![0u8; LIVE_CHUNK_FRAMES * frame_bytes];
    let mut have = 0;
    let mut mono = Vec::with_capacity(LIVE_CHUNK_FRAMES);
    let mut resampled = Vec::new();
    let mut hand_on = |mono: &[f32], resampler: &mut Option<hark_audio::Resampler>, last: bool| {
        let chunk = match resampler {
            None => mono,
            Some(rs) => {
                resampled.clear();
                let step = if last {
                    rs.finish(&mut resampled)
                } else {
                    rs.push(mono, &mut resampled)
                };
                if let Err(e) = step {
                    return Err(anyhow::Error::from(e));
                }
                &resampled[..]
            }
        };
        Ok(chunk.is_empty() || on_chunk(chunk).is_continue())
    };
    loop {
        let n = match r.read(&mut bytes[have..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("cannot read standard input"),
        };
        have += n;
        let whole = have / frame_bytes * frame_bytes;
        mono.clear();
        for frame in bytes[..whole].chunks_exact(frame_bytes) {
            let sum: f32 = frame
                .chunks_exact(width)
                .map(|s| match format {
                    RawFormat::S16le => f32::from(i16::from_le_bytes([s[0], s[1]])) / 32768.0,
                    RawFormat::F32le => f32::from_le_bytes([s[0], s[1], s[2], s[3]]),
                })
                .sum();
            mono.push(sum / channels as f32);
        }
        if let Some(i) = mono.iter().position(|x| !x.is_finite()) {
            anyhow::bail!(
                "standard input: sample {i} of a read is {} (not a number); is --format right?",
                mono[i]
            );
        }
        bytes.copy_within(whole..have, 0);
        have -= whole;
        if !hand_on(&mono, &mut resampler, false)? {
            return Ok(());
        }
    }
    hand_on(&[], &mut resampler, true)?;
    Ok(())
}

/// The status line: audio time, speed against real time, latency.
struct Status {
    show: bool,
    started: Instant,
    last: Instant,
    audio_s: f64,
    dropped_s: f64,
    windows: usize,
    latency_max: Duration,
    latency_sum: Duration,
    latency_n: u32,
}

impl Status {
    fn new(show: bool) -> Status {
        let now = Instant::now();
        Status {
            show,
            started: now,
            last: now,
            audio_s: 0.0,
            dropped_s: 0.0,
            windows: 0,
            latency_max: Duration::ZERO,
            latency_sum: Duration::ZERO,
            latency_n: 0,
        }
    }

    /// Time from a chunk's arrival to its windows' lines being written.
    fn latency(&mut self, d: Duration) {
        self.latency_max = self.latency_max.max(d);
        self.latency_sum += d;
        self.latency_n += 1;
    }

    fn mean_latency_ms(&self) -> f64 {
        if self.latency_n == 0 {
            return 0.0;
        }
        self.latency_sum.as_secs_f64() * 1000.0 / f64::from(self.latency_n)
    }

    fn maybe_print(&mut self) {
        if !self.show || self.last.elapsed() < STATUS_EVERY {
            return;
        }
        self.last = Instant::now();
        let wall = self.started.elapsed().as_secs_f64();
        eprint!(
            "\r\x1b[2K{} of audio, {:.1}x real time, latency {:.1} ms (max {:.1}), {} windows, {:.2} s dropped",
            clock(self.audio_s),
            self.audio_s / wall.max(1e-9),
            self.mean_latency_ms(),
            self.latency_max.as_secs_f64() * 1000.0,
            self.windows,
            self.dropped_s,
        );
    }

    fn clear(&self) {
        if self.show {
            eprint!("\r\x1b[2K");
        }
    }
}

/// `h:mm:ss.s`.
fn clock(s: f64) -> String {
    let h = (s / 3600.0).floor();
    let m = ((s - h * 3600.0) / 60.0).floor();
    format!("{h}:{m:02}:{:04.1}", s - h * 3600.0 - m * 60.0)
}

/// The end-of-stream summary on stderr (stdout holds only the JSON lines).
fn print_summary(st: &Status, end: &hark_infer::ScanSummary, classes: &[String], counts: &[usize]) {
    let wall = st.started.elapsed().as_secs_f64();
    let cpu = cpu_seconds();
    eprintln!(
        "stream ended: {} of audio in {:.1} s ({:.1}x real time), {} windows ({} silent)",
        clock(end.duration_s),
        wall,
        end.duration_s / wall.max(1e-9),
        st.windows,
        st.windows - end.scored_windows,
    );
    let events: Vec<String> = classes
        .iter()
        .zip(counts)
        .filter(|(_, n)| **n > 0)
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    eprintln!(
        "events: {}",
        if events.is_empty() {
            "none".to_string()
        } else {
            events.join(", ")
        }
    );
    eprintln!(
        "whole stream: {} ({:.3})",
        end.decision.outcome().name(classes),
        end.decision.probability
    );
    let mut cost = format!(
        "latency {:.2} ms mean, {:.2} ms max (a window's last sample read to its line written)",
        st.mean_latency_ms(),
        st.latency_max.as_secs_f64() * 1000.0
    );
    if let Some(cpu) = cpu
        && end.duration_s > 0.0
    {
        cost.push_str(&format!(
            "; CPU {:.3} s per second of audio ({:.2}% of one core)",
            cpu / end.duration_s,
            100.0 * cpu / end.duration_s
        ));
    }
    if let Some(kib) = peak_memory_kib() {
        cost.push_str(&format!("; peak memory {:.1} MiB", kib as f64 / 1024.0));
    }
    eprintln!("{cost}");
}

/// CPU time (user + system) this process has used, where the platform tells.
fn cpu_seconds() -> Option<f64> {
    #[cfg(unix)]
    {
        // SAFETY: getrusage writes into the struct we own; RUSAGE_SELF is always valid.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } == 0 {
            let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
            return Some(t(ru.ru_utime) + t(ru.ru_stime));
        }
    }
    None
}

/// Peak resident memory (Linux `VmHWM`), in KiB.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Whether `e` is a closed pipe (the reader stopped reading).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
