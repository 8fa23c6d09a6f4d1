//! Criterion benchmark of the features stage: log-mel (librosa `melspectrogram` +
//! `power_to_db(ref=max)`) of 10 minutes of 22.05 kHz audio, single-threaded,
//! n_fft 1024, hop 512, 60 mels. Buffers and plans are made outside the timed loop.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hark_features::{FeatureConfig, MatrixExtractor, MatrixKind};

/// Ten minutes of a chirp plus tone plus deterministic noise at 22.05 kHz.
fn signal(sr: u32, seconds: usize) -> Vec<f32> {
    let mut rng = fastrand::Rng::with_seed(7);
    (0..sr as usize * seconds)
        .map(|n| {
            let t = n as f32 / sr as f32;
            0.3 * (2.0 * std::f32::consts::PI * 440.0 * t).sin()
                + 0.2 * (2.0 * std::f32::consts::PI * (100.0 + 10.0 * (t % 60.0)) * t).sin()
                + 0.05 * (rng.f32() - 0.5)
        })
        .collect()
}

fn bench_logmel(c: &mut Criterion) {
    let cfg = FeatureConfig::default();
    let y = signal(cfg.sr, 600);
    let ex = MatrixExtractor::new(&cfg).expect("default config is valid");
    let mut group = c.benchmark_group("logmel");
    group.sample_size(10);
    group.throughput(Throughput::Elements(y.len() as u64));
    group.bench_function("10min_22k_nfft1024_hop512_mels60", |b| {
        b.iter(|| {
            ex.compute(std::hint::black_box(&y), MatrixKind::LogMelDb)
                .expect("valid")
        })
    });
    group.finish();
}

criterion_group!(benches, bench_logmel);
criterion_main!(benches);
