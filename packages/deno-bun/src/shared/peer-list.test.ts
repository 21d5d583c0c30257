import { describe, expect, test } from 'vitest';
import { type Linked, PeerList } from './peer-list.js';

class Node implements Linked<Node> {
  listPrev: Node | undefined;
  listNext: Node | undefined;
  listOwner: object | undefined;
  constructor(readonly name: string) {}
}

const names = (list: Iterable<Node>) => [...list].map((node) => node.name);

describe('PeerList: the open peers as a ReadonlySet, in connection order', () => {
  test('add, has, delete and size behave as a Set; order is insertion order', () => {
    const list = new PeerList<Node>();
    const [a, b, c] = [new Node('a'), new Node('b'), new Node('c')];
    list.add(a);
    list.add(b);
    list.add(c);
    list.add(b);
    expect(list.size).toBe(3);
    expect(names(list)).toEqual(['a', 'b', 'c']);
    expect(list.delete(b)).toBe(true);
    expect(list.delete(b)).toBe(false);
    expect(list.has(b)).toBe(false);
    expect(list.has(a) && list.has(c)).toBe(true);
    expect(names(list)).toEqual(['a', 'c']);
    list.add(b);
    expect(names(list)).toEqual(['a', 'c', 'b']);
    for (const node of [a, b, c]) list.delete(node);
    expect(list.size).toBe(0);
    expect(names(list)).toEqual([]);
  });

  test('a removed peer keeps no link to the others; a peer of another list is not a member', () => {
    const list = new PeerList<Node>();
    const other = new PeerList<Node>();
    const [a, b, c] = [new Node('a'), new Node('b'), new Node('c')];
    list.add(a);
    list.add(b);
    list.add(c);
    list.delete(b);
    expect([b.listPrev, b.listNext, b.listOwner]).toEqual([undefined, undefined, undefined]);
    const d = new Node('d');
    other.add(d);
    expect(list.has(d)).toBe(false);
    expect(list.delete(d)).toBe(false);
    expect(other.size).toBe(1);
    list.add(d);
    expect(list.size).toBe(2);
  });

  test('iterating while peers leave visits each peer of the start once', () => {
    const list = new PeerList<Node>();
    const nodes = ['a', 'b', 'c', 'd'].map((name) => new Node(name));
    for (const node of nodes) list.add(node);
    const seen: string[] = [];
    for (const node of list) {
      seen.push(node.name);
      list.delete(node);
    }
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    expect(list.size).toBe(0);
  });

  test('forEach, entries, keys and values as on a Set', () => {
    const list = new PeerList<Node>();
    const [a, b] = [new Node('a'), new Node('b')];
    list.add(a);
    list.add(b);
    const calls: unknown[] = [];
    list.forEach(function (this: unknown, value, key, set) {
      calls.push([value.name, key.name, set === list, this]);
    }, 'self');
    expect(calls).toEqual([
      ['a', 'a', true, 'self'],
      ['b', 'b', true, 'self'],
    ]);
    expect([...list.entries()]).toEqual([
      [a, a],
      [b, b],
    ]);
    expect([...list.keys()]).toEqual([a, b]);
    expect([...list.values()]).toEqual([a, b]);
    expect(new Set(list)).toEqual(new Set([a, b]));
  });
});
