//! Print `hark_audio::probe` as JSON-ish debug for each argument (audio-input stage tool).
fn main() {
    for a in std::env::args().skip(1) {
        let p = std::path::Path::new(&a);
        match hark_audio::probe(p) {
            Ok(info) => println!("{info:?}"),
            Err(e) => println!("error: {a}: {e}"),
        }
    }
}
