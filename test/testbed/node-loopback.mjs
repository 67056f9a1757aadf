// Preloaded (NODE_OPTIONS=--import) into the Node processes LocalStack starts, such as kinesis-local behind
// DynamoDB Streams, which binds 0.0.0.0 with no setting to say otherwise: a server asked to listen on every
// interface (no host, 0.0.0.0 or ::) listens on 127.0.0.1 instead. Unix sockets and handles are left alone.
import net from 'node:net';

const everywhere = (host) => host === undefined || host === null || host === '' || host === '0.0.0.0' || host === '::';
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const [first] = args;
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] === 'string') {
      if (everywhere(args[1])) args[1] = '127.0.0.1';
    } else args.splice(1, 0, '127.0.0.1');
  } else if (first && typeof first === 'object' && first.path === undefined && first.fd === undefined && !first._handle && !first.handle) {
    if (everywhere(first.host)) args[0] = { ...first, host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};
