//! The sound event detection report as one HTML page (inline CSS, the sweep picture as a
//! base64 data URI), in the look of the clip report. Flow: train/eval -> **reports**.

use std::fmt::Write;

use super::html::{CSS, card, data_uri, escape, pct};
use super::sed::{SedReport, SweepPoint};
use crate::sed::ClassScores;

/// A rate as a percentage, or "n/a" when undefined.
fn opt_pct(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), pct)
}

/// A score with 3 decimals, or "n/a" when undefined.
fn opt3(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.3}"))
}

/// False alarms per hour with one decimal, or "n/a".
fn per_hour(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.1}"))
}

fn class_table(h: &mut String, event: &[ClassScores], segment: &[ClassScores]) {
    h.push_str(
        "<table><tr><th>class</th><th>reference events</th><th>detected</th><th>matched</th>\
<th>precision</th><th>recall</th><th>event F1</th><th>event ER</th><th>segment F1</th></tr>",
    );
    for (e, s) in event.iter().zip(segment) {
        let low = e.scores.f1.is_some_and(|f| f < 0.5);
        let _ = write!(
            h,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if low { " class=\"low\"" } else { "" },
            escape(&e.label),
            e.scores.n_ref,
            e.scores.n_sys,
            e.scores.tp,
            opt3(e.scores.precision),
            opt3(e.scores.recall),
            opt3(e.scores.f1),
            opt3(e.scores.error_rate),
            opt3(s.scores.f1),
        );
    }
    h.push_str("</table>");
}

fn sweep_table(h: &mut String, sweep: &[SweepPoint], operating: f32) {
    h.push_str(
        "<table><tr><th>onset</th><th>offset</th><th>event F1</th><th>segment F1</th>\
<th>event ER</th><th>false alarms / hour</th><th>miss rate</th><th>events detected</th></tr>",
    );
    for p in sweep {
        let mark = if (p.onset - operating).abs() < f32::EPSILON {
            " class=\"avg\""
        } else {
            ""
        };
        let _ = write!(
            h,
            "<tr{mark}><td>{:.2}</td><td>{:.2}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            p.onset,
            p.offset,
            opt3(p.event_f1),
            opt3(p.segment_f1),
            opt3(p.event_error_rate),
            per_hour(p.false_alarms_per_hour),
            opt_pct(p.miss_rate),
            p.detected
        );
    }
    h.push_str("</table>");
}

/// The whole report as one HTML page, `sweep_png` embedded.
pub fn render_sed_html(r: &SedReport, sweep_png: &[u8]) -> String {
    let m = &r.metrics;
    let ev = &m.event_based;
    let mut h = String::with_capacity(32 * 1024 + 2 * sweep_png.len());
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>",
        escape(&r.title)
    );
    let e = &r.events;
    let _ = write!(
        h,
        "<h1>{}</h1><p class=\"sub\">dataset <b>{}</b> &middot; model <b>{}</b> &middot; {} recordings, {:.1} min \
&middot; events: smoothed ({} of {} windows) probability from {:.2} down to {:.2}</p><div class=\"cards\">",
        escape(&r.title),
        escape(&r.dataset),
        escape(&r.model),
        m.n_files,
        m.duration_s / 60.0,
        match e.smoothing {
            hark_infer::Smoothing::Mean => "mean",
            hark_infer::Smoothing::Median => "median",
        },
        e.smooth_windows,
        e.onset,
        e.offset
    );
    card(&mut h, &opt3(ev.overall.f1), "event F1");
    card(
        &mut h,
        &opt3(m.segment_based.overall.f1),
        "segment F1 (1 s)",
    );
    card(&mut h, &opt3(ev.overall.error_rate), "event error rate");
    card(
        &mut h,
        &per_hour(ev.false_alarms_per_hour),
        &format!("false alarms / hour ({})", ev.false_alarms),
    );
    card(
        &mut h,
        &opt_pct(ev.miss_rate),
        &format!("miss rate ({} of {})", ev.misses, ev.overall.n_ref),
    );
    let c = &m.config;
    let _ = write!(
        h,
        "</div><p class=\"note\">Event-based: a detected event counts when it has the annotated label, starts within \
{:.0} ms of the annotation and ends within {:.0} ms or {:.0}% of the event's length (whichever is larger). \
Segment-based: the recordings are cut into {} s segments and each class is marked active or not in each. \
Error rate = (substitutions + deletions + insertions) / annotated events. A false alarm is a detection matching \
no annotated event; the miss rate is the share of annotated events no detection matches.</p>",
        c.t_collar * 1000.0,
        c.t_collar * 1000.0,
        c.percentage_of_length * 100.0,
        c.time_resolution
    );
    if let Some(b) = &r.best {
        let _ = write!(
            h,
            "<p><b>Best onset in the sweep: {:.2}</b> &rarr; event F1 {}, {} false alarms / hour, miss rate {}.</p>",
            b.onset,
            opt3(b.event_f1),
            per_hour(b.false_alarms_per_hour),
            opt_pct(b.miss_rate)
        );
    }

    h.push_str("<h2>Per class</h2>");
    class_table(&mut h, &ev.class_wise, &m.segment_based.class_wise);

    h.push_str("<h2>Onset threshold</h2><p class=\"note\">The same recordings scored once, events detected again at each \
onset (the offset scaled with it). Lower onsets find more events and raise more false alarms. The onset in use is marked in red.</p>");
    let _ = write!(
        h,
        "<img alt=\"event F1, segment F1, miss rate and false alarms per hour against the onset threshold\" src=\"{}\">",
        data_uri(sweep_png)
    );
    sweep_table(&mut h, &r.sweep, r.events.onset);

    h.push_str("<h2>Recordings</h2><table><tr><th>file</th><th>minutes</th><th>annotated events</th><th>detected</th></tr>");
    for f in &r.files {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{:.2}</td><td>{}</td><td>{}</td></tr>",
            escape(&f.path.display().to_string()),
            f.duration_s / 60.0,
            f.reference,
            f.detected
        );
    }
    h.push_str("</table>");
    if !r.notes.is_empty() {
        h.push_str("<h2>Notes</h2><ul>");
        for n in &r.notes {
            let _ = write!(h, "<li>{}</li>", escape(n));
        }
        h.push_str("</ul>");
    }
    h.push_str("<p class=\"note\">Generated by hark. Machine-readable: report.json, sweep.csv.</p></body></html>");
    h
}
