export * from './busybox-rootfs.js';
export * from './cli-copy.js';
export * from './docker.js';
export * from './require.js';
export * from './store-image.js';
export * from './temp-dirs.js';
