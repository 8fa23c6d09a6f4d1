//! Decode, downmix and resample an audio file to raw little-endian float32 (audio stage; a
//! helper for benchmarks that feed other programs, e.g. `bench/export/m4_cost.sh`).
//!
//! usage: to_f32 AUDIO RATE OUT.f32

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, rate, output] = args.as_slice() else {
        return Err("usage: to_f32 AUDIO RATE OUT.f32".into());
    };
    let audio = hark_audio::load_mono(input.as_ref(), Some(rate.parse()?))?;
    let bytes: Vec<u8> = audio.samples.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(output, bytes)?;
    Ok(())
}
