// The development entry of densho's JSX runtime (tsx and Vite compile JSX to jsxDEV outside production builds).
export { Fragment, type JSX, jsxDEV } from './jsx-runtime.ts';
