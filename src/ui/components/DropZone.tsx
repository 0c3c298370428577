/**
 * Whole-window drag and drop: a model and its external-data files in one drop, or, onto an open
 * model, calibration inputs for the quantizer (.npy arrays, ONNX test-data tensors input_<k>.pb).
 */
import { useEffect, useState } from 'react';
import { takeEarlyDrops } from '../actions/early-drops';
import { makeWayForModel, openFiles } from '../actions/load';
import { useApp } from '../state/app-store';
import { setQuantSettings } from '../state/quant-store';

/**
 * Whether a drop is calibration inputs: every file a NumPy array, or a tensor named as ONNX's test
 * data names them (a lone `model.pb` may be an ONNX model: it opens as one).
 */
export function isCalibrationDrop(files: readonly { name: string }[]): boolean {
  return files.length > 0 && files.every((f) => /\.npy$/i.test(f.name) || /^input_\d+\.pb$/i.test(f.name));
}

export function DropZone() {
  const [over, setOver] = useState(false);
  useEffect(() => {
    let depth = 0;
    const hasFiles = (e: DragEvent) => [...(e.dataTransfer?.types ?? [])].includes('Files');
    const enter = (e: DragEvent) => {
      if (hasFiles(e)) {
        if (depth === 0) makeWayForModel();
        depth++;
        setOver(true);
      }
    };
    const leave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setOver(false);
    };
    const overFn = (e: DragEvent) => {
      if (hasFiles(e)) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      e.preventDefault();
      depth = 0;
      setOver(false);
      const files = [...(e.dataTransfer?.files ?? [])];
      // Calibration inputs dropped onto a model go to the Quantizer panel, for its next run.
      if (useApp.getState().summary && isCalibrationDrop(files)) setQuantSettings({ inputFiles: files });
      else if (files.length) void openFiles(files);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('dragover', overFn);
    window.addEventListener('drop', drop);
    // What was dropped before these listeners were on opens now, ahead of the start-up sample
    // (the App's effects run after this one).
    for (const files of takeEarlyDrops()) void openFiles(files);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('dragover', overFn);
      window.removeEventListener('drop', drop);
    };
  }, []);
  if (!over) return null;
  return (
    <div className="pointer-events-none absolute inset-0 z-40 flex items-center justify-center border-4 border-dashed border-blue-500 bg-blue-50/70 text-lg font-medium text-blue-800">
      Drop an .onnx model (and its external-data files), or {'.npy / input_<k>.pb'} calibration inputs
    </div>
  );
}
