/**
 * Files dropped before the app's drop zone listens: from the page's first script until the drop
 * zone's first effect. main.tsx holds them while the app's code loads and renders; the drop zone,
 * once its own listeners are on, takes what was held and stops the holding. (Stopped when the
 * code had loaded, before the first render's effects, a drop in between went to no one: the
 * start-up sample then opened instead of the person's file.)
 */
const early: File[][] = [];

const hold = (e: DragEvent) => {
  if (!e.dataTransfer?.types.includes('Files')) return;
  e.preventDefault();
  if (e.type === 'drop') early.push([...e.dataTransfer.files]);
};

/** Starts holding dropped files (the page's first script). */
export function holdEarlyDrops(): void {
  window.addEventListener('dragover', hold);
  window.addEventListener('drop', hold);
}

/** Stops holding, and returns the drops held so far, each once (the drop zone, listening now). */
export function takeEarlyDrops(): File[][] {
  window.removeEventListener('dragover', hold);
  window.removeEventListener('drop', hold);
  return early.splice(0).filter((files) => files.length > 0);
}
