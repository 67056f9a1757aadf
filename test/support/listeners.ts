/**
 * What a process listens on, read from /proc (Linux): the TCP sockets in LISTEN state of
 * /proc/net/tcp and tcp6, matched by inode to the sockets in each process's fd table. It needs
 * no `ss` or `lsof`, and it sees every listener, whatever program opened it.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import ipaddr from 'ipaddr.js';

export interface Listener {
  pid: number;
  /** The process's name (/proc/<pid>/comm: java, python, kube-env, kwok, node...). */
  command: string;
  /** The address it is bound to, as ipaddr.js writes it (0.0.0.0 and :: are every interface). */
  address: string;
  port: number;
}

const LISTEN = '0A';

/** The socket inodes in LISTEN state, with the address each one is bound to. */
function listeningSockets(): Map<string, { address: string; port: number }> {
  const sockets = new Map<string, { address: string; port: number }>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // no IPv6 in this kernel
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, state, inode] = [fields[1]!, fields[3]!, fields[9]!];
      if (state !== LISTEN) continue;
      const [hexAddress, hexPort] = local.split(':') as [string, string];
      sockets.set(inode, { address: decodeAddress(hexAddress), port: parseInt(hexPort, 16) });
    }
  }
  return sockets;
}

/** /proc/net writes an address as 32-bit words in host byte order (little-endian here). */
function decodeAddress(hex: string): string {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const chunk = hex.slice(word, word + 8);
    for (let i = 6; i >= 0; i -= 2) bytes.push(parseInt(chunk.slice(i, i + 2), 16));
  }
  return ipaddr.fromByteArray(bytes).toString();
}

/** Whether an address reaches this machine only: 127.0.0.0/8, ::1, or 127.x written as ::ffff:127.x. */
export function isLoopback(address: string): boolean {
  return ipaddr.process(address).range() === 'loopback';
}

/** Every TCP listener the given processes hold. */
export function tcpListenersOf(pids: Iterable<number>): Listener[] {
  const sockets = listeningSockets();
  const found: Listener[] = [];
  for (const pid of new Set(pids)) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone meanwhile
    }
    const command = readProc(pid, 'comm')?.trim() ?? '?';
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      const socket = inode && sockets.get(inode);
      if (socket) found.push({ pid, command, ...socket });
    }
  }
  return found;
}

/**
 * The process `root`, its descendants, and every member of the process groups they lead: the
 * test bed's parts are detached process groups whose members a launcher may have re-parented.
 */
export function processTree(root: number): number[] {
  const all = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      const stat = readProc(Number(name), 'stat');
      if (!stat) return [];
      // The fields after the command name (which may hold spaces): state, ppid, pgrp, ...
      const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [{ pid: Number(name), ppid: Number(ppid), pgrp: Number(pgrp) }];
    });
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (!tree.has(p.pid) && (tree.has(p.ppid) || tree.has(p.pgrp))) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  return [...tree].filter((pid) => all.some((p) => p.pid === pid));
}

/** A listener as a test failure names it. */
export const describeListener = (l: Listener) => `${l.command} (pid ${l.pid}) on ${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`;

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}
