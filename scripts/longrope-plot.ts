/**
 * Draws perplexity vs length (log–log) as SVG and rasterises it to PNG with the headless Chromium the UI tests use
 * (playwright-core, /usr/bin/chromium or $CHROMIUM_PATH). Without a browser it writes the SVG beside the PNG path.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";

interface PlotInput {
  readonly lengths: readonly number[];
  readonly originalContext: number;
  readonly rows: readonly { method: string; length: number; ppl: number }[];
  /** Default: the stories260K miniature's title. */
  readonly title?: string;
  /** Default: "evaluation length (tokens, log scale)". */
  readonly xLabel?: string;
}

const colors: Record<string, string> = {
  none: "#7f7f7f", pi: "#d62728", ntk: "#1f77b4", "ntk+attn": "#17becf", yarn: "#9467bd", longrope: "#2ca02c", "longrope+n̂": "#ff7f0e",
};
const labels: Record<string, string> = {
  none: "none", pi: "PI", ntk: "NTK", "ntk+attn": "NTK + attn", yarn: "YaRN (llama.cpp)", longrope: "LongRoPE", "longrope+n̂": "LongRoPE + n̂",
};
const W = 760;
const H = 460;
const M = { left: 70, right: 170, top: 40, bottom: 56 };

export function plotSvg(input: PlotInput): string {
  const ppls = input.rows.map((r) => r.ppl).filter(Number.isFinite);
  const yMin = Math.log10(Math.max(1, Math.min(...ppls) * 0.9));
  const yMax = Math.log10(Math.max(...ppls) * 1.1);
  const xMin = Math.log2(Math.min(...input.lengths));
  const xMax = Math.log2(Math.max(...input.lengths));
  const x = (l: number) => M.left + ((Math.log2(l) - xMin) / (xMax - xMin)) * (W - M.left - M.right);
  const y = (p: number) => H - M.bottom - ((Math.log10(p) - yMin) / (yMax - yMin)) * (H - M.top - M.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="24" font-size="15" font-weight="bold">${input.title ?? `stories260K, no fine-tuning: perplexity vs evaluation length (L_orig = ${input.originalContext})`}</text>`,
  ];
  for (const l of input.lengths) {
    parts.push(`<line x1="${x(l)}" x2="${x(l)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${x(l)}" y="${H - M.bottom + 18}" text-anchor="middle">${l}</text>`);
  }
  for (const t of yTicks(10 ** yMin, 10 ** yMax)) {
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${M.left - 8}" y="${y(t) + 4}" text-anchor="end">${t}</text>`);
  }
  parts.push(`<line x1="${x(input.originalContext)}" x2="${x(input.originalContext)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#555" stroke-dasharray="4 4"/>`);
  parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 14}" text-anchor="middle">${input.xLabel ?? "evaluation length (tokens, log scale)"}</text>`);
  parts.push(`<text transform="translate(18 ${H / 2 + 60}) rotate(-90)">perplexity (log scale)</text>`);
  const methods = Object.keys(colors).filter((m) => input.rows.some((r) => r.method === m));
  methods.forEach((m, i) => {
    const points = input.rows.filter((r) => r.method === m && Number.isFinite(r.ppl)).sort((a, b) => a.length - b.length);
    const dash = m === "none" ? ` stroke-dasharray="6 3"` : "";
    parts.push(`<polyline fill="none" stroke="${colors[m]}" stroke-width="2.5"${dash} points="${points.map((p) => `${x(p.length)},${y(p.ppl)}`).join(" ")}"/>`);
    for (const p of points) parts.push(`<circle cx="${x(p.length)}" cy="${y(p.ppl)}" r="4" fill="${colors[m]}"/>`);
    const ly = M.top + 10 + i * 24;
    parts.push(`<line x1="${W - M.right + 16}" x2="${W - M.right + 46}" y1="${ly}" y2="${ly}" stroke="${colors[m]}" stroke-width="3"${dash}/>`);
    parts.push(`<text x="${W - M.right + 54}" y="${ly + 4}">${labels[m]}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}

function yTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let decade = 10 ** Math.floor(Math.log10(lo)); decade <= hi; decade *= 10) {
    for (const m of [1, 2, 3, 5]) if (decade * m >= lo && decade * m <= hi) out.push(+(decade * m).toPrecision(3));
  }
  return out;
}

export async function renderPlot(input: PlotInput, pngPath: string): Promise<void> {
  const svg = plotSvg(input);
  const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(executablePath)) {
    await writeFile(pngPath.replace(/\.png$/, ".svg"), svg);
    process.stderr.write(`No Chromium at ${executablePath}; wrote the SVG instead of ${pngPath}.\n`);
    return;
  }
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ viewport: { width: W, height: H }, deviceScaleFactor: 2 });
    await page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
    await page.locator("svg").screenshot({ path: pngPath });
  } finally {
    await browser.close();
  }
}
