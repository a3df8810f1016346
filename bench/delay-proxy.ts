// The SSH ProxyCommand of bench:transfer's --wan phases, run inside devcloud-net
// (`ip netns exec devcloud-net node bench/delay-proxy.ts %h %p <ms>`): connects to the guest and
// relays stdin → guest through a delay line of <ms> (the one-way delay of a WAN link; the kernel
// here has no netem), guest → stdout at once. The rate limit is the kernel's (HTB on the link).
import { connect } from 'node:net';
import { delayLine } from './transfer-figures.ts';

const [host, port, delay] = process.argv.slice(2);
const socket = connect({ host: host!, port: Number(port) });
socket.setNoDelay(true);
const line = delayLine(
  Number(delay),
  (chunk) => socket.write(chunk),
  () => socket.end(),
);
process.stdin.on('data', (chunk: Buffer) => line.push(chunk));
process.stdin.on('end', () => line.end());
socket.pipe(process.stdout);
socket.on('error', (error) => {
  process.stderr.write(`delay-proxy: ${host}:${port}: ${error.message}\n`);
  process.exit(1);
});
socket.on('close', () => process.exit(0));
