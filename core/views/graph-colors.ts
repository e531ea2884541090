/** The picture's palette, shared by the DOT and HTML renderers so both read the same. */
import type { NodeStatus } from './graph-model.js';

export const STATUS_COLORS: Record<NodeStatus, { fill: string; stroke: string; text: string }> = {
  base: { fill: '#dbe7f5', stroke: '#4a6fa5', text: '#14233a' },
  hit: { fill: '#c8ecc9', stroke: '#2e7d32', text: '#0f3d12' },
  miss: { fill: '#f8c4c0', stroke: '#c62828', text: '#4a0b07' },
  cascade: { fill: '#ffd9a8', stroke: '#e67e00', text: '#4a2a00' },
  pending: { fill: '#e6dcf5', stroke: '#6a4fa5', text: '#24143a' },
  meta: { fill: '#e3e3e3', stroke: '#8a8a8a', text: '#303030' },
};

export const STATUS_LEGEND: Record<NodeStatus, string> = {
  base: 'FROM: the stage base',
  hit: 'hit: layer reused from the cache',
  miss: 'miss: this step changed',
  cascade: 'cascade: missed because an earlier step missed',
  pending: 'pending: decided after the stage it reads runs (exact when that stage hits)',
  meta: 'metadata: no layer (ENV, CMD, ...)',
};
