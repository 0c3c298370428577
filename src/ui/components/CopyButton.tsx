/** A small button that copies a name (node, tensor) to the clipboard and says so. */
import { useState } from 'react';

export function CopyButton({ text, what }: { text: string; what: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      aria-label={`Copy ${what}`}
      title={`Copy ${what}`}
      data-testid="copy-button"
      className="shrink-0 rounded px-1 text-[10px] text-slate-500 hover:bg-slate-100"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setDone(true);
          setTimeout(() => setDone(false), 1200);
        } catch {
          // No clipboard permission (an insecure origin): the name stays selectable as text.
        }
      }}
    >
      {done ? 'copied' : 'copy'}
    </button>
  );
}
