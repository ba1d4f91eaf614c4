// Svelte options for the dashboard build (defaults; the file keeps vite-plugin-svelte from looking elsewhere).
export default {}
