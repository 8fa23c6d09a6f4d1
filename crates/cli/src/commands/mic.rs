//! `hark stream --mic`: live audio from a microphone (cpal, behind the `mic` cargo feature so
//! the default build needs no ALSA headers).
//!
//! Flow: audio-in stage of the stream: microphone -> mono f32 at the device's rate ->
//! resampled to the model's rate -> the same chunk receiver as standard input. The device
//! callback runs on cpal's thread and must never block, so it hands buffers over a bounded
//! channel; when the classifier falls behind, buffers are dropped and counted, never queued
//! without bound.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, Sample, SampleFormat, SizedSample};

use crate::progress::stop_flag;

/// Device buffers held between the device thread and the classifier: a few seconds at the
/// usual 10-20 ms buffers, enough to ride out a slow batch, small enough to stay live.
const QUEUED_BUFFERS: usize = 256;

/// How often the receiving side checks for Ctrl-C while the device is quiet.
const POLL: Duration = Duration::from_millis(100);

/// What the device thread sends.
enum Msg {
    /// Mono samples at the device rate.
    Audio(Vec<f32>),
    /// The device failed (unplugged, stopped).
    Failed(String),
}

/// Input devices by name, for messages.
fn device_names(host: &cpal::Host) -> Vec<String> {
    host.input_devices()
        .map(|ds| ds.filter_map(|d| label(&d)).collect())
        .unwrap_or_default()
}

fn label(d: &cpal::Device) -> Option<String> {
    match (d.id(), d.description()) {
        (Ok(id), Ok(desc)) => Some(format!("{id} ({desc})")),
        (Ok(id), Err(_)) => Some(id.to_string()),
        (Err(_), Ok(desc)) => Some(desc.to_string()),
        _ => None,
    }
}

/// The input device: the default one, or the first whose id or description contains
/// `wanted` (ignoring case).
fn pick(host: &cpal::Host, wanted: Option<&str>) -> Result<cpal::Device> {
    let known = || {
        let names = device_names(host);
        if names.is_empty() {
            "none found".to_string()
        } else {
            names.join("; ")
        }
    };
    match wanted {
        None => host.default_input_device().with_context(|| {
            format!(
                "no default microphone (input devices: {}); name one with --mic DEVICE",
                known()
            )
        }),
        Some(w) => {
            let w_lower = w.to_lowercase();
            host.input_devices()
                .context("cannot list input devices")?
                .find(|d| label(d).is_some_and(|l| l.to_lowercase().contains(&w_lower)))
                .with_context(|| {
                    format!("no input device matches {w:?} (input devices: {})", known())
                })
        }
    }
}

/// Average interleaved frames to mono f32 and send them; count what does not fit (in
/// microseconds of audio at `rate`).
fn send_mono<T>(data: &[T], channels: usize, rate: u32, tx: &SyncSender<Msg>, dropped: &AtomicU64)
where
    T: Sample,
    f32: FromSample<T>,
{
    let frames = data.len() / channels;
    let mono: Vec<f32> = data
        .chunks_exact(channels)
        .map(|f| f.iter().map(|&s| f32::from_sample(s)).sum::<f32>() / channels as f32)
        .collect();
    match tx.try_send(Msg::Audio(mono)) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => {
            let us = frames as u64 * 1_000_000 / u64::from(rate.max(1));
            dropped.fetch_add(us, Ordering::Relaxed);
        }
        // The receiver has finished; nothing to do.
        Err(TrySendError::Disconnected(_)) => {}
    }
}

fn build<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    tx: SyncSender<Msg>,
    dropped: Arc<AtomicU64>,
) -> Result<cpal::Stream>
where
    T: SizedSample,
    f32: FromSample<T>,
{
    let channels = usize::from(config.channels).max(1);
    let rate = config.sample_rate;
    let err_tx = tx.clone();
    let stream = device.build_input_stream::<T, _, _>(
        *config,
        move |data: &[T], _: &cpal::InputCallbackInfo| {
            send_mono(data, channels, rate, &tx, &dropped)
        },
        move |e| {
            let _ = err_tx.try_send(Msg::Failed(e.to_string()));
        },
        None,
    )?;
    Ok(stream)
}

/// The microphone in use, for the status line.
pub struct MicInfo {
    /// The device, as its id and description.
    pub device: String,
    /// Device sample rate, Hz.
    pub rate: u32,
    /// Device channels (averaged to mono).
    pub channels: u16,
}

/// Capture from the microphone until `on_chunk` breaks or Ctrl-C; chunks are mono at `sr`.
/// `dropped` counts microseconds of audio lost because the classifier fell behind.
pub fn capture(
    wanted: Option<&str>,
    sr: u32,
    dropped: Arc<AtomicU64>,
    started: &mut dyn FnMut(&MicInfo),
    on_chunk: &mut dyn FnMut(&[f32]) -> ControlFlow<()>,
) -> Result<()> {
    let host = cpal::default_host();
    let device = pick(&host, wanted)?;
    let name = label(&device).unwrap_or_else(|| "microphone".into());
    let supported = device
        .default_input_config()
        .with_context(|| format!("{name} has no usable input configuration"))?;
    let config: cpal::StreamConfig = supported.config();
    let (tx, rx) = sync_channel(QUEUED_BUFFERS);
    let stream = match supported.sample_format() {
        SampleFormat::I8 => build::<i8>(&device, &config, tx, dropped),
        SampleFormat::I16 => build::<i16>(&device, &config, tx, dropped),
        SampleFormat::I32 => build::<i32>(&device, &config, tx, dropped),
        SampleFormat::U8 => build::<u8>(&device, &config, tx, dropped),
        SampleFormat::U16 => build::<u16>(&device, &config, tx, dropped),
        SampleFormat::F32 => build::<f32>(&device, &config, tx, dropped),
        SampleFormat::F64 => build::<f64>(&device, &config, tx, dropped),
        other => bail!("{name} delivers {other} samples, which hark does not read"),
    }
    .with_context(|| format!("cannot open {name}"))?;
    stream
        .play()
        .with_context(|| format!("cannot start {name}"))?;
    started(&MicInfo {
        device: name.clone(),
        rate: config.sample_rate,
        channels: config.channels,
    });
    receive(&rx, config.sample_rate, sr, &name, on_chunk)
}

/// Resample what arrives and hand it on, until the receiver or Ctrl-C stops it.
fn receive(
    rx: &Receiver<Msg>,
    rate: u32,
    sr: u32,
    name: &str,
    on_chunk: &mut dyn FnMut(&[f32]) -> ControlFlow<()>,
) -> Result<()> {
    let mut resampler = (rate != sr)
        .then(|| hark_audio::Resampler::new(rate, sr))
        .transpose()?;
    let mut resampled = Vec::new();
    while !stop_flag().load(Ordering::SeqCst) {
        let mono = match rx.recv_timeout(POLL) {
            Ok(Msg::Audio(m)) => m,
            Ok(Msg::Failed(e)) => bail!("{name} failed: {e}"),
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => bail!("{name} stopped delivering audio"),
        };
        let chunk = match &mut resampler {
            None => &mono[..],
            Some(rs) => {
                resampled.clear();
                rs.push(&mono, &mut resampled)?;
                &resampled[..]
            }
        };
        if !chunk.is_empty() && on_chunk(chunk).is_break() {
            break;
        }
    }
    Ok(())
}
