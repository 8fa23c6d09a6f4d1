//! Single-file HTML report: inline CSS, pictures embedded as base64 data URIs, so one
//! file can be mailed or opened anywhere. Flow: train/eval -> **reports**.

use std::fmt::Write;
use std::path::Path;

use base64::Engine;
use hark_plot::format_threshold;

use super::Report;
use super::mistakes::mistakes_section;
use crate::metrics::Metrics;
use crate::threshold::ThresholdPoint;

/// Most rows of the threshold table; longer sweeps are thinned evenly (report.json has all).
pub const MAX_THRESHOLD_ROWS: usize = 20;
/// How many of the largest off-diagonal confusions are listed in words.
pub const TOP_CONFUSIONS: usize = 8;

pub(super) const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;\
max-width:1100px;margin:24px auto;padding:0 16px;color:#222;line-height:1.45}\
h1{margin-bottom:4px}h2{margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}\
.sub{color:#555;margin-top:0}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}\
.card{border:1px solid #ddd;border-radius:8px;padding:10px 16px;min-width:150px;background:#fafafa}\
.card .v{font-size:28px;font-weight:600}.card .k{color:#555;font-size:14px}\
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:4px 10px;text-align:right}\
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}tr.low td{background:#fdecea}\
img{max-width:100%;height:auto;border:1px solid #eee}.note{color:#555;font-size:14px}\
tr.avg td{background:#f7f7f7;font-style:italic}tr.sep td{border-top:2px solid #999}\
.mistake{display:flex;flex-wrap:wrap;gap:12px;align-items:center;border-top:1px solid #eee;padding:8px 0}\
.mistake img{width:480px}.mistake audio{margin-top:6px;width:320px}";

/// HTML-escape text for element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn pct(v: f64) -> String {
    format!("{:.1}%", 100.0 * v)
}

pub(super) fn data_uri(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

pub(super) fn card(html: &mut String, value: &str, key: &str) {
    let _ = write!(
        html,
        "<div class=\"card\"><div class=\"v\">{}</div><div class=\"k\">{}</div></div>",
        escape(value),
        escape(key)
    );
}

fn per_class_table(html: &mut String, m: &Metrics) {
    html.push_str("<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>clips (support)</th><th>predicted as</th></tr>");
    for c in &m.per_class {
        let class = if c.f1 < 0.5 { " class=\"low\"" } else { "" };
        let _ = write!(
            html,
            "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td>{:.3}</td><td>{}</td><td>{}</td></tr>",
            escape(&c.name),
            pct(c.precision),
            pct(c.recall),
            c.f1,
            c.support,
            c.predicted
        );
    }
    let total: usize = m.per_class.iter().map(|c| c.support).sum();
    let _ = write!(
        html,
        "<tr class=\"avg sep\"><td>accuracy</td><td></td><td></td><td>{:.3}</td><td>{total}</td><td>{}</td></tr>",
        m.accuracy, m.answered
    );
    for (name, p, r, f) in m.average_rows() {
        let _ = write!(
            html,
            "<tr class=\"avg\"><td>{name}</td><td>{}</td><td>{}</td><td>{f:.3}</td><td>{total}</td><td>{}</td></tr>",
            pct(p),
            pct(r),
            m.answered
        );
    }
    html.push_str("</table>");
    html.push_str("<p class=\"note\">Precision: of the clips the model called this class, the share that were right. \
Recall: of the clips of this class, the share the model found. F1 combines both (1 = perfect). \
Rows shaded red have F1 below 0.5. Below the classes, as in scikit-learn's classification_report: \
accuracy (in the F1 column), the plain mean over classes (macro avg: each class counts the same) and \
the mean weighted by clips (weighted avg: large classes count more).</p>");
}

fn top_confusions(html: &mut String, m: &Metrics) {
    let cm = &m.confusion;
    let mut pairs: Vec<(usize, usize, usize)> = Vec::new();
    for (t, row) in cm.counts.iter().enumerate() {
        for (p, &n) in row.iter().enumerate() {
            if t != p && n > 0 {
                pairs.push((n, t, p));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    if pairs.is_empty() && cm.n_unknown() == 0 {
        html.push_str("<p>No clip was confused with another class.</p>");
        return;
    }
    html.push_str("<p>Most frequent mistakes:</p><ul>");
    for &(n, t, p) in pairs.iter().take(TOP_CONFUSIONS) {
        let support = cm.support(t).max(1);
        let _ = write!(
            html,
            "<li><b>{}</b> taken for <b>{}</b>: {n} clip{} ({} of {})</li>",
            escape(&cm.classes[t]),
            escape(&cm.classes[p]),
            if n == 1 { "" } else { "s" },
            pct(n as f64 / support as f64),
            escape(&cm.classes[t])
        );
    }
    if cm.n_unknown() > 0 {
        let _ = write!(
            html,
            "<li>{} clip(s) answered <b>unknown</b> (below the threshold)</li>",
            cm.n_unknown()
        );
    }
    html.push_str("</ul>");
}

fn threshold_table(html: &mut String, sweep: &[ThresholdPoint]) {
    let k = sweep.len().div_ceil(MAX_THRESHOLD_ROWS).max(1);
    let mut rows: Vec<&ThresholdPoint> = sweep.iter().step_by(k).collect();
    if let Some(last) = sweep.last()
        && rows.last().is_none_or(|r| !std::ptr::eq(*r, last))
    {
        rows.push(last);
    }
    html.push_str("<table><tr><th>threshold</th><th>precision (answered clips)</th><th>coverage</th><th>answered</th><th>correct</th></tr>");
    for p in &rows {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            format_threshold(p.threshold),
            pct(f64::from(p.precision)),
            pct(f64::from(p.coverage)),
            p.answered,
            p.correct
        );
    }
    html.push_str("</table>");
    if rows.len() < sweep.len() {
        let _ = write!(
            html,
            "<p class=\"note\">Showing {} of {} thresholds; report.json has all of them.</p>",
            rows.len(),
            sweep.len()
        );
    }
}

/// The whole report as one HTML page. `confusion_png` and `coverage_png` are embedded as
/// `data:image/png;base64,...` URIs. `dir` is the folder the page is written to: the mistakes
/// section links audio relative to it and shows the spectrograms [`Report::write_dir`] writes
/// there; with `None` it lists the mistakes without players or pictures.
pub fn render_html(
    r: &Report,
    confusion_png: &[u8],
    coverage_png: Option<&[u8]>,
    dir: Option<&Path>,
) -> String {
    let m = &r.metrics;
    let mut h = String::with_capacity(64 * 1024 + 2 * confusion_png.len());
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>",
        escape(&r.title)
    );
    let _ = write!(
        h,
        "<h1>{}</h1><p class=\"sub\">dataset <b>{}</b> &middot; model <b>{}</b>",
        escape(&r.title),
        escape(&r.dataset),
        escape(&r.model)
    );
    if let Some(d) = &r.decision {
        let agg = match d.aggregation {
            crate::Aggregation::Mean => "mean of window probabilities",
            crate::Aggregation::Majority => "majority vote of windows",
        };
        let _ = write!(h, " &middot; clip decision: {agg}");
        if let Some(t) = d.threshold {
            let _ = write!(h, ", unknown below {}", format_threshold(t));
        }
    }
    h.push_str("</p><div class=\"cards\">");
    if let Some(cv) = &r.folds {
        card(
            &mut h,
            &cv.accuracy.percent_pm(),
            &format!("accuracy, mean \u{b1} std over {} folds", cv.accuracy.n),
        );
        card(
            &mut h,
            &cv.balanced_accuracy.percent_pm(),
            "balanced accuracy, mean \u{b1} std over folds",
        );
    }
    let pooled = if r.folds.is_some() {
        " (all folds pooled)"
    } else {
        ""
    };
    card(&mut h, &pct(m.accuracy), &format!("accuracy{pooled}"));
    card(
        &mut h,
        &pct(m.balanced_accuracy),
        &format!("balanced accuracy{pooled}"),
    );
    card(
        &mut h,
        &format!("{:.3}", m.macro_f1),
        &format!("macro F1{pooled}"),
    );
    card(&mut h, &pct(m.coverage), "coverage (clips answered)");
    card(
        &mut h,
        &m.n_clips.to_string(),
        &format!("clips, {} classes", m.confusion.n_classes()),
    );
    h.push_str("</div><p class=\"note\">Accuracy: share of clips labelled correctly (an \"unknown\" answer counts as wrong). \
Balanced accuracy: the average over classes of the share of each class found, so small classes count as much as large ones.");
    if r.folds.is_some() {
        h.push_str(" &plusmn; is the sample standard deviation over folds.");
    }
    h.push_str("</p>");

    if let Some(cv) = &r.folds {
        h.push_str("<h2>Folds</h2><table><tr><th>fold</th><th>clips</th><th>accuracy</th><th>balanced accuracy</th><th>macro F1</th><th>coverage</th></tr>");
        for f in &cv.folds {
            let fm = &f.metrics;
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.3}</td><td>{}</td></tr>",
                escape(&f.name),
                fm.n_clips,
                pct(fm.accuracy),
                pct(fm.balanced_accuracy),
                fm.macro_f1,
                pct(fm.coverage)
            );
        }
        let _ = write!(
            h,
            "<tr><th>mean &plusmn; std</th><th></th><th>{}</th><th>{}</th><th>{:.3} &plusmn; {:.3}</th><th></th></tr></table>",
            cv.accuracy.percent_pm(),
            cv.balanced_accuracy.percent_pm(),
            cv.macro_f1.mean,
            cv.macro_f1.std
        );
    }

    h.push_str("<h2>Per class</h2>");
    per_class_table(&mut h, m);

    h.push_str("<h2>Confusion matrix</h2><p class=\"note\">Rows: the true class. Columns: what the model said. \
Numbers are clip counts; colour is the share of the row, so the diagonal is bright when a class is recognised.</p>");
    let _ = write!(
        h,
        "<img alt=\"confusion matrix\" src=\"{}\">",
        data_uri(confusion_png)
    );
    top_confusions(&mut h, m);

    if let Some(sweep) = &r.threshold_sweep {
        h.push_str("<h2>Unknown threshold</h2><p class=\"note\">A clip whose top probability is below the threshold is \
answered \"unknown\". Raising the threshold answers fewer clips (coverage) but gets more of the answered ones right (precision).</p>");
        if let Some(png) = coverage_png {
            let _ = write!(
                h,
                "<img alt=\"precision against coverage\" src=\"{}\">",
                data_uri(png)
            );
        }
        if let Some(t) = r.decision.and_then(|d| d.threshold)
            && let Some(p) = sweep
                .iter()
                .filter(|p| p.threshold >= t)
                .min_by(|a, b| a.threshold.total_cmp(&b.threshold))
        {
            let _ = write!(
                h,
                "<p><b>Threshold in use: {}</b> &rarr; precision {} on {} of clips answered ({} of {}).</p>",
                format_threshold(t),
                pct(f64::from(p.precision)),
                pct(f64::from(p.coverage)),
                p.answered,
                m.n_clips
            );
        }
        threshold_table(&mut h, sweep);
    }

    if !r.predictions.is_empty() {
        let pictures = |i: usize| dir.is_some() && r.mistake_pictures.contains_key(&i);
        mistakes_section(&mut h, &r.predictions, dir, &pictures);
    }

    if !r.notes.is_empty() {
        h.push_str("<h2>Notes</h2><ul>");
        for n in &r.notes {
            let _ = write!(h, "<li>{}</li>", escape(n));
        }
        h.push_str("</ul>");
    }
    h.push_str("<p class=\"note\">Generated by hark. Machine-readable: report.json, confusion.csv, per_class.csv");
    if !r.predictions.is_empty() {
        h.push_str(", predictions.csv");
    }
    if r.folds.is_some() {
        h.push_str(", folds.csv");
    }
    h.push_str(".</p></body></html>");
    h
}
