//! Benchmark (classical classifiers): linfa and smartcore on the same standardised feature
//! files that `../sklearn_ref.py` reads, to choose hark's crate by accuracy and fitting time.
//!
//! ```text
//! cargo run --release -- TRAIN.csv TEST.csv
//! ```
//! Each CSV row is `label,f0,f1,...`. Standardisation is fitted on TRAIN only. Prints one
//! line per (library, classifier): test accuracy, fit seconds, predict seconds.

use std::time::Instant;

use linfa::prelude::*;
use ndarray::{Array1, Array2, Axis};
use rand::SeedableRng;
use smartcore::linalg::basic::matrix::DenseMatrix;

type Data = (Array2<f64>, Array1<usize>);

fn read(path: &str) -> Data {
    let text = std::fs::read_to_string(path).expect("read csv");
    let rows: Vec<Vec<f64>> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(|v| v.parse().expect("number")).collect())
        .collect();
    let d = rows[0].len() - 1;
    let x = Array2::from_shape_fn((rows.len(), d), |(i, j)| rows[i][j + 1]);
    let y = rows.iter().map(|r| r[0] as usize).collect();
    (x, y)
}

fn standardise(train: &mut Array2<f64>, test: &mut Array2<f64>) {
    let mean = train.mean_axis(Axis(0)).expect("rows");
    let std = train.std_axis(Axis(0), 0.0).mapv(|s| if s > 0.0 { s } else { 1.0 });
    for x in [train, test] {
        *x -= &mean;
        *x /= &std;
    }
}

fn acc(pred: &[usize], truth: &Array1<usize>) -> f64 {
    pred.iter().zip(truth).filter(|(a, b)| a == b).count() as f64 / truth.len() as f64
}

fn report(lib: &str, what: &str, fit: f64, predict: f64, a: f64) {
    println!("{lib:10} {what:8} accuracy {:.2}%  fit {fit:.3} s  predict {predict:.4} s", a * 100.0);
}

fn dense(x: &Array2<f64>) -> DenseMatrix<f64> {
    let rows: Vec<Vec<f64>> = x.outer_iter().map(|r| r.to_vec()).collect();
    DenseMatrix::from_2d_vec(&rows).expect("matrix")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mut xtr, ytr) = read(&args[1]);
    let (mut xte, yte) = read(&args[2]);
    standardise(&mut xtr, &mut xte);
    let n_classes = ytr.iter().max().unwrap() + 1;
    let train = Dataset::new(xtr.clone(), ytr.clone());

    // linfa: multinomial logistic regression, alpha = 1 / C with C = 1 as scikit-learn;
    // linfa's default stopping rule, then hark's (gradient tolerance 1e-6).
    for (iters, tol) in [(100, None), (100, Some(1e-6)), (1000, Some(1e-8))] {
        let t = Instant::now();
        let mut p = linfa_logistic::MultiLogisticRegression::default()
            .alpha(1.0)
            .max_iterations(iters);
        if let Some(tol) = tol {
            p = p.gradient_tolerance(tol);
        }
        let m = p.fit(&train).expect("logistic");
        let fit = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let p = m.predict(&xte);
        let what = format!("logreg/{iters}/{tol:?}");
        report("linfa", &what, fit, t.elapsed().as_secs_f64(), acc(p.as_slice().unwrap(), &yte));
    }
    if std::env::var_os("LOGREG_ONLY").is_some() {
        return;
    }

    // linfa: linear SVM, one-vs-rest, C = 1; scores from the separating hyperplane.
    let t = Instant::now();
    let params = linfa_svm::Svm::<f64, bool>::params().linear_kernel().pos_neg_weights(1.0, 1.0);
    let ovr: Vec<(usize, linfa_svm::Svm<f64, bool>)> = train
        .one_vs_all()
        .expect("ova")
        .into_iter()
        .map(|(l, d)| (l, params.fit(&d).expect("svm")))
        .collect();
    let fit = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let pred: Vec<usize> = xte
        .outer_iter()
        .map(|row| {
            let mut best = (f64::NEG_INFINITY, 0);
            for (l, svm) in &ovr {
                let s = svm.weighted_sum(&row) - svm.rho;
                if s > best.0 {
                    best = (s, *l);
                }
            }
            best.1
        })
        .collect();
    report("linfa", "svm", fit, t.elapsed().as_secs_f64(), acc(&pred, &yte));

    // linfa: random forest, 100 trees, sqrt(d) features per tree.
    let t = Instant::now();
    let rng = rand::rngs::SmallRng::seed_from_u64(42);
    let frac = (xtr.ncols() as f64).sqrt() / xtr.ncols() as f64;
    let rf = linfa_ensemble::RandomForestParams::new_fixed_rng(linfa_trees::DecisionTree::params(), rng)
        .ensemble_size(100)
        .bootstrap_proportion(1.0)
        .feature_proportion(frac)
        .fit(&train)
        .expect("forest");
    let fit = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let p = rf.predict(&xte);
    report("linfa", "forest", fit, t.elapsed().as_secs_f64(), acc(p.as_slice().unwrap(), &yte));

    // smartcore: the same three.
    let (sx, sxt) = (dense(&xtr), dense(&xte));
    let sy: Vec<i32> = ytr.iter().map(|&v| v as i32).collect();
    let truth: Vec<usize> = yte.to_vec();
    let tr = Array1::from(truth);
    let to_usize = |v: Vec<i32>| v.into_iter().map(|x| x as usize).collect::<Vec<_>>();

    let t = Instant::now();
    let lr = smartcore::linear::logistic_regression::LogisticRegression::fit(
        &sx,
        &sy,
        smartcore::linear::logistic_regression::LogisticRegressionParameters::default().with_alpha(1.0),
    )
    .expect("smartcore logistic");
    let fit = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let p = to_usize(lr.predict(&sxt).expect("predict"));
    report("smartcore", "logreg", fit, t.elapsed().as_secs_f64(), acc(&p, &tr));

    let t = Instant::now();
    let svp = smartcore::svm::svc::SVCParameters::default()
        .with_c(1.0)
        .with_kernel(smartcore::svm::Kernels::linear());
    let svc = smartcore::svm::svc::MultiClassSVC::fit(&sx, &sy, &svp).expect("smartcore svc");
    let fit = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let p: Vec<usize> = svc.predict(&sxt).expect("predict").into_iter().map(|v| v as usize).collect();
    report("smartcore", "svm", fit, t.elapsed().as_secs_f64(), acc(&p, &tr));

    let t = Instant::now();
    let rf = smartcore::ensemble::random_forest_classifier::RandomForestClassifier::fit(
        &sx,
        &sy,
        smartcore::ensemble::random_forest_classifier::RandomForestClassifierParameters::default()
            .with_n_trees(100)
            .with_seed(42),
    )
    .expect("smartcore forest");
    let fit = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let p = to_usize(rf.predict(&sxt).expect("predict"));
    report("smartcore", "forest", fit, t.elapsed().as_secs_f64(), acc(&p, &tr));
    let _ = n_classes;
}
