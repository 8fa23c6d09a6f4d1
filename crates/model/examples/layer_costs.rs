//! Per-layer output shapes, parameters and MACs of an architecture (model stage), for
//! comparing hark's counts with other tools' (e.g. X-CUBE-AI's MACC in the seed thesis).
//!
//! usage: layer_costs sbcnn|sbcnn-3x2|stride-ds N_MELS FRAMES CLASSES

use hark_model::{ModelConfig, SbCnnConfig, StrideDsConfig, summary};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [arch, mels, frames, classes] = args.as_slice() else {
        return Err("usage: layer_costs sbcnn|sbcnn-3x2|stride-ds N_MELS FRAMES CLASSES".into());
    };
    let cfg = match arch.as_str() {
        "sbcnn" => ModelConfig::SbCnn(SbCnnConfig::default()),
        "sbcnn-3x2" => ModelConfig::SbCnn(SbCnnConfig {
            pool: [3, 2],
            ..Default::default()
        }),
        "stride-ds" => ModelConfig::StrideDs(StrideDsConfig::default()),
        other => return Err(format!("unknown architecture {other}").into()),
    };
    let s = summary(&cfg, mels.parse()?, frames.parse()?, classes.parse()?)?;
    println!(
        "{:<24} {:>16} {:>9} {:>11} {:>9}",
        "layer", "output", "params", "MACs", "values"
    );
    for l in &s.layers {
        let shape = format!("{:?}", l.output_shape);
        let values: usize = l.output_shape.iter().product();
        println!(
            "{:<24} {:>16} {:>9} {:>11} {:>9}",
            l.name, shape, l.params, l.macs, values
        );
    }
    println!(
        "total: {} parameters, {} buffers, {} MACs per window",
        s.params, s.buffers, s.macs_per_window
    );
    Ok(())
}
