// Non-code imports the bundler (esbuild) handles: stylesheets are collected into app.css.
declare module '*.css';
