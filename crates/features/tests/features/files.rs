//! CSV / NPY writers (atomic). The spectrogram picture is tested in hark-plot.

use hark_features::{FeatureConfig, MatrixKind, feature_matrix, write_csv, write_npy};

#[test]
fn csv_round_trips_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = FeatureConfig::speech();
    let y = crate::common::test_signal(4000, 8000, 8);
    let m = feature_matrix(&y, &cfg, MatrixKind::MelPower).expect("mel");
    let path = dir.path().join("mel.csv");
    write_csv(&path, &m).expect("write");
    let back = crate::common::read_csv(&path);
    assert_eq!((back.len(), back[0].len()), m.dim());
    for (i, row) in back.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            assert_eq!(v, m[[i, j]], "exact round trip");
        }
    }
    let entries: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").collect();
    assert_eq!(entries.len(), 1, "no temp files left behind");
}

#[test]
fn npy_has_numpy_layout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = ndarray::Array2::from_shape_fn((3, 5), |(i, j)| (i * 10 + j) as f32 + 0.5);
    let path = dir.path().join("m.npy");
    write_npy(&path, &m).expect("write");
    let bytes = std::fs::read(&path).expect("read");
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
    let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert_eq!((10 + hlen) % 64, 0, "header aligned to 64");
    let header = std::str::from_utf8(&bytes[10..10 + hlen]).expect("ascii");
    assert!(
        header.contains("'descr': '<f4'")
            && header.contains("'shape': (3, 5)")
            && header.contains("False")
    );
    let data: Vec<f32> = bytes[10 + hlen..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(data, m.iter().copied().collect::<Vec<_>>(), "C order");
    let err = write_npy(dir.path().join("missing/m.npy"), &m).expect_err("no folder");
    assert!(err.to_string().contains("missing"));
}
