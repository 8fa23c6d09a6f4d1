//! Decibels and MFCC (audio -> **features**: STFT -> mel -> **dB** -> MFCC).

use ndarray::Array2;

use crate::FeatureError;

/// Reference power for 0 dB in [`power_to_db`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DbRef {
    /// The maximum of the array (librosa `ref=np.max`): the loudest cell becomes 0 dB.
    Max,
    /// A fixed reference power (librosa `ref=value`; 1.0 for the model input pipeline).
    Value(f32),
}

fn check_db_params(amin: f32, top_db: Option<f32>, reference: DbRef) -> Result<(), FeatureError> {
    if !(amin.is_finite() && amin > 0.0) {
        return Err(FeatureError::invalid(
            "amin",
            amin,
            "dB floor must be > 0 (e.g. 1e-10)",
        ));
    }
    if let Some(t) = top_db
        && !(t.is_finite() && t >= 0.0)
    {
        return Err(FeatureError::invalid(
            "top_db",
            t,
            "dynamic range must be >= 0 dB (e.g. 80)",
        ));
    }
    if let DbRef::Value(r) = reference
        && !(r.is_finite() && r > 0.0)
    {
        return Err(FeatureError::invalid(
            "ref",
            r,
            "reference power must be > 0",
        ));
    }
    Ok(())
}

/// In place `librosa.power_to_db(S, ref, amin, top_db)` on any flat array of powers:
/// `10 log10(max(S, amin)) - 10 log10(max(ref, amin))`, then clipped at `max - top_db`.
pub fn power_to_db_inplace(
    s: &mut [f32],
    reference: DbRef,
    amin: f32,
    top_db: Option<f32>,
) -> Result<(), FeatureError> {
    check_db_params(amin, top_db, reference)?;
    let ref_value = match reference {
        DbRef::Max => s.iter().copied().fold(f32::NEG_INFINITY, f32::max),
        DbRef::Value(v) => v,
    };
    let offset = 10.0 * ref_value.max(amin).log10();
    let mut max_db = f32::NEG_INFINITY;
    for v in s.iter_mut() {
        *v = 10.0 * v.max(amin).log10() - offset;
        max_db = max_db.max(*v);
    }
    if let Some(t) = top_db {
        let floor = max_db - t;
        for v in s.iter_mut() {
            *v = v.max(floor);
        }
    }
    Ok(())
}

/// Allocating wrapper of [`power_to_db_inplace`]; the shape is kept.
pub fn power_to_db(
    s: &Array2<f32>,
    reference: DbRef,
    amin: f32,
    top_db: Option<f32>,
) -> Result<Array2<f32>, FeatureError> {
    let mut out = s.as_standard_layout().into_owned();
    let flat = out
        .as_slice_mut()
        .ok_or_else(|| FeatureError::ShapeMismatch {
            what: "power_to_db input",
            expected: "a contiguous array".into(),
            actual: "non-contiguous".into(),
        })?;
    power_to_db_inplace(flat, reference, amin, top_db)?;
    Ok(out)
}

/// Orthonormal DCT-II basis, shape `(n_out, n_in)` (`scipy.fft.dct(type=2, norm='ortho')`).
pub fn dct_ii_ortho(n_out: usize, n_in: usize) -> Array2<f32> {
    let mut m = Array2::zeros((n_out, n_in));
    let n = n_in as f64;
    for k in 0..n_out {
        let scale = if k == 0 {
            (1.0 / n).sqrt()
        } else {
            (2.0 / n).sqrt()
        };
        for i in 0..n_in {
            let c = (std::f64::consts::PI * k as f64 * (2.0 * i as f64 + 1.0) / (2.0 * n)).cos();
            m[[k, i]] = (scale * c) as f32;
        }
    }
    m
}

/// MFCC from a dB mel spectrogram `(n_mels, n_frames)`: DCT-II (ortho) along the mel axis,
/// keeping the first `n_mfcc` coefficients; shape `(n_mfcc, n_frames)`
/// (`librosa.feature.mfcc(S=db_mel, n_mfcc=n_mfcc)`).
pub fn mfcc(db_mel: &Array2<f32>, n_mfcc: usize) -> Result<Array2<f32>, FeatureError> {
    let n_mels = db_mel.nrows();
    if n_mfcc == 0 || n_mfcc > n_mels {
        return Err(FeatureError::invalid(
            "n_mfcc",
            n_mfcc,
            format!("must be in 1..={n_mels} (the number of mel bands)"),
        ));
    }
    let basis = dct_ii_ortho(n_mfcc, n_mels);
    Ok(basis.dot(db_mel))
}
