// The seed's app: a tiny Express server. Edit a comment here and rebuild to watch the
// cache: Dockerfile.bad reinstalls every dependency, Dockerfile.good does not.
const express = require('express');

const app = express();
const port = process.env.PORT || 3000;

app.get('/', (_req, res) => {
  res.json({ message: 'hello from a strata-built image', node: process.version });
});

app.listen(port, () => {
  console.log(`listening on ${port}`);
});
