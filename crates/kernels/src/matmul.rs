//! Model stage, inference kernels: the one safe wrapper around `gemm`'s raw-pointer product.

use crate::{check_len, check_min_len};

/// `c = a b` (or `c += a b` with `accumulate`), all row-major: `a` is `[m, k]`, `b` is
/// `[k, n]`, `c` is `[m, n]`. Single-threaded; `gemm` chooses the SIMD kernel at run time.
pub fn matmul_into(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
    accumulate: bool,
) {
    check_len("matmul lhs", a.len(), m * k);
    check_len("matmul rhs", b.len(), k * n);
    check_min_len("matmul output", c.len(), m * n);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            c[..m * n].fill(0.0);
        }
        return;
    }
    // SAFETY: the asserts above guarantee that every element `gemm` reads (`a[i*k + l]`,
    // `b[l*n + j]`) and writes (`c[i*n + j]`) for i < m, j < n, l < k is in bounds; `c` is
    // borrowed mutably, so it aliases neither input.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.as_ptr(),
            1,
            k as isize,
            b.as_ptr(),
            1,
            n as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}
