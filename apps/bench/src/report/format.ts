// Number formatting shared by the terminal table and the Markdown report.

/** Milliseconds with 3 significant digits (e.g. 0.412, 12.3, 1234). */
export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  return ms >= 1000 ? ms.toFixed(0) : ms.toPrecision(3);
}

/** A rate or ratio with up to 3 significant digits. */
export function fmtNum(v: number | undefined, digits = 3): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  return Math.abs(v) >= 10 ** digits ? v.toFixed(0) : v.toPrecision(digits);
}

/** A percentage, one decimal. */
export function fmtPct(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(1)}%`;
}

/** A ratio "×1.23". */
export function fmtRatio(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '–' : `×${fmtNum(v)}`;
}
