//! Every flag of every subcommand parses: a table-driven test that gives each value-taking
//! flag a valid and an invalid value, in both `--flag=value` and `--flag value` forms, so a
//! definition/access mismatch (a clap panic) or a missing range check anywhere fails here.
//! A flag added without a row in `VALUES` fails too.

use std::panic::{AssertUnwindSafe, catch_unwind};

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use hark::args::{Cli, Command};

/// Flag id -> (a valid value, an invalid value or `None` when every string is valid).
const VALUES: &[(&str, &str, Option<&str>)] = &[
    ("preset", "speech", Some("music")),
    ("sr", "16000", Some("0")),
    ("n_fft", "512", Some("0")),
    ("hop_length", "128", Some("-3")),
    ("n_mels", "40", Some("many")),
    ("fmin", "50", Some("-5")),
    ("fmax", "4000", Some("0")),
    ("window_frames", "32", Some("0")),
    ("overlap", "0.5", Some("0.95")),
    ("normalization", "mean-std", Some("zscore")),
    ("silence_threshold_db", "-50", Some("12")),
    ("silence_relative_db", "40", Some("-40")),
    ("output", "out.file", None),
    ("kind", "mel", Some("cqt")),
    ("width", "800", Some("wide")),
    ("height", "400", Some("-1")),
    ("report_dir", "reports", None),
    ("val_fold", "2", Some("two")),
    ("test_fold", "3", Some("-3")),
    ("model", "logreg", Some("resnet")),
    ("epochs", "3", Some("0")),
    ("batch_size", "16", Some("1")),
    ("optimizer", "sgd", Some("lbfgs")),
    ("lr", "0.01", Some("-0.01")),
    ("lr_schedule", "cosine", Some("step")),
    ("patience", "5", Some("-1")),
    ("seed", "7", Some("seven")),
    ("validation_fraction", "0.2", Some("1")),
    ("aggregation", "majority", Some("median")),
    ("cache_dir", "cache", None),
    ("fold", "1", Some("x")),
    ("split", "test", None),
    ("target_precision", "0.9", Some("1.5")),
    ("threshold", "0.5", Some("-1")),
    ("folds", "k=5", Some("k=1")),
    ("only", "1,2", Some("a,b")),
    ("group_by", "speaker", None),
    ("threads", "2", Some("0")),
    ("format", "npy", Some("json")),
    ("keep_correct", "0.95", Some("1.5")),
    ("model_file", "m.hark", None),
    ("onset", "0.5", Some("1.5")),
    ("offset", "0.2", Some("-0.2")),
    ("smooth", "4", Some("0")),
    ("smoothing", "median", Some("mode")),
    ("min_duration", "0.5", Some("-1")),
    ("max_gap", "2", Some("-2")),
    ("output_dir", "labels", None),
    ("top_k", "5", Some("0")),
    ("shard", "2/4", Some("5/4")),
    ("jobs", "2", Some("0")),
    ("rate", "16000", Some("0")),
    ("channels", "2", Some("0")),
    ("mic", "USB", None),
    ("collar", "0.25", Some("0")),
    ("target", "cortex-m4", Some("avr")),
    ("augment", "specaugment,mixup=0.2", Some("stretch=0.8:1.25")),
    ("log_augment", "augment.jsonl", None),
    ("embed", "base.hark", None),
    ("init", "base.hark", None),
    ("freeze", "block1,block2", None),
    ("logreg_c", "0.5", Some("0")),
    ("calibrate", "train/", None),
    ("calibration_windows", "300", Some("0")),
];

/// Flags whose values differ between subcommands: (subcommand, flag id, valid, invalid).
const SUB_VALUES: &[(&str, &str, &str, Option<&str>)] = &[
    ("predict", "format", "audacity", Some("npy")),
    ("stream", "format", "s16le", Some("wav")),
    ("export", "format", "c", Some("npy")),
];

/// Flags that only make sense next to another: (subcommand, flag id, the companion flag).
const COMPANIONS: &[(&str, &str, &str)] = &[
    ("predict", "skip_existing", "--output-dir=labels"),
    ("stream", "rate", "--format=s16le"),
    ("stream", "channels", "--format=s16le"),
    ("train", "freeze", "--init=base.hark"),
    ("cv", "freeze", "--init=base.hark"),
    ("export", "int8", "--calibrate=train/"),
    ("export", "calibrate", "--int8"),
    ("export", "calibration_windows", "--int8"),
    ("export", "calibration_windows", "--calibrate=train/"),
];

/// A placeholder for each positional argument.
fn positional(id: &str) -> &'static str {
    match id {
        "model" => "model.hark",
        "dataset" => "data",
        "shell" => "bash",
        _ => "clip.wav",
    }
}

fn row(id: &str, sub: &str) -> (&'static str, &'static str, Option<&'static str>) {
    if let Some(&(_, k, v, bad)) = SUB_VALUES.iter().find(|(s, k, _, _)| *s == sub && *k == id) {
        return (k, v, bad);
    }
    *VALUES
        .iter()
        .find(|(k, _, _)| *k == id)
        .unwrap_or_else(|| panic!("flag `{id}` of `{sub}` has no row in VALUES"))
}

fn parse(argv: &[String]) -> Result<Result<Cli, clap::Error>, String> {
    catch_unwind(AssertUnwindSafe(|| Cli::try_parse_from(argv))).map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

#[test]
fn every_flag_parses_valid_values_and_rejects_invalid_ones() {
    let cli = Cli::command();
    let mut checked = 0;
    for sub in cli.get_subcommands() {
        let name = sub.get_name().to_string();
        for arg in sub.get_arguments().filter(|a| !a.is_positional()) {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            // Positionals and the other required flags, so only this flag varies.
            let mut base = vec!["hark".to_string(), name.clone()];
            for p in sub.get_positionals() {
                base.push(positional(p.get_id().as_str()).to_string());
            }
            for req in sub
                .get_arguments()
                .filter(|a| !a.is_positional() && a.is_required_set() && a.get_id() != arg.get_id())
            {
                let (_, v, _) = row(req.get_id().as_str(), &name);
                base.push(format!("--{}={v}", req.get_long().expect("long")));
            }
            for (_, _, with) in COMPANIONS.iter().filter(|(s, k, _)| *s == name && *k == id) {
                base.push(with.to_string());
            }
            let long = format!("--{}", arg.get_long().expect("every flag has a long name"));
            let takes_value = arg.get_num_args().is_none_or(|n| n.takes_values())
                && !matches!(arg.get_action(), clap::ArgAction::SetTrue);
            if !takes_value {
                let mut argv = base.clone();
                argv.push(long.clone());
                let r = parse(&argv).unwrap_or_else(|p| panic!("{name} {long} panicked: {p}"));
                assert!(r.is_ok(), "{name} {long}: {:?}", r.err());
                checked += 1;
                continue;
            }
            let (_, valid, invalid) = row(id, &name);
            for form in [
                vec![format!("{long}={valid}")],
                vec![long.clone(), valid.to_string()],
            ] {
                let mut argv = base.clone();
                argv.extend(form.clone());
                let r = parse(&argv).unwrap_or_else(|p| panic!("{argv:?} panicked: {p}"));
                assert!(
                    r.is_ok(),
                    "{argv:?} rejected: {}",
                    r.err().map(|e| e.to_string()).unwrap_or_default()
                );
                if let Ok(Cli { command, .. }) = r {
                    check_config(&command, &argv);
                }
            }
            if let Some(bad) = invalid {
                for form in [
                    vec![format!("{long}={bad}")],
                    vec![long.clone(), bad.to_string()],
                ] {
                    let mut argv = base.clone();
                    argv.extend(form);
                    let r = parse(&argv).unwrap_or_else(|p| panic!("{argv:?} panicked: {p}"));
                    let e = r.err().unwrap_or_else(|| panic!("{argv:?} was accepted"));
                    // `--hop-length -3` (space form, a value that cannot be negative) reads as
                    // an unknown flag `-3`: still a usage error.
                    let as_flag = bad.starts_with('-') && e.kind() == ErrorKind::UnknownArgument;
                    assert!(
                        as_flag
                            || matches!(
                                e.kind(),
                                ErrorKind::ValueValidation | ErrorKind::InvalidValue
                            ),
                        "{argv:?}: {:?}: {e}",
                        e.kind()
                    );
                    assert_eq!(e.exit_code(), 2, "usage errors exit with 2");
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 60, "only {checked} flags checked");
}

/// Valid feature flags also build a valid feature configuration.
fn check_config(command: &Command, argv: &[String]) {
    let features = match command {
        Command::Features(a) => Some(&a.features),
        Command::Spectrogram(a) => Some(&a.features),
        Command::Train(a) => Some(&a.opts.features),
        Command::Cv(a) => Some(&a.opts.features),
        _ => None,
    };
    if let Some(f) = features {
        f.to_config()
            .unwrap_or_else(|e| panic!("{argv:?}: valid flags gave an invalid config: {e}"));
    }
}

#[test]
fn negative_gates_parse_in_both_forms_and_off_disables() {
    for argv in [
        vec![
            "hark",
            "features",
            "a.wav",
            "-o",
            "s.csv",
            "--silence-threshold-db=-50",
        ],
        vec![
            "hark",
            "features",
            "a.wav",
            "-o",
            "s.csv",
            "--silence-threshold-db",
            "-50",
        ],
    ] {
        let Cli { command, .. } = Cli::try_parse_from(&argv).expect("parses");
        let Command::Features(a) = command else {
            panic!("features")
        };
        assert_eq!(
            a.features.to_config().expect("config").silence_threshold_db,
            Some(-50.0)
        );
    }
    let Cli { command, .. } = Cli::try_parse_from([
        "hark",
        "features",
        "a.wav",
        "-o",
        "s.csv",
        "--silence-threshold-db",
        "off",
    ])
    .expect("parses");
    let Command::Features(a) = command else {
        panic!("features")
    };
    assert_eq!(
        a.features.to_config().expect("config").silence_threshold_db,
        None
    );
}

#[test]
fn a_threshold_out_of_range_names_the_range() {
    for bad in ["1.5", "-1"] {
        let e = Cli::try_parse_from(["hark", "predict", "m.hark", "a.wav", "--threshold", bad])
            .expect_err("out of range");
        let msg = e.to_string();
        assert!(msg.contains("[0, 1]"), "{msg}");
    }
}

#[test]
fn library_defaults_equal_the_cli_defaults() {
    let Cli { command, .. } = Cli::try_parse_from(["hark", "train", "data"]).expect("parses");
    let Command::Train(a) = command else {
        panic!("train")
    };
    assert_eq!(
        hark::commands::fit_options(&a.opts),
        hark_pipeline::FitOptions::default()
    );
    let p = hark_pipeline::PartitionOptions::default();
    assert_eq!(
        (a.opts.validation_fraction, a.opts.seed),
        (p.validation_fraction, p.seed)
    );
    assert_eq!(
        a.opts.features.to_config().expect("config"),
        hark_features::FeatureConfig::default()
    );
}

#[test]
fn every_help_documents_the_exit_codes() {
    let mut cli = Cli::command();
    let mut helps = vec![cli.render_long_help().to_string()];
    for sub in cli.get_subcommands_mut().filter(|s| s.get_name() != "help") {
        helps.push(sub.render_long_help().to_string());
    }
    assert_eq!(helps.len(), 14, "hark and its thirteen commands");
    for help in helps {
        for line in [
            "Exit codes:",
            "  0    every input was processed",
            "  1    some inputs failed or were skipped",
            "  2    usage or configuration error",
            "  130  interrupted by Ctrl-C",
        ] {
            assert!(help.contains(line), "{line:?} missing from:\n{help}");
        }
    }
}

/// The commands that compute, each with its positionals.
const COMPUTING: &[&[&str]] = &[
    &["info", "a.wav"],
    &["features", "a.wav", "-o", "a.csv"],
    &["spectrogram", "a.wav", "-o", "a.png"],
    &["train", "data"],
    &["eval", "m.hark", "data"],
    &["cv", "data"],
    &["predict", "m.hark", "a.wav"],
];

#[test]
fn every_computing_command_takes_threads_and_every_command_takes_quiet() {
    for argv in COMPUTING {
        let mut args = vec!["hark"];
        args.extend_from_slice(argv);
        args.extend(["--threads", "3"]);
        let Cli { command, .. } = Cli::try_parse_from(&args).expect("parses");
        assert_eq!(command.threads(), Some(3), "{args:?}");
    }
    for argv in COMPUTING
        .iter()
        .copied()
        .chain([&["completions", "bash"][..], &["man"][..]])
    {
        for q in ["-q", "--quiet"] {
            let mut args = vec!["hark"];
            args.extend_from_slice(argv);
            args.push(q);
            let cli = Cli::try_parse_from(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            assert!(cli.quiet, "{args:?}");
        }
    }
    // Commands that read `quiet` see the global flag, before or after the command name.
    for args in [
        &["hark", "-q", "train", "data"][..],
        &["hark", "train", "data", "-q"][..],
    ] {
        let Cli { command, .. } = Cli::try_parse_from(args).expect("parses");
        let Command::Train(a) = command else {
            panic!("train")
        };
        assert!(a.opts.quiet, "{args:?}");
    }
}

#[test]
fn every_help_has_examples_of_its_own_command() {
    let mut cli = Cli::command();
    for sub in cli.get_subcommands_mut().filter(|s| s.get_name() != "help") {
        let name = sub.get_name().to_string();
        let help = sub.render_long_help().to_string();
        let examples = help
            .split_once("Examples:\n")
            .unwrap_or_else(|| panic!("{name}: no Examples section:\n{help}"))
            .1;
        let first = examples.lines().next().unwrap_or_default();
        assert!(
            first.contains(&format!("hark {name}")),
            "{name}: first example is {first:?}"
        );
    }
}

#[test]
fn names_are_spelled_as_the_flags_spell_them() {
    use clap::ValueEnum;
    use hark::args::{ArchArg, NormArg};
    let flag = |v: &dyn Fn() -> Option<clap::builder::PossibleValue>| {
        v().expect("value").get_name().to_string()
    };
    for (arg, model) in [
        (
            ArchArg::Sbcnn,
            hark_model::ModelConfig::SbCnn(Default::default()),
        ),
        (
            ArchArg::StrideDs,
            hark_model::ModelConfig::StrideDs(Default::default()),
        ),
    ] {
        assert_eq!(flag(&|| arg.to_possible_value()), model.arch_name());
    }
    for (arg, norm) in [
        (NormArg::None, hark_features::WindowNorm::None),
        (NormArg::MeanStd, hark_features::WindowNorm::MeanStd),
        (NormArg::Max, hark_features::WindowNorm::Max),
    ] {
        assert_eq!(flag(&|| arg.to_possible_value()), norm.to_string());
    }
    assert_eq!(hark_features::MelScale::Slaney.to_string(), "slaney");
    assert_eq!(hark_features::MelScale::Htk.to_string(), "htk");
}

#[test]
fn output_format_comes_from_the_extension_or_format_never_silently() {
    use hark::args::FormatArg::{Csv, Npy};
    use hark::commands::output_format;
    use std::path::Path;
    for (path, format, want) in [
        ("x.csv", None, Csv),
        ("x.NPY", None, Npy),
        ("x.npy", Some(Npy), Npy),
        ("-", None, Csv),
        ("-", Some(Npy), Npy),
        ("f.txt", Some(Csv), Csv),
    ] {
        let got = output_format(Path::new(path), format)
            .unwrap_or_else(|e| panic!("{path} {format:?}: {e}"));
        assert_eq!(got, want, "{path} {format:?}");
    }
    let e = output_format(Path::new("f.txt"), None).expect_err("unknown extension");
    assert!(e.to_string().contains(".csv or .npy"), "{e}");
    assert!(e.to_string().contains("--format"), "{e}");
    let e = output_format(Path::new("x.csv"), Some(Npy)).expect_err("contradiction");
    assert!(e.to_string().contains("--format npy"), "{e}");
}

#[test]
fn upsampled_audio_gets_a_warning_that_names_the_fitting_preset() {
    use hark::commands::upsampling_warning;
    let w = upsampling_warning(8000, 22050, false).expect("8 kHz drawn at 22.05 kHz");
    assert!(
        w.contains("--preset speech") && w.contains("4000 Hz"),
        "{w}"
    );
    let w = upsampling_warning(16000, 22050, true).expect("model case");
    assert!(w.contains("the model listens at 22050 Hz"), "{w}");
    let w = upsampling_warning(4000, 8000, false).expect("below every preset");
    assert!(w.contains("--sr 4000"), "{w}");
    assert_eq!(upsampling_warning(22050, 22050, false), None);
    assert_eq!(upsampling_warning(44100, 22050, true), None);
}

#[test]
fn json_probabilities_are_rounded_to_six_digits() {
    use hark::commands::round6;
    assert_eq!(serde_json::json!(round6(1.0 / 3.0)).to_string(), "0.333333");
    assert_eq!(serde_json::json!(round6(0.1)).to_string(), "0.1");
    assert_eq!(round6(1.0), 1.0);
    assert_eq!(round6(0.999_999_9), 1.0);
}
