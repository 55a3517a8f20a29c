import { cloneJson, deepFreeze } from '../../lib/entry/clone';

describe('cloneJson', () => {
  const texts = [
    '{"a":1,"b":[1,2,{"c":null}],"d":"é","e":true,"f":-0,"g":1e300}',
    '[]',
    '"text"',
    '{"2":"b","1":"a","x":{"10":1,"9":2}}',
    '{"__proto__":{"polluted":true},"ok":1}',
  ];
  it.each(texts)('gives what JSON.parse gives for %s, as a new value', (text) => {
    const template = JSON.parse(text);
    const copy = cloneJson(template);
    expect(copy).toEqual(JSON.parse(text));
    expect(Object.keys(copy as object)).toEqual(Object.keys(JSON.parse(text)));
    if (typeof template === 'object' && template !== null) expect(copy).not.toBe(template);
    expect(Object.is((copy as { f?: number }).f, (JSON.parse(text) as { f?: number }).f)).toBe(true);
  });

  it('keeps "__proto__" an own property and never touches a prototype', () => {
    const copy = cloneJson(JSON.parse('{"__proto__":{"polluted":true}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('copies deeply: changing the copy leaves the template alone', () => {
    const template = JSON.parse('{"a":{"b":[1]}}');
    const copy = cloneJson(template) as { a: { b: number[] } };
    copy.a.b.push(2);
    expect(template.a.b).toEqual([1]);
  });

  it('copies every level, arrays of objects included: nothing is shared with the template', () => {
    const template = JSON.parse('{"items":[{"id":1,"tags":["a"]},{"id":2,"tags":[]}],"meta":{"page":{"n":1}}}');
    const copy = cloneJson(template) as typeof template;
    expect(copy).toEqual(template);
    expect(copy.items).not.toBe(template.items);
    expect(copy.items[0]).not.toBe(template.items[0]);
    expect(copy.items[0].tags).not.toBe(template.items[0].tags);
    expect(copy.meta.page).not.toBe(template.meta.page);
  });

  it('a nested "__proto__" object is copied as an own property too', () => {
    const copy = cloneJson(JSON.parse('{"a":{"__proto__":{"x":1}}}')) as { a: Record<string, unknown> };
    expect(Object.getPrototypeOf(copy.a)).toBe(Object.prototype);
    expect(Object.hasOwn(copy.a, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(copy.a, '__proto__')?.value).toEqual({ x: 1 });
  });

  it('adds nothing inherited, even when Object.prototype has an enumerable property', () => {
    const template = JSON.parse('{"a":{"b":1}}');
    Object.defineProperty(Object.prototype, 'polluted', {
      value: { evil: true },
      enumerable: true,
      configurable: true,
    });
    try {
      const copy = cloneJson(template) as Record<string, unknown>;
      expect(Object.keys(copy)).toEqual(['a']);
      expect(Object.keys(copy.a as object)).toEqual(['b']);
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  });

  it('deepFreeze freezes every level', () => {
    const v = deepFreeze(JSON.parse('{"a":{"b":[1]}}'));
    expect(Object.isFrozen(v.a.b)).toBe(true);
    expect(() => v.a.b.push(2)).toThrow(TypeError);
  });
});
