import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';
import { defineConfig, type Plugin } from 'vite';

/**
 * Content-Security-Policy of the built app. No inline script and no eval anywhere:
 * - script-src 'wasm-unsafe-eval': onnxruntime-web compiles its WebAssembly (calibration), which
 *   CSP treats as code evaluation; plain 'unsafe-eval' is not allowed.
 * - worker-src 'self': the engine and layout workers are files of the app.
 * - connect-src 'self' http: https:: a model may be opened from any http(s) URL the user gives
 *   (?model=, share links); a locally dropped model is never sent anywhere, by design of the code.
 * - style-src-attr 'unsafe-inline': React Flow positions nodes with style attributes; no <style>
 *   element is injected (style-src stays 'self').
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self' http: https:",
  "img-src 'self' data: blob:",
  "style-src 'self'",
  "style-src-attr 'unsafe-inline'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'quantlens-csp',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' },
    ],
  };
}

export default defineConfig({
  base: './',
  plugins: [react(), tailwindcss(), contentSecurityPolicy()],
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 2048,
  },
  server: { host: '127.0.0.1' },
  // The preview server sends the policy as a header too, so it also covers the worker scripts.
  preview: { host: '127.0.0.1', headers: { 'Content-Security-Policy': CSP } },
});
