/**
 * What the Export menu writes: the current drawing (SVG, PNG), the findings (JSON report schema
 * 1, Markdown) and a standalone HTML report for design reviews. All built locally; nothing is
 * uploaded.
 */
import { htmlReport } from '../../core/report/html-report';
import { markdownReport } from '../../core/report/markdown-report';
import { drawingSvg } from '../../core/view/drawing-svg';
import { useCheck } from '../state/check-store';
import { GROUP_NODE, itemSize } from '../../core/view/drawing';
import { saveBytes } from './quant';
import { reportWithHash } from './check';
import { useQuant } from '../state/quant-store';
import { drawnNodeOf, useApp } from '../state/app-store';
import { VERSION } from '../../core/report/version';

function stem(): string {
  return (useApp.getState().summary?.fileName ?? 'model').replace(/\.onnx$/i, '');
}

function extras() {
  const q = useQuant.getState();
  const plan = q.target === 'plan' ? q.outcome : undefined;
  return {
    version: VERSION,
    ...(plan ? { sqnr: plan.sqnr, calibration: plan.calibration, config: q.settings.config, notes: plan.notes } : {}),
    ...(plan && q.trace && !q.trace.running && 'trace' in q.trace ? { errorTrace: q.trace.trace } : {}),
  };
}

export function currentDrawingSvg(): string | undefined {
  const { visible, layout, view } = useApp.getState();
  if (!visible || !layout || !view) return undefined;
  const byId = new Map(visible.items.map((i) => [i.id, i]));
  return drawingSvg(visible, {
    positions: layout.positions,
    size: (id) => {
      const i = byId.get(id);
      return i ? itemSize(i) : GROUP_NODE;
    },
    marks: useCheck.getState().marks,
    bends: layout.bends,
    closing: layout.closing,
    title: `${useApp.getState().summary?.fileName ?? ''} — QuantLens`,
  });
}

export type ExportKind = 'svg' | 'png' | 'json' | 'markdown' | 'html';

export async function exportAs(kind: ExportKind): Promise<string | undefined> {
  // Reports name the model by its file's hash (fetched now if the page has not yet).
  const report = kind === 'svg' || kind === 'png' ? undefined : await reportWithHash();
  const { result } = useCheck.getState();
  const view = useApp.getState().view;
  switch (kind) {
    case 'svg': {
      const svg = currentDrawingSvg();
      if (!svg) return 'Nothing is drawn yet.';
      saveBytes(svg, `${stem()}.view.svg`, 'image/svg+xml');
      return undefined;
    }
    case 'png': {
      const svg = currentDrawingSvg();
      if (!svg) return 'Nothing is drawn yet.';
      const png = await svgToPng(svg);
      saveBytes(png, `${stem()}.view.png`, 'image/png');
      return undefined;
    }
    case 'json':
      if (!report) return 'There are no findings yet.';
      saveBytes(`${JSON.stringify(report, null, 2)}\n`, `${stem()}.quantlens.json`, 'application/json');
      return undefined;
    case 'markdown':
      if (!report) return 'There are no findings yet.';
      saveBytes(markdownReport(report, extras()), `${stem()}.quantlens.md`, 'text/markdown');
      return undefined;
    case 'html':
      if (!report) return 'There are no findings yet.';
      saveBytes(
        htmlReport(report, view, {
          ...extras(),
          nodeIds: result?.findings.map((f) => (f.nodeId ? drawnNodeOf(f.nodeId) : undefined)),
        }),
        `${stem()}.quantlens.html`,
        'text/html',
      );
      return undefined;
  }
}

/** Rasterizes an SVG (capped at 8k pixels on a side) through an <img> and a canvas. */
async function svgToPng(svg: string): Promise<Uint8Array> {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const scale = Math.min(2, 8192 / Math.max(img.width, img.height, 1));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(img.width * scale));
    canvas.height = Math.max(1, Math.round(img.height * scale));
    const ctx = canvas.getContext('2d')!;
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0);
    const blob = await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the PNG could not be made'))), 'image/png'),
    );
    return new Uint8Array(await blob.arrayBuffer());
  } finally {
    URL.revokeObjectURL(url);
  }
}
