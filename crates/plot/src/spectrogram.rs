//! Spectrogram pictures (audio -> **features** -> pictures for people; drawn here, in
//! hark-plot, beside the flow): a log-mel image with time (s) and frequency (Hz, on the mel
//! scale) axes, a dB colour bar, a title and, optionally, the analysis windows drawn as
//! brackets above the image: plain, or marked with what a model does with each (classified,
//! skipped as silent) plus shaded zero padding, under a legend. The axes come from the
//! [`FeatureConfig`] that made the matrix.

use std::path::Path;

use hark_features::{FeatureConfig, hz_to_mel, mel_to_hz, window_starts};
use ndarray::Array2;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use crate::{PlotError, encode_png, write_png};

/// Picture options for [`spectrogram_png`] and [`render_spectrogram_png`].
#[derive(Debug, Clone, PartialEq)]
pub struct SpectrogramOptions {
    /// Title drawn above the picture.
    pub title: String,
    /// Draw the analysis windows (`cfg.window_frames`, `cfg.hop_frames()`) as brackets.
    pub show_windows: bool,
    /// Picture width in pixels (>= 300). Default 1000.
    pub width: u32,
    /// Picture height in pixels (>= 200). Default 500.
    pub height: u32,
    /// The windows a model classifies, each with its fate (from the model's own
    /// `hark_features::WindowExtractor`), drawn instead of the plain brackets of
    /// `show_windows`, under a legend. Empty: none drawn.
    pub marks: Vec<WindowMark>,
    /// The picture is zero padding from this time (s) on: a clip shorter than one window is
    /// padded to one. Shaded, and named in the legend.
    pub padded_from_s: Option<f64>,
}

impl Default for SpectrogramOptions {
    fn default() -> Self {
        SpectrogramOptions {
            title: "log-mel spectrogram".into(),
            show_windows: false,
            width: 1000,
            height: 500,
            marks: Vec::new(),
            padded_from_s: None,
        }
    }
}

/// One analysis window as a model sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowMark {
    /// Index of the window's first STFT frame.
    pub start_frame: usize,
    /// Below the silence gate: skipped, never classified.
    pub silent: bool,
}

/// Colours of classified windows (alternating, so neighbours stay apart) and skipped ones.
const CLASSIFIED: [RGBColor; 2] = [RGBColor(200, 40, 40), RGBColor(40, 40, 200)];
const SKIPPED: RGBColor = RGBColor(150, 150, 150);
/// Height of the legend line above the window brackets, in pixels.
const LEGEND_PX: u32 = 24;

/// Most window bracket lanes drawn; more overlapping windows reuse lanes.
const MAX_LANES: usize = 6;
/// Candidate frequency ticks in Hz (those inside `fmin..=fmax` are used).
const TICKS_HZ: [f64; 14] = [
    0.0, 100.0, 250.0, 500.0, 1000.0, 1500.0, 2000.0, 3000.0, 4000.0, 6000.0, 8000.0, 11000.0,
    16000.0, 22000.0,
];

/// Render `logmel_db` (`(cfg.n_mels, n_frames)`, dB, e.g. `hark_features::MatrixKind::LogMelDb`)
/// as PNG bytes of `opts.width x opts.height` pixels.
///
/// # Errors
/// [`PlotError::Config`] for an invalid `cfg`, [`PlotError::BadInput`] when the matrix does not
/// have `cfg.n_mels` rows and at least one frame or the picture is under 300x200,
/// [`PlotError::Draw`] if plotters or the encoder fails.
pub fn spectrogram_png(
    logmel_db: &Array2<f32>,
    cfg: &FeatureConfig,
    opts: &SpectrogramOptions,
) -> Result<Vec<u8>, PlotError> {
    cfg.validate()?;
    let (n_mels, n_frames) = logmel_db.dim();
    if n_mels != cfg.n_mels || n_frames == 0 {
        return Err(PlotError::BadInput {
            what: "spectrogram",
            expected: format!("{} x (>= 1 frames)", cfg.n_mels),
            actual: format!("{n_mels} x {n_frames}"),
        });
    }
    if opts.width < 300 || opts.height < 200 {
        return Err(PlotError::BadInput {
            what: "spectrogram",
            expected: "a picture of at least 300x200 pixels".into(),
            actual: format!("{}x{}", opts.width, opts.height),
        });
    }
    let size = (opts.width, opts.height);
    let mut rgb = vec![255u8; size.0 as usize * size.1 as usize * 3];
    draw(&mut rgb, size, logmel_db, cfg, opts).map_err(|message| PlotError::Draw {
        what: "spectrogram",
        message,
    })?;
    encode_png(&rgb, size)
}

/// [`spectrogram_png`] written atomically to `path` (see [`write_png`]).
///
/// # Errors
/// As [`spectrogram_png`], and [`PlotError::Write`] naming `path`.
pub fn render_spectrogram_png(
    path: impl AsRef<Path>,
    logmel_db: &Array2<f32>,
    cfg: &FeatureConfig,
    opts: &SpectrogramOptions,
) -> Result<(), PlotError> {
    write_png(path.as_ref(), &spectrogram_png(logmel_db, cfg, opts)?)
}

/// y axis in band units `0..n_mels` with fixed tick positions (nice Hz values on the mel scale).
struct MelAxis {
    top: f64,
    ticks: Vec<f64>,
}

impl Ranged for MelAxis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let frac = value / self.top;
        limit.0 + (frac * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        0.0..self.top
    }
}

fn draw(
    rgb: &mut [u8],
    size: (u32, u32),
    db: &Array2<f32>,
    cfg: &FeatureConfig,
    opts: &SpectrogramOptions,
) -> Result<(), String> {
    crate::init();
    let e = |err: &dyn std::fmt::Display| err.to_string();
    let (n_mels, n_frames) = db.dim();
    let finite = db.iter().copied().filter(|v| v.is_finite());
    let vmax = finite.clone().fold(f32::NEG_INFINITY, f32::max);
    let vmin = finite.fold(f32::INFINITY, f32::min);
    let (vmin, vmax) = if vmin.is_finite() && vmax > vmin {
        (vmin as f64, vmax as f64)
    } else {
        (-80.0, 0.0)
    };
    let seconds_per_frame = cfg.hop_length as f64 / cfg.sr as f64;
    let duration = n_frames as f64 * seconds_per_frame;

    // y axis in band units: band i covers [i, i + 1); mel is linear in it.
    let mel_lo = hz_to_mel(cfg.fmin as f64, cfg.mel_scale);
    let mel_hi = hz_to_mel(cfg.fmax_hz() as f64, cfg.mel_scale);
    let mel_step = (mel_hi - mel_lo) / (n_mels + 1) as f64;
    let band_of_hz = |hz: f64| (hz_to_mel(hz, cfg.mel_scale) - mel_lo) / mel_step - 0.5;
    let hz_of_band = |u: f64| mel_to_hz(mel_lo + (u + 0.5) * mel_step, cfg.mel_scale);
    let ticks: Vec<f64> = TICKS_HZ
        .iter()
        .map(|&hz| band_of_hz(hz))
        .filter(|&u| (0.0..=n_mels as f64).contains(&u))
        .collect();

    let root = BitMapBackend::with_buffer(rgb, size).into_drawing_area();
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let root = root
        .titled(&opts.title, (crate::FONT, 20).into_font())
        .map_err(|x| e(&x))?;
    let bar_width = 120;
    let (main, bar) = root.split_horizontally(opts.width - bar_width);
    let marked = !opts.marks.is_empty();
    let top = match (marked, opts.show_windows) {
        (true, _) => 8 + 8 * MAX_LANES as u32 + LEGEND_PX,
        (false, true) => 8 + 8 * MAX_LANES as u32,
        (false, false) => 8,
    };
    let mut chart = ChartBuilder::on(&main)
        .margin_top(top)
        .margin_left(8)
        .margin_right(8)
        .x_label_area_size(40)
        .y_label_area_size(100)
        .build_cartesian_2d(
            0.0..duration,
            MelAxis {
                top: n_mels as f64,
                ticks,
            },
        )
        .map_err(|x| e(&x))?;
    let hz_label = |u: &f64| {
        let hz = hz_of_band(*u);
        if hz >= 1000.0 {
            format!("{:.1} kHz", hz / 1000.0)
        } else {
            format!("{hz:.0} Hz")
        }
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("time (s)")
        .y_desc("frequency (mel scale)")
        .y_label_formatter(&hz_label)
        .label_style((crate::FONT, 16))
        .axis_desc_style((crate::FONT, 16))
        .draw()
        .map_err(|x| e(&x))?;

    // Paint the image pixel by pixel: cost is the picture size, not the clip length.
    let area = chart.plotting_area();
    let (xr, yr) = area.get_pixel_range();
    let (w_px, h_px) = ((xr.end - xr.start).max(1), (yr.end - yr.start).max(1));
    for py in 0..h_px {
        let band = ((h_px - 1 - py) as f64 / h_px as f64 * n_mels as f64) as usize;
        let band = band.min(n_mels - 1);
        for px in 0..w_px {
            let t = ((px as f64 / w_px as f64) * n_frames as f64) as usize;
            let v = db[[band, t.min(n_frames - 1)]] as f64;
            let c = crate::colormap((v - vmin) / (vmax - vmin));
            root.draw_pixel((xr.start + px, yr.start + py - root.get_base_pixel().1), &c)
                .map_err(|x| e(&x))?;
        }
    }

    let marks: Vec<WindowMark> = if marked {
        opts.marks.clone()
    } else if opts.show_windows {
        let s = window_starts(n_frames, cfg);
        let s = if s.is_empty() { vec![0] } else { s };
        s.into_iter()
            .map(|start_frame| WindowMark {
                start_frame,
                silent: false,
            })
            .collect()
    } else {
        Vec::new()
    };
    let base = root.get_base_pixel();
    // Pixel column of frame `f` (may be fractional), relative to `root`.
    let x_of = |f: f64| xr.start + ((f / n_frames as f64).min(1.0) * w_px as f64) as i32 - base.0;
    if let Some(t) = opts.padded_from_s {
        // Hatch the padded part of the image: it is zeros the model sees, not the recording.
        let x0 = x_of(t / seconds_per_frame).max(xr.start - base.0);
        let x1 = xr.end - base.0;
        let (y0, y1) = (yr.start - base.1, yr.end - base.1);
        if x1 > x0 {
            root.draw(&Rectangle::new(
                [(x0, y0), (x1, y1)],
                RGBAColor(255, 255, 255, 0.35).filled(),
            ))
            .map_err(|x| e(&x))?;
            // 45-degree lines `x - k = y1 - y`, clipped to the padded rectangle.
            let h = y1 - y0;
            let mut k = x0 - h;
            while k < x1 {
                let (a, b) = (k.max(x0), (k + h).min(x1));
                let line = vec![(a, y1 - (a - k)), (b, y1 - (b - k))];
                root.draw(&PathElement::new(line, WHITE.stroke_width(1)))
                    .map_err(|x| e(&x))?;
                k += 12;
            }
        }
    }
    if !marks.is_empty() {
        let lanes = cfg
            .window_frames
            .div_ceil(cfg.hop_frames())
            .clamp(1, MAX_LANES);
        let mut classified = 0usize;
        for (k, m) in marks.iter().enumerate() {
            let x0 = x_of(m.start_frame as f64);
            let x1 = x_of((m.start_frame + cfg.window_frames) as f64) - 1;
            let y = yr.start - base.1 - 4 - 8 * (k % lanes) as i32;
            let points = vec![(x0, y + 4), (x0, y), (x1, y), (x1, y + 4)];
            if m.silent {
                root.draw(&DashedPathElement::new(
                    points,
                    3,
                    3,
                    SKIPPED.stroke_width(2),
                ))
                .map_err(|x| e(&x))?;
            } else {
                let style = CLASSIFIED[classified % 2].stroke_width(2);
                classified += 1;
                root.draw(&PathElement::new(points, style))
                    .map_err(|x| e(&x))?;
            }
        }
        if marked {
            let skipped = marks.len() - classified;
            let y = yr.start - base.1 - 8 * MAX_LANES as i32 - LEGEND_PX as i32;
            draw_legend(&root, (xr.start - base.0, y), classified, skipped, opts)
                .map_err(|x| e(&x))?;
        }
    }

    // Colour bar with dB labels.
    let mut bar_chart = ChartBuilder::on(&bar)
        .margin_top(top)
        .margin_right(10)
        .margin_left(8)
        .x_label_area_size(40)
        .y_label_area_size(0)
        .right_y_label_area_size(70)
        .build_cartesian_2d(0.0..1.0, vmin..vmax)
        .map_err(|x| e(&x))?
        .set_secondary_coord(0.0..1.0, vmin..vmax);
    bar_chart
        .configure_secondary_axes()
        .y_desc("dB")
        .y_label_formatter(&|v: &f64| format!("  {v:.0}"))
        .label_style((crate::FONT, 16))
        .axis_desc_style((crate::FONT, 16))
        .draw()
        .map_err(|x| e(&x))?;
    let steps = 128;
    bar_chart
        .draw_series((0..steps).map(|i| {
            let a = vmin + (vmax - vmin) * i as f64 / steps as f64;
            let b = vmin + (vmax - vmin) * (i + 1) as f64 / steps as f64;
            Rectangle::new(
                [(0.0, a), (1.0, b)],
                crate::colormap(i as f64 / (steps - 1) as f64).filled(),
            )
        }))
        .map_err(|x| e(&x))?;
    root.present().map_err(|x| e(&x))?;
    Ok(())
}

/// The key to marked windows: counts of classified and skipped windows, and the padding.
fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    (x, y): (i32, i32),
    classified: usize,
    skipped: usize,
    opts: &SpectrogramOptions,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let font = (crate::FONT, 15).into_font().color(&BLACK);
    let mut at = x;
    let mut entry = |label: String, sample: &dyn Fn(i32) -> Result<(), _>| {
        sample(at)?;
        root.draw(&Text::new(label.clone(), (at + 30, y + 2), font.clone()))?;
        let width = root
            .estimate_text_size(&label, &font)
            .map(|(w, _)| w as i32)
            .unwrap_or(8 * label.len() as i32);
        at += 30 + width + 24;
        Ok::<(), DrawingAreaErrorKind<DB::ErrorType>>(())
    };
    let bracket = |x0: i32| {
        vec![
            (x0, y + 14),
            (x0, y + 8),
            (x0 + 22, y + 8),
            (x0 + 22, y + 14),
        ]
    };
    entry(format!("classified window ({classified})"), &|x0| {
        root.draw(&PathElement::new(
            bracket(x0),
            CLASSIFIED[0].stroke_width(2),
        ))
    })?;
    entry(format!("skipped: silent ({skipped})"), &|x0| {
        root.draw(&DashedPathElement::new(
            bracket(x0),
            3,
            3,
            SKIPPED.stroke_width(2),
        ))
    })?;
    if opts.padded_from_s.is_some() {
        entry("zero padding (clip shorter than a window)".into(), &|x0| {
            root.draw(&Rectangle::new(
                [(x0, y + 3), (x0 + 22, y + 17)],
                ShapeStyle::from(&RGBColor(120, 120, 120)).stroke_width(1),
            ))?;
            for k in [0, 7, 14] {
                root.draw(&PathElement::new(
                    vec![(x0 + k, y + 17), (x0 + k + 8, y + 3)],
                    RGBColor(120, 120, 120).stroke_width(1),
                ))?;
            }
            Ok(())
        })?;
    }
    Ok(())
}
