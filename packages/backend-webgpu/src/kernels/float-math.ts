/**
 * WGSL float32 math that does not rely on the adapter's builtins where those are not accurate or not IEEE enough:
 * exp, sin and cos with Cody–Waite range reduction and Cephes polynomials (builtins on SwiftShader miss the 2e-6
 * tolerance), and add/sub/mul/div that keep subnormal operands and results (SwiftShader flushes them to zero, the
 * reference does not). The subnormal paths are taken only when an operand or the result is that small.
 */
export const FLOAT_MATH = /* wgsl */ `
fn ldexp2(x: f32, e: i32) -> f32 { let h = e / 2; return ldexp(ldexp(x, h), e - h); }
fn f_exp_poly(x: f32) -> f32 {
  let n = floor(x * 1.44269504088896341 + 0.5);
  let r = (x - n * 0.693359375) - n * -2.12194440e-4;
  let z = r * r;
  let y = (((((1.9875691500e-4 * r + 1.3981999507e-3) * r + 8.3334519073e-3) * r + 4.1665795894e-2) * r
    + 1.6666665459e-1) * r + 5.0000001201e-1) * z + r + 1.0;
  return ldexp2(y, i32(n));
}
fn sin_poly(r: f32) -> f32 { let z = r * r; return ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r; }
fn cos_poly(r: f32) -> f32 {
  let z = r * r;
  return ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
}
/** sin (phase 0) or cos (phase 1) of x: quadrant k = round(x·2/π), r = x − k·π/2 in three exact-ish pieces. */
fn f_sincos(x: f32, phase: i32) -> f32 {
  let k = round(x * 0.636619772367581343);
  let r = ((x - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.54978995489188216e-8;
  let q = (i32(k) + phase) & 3;
  switch q {
    case 0: { return sin_poly(r); }
    case 1: { return cos_poly(r); }
    case 2: { return -sin_poly(r); }
    default: { return -cos_poly(r); }
  }
}

// ---- subnormal-exact arithmetic ----
fn mag(x: f32) -> u32 { return bitcast<u32>(x) & 0x7fffffffu; }
fn sgn(x: f32) -> u32 { return bitcast<u32>(x) & 0x80000000u; }
/** x·2^64 exactly, for |x| < 2^-100 (subnormals included). */
fn up64(x: f32) -> f32 {
  if (is_den(x)) { let v = f32(mag(x)) * 2.5849394142282115e-26; return select(v, -v, is_neg(x)); } // m·2^-85
  return x * 18446744073709551616.0;
}
/** s·2^-64 rounded to float32, s a sum of two up64 values (exact when the result is subnormal). */
fn down64(s: f32) -> f32 {
  if (mag(s) >= 0x20800000u) { return s * 5.421010862427522e-20; } // |s| >= 2^-62: normal result
  return bitcast<f32>(sgn(s) | u32(round(abs(s) * 3.8685626227668134e25))); // |s|·2^85, an integer
}
fn tiny(x: f32) -> bool { return mag(x) < 0x0d800000u; } // |x| < 2^-100
fn x_add(a: f32, b: f32) -> f32 {
  let r = a + b;
  if ((is_den(a) || is_den(b) || mag(r) < 0x00800000u) && tiny(a) && tiny(b)) { return down64(up64(a) + up64(b)); }
  return r;
}
fn x_sub(a: f32, b: f32) -> f32 { return x_add(a, bitcast<f32>(bitcast<u32>(b) ^ 0x80000000u)); }
/** Significand as a 24-bit integer (2^23 <= m < 2^24) and exponent e with |x| = m·2^e, for finite non-zero x. */
fn decompose(x: f32) -> vec2<i32> {
  var b = mag(x);
  var e = i32(b >> 23u);
  if (e == 0) {
    let f = f32(b); // subnormal: m·2^-149 with m < 2^23, exact as a float
    let fb = bitcast<u32>(f);
    return vec2<i32>(i32((fb & 0x7fffffu) | 0x800000u), i32(fb >> 23u) - 127 - 23 - 149);
  }
  return vec2<i32>(i32((b & 0x7fffffu) | 0x800000u), e - 127 - 23);
}
/** Round-half-even of (hi·2^24 + lo) / 2^sh for 1 <= sh; hi, lo < 2^24. */
fn shr_rne(hi: u32, lo: u32, sh: u32) -> u32 {
  if (sh >= 50u) { return 0u; }
  var q: u32;
  if (sh < 24u) { q = (hi << (24u - sh)) | (lo >> sh); } else { q = hi >> (sh - 24u); }
  let gpos = sh - 1u;
  var g: u32;
  var sticky: bool;
  if (gpos < 24u) {
    g = (lo >> gpos) & 1u;
    sticky = (lo & ((1u << gpos) - 1u)) != 0u;
  } else {
    g = (hi >> (gpos - 24u)) & 1u;
    sticky = lo != 0u || (hi & ((1u << (gpos - 24u)) - 1u)) != 0u;
  }
  return q + select(0u, 1u, g == 1u && (sticky || (q & 1u) == 1u));
}
fn with_sign(neg: bool, m: u32) -> f32 { return bitcast<f32>(select(0u, 0x80000000u, neg) | m); }
fn x_mul(a: f32, b: f32) -> f32 {
  let r = a * b;
  let special = is_nan(a) || is_nan(b) || is_inf(a) || is_inf(b) || is_zero(a) || is_zero(b);
  if (!(is_den(a) || is_den(b) || (mag(r) < 0x00800000u && !special))) { return r; }
  let neg = is_neg(a) != is_neg(b);
  if (is_nan(a) || is_nan(b)) { return nan_f32(); }
  if (is_inf(a) || is_inf(b)) { return with_sign(neg, 0x7f800000u); } // inf × subnormal
  if (is_zero(a) || is_zero(b)) { return with_sign(neg, 0u); }
  let da = decompose(a);
  let db = decompose(b);
  let e = da.y + db.y; // |a·b| = ma·mb·2^e, 2^46 <= ma·mb < 2^48
  let p = f32(da.x) * f32(db.x); // one rounding to 24 bits
  if (i32(bitcast<u32>(p) >> 23u) - 127 + e >= -126) {
    // normal (or overflowing) result: the rounded product scaled exactly
    return with_sign(neg, mag(ldexp2(p, e)));
  }
  // subnormal result: exact 48-bit product, rounded once to a multiple of 2^-149
  let xl = u32(da.x) & 0xfffu; let xh = u32(da.x) >> 12u; let yl = u32(db.x) & 0xfffu; let yh = u32(db.x) >> 12u;
  let mid = xl * yh + xh * yl;
  let lo0 = xl * yl + ((mid & 0xfffu) << 12u);
  let hi = xh * yh + (mid >> 12u) + (lo0 >> 24u);
  return with_sign(neg, shr_rne(hi, lo0 & 0xffffffu, u32(-149 - e)));
}
fn x_div(a: f32, b: f32) -> f32 {
  let r = a / b;
  let special = is_nan(a) || is_nan(b) || is_inf(a) || is_inf(b) || is_zero(a) || is_zero(b);
  if (!(is_den(a) || is_den(b) || (mag(r) < 0x00800000u && !special))) { return r; }
  let neg = is_neg(a) != is_neg(b);
  if (is_nan(a) || is_nan(b) || (is_inf(a) && is_inf(b)) || (is_zero(a) && is_zero(b))) { return nan_f32(); }
  if (is_inf(a) || is_zero(b)) { return with_sign(neg, 0x7f800000u); }
  if (is_inf(b) || is_zero(a)) { return with_sign(neg, 0u); }
  let da = decompose(a);
  let db = decompose(b);
  let e = da.y - db.y; // |a/b| = (ma/mb)·2^e, 1/2 < ma/mb < 2
  if (e >= -125) {
    let q = f32(da.x) / f32(db.x);
    return with_sign(neg, mag(ldexp2(q, e)));
  }
  // subnormal result: long division for the bits of (ma/mb)·2^(e+149), one guard bit, sticky remainder
  let s = e + 149;
  if (s + 1 < 0) { return with_sign(neg, 0u); }
  let mb = u32(db.x);
  var rem = u32(da.x);
  var q = rem / mb;
  rem = rem % mb;
  for (var i = 0; i < s + 1; i++) {
    rem = rem << 1u;
    q = q << 1u;
    if (rem >= mb) { q = q | 1u; rem -= mb; }
  }
  let m = q >> 1u;
  let up = (q & 1u) == 1u && (rem != 0u || (m & 1u) == 1u);
  return with_sign(neg, m + select(0u, 1u, up));
}
`;
