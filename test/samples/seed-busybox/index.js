// The seed's app, shrunk: the demo test adds a comment here and rebuilds.
console.log('hello from the busybox copy of the seed app');
